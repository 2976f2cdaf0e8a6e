"""Validate Label Studio exports: the JSON Schema in schemas/ plus semantic checks.

Label Studio stores whatever a client sends (measured: unknown labels, unknown control names,
offsets past the end of the text and span texts that do not match their offsets are all accepted),
so these checks are where bad data is caught. Every problem is collected and located; nothing
stops at the first one. Files are read one task at a time, so memory does not grow with the file.
The schema and its fast path are in exported/schema.py, a config's rules in exported/rules.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from annotate.labelstudio.exported.jsonstream import iter_array
from annotate.labelstudio.exported.rules import ProjectRules, task_options
from annotate.labelstudio.exported.schema import JSON_TYPES, fast_task_valid, json_path, schema_message, task_validator
from annotate.vocabulary import (
    ARTICLE_ID,
    CHAR_END,
    CHAR_START,
    CLAIM_CHECKWORTHY,
    CLAIM_NOT_CHECKWORTHY,
    CLAIM_STATUS,
    CLAIM_TYPES,
    CORPUS,
    KIND,
    NO_CLAIM,
    REFERENCE_LABEL,
    RELATION_ENDS,
    SENTENCE_ID,
    SENTENCE_INDEX,
    SOURCE_ID,
    SOURCE_SPLIT,
    SPAN_LABELS,
    TEXT,
    relation_between,
)

_SPAN_LABELS = frozenset(SPAN_LABELS)
_IMPLIED = " and ".join(f"{a}–{b} ({name})" for name, (a, b) in RELATION_ENDS.items())


@dataclass(frozen=True)
class Problem:
    file: str
    path: str  # JSON path into the file, e.g. $[0].annotations[1].result[2].value.start
    message: str
    kind: str = "schema"
    task_id: int | None = None
    sentence_id: str | None = None
    annotation_id: int | None = None
    annotator: str | None = None
    severity: str = "error"  # or "warning"
    hint: str | None = None

    def line(self) -> str:
        where = [self.file]
        if self.task_id is not None:
            where.append(f"task {self.task_id}" + (f" ({self.sentence_id})" if self.sentence_id else ""))
        if self.annotation_id is not None:
            where.append(f"annotation {self.annotation_id}" + (f" by {self.annotator}" if self.annotator else ""))
        text = f"{': '.join(where)}: {self.path}: {self.severity} [{self.kind}]: {self.message}"
        return text + (f" (hint: {self.hint})" if self.hint else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Project rules, from a label config ----------------------------------------------------------------


# Checks ----------------------------------------------------------------------------------------------
def _text_of(value: Any) -> str | None:
    return None if value is None else str(value)


# What Label Studio cannot store in task data: a lone surrogate breaks the project's task list and
# every export (measured on 1.23), PostgreSQL refuses NUL (see shared notes).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_INT64 = 2**63
# A JSON number of 19 digits or more (it may be beyond a 64-bit integer): after ":", "[" or "," in
# json.dumps' output, where a string would start with a quote. A string that holds such text only
# costs the walk that finds nothing.
_LONG_NUMBER = re.compile(r"[:\[,] ?-?\d{19}")


def _check_data(ctx: _TaskContext, data: dict[str, Any], index: int) -> None:
    """Task data: `text` a string; no NaN or Infinity (not JSON); nothing Label Studio cannot store."""
    if TEXT in data and not isinstance(data[TEXT], str):
        got = JSON_TYPES.get(type(data[TEXT]), "a number")
        ctx.add(f"$[{index}].data.{TEXT}", f"is {got}, expected a string", "data",
                hint="the task text must be the sentence itself")  # fmt: skip
    # The ids that join tables and articles: text (a number is read as its text; a list or object is not an id).
    for key in (ARTICLE_ID, SENTENCE_ID, KIND):
        value = data.get(key)
        if key in data and value is not None and type(value) not in (str, int):
            got = JSON_TYPES.get(type(value), "a number that is not a whole number")
            ctx.add(f"$[{index}].data.{key}", f"is {got}, expected a string", "fields",
                    hint="tasks made by `annotate split` have them right")  # fmt: skip
    # Where the sentence is in its article: whole numbers (the tables hold them as integers).
    for key, nullable in ((SENTENCE_INDEX, False), (CHAR_START, True), (CHAR_END, True)):
        value = data.get(key)
        if key in data and not ((type(value) is int and -_INT64 <= value < _INT64) or (nullable and value is None)):
            got = JSON_TYPES.get(type(value), "a number that is not a whole number")
            ctx.add(f"$[{index}].data.{key}", f"is {got}, expected a whole number" + (" or null" if nullable else ""),
                    "fields", hint="tasks made by `annotate split` have them right")  # fmt: skip
    # Rows of a benchmark table (articles/rows.py): their ids stay strings ("00123" is not 123).
    for key in (SOURCE_ID, CORPUS, REFERENCE_LABEL, SOURCE_SPLIT):
        if data.get(key) is not None and not isinstance(data[key], str):
            got = JSON_TYPES.get(type(data[key]), "a number")
            ctx.add(f"$[{index}].data.{key}", f"is {got}, expected a string", "fields",
                    hint="`annotate split` keeps a row's values as the file holds them, as strings")  # fmt: skip
    for key, value in data.items():  # most values are strings or numbers: check them without a walk
        kind = type(value)
        if ((kind is str and not _UNSTORABLE.search(value)) or (kind is int and -_INT64 <= value < _INT64)
                or value is None or kind is bool):  # fmt: skip
            continue
        _walk_values(ctx, f"$[{index}].data.{key}", value, "data",
                     "remove it from the task data (`annotate split` drops such characters)")  # fmt: skip


def _walk_values(ctx: _TaskContext, path: str, value: Any, category: str, hint: str) -> None:
    """Report every NaN or Infinity and every string (key or value) holding a lone surrogate or a
    NUL character under `value`."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:  # iterative: a deeply nested value must not exhaust the recursion limit
        path, value = stack.pop()
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            ctx.add(path, f"{value} is not a JSON value (NaN and Infinity are not JSON)", category,
                    hint="write null, or a number")  # fmt: skip
        elif type(value) is int and not -_INT64 <= value < _INT64:
            ctx.add(path, f"{str(value)[:25]}... is beyond a 64-bit integer, which Label Studio and the tables hold",
                    category, hint="write a smaller number, or the value as a string")  # fmt: skip
        elif isinstance(value, str) and (bad := _UNSTORABLE.search(value)):
            what = "a NUL character" if bad.group() == "\x00" else f"a lone surrogate (U+{ord(bad.group()):04X})"
            ctx.add(path, f"holds {what}, which Label Studio cannot store", category, hint=hint)
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str) and _UNSTORABLE.search(k):
                    stack.append((f"{path} (a key)", k))
                stack.append((f"{path}.{k}", v))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))


def _check_values(ctx: _TaskContext, task: dict[str, Any], index: int) -> None:
    """Outside the task data (annotations, predictions, annotators, meta): no NaN or Infinity, no
    lone surrogate or NUL, which the dataset and reports would carry. One C-speed dump finds
    whether there is any; only then is the task walked to name where."""
    rest = {k: v for k, v in task.items() if k != "data"}
    try:
        dumped = json.dumps(rest, ensure_ascii=False, allow_nan=False)
        dumped.encode("utf-8")
        if "\\u0000" not in dumped and not _LONG_NUMBER.search(dumped):
            return
    except (ValueError, UnicodeEncodeError):
        pass
    for key, value in rest.items():
        _walk_values(
            ctx,
            f"$[{index}].{key}",
            value,
            "values",
            "a bad value of an export or a tool that wrote it: fix it, or export the project again",
        )


def _id(obj: Any) -> int | None:
    value = obj.get("id") if isinstance(obj, dict) else None
    return value if isinstance(value, int) else None


def annotator_of(annotation: dict[str, Any]) -> str | None:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    return None if who is None else str(who)


def _utf16_slice(text: str, start: int, end: int) -> str | None:
    """text between UTF-16 code-unit offsets start and end, if those land on character boundaries."""
    units = 0
    begin = None
    for index, char in enumerate(text):
        if units == start:
            begin = index
        if units == end and begin is not None:
            return text[begin:index]
        units += 2 if ord(char) > 0xFFFF else 1
    return text[begin:] if begin is not None and units == end else None


@dataclass
class _TaskContext:
    file: str
    index: int
    task: dict[str, Any]
    rules: ProjectRules | None
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: str, message: str, kind: str, *, annotation: Any = None, severity: str = "error",
            hint: str | None = None) -> None:  # fmt: skip
        data = self.task.get("data") if isinstance(self.task.get("data"), dict) else {}
        self.problems.append(Problem(
            self.file, path, message, kind, _id(self.task),
            _text_of(data.get(SENTENCE_ID)),
            _id(annotation), annotator_of(annotation) if isinstance(annotation, dict) else None, severity, hint,
        ))  # fmt: skip


def _check_hidden_answers(ctx: _TaskContext, annotation: dict[str, Any], base: str) -> None:
    """Warnings for answers the annotator could not have meant: spans on a no-claim sentence, and
    claim types stored without a claim status that shows them (the claims editor shows claim types
    only for a claim; a stray key can tick one while it is hidden)."""
    results = [r for r in annotation["result"] if isinstance(r, dict)]
    status = [r["value"].get("choices") for r in results
              if r.get("from_name") == CLAIM_STATUS and isinstance(r.get("value"), dict)]  # fmt: skip
    chosen = status[0][0] if status and isinstance(status[0], list) and status[0] else None
    spans = [r for r in results if r.get("type") == "labels"]
    if chosen == NO_CLAIM and spans:
        ctx.add(f"{base}.result", f"no_claim, yet {len(spans)} span(s) are marked (CLAIM, SOURCE or CUE)",
                "consistency", annotation=annotation, severity="warning",
                hint="either the sentence makes a claim, or the spans should go")  # fmt: skip
    types = [r for r in results if r.get("from_name") == CLAIM_TYPES]
    if types and chosen not in (CLAIM_NOT_CHECKWORTHY, CLAIM_CHECKWORTHY):
        ctx.add(f"{base}.result", f"claim types are stored with claim_status {chosen or 'unset'}: the editor shows "
                "them only for a claim, so they were ticked while hidden", "consistency", annotation=annotation,
                severity="warning", hint="drop them, or choose the claim status they belong to")  # fmt: skip


_Add = Callable[..., None]  # add(path under the result list, message, kind, **hint/severity)


def _check_results(ctx: _TaskContext, annotation: dict[str, Any], base: str, *, is_annotation: bool) -> None:
    """Every result of one annotation or prediction: relations, controls and their values, offsets."""
    results = annotation["result"]

    def add(path: str, message: str, kind: str, **kw: Any) -> None:
        ctx.add(f"{base}.result{path}", message, kind, annotation=annotation if is_annotation else None, **kw)

    region_ids, regions = _spans(results, add)
    for i, r in enumerate(results):
        if not isinstance(r, dict):
            continue
        if r.get("type") == "relation":
            _check_relation(add, i, r, region_ids, regions, ctx.rules)
            continue
        value = r.get("value")
        if not isinstance(value, dict) or not isinstance(r.get("from_name"), str):
            continue  # the schema reports it
        _check_control(add, i, r, value, ctx, region_ids, regions)
        if "start" in value and "end" in value:
            _check_offsets(add, i, value, ctx.task["data"].get(TEXT))


def _spans(results: list[Any], add: _Add) -> tuple[set[str], dict[str, set[str]]]:
    """(the span region ids, span id -> its labels); a region id used by two spans is reported."""
    region_ids: set[str] = set()
    regions: dict[str, set[str]] = {}  # spans with labels only
    for i, r in enumerate(results):
        if isinstance(r, dict) and r.get("type") == "labels" and isinstance(r.get("id"), str):
            if r["id"] in region_ids:
                add(f"[{i}].id", f"two spans have the region id {r['id']!r}", "region",
                    hint="region ids are unique within an annotation; give one span a new id")  # fmt: skip
            region_ids.add(r["id"])
            value = r.get("value")
            labels = value.get("labels") if isinstance(value, dict) else None
            if isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels):
                regions.setdefault(r["id"], set()).update(labels)
    return region_ids, regions


def _check_relation(add: _Add, i: int, r: dict[str, Any], region_ids: set[str], regions: dict[str, set[str]],
                    rules: ProjectRules | None) -> None:  # fmt: skip
    """Its ends are spans of the annotation; one label, the config's, joining the spans it names."""
    ends = [e if isinstance(e, str) else None for e in (r.get("from_id"), r.get("to_id"))]
    for key, end in zip(("from_id", "to_id"), ends, strict=True):
        if end not in region_ids:
            add(f"[{i}].{key}", f"relation end {end!r} is not a span of this annotation", "relation")
    given = r.get("labels")
    labels = [x for x in given if isinstance(x, str)] if isinstance(given, list) else []
    if len(labels) > 1:
        add(f"[{i}].labels", f"a relation has one label; this one has {len(labels)} ({', '.join(labels)})",
            "relation", hint="keep the one that applies (the config makes relation labels single-choice)")  # fmt: skip
    got = [sorted(regions.get(e or "", ())) for e in ends]
    ours = all(e in regions and regions[e] <= _SPAN_LABELS for e in ends)  # this project's vocabulary
    implied = relation_between(got[0][0], got[1][0]) if all(len(g) == 1 for g in got) else None
    for label in labels:
        if rules and label not in rules.relations:
            add(f"[{i}].labels", f"relation label {label!r} is not in the project's config", "label")
        wanted = RELATION_ENDS.get(label)
        if wanted and ours and implied != label:
            add(f"[{i}]", f"{label} must join a {wanted[0]} and a {wanted[1]} span, joins {got[0]} and "
                f"{got[1]}", "relation", hint="redraw the arrow between the right spans")  # fmt: skip
    if not labels and ours and implied is None:
        add(f"[{i}].labels", f"a relation between {got[0]} and {got[1]} spans needs a label", "relation",
            hint=f"only {_IMPLIED} arrows may be left unlabelled")  # fmt: skip


def _check_control(add: _Add, i: int, r: dict[str, Any], value: dict[str, Any], ctx: _TaskContext,
                   region_ids: set[str], regions: dict[str, set[str]]) -> None:  # fmt: skip
    """The control is the config's, points where the config does, holds its values, and a per-region
    answer sits on a span of the labels it belongs to."""
    rules, kind = ctx.rules, r.get("type")
    control = rules.controls.get(r["from_name"]) if rules else None
    if rules and control is None:
        add(f"[{i}].from_name", f"control {r.get('from_name')!r} is not in the project's config", "label",
            hint="was the config changed after annotating? see `annotate project update`")  # fmt: skip
    if not control:
        return
    if r.get("to_name") != control.to_name:
        add(f"[{i}].to_name", f"{control.name} points at {r.get('to_name')!r}, the config at "
            f"{control.to_name!r}", "label")  # fmt: skip
    picked = value.get("labels") if kind == "labels" else value.get("choices") if kind == "choices" else None
    for item in picked if isinstance(picked, list) else []:
        if isinstance(item, str) and control.values is not None and item not in control.values:
            add(f"[{i}].value", f"{item!r} is not a value of {control.name} "
                f"({', '.join(sorted(control.values))})", "label")  # fmt: skip
        elif isinstance(item, str) and control.options_from:
            offered = task_options(ctx.task["data"], control.options_from)
            if item not in offered:
                add(f"[{i}].value", f"{item!r} is not one of the task's {control.options_from} "
                    f"({', '.join(sorted(offered)) or 'none'})", "label",
                    hint=f"{control.name} takes its values from the task's data")  # fmt: skip
    if control.per_region and kind != "labels":
        region_id = r.get("id") if isinstance(r.get("id"), str) else None
        owner = regions.get(region_id or "")
        if region_id not in region_ids:
            add(f"[{i}].id", f"{control.name} is a per-region answer, but no span has id {r.get('id')!r}",
                "region")  # fmt: skip
        elif owner and control.when_labels and not owner & control.when_labels:
            add(f"[{i}]", f"{control.name} belongs on a {'/'.join(sorted(control.when_labels))} span, "
                f"is on a {'/'.join(sorted(owner))} span", "region")  # fmt: skip


def _check_offsets(add: _Add, i: int, value: dict[str, Any], text: Any) -> None:
    """Integer offsets of a non-empty span inside the task text, whose text is the task's there."""
    start, end = value["start"], value["end"]
    if type(start) is not int or type(end) is not int:
        if type(start) in (float, bool) or type(end) in (float, bool):
            add(f"[{i}].value", f"offsets must be JSON integers, got {json.dumps(start)} and {json.dumps(end)}",
                "offsets", hint="write character positions as whole numbers (3, not 3.0)")  # fmt: skip
        return
    if not isinstance(text, str):
        return
    if start >= end:
        what = "an empty span" if start == end else "start after end"
        add(f"[{i}].value", f"offsets {start}-{end}: {what}", "offsets", hint="a span covers at least one character")
        return
    if not 0 <= start < end <= len(text):
        add(f"[{i}].value", f"offsets {start}-{end} lie outside the task text (length {len(text)})", "offsets")
        return
    region_text, expected = value.get("text"), text[start:end]
    if not isinstance(region_text, str) or region_text == expected:
        return
    if region_text.split() == expected.split():
        add(f"[{i}].value.text", "span text differs from the task text only in whitespace", "offsets",
            severity="warning", hint="Label Studio collapses spaces in value.text")  # fmt: skip
    elif _utf16_slice(text, start, end) == region_text:
        add(f"[{i}].value", f"offsets {start}-{end} count UTF-16 code units, not characters (an emoji or "
            "other astral character comes before the span)", "offsets",
            hint="convert the offsets to character positions")  # fmt: skip
    else:
        add(f"[{i}].value.text", f"span text {region_text!r} does not match the task text at {start}-{end}: "
            f"{expected!r}", "offsets")  # fmt: skip


def validate_task(task: Any, index: int, *, file: str, rules: ProjectRules | None = None) -> list[Problem]:
    ctx = _TaskContext(file, index, task if isinstance(task, dict) else {}, rules)
    if not fast_task_valid(task):
        for error in task_validator().iter_errors(task):
            parts = list(error.absolute_path)
            annotation = None
            if len(parts) >= 2 and parts[0] == "annotations" and isinstance(task, dict):
                annotation = task["annotations"][parts[1]]
            ctx.add(json_path([index, *parts]), schema_message(error), "schema", annotation=annotation)
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        return ctx.problems
    _check_data(ctx, task["data"], index)
    _check_values(ctx, task, index)
    if rules:
        missing = [f for f in rules.fields if f not in task["data"]]
        if missing:
            ctx.add(f"$[{index}].data", f"task lacks {', '.join(missing)}", "fields",
                    hint="tasks made by `annotate load` or `annotate promote` have them")  # fmt: skip
    seen: Counter[str] = Counter()
    for kind in ("annotations", "predictions"):
        items = task.get(kind)
        for a, annotation in enumerate(items if isinstance(items, list) else []):
            if not isinstance(annotation, dict) or not isinstance(annotation.get("result"), list):
                continue
            base = f"$[{index}].{kind}[{a}]"
            _check_results(ctx, annotation, base, is_annotation=kind == "annotations")
            if kind == "annotations" and not annotation.get("was_cancelled"):
                _check_hidden_answers(ctx, annotation, base)
            if kind != "annotations" or annotation.get("was_cancelled"):
                continue
            who = annotator_of(annotation)
            if who is not None:
                seen[who] += 1
                if seen[who] == 2:
                    ctx.add(base, f"{who} annotated this task more than once (combine keeps the newest)",
                            "duplicate", annotation=annotation, severity="warning")  # fmt: skip
            if rules and rules.required:
                present = {r["from_name"] for r in annotation["result"]
                           if isinstance(r, dict) and isinstance(r.get("from_name"), str)}  # fmt: skip
                for name in sorted(rules.required - present):
                    ctx.add(f"{base}.result", f"required {name} is missing", "required", annotation=annotation)
    return ctx.problems


def validate_file(path: Path, *, rules: ProjectRules | None = None) -> list[Problem]:
    """Every problem of one export file, reading one task at a time. Raises InputError when the
    file cannot be read or parsed (exports.validate_exports reports that as a problem instead)."""
    problems: list[Problem] = []
    for index, task in enumerate(iter_array(path)):
        problems += validate_task(task, index, file=str(path), rules=rules)
    return problems


def summary(problems: list[Problem]) -> dict[str, Any]:
    errors = sum(p.severity == "error" for p in problems)
    return {
        "valid": errors == 0,
        "errors": errors,
        "warnings": len(problems) - errors,
        "by_kind": dict(sorted(Counter(f"{p.severity}:{p.kind}" for p in problems).items())),
    }


def has_errors(problems: list[Problem], *, strict: bool = False) -> bool:
    return any(p.severity == "error" or strict for p in problems)
