from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from annotate.errors import InputError
from annotate.labelstudio.exported.rules import rules_from_config
from annotate.labelstudio.exported.schema import fast_task_valid
from annotate.labelstudio.exported.validate import validate_file, validate_task

from .conftest import ROOT, SAMPLES

DATA = ROOT / "tests" / "data"
CLAIMS = rules_from_config((ROOT / "projects" / "claims" / "config.xml").read_text(encoding="utf-8"))
SAMPLE_RULES = rules_from_config((SAMPLES / "test-config.xml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["export_JSON.json", "snapshot_full_predictions_example.json"])
def test_real_exports_are_valid(name: str) -> None:
    assert validate_file(SAMPLES / name) == []
    # With their own label config too (the loader's fields are not required of them).
    rules = type(SAMPLE_RULES)(SAMPLE_RULES.controls, SAMPLE_RULES.relations, fields=("text",))
    assert [p.line() for p in validate_file(SAMPLES / name, rules=rules)] == []


def test_a_real_claims_export_is_valid_against_the_claims_config() -> None:
    assert validate_file(DATA / "claims_export_valid.json", rules=CLAIMS) == []


def test_empty_export_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("[]")
    assert validate_file(path) == []


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "duplicate_annotator",
            [
                (
                    "warning",
                    "duplicate",
                    "$[0].annotations[1]",
                    "admin@annotate.local annotated this task more than once (combine keeps the newest)",
                ),
            ],
        ),
        (
            "missing_task_fields",
            [
                ("error", "fields", "$[0].data", "task lacks sentence_id"),
            ],
        ),
        (
            "offsets_outside_text",
            [
                (
                    "error",
                    "offsets",
                    "$[0].annotations[0].result[1].value",
                    "offsets 37-900 lie outside the task text (length 110)",
                ),
            ],
        ),
        (
            "region_on_wrong_label",
            [
                (
                    "error",
                    "region",
                    "$[0].annotations[0].result[3]",
                    "source_type belongs on a SOURCE span, is on a CLAIM span",
                ),
            ],
        ),
        (
            "region_without_span",
            [
                (
                    "error",
                    "region",
                    "$[0].annotations[0].result[3].id",
                    "source_type is a per-region answer, but no span has id 'nope'",
                ),
            ],
        ),
        (
            "relation_dangling",
            [
                (
                    "error",
                    "relation",
                    "$[0].annotations[0].result[2].to_id",
                    "relation end 'ghost' is not a span of this annotation",
                ),
            ],
        ),
        (
            "relation_wrong_labels",
            [
                (
                    "error",
                    "relation",
                    "$[0].annotations[0].result[2]",
                    "cue_of must join a CUE and a CLAIM span, joins ['CLAIM'] and ['SOURCE']",
                ),
            ],
        ),
        (
            "required_missing",
            [
                ("error", "required", "$[0].annotations[0].result", "required claim_status is missing"),
            ],
        ),
        (
            "schema_empty_labels",
            [
                ("error", "schema", "$[0].annotations[0].result[0].value.labels", "[] should be non-empty"),
            ],
        ),
        (
            "span_text_mismatch",
            [
                (
                    "error",
                    "offsets",
                    "$[0].annotations[0].result[0].value.text",
                    "span text 'Russian President Boris Yeltsin' does not match the task text at 0-32: 'Russian President Vladimir Putin'",
                ),
            ],
        ),
        (
            "span_text_whitespace",
            [
                (
                    "warning",
                    "offsets",
                    "$[0].annotations[0].result[0].value.text",
                    "span text differs from the task text only in whitespace",
                ),
            ],
        ),
        (
            "unknown_control",
            [
                (
                    "error",
                    "label",
                    "$[0].annotations[0].result[4].from_name",
                    "control 'checkworthy' is not in the project's config",
                ),
                ("error", "required", "$[0].annotations[0].result", "required claim_status is missing"),
            ],
        ),
        (
            "unknown_label",
            [
                (
                    "error",
                    "label",
                    "$[0].annotations[0].result[1].value",
                    "'Claim' is not a value of span (CLAIM, CUE, SOURCE)",
                ),
            ],
        ),
        (
            "utf16_offsets",
            [
                (
                    "error",
                    "offsets",
                    "$[0].annotations[0].result[0].value",
                    "offsets 3-35 count UTF-16 code units, not characters (an emoji or other astral character comes before the span)",
                ),
                (
                    "error",
                    "offsets",
                    "$[0].annotations[0].result[1].value",
                    "offsets 40-112 count UTF-16 code units, not characters (an emoji or other astral character comes before the span)",
                ),
                (
                    "error",
                    "offsets",
                    "$[0].annotations[0].result[3].value",
                    "offsets 3-35 count UTF-16 code units, not characters (an emoji or other astral character comes before the span)",
                ),
            ],
        ),
    ],
)
def test_each_defect_is_reported_exactly(fixture: str, expected: list) -> None:
    problems = validate_file(DATA / "defects" / f"{fixture}.json", rules=CLAIMS)
    assert [(p.severity, p.kind, p.path, p.message) for p in problems] == [tuple(e) for e in expected]


def test_problem_lines_name_file_task_sentence_annotation_and_annotator() -> None:
    (problem,) = validate_file(DATA / "defects" / "span_text_mismatch.json", rules=CLAIMS)
    assert problem.line() == (
        f"{DATA / 'defects' / 'span_text_mismatch.json'}: task 9 (fb6e479f2440c62b-1344): "
        "annotation 1 by admin@annotate.local: $[0].annotations[0].result[0].value.text: error [offsets]: "
        "span text 'Russian President Boris Yeltsin' does not match the task text at 0-32: "
        "'Russian President Vladimir Putin'"
    )


def test_not_a_list_of_tasks(tmp_path: Path) -> None:
    path = tmp_path / "task.json"
    path.write_text(json.dumps({"id": 1}))
    with pytest.raises(InputError, match=r"task\.json:1:1: not a JSON array"):
        validate_file(path)


def test_invalid_json_is_located(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[{"id": 1,\n  "data": }]')
    with pytest.raises(InputError, match=r"broken.json:2:11: not valid JSON: Expecting value"):
        validate_file(path)


# The fast path only ever accepts what the schema accepts.
BASE = json.loads((DATA / "claims_export_valid.json").read_text(encoding="utf-8"))
_VALUES = st.sampled_from([None, 0, -1, 1.5, "", "x", [], {}, [""], {"id": 1}, True])


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


_ALL_PATHS = [p for task in BASE for p in _paths(task) if p]


# A value put at a path and then inside itself: with the sampled value shared rather than copied,
# the task held a cycle (as no parsed JSON can) and the walk never ended.
_NESTED = next(p for p in _ALL_PATHS if len(p) >= 2)
_SHARED: dict = {}


@settings(max_examples=400, deadline=None)
@given(
    st.integers(0, len(BASE) - 1), st.lists(st.tuples(st.sampled_from(_ALL_PATHS), _VALUES, st.booleans()), max_size=3)
)
@example(0, [(_NESTED[:-1], _SHARED, False), (_NESTED, _SHARED, False)])
def test_fast_path_never_accepts_what_the_schema_rejects(index, edits) -> None:
    task = json.loads(json.dumps(BASE[index]))
    for path, value, delete in edits:
        value = copy.deepcopy(value)  # _VALUES' lists and dicts are shared between examples
        parent = task
        try:
            for key in path[:-1]:
                parent = parent[key]
            if delete and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    if fast_task_valid(task):
        from annotate.labelstudio.exported.schema import task_validator

        assert list(task_validator().iter_errors(task)) == []
    validate_task(task, 0, file="x.json", rules=CLAIMS)  # never raises, whatever the damage


@pytest.mark.parametrize("name", ["claims", "verification"])
def test_checked_in_project_schemas_match_their_configs(name: str) -> None:
    from annotate.labelstudio.api.projects import load_project
    from annotate.labelstudio.exported.schema import project_schema

    spec = load_project(name, projects_dir=ROOT / "projects")
    rules = rules_from_config(spec.label_config, spec.task_fields())
    checked_in = json.loads((ROOT / "schemas" / "projects" / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert checked_in == project_schema(name, rules), f"run `annotate schema {name}` and commit the result"


def test_project_schema_accepts_a_real_export_and_rejects_a_foreign_label() -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((ROOT / "schemas" / "projects" / "claims.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(json.loads((DATA / "claims_export_valid.json").read_text()))) == []
    errors = list(validator.iter_errors(json.loads((DATA / "defects" / "unknown_label.json").read_text())))
    assert [list(e.absolute_path) for e in errors] == [[0, "annotations", 0, "result", 1]]


def test_answers_nobody_meant_are_warned_of() -> None:
    """Spans on a no-claim sentence; claim types stored without a claim status that shows them."""
    from .builders import annotation, span, status, task

    rules = rules_from_config((ROOT / "projects" / "claims" / "config.xml").read_text(encoding="utf-8"))
    text = "Unemployment fell by 3% last year, the minister said."
    types = {"from_name": "claim_types", "to_name": "text", "type": "choices", "value": {"choices": ["other"]}}
    cases = {
        "spans": [span("c", text, "Unemployment fell", "CLAIM"), status("no_claim")],
        "types": [status("no_claim"), types],
        "fine": [span("c", text, "Unemployment fell", "CLAIM"), status("claim_checkworthy"), types],
    }
    found = {}
    for name, result in cases.items():
        made = task(1, "a1-0", [annotation(10, "a@x.org", result)])
        found[name] = [(p.severity, p.kind, p.message) for p in validate_task(made, 0, file="f", rules=rules)
                       if p.kind == "consistency"]  # fmt: skip
    assert found["spans"] == [("warning", "consistency", "no_claim, yet 1 span(s) are marked (CLAIM, SOURCE or CUE)")]
    assert found["types"] == [
        (
            "warning",
            "consistency",
            "claim types are stored with claim_status no_claim: the editor "
            "shows them only for a claim, so they were ticked while hidden",
        )
    ]
    assert found["fine"] == []
