"""Reference labels of benchmark rows at work: out of sight (the task's meta) or shown as the active
suggestions, and annotators scored against them on the benchmark's own scale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from annotate.articles.rows import reference_scale, suggested_status
from annotate.cli import app
from annotate.labelstudio.api.client import TaskRef
from annotate.labelstudio.api.load import REFERENCE_MODEL_VERSION, LoadOptions, ReferencePredictions, _task, load_tasks

from .conftest import write_export
from .test_rows import CT24, as_exported, split


class _Server:
    """Our task-server protocol, as the real server answers it: task ids in import order."""

    url = "http://127.0.0.1:1"

    def __init__(self) -> None:
        self.imported: list[dict[str, Any]] = []

    def tasks(self, project_id: int) -> list[TaskRef]:
        return [TaskRef(i, t["data"], 0) for i, t in enumerate(self.imported, 1)]

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        start = len(self.imported)
        self.imported += tasks
        return list(range(start + 1, len(self.imported) + 1))

    def delete_task(self, task_id: int) -> None:
        raise AssertionError("nothing to delete")


def test_hidden_references_go_to_the_task_meta(tmp_path: Path) -> None:
    records = split(tmp_path, str(CT24))[:3]
    server = _Server()
    report = load_tasks(
        server, 1, records, LoadOptions(journal_path=tmp_path / "journal.json", hide=("reference_label",))
    )
    assert report.created == 3
    for record, task in zip(records, server.imported, strict=True):
        assert "reference_label" not in task["data"]
        assert "class_label" not in task["data"]["source_columns"]["cells"]  # nor in the row's cells
        assert task["meta"] == {"reference_label": record["reference_label"]}
        assert "predictions" not in task
    assert _task({"text": "x", "reference_label": None}, ("reference_label",)) == {
        "data": {"text": "x", "reference_label": None}
    }


def test_references_as_predictions_on_the_benchmarks_scale(tmp_path: Path) -> None:
    records = split(tmp_path, str(CT24))[:3]  # Yes, No, No
    predict = ReferencePredictions({str(records[0]["corpus"]): {"Yes", "No"}})
    predictions = [predict(r) for r in records]
    statuses = [p[0]["result"][0]["value"]["choices"] for p in predictions]
    assert statuses == [["claim_checkworthy"], ["no_claim"], ["no_claim"]]
    assert {p[0]["model_version"] for p in predictions} == {REFERENCE_MODEL_VERSION}
    assert predict(records[0] | {"corpus": "another"}) == []  # a corpus whose labels fit no scale
    scale = reference_scale({"-1", "0", "1"})
    assert scale is not None and scale[0] == "ClaimBuster -1/0/1"
    assert suggested_status("0", scale[1]) == "claim_not_checkworthy"
    assert reference_scale({"0", "1"})[0] == "CheckThat! 0/1"  # type: ignore[index]
    assert reference_scale({"maybe"}) is None


def _exported(records: list[dict], hidden: bool) -> list[dict]:
    """Two annotators: ann follows the reference, bea says No to every 4th Yes."""
    first = as_exported(records)
    flipped = {r["sentence_id"]: "No" for i, r in enumerate(records) if r["reference_label"] == "Yes" and i % 4 == 0}
    second = as_exported(records, labels=flipped, annotator="bea@x.org")
    for task, other in zip(first, second, strict=True):
        other["annotations"][0]["id"] += 5000
        task["annotations"] += other["annotations"]
        if hidden:
            task["meta"] = {"reference_label": task["data"].pop("reference_label")}
    return first


def test_agreement_scores_annotators_against_the_reference(tmp_path: Path) -> None:
    records = split(tmp_path, str(CT24))
    export = write_export(tmp_path / "export.json", _exported(records, hidden=True), project="claims")
    result = CliRunner().invoke(app, ["agreement", str(export), "--keep-annotator-identity", "--format", "json"])
    assert result.exit_code == 0, result.output
    reference = json.loads(result.stdout)["reference"]
    assert reference["reference"] == "hidden" and reference["sentences"] == {"hidden": 200}
    assert reference["scales"] == ["CheckThat! Yes/No"]
    assert reference["annotators"]["ann@x.org"] == {"items": 200, "accuracy": 1.0, "cohen_kappa": 1.0}
    # bea on CheckThat!'s scale, computed independently
    truth = [r["reference_label"] for r in records]
    bea = ["No" if label == "Yes" and i % 4 == 0 else label for i, label in enumerate(truth)]
    expected_accuracy = round(sum(a == b for a, b in zip(truth, bea, strict=True)) / 200, 4)
    assert reference["annotators"]["bea@x.org"] == {
        "items": 200, "accuracy": expected_accuracy, "cohen_kappa": round(cohen_kappa_score(truth, bea), 4),
    }  # fmt: skip
    assert expected_accuracy < 1.0
    text = CliRunner().invoke(app, ["agreement", str(export), "--keep-annotator-identity"]).stdout
    assert "reference labels (CheckThat! Yes/No): the annotators could NOT see it (load --reference-as hidden)" in text
    assert "ann@x.org vs reference: accuracy 1.0, Cohen's kappa 1.0 (200 sentences)" in text


def test_agreement_says_when_the_reference_was_visible(tmp_path: Path) -> None:
    records = split(tmp_path, str(CT24))[:20]
    export = write_export(tmp_path / "export.json", _exported(records, hidden=False), project="claims")
    text = CliRunner().invoke(app, ["agreement", str(export)]).stdout
    assert "reference labels (CheckThat! Yes/No): VISIBLE to the annotators (in the task data" in text


def test_the_card_scores_annotators_against_the_reference(tmp_path: Path) -> None:
    records = split(tmp_path, str(CT24))[:20]
    export = write_export(tmp_path / "export.json", _exported(records, hidden=True), project="claims")
    result = CliRunner().invoke(app, ["combine", str(export), "-o", str(tmp_path / "d"), "--keep-annotator-identity"])
    assert result.exit_code == 0, result.output
    card = (tmp_path / "d" / "README.md").read_text()
    assert (
        "- Against the reference labels (CheckThat! Yes/No; the annotators could NOT see it (load --reference-as "
        "hidden)): ann@x.org: accuracy 1.0, Cohen's kappa 1.0 (20 sentences); bea@x.org: accuracy"
    ) in card


def test_adjudication_keeps_a_hidden_reference_hidden(tmp_path: Path) -> None:
    from annotate.dataset.collect import collect

    from .conftest import views

    records = split(tmp_path, str(CT24))[:8]
    hidden, shown = (collect([views(_exported(records, hidden=h), project="claims")]) for h in (True, False))
    from annotate.loop.adjudicate import review_tasks

    hidden_tasks, shown_tasks = review_tasks(hidden, project_id=1)[0], review_tasks(shown, project_id=1)[0]
    assert hidden_tasks and len(hidden_tasks) == len(shown_tasks)  # bea says No to some of the Yes rows
    assert not any("reference_label" in task for task in hidden_tasks)
    assert {task["reference_label"] for task in shown_tasks} == {"Yes"}
