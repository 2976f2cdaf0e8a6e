"""Exports collected into units: the tasks of several exports merged by sentence_id (claim_id for
verification tasks), with the annotations that count for each.

Several exports (projects, rounds, re-exports) merge by sentence_id: the newest annotation of each
annotator on a sentence wins, and the ones it replaces are reported. Annotators are pseudonymised
here unless their identity is kept on purpose.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from annotate.labelstudio.exported.exports import ExportSet
from annotate.labelstudio.exported.views import Annotation, Span, Task
from annotate.vocabulary import ADJUDICATION_OF, ARTICLE_ID, CHAR_START, CLAIM_ID, CLAIM_STATUS, SENTENCE_ID


@dataclass
class Sentence:
    """One unit (task data) with the annotations that count for it: the newest per annotator."""

    sentence_id: str
    data: Any  # the task's data, read-only
    task_id: int | None
    annotations: dict[str, Annotation] = field(default_factory=dict)  # annotator -> annotation
    adjudication: tuple[str, Annotation] | None = None  # (adjudicator, their annotation), the newest
    reference_hidden: bool = False  # its reference label was out of the annotators' sight


class SpanRow(NamedTuple):
    """A span of a counted annotation, with offsets in its sentence and in the article."""

    article_id: Any
    sentence_id: str
    annotation_id: int | None
    annotator: str
    span: Span
    article_start: int | None
    article_end: int | None


@dataclass
class Collection:
    sentences: dict[str, Sentence]
    replaced: list[str]  # "sentence S: annotation A by X replaced by B"
    identity: bool = False  # annotators named by e-mail (True) or pseudonymised

    @cached_property
    def claim_status(self) -> dict[str, dict[str, str]]:
        """sentence -> annotator -> their claim_status answer (annotators without one left out)."""
        found: dict[str, dict[str, str]] = {}
        for sid, sentence in self.sentences.items():
            answers = {}
            for who, annotation in sentence.annotations.items():
                chosen = annotation.choices(CLAIM_STATUS)
                if chosen:
                    answers[who] = chosen[0]
            found[sid] = answers
        return found

    def part(self, verification: bool) -> Collection:
        """The units of verification tasks (keyed by claim_id), or the others."""
        kept = {k: s for k, s in self.sentences.items() if (CLAIM_ID in s.data) is verification}
        replaced = [line for line in self.replaced if line[len("sentence ") : line.rindex(": annotation ")] in kept]
        return Collection(kept, replaced, self.identity)

    @cached_property
    def spans(self) -> list[SpanRow]:
        """Every span of every counted annotation, computed once."""
        rows = []
        for s in self.sentences.values():
            offset = s.data.get(CHAR_START)
            offset = offset if isinstance(offset, int) else None
            article = s.data.get(ARTICLE_ID)
            for who, annotation in s.annotations.items():
                for span in annotation.spans():
                    rows.append(SpanRow(
                        article, s.sentence_id, annotation.id, who, span,
                        None if offset is None else offset + span.start, None if offset is None else offset + span.end,
                    ))  # fmt: skip
        return rows

    @cached_property
    def _spans_by_label(self) -> dict[str, list[SpanRow]]:
        found: dict[str, list[SpanRow]] = {}
        for row in self.spans:
            for label in row.span.labels:
                found.setdefault(label, []).append(row)
        return found

    def span_rows(self, *labels: str) -> list[SpanRow]:
        """Spans with any of these labels, in collection order."""
        if len(labels) == 1:
            return self._spans_by_label.get(labels[0], [])
        wanted = set(labels)
        return [row for row in self.spans if wanted.intersection(row.span.labels)]


@contextmanager
def gc_paused(*, exiting: bool = False) -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a collection is built and turned into tables.

    Reading a 100,000-task export creates millions of dicts and lists, none of them in a cycle, and
    the collector rescans all that are alive each time enough new ones were made: measured, that
    took half the time of reading the export (6.7 s with it, 2.5 s without). Reference counting
    still frees everything that is not in a cycle.

    `exiting`: the command ends after this block. Exceptions that pandas and matplotlib catch
    internally leave frames in reference cycles, and those frames keep the whole collection alive
    until the collector runs: measured, tracing and freeing them took 2.2 s after a 100,000-task
    combine. With exiting, what is alive is frozen (gc.freeze) and left to the process exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if exiting:
            gc.freeze()
        if was_enabled:
            gc.enable()


def pseudonym(annotator: str) -> str:
    """A stable id for an annotator that does not reveal who they are."""
    return "ann-" + hashlib.sha256(annotator.encode("utf-8")).hexdigest()[:10]


def unit_key(data: Any, task_id: int) -> str:
    """The unit a task belongs to: its claim_id (verification tasks), else its sentence_id."""
    key = data.get(CLAIM_ID, data.get(SENTENCE_ID))
    return str(key if key is not None else f"task-{task_id}")


class Collector:
    """Tasks merged into units one at a time (see collect)."""

    def __init__(self, *, keep_identity: bool = False) -> None:
        self.sentences: dict[str, Sentence] = {}
        self.replaced: list[str] = []
        self.keep_identity = keep_identity
        self._names: dict[str, str] = {}  # annotator -> pseudonym, each hashed once

    def add(self, task: Task) -> Sentence:
        """Merge one task into its unit; return the unit."""
        data = task.data
        sid = unit_key(data, task.id)
        adjudicating = ADJUDICATION_OF in data
        if adjudicating:
            data = {k: v for k, v in data.items() if k != ADJUDICATION_OF}
        sentence = self.sentences.get(sid)
        if sentence is None:
            sentence = self.sentences[sid] = Sentence(
                sid, data, None if adjudicating else task.id, reference_hidden=task.reference_hidden
            )
        if sentence.task_id is None and not adjudicating:
            sentence.data, sentence.task_id = data, task.id
        for annotation in task.annotations():
            if annotation.cancelled:
                continue
            who = annotation.annotator
            if not self.keep_identity:
                who = self._names.get(who) or self._names.setdefault(who, pseudonym(who))
            if adjudicating:
                if sentence.adjudication is None or annotation.age() > sentence.adjudication[1].age():
                    sentence.adjudication = (who, annotation)
                continue
            old = sentence.annotations.get(who)
            if old is not None:
                older, newer = sorted((old, annotation), key=Annotation.age)
                self.replaced.append(f"sentence {sid}: annotation {older.id} by {who} replaced by {newer.id}")
                annotation = newer
            sentence.annotations[who] = annotation
        return sentence

    def collection(self) -> Collection:
        return Collection(self.sentences, self.replaced, self.keep_identity)


def collect(exports: Iterable[Iterable[Task]], *, keep_identity: bool = False) -> Collection:
    """Merge the tasks of several exports by sentence_id (claim_id for verification tasks): the
    newest annotation of each annotator counts, the ones it replaces are reported; annotations of
    review tasks (`annotate adjudicate`) are adjudications, not votes."""
    collector = Collector(keep_identity=keep_identity)
    for tasks in exports:
        for task in tasks:
            collector.add(task)
    return collector.collection()


def read_collection(exports: ExportSet, *, keep_identity: bool = False) -> Collection:
    """The exports' valid tasks collected into units. Raises ExportsInvalid if any task has an error."""
    collection = collect(exports.tasks(), keep_identity=keep_identity)
    exports.check()
    return collection
