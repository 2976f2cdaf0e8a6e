"""agreement's whole report on fixed multi-annotator exports (tests/data/agreement, made by its
make.py): five annotators, two export rounds with newer and older annotations, review tasks with
adjudications, ground truth, cancelled annotations, reference labels hidden and visible.

The golden reports were written by agreement as it was before it streamed its exports, and pin every
figure, name and order since. To rewrite them on purpose: ANNOTATE_REWRITE_GOLDEN=1 pytest this file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from annotate.dataset.agreement import agreement_of_exports
from annotate.labelstudio.exported.exports import open_exports

from .conftest import ROOT

DATA = Path(__file__).resolve().parent / "data" / "agreement"


@pytest.mark.parametrize(("keep_identity", "golden"), [(False, "report.json"), (True, "report-identity.json")])
def test_the_agreement_report_of_fixed_exports_is_pinned(keep_identity: bool, golden: str) -> None:
    exports = open_exports([DATA / "exports"], project=None, projects_dir=ROOT / "projects")
    report = agreement_of_exports(exports, keep_identity=keep_identity, list_disagreements=True)
    text = json.dumps(report, indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("ANNOTATE_REWRITE_GOLDEN"):
        (DATA / golden).write_text(text, encoding="utf-8")
    assert text == (DATA / golden).read_text(encoding="utf-8")


def test_combine_and_agreement_give_the_same_figures() -> None:
    """combine reports agreement from the collection it builds; agreement streams: the same numbers."""
    from annotate.dataset.agreement import agreement_report
    from annotate.dataset.collect import read_collection
    from annotate.dataset.gold import golds

    exports = open_exports([DATA / "exports"], project=None, projects_dir=ROOT / "projects")
    collection = read_collection(exports)
    combined = agreement_report(collection, {sid: g[0] for sid, g in golds(collection).items()})
    streamed = json.loads((DATA / "report.json").read_text(encoding="utf-8"))
    del streamed["disagreement_list"]
    assert json.loads(json.dumps(combined)) == streamed
