"""Turn split articles into Label Studio task records (one per unit), and read them back."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import InputError
from .ingest import Article
from .segment import SPLITTER_NAME, SPLITTER_VERSION, split_text

# Every task record has these fields; `load` and the dataset stage rely on them.
TASK_FIELDS = ("text", "kind", "article_id", "sentence_id", "sentence_index", "char_start", "char_end")


def sentence_id(article_id: str, index: int) -> str:
    """Stable across machines and reruns: the article id (a hash of its normalised text, or the
    record's own id) and the unit's position in it. A different split of the same article changes
    the ids of the units after the first difference."""
    return f"{article_id}-{index:04d}"


def article_tasks(article: Article) -> list[dict[str, Any]]:
    records = []
    for index, unit in enumerate(split_text(article.text)):
        records.append(
            {
                "text": unit.text,
                "kind": unit.kind,
                "article_id": article.article_id,
                "sentence_id": sentence_id(article.article_id, index),
                "sentence_index": index,
                "char_start": unit.start,
                "char_end": unit.end,
                "source_file": article.path,
                "splitter": f"{SPLITTER_NAME}/{SPLITTER_VERSION}",
            }
        )
    return records


def write_jsonl(records: Iterable[dict[str, Any]], fh: Any) -> int:
    count = 0
    for record in records:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _check_record(record: Any) -> str | None:
    if not isinstance(record, dict):
        return "a task record must be a JSON object"
    missing = [f for f in TASK_FIELDS if f not in record]
    if missing:
        return f"task record lacks {', '.join(missing)}"
    if not isinstance(record["text"], str) or not record["text"].strip():
        return "task text must be a non-empty string"
    return None


def read_tasks(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Read a JSONL task file. Returns the good records and one located message per bad line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a JSONL task file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 at byte {exc.start}") from None
    records, problems = [], []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{lineno}: not valid JSON ({exc.msg}, column {exc.colno})")
            continue
        problem = _check_record(record)
        if problem:
            problems.append(f"{path}:{lineno}: {problem} (make task files with `annotate split`)")
        else:
            records.append(record)
    return records, problems
