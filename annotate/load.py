"""Load task records into a Label Studio project, idempotently by sentence_id.

Label Studio does not deduplicate imports (re-importing 50 tasks gives 100) and ignores task ids,
so the project's own tasks are the record of what is already loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .ingest import normalize_text

# One POST of 1,000 tasks took 0.41 s on the real server; 10,000 in one call 4.0 s.
BATCH_SIZE = 1000


class _TaskServer(Protocol):
    def task_data(self, project_id: int) -> list[tuple[int, dict[str, Any]]]: ...
    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]: ...


@dataclass
class LoadReport:
    created: int = 0
    present: int = 0
    changed: list[str] = field(default_factory=list)  # sentence ids whose text differs on the server
    duplicates_in_input: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "already_present": self.present,
            "changed": self.changed,
            "duplicates_in_input": self.duplicates_in_input,
        }


def sanitize(record: dict[str, Any]) -> dict[str, Any]:
    """A copy whose strings Label Studio can store (no NUL, no lone surrogates)."""
    return {k: normalize_text(v)[0] if isinstance(v, str) else v for k, v in record.items()}


def load_tasks(
    client: _TaskServer,
    project_id: int,
    records: Sequence[dict[str, Any]],
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> LoadReport:
    report = LoadReport()
    existing = {str(data["sentence_id"]): data for _, data in client.task_data(project_id) if "sentence_id" in data}
    pending: list[dict[str, Any]] = []
    seen: set[str] = set()
    for record in records:
        record = sanitize(record)
        sid = str(record["sentence_id"])
        if sid in seen:
            report.duplicates_in_input += 1
            continue
        seen.add(sid)
        if sid in existing:
            report.present += 1
            if existing[sid].get("text") != record["text"]:
                report.changed.append(sid)
            continue
        pending.append(record)
    if dry_run:
        report.created = len(pending)
        return report
    for start in range(0, len(pending), BATCH_SIZE):
        batch = pending[start : start + BATCH_SIZE]
        report.created += len(client.import_tasks(project_id, [{"data": r} for r in batch]))
        progress(report.created, len(pending))
    return report
