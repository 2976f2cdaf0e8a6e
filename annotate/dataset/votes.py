"""Votes: what agreement needs of every unit and annotator, kept without a Python object per
sentence or annotation (annotate.dataset.agreement computes the figures from it).

Each task is read, merged in (per unit and annotator only the codes the figures need: the
claim_status answer, claim types as bits, ground truth, CLAIM and SOURCE offsets) and dropped, so a
million sentences fit in memory. Unit ids sit in one UTF-8 buffer (_Ids), update times are packed
into integers that sort as the texts do (_pack_age), the rest are codes in arrays, about 190 bytes
a sentence at 2.6 annotations each (tests/test_agreement_scale.py bounds it).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

from annotate.dataset.collect import Collection, pseudonym
from annotate.dataset.gold import gold_status
from annotate.labelstudio.exported.exports import ExportSet
from annotate.labelstudio.exported.views import Annotation, Task
from annotate.vocabulary import (
    ADJUDICATION_OF,
    CLAIM,
    CLAIM_ID,
    CLAIM_STATUS,
    CLAIM_TYPES,
    CORPUS,
    REFERENCE_LABEL,
    SENTENCE_ID,
    SOURCE,
)

SPAN_BITS = {CLAIM: 1, SOURCE: 2}  # the span labels agreement compares


class _Codes(dict[str, int]):
    """Strings numbered in the order they first appear."""

    def code(self, value: str) -> int:
        found = self.get(value)
        if found is None:
            found = self[value] = len(self)
        return found

    def names(self) -> list[str]:
        return list(self)


class _Ids:
    """Unit ids numbered in the order they first appear, kept as UTF-8 in one buffer with an
    open-addressing table of numbers: about 40 bytes an id where a dict of str would take 100 and
    more (a str object and a dict entry each), a million of them alive until the report."""

    def __init__(self) -> None:
        self._text = bytearray()
        self._ends = array("q")  # id k is _text[_ends[k - 1]:_ends[k]]
        self._hashes = array("q")  # hash() of each id
        self._slots = array("i", [-1]) * 16  # id numbers at hash positions, -1 free
        self._mask = 15

    def __len__(self) -> int:
        return len(self._ends)

    def _bytes(self, k: int) -> bytes:
        return bytes(self._text[self._ends[k - 1] if k else 0 : self._ends[k]])

    def __getitem__(self, k: int) -> str:
        return self._bytes(k).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return (self[k] for k in range(len(self)))

    def number(self, sid: str) -> tuple[int, bool]:
        """The number of sid, and whether it is new."""
        h, mask, slots, hashes, ends = hash(sid), self._mask, self._slots, self._hashes, self._ends
        at = h & mask
        encoded = None
        while (k := slots[at]) != -1:
            if hashes[k] == h:
                if encoded is None:
                    encoded = sid.encode("utf-8")
                if self._text[ends[k - 1] if k else 0 : ends[k]] == encoded:
                    return k, False
            at = (at + 1) & mask
        k = len(ends)
        slots[at] = k
        self._text += sid.encode("utf-8") if encoded is None else encoded
        self._ends.append(len(self._text))
        self._hashes.append(h)
        if 2 * len(self._ends) > mask:
            self._grow()
        return k, True

    def _grow(self) -> None:
        mask = 2 * self._mask + 1
        slots = array("i", [-1]) * (mask + 1)
        for k, h in enumerate(self._hashes):
            at = h & mask
            while slots[at] != -1:
                at = (at + 1) & mask
            slots[at] = k
        self._slots, self._mask = slots, mask

    def ranks(self) -> np.ndarray:
        """Each id's place in the ids sorted as strings (UTF-8's byte order is the code points' order),
        sorted in numpy as fixed-width bytes where that is exact and small, else as str."""
        n = len(self._ends)
        ends = np.array(self._ends, dtype=np.int64)  # a copy: a view would stop the array growing
        starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
        lengths = ends - starts
        width = int(lengths.max()) if n else 0
        if width and n * width <= 2**26 and 0 not in self._text:
            text = np.frombuffer(bytes(self._text), dtype=np.uint8)
            table = np.zeros((n, width), dtype=np.uint8)
            for j in range(width):  # a column at a time: no index array as long as the text
                rows = np.flatnonzero(lengths > j)
                table[rows, j] = text[starts[rows] + j]
            order = np.argsort(table.view(f"S{width}").ravel(), kind="stable")
        else:  # a NUL byte (fixed-width bytes ignore trailing NULs) or very long ids
            order = np.array(sorted(range(n), key=self.__getitem__), dtype=np.int64)
        ranks = np.empty(n, dtype=np.int64)
        ranks[order] = np.arange(n)
        return ranks


_AGE_CHARS = "+-.0123456789:TZ"  # in code point order: the characters of ISO 8601 times
# each byte to its base-17 digit, "!" for a byte that is not one of _AGE_CHARS
_AGE_DIGITS = bytes(b"123456789abcdefg"[_AGE_CHARS.encode().find(b)] if b in _AGE_CHARS.encode() else 33
                    for b in range(256))  # fmt: skip
_AGE_OTHER = -1  # age_hi of an update time that does not pack: the text is in Votes._odd_ages


def _pack_age(updated: str) -> tuple[int, int] | None:
    """An update time of up to 30 ISO 8601 characters as two integers that sort as the texts do:
    each character a base-17 digit (1-16 in code point order), padded with 0s (shorter sorts
    first), 15 digits a word (17**15 < 2**63). None for any other text."""
    if len(updated) > 30 or not updated.isascii():
        return None
    digits = updated.encode("ascii").translate(_AGE_DIGITS)
    if b"!" in digits:
        return None
    digits = digits.ljust(30, b"0")
    return int(digits[:15], 17), int(digits[15:], 17)


def _unpack_age(hi: int, lo: int) -> str:
    chars = []
    for word in (hi, lo):
        digits = []
        for _ in range(15):
            word, digit = divmod(word, 17)
            digits.append(_AGE_CHARS[digit - 1] if digit else "")
        chars += reversed(digits)
    return "".join(chars)


def _put(column: array, at: int, value: int) -> array:
    """The column with value at `at` (appended at its end), widened to 64 bits if value needs it."""
    try:
        if at == len(column):
            column.append(value)
        else:
            column[at] = value
    except OverflowError:
        column = array("q", column)
        return _put(column, at, value)
    return column


class Votes:
    """The units of exports merged as collect() merges them (by sentence_id, claim_id for
    verification tasks; the newest annotation of each annotator counts; review tasks' annotations
    are adjudications), keeping per unit and annotator only codes: no task, annotation or text.

    Units are numbered in order of first appearance; each unit's annotators form a linked list of
    records (`first`, `next`) in the order they first annotated it. A record's age (Annotation.age:
    update time, then id) is kept as three integers that sort as the age does (see _pack_age).
    Columns are as narrow as their values allow (an array refuses a value that does not fit).
    """

    def __init__(self, *, keep_identity: bool = False) -> None:
        self.keep_identity = keep_identity
        self.units = _Ids()
        self.annotators, self.values, self.types, self.corpora = _Codes(), _Codes(), _Codes(), _Codes()
        self._pseudonyms: dict[str, int] = {}
        # per unit
        self.first, self.reference, self.corpus = array("i"), array("i"), array("i")
        self.hidden, self._from_review = array("b"), array("b")
        self.adjudication: dict[int, tuple[tuple[str, int], int]] = {}  # unit -> (age, answer code)
        # per record (a unit's counted annotation)
        self.next, self.who, self.answer = array("i"), array("i"), array("i")
        self.truth, self.type_bits = array("b"), array("i")  # widened to "q" if a value needs it
        # age: the packed update time's first word as a code (its first 15 characters, to the 10
        # minutes: few differ), the second word, the id (widened to "q" if an id needs it)
        self.age_hi, self.age_lo, self.ids = array("i"), array("q"), array("i")
        self._his: list[int] = []
        self._hi_codes: dict[int, int] = {}
        self._odd_ages: dict[int, str] = {}  # record -> an update time that _pack_age cannot pack
        self.span_at, self.span_count = array("i"), array("i")
        # spans of records, end to end (a replaced record's spans stay behind, unused)
        self.span_start, self.span_end, self.span_bits = array("i"), array("i"), array("b")
        self._ranks: np.ndarray | None = None

    @property
    def n_units(self) -> int:
        return len(self.first)

    def add(self, tasks: Iterable[Task]) -> None:
        for task in tasks:
            self.add_task(task)

    def add_task(self, task: Task) -> None:
        data = task.data
        key = data.get(CLAIM_ID, data.get(SENTENCE_ID))
        sid = str(key if key is not None else f"task-{task.id}")
        reviewing = ADJUDICATION_OF in data
        unit, new = self.units.number(sid)
        if new:
            self.first.append(-1)
            self.hidden.append(task.reference_hidden)
            self._from_review.append(reviewing)
            self.reference.append(-1)
            self.corpus.append(-1)
            self._data(unit, data)
        elif self._from_review[unit] and not reviewing:
            # a unit's data is its first task's, replaced by the first task that is not a review
            self._from_review[unit] = False
            self._data(unit, data)
        for annotation in task.annotations():
            if not annotation.cancelled:
                self._add_annotation(unit, annotation, reviewing)

    def _data(self, unit: int, data: Any) -> None:
        reference = data.get(REFERENCE_LABEL)
        self.reference[unit] = -1 if reference is None else self.values.code(str(reference))
        self.corpus[unit] = self.corpora.code(str(data.get(CORPUS)))

    def _annotator(self, annotation: Annotation) -> int:
        name = annotation.annotator
        found = self._pseudonyms.get(name)
        if found is None:
            found = self._pseudonyms[name] = self.annotators.code(name if self.keep_identity else pseudonym(name))
        return found

    def _answer(self, annotation: Annotation) -> int:
        chosen = annotation.choices(CLAIM_STATUS)
        return self.values.code(chosen[0]) if chosen else -1

    def _held_is_newer(self, record: int, updated: str, packed: tuple[int, int] | None, ident: int) -> bool:
        """Whether the record's age is after (updated, ident): Annotation.age's order."""
        hi = self.age_hi[record]
        if packed is not None and hi != _AGE_OTHER:
            return (self._his[hi], self.age_lo[record], self.ids[record]) > (*packed, ident)
        held = self._odd_ages[record] if hi == _AGE_OTHER else _unpack_age(self._his[hi], self.age_lo[record])
        return (held, self.ids[record]) > (updated, ident)

    def _add_annotation(self, unit: int, annotation: Annotation, reviewing: bool) -> None:
        who = self._annotator(annotation)
        if reviewing:
            age = annotation.age()
            held = self.adjudication.get(unit)
            if held is None or age > held[0]:
                self.adjudication[unit] = (age, self._answer(annotation))
            return
        record, last = self.first[unit], -1
        while record != -1 and self.who[record] != who:
            record, last = self.next[record], record
        updated, ident = annotation.age()
        packed = _pack_age(updated)
        if record != -1 and self._held_is_newer(record, updated, packed, ident):
            return  # the one held is newer
        hi, lo = self._age_code(packed)
        bits = 0
        for chosen in set(annotation.choices(CLAIM_TYPES)):
            bits |= 1 << self.types.code(chosen)
        answer, truth = self._answer(annotation), annotation.ground_truth
        span_at, count = self._add_spans(annotation)
        if record == -1:  # the annotator's first annotation of the unit
            record = self._new_record(unit, last, who)
        self.answer[record], self.truth[record] = answer, truth
        self.age_hi[record], self.age_lo[record] = hi, lo
        self.span_at[record], self.span_count[record] = span_at, count
        self._put_wide(record, ident, bits)
        if packed is None:
            self._odd_ages[record] = updated
        elif self._odd_ages:
            self._odd_ages.pop(record, None)

    def _age_code(self, packed: tuple[int, int] | None) -> tuple[int, int]:
        """(the code of the age's high part, its low part); an age that does not pack is kept aside."""
        if packed is None:
            return _AGE_OTHER, 0
        hi = self._hi_codes.get(packed[0])
        if hi is None:
            hi = self._hi_codes[packed[0]] = len(self._his)
            self._his.append(packed[0])
        return hi, packed[1]

    def _add_spans(self, annotation: Annotation) -> tuple[int, int]:
        """Append the annotation's CLAIM and SOURCE spans: (where they start in the span columns, how many)."""
        span_at, count = len(self.span_start), 0
        for span in annotation.spans():
            labels = span.labels
            label_bits = (CLAIM in labels) * SPAN_BITS[CLAIM] + (SOURCE in labels) * SPAN_BITS[SOURCE]
            if label_bits:
                self.span_start.append(span.start)
                self.span_end.append(span.end)
                self.span_bits.append(label_bits)
                count += 1
        return span_at, count

    def _new_record(self, unit: int, last: int, who: int) -> int:
        """A record for the annotator's first annotation of the unit, linked after `last` (-1: first)."""
        record = len(self.who)
        self.next.append(-1)
        self.who.append(who)
        for column in (self.answer, self.truth, self.age_hi, self.age_lo, self.span_at, self.span_count):
            column.append(0)
        if last == -1:
            self.first[unit] = record
        else:
            self.next[last] = record
        return record

    def _put_wide(self, record: int, ident: int, bits: int) -> None:
        """The annotation id and claim-type bits, in columns that widen when a value needs 64 bits."""
        try:
            if record == len(self.ids):
                self.ids.append(ident)
                self.type_bits.append(bits)
            else:
                self.ids[record], self.type_bits[record] = ident, bits
        except OverflowError:  # a value needs 64 bits (_put writes both again: the one written stays)
            self.ids = _put(self.ids, record, ident)
            self.type_bits = _put(self.type_bits, record, bits)

    def records(self, unit: int) -> Iterator[int]:
        """The unit's counted annotations, in the order their annotators first annotated it."""
        record = self.first[unit]
        while record != -1:
            yield record
            record = self.next[record]

    def answers(self, unit: int) -> dict[int, int]:
        """annotator -> claim_status answer (codes), annotators without one left out."""
        return {self.who[r]: self.answer[r] for r in self.records(unit) if self.answer[r] != -1}

    def sids(self) -> Iterator[str]:
        return iter(self.units)

    def sid(self, unit: int) -> str:
        return self.units[unit]

    def ranks(self) -> np.ndarray:
        """Each unit's place in the units sorted by id (computed once)."""
        if self._ranks is None or len(self._ranks) != self.n_units:
            self._ranks = self.units.ranks()
        return self._ranks

    def gold(self) -> list[str | None]:
        """Each unit's gold claim_status (gold.gold_status's policy), by unit."""
        names = self.values.names()
        found: list[str | None] = []
        for unit in range(self.n_units):
            answers = {self.who[r]: names[self.answer[r]] for r in self.records(unit) if self.answer[r] != -1}
            truths = {self.who[r]: _Truth(bool(self.truth[r])) for r in self.records(unit)}
            held = self.adjudication.get(unit)
            adjudicated = names[held[1]] if held is not None and held[1] != -1 else None
            found.append(gold_status(truths, answers, adjudicated)[0])  # type: ignore[arg-type]
        return found


class _Truth(NamedTuple):
    ground_truth: bool


def votes_of(collection: Collection) -> Votes:
    """The Votes of a collection that combine built (the same units, annotations and adjudications)."""
    votes = Votes(keep_identity=True)  # the collection's annotators are named already
    for sid, s in collection.sentences.items():
        unit, _ = votes.units.number(sid)
        votes.first.append(-1)
        reference = s.data.get(REFERENCE_LABEL)
        votes.reference.append(-1 if reference is None else votes.values.code(str(reference)))
        votes.corpus.append(votes.corpora.code(str(s.data.get(CORPUS))))
        votes.hidden.append(s.reference_hidden)
        votes._from_review.append(s.task_id is None)
        for who, annotation in s.annotations.items():
            votes._pseudonyms[annotation.annotator] = votes.annotators.code(who)
            votes._add_annotation(unit, annotation, reviewing=False)
        if s.adjudication is not None:
            votes._add_annotation(unit, s.adjudication[1], reviewing=True)
    return votes


def read_votes(exports: ExportSet, *, keep_identity: bool = False) -> Votes:
    """The valid tasks of the exports merged into Votes, one task at a time. Raises ExportsInvalid
    if any task has an error."""
    votes = Votes(keep_identity=keep_identity)
    for tasks in exports.tasks():
        votes.add(tasks)
    exports.check()
    return votes
