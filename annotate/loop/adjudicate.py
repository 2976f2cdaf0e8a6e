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

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate.dataset.collect import Collection, Sentence, gc_paused, read_collection
from annotate.labelstudio.api.load import JOURNAL_FILE, LoadOptions, LoadReport, load_tasks
from annotate.labelstudio.api.projects import ProjectSpec, adjudication_spec, ensure_project, require_project
from annotate.labelstudio.exported.exports import ExportSet
from annotate.labelstudio.exported.results import version
from annotate.vocabulary import (
    ADJUDICATION_OF,
    CLAIM_ID,
    CLAIM_STATUS,
    CLAIM_TYPES,
    REFERENCE_LABEL,
    SENTENCE_ID,
    VERDICT,
)

COMPARED_CONTROLS = (CLAIM_STATUS, CLAIM_TYPES, VERDICT)


def disagreeing(collection: Collection) -> list[Sentence]:
    """Units with two or more annotators whose annotations differ in spans (label, start, end) or
    the compared choices."""
    return [
        s for s in collection.sentences.values()
        if len(s.annotations) > 1 and len({a.signature(COMPARED_CONTROLS) for a in s.annotations.values()}) > 1
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
        # A reference label the annotators could not see stays out of the adjudicator's sight too
        # (combine takes it from the claims export).
        data = {k: v for k, v in s.data.items() if not (s.reference_hidden and k == REFERENCE_LABEL)}
        records.append(data | {
            ADJUDICATION_OF: {"project": project_id, "task": s.task_id}, "versions": ", ".join(versions),
        })  # fmt: skip
        predictions[s.sentence_id] = [version(who, s.annotations[who]) for who in versions]
    return records, predictions


def unit_key(records: list[dict[str, Any]]) -> str:
    """The task field that identifies a unit: claim_id for verification tasks, else sentence_id."""
    return CLAIM_ID if records and all(CLAIM_ID in r for r in records) else SENTENCE_ID


@dataclass
class AdjudicateReport:
    disagreeing: int
    load: LoadReport
    project_id: int
    review: str
    review_id: int
    review_created: bool
    url: str

    def as_dict(self) -> dict[str, Any]:
        return {"disagreeing": self.disagreeing} | self.load.as_dict() | {
            "project_id": self.project_id, "review_project": self.review, "review_project_id": self.review_id,
            "review_project_created": self.review_created,
        }  # fmt: skip

    def text(self) -> str:
        return (f"{self.disagreeing} disagreeing task(s): created {self.load.created} review task(s), already "
                f"present {self.load.present} (review project {self.review!r}, id {self.review_id}"
                f"{', new' if self.review_created else ''}; open {self.url}/projects/{self.review_id})")  # fmt: skip


def adjudicate(
    client: Any, spec: ProjectSpec, *, config_dir: Path, log: Callable[[str], None] = lambda _m: None
) -> AdjudicateReport:
    """`annotate adjudicate`: the project's disagreeing tasks into its review project, each with
    every annotator's version as a prediction. The project's export is validated first."""
    project_id = require_project(client, spec, config_dir=config_dir)
    log(f"Reading the annotations of project {spec.name!r} (id {project_id}) ...")
    with tempfile.TemporaryDirectory(prefix="annotate-") as tmp, gc_paused(exiting=True):
        path = Path(tmp) / "export.json"
        with path.open("wb") as out:
            client.export_snapshot(project_id, out)
        exports = ExportSet([path], {path: spec.name}, {path: spec.rules()})
        records, predictions = review_tasks(read_collection(exports), project_id)
    review = adjudication_spec(spec)
    review_id, created = ensure_project(client, review, config_dir=config_dir)
    key = unit_key(records)
    options = LoadOptions(journal_path=config_dir / JOURNAL_FILE, fields=review.data_fields(), log=log, key=key,
                          compare=("versions",),
                          predictions=lambda record: predictions.get(str(record[key]), []))  # fmt: skip
    report = load_tasks(client, review_id, records, options)
    # Importing predictions makes the last one's version the project's active one, which the label
    # stream would pre-fill: no annotator's version should be the default, so none is active.
    client.set_model_version(review_id, "")
    for sid in report.changed:
        log(f"Warning: {sid} is already in review with other annotators' versions; left unchanged")
    return AdjudicateReport(len(records), report, project_id, review.name, review_id, created, client.url)
