"""One definition of a valid export, shared by every command that reads exports; the wrong results
the scattered readers produced, each fixed; relations whose ends say what they are."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.labelstudio.exported.validate import validate_task

from .builders import TEXTS, export
from .builders import annotation as _annotation
from .builders import span as _span
from .builders import status as _status
from .builders import task as _task
from .conftest import ROOT, write_export

BAD = [{"id": 1, "data": {"text": "x"}, "annotations": [5]}]  # an annotation that is a number


@pytest.mark.parametrize("command", [["combine", "-o", "out"], ["agreement"]])
def test_what_validate_rejects_never_reaches_dataset_code(tmp_path: Path, command: list[str]) -> None:
    path = write_export(tmp_path / "bad.json", BAD, "claims")
    validated = CliRunner().invoke(app, ["validate", str(path)])
    assert validated.exit_code == 1
    result = CliRunner().invoke(app, [command[0], str(path), *command[1:]])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # an error, not a crash
    assert f"{path}: task 1: $[0].annotations[0]: error [schema]: is a number, expected object" in result.stderr
    assert not (Path("out") / "annotations.csv").exists()


def test_an_export_without_manifest_needs_a_project(tmp_path: Path) -> None:
    path = write_export(tmp_path / "download.json", export())
    result = CliRunner().invoke(app, ["agreement", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {path}: no manifest says which project this export belongs to",
        "Hint: name it with --project (e.g. --project claims); `annotate export` writes a manifest beside each export",
    ]
    assert CliRunner().invoke(app, ["agreement", str(path), "--project", "claims"]).exit_code == 0


def test_an_export_of_another_project_is_refused(tmp_path: Path) -> None:
    path = write_export(tmp_path / "v.json", export(), "verification")
    result = CliRunner().invoke(app, ["combine", str(path), "-o", str(tmp_path / "d"), "--project", "claims"])
    assert result.exit_code == 1
    assert f"Error: {path} is an export of project 'verification', not 'claims'" in result.stderr
    review = write_export(tmp_path / "r.json", export(), "claims-adjudication")  # a review project counts as its own
    assert CliRunner().invoke(app, ["agreement", str(review), "--project", "claims"]).exit_code == 0


def test_combine_applies_the_project_config(tmp_path: Path) -> None:
    """An unknown label and a missing required claim_status are refused, not merged away."""
    t = TEXTS["a1-0"]
    tasks = [_task(1, "a1-0", [_annotation(1, "a@x.org", [_span("c", t, "Unemployment", "CLAIMZ")])])]
    path = write_export(tmp_path / "e.json", tasks, "claims")
    result = CliRunner().invoke(app, ["combine", str(path), "-o", str(tmp_path / "d")])
    assert result.exit_code == 1
    assert "'CLAIMZ' is not a value of span" in result.stderr
    assert "required claim_status is missing" in result.stderr
    assert not (tmp_path / "d").exists()


def test_the_card_says_when_annotators_are_named(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.json", export(), "claims")
    for flag, words in (([], "pseudonymised (hashed e-mails)"), (["--keep-annotator-identity"], "named (e-mail")):
        out = tmp_path / ("named" if flag else "hidden")
        assert CliRunner().invoke(app, ["combine", str(path), "-o", str(out), *flag]).exit_code == 0
        assert f"Annotators are {words}" in (out / "README.md").read_text()


def test_the_card_names_the_mapping_of_the_projects_folder(tmp_path: Path) -> None:
    import shutil

    projects = tmp_path / "projects"
    shutil.copytree(ROOT / "projects", projects)
    mapping = json.loads((projects / "verification" / "verdict-mapping.json").read_text())
    mapping["version"] = "9.9.9-newsroom"
    (projects / "verification" / "verdict-mapping.json").write_text(json.dumps(mapping))
    path = write_export(tmp_path / "e.json", export(), "claims")
    result = CliRunner().invoke(app, ["combine", str(path), "-o", str(tmp_path / "d"), "--projects-dir", str(projects)])
    assert result.exit_code == 0, result.stderr
    assert "Verdict mapping version: 9.9.9-newsroom." in (tmp_path / "d" / "README.md").read_text()


# Relations: the ends decide -------------------------------------------------------------------------
def _one(result: list[dict]) -> list[tuple[str, str]]:
    task = _task(1, "a1-0", [_annotation(1, "a@x.org", [*result, _status("claim_checkworthy")])])
    return [(p.kind, p.message) for p in validate_task(task, 0, file="f") if p.severity == "error"]


T = TEXTS["a1-0"]
CLAIM, SOURCE, CUE = (_span("c", T, "Unemployment fell", "CLAIM"), _span("s", T, "the minister", "SOURCE"),
                      _span("q", T, "said", "CUE"))  # fmt: skip


def _rel(a: str, b: str, *labels: str) -> dict:
    return {
        "from_id": a,
        "to_id": b,
        "type": "relation",
        "direction": "right",
        **({"labels": list(labels)} if labels else {}),
    }


@pytest.mark.parametrize(
    "relation,problems",
    [
        (_rel("s", "c"), []),  # unlabelled CLAIM–SOURCE: attributed_to
        (_rel("c", "q"), []),  # unlabelled CUE–CLAIM: cue_of
        (_rel("q", "s"), [("relation", "a relation between ['CUE'] and ['SOURCE'] spans needs a label")]),
        (_rel("c", "s", "attributed_to", "cue_of"), [
            ("relation", "a relation has one label; this one has 2 (attributed_to, cue_of)"),
            ("relation", "cue_of must join a CUE and a CLAIM span, joins ['CLAIM'] and ['SOURCE']"),
        ]),
        (_rel("c", "s", "cue_of"), [("relation", "cue_of must join a CUE and a CLAIM span, joins ['CLAIM'] and ['SOURCE']")]),
    ],
)  # fmt: skip
def test_relation_rules(relation: dict, problems: list) -> None:
    assert _one([CLAIM, SOURCE, CUE, relation]) == problems


def test_an_unlabelled_attribution_keeps_the_claims_source(tmp_path: Path) -> None:
    result = [CLAIM, SOURCE, _rel("s", "c"), _status("claim_checkworthy"),
              {"id": "s", "from_name": "source_type", "to_name": "text", "type": "choices",
               "value": {"start": 35, "end": 47, "text": "the minister", "choices": ["named_person"]}}]  # fmt: skip
    path = write_export(tmp_path / "e.json", [_task(1, "a1-0", [_annotation(1, "a@x.org", result)])], "claims")
    assert CliRunner().invoke(app, ["combine", str(path), "-o", str(tmp_path / "d")]).exit_code == 0
    claim = pd.read_csv(tmp_path / "d" / "claims.csv").iloc[0]
    assert (claim.source_text, claim.source_type) == ("the minister", "named_person")
    relation = pd.read_csv(tmp_path / "d" / "relations.csv").iloc[0]
    assert (relation.relation, relation.from_region, relation.to_region, relation.relation_source) == (
        "attributed_to",
        "c",
        "s",
        "inferred",
    )


# New structural checks -------------------------------------------------------------------------------
def _task_with(result: list[dict], **data) -> dict:
    task = _task(1, "a1-0", [_annotation(1, "a@x.org", [*result, _status("no_claim")])])
    task["data"] |= data
    return task


@pytest.mark.parametrize(
    "task,expected",
    [
        (_task_with([{**CLAIM, "value": {**CLAIM["value"], "start": 0.0}}]), ("offsets", "offsets must be JSON integers, got 0.0 and 17")),
        (_task_with([{**CLAIM, "value": {**CLAIM["value"], "end": True}}]), ("schema", None)),
        (_task_with([CLAIM, {**SOURCE, "id": "c"}]), ("region", "two spans have the region id 'c'")),
        (_task_with([{**CLAIM, "value": {**CLAIM["value"], "start": 5, "end": 5, "text": ""}}]), ("offsets", "offsets 5-5: an empty span")),
        (_task_with([{**CLAIM, "value": {**CLAIM["value"], "start": 9, "end": 3, "text": "x"}}]), ("offsets", "offsets 9-3: start after end")),
        (_task_with([], text=3), ("data", "is a number, expected a string")),
        (_task_with([], title=float("nan")), ("data", "nan is not a JSON value (NaN and Infinity are not JSON)")),
        (_task_with([], title="bad \ud800"), ("data", "holds a lone surrogate (U+D800), which Label Studio cannot store")),
    ],
)  # fmt: skip
def test_new_structural_checks(task: dict, expected: tuple[str, str | None]) -> None:
    errors = [(p.kind, p.message) for p in validate_task(task, 0, file="f") if p.severity == "error"]
    assert errors, "not reported"
    kind, message = expected
    assert any(k == kind and (message is None or m == message) for k, m in errors), errors


def test_bad_utf8_deep_in_a_file_is_located_by_byte(tmp_path: Path) -> None:
    from annotate.labelstudio.exported.exports import validate_exports

    good = json.dumps(export())
    raw = good[:-1].encode() + b"," + b" " * 5_000_000 + b'"\xff"]'
    path = tmp_path / "e.json"
    path.write_bytes(raw)
    (problem,) = validate_exports([path]).problems[-1:]
    assert problem.message == f"{path}: not valid UTF-8 at byte {len(raw) - 3}"


def test_deeply_nested_json_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" + "[" * 100_000 + "]" * 100_000 + "]")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 1 and "nested too deeply" in result.stdout


# The dataset folder is replaced as a whole -----------------------------------------------------------
def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failed_combine_leaves_the_dataset_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_export(tmp_path / "e.json", export(), "claims")
    out = tmp_path / "d"
    assert CliRunner().invoke(app, ["combine", str(path), "-o", str(out)]).exit_code == 0
    before = _tree(out)
    assert "splits.json" in before and "claims.csv" in before

    import annotate.dataset.build as build

    def broken(*args, **kwargs):  # fails after the tables are written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build, "write_benchmark_files", broken)
    result = CliRunner().invoke(app, ["combine", str(path), "-o", str(out), "--seed", "99"])
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "e.json", "e.manifest.json"]  # nothing left aside


def test_combine_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.json", export(), "claims")
    out = tmp_path / "notes"
    out.mkdir()
    (out / "thesis.tex").write_text("mine")
    result = CliRunner().invoke(app, ["combine", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert "holds files annotate did not write (thesis.tex)" in result.stderr
    assert _tree(out) == {"thesis.tex": b"mine"}


def test_a_rerun_keeps_the_splits_and_replaces_the_rest(tmp_path: Path) -> None:
    path = write_export(tmp_path / "e.json", export(), "claims")
    out = tmp_path / "d"
    assert CliRunner().invoke(app, ["combine", str(path), "-o", str(out), "--seed", "1"]).exit_code == 0
    first = json.loads((out / "splits.json").read_text())["articles"]
    again = CliRunner().invoke(app, ["combine", str(path), "-o", str(out), "--seed", "2", "--table-format", "parquet"])
    assert again.exit_code == 0, again.stderr
    assert json.loads((out / "splits.json").read_text())["articles"] == first  # articles keep their split
    assert not (out / "claims.csv").exists()  # the folder is the new dataset, not old tables beside new ones
