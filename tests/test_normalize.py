from __future__ import annotations

import json

from annotate.normalize import annotations_table

from .conftest import SAMPLES


def test_one_row_per_span_or_choice() -> None:
    tasks = json.loads((SAMPLES / "export_JSON.json").read_text())
    table = annotations_table([tasks])
    first = table[(table.task_id == 1001) & (table.annotation_id == 1)]
    rows = list(zip(first.from_name, first.label, first.start.fillna(-1), strict=True))
    assert rows == [
        ("span", "Source", 0),
        ("span", "Claim", 18),
        ("verdict", "Unverifiable", 18),
        ("checkworthy", "Yes", -1),
    ]
    assert set(first.annotator) == {"1"}
    # The skipped (cancelled) annotation contributes no rows.
    cancelled = {a["id"] for t in tasks for a in t["annotations"] if a["was_cancelled"]}
    assert cancelled and not set(table.annotation_id) & cancelled


def test_annotator_email_when_exported_with_identity() -> None:
    tasks = json.loads((SAMPLES / "snapshot_full_predictions_example.json").read_text())
    table = annotations_table([tasks])
    emails = {a["completed_by"]["email"] for t in tasks for a in t["annotations"] if not a["was_cancelled"]}
    assert set(table.annotator) == emails
