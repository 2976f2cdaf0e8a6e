"""Golden test of `annotate combine`: a fixed 10,000-task claims export (with a second round and an
adjudication export, tests/golden_export.py) must give, file by file and cell by cell, the dataset
that combine wrote before it streamed (recorded in tests/data/golden_combine/).

Each table is compared in a canonical form (read back with pandas, written as CSV with its dtypes)
by sha256, with a few hundred rows kept in full so that a difference shows the first row that
differs; every other file by the sha256 of its bytes (the card with the build folder's name left
out). To record the expected outputs again (only when a change of output is intended):

    PYTHONPATH=. .venv/bin/python -m tests.test_golden_combine
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from annotate.cli import app

from .golden_export import write_golden_exports

GOLDEN = Path(__file__).resolve().parent / "data" / "golden_combine"
RUNS = {  # name -> the options of the run (the exports and --project claims come first)
    "default": [],
    "source-jsonl": ["--split", "source", "--seed", "5", "--table-format", "jsonl", "--table-format", "parquet"],
}
SAMPLED_ROWS = 200


def _canonical_table(path: Path) -> str:
    table = pd.read_parquet(path)
    head = ",".join(f"{c}:{t}" for c, t in table.dtypes.astype(str).items())
    return head + "\n" + table.to_csv(index=False)


def _card(path: Path) -> str:
    # The card names the folder it was built in (a temporary one): that name is left out.
    return re.sub(r"load_dataset\(.*\)", "load_dataset(...)", path.read_text(encoding="utf-8"))


def describe(folder: Path) -> dict:
    """Every file of a dataset folder: sha256 of its canonical form, and sampled rows of each table."""
    files, samples = {}, {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".parquet":
            text = _canonical_table(path)
            lines = text.splitlines(keepends=True)
            step = max(1, (len(lines) - 2) // SAMPLED_ROWS)
            samples[name] = {str(i): lines[i] for i in [0, 1, *range(2, len(lines), step)][: SAMPLED_ROWS + 2]}
            data = text.encode("utf-8")
        elif path.name == "README.md":
            data = _card(path).encode("utf-8")
        else:
            data = path.read_bytes()
        files[name] = hashlib.sha256(data).hexdigest()
    return {"files": files, "samples": samples}


def run_combine(exports: list[Path], out: Path, options: list[str]) -> tuple[dict, list[str]]:
    result = CliRunner().invoke(app, ["combine", *map(str, exports), "--project", "claims", "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    folder = str(exports[0].parent)  # a temporary folder: left out of the log
    log = sorted(line.replace(folder, "<exports>") for line in result.stderr.splitlines() if line)
    return describe(out), log


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_golden_exports(tmp_path_factory.mktemp("golden-exports"))


@pytest.mark.parametrize("shared", [False, pytest.param(True, marks=pytest.mark.slow)],
                         ids=["one-process", "two-processes"])  # fmt: skip
# The unit suite runs the default options in one process; the other runs are in `pytest` and CI.
@pytest.mark.parametrize(
    "run", [r if r == "default" else pytest.param(r, marks=pytest.mark.slow) for r in sorted(RUNS)]
)
def test_combine_matches_the_golden_dataset(run: str, shared: bool, exports: list[Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """With or without a second process sharing the first pass (what large exports get)."""
    from annotate.dataset import stream

    monkeypatch.setattr(stream, "PARALLEL_BYTES", 0 if shared else 1 << 62)
    monkeypatch.setattr(stream, "_core_free", lambda: True)
    expected = json.loads((GOLDEN / f"{run}.json").read_text(encoding="utf-8"))
    got, log = run_combine(exports, tmp_path / "dataset", RUNS[run])
    assert sorted(got["files"]) == sorted(expected["files"])
    for name, rows in expected["samples"].items():  # a readable difference first: the first row that differs
        for i, line in rows.items():
            assert got["samples"][name].get(i) == line, f"{name}, line {i} of its canonical CSV"
    differing = [name for name, digest in expected["files"].items() if got["files"][name] != digest]
    assert differing == []
    assert log == expected["log"]


def _record() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_golden_exports(Path(tmp))
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for run, options in RUNS.items():
            described, log = run_combine(paths, Path(tmp) / run, options)
            (GOLDEN / f"{run}.json").write_text(json.dumps(described | {"log": log}, indent=1, ensure_ascii=False)
                                                + "\n", encoding="utf-8")  # fmt: skip
            print(f"{run}: {len(described['files'])} files", file=sys.stderr)


if __name__ == "__main__":
    _record()
