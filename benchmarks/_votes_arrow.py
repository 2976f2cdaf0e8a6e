"""The Arrow-column Votes that benchmarks/votes_bench.py measures against annotate/dataset/votes.py
(the same interface: agreement reads either). annotate does not use it: RESULTS.md, section votes.

Each task is read into rows of Arrow columns and dropped: a row a task (its unit id, whether it is a
review, its data's codes) and a row an annotation (its task's row, annotator, age, claim_status
answer, claim types as bits, ground truth, CLAIM and SOURCE spans), Python lists turned into record
batches every BATCH rows. Once all are read, pyarrow's sort and group_by keep what collect() keeps:
each unit's data from its first task that is not a review, each annotator's newest annotation of a
unit, each unit's newest adjudication. What stays is a few columns of codes, about 130 bytes a
sentence at 2.6 annotations each; but every annotation read is held until then, and the merge's
sorts and groups pass through more (the process's peak is the hand-built store's three times)."""

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from annotate.dataset.collect import Collection, pseudonym, unit_key
from annotate.dataset.gold import gold_status
from annotate.labelstudio.exported.exports import ExportSet
from annotate.labelstudio.exported.views import Annotation, Task
from annotate.vocabulary import ADJUDICATION_OF, CLAIM, CLAIM_STATUS, CLAIM_TYPES, CORPUS, REFERENCE_LABEL, SOURCE

SPAN_BITS = {CLAIM: 1, SOURCE: 2}  # the span labels agreement compares
BATCH = 1 << 13  # rows kept as Python lists before they become a record batch

TASKS = pa.schema([("sid", pa.string()), ("review", pa.bool_()), ("hidden", pa.bool_()),
                   ("reference", pa.int32()), ("corpus", pa.int32())])  # fmt: skip
SPAN = pa.struct([("start", pa.int32()), ("end", pa.int32()), ("bits", pa.int8())])
ANNOTATIONS = pa.schema([("task", pa.int64()), ("who", pa.int32()), ("updated", pa.string()), ("id", pa.int64()),
                         ("answer", pa.int32()), ("truth", pa.bool_()), ("types", pa.int64()),
                         ("spans", pa.list_(SPAN))])  # fmt: skip


class _Codes(dict[str, int]):
    """Strings numbered in the order they first appear."""

    def code(self, value: str) -> int:
        found = self.get(value)
        if found is None:
            found = self[value] = len(self)
        return found

    def names(self) -> list[str]:
        return list(self)


class _Rows:
    """Rows appended a column at a time to Python lists, which become a record batch every BATCH rows."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema, self.count, self.batches = schema, 0, list[pa.RecordBatch]()
        self.columns: list[list[Any]] = [[] for _ in schema]

    def append(self, *row: Any) -> int:
        """Append a row: its number."""
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)
        self.count += 1
        if len(self.columns[0]) == BATCH:
            self._flush()
        return self.count - 1

    def _flush(self) -> None:
        arrays = [pa.array(column, type=field.type) for column, field in zip(self.columns, self.schema, strict=True)]
        self.batches.append(pa.record_batch(arrays, schema=self.schema))
        self.columns = [[] for _ in self.schema]

    def table(self) -> pa.Table:
        """The rows as one table, numbered in a column `row`; the batches are let go."""
        self._flush()
        table, self.batches = pa.Table.from_batches(self.batches, self.schema), []
        return table.append_column("row", pa.array(np.arange(self.count)))


def _ints(typecode: str, values: Any) -> array:
    """An array of Python ints (what agreement indexes one at a time) of Arrow or numpy values."""
    return array(typecode, np.asarray(values, dtype=np.dtype(typecode)).tobytes())


def _firsts(table: pa.Table, keys: list[str], columns: list[str]) -> dict[str, np.ndarray]:
    """The keys and columns of the first row of each value of the keys, in the order the values
    first appear (group_by keeps the rows' order without threads)."""
    found = table.group_by(keys, use_threads=False).aggregate([(c, "first") for c in columns])
    return {c: found[c].to_numpy() for c in keys} | {c: found[f"{c}_first"].to_numpy() for c in columns}


@dataclass(eq=False)
class Votes:
    """Per unit and annotator the codes agreement needs: no task, annotation or text. Units are
    numbered in order of first appearance; unit u's counted annotations (records) are
    start[u]:start[u + 1], in the order their annotators first annotated it; record r's spans are
    span_at[r]:span_at[r] + span_count[r] in the span columns."""

    units: pa.StringArray  # unit ids
    annotators: _Codes
    values: _Codes  # claim_status answers and reference labels
    types: _Codes  # claim types, bits of type_bits
    corpora: _Codes
    # per unit
    reference: array
    corpus: array
    hidden: array
    start: array
    adjudication: dict[int, int]  # unit -> the newest adjudication's answer code
    # per record
    who: array
    answer: array
    truth: array
    type_bits: array
    span_at: array
    span_count: array
    # per span
    span_start: array
    span_end: array
    span_bits: array
    _ranks: np.ndarray | None = None

    @property
    def n_units(self) -> int:
        return len(self.units)

    def records(self, unit: int) -> range:
        """The unit's counted annotations, in the order their annotators first annotated it."""
        return range(self.start[unit], self.start[unit + 1])

    def answers(self, unit: int) -> dict[int, int]:
        """annotator -> claim_status answer (codes), annotators without one left out."""
        return {self.who[r]: self.answer[r] for r in self.records(unit) if self.answer[r] != -1}

    def sids(self) -> Iterator[str]:
        return iter(self.units.to_pylist())

    def sid(self, unit: int) -> str:
        return self.units[unit].as_py()

    def ranks(self) -> np.ndarray:
        """Each unit's place in the units sorted by id (Arrow compares UTF-8 bytes: code points' order)."""
        if self._ranks is None:
            self._ranks = np.empty(self.n_units, dtype=np.int64)
            self._ranks[pc.sort_indices(self.units).to_numpy()] = np.arange(self.n_units)
        return self._ranks

    def gold(self) -> list[str | None]:
        """Each unit's gold claim_status (gold.gold_status's policy), by unit."""
        names = self.values.names()
        found: list[str | None] = []
        for unit in range(self.n_units):
            answers = {self.who[r]: names[self.answer[r]] for r in self.records(unit) if self.answer[r] != -1}
            truths = {self.who[r]: _Truth(bool(self.truth[r])) for r in self.records(unit)}
            held = self.adjudication.get(unit, -1)
            found.append(gold_status(truths, answers, names[held] if held != -1 else None)[0])  # type: ignore[arg-type]
        return found


class VoteRows:
    """Tasks read into record batches, merged into Votes by votes() as collect() merges them (by
    sentence_id, claim_id for verification tasks; the newest annotation of each annotator counts;
    review tasks' annotations are adjudications)."""

    def __init__(self, *, keep_identity: bool = False) -> None:
        self.keep_identity = keep_identity
        self.annotators, self.values, self.types, self.corpora = _Codes(), _Codes(), _Codes(), _Codes()
        self._pseudonyms: dict[str, int] = {}
        self._tasks, self._annotations = _Rows(TASKS), _Rows(ANNOTATIONS)

    def add(self, tasks: Iterable[Task]) -> None:
        for task in tasks:
            self.add_task(task)

    def add_task(self, task: Task) -> None:
        data = task.data
        row = self.task_row(unit_key(data, task.id), data, review=ADJUDICATION_OF in data, hidden=task.reference_hidden)
        for annotation in task.annotations():
            if not annotation.cancelled:
                self.add_annotation(row, annotation, self._annotator(annotation))

    def task_row(self, sid: str, data: Any, *, review: bool, hidden: bool) -> int:
        """Append a task of the unit sid: its row."""
        reference = data.get(REFERENCE_LABEL)
        codes = -1 if reference is None else self.values.code(str(reference)), self.corpora.code(str(data.get(CORPUS)))
        return self._tasks.append(sid, review, hidden, *codes)

    def _annotator(self, annotation: Annotation) -> int:
        name = annotation.annotator
        found = self._pseudonyms.get(name)
        if found is None:
            found = self._pseudonyms[name] = self.annotators.code(name if self.keep_identity else pseudonym(name))
        return found

    def add_annotation(self, task_row: int, annotation: Annotation, who: int) -> None:
        """Append an annotation of the task in row task_row, by annotator code who."""
        updated, ident = annotation.age()
        chosen = annotation.choices(CLAIM_STATUS)
        answer = self.values.code(chosen[0]) if chosen else -1
        bits = 0
        for claim_type in set(annotation.choices(CLAIM_TYPES)):
            bits |= 1 << self.types.code(claim_type)
        spans = []
        for span in annotation.spans():
            labels = span.labels
            if label_bits := (CLAIM in labels) * SPAN_BITS[CLAIM] + (SOURCE in labels) * SPAN_BITS[SOURCE]:
                spans.append((span.start, span.end, label_bits))
        self._annotations.append(task_row, who, updated, ident, answer, annotation.ground_truth, bits, spans)

    def votes(self) -> Votes:
        """The Votes of the rows read (the rows are let go)."""
        tasks = self._tasks.table()
        encoded = tasks["sid"].combine_chunks().dictionary_encode()  # units numbered in order of first appearance
        units = encoded.dictionary
        tasks = tasks.append_column("unit", encoded.indices)
        hidden = _firsts(tasks, ["unit"], ["hidden"])["hidden"]
        # a unit's data is its first task's, replaced by the first task that is not a review
        data = _firsts(
            tasks.sort_by([("unit", "ascending"), ("review", "ascending")]), ["unit"], ["reference", "corpus"]
        )
        notes = self._annotations.table()
        of_task = tasks.select(["unit", "review"]).take(notes["task"])
        ages = pa.table({"unit": of_task["unit"], "who": notes["who"], "updated": notes["updated"], "id": notes["id"],
                         "row": notes["row"], "review": of_task["review"]})  # fmt: skip
        # an adjudication: the newest of the unit's, the first read of equal ages (review tasks are few)
        newest = ages.filter(pc.field("review")).sort_by([("updated", "descending"), ("id", "descending"),
                                                          ("row", "ascending")])  # fmt: skip
        adjudicated = _firsts(newest, ["unit"], ["row"])
        # a record: the annotator's newest annotation of the unit (the last read of equal ages), in
        # the order the unit's annotators first annotated it (sorted as indices: no copy of the texts)
        order = pc.sort_indices(ages, [("updated", "descending"), ("id", "descending"), ("row", "descending")])
        newest = ages.select(["unit", "who", "row", "review"]).take(order).filter(~pc.field("review"))
        kept = newest.group_by(["unit", "who"], use_threads=False).aggregate([("row", "first"), ("row", "min")])
        kept = kept.sort_by([("unit", "ascending"), ("row_min", "ascending")])
        records = notes.select(["who", "answer", "truth", "types", "spans"]).take(kept["row_first"])
        counts = pc.list_value_length(records["spans"]).to_numpy()
        spans = pc.list_flatten(records["spans"])
        return Votes(
            units=units,
            annotators=self.annotators, values=self.values, types=self.types, corpora=self.corpora,
            reference=_ints("i", data["reference"]), corpus=_ints("i", data["corpus"]), hidden=_ints("b", hidden),
            # unit u's records start after those of the units before it
            start=_ints("q", np.cumsum(np.bincount(kept["unit"].to_numpy() + 1, minlength=len(units) + 1))),
            adjudication=dict(zip(adjudicated["unit"].tolist(), notes["answer"].take(adjudicated["row"]).to_pylist(),
                                  strict=True)),
            who=_ints("i", records["who"]), answer=_ints("i", records["answer"]), truth=_ints("b", records["truth"]),
            type_bits=_ints("i" if (pc.max(records["types"]).as_py() or 0) < 2**31 else "q", records["types"]),
            span_at=_ints("q", np.cumsum(counts) - counts), span_count=_ints("i", counts),
            span_start=_ints("i", pc.struct_field(spans, "start")), span_end=_ints("i", pc.struct_field(spans, "end")),
            span_bits=_ints("b", pc.struct_field(spans, "bits")),
        )  # fmt: skip


class _Truth(NamedTuple):
    ground_truth: bool


def votes_of(collection: Collection) -> Votes:
    """The Votes of a collection that combine built (the same units, annotations and adjudications)."""
    rows = VoteRows(keep_identity=True)  # the collection's annotators are named already
    for sid, s in collection.sentences.items():
        task = rows.task_row(sid, s.data, review=s.task_id is None, hidden=s.reference_hidden)
        for who, annotation in s.annotations.items():
            rows.add_annotation(task, annotation, rows.annotators.code(who))
        if s.adjudication is not None:
            task = rows.task_row(sid, s.data, review=True, hidden=s.reference_hidden)
            rows.add_annotation(task, s.adjudication[1], rows.annotators.code(s.adjudication[0]))
    return rows.votes()


def read_votes(exports: ExportSet, *, keep_identity: bool = False) -> Votes:
    """The valid tasks of the exports merged into Votes, one task at a time. Raises ExportsInvalid
    if any task has an error."""
    rows = VoteRows(keep_identity=keep_identity)
    for tasks in exports.tasks():
        rows.add(tasks)
    exports.check()
    return rows.votes()
