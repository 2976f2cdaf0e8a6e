"""Exporting: `annotate export` vs Label Studio's own snapshot and download (`curl` creating the
snapshot, then `curl` downloading it), whole processes on both sides, at several sizes, in one run.
Then what annotators wait for in the same projects: the next task of "Label All Tasks" and the
Data Manager's first page.

    .venv/bin/annotate server start
    .venv/bin/python benchmarks/export_bench.py [--sizes 10000 100000] [--rounds 3]
    .venv/bin/python benchmarks/export_bench.py --database postgresql --rounds 0   # waits only

Loads the tasks into a new project per size first (minutes at 100,000 on this server), measures
each export in its own process (peak RSS is its own, from GNU time), then deletes the projects.
With --rounds 0 it measures only what annotators wait for. --server-pid names the Label Studio
process, whose memory is then recorded after loading and after exporting. Figures go to RESULTS.md
(sections `export`, and `annotators` or `annotators-<database>` for another database than SQLite).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from _results import write_section  # noqa: E402
from load_bench import records, run  # noqa: E402

from annotate.labelstudio.api import client as labelstudio  # noqa: E402
from annotate.labelstudio.api.client import FULL_EXPORT_OPTIONS  # noqa: E402
from annotate.labelstudio.api.load import sanitize  # noqa: E402
from annotate.labelstudio.api.projects import load_project  # noqa: E402
from annotate.labelstudio.service import settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-samples", type=int, default=7)
    parser.add_argument("--database", default="sqlite", help="what the server runs on, for the results")
    parser.add_argument("--server-pid", type=int, help="Label Studio's process, to record its memory")
    parser.add_argument("--suffix", default="", help="appended to the RESULTS.md section names (e.g. -1m)")
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="only `annotate export` (at a million tasks one snapshot takes about 22 minutes)",
    )
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    server: dict[int, dict[str, str]] = {}

    config_dir = Path(os.environ.get("ANNOTATE_CONFIG_DIR") or settings.default_config_dir())
    connection = settings.resolve_connection(url=None, env_url=None, env_key=None, config_dir=config_dir)
    client = labelstudio.connect(connection)
    spec = load_project("claims", projects_dir=ROOT / "projects")
    tmp = Path(tempfile.mkdtemp())
    header = tmp / "auth.header"  # the key goes to curl in a file, never on its command line
    header.touch(mode=0o600)
    auth = client._auth()
    header.write_text(f"Authorization: {auth}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env["PYTHONPATH"] = str(ROOT)
    made: list[int] = []
    projects: dict[int, tuple[int, Path, dict[str, str]]] = {}
    samples: dict[int, dict[str, list[tuple[float, float, int]]]] = {}
    latency: dict[int, dict[str, list[float]]] = {}
    try:
        for n in args.sizes:
            folder = tmp / f"p{n}"
            shutil.copytree(ROOT / "projects" / "claims", folder / "projects" / "claims")
            project_json = folder / "projects" / "claims" / "project.json"
            project_json.write_text(json.dumps(json.loads(project_json.read_text())
                                               | {"title": f"export bench {uuid.uuid4().hex[:8]}"}))  # fmt: skip
            (folder / "config").mkdir(mode=0o700)
            saved = json.loads((config_dir / "settings.json").read_text())
            saved.pop("projects", None)
            (folder / "config" / "settings.json").write_text(json.dumps(saved))
            os.chmod(folder / "config" / "settings.json", 0o600)
            penv = env | {"ANNOTATE_CONFIG_DIR": str(folder / "config")}
            pid = int(run([sys.executable, "-m", "annotate", "project", "create", "claims", "--projects-dir",
                           str(folder / "projects")], penv)[2])  # fmt: skip
            made.append(pid)
            data = [{"data": sanitize(r, spec.data_fields())} for r in records(n)]
            start = time.perf_counter()
            for i in range(0, n, 10_000):
                client.import_tasks(pid, data[i : i + 10_000])
            del data
            loaded = time.perf_counter() - start
            server[n] = {"load": f"{loaded:.0f} s in POSTs of 10,000, server {_memory(args.server_pid)}"}
            print(f"{n} tasks loaded in {loaded:.0f} s", file=sys.stderr)
            projects[n] = (pid, folder, penv)
            samples[n] = {"snapshot": [], "export": []}

        for round_ in range(args.rounds):
            for n in args.sizes:
                pid, folder, penv = projects[n]
                # Rounds alternate which goes first, so that neither always meets the server's
                # state after the other (its snapshot files, its caches).
                sides = [] if args.no_baseline else ["snapshot"]
                sides.insert(round_ % 2, "export")
                for side in sides:
                    if side == "snapshot":
                        samples[n]["snapshot"].append(_snapshot(connection.url, header, pid, tmp / "snapshot.json"))
                    else:
                        samples[n]["export"].append(_export(folder, penv, tmp / "exports", n))
                server[n]["export"] = f"server {_memory(args.server_pid)}"
                print(n, {k: v[-1] for k, v in samples[n].items() if v}, file=sys.stderr)

        # What an annotator waits for. The Data Manager's first page is the request its table makes
        # (30 rows); "Label All Tasks" asks /next for each task.
        with httpx.Client(base_url=connection.url, headers={"Authorization": auth}, timeout=600) as http:
            for n in args.sizes:
                pid = projects[n][0]
                asks = {
                    "`GET /api/projects/{id}/next` (Label All Tasks)": (f"/api/projects/{pid}/next", {}),
                    "`GET /api/tasks?page=1&page_size=30&project={id}` (Data Manager, first page)":
                        ("/api/tasks", {"page": 1, "page_size": 30, "project": pid}),
                    "the same with `fields=all` (annotations and predictions too)":
                        ("/api/tasks", {"page": 1, "page_size": 30, "project": pid, "fields": "all"}),
                }  # fmt: skip
                latency[n] = {k: [] for k in asks}
                for _ in range(args.latency_samples):
                    for what, (path, params) in asks.items():
                        start = time.perf_counter()
                        http.get(path, params=params).raise_for_status()
                        latency[n][what].append(time.perf_counter() - start)
    finally:
        for pid in made:
            client.delete_project(pid)
        shutil.rmtree(tmp, ignore_errors=True)
    machine = (f"1-minute load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after the run "
               f"on this 2-core machine")  # fmt: skip
    grown = "; ".join(f"{n:,} tasks: loaded {v['load']}" + (f", after the exports {v['export']}" if "export" in v
                                                            else "") for n, v in server.items())  # fmt: skip
    if args.rounds:
        _write_export(args, samples, machine, grown)
    database = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(args.database, args.database)
    lines = [
        "## What annotators wait for (`benchmarks/export_bench.py`)" + ("" if args.database == "sqlite" else
                                                                        f", {database}"),
        "",
        f"Admin user, the same projects as above (no annotations), {database}, Django dev server; median "
        f"(min–max) of {args.latency_samples} requests each, {time.strftime('%Y-%m-%d')}; {machine}. {grown}.",
        "",
        "| tasks | request | ms |",
        "|---|---|---|",
    ]  # fmt: skip
    for n in args.sizes:
        for what, times in latency[n].items():
            ms = [t * 1000 for t in times]
            lines.append(f"| {n:,} | {what} | {statistics.median(ms):.0f} ({min(ms):.0f}–{max(ms):.0f}) |")
    print(write_section("annotators" + ("" if args.database == "sqlite" else f"-{args.database}") + args.suffix, lines))


def _snapshot(url: str, header: Path, pid: int, out: Path) -> tuple[float, float, int]:
    """Label Studio's own snapshot and download with curl: (seconds, peak RSS MB, bytes)."""
    start = time.perf_counter()
    created = subprocess.run(
        ["curl", "-sS", "-H", f"@{header}", "-H", "Content-Type: application/json", "--data-binary",
         json.dumps({"title": "bench", "serialization_options": FULL_EXPORT_OPTIONS}),
         f"{url}/api/projects/{pid}/exports/"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    snapshot_id = json.loads(created.stdout)["id"]
    _, rss, _ = run(["curl", "-sS", "-o", str(out), "-H", f"@{header}",
                     f"{url}/api/projects/{pid}/exports/{snapshot_id}/download?exportType=JSON"])  # fmt: skip
    found = (time.perf_counter() - start, rss, out.stat().st_size)
    out.unlink()
    return found


def _export(folder: Path, penv: dict[str, str], out_dir: Path, n: int) -> tuple[float, float, int]:
    """`annotate export` in its own process: (seconds, peak RSS MB, bytes)."""
    seconds, rss, printed = run([sys.executable, "-m", "annotate", "export", "--project", "claims", "--projects-dir",
                                 str(folder / "projects"), "-o", str(out_dir)], penv)  # fmt: skip
    path = Path(printed.strip())
    assert json.loads(path.with_name(path.stem + ".manifest.json").read_text())["counts"]["tasks"] == n
    found = (seconds, rss, path.stat().st_size)
    path.unlink()
    return found


def _memory(pid: int | None) -> str:
    """The resident and peak memory of a process (its /proc status), or "" without one."""
    if pid is None:
        return "memory not recorded"
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return (f"RSS {int(status['VmRSS'].split()[0]) / 1024:.0f} MB (peak "
            f"{int(status['VmHWM'].split()[0]) / 1024:.0f} MB)")  # fmt: skip


def _write_export(args: argparse.Namespace, samples: dict, machine: str, grown: str) -> None:
    lines = [
        "## Exporting (`benchmarks/export_bench.py`)",
        "",
        f"Fresh projects of real-shaped tasks (no annotations) on a local Label Studio 1.23.2 ({args.database}, "
        "Django dev "
        "server) on this 2-core machine, shared with other work while it ran. Whole processes on both sides: "
        "Label Studio's own snapshot and download (`curl` creating the snapshot with the options annotate uses, "
        "then `curl` downloading it) vs `annotate export` (the same snapshot, streamed to disk and counted on the way "
        f"for the manifest). Median (min–max) of {args.rounds} rounds, each side first in every other round, "
        f"{time.strftime('%Y-%m-%d')}; "
        f"{machine}.",
        "",
        "| tasks | what | seconds | vs snapshot | MB | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for n in args.sizes:
        base = statistics.median(s for s, _, _ in samples[n]["snapshot"]) if samples[n]["snapshot"] else None
        for key, what in (("snapshot", "snapshot + download with `curl` (baseline)"), ("export", "`annotate export`")):
            times = [s for s, _, _ in samples[n][key]]
            if not times:
                continue
            med = statistics.median(times)
            peak = max(r for _, r, _ in samples[n][key])
            ratio = f"{med / base:.2f}×" if base else "not run"
            lines.append(f"| {n:,} | {what} | {med:.1f} ({min(times):.1f}–{max(times):.1f}) | {ratio} | "
                         f"{samples[n][key][0][2] / 1e6:.0f} | {peak:.0f} |")  # fmt: skip
    rounds = "; ".join(
        f"{n:,} tasks " + ", ".join(f"{e[0] / b[0]:.2f}×" for e, b in zip(samples[n]["export"], samples[n]["snapshot"],
                                                                       strict=True))
        for n in args.sizes if samples[n]["snapshot"]
    ) or "no baseline run"  # fmt: skip
    lines += [
        "",
        f"Per round, `annotate export` vs the snapshot: {rounds}.",
        "",
        "Goal: `annotate export` within 1.1× of the snapshot and download, memory flat (compare the sizes). "
        "The snapshot is built inside one HTTP request: Label Studio's open-source build has no background "
        "worker (REDIS_ENABLED is False), so a reverse proxy's 60 s timeout cuts it off as projects grow.",
        "",
        f"Label Studio's process: {grown}.",
    ]
    print(write_section("export" + args.suffix, lines))


if __name__ == "__main__":
    main()
