"""`annotate triage --load`: the day's sentences into the claims project in rank order, and the
already-checked ones into the verification project.

Claims: one task per distinct sentence (its first outlet's record), created in rank order with the
model's suggestion (the rules' spans with the model's claim_status, its certainty as the score, the
model's id as the version, made the active one). The project is put under sequential sampling, so
"Label All Tasks" serves the most check-worthy first, unless the uncertainty order is set (by
`prelabel --order-by-uncertainty` or project.json): that is left as it is, and said. A sentence
already in the project (any day) is left alone: state across days lives in the server, by
sentence_id.

Verification: a sentence a past check answers is a cluster whose claim is the whole sentence
(claim_id = sentence_id; one mention per outlet), with the past check as "previously checked".
`promote` later joins the sentence's annotated CLAIM span to that task (verification._owner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate.labelstudio.api.load import JOURNAL_FILE, LEDGER_DIR, LoadOptions, load_tasks
from annotate.labelstudio.api.prelabel import with_status
from annotate.labelstudio.api.projects import ProjectSpec, require_project
from annotate.labelstudio.exported import results
from annotate.loop.match import Cluster, Mention
from annotate.loop.promote import mention_record
from annotate.loop.verification import load_clusters
from annotate.vocabulary import (
    SENTENCE_ID,
    TEXT,
)  # fmt: skip

SEQUENTIAL, UNCERTAINTY = "Sequential sampling", "Uncertainty sampling"
MARKED_BY = "annotate triage"


@dataclass
class Loaded:
    claims_created: int
    claims_present: int
    verification_created: int
    verification_present: int
    sampling: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def text(self) -> str:
        return (f"loaded {self.claims_created} sentence(s) ({self.claims_present} already there, {self.sampling}) and "
                f"{self.verification_created} already-checked claim(s) to verify "
                f"({self.verification_present} already there)")  # fmt: skip


def sentence_claim(record: dict[str, Any]) -> dict[str, Any]:
    """A sentence as a verification mention whose claim is the whole sentence (claim_id = sentence_id)."""
    text = str(record.get(TEXT) or "")
    return mention_record(record, str(record[SENTENCE_ID]), 0, len(text), claim=text, marked_by=MARKED_BY,
                          rule="model")  # fmt: skip


def checked_clusters(rows: list[Any]) -> list[Cluster]:
    """Each already-checked row as a cluster of its outlets' sentences, with its safe matches."""
    return [Cluster(row.sentence_id, tuple(Mention(sentence_claim(r)) for r in row.records), row.matches)
            for row in rows if row.matches]  # fmt: skip


@dataclass
class Target:
    """Where `triage --load` loads: the server (connected only when loading starts, so the page is
    written even when it cannot be reached), the two projects, annotate's config folder."""

    connect: Callable[[], Any]
    claims: ProjectSpec
    verification: ProjectSpec
    config_dir: Path


def load_day(rows: list[Any], target: Target, *, version: str, log: Callable[[str], None] = lambda _m: None) -> Loaded:
    """Load the ranked rows (see the module docstring), each with the model's suggestion (its
    claim_status and certainty on the row; `version`: the model's id)."""
    client, claims, config_dir = target.connect(), target.claims, target.config_dir
    project_id = require_project(client, claims, config_dir=config_dir)
    require_project(client, target.verification, config_dir=config_dir)  # both projects found before any change
    records = [row.records[0] for row in rows]
    suggestions = {row.sentence_id: (with_status(row.text, row.claim_status), row.certainty) for row in rows}

    def prediction(record: dict[str, Any]) -> list[dict[str, Any]]:
        result, score = suggestions[record[SENTENCE_ID]]
        return [results.prediction(None, result, model_version=version, score=score)]

    options = LoadOptions(journal_path=config_dir / JOURNAL_FILE, ledger_dir=config_dir / LEDGER_DIR,
                          fields=claims.data_fields(), log=log, predictions=prediction)  # fmt: skip
    report = load_tasks(client, project_id, records, options)
    info = client.get_project(project_id)
    sampling = str((info.settings if info else {}).get("sampling") or "")
    if sampling == UNCERTAINTY:
        log(f"Note: project {claims.name!r} serves the least certain task first (uncertainty sampling); left as it "
            "is, the day's sentences were loaded in rank order")  # fmt: skip
    else:
        client.set_sampling(project_id, SEQUENTIAL)
        client.set_model_version(project_id, version)
        sampling = SEQUENTIAL
    _, checked, plan = load_clusters(checked_clusters(rows), client, target.verification, config_dir=config_dir,
                                     log=log)  # fmt: skip
    return Loaded(report.created, report.present, checked.created, plan.present, sampling)
