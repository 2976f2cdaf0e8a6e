from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from annotate.validate import validate_file, validate_tasks

from .conftest import SAMPLES

EXPORT = json.loads((SAMPLES / "export_JSON.json").read_text())


@pytest.mark.parametrize("name", ["export_JSON.json", "snapshot_full_predictions_example.json"])
def test_real_exports_are_valid(name: str) -> None:
    assert validate_file(SAMPLES / name) == []


def test_empty_export_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("[]")
    assert validate_file(path) == []


def lines(tasks: list) -> list[str]:
    return [p.line() for p in validate_tasks(tasks, file="x.json")]


def mutated(change) -> list:
    tasks = copy.deepcopy(EXPORT)
    change(tasks[0]["annotations"][0]["result"])
    return tasks


def test_offsets_outside_the_text() -> None:
    def change(result: list) -> None:
        result[0]["value"].update(start=40, end=900)

    assert lines(mutated(change)) == [
        "x.json: task 1001: annotation 1: $[0].annotations[0].result[0].value: error: "
        "offsets 40-900 lie outside the task text (length 52)"
    ]


def test_span_text_that_does_not_match() -> None:
    def change(result: list) -> None:
        result[0]["value"]["text"] = "The ministry"

    assert lines(mutated(change)) == [
        "x.json: task 1001: annotation 1: $[0].annotations[0].result[0].value.text: error: "
        "span text 'The ministry' does not match the task text at 0-12: 'The minister'"
    ]


def test_whitespace_only_difference_is_a_warning() -> None:
    def change(result: list) -> None:
        result[0]["value"]["text"] = "The  minister"

    problems = validate_tasks(mutated(change), file="x.json")
    assert [(p.severity, p.message) for p in problems] == [
        ("warning", "span text differs from the task text only in whitespace")
    ]


def test_relation_to_a_missing_region() -> None:
    def change(result: list) -> None:
        result[2]["to_id"] = "ghost"

    assert lines(mutated(change)) == [
        "x.json: task 1001: annotation 1: $[0].annotations[0].result[2].to_id: error: "
        "relation end 'ghost' is not a region of this annotation"
    ]


def test_schema_errors_are_all_reported_and_located() -> None:
    def change(result: list) -> None:
        result[0]["value"]["labels"] = []
        del result[5]["from_name"]

    assert lines(mutated(change)) == [
        "x.json: task 1001: annotation 1: $[0].annotations[0].result[0].value.labels: error: [] should be non-empty",
        "x.json: task 1001: annotation 1: $[0].annotations[0].result[5]: error: 'from_name' is a required property",
    ]


def test_not_a_list_of_tasks() -> None:
    assert lines({"id": 1}) == ["x.json: $: error: is an object, expected array"]


def test_invalid_json_is_located(tmp_path: Path) -> None:
    from annotate.errors import InputError

    path = tmp_path / "broken.json"
    path.write_text('[{"id": 1,\n  "data": }]')
    with pytest.raises(InputError, match=r"broken.json:2:11: not valid JSON"):
        validate_file(path)
