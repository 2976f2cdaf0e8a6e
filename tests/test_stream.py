"""combine reads exports in passes (annotate/dataset/stream.py): the units it yields are collect()'s,
in collect()'s order, with the same annotations counting; an export that changes between the passes
is an error, not a dataset of two versions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from annotate.dataset.collect import collect
from annotate.dataset.stream import _first_pass, read_units
from annotate.errors import InputError
from annotate.labelstudio.exported.exports import open_exports

from .builders import export
from .conftest import ROOT, write_export
from .golden_export import write_golden_exports


def _units(sentences) -> list[tuple]:
    return [(s.sentence_id, s.task_id, dict(s.data), s.reference_hidden,
             {who: a.id for who, a in s.annotations.items()},
             s.adjudication and (s.adjudication[0], s.adjudication[1].id)) for s in sentences]  # fmt: skip


@pytest.mark.slow
def test_streamed_units_are_collects(tmp_path: Path) -> None:
    paths = write_golden_exports(tmp_path)  # a second round and adjudications: units of several tasks
    exports = open_exports(paths, project="claims", projects_dir=ROOT / "projects")
    units, verification = read_units(exports)
    collection = collect(exports.reread())
    assert _units(units.sentences()) == _units(collection.sentences.values())
    assert units.count == len(collection.sentences) and not verification.sentences
    assert sorted(units.replaced) == sorted(collection.replaced)
    assert any(len(s.annotations) > 3 for s in collection.sentences.values())  # the merge was exercised


def test_an_export_changed_between_the_passes_is_an_error(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.json", export(), "claims")
    units, _ = read_units(open_exports([path], project=None, projects_dir=ROOT / "projects"))
    tasks = json.loads(path.read_text())
    tasks[1]["data"]["sentence_id"] = "another"
    path.write_text(json.dumps(tasks))
    with pytest.raises(InputError, match="changed while combine was reading it"):
        list(units.sentences())


def _first_pass_of(paths: list[Path], parallel: bool) -> tuple:
    exports = open_exports(paths, project="claims", projects_dir=ROOT / "projects")
    scan, verification = _first_pass(exports, False, parallel)
    return (scan.hashes.tobytes(), scan.articles.tobytes(), scan.gold.tobytes(), scan.missing.tobytes(), scan.names,
            scan.labels, scan.source_splits, list(verification.sentences), exports.problems)  # fmt: skip


@pytest.mark.slow
def test_a_second_process_shares_the_first_pass(tmp_path: Path) -> None:
    """Large exports are read with a second process validating every other block of tasks: the
    same scan, units and problems as one process reading them all."""
    paths = write_golden_exports(tmp_path)
    alone = _first_pass_of(paths, parallel=False)
    assert _first_pass_of(paths, parallel=True) == alone
    assert len(set(alone[2])) > 2  # gold labels of both shares came back (not left at "no gold")
    exports = open_exports(paths, project="claims", projects_dir=ROOT / "projects")
    units, _ = read_units(exports, parallel=True)
    assert _units(units.sentences()) == _units(collect(exports.reread()).sentences.values())


def _many(n: int) -> list[dict]:
    tasks = []
    for i in range(n):
        task = json.loads(json.dumps(export()[i % 4]))
        task["id"] = i + 1
        task["data"]["sentence_id"] = f"s{i}"
        for k, annotation in enumerate(task["annotations"]):
            annotation["id"] = i * 10 + k
        tasks.append(task)
    return tasks


def test_shared_first_pass_reports_the_same_problems_in_the_same_order(tmp_path: Path) -> None:
    tasks = _many(300)
    tasks[3]["annotations"][0]["result"][0]["value"]["end"] = 999  # block 0: this process's
    tasks[70]["annotations"][0]["result"][0]["value"]["start"] = "0"  # block 1: the other's (schema)
    tasks[71]["annotations"][1]["result"] = [{"type": "labels", "from_name": "nope"}]
    tasks[150]["annotations"].append(dict(tasks[150]["annotations"][0], id=99999))  # a warning (block 2)
    tasks[200]["data"] = "not an object"  # block 3: the other's
    path = write_export(tmp_path / "e.json", tasks, "claims")
    alone = _first_pass_of([path], parallel=False)
    problems = alone[-1]
    errors = {p.task_id for p in problems if p.severity == "error"}
    assert errors == {4, 71, 72, 201} and 151 in {p.task_id for p in problems if p.kind == "duplicate"}
    assert _first_pass_of([path], parallel=True)[-1] == problems
    # a file broken half way: its tasks up to there, and the file's own problem once, last
    path.write_text(path.read_text()[: len(path.read_text()) // 2])
    alone = _first_pass_of([path], parallel=False)
    assert [p.kind for p in alone[-1]].count("file") == 1 and alone[-1][-1].kind == "file"
    assert _first_pass_of([path], parallel=True)[-1] == alone[-1]  # (the scan of invalid exports is not used)


@pytest.mark.slow
def test_when_the_second_process_fails_the_first_does_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = write_golden_exports(tmp_path)
    alone = _first_pass_of(paths, parallel=False)
    monkeypatch.setattr(sys, "executable", "/bin/false")
    assert _first_pass_of(paths, parallel=True) == alone
