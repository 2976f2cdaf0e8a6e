"""Label Studio under gunicorn: the production way to serve one team (`annotate server start --workers N`).

Label Studio's own `label-studio start` runs Django's development server: one process, which its
own warning says not to use in production, and on which every annotator waits behind one long
export. Label Studio's production image runs the same Django application under a WSGI server with
several processes. gunicorn is the WSGI server here: pure Python, on PyPI, and the one Django's
deployment docs show first; its `gthread` workers serve several requests each, so a long export
holds one thread, not a process.

The configuration is a file in the data folder (gunicorn.conf.py), written at each start: the
address, the processes and threads, the timeout, and the access and error logs (logs/, rotated).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CONFIG_FILE = "gunicorn.conf.py"
LOG_DIR = "logs"
ACCESS_LOG = "access.log"
ERROR_LOG = "error.log"
THREADS = 4  # per process: a long export holds one of them
# Seconds a worker process may be silent before gunicorn restarts it. With gthread workers the
# process keeps reporting while one of its threads runs a long request, so an export (100,000 tasks:
# about 70 s alone, minutes beside 32 annotators) is not cut; 300 s is over twice the former.
TIMEOUT = 300
PROCESS_GB = 1.5  # a Label Studio process: 0.9 GB measured, 1.7 GB at its peak
LOG_BYTES = 20 * 2**20  # each log rotates at 20 MB, 5 old files kept
LOG_BACKUPS = 5
SETTINGS_MODULE = "label_studio.core.settings.label_studio"  # what `label-studio start` uses


def memory_bytes() -> int | None:
    """The machine's memory (Linux), or None where it cannot be read."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def default_workers(cores: int | None = None, memory: int | None = None) -> int:
    """min(cores, memory / 1.5 GB), at least 2 (one slow request never holds every annotator)."""
    cores = cores or os.cpu_count() or 1
    memory = memory if memory is not None else memory_bytes()
    by_memory = int(memory / (PROCESS_GB * 2**30)) if memory else cores
    return max(2, min(cores, by_memory))


def label_studio_path() -> str:
    """The folder of the label_studio package: its Django modules (core.wsgi) import from there."""
    import importlib.util

    spec = importlib.util.find_spec("label_studio")
    if spec is None or not spec.submodule_search_locations:
        from annotate.errors import ServerError

        raise ServerError("Label Studio is not installed in this environment",
                          hint="install it with: pip install 'annotate[server]'")  # fmt: skip
    return str(next(iter(spec.submodule_search_locations)))


def gunicorn_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("gunicorn") is not None


def write_config(data_dir: Path, *, host: str, port: int, workers: int, threads: int = THREADS) -> Path:
    """gunicorn.conf.py in the data folder, for this start."""
    logs = data_dir / LOG_DIR
    logs.mkdir(parents=True, exist_ok=True, mode=0o700)

    def handler(name: str) -> dict[str, object]:
        return {"class": "logging.handlers.RotatingFileHandler", "filename": str(logs / name),
                "maxBytes": LOG_BYTES, "backupCount": LOG_BACKUPS, "formatter": "plain"}  # fmt: skip

    logging = {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s [%(process)d] %(levelname)s %(message)s"}},
        "handlers": {"error": handler(ERROR_LOG), "access": handler(ACCESS_LOG)},
        "root": {"level": "INFO", "handlers": ["error"]},  # gunicorn's default names a console handler
        "loggers": {"gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
                    "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False}},
    }  # fmt: skip
    text = "\n".join([
        "# Written by `annotate server start --workers` at each start: edit the command's options, not this file.",
        f"bind = {f'{host}:{port}'!r}",
        f"workers = {workers}",
        f"threads = {threads}",
        'worker_class = "gthread"',
        f"timeout = {TIMEOUT}",
        "graceful_timeout = 30",
        "# An idle kept-alive connection is closed after this many seconds: longer than a client waits between",
        "# two requests, so that none sends on a connection the server is closing.",
        "keepalive = 75",
        "control_socket_disable = True  # gunicorn 24+: one per user's home folder, shared by every server",
        '# The reverse proxy on this machine sets X-Forwarded-Proto (https) and X-Forwarded-For.',
        'forwarded_allow_ips = "127.0.0.1,::1"',
        'access_log_format = \'%(h)s "%(r)s" %(s)s %(b)s %(M)sms\'',
        f"logconfig_dict = {logging!r}",
        "",
    ])  # fmt: skip
    path = data_dir / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    return path


def command(config: Path) -> list[str]:
    """The gunicorn command line: Label Studio's WSGI application with the data folder's config."""
    return [sys.executable, "-m", "gunicorn", "-c", str(config), "--pythonpath", label_studio_path(),
            "core.wsgi:application"]  # fmt: skip
