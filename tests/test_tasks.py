from __future__ import annotations

import json
from pathlib import Path

from annotate.ingest import read_article
from annotate.load import sanitize
from annotate.tasks import TASK_FIELDS, article_tasks, read_tasks

from .conftest import EXAMPLE_ARTICLE


def test_task_records_point_into_the_article() -> None:
    article = read_article(EXAMPLE_ARTICLE)
    records = article_tasks(article)
    assert records, "the example article yields tasks"
    for index, record in enumerate(records):
        assert set(TASK_FIELDS) <= set(record)
        assert article.text[record["char_start"] : record["char_end"]] == record["text"]
        assert record["sentence_index"] == index
        assert record["sentence_id"] == f"{article.article_id}-{index:04d}"
    assert len({r["sentence_id"] for r in records}) == len(records)


def test_read_tasks_reports_every_bad_line(tmp_path: Path) -> None:
    good = {f: 0 for f in TASK_FIELDS} | {"text": "A sentence.", "sentence_id": "x-0000"}
    path = tmp_path / "tasks.jsonl"
    lines = [json.dumps(good), "{not json", json.dumps({"text": "no ids"}), "", json.dumps(good | {"text": " "})]
    path.write_text("\n".join(lines) + "\n")
    records, problems = read_tasks(path)
    assert records == [good]
    assert problems == [
        f"{path}:2: not valid JSON (Expecting property name enclosed in double quotes, column 2)",
        f"{path}:3: task record lacks kind, article_id, sentence_id, sentence_index, char_start, char_end "
        "(make task files with `annotate split`)",
        f"{path}:5: task text must be a non-empty string (make task files with `annotate split`)",
    ]


def test_sanitize_strips_what_label_studio_cannot_store() -> None:
    assert sanitize({"text": "ok\ud800 here\x00", "n": 3}) == {"text": "ok here", "n": 3}
