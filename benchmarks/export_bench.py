"""Exporting a 100,000-task project: `annotate export` (snapshot, streamed to disk) vs reading the same
snapshot into memory and parsing it (what a script that calls the SDK and json.loads does), in one run.

    .venv/bin/annotate server start
    .venv/bin/python benchmarks/export_bench.py [--tasks 100000]

Loads the tasks into a new project first (minutes on this server), measures each export in a fresh
process (peak RSS is its own), then deletes the project. Figures go to RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from _results import write_section  # noqa: E402

from annotate.labelstudio import client as labelstudio  # noqa: E402
from annotate.labelstudio import settings  # noqa: E402
from annotate.labelstudio.export import export_project  # noqa: E402
from annotate.labelstudio.load import load_tasks  # noqa: E402
from annotate.labelstudio.projects import load_project  # noqa: E402


def _client():
    config_dir = Path(os.environ.get("ANNOTATE_CONFIG_DIR") or settings.default_config_dir())
    return labelstudio.connect(settings.resolve_connection(url=None, env_url=None, env_key=None, config_dir=config_dir))


def worker(what: str, project_id: int, out_dir: Path) -> dict:
    client = _client()
    start = time.perf_counter()
    if what == "annotate export":
        path = export_project(client, project_id, project="bench", out_dir=out_dir)
        size = path.stat().st_size
    elif what == "imports and connection only (reference)":
        client.get_project(project_id)
        size = 0
    else:
        buffer = io.BytesIO()
        client.export_snapshot(project_id, buffer)
        size = len(buffer.getvalue())
        json.loads(buffer.getvalue())
    return {"seconds": time.perf_counter() - start, "bytes": size,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--worker", nargs=3)
    args = parser.parse_args()
    if args.worker:
        what, project_id, out_dir = args.worker
        print(json.dumps(worker(what, int(project_id), Path(out_dir))))
        return

    client = _client()
    spec = load_project("claims", projects_dir=ROOT / "projects")
    project_id = client.create_project(label_config=spec.label_config,
                                       settings={"title": f"export bench {uuid.uuid4().hex[:8]}"})  # fmt: skip
    tmp = Path(tempfile.mkdtemp())
    try:
        records = [
            {"text": f"Sentence {i} of a long news article says that prices rose 3% in May.", "kind": "sentence",
             "article_id": f"a{i // 40}", "sentence_id": f"a{i // 40}-{i}", "sentence_index": i % 40,
             "char_start": 0, "char_end": 10, "context_before": "", "context_after": "", "title": "Bench"}
            for i in range(args.tasks)
        ]  # fmt: skip
        start = time.perf_counter()
        load_tasks(client, project_id, records, journal_path=tmp / "journal.json", fields=spec.data_fields())
        print(f"loaded {args.tasks} tasks in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        rows = {}
        for what in ("imports and connection only (reference)", "annotate export", "snapshot into memory + json.loads"):
            out = subprocess.check_output(
                [sys.executable, __file__, "--worker", what, str(project_id), str(tmp / "out")], text=True
            )
            rows[what] = json.loads(out)
            print(what, rows[what], file=sys.stderr)
    finally:
        client.delete_project(project_id)

    lines = [
        "## Exporting a large project (`benchmarks/export_bench.py`)",
        "",
        f"{args.tasks:,} tasks in one project of a local Label Studio; each export in a fresh process; "
        f"one run each, {time.strftime('%Y-%m-%d')}.",
        "",
        "| what | seconds | MB | peak RSS MB |",
        "|---|---|---|---|",
    ]
    for what, r in rows.items():
        lines.append(f"| {what} | {r['seconds']:.1f} | {r['bytes'] / 1e6:.0f} | {r['max_rss_mb']:.0f} |")
    lines += [
        "",
        "`annotate export` writes the snapshot to disk as it arrives (600 s client timeout, not the 60 s "
        "default) and counts it for the manifest one task at a time: beyond what importing the SDK costs "
        "(the reference row), its memory does not grow with the project, where reading the export into "
        "memory does.",
    ]
    block = write_section("export", lines)
    print(block)


if __name__ == "__main__":
    main()
