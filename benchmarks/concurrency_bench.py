"""A team annotating at once while an export of 100,000 tasks runs: 8, 16 and 32 annotators, each
logged in as their own user through the login page, each asking for the next task and submitting an
annotation over real HTTP, against Label Studio's development server and against gunicorn workers.

    .venv/bin/python benchmarks/concurrency_bench.py [--configs postgresql:0,postgresql:2,postgresql:4]
        [--levels 8,16,32] [--runs 3] [--per-annotator 10] [--export-tasks 100000] [--kill-worker]

A config is DATABASE:WORKERS (0: `label-studio start`'s development server; N: `annotate server start
--workers N`, gunicorn). For each config the bench starts its own server (temporary folder, free port),
loads a project of --export-tasks tasks and keeps one export of it running, back to back, for as long
as the annotators work (so every submit competes with an export). Each level gets a fresh project of
annotators x --per-annotator tasks; each annotator asks Label Studio for the next task
(/api/projects/ID/next, the label stream) and submits a `claim_status` to it. Reported: throughput,
p50/p95 of "next task" and of submit, errors, and whether the server holds exactly the acknowledged
annotations. With --kill-worker, one gunicorn worker is killed with SIGKILL in the middle of every
16-annotator level (workers configs): acknowledged annotations must all be on the server afterwards.
Figures go to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _results import write_section  # noqa: E402

from annotate.articles.tasks import split_sources  # noqa: E402
from annotate.labelstudio.api import client as labelstudio  # noqa: E402
from annotate.labelstudio.api.load import sanitize  # noqa: E402
from annotate.labelstudio.api.projects import load_project  # noqa: E402
from annotate.labelstudio.service import accounts, database, process  # noqa: E402
from annotate.labelstudio.service import settings as st  # noqa: E402

PASSWORD = "bench-Password-123"  # throwaway accounts on a throwaway server

_MAKE_USERS = """
from users.models import User
from organizations.models import Organization
org = Organization.objects.first()
for email in json.loads(os.environ["BENCH_EMAILS"]):
    user, _ = User.objects.get_or_create(email=email, defaults={"username": email})
    user.set_password(os.environ["BENCH_PASSWORD"])
    user.save()
    if not org.has_user(user):
        org.add_user(user)
"""


def tasks(n: int, fields: list[str]) -> list[dict]:
    """n real task records: the example article's sentences, under as many article ids as it takes."""
    (item,) = split_sources([str(ROOT / "examples" / "articles" / "paris-security-guarantees.txt")])
    out: list[dict] = []
    while len(out) < n:
        article_id = f"bench{len(out):06d}"
        out += [sanitize(r | {"article_id": article_id, "sentence_id": f"{article_id}-{r['char_start']}"}, fields)
                for r in item.records]  # fmt: skip
    return [{"data": r} for r in out[:n]]


def login(url: str, email: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{url}/user/login/", timeout=120)
    response = session.post(
        f"{url}/user/login/",
        data={"email": email, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{url}/user/login/"}, allow_redirects=False, timeout=120,
    )  # fmt: skip
    assert response.status_code == 302, f"{email} cannot log in ({response.status_code})"
    session.headers.update({"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{url}/"})
    return session


def percentile(values: list[float], q: float) -> int:
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * q) - 1)] * 1000) if ordered else 0


class Exporter(threading.Thread):
    """One export of the big project at a time, back to back, until stopped."""

    def __init__(self, url: str, key: str, project_id: int, tasks: int) -> None:
        super().__init__(daemon=True)
        self.url, self.key, self.project_id, self.tasks = url, key, project_id, tasks
        self.stopped, self.durations, self.failures = threading.Event(), [], []

    def run(self) -> None:
        headers = {"Authorization": f"Token {self.key}"}
        url = f"{self.url}/api/projects/{self.project_id}/export"
        params = {"exportType": "JSON", "download_all_tasks": "true"}  # every task, not only annotated ones
        while not self.stopped.is_set():
            began, size, status = time.perf_counter(), 0, None
            try:
                with requests.get(url, params=params, headers=headers, stream=True, timeout=900) as response:
                    size = sum(len(part) for part in response.iter_content(1 << 20))
                    status = response.status_code
            except requests.RequestException as exc:
                self.failures.append(type(exc).__name__)
                continue
            if status == 200 and size > 100 * self.tasks:  # the whole project came back
                self.durations.append(time.perf_counter() - began)
            elif not self.stopped.is_set():
                self.failures.append(f"HTTP {status}, {size} bytes")


def kill_a_worker(data_dir: Path) -> int | None:
    """SIGKILL one gunicorn worker (a child of the master in the pid file); its pid."""
    running = process.running_pid(data_dir)
    workers = process.children(running[0]) if running else set()
    if not workers:
        return None
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    return victim


def run_level(url: str, emails: list[str], project_id: int, per_annotator: int, *,
              kill: Path | None = None) -> dict:  # fmt: skip
    sessions = [login(url, e) for e in emails]
    submits: list[float] = []
    nexts: list[float] = []
    errors: list[str] = []
    acknowledged = [0]
    lock = threading.Lock()
    result = [{"from_name": "claim_status", "to_name": "text", "type": "choices", "value": {"choices": ["no_claim"]}}]
    barrier = threading.Barrier(len(emails) + 1)

    def annotator(i: int) -> None:
        barrier.wait()
        for _ in range(per_annotator):
            began = time.perf_counter()
            try:
                response = sessions[i].get(f"{url}/api/projects/{project_id}/next", timeout=300)
                task_id = response.json().get("id") if response.status_code == 200 else None
            except (requests.RequestException, ValueError) as exc:
                task_id = None
                with lock:
                    errors.append(f"next: {type(exc).__name__}")
            with lock:
                nexts.append(time.perf_counter() - began)
            if task_id is None:
                continue
            began = time.perf_counter()
            try:
                response = sessions[i].post(f"{url}/api/tasks/{task_id}/annotations/", json={"result": result},
                                            timeout=300)  # fmt: skip
                ok, why = response.status_code == 201, f"submit: HTTP {response.status_code}"
            except requests.RequestException as exc:
                ok, why = False, f"submit: {type(exc).__name__}"
            with lock:
                submits.append(time.perf_counter() - began)
                acknowledged[0] += ok
                if not ok:
                    errors.append(why)

    threads = [threading.Thread(target=annotator, args=(i,)) for i in range(len(emails))]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    killed = None
    if kill is not None:
        time.sleep(2.0)
        killed = kill_a_worker(kill)
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return {
        "annotators": len(emails), "submitted": len(submits), "acknowledged": acknowledged[0],
        "errors": len(errors), "error_kinds": sorted(set(errors)), "seconds": round(wall, 2),
        "per_second": round(acknowledged[0] / wall, 2), "submit_p50_ms": percentile(submits, 0.5),
        "submit_p95_ms": percentile(submits, 0.95), "next_p50_ms": percentile(nexts, 0.5),
        "next_p95_ms": percentile(nexts, 0.95), "killed_worker": killed,
    }  # fmt: skip


def bench_config(backend: str, workers: int, args: argparse.Namespace, base: Path) -> list[dict]:
    config_dir, data_dir = base / "config", base / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env["ANNOTATE_CONFIG_DIR"] = str(config_dir)
    began = time.perf_counter()
    started = subprocess.run(
        [sys.executable, "-m", "annotate", "server", "start", "--port", str(database.free_port()), "--data-dir",
         str(data_dir), "--database", backend, "--workers", str(workers), "--format", "json"],
        env=env, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    name = f"{backend}, " + (f"gunicorn --workers {workers}" if workers else "development server")
    print(f"{name}: server started in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    try:
        url = json.loads(started.stdout)["url"]
        key = st.read_settings(config_dir)["servers"][url]["api_key"]
        client = labelstudio.connect(st.Connection(url, key))
        spec = load_project("claims", projects_dir=ROOT / "projects")
        fields = spec.data_fields()
        emails = [f"annotator{i:02d}@bench.example.org" for i in range(max(args.levels))]
        accounts.run_django(data_dir, config_dir, _MAKE_USERS,
                          env={"BENCH_EMAILS": json.dumps(emails), "BENCH_PASSWORD": PASSWORD})  # fmt: skip
        settings = spec.server_settings() | {"maximum_annotations": 1}
        big = client.create_project(label_config=spec.label_config, settings=settings | {"title": "bench export"})
        began = time.perf_counter()
        for start in range(0, args.export_tasks, 10_000):
            client.import_tasks(big, tasks(min(10_000, args.export_tasks - start), fields))
        print(f"{name}: {args.export_tasks:,} tasks loaded in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        exporter = Exporter(url, key, big, args.export_tasks)
        exporter.start()
        rows = []
        try:
            for run in range(1, args.runs + 1):
                for level in args.levels:
                    title = {"title": f"bench {run}-{level}"}
                    project_id = client.create_project(label_config=spec.label_config, settings=settings | title)
                    client.import_tasks(project_id, tasks(level * args.per_annotator, fields))
                    kill = data_dir if args.kill_worker and workers and level == 16 else None
                    row = run_level(url, emails[:level], project_id, args.per_annotator, kill=kill)
                    on_server = sum(t.annotations for t in client.tasks(project_id))
                    row |= {"config": name, "workers": workers, "run": run, "on_server": on_server}
                    print(json.dumps(row), file=sys.stderr)
                    rows.append(row)
        finally:
            exporter.stopped.set()
        exports = exporter.durations
        done = f"{len(exports)}, median {statistics.median(exports):.0f} s" if exports else "none finished"
        done += (
            f"; {len(exporter.failures)} failed ({', '.join(sorted(set(exporter.failures)))})"
            if exporter.failures
            else ""
        )
        for row in rows:
            row["exports"] = done
        print(json.dumps({"config": name, "exports": done}), file=sys.stderr)
        return rows
    finally:
        stopped = subprocess.run([sys.executable, "-m", "annotate", "server", "stop", "--data-dir", str(data_dir)],
                                 env=env, capture_output=True, text=True, cwd=ROOT)  # fmt: skip
        print(stopped.stderr.strip(), file=sys.stderr)
        record = database.read_record(data_dir)
        if record is not None and record.managed:
            database.remove_cluster(record)


def summary(rows: list[dict], levels: list[int], runs: int) -> list[str]:
    """Per level and run, the development server's p95 submit over each workers config's (above 1: workers faster)."""
    lines = []
    dev = {(r["run"], r["annotators"]): r for r in rows if r["workers"] == 0}
    for workers in sorted({r["workers"] for r in rows if r["workers"]}):
        mine = {(r["run"], r["annotators"]): r for r in rows if r["workers"] == workers}
        for level in levels:
            ratios = [dev[(run, level)]["submit_p95_ms"] / max(1, mine[(run, level)]["submit_p95_ms"])
                      for run in range(1, runs + 1) if (run, level) in dev and (run, level) in mine]  # fmt: skip
            if ratios:
                lines.append(
                    f"- {level} annotators, --workers {workers}: p95 submit of the development server / "
                    f"workers = {', '.join(f'{r:.2f}' for r in ratios)} (runs 1-{len(ratios)}); "
                    f"{'below in every run' if all(r > 1 for r in ratios) else 'NOT below in every run'}"
                )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="postgresql:0,postgresql:2,postgresql:4")
    parser.add_argument("--levels", default="8,16,32", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--per-annotator", type=int, default=10)
    parser.add_argument("--export-tasks", type=int, default=100_000)
    parser.add_argument("--kill-worker", action="store_true")
    parser.add_argument("--rows-from", type=Path, help="Render RESULTS.md from the JSON rows a run logged on stderr.")
    args = parser.parse_args()
    rows = []
    if args.rows_from:
        logged = [json.loads(line) for line in args.rows_from.read_text().splitlines() if line.startswith("{")]
        exports = {r["config"]: r["exports"] for r in logged if "annotators" not in r}
        rows = [r | ({"exports": exports[r["config"]]} if r["config"] in exports else {}) for r in logged
                if "annotators" in r]  # fmt: skip
    for config in [] if args.rows_from else args.configs.split(","):
        backend, workers = config.split(":")
        with tempfile.TemporaryDirectory(prefix=f"concurrency-{backend}-{workers}-") as tmp:
            rows += bench_config(backend, int(workers), args, Path(tmp))
    for row in rows:
        # Nothing acknowledged is lost: every acknowledged annotation is on the server. A submit whose
        # answer was cut (its worker killed) may still have been written: at most one per such error.
        row["nothing_lost"] = row["acknowledged"] <= row["on_server"] <= row["acknowledged"] + row["errors"]
    print(write_section("concurrency", render(rows, args)))


def render(rows: list[dict], args: argparse.Namespace) -> list[str]:
    lines = [
        "## Annotators at once while an export runs (`benchmarks/concurrency_bench.py`)",
        "",
        f"Each annotator logged in through the login page as their own user, then {args.per_annotator} times asked "
        "for the next task (`/api/projects/ID/next`, the label stream) and submitted a `claim_status` to it, all "
        "annotators at once over real HTTP, while one export of a "
        f"{args.export_tasks:,}-task project ran back to back the whole time. Development server: "
        "`label-studio start` (one process); workers: `annotate server start --workers N` (gunicorn, 4 threads "
        f"each). 2-core machine shared with other work; {args.runs} run(s); load average at the end "
        f"{os.getloadavg()[0]:.1f}."
        + (
            " One worker killed with SIGKILL 2 s into every 16-annotator level of the workers configs."
            if args.kill_worker
            else ""
        ),
        "",
        "| server | run | annotators | submitted | errors | annotations/s | next p50/p95 ms | submit p50/p95 ms "
        "| acknowledged / on server | nothing acknowledged lost | exports during the runs |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        errors = f"{r['errors']}" + (f" ({', '.join(r['error_kinds'])})" if r["errors"] else "")
        killed = " (worker killed)" if r.get("killed_worker") else ""
        lines.append(
            f"| {r['config']} | {r['run']} | {r['annotators']}{killed} | {r['submitted']} | {errors} | "
            f"{r['per_second']} | {r['next_p50_ms']}/{r['next_p95_ms']} | {r['submit_p50_ms']}/{r['submit_p95_ms']} | "
            f"{r['acknowledged']} / {r['on_server']} | {'yes' if r['nothing_lost'] else 'NO'} | "
            f"{r.get('exports', 'not logged')} |"
        )
    lines += ["", *summary(rows, args.levels, args.runs)]
    return lines


if __name__ == "__main__":
    main()
