"""Read-only, typed views over Label Studio's task, annotation and result JSON.

The rest of annotate reads exports only through these views; only this folder knows the raw keys
(`from_name`, `completed_by`, `was_cancelled`, relation ends, ...). A view is made only for a task
that passed the structural checks of `validate` (see `exports.valid_tasks`), so the views trust
the shapes the schema guarantees and do no checking of their own. They wrap the parsed JSON
instead of copying it, and the small values they hand out are named tuples (cheaper to make than
dataclasses): combine reads a 100,000-task export through them within its time budget.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from annotate.labelstudio.exported.validate import annotator_of
from annotate.vocabulary import LANGUAGE, LANGUAGE_CONFIDENCE, REFERENCE_LABEL, RELATION_ENDS, relation_between

# The annotations table names an answer's control as Label Studio's result does.
CONTROL_COLUMN = "from_name"


class Span(NamedTuple):
    """A labelled span of the task text (a `labels` result): offsets in the task text."""

    region_id: str
    labels: tuple[str, ...]
    start: int
    end: int
    text: str | None
    control: str


class Relation(NamedTuple):
    """A relation between two spans, oriented as the project defines it (RELATION_ENDS).

    `name` is the relation's label, or the one its ends determine when the annotator left it
    unlabelled (`labelled` False). `first` and `second` are region ids.
    """

    name: str
    first: str
    second: str
    labelled: bool


class Answer(NamedTuple):
    """One answer of a control: a choice, a label of a span, a line of text, a number or a date."""

    control: str
    kind: str  # labels, choices, textarea, rating, number, datetime, taxonomy
    value: Any
    region_id: str | None
    start: int | None
    end: int | None
    text: str | None


class Language(NamedTuple):
    """A task's language as `split` recorded it: ISO 639-1 code and the identifier's confidence
    (None when the language was given, or for a task split before languages were recorded)."""

    code: str | None
    confidence: float | None


def language_of(data: Mapping[str, Any]) -> Language:
    """The language in a task's data; a value of another type than the schema's reads as absent."""
    code, confidence = data.get(LANGUAGE), data.get(LANGUAGE_CONFIDENCE)
    number = isinstance(confidence, int | float) and not isinstance(confidence, bool)
    return Language(code if isinstance(code, str) and code else None, float(confidence) if number else None)


class Annotation:
    """One annotation of a task."""

    __slots__ = ("_per_region", "_raw", "_relations", "_spans")

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw
        self._spans: tuple[Span, ...] | None = None
        self._per_region: dict[str, dict[str, Any]] | None = None
        self._relations: list[Relation] | None = None

    @property
    def id(self) -> int | None:
        return self._raw.get("id")

    @property
    def annotator(self) -> str:
        """The annotator's e-mail as the export gives it, else their user id; "unknown" without one."""
        return annotator_of(self._raw) or "unknown"

    @property
    def cancelled(self) -> bool:
        return bool(self._raw.get("was_cancelled"))

    @property
    def ground_truth(self) -> bool:
        return bool(self._raw.get("ground_truth"))

    @property
    def updated_at(self) -> str | None:
        return self._raw.get("updated_at") or self._raw.get("created_at")

    @property
    def parent_prediction(self) -> int | None:
        """The prediction the annotator started from (Label Studio records it), if any."""
        parent = self._raw.get("parent_prediction")
        return parent if isinstance(parent, int) else None

    def age(self) -> tuple[str, int]:
        """Sorts annotations oldest first: by update time, then id."""
        return self._raw.get("updated_at") or "", self._raw.get("id") or 0

    def spans(self) -> tuple[Span, ...]:
        if self._spans is None:
            found = []
            for r in self._raw["result"]:
                if r["type"] == "labels" and "id" in r:
                    v = r["value"]
                    found.append(Span(r["id"], tuple(v["labels"]), v["start"], v["end"], v.get("text"), r["from_name"]))
            self._spans = tuple(found)
        return self._spans

    def relations(self) -> list[Relation]:
        """Every relation, named and oriented (see Relation). validate rejects a relation whose label
        contradicts its ends, so what reaches here is consistent."""
        if self._relations is not None:
            return self._relations
        found: list[Relation] = []
        labels: dict[str, tuple[str, ...]] | None = None
        for r in self._raw["result"]:
            if r["type"] != "relation":
                continue
            if labels is None:
                labels = {s.region_id: s.labels for s in self.spans()}
            ends = r["from_id"], r["to_id"]
            given = r.get("labels") or []
            name = given[0] if given else _inferred(labels.get(ends[0], ()), labels.get(ends[1], ()))
            if name is None:
                continue
            first_label = RELATION_ENDS.get(name, ("",))[0]
            backwards = first_label in labels.get(ends[1], ()) and first_label not in labels.get(ends[0], ())
            first, second = ends[::-1] if backwards else ends
            found.append(Relation(name, first, second, bool(given)))
        self._relations = found
        return found

    def links(self) -> dict[tuple[str, str], str]:
        """(relation, region id) -> the region at its other end."""
        found: dict[tuple[str, str], str] = {}
        for rel in self.relations():
            found.setdefault((rel.name, rel.first), rel.second)
            found.setdefault((rel.name, rel.second), rel.first)
        return found

    def choices(self, control: str) -> list[str]:
        """The choices of a task-level control (the first result of that control)."""
        for r in self._raw["result"]:
            if r["type"] == "choices" and r.get("from_name") == control:
                return list(r["value"].get("choices") or [])
        return []

    def text(self, control: str) -> str | None:
        """A task-level text answer (lines joined) or date (YYYY-MM-DD) of a control."""
        for r in self._raw["result"]:
            if r.get("from_name") == control:
                value = r["value"]
                text = value.get("text")
                if isinstance(text, list):
                    return "\n".join(str(t) for t in text).strip() or None
                if isinstance(value.get("datetime"), str):
                    return value["datetime"][:10]
        return None

    def per_region(self) -> dict[str, dict[str, Any]]:
        """control -> region id -> its answer (a single choice or text line unwrapped)."""
        if self._per_region is not None:
            return self._per_region
        found: dict[str, dict[str, Any]] = {}
        for r in self._raw["result"]:
            if r["type"] != "labels" and r["type"] != "relation" and r.get("id"):
                value = r["value"]
                answer = value.get("choices") or value.get("text")
                found.setdefault(r["from_name"], {})[r["id"]] = (
                    answer[0] if isinstance(answer, list) and len(answer) == 1 else answer
                )
        self._per_region = found
        return found

    def answers(self) -> Iterator[Answer]:
        """Each label of a span, each choice and each text line, in result order."""
        for r in self._raw["result"]:
            kind = r["type"]
            if kind not in _ITEMS:  # relations, and answers that are not labels, choices or text
                continue
            value = r["value"]
            items = value.get(_ITEMS[kind]) or []
            text = value.get("text")
            for item in items:
                yield Answer(r["from_name"], kind, item, r.get("id"), value.get("start"), value.get("end"),
                             text if isinstance(text, str) else None)  # fmt: skip

    def signature(self, compared: tuple[str, ...]) -> frozenset[tuple[Any, ...]]:
        """What two annotations must share to agree: spans (label, start, end) and the choices of
        the compared controls."""
        found: set[tuple[Any, ...]] = {("span", label, s.start, s.end) for s in self.spans() for label in s.labels}
        for r in self._raw["result"]:
            if r["type"] == "choices" and r.get("from_name") in compared:
                found.update((r["from_name"], c) for c in r["value"].get("choices") or [])
        return frozenset(found)

    def pruned(self) -> Annotation:
        """The same annotation holding only what gold and agreement read (spans and choices), so
        that many can be kept while an export streams past."""
        raw = self._raw
        kept = {k: raw[k] for k in ("id", "ground_truth", "updated_at", "created_at") if k in raw}
        kept["result"] = [r for r in raw["result"] if r["type"] == "labels" or r["type"] == "choices"]
        return Annotation(kept)

    def result_json(self) -> list[dict[str, Any]]:
        """The raw result, to copy into a prediction (adjudication shows each annotator's version)."""
        return self._raw["result"]


_ITEMS = {"labels": "labels", "choices": "choices", "textarea": "text"}


def _inferred(first: tuple[str, ...], second: tuple[str, ...]) -> str | None:
    if len(first) != 1 or len(second) != 1:
        return None
    return relation_between(first[0], second[0])


class Task:
    """One task of an export: its data and annotations."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw

    @property
    def id(self) -> int:
        return self._raw["id"]

    @property
    def data(self) -> Mapping[str, Any]:
        """The task's data; a reference label `annotate load` kept out of sight (in the task's meta,
        --reference-as hidden) is part of it again."""
        meta = self._raw.get("meta")
        if isinstance(meta, dict) and REFERENCE_LABEL in meta:
            return {**self._raw["data"], REFERENCE_LABEL: meta[REFERENCE_LABEL]}
        return self._raw["data"]

    @property
    def language(self) -> Language:
        return language_of(self._raw["data"])

    @property
    def reference_hidden(self) -> bool:
        """The reference label was kept out of the annotators' sight (`annotate load --reference-as hidden`)."""
        meta = self._raw.get("meta")
        return isinstance(meta, dict) and REFERENCE_LABEL in meta

    def annotations(self) -> list[Annotation]:
        return [Annotation(a) for a in self._raw["annotations"]]
