"""Flatten exports into tables: annotations, relations, claims and sources.

Full JSON exports keep what JSON_MIN and CSV lose (relations, which span a per-region answer
belongs to); this stage turns them into rows that pandas and Parquet readers take directly.
Several exports (projects, rounds, re-exports) merge by sentence_id: the newest annotation of each
annotator on a sentence wins, and the ones it replaces are reported.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from annotate.errors import InputError
from annotate.labelstudio.validate import RELATION_ENDS, annotator_of

ANNOTATION_COLUMNS = [
    "article_id", "sentence_id", "task_id", "annotation_id", "annotator", "from_name", "type", "label",
    "start", "end", "text", "region_id",
]  # fmt: skip
RELATION_COLUMNS = ["article_id", "sentence_id", "annotation_id", "annotator", "relation", "from_region", "to_region"]
SPAN_COLUMNS = [
    "article_id", "sentence_id", "annotation_id", "annotator", "region_id", "text", "start", "end",
    "article_start", "article_end",
]  # fmt: skip


# Where each relation starts: attributed_to goes CLAIM -> SOURCE, cue_of CUE -> CLAIM.
_FIRST_END = {"attributed_to": "CLAIM", "cue_of": "CUE"}


@dataclass
class Sentence:
    """One unit (task data) with the annotations that count for it: the newest per annotator."""

    sentence_id: str
    data: dict[str, Any]
    task_id: int | None
    annotations: dict[str, dict[str, Any]] = field(default_factory=dict)  # annotator -> annotation
    adjudication: tuple[str, dict[str, Any]] | None = None  # (adjudicator, their annotation), the newest


# Tasks of a review project made by `annotate adjudicate` carry this field (the original project
# and task); their annotations are adjudications, which decide gold and are not counted as votes.
ADJUDICATION_FIELD = "adjudication_of"
# Tasks of the verification project carry a claim_id: one unit per claim, not per sentence.
CLAIM_ID_FIELD = "claim_id"


@dataclass
class Collection:
    sentences: dict[str, Sentence]
    replaced: list[str]  # "sentence S: annotation A by X replaced by B"

    @cached_property
    def claim_status(self) -> dict[str, dict[str, str]]:
        """sentence -> annotator -> their claim_status answer (annotators without one left out)."""
        found: dict[str, dict[str, str]] = {}
        for sid, sentence in self.sentences.items():
            answers = {}
            for who, annotation in sentence.annotations.items():
                chosen = choices_of(annotation, "claim_status")
                if chosen:
                    answers[who] = chosen[0]
            found[sid] = answers
        return found

    def part(self, verification: bool) -> Collection:
        """The units of verification tasks (keyed by claim_id), or the others."""
        kept = {k: s for k, s in self.sentences.items() if (CLAIM_ID_FIELD in s.data) is verification}
        replaced = [line for line in self.replaced if line[len("sentence ") : line.rindex(": annotation ")] in kept]
        return Collection(kept, replaced)

    @cached_property
    def spans(self) -> list[dict[str, Any]]:
        """Every span of every counted annotation (see span_rows), computed once."""
        return _all_spans(self)


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


def _age(annotation: dict[str, Any]) -> tuple[str, int]:
    return annotation.get("updated_at") or "", annotation.get("id") or 0


def collect(exports: Iterable[Iterable[dict[str, Any]]], *, keep_identity: bool = False) -> Collection:
    sentences: dict[str, Sentence] = {}
    replaced: list[str] = []
    for tasks in exports:
        for task in tasks:
            data = task.get("data") or {}
            key = data.get(CLAIM_ID_FIELD, data.get("sentence_id"))
            sid = str(key if key is not None else f"task-{task.get('id')}")
            adjudicating = ADJUDICATION_FIELD in data
            if adjudicating:
                data = {k: v for k, v in data.items() if k != ADJUDICATION_FIELD}
            sentence = sentences.setdefault(sid, Sentence(sid, data, None if adjudicating else task.get("id")))
            if sentence.task_id is None and not adjudicating:
                sentence.data, sentence.task_id = data, task.get("id")
            for annotation in task.get("annotations") or []:
                if annotation.get("was_cancelled"):
                    continue
                who = annotator_of(annotation) or "unknown"
                who = who if keep_identity else pseudonym(who)
                if adjudicating:
                    if sentence.adjudication is None or _age(annotation) > _age(sentence.adjudication[1]):
                        sentence.adjudication = (who, annotation)
                    continue
                old = sentence.annotations.get(who)
                if old is not None:
                    older, newer = sorted((old, annotation), key=_age)
                    replaced.append(
                        f"sentence {sid}: annotation {older.get('id')} by {who} replaced by {newer.get('id')}"
                    )
                    annotation = newer
                sentence.annotations[who] = annotation
    return Collection(sentences, replaced)


def label_regions(annotation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in annotation.get("result", []) if r.get("type") == "labels" and "id" in r}


def annotation_rows(collection: Collection) -> pd.DataFrame:
    """One row per annotator x sentence x answer: each label of a span, each choice, each text."""
    rows = []  # tuples in the order of ANNOTATION_COLUMNS: cheaper than a dict per row
    for s in collection.sentences.values():
        article = s.data.get("article_id")
        for who, annotation in s.annotations.items():
            aid = annotation.get("id")
            for r in annotation.get("result", []):
                value = r.get("value") or {}
                kind = r.get("type")
                answers = {"labels": value.get("labels"), "choices": value.get("choices"),
                           "textarea": value.get("text")}.get(kind) or []  # fmt: skip
                text = value.get("text")
                for answer in answers:
                    rows.append((
                        article, s.sentence_id, s.task_id, aid, who, r.get("from_name"), kind, answer,
                        value.get("start"), value.get("end"), text if isinstance(text, str) else None, r.get("id"),
                    ))  # fmt: skip
    table = pd.DataFrame.from_records(rows, columns=ANNOTATION_COLUMNS)
    return table.astype({"start": "Int64", "end": "Int64", "task_id": "Int64", "annotation_id": "Int64"})


def relation_rows(collection: Collection) -> pd.DataFrame:
    """One row per relation, normalised to the direction the project defines (CLAIM -> SOURCE for
    attributed_to, CUE -> CLAIM for cue_of) whichever way the annotator drew it."""
    rows = []
    for s in collection.sentences.values():
        for who, annotation in s.annotations.items():
            regions = label_regions(annotation)
            for r in annotation.get("result", []):
                if r.get("type") != "relation":
                    continue
                ends = [r.get("from_id"), r.get("to_id")]
                to_labels = (regions.get(ends[1], {}).get("value") or {}).get("labels") or []
                for label in r.get("labels") or [""]:
                    drawn_backwards = label in RELATION_ENDS and _FIRST_END[label] in to_labels
                    first, second = ends[::-1] if drawn_backwards else ends
                    rows.append({"article_id": s.data.get("article_id"), "sentence_id": s.sentence_id,
                                 "annotation_id": annotation.get("id"), "annotator": who, "relation": label,
                                 "from_region": first, "to_region": second})  # fmt: skip
    return pd.DataFrame(rows, columns=RELATION_COLUMNS)


def span_rows(collection: Collection, *labels: str) -> list[dict[str, Any]]:
    """Spans with these labels, with offsets in the sentence and in the article."""
    wanted = set(labels)
    return [row for row in collection.spans if wanted & row["labels"]]


def _all_spans(collection: Collection) -> list[dict[str, Any]]:
    rows = []
    for s in collection.sentences.values():
        offset = s.data.get("char_start")
        for who, annotation in s.annotations.items():
            for rid, r in label_regions(annotation).items():
                value = r.get("value") or {}
                start, end = value.get("start"), value.get("end")
                rows.append({
                    "article_id": s.data.get("article_id"), "sentence_id": s.sentence_id,
                    "annotation_id": annotation.get("id"), "annotator": who, "region_id": rid,
                    "text": value.get("text"), "start": start, "end": end,
                    "article_start": offset + start if isinstance(offset, int) and isinstance(start, int) else None,
                    "article_end": offset + end if isinstance(offset, int) and isinstance(end, int) else None,
                    "labels": set(value.get("labels") or []),
                })  # fmt: skip
    return rows


def choices_of(annotation: dict[str, Any], from_name: str) -> list[str]:
    """The choices of a sentence-level control in one annotation."""
    for r in annotation.get("result", []):
        if r.get("from_name") == from_name and r.get("type") == "choices":
            return list((r.get("value") or {}).get("choices") or [])
    return []


def per_region_answers(annotation: dict[str, Any], from_name: str) -> dict[str, Any]:
    """region id -> the per-region answer of a control (choices: first value; text: joined)."""
    found = {}
    for r in annotation.get("result", []):
        if r.get("from_name") == from_name and r.get("id") and r.get("type") != "labels":
            value = r.get("value") or {}
            answer = value.get("choices") or value.get("text")
            found[r["id"]] = answer[0] if isinstance(answer, list) and len(answer) == 1 else answer
    return found


def write_table(
    table: pd.DataFrame, out_dir: Path, name: str, *, formats: Iterable[str] = ("parquet", "csv")
) -> list[Path]:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder {out_dir}: {exc.strerror}") from None
    written = []
    for fmt in formats:
        path = out_dir / f"{name}.{fmt}"
        if fmt == "parquet":
            table.to_parquet(path, index=False)
        elif fmt == "csv":
            table.to_csv(path, index=False)
        else:
            table.to_json(path, orient="records", lines=True, force_ascii=False)
        written.append(path)
    return written
