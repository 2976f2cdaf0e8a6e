"""The fact-checking loop without a server: adjudication tasks and their gold, claims promoted to
verification records, verdict formats, and the trained baseline."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.dataset.build import build_dataset
from annotate.dataset.collect import collect, pseudonym
from annotate.dataset.gold import golds
from annotate.dataset.splits import SplitPlan
from annotate.labelstudio.api.projects import load_project
from annotate.loop.adjudicate import disagreeing, review_tasks
from annotate.loop.promote import verification_records
from annotate.loop.train import checkthat_scores, load_model, train
from annotate.vocabulary import ADJUDICATION_OF as ADJUDICATION_FIELD

from .builders import TEXTS, export
from .builders import annotation as _annotation
from .builders import dataset as _dataset
from .builders import status as _status
from .builders import task as _task
from .conftest import views, write_export

ROOT = Path(__file__).resolve().parent.parent


def test_disagreeing_tasks_go_to_review_with_every_version_as_a_prediction() -> None:
    collection = collect([views(export())])
    assert sorted(s.sentence_id for s in disagreeing(collection)) == ["a1-0", "a1-55", "a2-0"]  # a3-0: one annotator
    records, predictions = review_tasks(collection, project_id=7)
    first = next(r for r in records if r["sentence_id"] == "a1-0")
    assert first[ADJUDICATION_FIELD] == {"project": 7, "task": 1} and first["text"] == TEXTS["a1-0"]
    versions = {p["model_version"]: p["result"] for p in predictions["a1-0"]}
    assert set(versions) == {pseudonym(e) for e in ("ann@x.org", "bea@x.org", "cai@x.org")}
    assert versions[pseudonym("cai@x.org")] == [_status("claim_not_checkworthy")]


def test_same_answers_in_another_order_are_not_a_disagreement() -> None:
    a = [_status("no_claim"), {"id": "t", "from_name": "claim_types", "to_name": "text", "type": "choices",
                                "value": {"choices": ["quantity", "quote"]}}]  # fmt: skip
    b = [a[1] | {"id": "x", "value": {"choices": ["quote", "quantity"]}}, a[0] | {"id": "y"}]
    collection = collect([views([_task(1, "a1-0", [_annotation(1, "p@x.org", a), _annotation(2, "q@x.org", b)])])])
    assert disagreeing(collection) == []


def _adjudication_export(status: str) -> list[dict]:
    """What the review project exports once an adjudicator has submitted a1-0."""
    collection = collect([views(export())])
    records, _ = review_tasks(collection, project_id=7)
    data = next(r for r in records if r["sentence_id"] == "a1-0")
    return [{"id": 900, "data": data, "predictions": [],
             "annotations": [_annotation(901, "judge@x.org", [_status(status)], updated="2026-11-05T00:00:00Z")]}]  # fmt: skip


def test_an_adjudication_decides_gold_and_is_not_counted_as_a_vote(tmp_path: Path) -> None:
    collection = collect([views(export()), views(_adjudication_export("claim_not_checkworthy"))])
    gold = golds(collection)
    assert gold["a1-0"][:2] == ("claim_not_checkworthy", "adjudicated")  # the majority said checkworthy
    assert gold["a1-0"][2] == {"claim_checkworthy": 2, "claim_not_checkworthy": 1}  # the three annotators only
    assert gold["a2-0"][:2] == ("claim_checkworthy", "ground_truth")
    build_dataset(collection, tmp_path, plan=SplitPlan((1.0, 0.0, 0.0), seed=1))
    sentences = pd.read_parquet(tmp_path / "sentences.parquet").set_index("sentence_id")
    assert sentences.loc["a1-0", "gold_rule"] == "adjudicated"
    assert sentences.loc["a1-0", "adjudicated_by"] == pseudonym("judge@x.org")
    assert sentences.loc["a1-0", "n_annotators"] == 3
    assert pseudonym("judge@x.org") not in set(pd.read_parquet(tmp_path / "annotations.parquet").annotator)
    assert pd.isna(sentences.loc["a2-0", "adjudicated_by"])
    schema = json.loads((ROOT / "schemas" / "tables" / "sentences.schema.json").read_text())
    for row in json.loads(sentences.reset_index().to_json(orient="records")):
        jsonschema.validate(row, schema)


def test_check_worthy_claims_become_verification_records() -> None:
    data = export()
    for task in data:
        task["data"] |= {"title": "Budget day", "url": "https://news.example/budget", "published": "2026-11-01",
                         "context_before": "The figures came out on Monday.", "context_after": "Markets rose."}  # fmt: skip
    (record,) = verification_records(collect([views(data)]))  # a2-0 and a3-0 are check-worthy but have no CLAIM span
    assert record["claim_id"] == "a1-0/0-33"
    assert (record["claim"], record["source_text"], record["source_type"]) == (
        "Unemployment fell by 3% last year", "the minister", "named_person",
    )  # fmt: skip
    assert record["sentence"] == TEXTS["a1-0"]
    assert record["context"] == f"The figures came out on Monday. {TEXTS['a1-0']} Markets rose."
    assert (record["title"], record["url"], record["published"]) == ("Budget day", "https://news.example/budget",
                                                                     "2026-11-01")  # fmt: skip
    assert record["claim_marked_by"] == pseudonym("ann@x.org")  # the first annotator who gave the gold answer
    assert set(load_project("verification", projects_dir=ROOT / "projects").task_fields()) <= set(record)
    # An adjudicator who says not check-worthy takes the claim out.
    assert verification_records(collect([views(data), views(_adjudication_export("claim_not_checkworthy"))])) == []


def _verified(tid: int, record: dict, verdict: str, *, who: str = "v@x.org", state: str = "verified",
              evidence: tuple = ("https://stats.example/ue", "refutes"), factcheck: str | None = "https://fc.example/1") -> dict:  # fmt: skip
    def text(name: str, value: str) -> dict:
        return {"id": name, "from_name": name, "to_name": "claim", "type": "textarea", "value": {"text": [value]}}

    def choice(name: str, value: str) -> dict:
        return {"id": name, "from_name": name, "to_name": "claim", "type": "choices", "value": {"choices": [value]}}

    result = [choice("verdict", verdict), choice("verification_state", state), text("justification", "Checked."),
              text("evidence_1_url", evidence[0]), choice("evidence_1_stance", evidence[1]),
              {"id": "d", "from_name": "claim_date", "to_name": "claim", "type": "datetime",
               "value": {"datetime": "2026-10-30"}}]  # fmt: skip
    if factcheck:
        result.append(text("factcheck_url", factcheck))
    return {"id": tid, "data": record, "predictions": [],
            "annotations": [_annotation(tid * 10, who, result, updated="2026-11-20T10:00:00Z")]}  # fmt: skip


def _verification_export() -> list[dict]:
    data = export()
    for task in data:
        task["data"] |= {"url": "https://news.example/budget", "title": "Budget day"}
    (record,) = verification_records(collect([views(data)]))
    other = record | {"claim_id": "a9-0/0-10", "claim": "Crime doubled", "normalized_claim": "Crime doubled in 2025"}
    third = record | {"claim_id": "a9-5/0-10", "claim": "Taxes fell"}
    return [_verified(1, record, "false"), _verified(2, other, "mostly_true", evidence=("https://x.example", "supports")),
            _verified(3, third, "unverifiable", factcheck=None)]  # fmt: skip


def test_verdict_formats_follow_the_mapping_and_claimreview_validates(tmp_path: Path) -> None:
    path = write_export(tmp_path / "verification.json", _verification_export(), "verification")
    runner = CliRunner()
    validated = runner.invoke(app, ["validate", str(path), "--project", "verification"])
    assert validated.exit_code == 0, validated.stdout  # the fields promote writes are the project's task_fields
    strict = runner.invoke(app, ["combine", str(path), "-o", str(tmp_path / "strict"), "--table-format", "parquet"])
    assert strict.exit_code == 0, strict.stderr
    verdicts = pd.read_parquet(tmp_path / "strict" / "verdicts.parquet").set_index("claim_id")
    assert verdicts.loc["a1-0/0-33", "verdict"] == "false" and verdicts.loc["a1-0/0-33", "verdict_rule"] == "single"
    assert json.loads(verdicts.loc["a1-0/0-33", "evidence"]) == [
        {"slot": 1, "url": "https://stats.example/ue", "stance": "refutes", "excerpt": None}
    ]
    assert verdicts.loc["a1-0/0-33", "claim_date"] == "2026-10-30"
    assert not (tmp_path / "strict" / "sentences.parquet").exists()  # no claims export given
    schema = json.loads((ROOT / "schemas" / "tables" / "verdicts.schema.json").read_text())
    assert list(verdicts.reset_index().columns) == list(schema["properties"])
    for row in json.loads(verdicts.reset_index().to_json(orient="records")):
        assert list(jsonschema.Draft202012Validator(schema).iter_errors(row)) == []

    mapping = json.loads((ROOT / "projects" / "verification" / "verdict-mapping.json").read_text())["verdicts"]
    fever = [json.loads(line) for line in (tmp_path / "strict" / "formats" / "fever.jsonl").open()]
    assert {r["id"]: r["label"] for r in fever} == {"a1-0/0-33": "REFUTES", "a9-5/0-10": "NOT ENOUGH INFO"}
    assert all(r["label"] == mapping[r["verdict"]]["fever"] for r in fever)
    refuted = next(r for r in fever if r["id"] == "a1-0/0-33")
    assert refuted["evidence"] == [[["a1-0/0-33", 1, "https://stats.example/ue", None]]]
    assert refuted["claim"] == "Unemployment fell by 3% last year" and refuted["verifiable"] == "VERIFIABLE"
    assert "strict" in (tmp_path / "strict" / "README.md").read_text()

    lenient = runner.invoke(app, ["combine", str(path), "-o", str(tmp_path / "lenient"), "--verdict-mapping",
                                  "lenient"])  # fmt: skip
    assert lenient.exit_code == 0, lenient.stderr
    fever = {
        json.loads(line)["id"]: json.loads(line) for line in (tmp_path / "lenient" / "formats" / "fever.jsonl").open()
    }
    assert fever["a9-0/0-10"]["label"] == "SUPPORTS" and fever["a9-0/0-10"]["claim"] == "Crime doubled in 2025"

    reviews = json.loads((tmp_path / "strict" / "formats" / "claimreview.jsonld").read_text())
    assert len(reviews) == 2  # the unverifiable claim has no fact-check URL
    schema = json.loads((ROOT / "schemas" / "claimreview.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for review in reviews:
        assert list(validator.iter_errors(review)) == []
    false = next(r for r in reviews if r["claimReviewed"] == "Unemployment fell by 3% last year")
    assert false["reviewRating"] == {"@type": "Rating", "ratingValue": 1, "alternateName": "False", "bestRating": 5,
                                     "worstRating": 1}  # fmt: skip
    assert false["itemReviewed"]["author"] == {"@type": "Person", "name": "the minister"}
    assert false["itemReviewed"]["appearance"]["url"] == "https://news.example/budget"
    assert (false["url"], false["datePublished"]) == ("https://fc.example/1", "2026-11-20")
    assert false["author"] == {"@type": "Organization", "name": "Example Fact Check Desk",
                               "url": "https://factcheck.example.org"}  # fmt: skip
    broken = false | {"reviewRating": {"@type": "Rating", "ratingValue": 1}}
    assert list(validator.iter_errors(broken))  # the schema does reject what Google requires


def test_train_is_deterministic_and_scores_like_checkthat(tmp_path: Path, trained_model: Path) -> None:
    """The same model from the same rows and seed: here, and in the process that trained trained_model."""
    first = train(_dataset(tmp_path / "ds"), tmp_path / "m1", seed=3)
    second = json.loads((trained_model / "model.json").read_text())
    assert first == second | {"dataset": first["dataset"]}
    assert first["model_id"].startswith("annotate-hash-sgd-") and first["train_sentences"] == 48
    assert first["test"]["items"] == 12 and first["test"]["positives"] == 6
    assert first["test"]["f1"] == 1.0  # the two kinds of sentence share no words
    lines = (tmp_path / "m1" / "test_predictions.tsv").read_text().splitlines()
    assert lines[0] == "id\tclass_label\trun_id" and len(lines) == 13
    assert {line.split("\t")[2] for line in lines[1:]} == {first["model_id"]}
    model = load_model(tmp_path / "m1")
    (label, probability), _ = model.predict(["Inflation rose 7% in May, the bank said.", "It was a sunny day."])
    assert label == "claim_checkworthy" and 0.34 < probability <= 1.0


@pytest.mark.slow  # the batch path, as test_train_beyond_the_cache_learns_batch_by_batch
def test_train_reads_every_format_in_batches_and_learns_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:  # fmt: skip
    """The table is read 7 rows at a time; parquet, CSV and JSON Lines copies of it give one model."""
    from annotate.loop import train as training

    monkeypatch.setattr(training, "BATCH_ROWS", 7)
    table = pd.read_parquet(_dataset(tmp_path / "ds") / "sentences.parquet")
    metas, runs = [], []
    for kind in ("parquet", "csv", "jsonl"):
        folder = tmp_path / kind
        folder.mkdir()
        {"parquet": lambda p: table.to_parquet(p, row_group_size=5), "csv": lambda p: table.to_csv(p, index=False),
         "jsonl": lambda p: table.to_json(p, orient="records", lines=True)}[kind](folder / f"sentences.{kind}")  # fmt: skip
        metas.append(train(folder, tmp_path / f"m-{kind}", seed=3))
        runs.append((tmp_path / f"m-{kind}" / "test_predictions.tsv").read_text())
    assert all(m | {"dataset": None} == metas[0] | {"dataset": None} for m in metas)
    assert runs == runs[:1] * 3 and metas[0]["test"]["f1"] == 1.0


@pytest.mark.slow
def test_train_beyond_the_cache_learns_batch_by_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past CACHE_ROWS training rows the classifier learns a batch at a time (partial_fit), reading the
    table once per epoch: still reproducible, and it still separates the two kinds of sentence."""
    from annotate.loop import train as training

    dataset = _dataset(tmp_path / "ds")
    monkeypatch.setattr(training, "BATCH_ROWS", 10)
    monkeypatch.setattr(training, "CACHE_ROWS", 20)
    reads = []
    batches = training.training_batches
    monkeypatch.setattr(training, "training_batches", lambda path, *rest: reads.append(path) or batches(path, *rest))
    first = train(dataset, tmp_path / "m1", seed=3)
    assert len(reads) == 1 + first["epochs"] + 2  # counting, each epoch, predicting the dev and test splits
    second = train(dataset, tmp_path / "m2", seed=3)
    assert first == second | {"dataset": first["dataset"]} and first["epochs"] == 100
    assert first["test"]["f1"] == 1.0


def test_checkthat_scores_are_those_of_the_positive_class() -> None:
    gold = ["claim_checkworthy", "claim_checkworthy", "no_claim", "claim_not_checkworthy"]
    predicted = ["claim_checkworthy", "no_claim", "claim_checkworthy", "claim_not_checkworthy"]
    assert checkthat_scores(gold, predicted) == {"items": 4, "positives": 2, "precision": 0.5, "recall": 0.5,
                                                 "f1": 0.5}  # fmt: skip


def test_train_cli_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["train", str(tmp_path), "-o", str(tmp_path / "m")])
    assert missing.exit_code == 1 and "no sentences table" in missing.stderr and "Traceback" not in missing.stderr
    folder = tmp_path / "one"
    folder.mkdir()
    pd.DataFrame([{"sentence_id": "s", "text": "t", "gold_claim_status": "no_claim", "split": "train"}]).to_parquet(
        folder / "sentences.parquet"
    )
    one_class = runner.invoke(app, ["train", str(folder)])
    assert one_class.exit_code == 1 and "needs at least two" in one_class.stderr
    not_a_model = runner.invoke(app, ["prelabel", "--project", "claims", "--model", str(tmp_path)])
    assert not_a_model.exit_code == 1 and "not a model folder" in not_a_model.stderr
    no_model = runner.invoke(app, ["prelabel", "--project", "claims", "--order-by-uncertainty"])
    assert no_model.exit_code == 2


@pytest.mark.parametrize("mode", ["strict", "lenient"])
def test_card_records_the_mapping_mode(tmp_path: Path, mode: str) -> None:
    claims = write_export(tmp_path / "claims.json", export(), "claims")
    verification = write_export(tmp_path / "verification.json", _verification_export(), "verification")
    result = CliRunner().invoke(
        app, ["combine", str(claims), str(verification), "-o", str(tmp_path / "d"), "--verdict-mapping", mode]
    )
    assert result.exit_code == 0, result.stderr
    card = (tmp_path / "d" / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and f"**{mode}** mode" in card
    version = json.loads((ROOT / "projects" / "verification" / "verdict-mapping.json").read_text())["version"]
    assert f"Verdict mapping version: {version}." in card and f"Verdict mapping version {version}, **{mode}**" in card
    assert len(pd.read_csv(tmp_path / "d" / "sentences.csv")) == 4  # claims units only
    assert len(pd.read_csv(tmp_path / "d" / "verdicts.csv")) == 3


def test_verifiers_who_disagree_on_the_verdict_go_to_review_by_claim_id() -> None:
    from annotate.loop.adjudicate import unit_key

    (task, *_) = _verification_export()
    second = _verified(2, task["data"], "true", who="w@x.org")["annotations"]
    task["annotations"] += second
    records, predictions = review_tasks(collect([views([task])]), project_id=3)
    assert unit_key(records) == "claim_id" and list(predictions) == [task["data"]["claim_id"]]
    assert unit_key([{"sentence_id": "a-0"}]) == "sentence_id"


def test_a_models_suggestion_carries_the_rules_spans_with_its_claim_status(trained_model: Path) -> None:
    """One suggestion with everything: confirmed in one action when right."""
    from annotate.labelstudio.api.prelabel import predict as rules_predict
    from annotate.loop.prelabel import model_predictor

    predict, version = model_predictor(trained_model)
    text = "Prices rose 9 percent in May, the minister said."
    ((result, _),) = predict([text])
    rules, _ = rules_predict(text)
    answers = ("claim_status", "claim_types")
    spans = [r for r in result if r.get("from_name") not in answers]
    assert (
        spans == [r for r in rules if r.get("from_name") not in answers] and len(spans) == 6
    )  # 3 spans, 2 relations, a source type
    (status,) = [r["value"]["choices"] for r in result if r.get("from_name") == "claim_status"]
    assert status == [load_model(trained_model).predict([text])[0][0]] and version.startswith("annotate-hash-sgd-")
    claim_types = [r["value"]["choices"] for r in result if r.get("from_name") == "claim_types"]
    assert claim_types == ([] if status == ["no_claim"] else [["quantity"]])  # the types go with the model's status
