"""Load task records into a Label Studio project: idempotent by sentence_id, batched, resumable.

Label Studio does not deduplicate imports (re-importing 50 tasks gives 100) and ignores task ids,
so the project's own tasks are the record of what is loaded. A killed client does not cancel a
batch the server is still importing, so each batch is noted in a journal before it is sent; a
rerun first waits for a batch a killed run left in flight, and every run ends by removing
duplicate, unannotated copies of a task.

Listing a project costs Label Studio about 1 ms a task (10,000: ~10 s), so `annotate load` keeps a
ledger of what it loaded (task id, key, digest of the compared fields) and proves it against the
server each run with counting queries instead (see Ledger and known_tasks).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from annotate.articles.read import normalize_text
from annotate.errors import LabelStudioAPIError
from annotate.outputs import write_atomic
from annotate.vocabulary import CONTEXT_BEFORE, CORPUS, REFERENCE_LABEL, SENTENCE_ID, TEXT, TITLE, TITLE_ABOVE

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
# The ledgers' folder in annotate's config folder: one file per server project.
LEDGER_DIR = "load-ledgers"
# Id ranges per counting query: each is ~130 characters of URL, and the dev server reads request
# lines of up to 64 KiB.
RANGES_PER_QUERY = 200


class Records(Protocol):
    """The records to load: iterated once (lazily: a stream of task files is never held whole), and
    how many there are, for progress."""

    def __iter__(self) -> Iterator[dict[str, Any]]: ...
    def __len__(self) -> int: ...


class _TaskServer(Protocol):
    url: str

    def tasks(self, project_id: int) -> list[Any]: ...
    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]: ...
    def delete_task(self, task_id: int) -> None: ...


class _CountingServer(_TaskServer, Protocol):
    """What a ledger is checked with (annotate.labelstudio.api.client.Client)."""

    def project_created_at(self, project_id: int) -> str | None: ...
    def task_count(self, project_id: int, *, within: Sequence[tuple[int, int]] | None = None) -> int: ...
    def tasks(self, project_id: int, *, outside: Sequence[tuple[int, int]] | None = None) -> list[Any]: ...


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


def title_above(record: dict[str, Any]) -> str:
    """The title to show above a unit: none where the unit, or the unit before it, is the headline."""
    title = record.get(TITLE)
    if not isinstance(title, str) or not title.strip():
        return ""
    shown = {str(record.get(k) or "").strip() for k in (TEXT, CONTEXT_BEFORE)}
    return "" if title.strip() in shown else title


def sanitize(record: dict[str, Any], fields: Sequence[str] = ()) -> dict[str, Any]:
    """A copy whose strings Label Studio can store (no NUL, no lone surrogates), with every field the
    label config shows present: Label Studio rejects a whole batch when one task lacks a `$field`."""
    clean = {k: normalize_text(v)[0] if isinstance(v, str) else v for k, v in record.items()}
    if TITLE_ABOVE in fields and TITLE_ABOVE not in clean:
        clean[TITLE_ABOVE] = title_above(clean)
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
        write_atomic(self.path, json.dumps(data))

    def pending(self) -> dict[str, Any] | None:
        return self._read().get(self.key)

    def begin(self, sentence_ids: list[str]) -> None:
        self._write(self._read() | {self.key: {"sentence_ids": sentence_ids, "started_at": time.time()}})

    def end(self) -> None:
        data = self._read()
        data.pop(self.key, None)
        self._write(data)


def digest(data: dict[str, Any], compare: Sequence[str]) -> str:
    """A short fingerprint of the compared fields, to tell a changed record without keeping it."""
    values = json.dumps([data.get(f) for f in compare], ensure_ascii=False, sort_keys=True)
    return hashlib.blake2b(values.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


# key -> [(task id, digest of the compared fields)] of the tasks in a project
Known = dict[str, list[tuple[int, str]]]


def id_ranges(ids: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted runs of consecutive ids as (first, last): one import's tasks get consecutive ids, so a
    project's ids are a few runs."""
    runs: list[tuple[int, int]] = []
    for i in sorted(set(ids)):
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


class Ledger:
    """The tasks this machine knows in one server project: task id -> (key, digest), one JSON line
    each after a header naming the server, the project (and its creation time, so a reset server
    that reuses the project id is not taken for the same project), the key and the compared fields.

    A cache, never the truth: known_tasks proves it against the server before it is used.
    """

    def __init__(self, folder: Path, url: str, project_id: int, *, stamp: str, key: str, compare: Sequence[str]):
        name = hashlib.sha256(f"{url} {project_id}".encode()).hexdigest()[:16]
        self.path = folder / f"{name}.jsonl"
        self.header = {"server": url, "project": project_id, "created_at": stamp, "key": key,
                       "compare": list(compare)}  # fmt: skip

    def read(self) -> dict[int, tuple[str, str]]:
        """The entries, or none if the file is missing, unreadable, or about another project or
        key. A line cut off by a killed run is skipped (its tasks are found on the server)."""
        entries: dict[int, tuple[str, str]] = {}
        try:
            with self.path.open(encoding="utf-8") as fh:  # a line at a time: a million lines are 100 MB
                if json.loads(fh.readline()) != self.header:
                    return {}
                for line in fh:
                    try:
                        task_id, key, fingerprint = json.loads(line)
                        entries[int(task_id)] = (str(key), str(fingerprint))
                    except (ValueError, TypeError):
                        continue
        except (OSError, UnicodeDecodeError, ValueError):
            return {}
        return entries

    def _lines(self, entries: Iterable[tuple[int, str, str]]) -> str:
        return "".join(json.dumps([i, k, d], ensure_ascii=False) + "\n" for i, k, d in entries)

    def _ours(self) -> bool:
        try:
            with self.path.open(encoding="utf-8") as fh:
                return bool(json.loads(fh.readline()) == self.header)
        except (OSError, ValueError):
            return False

    def add(self, entries: Sequence[tuple[int, str, str]]) -> None:
        if not self._ours():  # missing, or about an earlier project with this id: start afresh
            self.replace({})
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(self._lines(entries))
            fh.flush()
            os.fsync(fh.fileno())

    def replace(self, entries: dict[int, tuple[str, str]]) -> None:
        rows = ((i, k, d) for i, (k, d) in sorted(entries.items()))
        write_atomic(self.path, json.dumps(self.header) + "\n" + self._lines(rows))


def _entries(tasks: Iterable[Any], key: str, compare: Sequence[str]) -> dict[int, tuple[str, str]]:
    return {int(t.id): (str(t.data[key]), digest(t.data, compare)) for t in tasks if key in t.data}


def _known(entries: dict[int, tuple[str, str]]) -> Known:
    """The entries by key. Empties `entries` as it goes, so that both are not held in full at once."""
    known: Known = defaultdict(list)
    for task_id in sorted(entries):
        k, fingerprint = entries.pop(task_id)
        known[k].append((task_id, fingerprint))
    return known


def _chunks(ranges: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    return [ranges[i : i + RANGES_PER_QUERY] for i in range(0, len(ranges), RANGES_PER_QUERY)]


def known_tasks(
    client: _CountingServer, project_id: int, ledger: Ledger, *, key: str, compare: Sequence[str],
    log: Callable[[str], None] = lambda _m: None,
) -> Known:  # fmt: skip
    """The project's tasks by key, from the ledger when the server proves it, else from a listing.

    The proof, in counting queries (about 0.15 s each, whatever the project's size): the number of
    the project's tasks whose id lies in the ledger's id ranges (runs of consecutive ledger ids, so
    every id in a range is a ledger id) equals the number of ledger entries. Task ids are primary
    keys, unique and never reused (Django's AutoField: AUTOINCREMENT on SQLite, a sequence on
    PostgreSQL), so that count is exactly how many ledger tasks are still in the project: one
    deleted, or moved away, makes it smaller, whatever was added meanwhile. Then the project's
    total minus that count is how many tasks the ledger does not know (loaded from elsewhere, or by
    a run killed before it wrote the ledger); those alone are listed and added. A shortfall, or a
    ledger about another project, means one full listing, which rewrites the ledger.

    What it trusts: that the data of a task is not edited in place on the server (Label Studio's
    web UI does not; its API can), as a listing would show the edit.
    """
    entries = ledger.read()
    total = client.task_count(project_id)
    ranges = id_ranges(entries)
    if not entries or total == 0:
        inside = 0
    else:
        inside = sum(client.task_count(project_id, within=chunk) for chunk in _chunks(ranges))
    if inside != len(entries):
        log(f"{len(entries) - inside} of the {len(entries)} tasks this machine loaded into project {project_id} "
            "are no longer on the server; listing the project")  # fmt: skip
        entries = _entries(client.tasks(project_id), key, compare)
        ledger.replace(entries)
    elif total > inside:
        if not entries:  # nothing known (or the file was about another project): list, start afresh
            entries = _entries(client.tasks(project_id), key, compare)
            ledger.replace(entries)
        elif len(ranges) <= RANGES_PER_QUERY:
            new = _entries(client.tasks(project_id, outside=ranges), key, compare)
            entries.update(new)
            ledger.add([(i, k, d) for i, (k, d) in new.items()])
        else:
            entries = _entries(client.tasks(project_id), key, compare)
            ledger.replace(entries)
    return _known(entries)


def _listed(client: _TaskServer, project_id: int, key: str, compare: Sequence[str]) -> Known:
    return _known(_entries(client.tasks(project_id), key, compare))


def _by_key(tasks: list[Any], key: str = SENTENCE_ID) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = defaultdict(list)
    for task in tasks:
        if key in task.data:
            found[str(task.data[key])].append(task)
    return found


def _wait_for_pending(
    journal: Journal, log: Callable[[str], None], present: Callable[[], tuple[set[str], int]]
) -> bool:
    """Wait for a batch a killed run left in flight. True if there was one. `present` gives the keys
    on the server that may include the batch's, and how many tasks it looked at."""
    pending = journal.pending()
    if not pending:
        return False
    wanted = set(pending["sentence_ids"])
    log(f"A previous load was interrupted with {len(wanted)} tasks in flight; waiting for the server to finish them")
    count, quiet_since = -1, time.monotonic()
    while time.time() - pending["started_at"] < PENDING_WAIT:
        keys, seen = present()
        if wanted <= keys:
            break
        if seen != count:
            count, quiet_since = seen, time.monotonic()
        elif time.monotonic() - quiet_since > PENDING_QUIET:
            break
        time.sleep(2.0)
    journal.end()
    return True


def _duplicates(
    client: _TaskServer, project_id: int, key: str = SENTENCE_ID, compare: Sequence[str] = (TEXT,)
) -> list[int]:
    removed = []
    for copies in _by_key(client.tasks(project_id), key).values():
        if len(copies) < 2:
            continue
        keep = max(copies, key=lambda t: (t.annotations, -t.id))  # annotated, else the oldest
        for task in copies:
            same = all(task.data.get(f) == keep.data.get(f) for f in compare)
            if task is not keep and task.annotations == 0 and same:
                client.delete_task(task.id)
                removed.append(task.id)
    return removed


@dataclass(frozen=True)
class LoadOptions:
    """How load_tasks loads: `key` identifies a record (a record whose key is present but whose
    `compare` fields differ is reported as changed, not overwritten); `fields` are the data fields
    the config shows (every task gets them); `predictions` (a sanitised record -> its predictions)
    are imported with the new tasks; `hide` fields go to the task's meta instead of its data; with
    `ledger_dir` (and a client that counts tasks) what is loaded is known from a ledger the server
    proves (known_tasks), not from listing every task."""

    journal_path: Path
    ledger_dir: Path | None = None
    fields: Sequence[str] = ()
    dry_run: bool = False
    batch_size: int | None = None  # None: BATCH_SIZE
    progress: Callable[[int, int], None] = lambda _done, _total: None
    log: Callable[[str], None] = lambda _message: None
    key: str = SENTENCE_ID
    compare: Sequence[str] = (TEXT,)
    predictions: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None
    hide: Sequence[str] = ()


Flight = tuple[Future[list[int]], list[dict[str, Any]], list[tuple[int, str, str]]]


def load_tasks(client: _TaskServer, project_id: int, records: Records, options: LoadOptions) -> LoadReport:
    """Create a task for each record whose key is not in the project yet (see LoadOptions).
    `records` are read once, one at a time, and never held."""
    o, report = options, LoadReport()
    journal = Journal(o.journal_path, client.url, project_id)
    ledger = None
    if o.ledger_dir is not None and hasattr(client, "task_count"):  # tests' fakes that only list: no ledger
        stamp = client.project_created_at(project_id) or ""  # type: ignore[attr-defined]
        ledger = Ledger(o.ledger_dir, client.url, project_id, stamp=stamp, key=o.key, compare=o.compare)
    presence = _presence(client, project_id, ledger, o.key)
    interrupted = False if o.dry_run else _wait_for_pending(journal, o.log, presence)
    if ledger is not None:
        existing = known_tasks(client, project_id, ledger, key=o.key, compare=o.compare, log=o.log)  # type: ignore[arg-type]
    else:
        existing = _listed(client, project_id, o.key, o.compare)
    fresh = _NewRecords(records, existing, report, o)
    if o.dry_run:
        report.created = sum(1 for _ in fresh)
        return report
    o.progress(0, len(records))  # records handled, of all records
    _send(client, project_id, fresh, journal, ledger, report, o)
    o.progress(len(records), len(records))
    # Copies can only exist if an earlier run was killed mid-batch: then check (one more listing).
    if interrupted or any(len(copies) > 1 for copies in existing.values()):
        removed = _duplicates(client, project_id, o.key, o.compare)
        report.duplicates_removed = len(removed)
        if ledger is not None and removed:
            entries = ledger.read()
            ledger.replace({i: e for i, e in entries.items() if i not in set(removed)})
    return report


class _NewRecords:
    """The records to create, sanitised, as they are needed (made ready while a batch is in flight);
    duplicates in the input, present and changed records are counted in the report."""

    def __init__(self, records: Records, existing: dict[str, Any], report: LoadReport, o: LoadOptions) -> None:
        self.records, self.existing, self.report, self.o = records, existing, report, o
        self.examined = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        for record in self.records:
            self.examined += 1
            record = sanitize(record, self.o.fields)
            sid = str(record[self.o.key])
            if sid in seen:
                self.report.duplicates_in_input += 1
                continue
            seen.add(sid)
            if sid in self.existing:
                self.report.present += 1
                if self.existing[sid][0][1] != digest(record, self.o.compare):
                    self.report.changed.append(sid)
                continue
            yield record


def _send(client: _TaskServer, project_id: int, fresh: _NewRecords, journal: Journal, ledger: Ledger | None,
          report: LoadReport, o: LoadOptions) -> None:  # fmt: skip
    """The new records in batches, one in flight at a time (the journal names it); the next is made
    ready meanwhile, so the server never waits for this process between batches."""
    total = len(fresh.records)

    def landed(flight: Flight) -> None:
        future, batch, entries = flight
        try:
            ids = future.result()
        except LabelStudioAPIError:
            journal.end()  # the server answered with an error: an import is one transaction, nothing landed
            raise
        if ledger is not None and len(ids) == len(batch):  # else the next run finds them on the server
            ledger.add([(i, k, d) for i, (_, k, d) in zip(ids, entries, strict=True)])
        report.created += len(ids)
        journal.end()
        o.progress(fresh.examined, total)

    records = iter(fresh)
    with ThreadPoolExecutor(max_workers=1) as sender:
        flight: Flight | None = None
        while batch := list(itertools.islice(records, o.batch_size or BATCH_SIZE)):
            tasks = [_task(r, o.hide) for r in batch]
            if o.predictions:
                for record, task in zip(batch, tasks, strict=True):
                    task["predictions"] = o.predictions(record)
            entries = [(0, str(r[o.key]), digest(r, o.compare)) for r in batch] if ledger is not None else []
            if flight is not None:
                landed(flight)
            journal.begin([str(r[o.key]) for r in batch])
            flight = (sender.submit(client.import_tasks, project_id, tasks), batch, entries)
        if flight is not None:
            landed(flight)


def _presence(
    client: _TaskServer, project_id: int, ledger: Ledger | None, key: str
) -> Callable[[], tuple[set[str], int]]:
    """For _wait_for_pending: the keys of the tasks a killed run's batch may be among. With a
    ledger, only the tasks outside its id ranges: a new batch gets ids above every existing one."""

    def listed() -> tuple[set[str], int]:
        ranges = id_ranges(ledger.read()) if ledger is not None else []
        if ranges and len(ranges) <= RANGES_PER_QUERY:
            tasks = client.tasks(project_id, outside=ranges)  # type: ignore[call-arg]
        else:
            tasks = client.tasks(project_id)
        return set(_by_key(tasks, key)), len(tasks)

    return listed


def _task(record: dict[str, Any], hide: Sequence[str]) -> dict[str, Any]:
    hidden = {f: record[f] for f in hide if record.get(f) is not None}
    if not hidden:
        return {"data": record}
    return {"data": {k: v for k, v in record.items() if k not in hidden}, "meta": hidden}


class ReferencePredictions:
    """A record's reference label as a claim_status prediction, on its corpus's own scale, made from
    the labels seen per corpus (articles/rows.py: CheckThat!'s No is suggested as no_claim)."""

    def __init__(self, labels: dict[str, set[str]]) -> None:
        from annotate.articles.rows import reference_scale

        self.scales = {corpus: reference_scale(found) for corpus, found in labels.items()}

    def __call__(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        from annotate.articles.rows import suggested_status
        from annotate.labelstudio.exported.results import prediction, status_result

        scale = self.scales.get(str(record.get(CORPUS)))
        status = suggested_status(str(record.get(REFERENCE_LABEL)), scale[1]) if scale else None
        if not status:
            return []
        return [prediction(None, status_result(status), model_version=REFERENCE_MODEL_VERSION)]


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
    from annotate.articles.tasks import TaskFiles
    from annotate.labelstudio.api.projects import require_project

    records = TaskFiles.scan(task_files)  # every line checked before any project is made
    for line in records.rejected:
        log(f"Error: {line}")
    project_id = require_project(client, spec, config_dir=config_dir)
    shown = reference_as == "predictions" and records.references
    options = LoadOptions(journal_path=config_dir / JOURNAL_FILE, ledger_dir=config_dir / LEDGER_DIR,
                          fields=spec.data_fields(), dry_run=dry_run, progress=progress, log=log,
                          hide=() if shown else (REFERENCE_LABEL,),
                          predictions=ReferencePredictions(records.reference_labels) if shown else None)  # fmt: skip
    report = load_tasks(client, project_id, records, options)
    if shown and not dry_run:
        client.set_model_version(project_id, REFERENCE_MODEL_VERSION)
    for sid in report.changed:
        log(f"Warning: task {sid} is already loaded with a different text; left unchanged")
    return LoadFilesReport(report, records.rejected, spec.name, project_id, dry_run, reference_as, records.references)
