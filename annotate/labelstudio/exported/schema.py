"""The JSON Schema of a Label Studio export: the validator, its messages, a fast path that accepts
the common well-formed task without running the schema (never what the schema rejects: tested),
and the schema of a project's exports."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from annotate.labelstudio.exported.rules import RESULT_TYPE, ProjectRules
from annotate.resources import schema_path

EXPORT_SCHEMA = "labelstudio-export.schema.json"


# JSON Schema -----------------------------------------------------------------------------------------
@cache
def task_validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_path(EXPORT_SCHEMA).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator({"$ref": "#/$defs/task", "$defs": schema["$defs"]})


JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


def schema_message(error: Any) -> str:
    """jsonschema's message without the offending value, which may be a whole task."""
    from jsonschema.exceptions import best_match

    if error.validator in ("oneOf", "anyOf") and error.context:
        return schema_message(best_match(error.context))
    if error.validator == "type":
        got = JSON_TYPES.get(type(error.instance), "a number")
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"is {got}, expected {expected}"
    message = error.message
    return message if len(message) <= 200 else message[:200] + "..."


def json_path(parts: Iterable[Any]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


# Fast path: the common shape of a valid task, checked in plain Python. It only ever says "valid"
# for tasks the schema accepts (tests check this); anything else goes to jsonschema for the report.
_SPAN_TYPES = {"labels", "choices", "textarea", "rating", "number"}


def _int(value: Any) -> bool:
    return type(value) is int


def _fast_result(r: Any) -> bool:
    if type(r) is not dict:
        return False
    kind = r.get("type")
    if kind == "relation":
        ends = r.get("from_id"), r.get("to_id")
        return (
            all(type(e) is str and e for e in ends)
            and r.get("direction", "right") in ("right", "left", "bi")
            and ("labels" not in r or (type(r["labels"]) is list and all(type(x) is str for x in r["labels"])))
        )
    if type(kind) is not str or kind not in _SPAN_TYPES:
        return False
    if type(r.get("from_name")) is not str or not r["from_name"] or type(r.get("to_name")) is not str:
        return False
    if not r["to_name"] or ("id" in r and type(r["id"]) is not str):
        return False
    v = r.get("value")
    if type(v) is not dict:
        return False
    has_start, has_end = "start" in v, "end" in v
    if has_start != has_end or (
        has_start and not (_int(v["start"]) and _int(v["end"]) and v["start"] >= 0 <= v["end"])
    ):
        return False
    if kind == "labels":
        labels = v.get("labels")
        return (
            has_start
            and type(labels) is list
            and bool(labels)
            and all(type(x) is str for x in labels)
            and ("text" not in v or type(v["text"]) is str)
        )
    if kind == "choices":
        choices = v.get("choices")
        return (
            type(choices) is list
            and bool(choices)
            and all(type(x) is str for x in choices)
            and ("text" not in v or type(v["text"]) is str)
        )
    if kind == "textarea":
        return type(v.get("text")) is list and all(type(x) is str for x in v["text"])
    if kind == "rating":
        return type(v.get("rating")) in (int, float)
    return type(v.get("number")) in (int, float)


def _fast_annotation(a: Any, *, prediction: bool) -> bool:
    if type(a) is not dict or not _int(a.get("id")) or type(a.get("result")) is not list:
        return False
    if prediction:
        if a.get("model_version") is not None and type(a["model_version"]) is not str:
            return False
        if a.get("score") is not None and type(a["score"]) not in (int, float):
            return False
    else:
        who = a.get("completed_by")
        if "completed_by" in a and not (_int(who) or (type(who) is dict and _int(who.get("id")) and (
                "email" not in who or type(who["email"]) is str))):  # fmt: skip
            return False
        if "was_cancelled" in a and type(a["was_cancelled"]) is not bool:
            return False
        if "ground_truth" in a and type(a["ground_truth"]) is not bool:
            return False
        lead = a.get("lead_time")
        if lead is not None and not (type(lead) in (int, float) and lead >= 0):
            return False
        for key in ("created_at", "updated_at"):
            if key in a and type(a[key]) is not str:
                return False
        if "task" in a and not _int(a["task"]):
            return False
        if a.get("project") is not None and not _int(a["project"]):
            return False
        if a.get("unique_id") is not None and type(a["unique_id"]) is not str:
            return False
    return all(_fast_result(r) for r in a["result"])


def fast_task_valid(task: Any) -> bool:
    if type(task) is not dict or not _int(task.get("id")) or type(task.get("data")) is not dict:
        return False
    annotations = task.get("annotations")
    if type(annotations) is not list or not all(_fast_annotation(a, prediction=False) for a in annotations):
        return False
    predictions = task.get("predictions", [])
    if type(predictions) is not list or not all(_int(p) or _fast_annotation(p, prediction=True) for p in predictions):
        return False
    if "drafts" in task and type(task["drafts"]) is not list:
        return False
    if task.get("meta") is not None and type(task["meta"]) is not dict:
        return False
    for key in ("project", "total_annotations", "cancelled_annotations", "total_predictions"):
        if key in task and not (_int(task[key]) and (key == "project" or task[key] >= 0)):
            return False
    return task.get("inner_id") is None or _int(task["inner_id"])


def project_schema(name: str, rules: ProjectRules) -> dict[str, Any]:
    """A JSON Schema (2020-12) for exports of one project: every result names a control of its label
    config, points at that control's object, and uses only its labels or choices."""
    variants: list[dict[str, Any]] = [
        {
            "properties": {
                "type": {"const": "relation"},
                "labels": {"type": "array", "items": {"enum": sorted(rules.relations)}},
            },
            "required": ["type", "from_id", "to_id"],
        }
    ]
    for control in sorted(rules.controls.values(), key=lambda c: c.name):
        kind = RESULT_TYPE[control.tag]
        value: dict[str, Any] = {"type": "object"}
        key = {"labels": "labels", "choices": "choices"}.get(kind)
        if key and control.values is not None:
            values = {"type": "array", "minItems": 1, "items": {"enum": sorted(control.values)}}
            value = {"type": "object", "required": [key], "properties": {key: values}}
        variants.append(
            {
                "properties": {
                    "from_name": {"const": control.name},
                    "to_name": {"const": control.to_name},
                    "type": {"const": kind},
                    "value": value,
                },
                "required": ["from_name", "to_name", "type", "value"],
            }
        )
    result = {"type": "object", "oneOf": variants}
    annotation = {"type": "object", "required": ["result"],
                  "properties": {"result": {"type": "array", "items": {"$ref": "#/$defs/result"}}}}  # fmt: skip
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://annotate.local/schemas/projects/{name}.schema.json",
        "title": f"Label Studio export of the {name} project",
        "description": f"Generated by `annotate schema {name}` from projects/{name}/config.xml; do not edit. "
        "Use with labelstudio-export.schema.json, which checks the export's general structure.",
        "type": "array",
        "items": {
            "type": "object",
            "required": ["data", "annotations"],
            "properties": {
                "data": {"type": "object", "required": sorted(rules.fields)},
                "annotations": {"type": "array", "items": {"$ref": "#/$defs/annotation"}},
                "predictions": {
                    "type": "array",
                    "items": {"oneOf": [{"type": "integer"}, {"$ref": "#/$defs/annotation"}]},
                },
            },
        },
        "$defs": {"annotation": annotation, "result": result},
    }
