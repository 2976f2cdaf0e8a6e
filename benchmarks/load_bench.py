"""Loading 10,000 tasks: `annotate load` vs one raw bulk POST of the same tasks, in one run.

    .venv/bin/annotate server start        # or point ANNOTATE_CONFIG_DIR at another server's settings
    .venv/bin/python benchmarks/load_bench.py

Measured in-process (no interpreter start), each into a fresh project with the claims config.
Also times `annotate load` at several batch sizes, which is how annotate.load.BATCH_SIZE was chosen.
The projects it makes are deleted at the end. Figures go to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import statistics
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

from annotate.articles.tasks import split_sources  # noqa: E402
from annotate.labelstudio import client as labelstudio  # noqa: E402
from annotate.labelstudio import settings  # noqa: E402
from annotate.labelstudio.load import BATCH_SIZE, load_tasks  # noqa: E402
from annotate.labelstudio.projects import load_project  # noqa: E402

N = 10_000
ROUNDS = 3


def records() -> list[dict]:
    """10,000 real-shaped task records: the example article's units under many article ids."""
    (item,) = split_sources([str(ROOT / "examples" / "articles" / "paris-security-guarantees.txt")])
    out = []
    copy = 0
    while len(out) < N:
        for record in item.records:
            article_id = f"bench{copy:04d}"
            out.append(record | {"article_id": article_id, "sentence_id": f"{article_id}-{record['char_start']}"})
        copy += 1
    return out[:N]


def main() -> None:
    config_dir = Path(os.environ.get("ANNOTATE_CONFIG_DIR") or settings.default_config_dir())
    connection = settings.resolve_connection(url=None, env_url=None, env_key=None, config_dir=config_dir)
    client = labelstudio.connect(connection)
    spec = load_project("claims", projects_dir=ROOT / "projects")
    data = records()
    journal = Path(tempfile.mkdtemp()) / "journal.json"
    made = []

    def fresh() -> int:
        pid = client.create_project(label_config=spec.label_config,
                                    settings={"title": f"load bench {uuid.uuid4().hex[:8]}"})  # fmt: skip
        made.append(pid)
        return pid

    try:
        client.import_tasks(fresh(), [{"data": r} for r in data[:1000]])  # warm the server up first
        # Interleaved and repeated: single runs on this machine vary by +-40%.
        raws: list[float] = []
        samples: dict[int, list[float]] = {b: [] for b in sorted({1000, 2000, BATCH_SIZE, N})}
        for _ in range(ROUNDS):
            pid = fresh()
            start = time.perf_counter()
            client.import_tasks(pid, [{"data": r} for r in data])
            raws.append(time.perf_counter() - start)
            client.delete_project(made.pop())
            for batch in samples:
                pid = fresh()
                start = time.perf_counter()
                report = load_tasks(client, pid, data, journal_path=journal, fields=spec.data_fields(),
                                    batch_size=batch)  # fmt: skip
                samples[batch].append(time.perf_counter() - start)
                assert report.created == N, report
                if batch != BATCH_SIZE:
                    client.delete_project(made.pop())
                else:
                    keep = pid
        raw = statistics.median(raws)
        timings = {b: statistics.median(v) for b, v in samples.items()}
        print(f"raw {raws}; load {samples}", file=sys.stderr)
        pid = keep

        start = time.perf_counter()
        rerun = load_tasks(client, pid, data, journal_path=journal, fields=spec.data_fields())
        rerun_time = time.perf_counter() - start
        assert rerun.created == 0 and rerun.present == N
    finally:
        for pid in made:
            client.delete_project(pid)

    lines = [
        "## Loading tasks (`benchmarks/load_bench.py`)",
        "",
        f"{N:,} real-shaped task records (the example article's units), each run into a fresh project with the "
        f"claims config on a local Label Studio {json.dumps(connection.url)}, after a warm-up import; in-process "
        f"timings, median of {ROUNDS} interleaved rounds, {time.strftime('%Y-%m-%d')}.",
        "",
        "| what | seconds | vs raw POST |",
        "|---|---|---|",
        f"| raw bulk POST of all {N:,} tasks (baseline) | {raw:.2f} | 1.00× |",
    ]
    for batch, seconds in timings.items():
        mark = " (default)" if batch == BATCH_SIZE else ""
        lines.append(f"| `annotate load`, batches of {batch:,}{mark} | {seconds:.2f} | {seconds / raw:.2f}× |")
    lines += [
        f"| `annotate load` again (all {N:,} already present: lists the project, creates nothing; one run) | "
        f"{rerun_time:.2f} | {rerun_time / raw:.2f}× |",
        "",
        f"Goal: `annotate load` <= 1.5× the raw POST. Default batch: {BATCH_SIZE:,}: a killed run loses at most "
        "one batch in flight, which the next run waits for (see annotate/labelstudio/load.py).",
    ]
    block = write_section("load", lines)
    print(block)


if __name__ == "__main__":
    main()
