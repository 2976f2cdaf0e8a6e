from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from annotate.articles.read import read_articles
from annotate.articles.tasks import TaskFiles, article_tasks, split_sources
from annotate.labelstudio.api.load import sanitize
from annotate.vocabulary import RECORD_FIELDS, TASK_FIELDS

from .conftest import EXAMPLE_ARTICLE, ROOT

TASK_SCHEMA = Draft202012Validator(json.loads((ROOT / "schemas" / "task.schema.json").read_text()))


def test_task_records_point_into_the_article_and_validate() -> None:
    (article,) = read_articles(str(EXAMPLE_ARTICLE))
    records, removed = article_tasks(article)
    assert len(records) == 21 and len(removed) == 5
    for index, record in enumerate(records):
        assert list(TASK_SCHEMA.iter_errors(record)) == []
        assert set(RECORD_FIELDS) <= set(record)
        assert article.text[record["char_start"] : record["char_end"]] == record["text"]
        assert record["sentence_index"] == index
        assert record["sentence_id"] == f"{article.article_id}-{record['char_start']}"
        assert record["title"] == "Ukraine Allies: Security Pledges Boost Hope for Russia End to War"
        assert record["splitter"].startswith("news/")
    assert [r["context_after"] for r in records[:-1]] == [r["text"] for r in records[1:]]
    assert [r["context_before"] for r in records[1:]] == [r["text"] for r in records[:-1]]
    assert records[0]["context_before"] == "" and records[-1]["context_after"] == ""
    assert len({r["sentence_id"] for r in records}) == len(records)


def test_a_metadata_title_is_a_heading_without_offsets(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "a1", "title": "Allies pledge support", "text": "They met. They agreed."}))
    (item,) = split_sources([str(path)])
    assert [(r["kind"], r["text"], r["char_start"], r["sentence_id"]) for r in item.records] == [
        ("heading", "Allies pledge support", None, "a1-title"),
        ("sentence", "They met.", 0, "a1-0"),
        ("sentence", "They agreed.", 10, "a1-10"),
    ]
    assert all(list(TASK_SCHEMA.iter_errors(r)) == [] for r in item.records)


def test_only_boilerplate_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "b.txt"
    path.write_text("0 comments\n\nYou may also like\n\nShare this:\n")
    (item,) = split_sources([str(path)])
    assert item.message == f"{path}: nothing to annotate (every line is boilerplate or blank)"


def test_splitting_is_deterministic() -> None:
    first = [i.records for i in split_sources([str(EXAMPLE_ARTICLE)])]
    assert first == [i.records for i in split_sources([str(EXAMPLE_ARTICLE)])]


def test_task_files_report_every_bad_line(tmp_path: Path) -> None:
    good = {f: 0 for f in TASK_FIELDS} | {"text": "A sentence.", "sentence_id": "x-0", "article_id": "x"}
    path = tmp_path / "tasks.jsonl"
    lines = [json.dumps(good), "{not json", json.dumps({"text": "no ids"}), "", json.dumps(good | {"text": " "})]
    path.write_text("\n".join(lines) + "\n")
    found = TaskFiles.scan([path])
    records, problems = list(found), found.rejected
    assert records == [good]
    assert problems == [
        f"{path}:2: not valid JSON (Expecting property name enclosed in double quotes, column 2)",
        f"{path}:3: task record lacks kind, article_id, sentence_id, sentence_index, char_start, char_end "
        "(make task files with `annotate split`)",
        f"{path}:5: task text must be a non-empty string (make task files with `annotate split`)",
    ]


def test_every_string_is_checked_however_it_is_written(tmp_path: Path) -> None:
    """A NUL or lone surrogate can only come as a \\u escape, in any case, at any depth; an escaped
    surrogate pair is a character like any other; nesting beyond 20 levels is refused."""
    good = {f: 0 for f in TASK_FIELDS} | {"text": "A sentence.", "sentence_id": "x-0", "article_id": "x"}
    deep: object = "x"
    for _ in range(21):
        deep = [deep]
    lines = [
        json.dumps(good | {"meta": {"k": [{"v": "\udc00"}]}}),
        json.dumps(good | {"title": "ok\x00"}),
        json.dumps(good | {"title": "\ud83d"}).replace("\\ud83d", "\\uD83D"),
        json.dumps(good | {"title": "smile \U0001f600"}),  # escaped as the pair \\ud83d\\ude00
        json.dumps(good | {"meta": deep}),
        json.dumps(good | {"meta": {"a": [{"b": "c"}] * 30}}),  # many brackets, shallow
    ]
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    found = TaskFiles.scan([path])
    records, problems = list(found), found.rejected
    assert [r.get("title") for r in records] == ["smile \U0001f600", None]
    why = "Label Studio cannot store (make task files with `annotate split`)"
    assert problems == [
        f"{path}:1: $.meta.k[0].v holds a lone surrogate or a NUL character, which {why}",
        f"{path}:2: $.title holds a lone surrogate or a NUL character, which {why}",
        f"{path}:3: $.title holds a lone surrogate or a NUL character, which {why}",
        f"{path}:5: $.meta{'[0]' * 20}: nested too deeply (make task files with `annotate split`)",
    ]


def test_sanitize_strips_what_label_studio_cannot_store() -> None:
    assert sanitize({"text": "ok\ud800 here\x00", "n": 3}) == {"text": "ok here", "n": 3}


@pytest.mark.slow
def test_a_50_mb_article_is_split_whole(tmp_path: Path) -> None:
    body = "\n\n".join(EXAMPLE_ARTICLE.read_text(encoding="utf-8").split("\n\n")[2:-5])  # no title, no boilerplate
    small = tmp_path / "small.txt"
    small.write_text(body, encoding="utf-8")
    (once,) = split_sources([str(small)])
    copies = 50 * 1024 * 1024 // len(body.encode()) + 1
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join([body] * copies), encoding="utf-8")
    (item,) = split_sources([str(big)])
    assert len(item.article.text.encode()) > 50 * 1024 * 1024
    assert len(item.records) == copies * len(once.records)
    for record in (item.records[1], item.records[len(item.records) // 2], item.records[-1]):
        assert item.article.text[record["char_start"] : record["char_end"]] == record["text"]
