"""The server's process: the pid file annotate writes beside Label Studio's data, whether the
process it names still serves that folder, how it serves, and stopping its whole process group."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

PID_FILE = "annotate-server.json"
LOG_FILE = "annotate-server.log"


def read_pid_file(data_dir: Path) -> dict[str, Any] | None:
    """The pid file's record, or None when it is missing or damaged (then no server of ours runs:
    a pid of 0 or 1 must never be signalled)."""
    try:
        record = json.loads((data_dir / PID_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    pid, port = record.get("pid"), record.get("port")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (pid, port)) or pid <= 1 or not 0 < port < 65536:
        return None
    return record


def is_our_process(pid: int, data_dir: Path) -> bool:
    """True when `pid` is alive and is a label-studio serving `data_dir` (not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the pid file
    args = [a.decode(errors="replace") for a in cmdline]
    serves = any("label-studio" in a or "gunicorn" in a for a in args)
    return serves and any(a == str(data_dir) or a.startswith(f"{data_dir}/") for a in args)


def _running_record(data_dir: Path) -> dict[str, Any] | None:
    """The pid file's record when the process it names still serves data_dir."""
    record = read_pid_file(data_dir)
    return record if record and is_our_process(int(record["pid"]), data_dir) else None


def running_pid(data_dir: Path) -> tuple[int, int] | None:
    """(pid, port) of the server annotate started for data_dir, if it is still running."""
    record = _running_record(data_dir)
    return (int(record["pid"]), int(record["port"])) if record else None


def children(pid: int) -> set[int]:
    """The pids whose parent is `pid` (a gunicorn master's workers), from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not a process
    return found


def serving(data_dir: Path) -> dict[str, Any] | None:
    """How the running server for data_dir serves: {"server": "gunicorn"|"development", "workers",
    "threads", "host"}, from the pid file; None when none runs."""
    record = _running_record(data_dir)
    if record is None:
        return None
    return {"server": record.get("server", "development"), "workers": record.get("workers", 1),
            "threads": record.get("threads", 1), "host": record.get("host", "127.0.0.1")}  # fmt: skip


def terminate(pid: int, *, grace: float = 30.0) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after `grace` seconds. A server
    that is not a group leader (started in the foreground inside another group) is signalled alone:
    gunicorn's master stops its workers."""
    try:
        signal_ = os.killpg if os.getpgid(pid) == pid else os.kill
        signal_(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child, or it stays a zombie
        try:
            signal_(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        signal_(pid, signal.SIGKILL)


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
