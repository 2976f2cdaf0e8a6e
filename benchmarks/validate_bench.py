"""Validating and combining a 100,000-task export vs `json.loads` of the same file, and peak memory,
in one run.

    .venv/bin/python benchmarks/validate_bench.py

The export is generated from real-shaped records: the tasks of tests/data/claims_export_valid.json
(a real export of the claims project: one task annotated with spans, a relation, a per-region
choice and the claim status; one task with a prediction and no annotation), repeated with new ids.
Each measurement runs in a fresh process, so peak RSS is its own. Figures go to RESULTS.md.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from _results import write_section  # noqa: E402

SIZES = (50_000, 100_000)
WHAT = ("json.loads", "json.loads, garbage collector paused", "validate", "validate --project claims",
        "combine (validate + dataset, parquet)")  # fmt: skip


def make_export(path: Path, n: int) -> None:
    base = json.loads((ROOT / "tests" / "data" / "claims_export_valid.json").read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for i in range(n):
            task = copy.deepcopy(base[i % len(base)])
            task["id"] = i + 1
            task["data"]["sentence_id"] = f"bench-{i}"
            for a, annotation in enumerate(task["annotations"]):
                annotation["id"] = i * 10 + a
            out.write(("," if i else "") + json.dumps(task, ensure_ascii=False))
        out.write("]")


def worker(what: str, path: Path) -> dict:
    start = time.perf_counter()
    if what.startswith("json.loads"):
        if "paused" in what:
            import gc

            gc.disable()
        tasks = json.loads(path.read_text(encoding="utf-8"))
        count = len(tasks)
    elif what == "combine (validate + dataset, parquet)":
        from typer.testing import CliRunner

        from annotate.cli import app

        result = CliRunner().invoke(app, ["combine", str(path), "-o", str(path.with_suffix(".dataset")),
                                          "--project", "claims", "--format", "parquet"])  # fmt: skip
        assert result.exit_code == 0, result.output
        count = 0
    else:
        from annotate.labelstudio.validate import rules_from_config, validate_file

        rules = None
        if what == "validate --project claims":
            rules = rules_from_config((ROOT / "projects" / "claims" / "config.xml").read_text(encoding="utf-8"))
        problems = validate_file(path, rules=rules)
        assert problems == [], problems[:3]
        count = 0
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "count": count, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], Path(sys.argv[3]))))
        return
    tmp = Path(tempfile.mkdtemp())
    load_before = os.getloadavg()[0]
    rows = []
    for n in SIZES:
        path = tmp / f"export-{n}.json"
        make_export(path, n)
        size = path.stat().st_size
        for what in WHAT:
            runs = []
            for _ in range(3):
                out = subprocess.check_output([sys.executable, __file__, "--worker", what, str(path)], text=True)
                runs.append(json.loads(out))
            rows.append({"tasks": n, "mb": size / 1e6, "what": what,
                         "seconds": statistics.median(r["seconds"] for r in runs),
                         "rss": max(r["max_rss_mb"] for r in runs)})  # fmt: skip
            print(rows[-1], file=sys.stderr)
        path.unlink()

    lines = [
        "## Validating and combining exports (`benchmarks/validate_bench.py`)",
        "",
        "Generated exports of real-shaped tasks (half annotated: spans, relation, per-region choice, claim status; "
        f"half with a prediction), each measurement in a fresh process, median of 3; {time.strftime('%Y-%m-%d')}; "
        f"1-minute load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after the run on this 2-core "
        "machine (other work running beside it makes the ratios move: compare rows of the same run).",
        "",
        "| tasks | file MB | what | seconds | vs json.loads | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    base = {r["tasks"]: r["seconds"] for r in rows if r["what"] == "json.loads"}
    for r in rows:
        lines.append(f"| {r['tasks']:,} | {r['mb']:.0f} | {r['what']} | {r['seconds']:.2f} | "
                     f"{r['seconds'] / base[r['tasks']]:.2f}× | {r['rss']:.0f} |")  # fmt: skip
    lines += [
        "",
        "Goals: validate <= 3× `json.loads`, with memory that does not grow with the file (compare the two "
        "sizes); combine (which validates first) <= 3× `json.loads`.",
        "",
        "`combine` pauses Python's cyclic garbage collector while it builds the dataset (nothing it reads is "
        "in a cycle) and at the end freezes what is left for the process exit instead of tracing it (see "
        "`gc_paused` in annotate/dataset/collect.py). The baseline is plain `json.loads`, as a user would call it; "
        "the row with the collector paused shows what the same trick does for it.",
    ]
    block = write_section("validate", lines)
    print(block)


if __name__ == "__main__":
    main()
