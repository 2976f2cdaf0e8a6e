"""Builders of Label Studio result and prediction JSON: what pre-annotation and adjudication send.

The control names come from the vocabulary: spans on the claims project's `span` control and
`text` object, relations by name, task-level choices.
"""

from __future__ import annotations

from typing import Any

from annotate.labelstudio.exported.views import Annotation
from annotate.vocabulary import CLAIM_STATUS, SPAN_CONTROL, TEXT_OBJECT


def span(region_id: str, label: str, start: int, end: int, text: str) -> dict[str, Any]:
    """A labelled span of the task text `text` (its characters start..end)."""
    return {
        "id": region_id, "from_name": SPAN_CONTROL, "to_name": TEXT_OBJECT, "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }  # fmt: skip


def relation(from_id: str, to_id: str, name: str) -> dict[str, Any]:
    return {"from_id": from_id, "to_id": to_id, "type": "relation", "direction": "right", "labels": [name]}


def choice(control: str, value: str, *, region_id: str = "pchoice") -> dict[str, Any]:
    """A task-level choice."""
    return choices(control, [value], region_id=region_id)


def choices(control: str, values: list[str], *, region_id: str = "pchoice") -> dict[str, Any]:
    """A task-level choice of one or more values (a multiple-choice control)."""
    return {"id": region_id, "from_name": control, "to_name": TEXT_OBJECT, "type": "choices",
            "value": {"choices": list(values)}}  # fmt: skip


def region_choice(region_id: str, control: str, value: str, start: int, end: int, text: str) -> dict[str, Any]:
    """A per-region choice (a source type) on the span `region_id` (characters start..end of `text`)."""
    return {"id": region_id, "from_name": control, "to_name": TEXT_OBJECT, "type": "choices",
            "value": {"start": start, "end": end, "text": text[start:end], "choices": [value]}}  # fmt: skip


def status_result(status: str) -> list[dict[str, Any]]:
    """A result that only chooses claim_status."""
    return [choice(CLAIM_STATUS, status, region_id="pstatus")]


def prediction(task_id: int | None, result: list[dict[str, Any]], *, model_version: str,
               score: float | None = None) -> dict[str, Any]:  # fmt: skip
    """A prediction for the import API (task_id None: imported with its task)."""
    found: dict[str, Any] = {"model_version": model_version, "result": result}
    if task_id is not None:
        found["task"] = task_id
    if score is not None:
        found["score"] = score
    return found


def version(who: str, annotation: Annotation) -> dict[str, Any]:
    """An annotator's annotation as a prediction named by them, for the adjudicator to compare."""
    return prediction(None, annotation.result_json(), model_version=who)
