"""Load task records into a Label Studio project: idempotent by sentence_id, batched, resumable.

Label Studio does not deduplicate imports (re-importing 50 tasks gives 100) and ignores task ids,
so the project's own tasks are the record of what is loaded. A killed client does not cancel a
batch the server is still importing, so each batch is noted in a journal before it is sent; a
rerun first waits for a batch a killed run left in flight, and every run ends by removing
duplicate, unannotated copies of a task.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from annotate.articles.read import normalize_text
from annotate.errors import LabelStudioAPIError
from annotate.vocabulary import CORPUS, REFERENCE_LABEL, SENTENCE_ID, TEXT

# `annotate load --reference-as`: where a row's reference label goes. hidden: out of the task data,
# into the task's meta (the labelling interface shows data fields only); predictions: a claim_status
# prediction of this model version, made the project's active one so annotators see it as a suggestion.
REFERENCE_AS = ("hidden", "predictions")
REFERENCE_MODEL_VERSION = "reference"

# Bigger batches are faster (one POST of 10,000 tasks took 4.0 s on the real server, 10 x 1,000
# 6.4 s, 100 x 100 16.1 s); 5,000 is within a few tenths of a second of one POST for 10,000 tasks
# (benchmarks/RESULTS.md) while a killed run leaves at most 5,000 tasks in flight.
BATCH_SIZE = 5000
# A rerun waits for a batch that a killed run left on the server until its tasks appear, or the
# project's task count has not moved for PENDING_QUIET seconds (an import is one transaction: a
# batch lands whole or not at all; 5,000 tasks take about 2 s), or PENDING_WAIT has passed.
PENDING_WAIT = 120.0
# The journal's file in annotate's config folder.
JOURNAL_FILE = "load-journal.json"
PENDING_QUIET = 15.0


class _TaskServer(Protocol):
    url: str

    def tasks(self, project_id: int) -> list[Any]: ...
    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]: ...
    def delete_task(self, task_id: int) -> None: ...


@dataclass
class LoadReport:
    created: int = 0
    present: int = 0
    changed: list[str] = field(default_factory=list)  # keys whose compared fields differ on the server
    duplicates_in_input: int = 0
    duplicates_removed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "already_present": self.present,
            "changed": self.changed,
            "duplicates_in_input": self.duplicates_in_input,
            "duplicates_removed": self.duplicates_removed,
        }


def sanitize(record: dict[str, Any], fields: Sequence[str] = ()) -> dict[str, Any]:
    """A copy whose strings Label Studio can store (no NUL, no lone surrogates), with every field the
    label config shows present: Label Studio rejects a whole batch when one task lacks a `$field`."""
    clean = {k: normalize_text(v)[0] if isinstance(v, str) else v for k, v in record.items()}
    for name in fields:
        if clean.get(name) is None:
            clean[name] = ""
    return clean


class Journal:
    """The batch in flight per server project, in a small JSON file (config folder)."""

    def __init__(self, path: Path, url: str, project_id: int) -> None:
        self.path, self.key = path, f"{url} {project_id}"

    def _read(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)

    def pending(self) -> dict[str, Any] | None:
        return self._read().get(self.key)

    def begin(self, sentence_ids: list[str]) -> None:
        self._write(self._read() | {self.key: {"sentence_ids": sentence_ids, "started_at": time.time()}})

    def end(self) -> None:
        data = self._read()
        data.pop(self.key, None)
        self._write(data)


def _by_key(tasks: list[Any], key: str = SENTENCE_ID) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for task in tasks:
        if key in task.data:
            found[str(task.data[key])].append(task)
    return found


def _wait_for_pending(
    client: _TaskServer, project_id: int, journal: Journal, log: Callable[[str], None], key: str = SENTENCE_ID
) -> bool:
    """Wait for a batch a killed run left in flight. True if there was one."""
    pending = journal.pending()
    if not pending:
        return False
    wanted = set(pending["sentence_ids"])
    log(f"A previous load was interrupted with {len(wanted)} tasks in flight; waiting for the server to finish them")
    count, quiet_since = -1, time.monotonic()
    while time.time() - pending["started_at"] < PENDING_WAIT:
        tasks = client.tasks(project_id)
        if wanted <= set(_by_key(tasks, key)):
            break
        if len(tasks) != count:
            count, quiet_since = len(tasks), time.monotonic()
        elif time.monotonic() - quiet_since > PENDING_QUIET:
            break
        time.sleep(2.0)
    journal.end()
    return True


def remove_duplicates(
    client: _TaskServer, project_id: int, key: str = SENTENCE_ID, compare: Sequence[str] = (TEXT,)
) -> int:
    """Delete extra copies of a task (same key and compared fields) that have no annotations."""
    removed = 0
    for copies in _by_key(client.tasks(project_id), key).values():
        if len(copies) < 2:
            continue
        keep = max(copies, key=lambda t: (t.annotations, -t.id))  # annotated, else the oldest
        for task in copies:
            same = all(task.data.get(f) == keep.data.get(f) for f in compare)
            if task is not keep and task.annotations == 0 and same:
                client.delete_task(task.id)
                removed += 1
    return removed


def load_tasks(
    client: _TaskServer,
    project_id: int,
    records: Sequence[dict[str, Any]],
    *,
    journal_path: Path,
    fields: Sequence[str] = (),
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
    log: Callable[[str], None] = lambda _message: None,
    key: str = SENTENCE_ID,
    compare: Sequence[str] = (TEXT,),
    predictions: dict[str, list[dict[str, Any]]] | None = None,
    hide: Sequence[str] = (),
) -> LoadReport:
    """Create a task for each record whose `key` is not in the project yet; a record whose key is
    present but whose `compare` fields differ is reported as changed, not overwritten. `predictions`
    (key -> predictions) are imported with the new tasks; `hide` fields go to the task's meta instead
    of its data."""
    report = LoadReport()
    journal = Journal(journal_path, client.url, project_id)
    interrupted = False if dry_run else _wait_for_pending(client, project_id, journal, log, key)
    existing = _by_key(client.tasks(project_id), key)
    pending: list[dict[str, Any]] = []
    seen: set[str] = set()
    for record in records:
        record = sanitize(record, fields)
        sid = str(record[key])
        if sid in seen:
            report.duplicates_in_input += 1
            continue
        seen.add(sid)
        if sid in existing:
            report.present += 1
            if any(existing[sid][0].data.get(f) != record.get(f) for f in compare):
                report.changed.append(sid)
            continue
        pending.append(record)
    if dry_run:
        report.created = len(pending)
        return report
    progress(0, len(pending))
    for start in range(0, len(pending), batch_size):
        batch = pending[start : start + batch_size]
        journal.begin([str(r[key]) for r in batch])
        tasks = [_task(r, hide) for r in batch]
        if predictions:
            for task in tasks:
                task["predictions"] = predictions.get(str(task["data"][key]), [])
        try:
            report.created += len(client.import_tasks(project_id, tasks))
        except LabelStudioAPIError:
            journal.end()  # the server answered with an error: an import is one transaction, nothing landed
            raise
        journal.end()
        progress(report.created, len(pending))
    # Copies can only exist if an earlier run was killed mid-batch: then check (one more listing).
    if interrupted or any(len(copies) > 1 for copies in existing.values()):
        report.duplicates_removed = remove_duplicates(client, project_id, key, compare)
    return report


def _task(record: dict[str, Any], hide: Sequence[str]) -> dict[str, Any]:
    hidden = {f: record[f] for f in hide if record.get(f) is not None}
    if not hidden:
        return {"data": record}
    return {"data": {k: v for k, v in record.items() if k not in hidden}, "meta": hidden}


def reference_predictions(records: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """sentence_id -> the reference label as a claim_status prediction, on each corpus's own scale
    (articles/rows.py: CheckThat!'s No is suggested as no_claim)."""
    from annotate.articles.rows import reference_scale, suggested_status
    from annotate.labelstudio.results import prediction, status_result

    labels: dict[str, set[str]] = defaultdict(set)
    for record in records:
        if record.get(REFERENCE_LABEL) is not None:
            labels[str(record.get(CORPUS))].add(str(record[REFERENCE_LABEL]))
    scales = {corpus: reference_scale(found) for corpus, found in labels.items()}
    found = {}
    for record in records:
        scale = scales.get(str(record.get(CORPUS)))
        status = suggested_status(str(record.get(REFERENCE_LABEL)), scale[1]) if scale else None
        if status:
            result = status_result(status)
            found[str(record[SENTENCE_ID])] = [prediction(None, result, model_version=REFERENCE_MODEL_VERSION)]
    return found


@dataclass
class LoadFilesReport:
    load: LoadReport
    rejected: list[str]  # one located line per bad task record
    project: str
    project_id: int
    dry_run: bool
    reference_as: str = "hidden"
    references: int = 0  # records with a reference label

    def as_dict(self) -> dict[str, Any]:
        return self.load.as_dict() | {"rejected": len(self.rejected), "project_id": self.project_id,
                                      "dry_run": self.dry_run, "reference_as": self.reference_as,
                                      "reference_labels": self.references}  # fmt: skip

    def text(self) -> str:
        verb = "would create" if self.dry_run else "created"
        return (
            f"{verb} {self.load.created}, already present {self.load.present}, rejected {len(self.rejected)} "
            f"(project {self.project!r}, id {self.project_id})"
            + (f"; {self.references} reference label(s) {self.reference_as}" if self.references else "")
        )


def load_files(
    client: Any, spec: Any, task_files: Sequence[Path], *, config_dir: Path, dry_run: bool = False,
    progress: Callable[[int, int], None] = lambda _done, _total: None, log: Callable[[str], None] = lambda _m: None,
    reference_as: str = "hidden",
) -> LoadFilesReport:  # fmt: skip
    """`annotate load`: the task files' good records into the project of `spec`; bad records are
    reported (and returned), the rest still load. Reference labels of benchmark rows are kept out
    of the annotators' sight (`reference_as` hidden) or shown as the active suggestions (predictions)."""
    from annotate.errors import UsageError

    if reference_as not in REFERENCE_AS:
        raise UsageError(f"--reference-as is hidden or predictions, not {reference_as!r}")
    from annotate.articles.tasks import read_tasks
    from annotate.labelstudio.projects import require_project

    records: list[dict[str, Any]] = []
    rejected: list[str] = []
    for path in task_files:
        good, bad = read_tasks(path)
        records += good
        rejected += bad
    for line in rejected:
        log(f"Error: {line}")
    project_id = require_project(client, spec, config_dir=config_dir)
    references = sum(r.get(REFERENCE_LABEL) is not None for r in records)
    shown = reference_as == "predictions" and references
    report = load_tasks(client, project_id, records, journal_path=config_dir / JOURNAL_FILE,
                        fields=spec.data_fields(), dry_run=dry_run, progress=progress, log=log,
                        hide=() if shown else (REFERENCE_LABEL,),
                        predictions=reference_predictions(records) if shown else None)  # fmt: skip
    if shown and not dry_run:
        client.set_model_version(project_id, REFERENCE_MODEL_VERSION)
    for sid in report.changed:
        log(f"Warning: task {sid} is already loaded with a different text; left unchanged")
    return LoadFilesReport(report, rejected, spec.name, project_id, dry_run, reference_as, references)
