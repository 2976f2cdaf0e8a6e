from __future__ import annotations

import json

from annotate.dataset.collect import collect, pseudonym
from annotate.dataset.tables import annotation_rows

from .conftest import SAMPLES, views


def test_one_row_per_span_label_choice_and_text() -> None:
    tasks = json.loads((SAMPLES / "export_JSON.json").read_text())
    table = annotation_rows(collect([views(tasks)], keep_identity=True))
    first = table[(table.task_id == 1001) & (table.annotation_id == 1)]
    rows = list(zip(first.from_name, first.label, first.start.fillna(-1), strict=True))
    assert rows == [
        ("span", "Source", 0),
        ("span", "Claim", 18),
        ("verdict", "Unverifiable", 18),
        ("evidence_url", "https://example.org/stats", 18),
        ("checkworthy", "Yes", -1),
    ]
    assert set(first.annotator) == {"1"}
    # The skipped (cancelled) annotation contributes no rows.
    cancelled = {a["id"] for t in tasks for a in t["annotations"] if a["was_cancelled"]}
    assert cancelled and not set(table.annotation_id) & cancelled


def test_annotators_are_pseudonymised_unless_kept() -> None:
    tasks = json.loads((SAMPLES / "snapshot_full_predictions_example.json").read_text())
    emails = {a["completed_by"]["email"] for t in tasks for a in t["annotations"] if not a["was_cancelled"]}
    assert set(annotation_rows(collect([views(tasks)], keep_identity=True)).annotator) == emails
    hidden = set(annotation_rows(collect([views(tasks)])).annotator)
    assert hidden == {pseudonym(e) for e in emails} and not hidden & emails
    assert pseudonym("a@x.org") == pseudonym("a@x.org") != pseudonym("b@x.org")
