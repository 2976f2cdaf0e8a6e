"""A team annotating at once: 4, 8 and 16 annotators, each logged in as their own user through the
login page, submitting annotations concurrently over real HTTP, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/concurrency_bench.py [--per-annotator 10] [--backends sqlite,postgresql]

Starts its own servers (`annotate server start --database ...`, temporary folders, free ports) and
stops them (and removes annotate's PostgreSQL cluster) at the end. Each annotator has tasks of their
own, so no two write the same task. Reports throughput, p50/p95 latency of one submit, errors, and
whether the server holds exactly the annotations that were acknowledged (nothing lost). Label Studio
runs as `label-studio start` serves it: Django's runserver, one process with threads (several WSGI
workers were not measured: gunicorn is not installed here). Figures go to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
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
from annotate.labelstudio.api.projects import load_project  # noqa: E402
from annotate.labelstudio.service import database, server  # noqa: E402
from annotate.labelstudio.service import settings as st  # noqa: E402

LEVELS = (4, 8, 16)
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


def tasks(n: int) -> list[dict]:
    """n real task records: the example article's sentences, under as many article ids as it takes."""
    (item,) = split_sources([str(ROOT / "examples" / "articles" / "paris-security-guarantees.txt")])
    out: list[dict] = []
    while len(out) < n:
        article_id = f"bench{len(out):05d}"
        out += [r | {"article_id": article_id, "sentence_id": f"{article_id}-{r['char_start']}"} for r in item.records]
    return out[:n]


def free_port() -> int:
    return database.free_port()


def login(url: str, email: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{url}/user/login/", timeout=60)
    response = session.post(
        f"{url}/user/login/",
        data={"email": email, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{url}/user/login/"},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, f"{email} cannot log in ({response.status_code})"
    session.headers.update({"X-CSRFToken": session.cookies["csrftoken"], "Referer": f"{url}/"})
    return session


def run_level(url: str, emails: list[str], task_ids: list[list[int]]) -> dict:
    sessions = [login(url, e) for e in emails]
    latencies: list[float] = []
    errors: list[str] = []
    acknowledged = [0]
    lock = threading.Lock()
    result = [{"from_name": "claim_status", "to_name": "text", "type": "choices", "value": {"choices": ["no_claim"]}}]
    barrier = threading.Barrier(len(emails))

    def annotator(i: int) -> None:
        barrier.wait()
        for task_id in task_ids[i]:
            began = time.perf_counter()
            try:
                response = sessions[i].post(f"{url}/api/tasks/{task_id}/annotations/", json={"result": result},
                                            timeout=120)  # fmt: skip
                ok, why = response.status_code == 201, f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                ok, why = False, type(exc).__name__
            with lock:
                latencies.append(time.perf_counter() - began)
                if ok:
                    acknowledged[0] += 1
                else:
                    errors.append(why)

    threads = [threading.Thread(target=annotator, args=(i,)) for i in range(len(emails))]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "annotators": len(emails),
        "submitted": len(latencies),
        "acknowledged": acknowledged[0],
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "seconds": round(wall, 2),
        "per_second": round(acknowledged[0] / wall, 2),
        "p50_ms": round(statistics.median(ordered) * 1000),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000),
    }


def bench_backend(backend: str, per_annotator: int, base: Path) -> list[dict]:
    config_dir, data_dir = base / "config", base / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env["ANNOTATE_CONFIG_DIR"] = str(config_dir)
    began = time.perf_counter()
    started = subprocess.run(
        [sys.executable, "-m", "annotate", "server", "start", "--port", str(free_port()), "--data-dir", str(data_dir),
         "--database", backend, "--format", "json"],
        env=env, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    print(f"{backend}: server started in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    try:
        url = json.loads(started.stdout)["url"]
        key = st.read_settings(config_dir)["servers"][url]["api_key"]
        client = labelstudio.connect(st.Connection(url, key))
        spec = load_project("claims", projects_dir=ROOT / "projects")
        emails = [f"annotator{i:02d}@bench.example.org" for i in range(max(LEVELS))]
        server.run_django(data_dir, config_dir, _MAKE_USERS,
                          env={"BENCH_EMAILS": json.dumps(emails), "BENCH_PASSWORD": PASSWORD})  # fmt: skip
        rows = []
        for level in LEVELS:
            project_id = client.create_project(
                label_config=spec.label_config, settings=spec.server_settings() | {"title": f"bench {level}"}
            )
            ids = client.import_tasks(project_id, tasks(level * per_annotator))
            chunks = [ids[i * per_annotator : (i + 1) * per_annotator] for i in range(level)]
            row = run_level(url, emails[:level], chunks)
            on_server = sum(t.annotations for t in client.tasks(project_id))
            row |= {"backend": backend, "on_server": on_server, "nothing_lost": on_server == row["acknowledged"]}
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
        return rows
    finally:
        stopped = subprocess.run([sys.executable, "-m", "annotate", "server", "stop", "--data-dir", str(data_dir)],
                                 env=env, capture_output=True, text=True, cwd=ROOT)  # fmt: skip
        print(stopped.stderr.strip(), file=sys.stderr)
        record = database.read_record(data_dir)
        if record is not None and record.managed:
            database.remove_cluster(record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-annotator", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix=f"concurrency-{backend}-") as tmp:
            rows += bench_backend(backend, args.per_annotator, Path(tmp))
    lines = [
        "## Annotators submitting at once (`benchmarks/concurrency_bench.py`)",
        "",
        f"Each annotator logged in through the login page as their own user and submitted {args.per_annotator} "
        "annotations (one `claim_status` choice) to tasks of their own, all annotators at once, over real HTTP, "
        "against `label-studio start` (Django runserver: one process, threads) on a 2-core machine shared with "
        "other work. `on server` counts the annotations the server holds afterwards. Load average at the end "
        f"of the run: {os.getloadavg()[0]:.1f} (2 cores); the backends ran one after the other.",
        "",
        "| backend | annotators | submitted | errors | seconds | annotations/s | p50 ms | p95 ms | on server "
        "| nothing lost |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['annotators']} | {r['submitted']} | {r['errors']}"
            f"{' (' + ', '.join(r['error_kinds']) + ')' if r['errors'] else ''} | {r['seconds']} | {r['per_second']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['on_server']} | {'yes' if r['nothing_lost'] else 'NO'} |"
        )
    print(write_section("concurrency", lines))


if __name__ == "__main__":
    main()
