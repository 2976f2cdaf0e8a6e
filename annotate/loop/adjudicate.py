"""Adjudication: the tasks whose annotators disagree go to a review project (`<name>-adjudication`,
same label config), each with every annotator's version as a prediction whose model_version is the
annotator's pseudonym. The adjudicator picks or edits one and submits; `combine` then takes that
annotation as the sentence's gold (gold_rule `adjudicated`, with `adjudicated_by`).

Annotators disagree when their answers differ in claim_status, claim_types, the spans (label,
start, end) or, in the verification project, the verdict. Relations and free-text answers are
shown to the adjudicator but do not by themselves send a task to review: free text almost never
matches word for word.
"""

from __future__ import annotations

from typing import Any

from annotate.dataset.collect import ADJUDICATION_FIELD, CLAIM_ID_FIELD, Collection, Sentence

COMPARED_CONTROLS = ("claim_status", "claim_types", "verdict")


def signature(annotation: dict[str, Any]) -> frozenset[tuple[Any, ...]]:
    """What two annotations must share to agree: spans (label, start, end) and the compared choices."""
    found = set()
    for r in annotation.get("result", []):
        value = r.get("value") or {}
        if r.get("type") == "labels":
            found.update(("span", label, value.get("start"), value.get("end")) for label in value.get("labels") or [])
        elif r.get("type") == "choices" and r.get("from_name") in COMPARED_CONTROLS:
            found.update((r["from_name"], choice) for choice in value.get("choices") or [])
    return frozenset(found)


def disagreeing(collection: Collection) -> list[Sentence]:
    """Sentences with two or more annotators whose annotations differ (see signature)."""
    return [
        s for s in collection.sentences.values()
        if len(s.annotations) > 1 and len({signature(a) for a in s.annotations.values()}) > 1
    ]  # fmt: skip


def review_tasks(
    collection: Collection, project_id: int
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """(task records, unit key -> predictions) for the review project: each disagreeing unit's data,
    marked with where it comes from, and one prediction per annotator. The key is the unit's
    claim_id in the verification project, else its sentence_id (see unit_key)."""
    records, predictions = [], {}
    for s in disagreeing(collection):
        versions = sorted(s.annotations)
        records.append(s.data | {
            ADJUDICATION_FIELD: {"project": project_id, "task": s.task_id}, "versions": ", ".join(versions),
        })  # fmt: skip
        predictions[s.sentence_id] = [
            {"model_version": who, "result": s.annotations[who].get("result", [])} for who in versions
        ]
    return records, predictions


def unit_key(records: list[dict[str, Any]]) -> str:
    """The task field that identifies a unit: claim_id for verification tasks, else sentence_id."""
    return CLAIM_ID_FIELD if records and all(CLAIM_ID_FIELD in r for r in records) else "sentence_id"
