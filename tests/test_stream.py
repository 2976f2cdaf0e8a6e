"""combine reads exports in passes (annotate/dataset/stream.py): the units it yields are collect()'s,
in collect()'s order, with the same annotations counting; an export that changes between the passes
is an error, not a dataset of two versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.dataset.collect import collect
from annotate.dataset.stream import read_units
from annotate.errors import InputError
from annotate.labelstudio.exports import open_exports

from .builders import export
from .conftest import ROOT, write_export
from .golden_export import write_golden_exports


def _units(sentences) -> list[tuple]:
    return [(s.sentence_id, s.task_id, dict(s.data), s.reference_hidden,
             {who: a.id for who, a in s.annotations.items()},
             s.adjudication and (s.adjudication[0], s.adjudication[1].id)) for s in sentences]  # fmt: skip


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
