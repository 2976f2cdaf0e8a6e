"""`annotate train --eval FILE` given once or more: CheckThat!'s precision, recall and F1 of
claim_checkworthy per file, per language of the rows and in all, the same on every run with the same
data and seed; trained and scored on Arabic, Dutch and Spanish rows as on English ones."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sklearn.metrics import precision_recall_fscore_support
from typer.testing import CliRunner

from annotate.cli import app
from annotate.loop.evaluate import by_language, prediction_names, row_languages
from annotate.loop.train import text_form

from .conftest import ROOT

ROWS = ROOT / "tests" / "data" / "rows"
SAMPLES = {  # language -> a 25-row CheckThat! 2024 sample of it (tests/data/rows/README.md)
    "ar": ROWS / "CT24_checkworthy_arabic_dev-test_sample.tsv",
    "nl": ROWS / "CT24_checkworthy_dutch_dev-test_sample.tsv",
    "es": ROWS / "CT24_checkworthy_spanish_dev_sample.tsv",
}
ENGLISH = ROWS / "CT24_checkworthy_english_dev_sample.tsv"


def _train(tmp_path: Path, train_file: Path, evals: list[Path], out: str, *more: str) -> dict:
    args = ["train", str(train_file), "-o", str(tmp_path / out), "--format", "json", "--lexical", *more]
    result = CliRunner().invoke(app, args + [a for path in evals for a in ("--eval", str(path))])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _gold(path: Path) -> list[bool]:
    """Each row's label (Yes = check-worthy), read the way the file quotes (the last cell of a line)."""
    return [line.rsplit("\t", 1)[1] == "Yes" for line in path.read_text(encoding="utf-8").splitlines()[1:]]


def _scores(gold: list[bool], predicted: list[bool]) -> dict:
    p, r, f, _ = precision_recall_fscore_support(gold, predicted, average="binary", zero_division=0)
    return {"items": len(gold), "positives": sum(gold), "precision": round(float(p), 4), "recall": round(float(r), 4),
            "f1": round(float(f), 4)}  # fmt: skip


def test_scores_per_file_and_per_language_and_the_same_on_a_second_run(tmp_path: Path) -> None:
    """Trained on the Spanish sample (tweets, nothing quoted), scored on every sample: every file's
    figures are those of its own predictions file, every row's language is its sample's, and a
    second run with the same data and seed gives the same figures and predictions."""
    evals = [*SAMPLES.values(), ENGLISH]
    meta = _train(tmp_path, SAMPLES["es"], evals, "first")
    report = meta["eval"]
    assert [one["file"] for one in report["files"]] == [str(p) for p in evals]
    assert [one["predictions"] for one in report["files"]] == prediction_names(evals)
    every_gold, every_predicted = [], []
    for code, one in zip([*SAMPLES, "en"], report["files"], strict=True):
        run = pd.read_csv(tmp_path / "first" / one["predictions"], sep="\t", dtype=str)
        gold, predicted = _gold(Path(one["file"])), (run["class_label"] == "Yes").tolist()
        assert {k: one[k] for k in ("items", "positives", "precision", "recall", "f1")} == _scores(gold, predicted)
        assert next(iter(one["languages"])) == code  # most rows are detected as the sample's language
        assert sum(scores["items"] for scores in one["languages"].values()) == one["items"] == 25 or code == "en"
        every_gold += gold
        every_predicted += predicted
    assert {k: report[k] for k in ("items", "positives", "precision", "recall", "f1")} == _scores(
        every_gold, every_predicted
    )
    assert {"ar", "en", "es", "nl"} <= set(report["languages"])
    assert meta["train_sentences"] == 25
    again = _train(tmp_path, SAMPLES["es"], evals, "second")
    assert again["eval"] == report and again["model_id"] == meta["model_id"]
    for one in report["files"]:
        assert (tmp_path / "first" / one["predictions"]).read_bytes() == (tmp_path / "second" / one["predictions"]
                                                                          ).read_bytes()  # fmt: skip


def test_the_text_report_names_each_file_and_language(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", str(SAMPLES["ar"]), "-o", str(tmp_path / "m"), "--lexical",
                                      "--eval", str(SAMPLES["ar"]), "--eval", str(SAMPLES["nl"])])  # fmt: skip
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    ar, nl = meta["eval"]["files"]
    assert (
        f"{SAMPLES['ar']}: eval: precision {ar['precision']}, recall {ar['recall']}, F1 {ar['f1']} on 25"
        in result.stdout
    )
    assert f"\n  ar: eval: precision {ar['languages']['ar']['precision']}" in result.stdout
    assert f"{tmp_path / 'm' / 'eval_predictions-CT24_checkworthy_dutch_dev-test_sample.tsv'}" in result.stdout
    assert f"all 2 eval files: eval: precision {meta['eval']['precision']}" in result.stdout
    card = (tmp_path / "m" / "README.md").read_text()
    assert f"- {SAMPLES['nl']}: precision {nl['precision']}" in card and "by language: nl precision" in card


def test_a_language_column_is_taken_over_detection(tmp_path: Path) -> None:
    """A table with a language column says each row's language; an empty cell is detected."""
    table = tmp_path / "mine_dev.tsv"
    table.write_text("tweet_id\ttweet_text\tclass_label\tlanguage\n"
                     "1\tThe minister said unemployment fell by 3% last year.\tYes\tnl\n"
                     "2\tEl ministro dijo que el paro bajó un 3% el año pasado.\tYes\t\n"
                     "3\tHello there.\tNo\tqq\n", encoding="utf-8")  # fmt: skip
    meta = _train(tmp_path, ENGLISH, [table], "m")
    assert list(meta["eval"]["files"][0]["languages"]) == ["es", "nl", "qq"]  # one row each, by code
    assert row_languages(["Ik hou van koffie en de regering verlaagt de belastingen volgend jaar."]) == ["nl"]


def test_languages_are_ordered_by_rows() -> None:
    gold = ["claim_checkworthy", "no_claim", "claim_checkworthy", "no_claim"]
    predicted = ["claim_checkworthy", "claim_checkworthy", "no_claim", "no_claim"]
    report = by_language(gold, predicted, ["nl", "ar", "ar", "ar"])
    assert list(report) == ["ar", "nl"]
    assert report["ar"] == {"items": 3, "positives": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert report["nl"] == {"items": 1, "positives": 1, "precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_prediction_files_of_several_evals_are_named_by_stem() -> None:
    assert prediction_names([Path("a/dev.tsv")]) == ["eval_predictions.tsv"]
    assert prediction_names([Path("a/dev.tsv"), Path("b/dev.tsv"), Path("c/x.csv")]) == [
        "eval_predictions-dev.tsv", "eval_predictions-dev-2.tsv", "eval_predictions-x.tsv",
    ]  # fmt: skip


def test_arabic_vowel_marks_do_not_cut_a_word() -> None:
    """A shadda or vowel mark inside an Arabic word (a combining mark, which a word token's \\w does
    not match) cut it, and a fully vocalised word gave no token at all; they are one token now, the
    same as the word written without marks. Spanish accents stay."""
    from sklearn.feature_extraction.text import HashingVectorizer

    analyse, default = HashingVectorizer(preprocessor=text_form).build_analyzer(), HashingVectorizer().build_analyzer()
    assert default("الصحّة العامة") == ["الصح", "العامة"] and default("مُحَمَّد") == []
    assert analyse("الصحّة العامة") == analyse("الصحة العامة") == ["الصحة", "العامة"]
    assert analyse("مُحَمَّد") == ["محمد"]
    assert analyse("Población EXTRANJERA") == ["población", "extranjera"]
