"""Validate Label Studio exports: the JSON Schema in schemas/ plus semantic checks.

Label Studio stores whatever a client sends (measured: offsets past the end of the text and span
texts that do not match their offsets are accepted), so these checks are where bad data is caught.
Every problem is collected and located; nothing stops at the first one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .errors import InputError
from .resources import schema_path

EXPORT_SCHEMA = "labelstudio-export.schema.json"


@dataclass(frozen=True)
class Problem:
    file: str
    path: str  # JSON path into the file, e.g. $[0].annotations[1].result[2].value.start
    message: str
    task_id: int | None = None
    annotation_id: int | None = None
    severity: str = "error"  # or "warning"

    def line(self) -> str:
        where = [self.file]
        if self.task_id is not None:
            where.append(f"task {self.task_id}")
        if self.annotation_id is not None:
            where.append(f"annotation {self.annotation_id}")
        return f"{': '.join(where)}: {self.path}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def _export_validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_path(EXPORT_SCHEMA).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _json_path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _id(obj: Any) -> int | None:
    value = obj.get("id") if isinstance(obj, dict) else None
    return value if isinstance(value, int) else None


def load_export(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected an export file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


def _message(error: Any) -> str:
    """jsonschema's message without the offending value, which may be a whole task."""
    from jsonschema.exceptions import best_match

    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = best_match(error.context)
        return _message(deepest)
    if error.validator == "type":
        got = _JSON_TYPES.get(type(error.instance), "a number")
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"is {got}, expected {expected}"
    message = error.message
    return message if len(message) <= 200 else message[:200] + "..."


def _schema_problems(tasks: Any, file: str) -> list[Problem]:
    problems = []
    for error in _export_validator().iter_errors(tasks):
        parts = list(error.absolute_path)
        task = tasks[parts[0]] if parts and isinstance(tasks, list) else None
        annotation = None
        if len(parts) >= 3 and parts[1] == "annotations" and isinstance(task, dict):
            annotation = task["annotations"][parts[2]]
        problems.append(
            Problem(file, _json_path(parts), _message(error), task_id=_id(task), annotation_id=_id(annotation))
        )
    return problems


def _result_problems(
    results: list[Any], text: Any, *, file: str, base: str, task_id: int | None, annotation_id: int | None
) -> list[Problem]:
    problems = []

    def add(path: str, message: str, severity: str = "error") -> None:
        problems.append(Problem(file, f"{base}{path}", message, task_id, annotation_id, severity))

    region_ids = {r.get("id") for r in results if isinstance(r, dict) and r.get("type") != "relation"}
    for i, result in enumerate(results):
        if not isinstance(result, dict):
            continue  # the schema reports it
        if result.get("type") == "relation":
            for end in ("from_id", "to_id"):
                if result.get(end) not in region_ids:
                    add(f".result[{i}].{end}", f"relation end {result.get(end)!r} is not a region of this annotation")
            continue
        value = result.get("value")
        if not isinstance(value, dict) or "start" not in value or "end" not in value:
            continue
        start, end = value["start"], value["end"]
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(text, str)):
            continue
        if not 0 <= start < end <= len(text):
            add(f".result[{i}].value", f"offsets {start}-{end} lie outside the task text (length {len(text)})")
            continue
        region_text = value.get("text")
        expected = text[start:end]
        if isinstance(region_text, str) and region_text != expected:
            if region_text.split() == expected.split():
                add(f".result[{i}].value.text", "span text differs from the task text only in whitespace", "warning")
            else:
                add(
                    f".result[{i}].value.text",
                    f"span text {region_text!r} does not match the task text at {start}-{end}: {expected!r}",
                )
    return problems


def validate_tasks(tasks: Any, *, file: str) -> list[Problem]:
    problems = _schema_problems(tasks, file)
    if not isinstance(tasks, list):
        return problems
    for t, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            continue
        text = task["data"].get("text")
        for kind in ("annotations", "predictions"):
            for a, annotation in enumerate(task.get(kind) or []):
                if not isinstance(annotation, dict) or not isinstance(annotation.get("result"), list):
                    continue
                problems += _result_problems(
                    annotation["result"],
                    text,
                    file=file,
                    base=f"$[{t}].{kind}[{a}]",
                    task_id=_id(task),
                    annotation_id=_id(annotation) if kind == "annotations" else None,
                )
    return problems


def validate_file(path: Path) -> list[Problem]:
    return validate_tasks(load_export(path), file=str(path))


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
