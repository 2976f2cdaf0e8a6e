"""Row corpora (CheckThat!, ClaimBuster, any table of sentences) in as one task per row, and out again
unchanged: ids, texts, labels, quoting and the benchmark's own splits."""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from annotate.articles.rows import read_rows
from annotate.cli import app
from annotate.errors import InputError

from .conftest import ROOT, write_export

CT24 = ROOT / "tests" / "data" / "rows" / "CT24_checkworthy_english_dev_sample.tsv"
# CheckThat!'s No is both no_claim and claim_not_checkworthy; alternate them so both are exercised.
TO_STATUS = {"Yes": ["claim_checkworthy"], "No": ["no_claim", "claim_not_checkworthy"],
             "1": ["claim_checkworthy"], "0": ["claim_not_checkworthy"], "-1": ["no_claim"]}  # fmt: skip


def split(tmp_path: Path, *args: str) -> list[dict]:
    out = tmp_path / "tasks.jsonl"
    result = CliRunner().invoke(app, ["split", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def as_exported(records: list[dict], labels: dict[str, str] | None = None, annotator: str = "ann@x.org") -> list[dict]:
    """The tasks as Label Studio exports them, each annotated with its reference label (or `labels`)."""
    tasks = []
    for i, record in enumerate(records, 1):
        wanted = (labels or {}).get(record["sentence_id"], record["reference_label"])
        options = TO_STATUS[wanted]
        status = options[i % len(options)]
        result = [{"id": f"cs{i}", "from_name": "claim_status", "to_name": "text", "type": "choices",
                   "value": {"choices": [status]}}]  # fmt: skip
        annotation = {"id": 1000 + i, "completed_by": {"id": 1, "email": annotator}, "result": result,
                      "was_cancelled": False, "ground_truth": False, "updated_at": "2026-11-30T00:00:00Z"}  # fmt: skip
        tasks.append({"id": i, "data": dict(record), "annotations": [annotation], "predictions": []})
    return tasks


def test_checkthat_round_trip_is_byte_for_byte(tmp_path: Path) -> None:
    """200 rows of the CheckThat! 2024 English dev split -> tasks -> annotations equal to the reference
    labels -> export -> combine --split source -> checkthat_dev.tsv equal to the input file, in the
    file's row order (rows of a benchmark table go out in the order of their file)."""
    records = split(tmp_path, str(CT24))
    assert len(records) == 200
    first = records[0]
    assert (first["sentence_id"], first["source_id"], first["corpus"]) == (
        "CT24_checkworthy_english_dev_sample:80", "80", "CT24_checkworthy_english_dev_sample",
    )  # fmt: skip
    assert (first["char_start"], first["char_end"], first["kind"]) == (None, None, "sentence")
    assert {r["source_split"] for r in records} == {"dev"}
    export = write_export(tmp_path / "export.json", as_exported(records), project="claims")
    out = tmp_path / "dataset"
    result = CliRunner().invoke(app, ["combine", str(export), "-o", str(out), "--split", "source"])
    assert result.exit_code == 0, result.output
    assert (out / "formats" / "checkthat_dev.tsv").read_bytes() == CT24.read_bytes()
    benchmark = out / "formats" / "benchmarks" / CT24.stem / CT24.name  # the file itself, written back
    assert benchmark.read_bytes() == CT24.read_bytes()
    back = pd.read_csv(out / "formats" / "checkthat_dev.tsv", sep="\t", dtype=str)
    pd.testing.assert_frame_equal(back, pd.read_csv(CT24, sep="\t", dtype=str))
    for other in ("train", "test"):  # the benchmark's split is kept: nothing lands elsewhere
        assert (out / "formats" / f"checkthat_{other}.tsv").read_text() == "Sentence_id\tText\tclass_label\n"
    assert json.loads((out / "splits.json").read_text())["source"] is True


# CheckThat! 2024 task 1 in Arabic, Dutch and Spanish (tweets: tweet_id, tweet_url, tweet_text,
# class_label), 25 rows each taken unchanged (tests/data/rows/README.md). Their files quote in two
# other ways than the English one: the Arabic dev-test file only cells with a quote mark (and not
# those with a comma), the Dutch and Spanish files nothing at all, a quote mark even at the start of
# a cell being part of the text.
TWEETS = {name: ROOT / "tests" / "data" / "rows" / name for name in (
    "CT24_checkworthy_arabic_dev-test_sample.tsv", "CT24_checkworthy_dutch_dev-test_sample.tsv",
    "CT24_checkworthy_spanish_dev_sample.tsv",
)}  # fmt: skip


def _cells_as_written(path: Path) -> list[list[str]]:
    """The rows of a file that quotes nothing, line by line, tab by tab (header first)."""
    return [line.split("\t") for line in path.read_text(encoding="utf-8").removesuffix("\n").split("\n")]


@pytest.mark.parametrize("name", sorted(TWEETS))
def test_checkthat_tweets_round_trip_is_byte_for_byte(name: str, tmp_path: Path) -> None:
    """split -> annotations equal to the reference labels -> export -> combine --split source: the
    file is written back byte for byte, and the generic CheckThat! file holds the same ids, texts
    and labels (tweet_id, tweet_text, class_label) for pandas to read."""
    path = TWEETS[name]
    records = split(tmp_path, str(path))
    assert len(records) == 25
    if "arabic" in name:  # quoted the CSV way where a text holds a quote mark: pandas reads it
        expected = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False).values.tolist()
    else:  # nothing quoted: each line's cells as they are (pandas would drop the quote marks of some)
        expected = _cells_as_written(path)[1:]
        assert any(row[2].startswith('"') for row in expected) or "dutch" in name
    assert [[r["source_id"], r["url"], r["text"], r["reference_label"]] for r in records] == expected
    export = write_export(tmp_path / "export.json", as_exported(records), project="claims")
    assert CliRunner().invoke(app, ["validate", str(export), "--project", "claims"]).exit_code == 0
    out = tmp_path / "dataset"
    result = CliRunner().invoke(app, ["combine", str(export), "-o", str(out), "--split", "source"])
    assert result.exit_code == 0, result.output
    assert (out / "formats" / "benchmarks" / path.stem / path.name).read_bytes() == path.read_bytes()
    generic = pd.read_csv(out / "formats" / f"checkthat_{records[0]['source_split']}.tsv", sep="\t", dtype=str)
    assert generic.values.tolist() == [[row[0], row[2], row[3]] for row in expected]


def test_line_breaks_byte_order_mark_and_no_final_newline_survive(tmp_path: Path) -> None:
    """A table saved with CRLF line breaks, a UTF-8 byte order mark and no final line break (as
    spreadsheet programs and three of the English CheckThat! 2024 files do) goes out the same."""
    lines = TWEETS["CT24_checkworthy_dutch_dev-test_sample.tsv"].read_text(encoding="utf-8").splitlines()
    path = tmp_path / "crlf_dev.tsv"
    path.write_bytes(codecs.BOM_UTF8 + "\r\n".join(lines).encode("utf-8"))
    records = split(tmp_path, str(path))
    assert [r["text"] for r in records] == [line.split("\t")[2] for line in lines[1:]]  # no \r, no BOM kept
    assert records[0]["source_id"] == lines[1].split("\t")[0]
    export = write_export(tmp_path / "export.json", as_exported(records), project="claims")
    out = tmp_path / "dataset"
    assert CliRunner().invoke(app, ["combine", str(export), "-o", str(out), "--split", "source"]).exit_code == 0
    assert (out / "formats" / "benchmarks" / "crlf_dev" / path.name).read_bytes() == path.read_bytes()


CLAIMBUSTER_HEADER = "Sentence_id,Text,Speaker,Speaker_title,Speaker_party,File_id,Length,Line_number,Sentiment,Verdict"
CLAIMBUSTER_ROWS = [  # File_id groups a debate; Line_number orders it (here not in file order)
    '007,"We have cut taxes, and the deficit fell.",SMITH,Senator,R,1984-10-07,8,2,0.1,1',
    "008,Thank you.,JONES,Governor,D,1984-10-07,2,3,0.3,-1",
    '009,"He said ""no"" to the plan.",SMITH,Senator,R,1984-10-07,7,1,-0.2,0',
    "s-10,I grew up on a farm.,JONES,Governor,D,1988-09-25,6,1,0.0,0",
]


def test_claimbuster_in_and_out(tmp_path: Path) -> None:
    path = tmp_path / "crowdsourced_train.csv"
    path.write_text("\n".join([CLAIMBUSTER_HEADER, *CLAIMBUSTER_ROWS]) + "\n", encoding="utf-8")
    records = {r["source_id"]: r for r in split(tmp_path, str(path), "--corpus", "cb")}
    assert list(records) == ["007", "008", "009", "s-10"]  # leading zeros and non-numeric ids kept
    assert records["007"]["sentence_id"] == "cb:007"
    assert records["007"]["article_id"] == records["009"]["article_id"] == "cb:1984-10-07"
    # context from the neighbouring rows of the same debate, by Line_number
    assert records["007"]["context_before"] == 'He said "no" to the plan.'
    assert records["007"]["context_after"] == "Thank you."
    assert [records[i]["sentence_index"] for i in ("009", "007", "008")] == [0, 1, 2]
    assert (records["008"]["reference_label"], records["s-10"]["source_split"]) == ("-1", "train")
    export = write_export(tmp_path / "export.json", as_exported(list(records.values())), project="claims")
    out = tmp_path / "dataset"
    result = CliRunner().invoke(app, ["combine", str(export), "-o", str(out), "--split", "source"])
    assert result.exit_code == 0, result.output
    back = pd.read_csv(out / "formats" / "claimbuster.csv", dtype=str)
    original = pd.read_csv(path, dtype=str)
    columns = ["Sentence_id", "Text", "Verdict"]
    pd.testing.assert_frame_equal(back[columns], original[columns])
    assert set(back["split"]) == {"train"}
    # the file itself, every column, with the gold verdicts (here equal to the reference)
    assert (out / "formats" / "benchmarks" / "cb" / path.name).read_bytes() == path.read_bytes()


def test_a_row_with_tabs_quotes_and_newlines_survives(tmp_path: Path) -> None:
    text = 'He said "we\twill" win,\nand then "left".'
    path = tmp_path / "odd_test.tsv"
    path.write_text('Sentence_id\tText\tclass_label\n0042\t"' + text.replace('"', '""') + '"\tYes\n', encoding="utf-8")
    (record,) = split(tmp_path, str(path))
    assert (record["text"], record["source_id"], record["source_split"]) == (text, "0042", "test")
    export = write_export(tmp_path / "export.json", as_exported([record]), project="claims")
    out = tmp_path / "dataset"
    assert CliRunner().invoke(app, ["combine", str(export), "-o", str(out), "--split", "source"]).exit_code == 0
    assert (out / "formats" / "checkthat_test.tsv").read_bytes() == path.read_bytes()
    assert (out / "formats" / "benchmarks" / "odd_test" / path.name).read_bytes() == path.read_bytes()
    back = pd.read_csv(out / "formats" / "checkthat_test.tsv", sep="\t", dtype=str)
    assert back.to_dict("records") == [{"Sentence_id": "0042", "Text": text, "class_label": "Yes"}]


def test_tweets_and_named_columns(tmp_path: Path) -> None:
    tweets = tmp_path / "tweets_dev-test.tsv"
    tweets.write_text("tweet_id\ttweet_url\ttweet_text\tclass_label\n1\thttp://t.co/1\tVaccines work.\tYes\n")
    (tweet,) = split(tmp_path, str(tweets))
    assert (tweet["source_id"], tweet["url"], tweet["source_split"]) == ("1", "http://t.co/1", "dev-test")
    other = tmp_path / "mine.csv"
    other.write_text("key,sentence,doc,gold\nA1,The sky is green.,d1,Yes\n")
    (row,) = split(tmp_path, str(other), "--id-column", "key", "--text-column", "sentence",
                   "--article-column", "doc", "--label-column", "gold")  # fmt: skip
    assert (row["sentence_id"], row["article_id"], row["reference_label"]) == ("mine:A1", "mine:d1", "Yes")


def test_a_table_without_known_columns_asks_for_them(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("key,sentence\nA1,The sky is green.\n")
    result = CliRunner().invoke(app, ["split", str(path)])
    assert result.exit_code == 1
    assert "which column holds the id?" in result.output and "--id-column" in result.output


def test_a_duplicated_id_is_an_error_naming_both_rows(tmp_path: Path) -> None:
    path = tmp_path / "dup.tsv"
    path.write_text("Sentence_id\tText\tclass_label\n7\tOne.\tNo\n8\tTwo.\tNo\n7\tThree.\tYes\n")
    with pytest.raises(InputError, match=r"id '7' is on line 2 and again on line 4"):
        read_rows(path)


def test_two_corpora_with_overlapping_ids_share_a_project(tmp_path: Path) -> None:
    for name in ("a_dev.tsv", "b_dev.tsv"):
        shutil.copy(CT24, tmp_path / name)
    records = split(tmp_path, str(tmp_path / "a_dev.tsv"), str(tmp_path / "b_dev.tsv"))
    assert len(records) == 400
    assert len({r["sentence_id"] for r in records}) == 400
    assert {r["source_id"] for r in records if r["corpus"] == "a_dev"} == {
        r["source_id"] for r in records if r["corpus"] == "b_dev"
    }
    tasks = as_exported(records)
    export = write_export(tmp_path / "export.json", tasks, project="claims")
    result = CliRunner().invoke(app, ["validate", str(export), "--project", "claims"])
    assert result.exit_code == 0, result.output


def test_validate_wants_row_ids_as_strings(tmp_path: Path) -> None:
    (record,) = split(tmp_path, str(_one_row(tmp_path)))
    task = as_exported([record | {"source_id": 42}])
    export = write_export(tmp_path / "export.json", task, project="claims")
    result = CliRunner().invoke(app, ["validate", str(export), "--project", "claims"])
    assert result.exit_code == 1
    assert "data.source_id" in result.output and "expected a string" in result.output


def _one_row(tmp_path: Path) -> Path:
    path = tmp_path / "one_dev.tsv"
    path.write_text("Sentence_id\tText\tclass_label\n42\tThe sky is green.\tYes\n")
    return path


def test_train_on_a_benchmark_file_and_score_on_another(tmp_path: Path) -> None:
    """`annotate train FILE --eval FILE`: fit on every row of one CheckThat! file, report P/R/F1 of Yes
    on another, and write its predictions in the CheckThat! run format with the benchmark's ids."""
    from sklearn.metrics import precision_recall_fscore_support

    lines = CT24.read_text(encoding="utf-8").splitlines(keepends=True)
    train_file, dev_file = tmp_path / "ct_train.tsv", tmp_path / "ct_dev.tsv"
    train_file.write_text("".join(lines[:151]), encoding="utf-8")
    dev_file.write_text(lines[0] + "".join(lines[151:]), encoding="utf-8")
    model = tmp_path / "model"
    result = CliRunner().invoke(app, ["train", str(train_file), "--eval", str(dev_file), "-o", str(model),
                                      "--format", "json", "--lexical"])  # fmt: skip
    assert result.exit_code == 0, result.output
    meta = json.loads(result.stdout)
    assert meta["train_sentences"] == 150
    run = pd.read_csv(model / "eval_predictions.tsv", sep="\t", dtype=str)
    assert list(run.columns) == ["id", "class_label", "run_id"]
    gold = pd.read_csv(dev_file, sep="\t", dtype=str)
    assert run["id"].tolist() == gold["Sentence_id"].tolist() and set(run["run_id"]) == {meta["model_id"]}
    p, r, f, _ = precision_recall_fscore_support(gold["class_label"] == "Yes", run["class_label"] == "Yes",
                                                 average="binary", zero_division=0)  # fmt: skip
    scores = {"items": 50, "positives": int((gold["class_label"] == "Yes").sum()), "precision": round(p, 4),
              "recall": round(r, 4), "f1": round(f, 4)}  # fmt: skip
    assert {k: meta["eval"][k] for k in scores} == scores  # one file: its scores are those of all
    (one,) = meta["eval"]["files"]
    assert (one["file"], one["predictions"]) == (str(dev_file), "eval_predictions.tsv")
    assert {k: one[k] for k in scores} == scores and sum(s["items"] for s in one["languages"].values()) == 50
    assert next(iter(one["languages"])) == "en"  # most rows (a few short ones are undetermined)
    text = (
        CliRunner()
        .invoke(app, ["train", str(train_file), "--eval", str(dev_file), "-o", str(model), "--lexical"])
        .stdout
    )
    assert f"{dev_file}: eval: precision {meta['eval']['precision']}" in text
    assert "test: precision None, recall None, F1 n/a (no labelled test sentences)" in text


def test_score_on_a_claimbuster_file(tmp_path: Path) -> None:
    path = tmp_path / "crowdsourced.csv"
    path.write_text("\n".join([CLAIMBUSTER_HEADER, *CLAIMBUSTER_ROWS]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train", str(CT24), "--eval", str(path), "-o", str(tmp_path / "m"),
                                      "--format", "json", "--lexical"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["eval"]["positives"] == 1  # Verdict 1 is check-worthy
    run = pd.read_csv(tmp_path / "m" / "eval_predictions.tsv", sep="\t", dtype=str)
    assert run["id"].tolist() == ["007", "008", "009", "s-10"]


@pytest.mark.parametrize(
    "content,message",
    [
        ("Sentence_id\tText\tclass_label\n", "no rows under the header"),
        ("Sentence_id\tText\tclass_label\n\tA text.\tNo\n", ":2: the row has no id (column 'Sentence_id')"),
        ("Sentence_id\tText\tclass_label\n1\t \tNo\n", ":2: row '1' has no text"),
        ("Sentence_id\tText\tclass_label\n1\tA\tB\tC\n", "line 2: 4 cell(s), the header has 3"),
        (
            "Sentence_id\tText\tclass_label\n1\tA\tB\tC\n2\tB\n3\tC\tNo\n",
            "line 2: 4 cell(s), the header has 3\n{bad}: line 3: 2 cell(s), the header has 3",
        ),  # every bad row, and none of the table taken
        (
            'Sentence_id\tText\tclass_label\n1\tFirst.\t"Yes\n2\tSecond.\tNo\n',
            "line 2: a quote opened here is never closed",
        ),
        (
            'Sentence_id\tText\tclass_label\n1\tFirst.\t"Yes\n2\tSecond.\tNo\n3\tThird.\tNo"\n',
            "line 2: a quoted cell runs to line 4 over what look like 2 row(s): a quote not closed?",
        ),
        (
            'Sentence_id\tText\tclass_label\n1\tFirst.\t"Yes\n2\tSecond.\tNo\n3\tThird "x".\tNo\n',
            "line 2: a quoted cell is closed by a quote mark with more text after it",
        ),
        ("Text\tText\tclass_label\n1\tA\tNo\n", "line 1: the header names 'Text' more than once"),
    ],
)
def test_a_bad_table_is_reported_and_the_others_still_split(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["split", str(bad), str(_one_row(tmp_path)), "-o", str(tmp_path / "t.jsonl")])
    assert result.exit_code == 1
    message = message.replace("{bad}", str(bad))
    assert f"Error: {bad}{message}" in result.output or f"Error: {bad}: {message}" in result.output
    assert len((tmp_path / "t.jsonl").read_text().splitlines()) == 1


def test_split_source_keeps_benchmark_splits_and_plans_the_rest(tmp_path: Path) -> None:
    """Rows keep their file's split (also against an earlier run's splits.json); article units without
    one are split by the seeded plan."""
    from .test_datasets import export as article_export

    rows = split(tmp_path, str(_one_row(tmp_path)))  # one_dev.tsv
    tasks = as_exported(rows)
    tasks[0]["id"] = 99
    out = tmp_path / "d"
    out.mkdir()
    (out / "splits.json").write_text(json.dumps({"articles": {"one_dev:42": "train"}}))
    export = write_export(tmp_path / "export.json", article_export() + tasks, project="claims")
    result = CliRunner().invoke(app, ["combine", str(export), "-o", str(out), "--split", "source"])
    assert result.exit_code == 0, result.output
    splits = json.loads((out / "splits.json").read_text())
    assert splits["source"] is True and splits["articles"]["one_dev:42"] == "dev"
    assert set(splits["articles"]) == {"one_dev:42", "a1", "a2", "a3"}
    dev = pd.read_csv(out / "formats" / "checkthat_dev.tsv", sep="\t", dtype=str)
    assert dev["Sentence_id"].tolist()[0] == "42"  # rows of benchmark files first, with their own ids


def test_the_benchmark_file_carries_the_gold_labels_not_the_reference(tmp_path: Path) -> None:
    path = tmp_path / "crowdsourced_train.csv"
    path.write_text("\n".join([CLAIMBUSTER_HEADER, *CLAIMBUSTER_ROWS]) + "\n", encoding="utf-8")
    records = split(tmp_path, str(path), "--corpus", "cb")
    tasks = as_exported(records, labels={"cb:008": "1"})  # the annotator disagrees with the reference on 008
    tasks[3]["annotations"] = []  # s-10 not annotated: no gold, left out
    export = write_export(tmp_path / "export.json", tasks, project="claims")
    out = tmp_path / "dataset"
    assert CliRunner().invoke(app, ["combine", str(export), "-o", str(out)]).exit_code == 0
    back = (out / "formats" / "benchmarks" / "cb" / path.name).read_text(encoding="utf-8").splitlines()
    assert back == [CLAIMBUSTER_HEADER, CLAIMBUSTER_ROWS[0], CLAIMBUSTER_ROWS[1][: -len("-1")] + "1",
                    CLAIMBUSTER_ROWS[2]]  # fmt: skip


def test_row_records_match_the_task_schema(tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    schema = Draft202012Validator(json.loads((ROOT / "schemas" / "task.schema.json").read_text()))
    path = tmp_path / "crowdsourced_train.csv"
    path.write_text("\n".join([CLAIMBUSTER_HEADER, *CLAIMBUSTER_ROWS]) + "\n", encoding="utf-8")
    records = split(tmp_path, str(CT24)) + split(tmp_path, str(path))
    assert [e.message for r in records for e in schema.iter_errors(r)] == []
    broken = records[0] | {"kind": "heading"}
    broken.pop("source_file")
    assert [e.message for e in schema.iter_errors(broken)] == ["'source_file' is a dependency of 'source_id'"]


@pytest.mark.slow
def test_train_with_the_installed_embedding_model_on_the_checkthat_sample(tmp_path: Path) -> None:
    """The real e5-small vectors beside the n-grams (150 train rows of the 200-row sample, 50 to score)."""
    lines = CT24.read_text(encoding="utf-8").splitlines(keepends=True)
    train_file, dev_file = tmp_path / "ct_train.tsv", tmp_path / "ct_dev.tsv"
    train_file.write_text("".join(lines[:151]), encoding="utf-8")
    dev_file.write_text(lines[0] + "".join(lines[151:]), encoding="utf-8")
    runner = CliRunner()
    semantic = runner.invoke(app, ["train", str(train_file), "--eval", str(dev_file), "-o", str(tmp_path / "e5"),
                                   "--format", "json"])  # fmt: skip
    lexical = runner.invoke(app, ["train", str(train_file), "--eval", str(dev_file), "-o", str(tmp_path / "lex"),
                                  "--format", "json", "--lexical"])  # fmt: skip
    assert semantic.exit_code == lexical.exit_code == 0, semantic.output + lexical.output
    with_vectors, without = json.loads(semantic.stdout), json.loads(lexical.stdout)
    assert with_vectors["embedding"]["model"] == "multilingual-e5-small-q4" and without["embedding"] is None
    assert with_vectors["eval"]["f1"] > without["eval"]["f1"]


def test_a_tweet_file_with_a_quote_outside_its_texts_is_still_an_error(tmp_path: Path) -> None:
    """Only the texts of the lab's tweet files hold quote marks as text; one left open in a label is
    reported as in any table."""
    path = tmp_path / "tweets_dev.tsv"
    path.write_text('tweet_id\ttweet_url\ttweet_text\tclass_label\n1\thttp://t.co/1\t"Hi" there.\t"Yes\n'
                    "2\thttp://t.co/2\tBye.\tNo\n", encoding="utf-8")  # fmt: skip
    result = CliRunner().invoke(app, ["split", str(path), "-o", str(tmp_path / "t.jsonl")])
    assert result.exit_code == 1 and "line 2: a quoted cell is closed by a quote mark" in result.output
    path.write_text('tweet_id\ttweet_url\ttweet_text\tclass_label\n1\thttp://t.co/1\t"Hi" there.\tYes\n',
                    encoding="utf-8")  # fmt: skip
    (record,) = split(tmp_path, str(path))
    assert record["text"] == '"Hi" there.'
