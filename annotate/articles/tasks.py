"""Turn split articles into Label Studio task records (one per unit), and read them back."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate.articles.boilerplate import Removed, find_boilerplate
from annotate.articles.read import Article, expand_sources, read_articles
from annotate.articles.rows import Columns, is_row_file, read_rows
from annotate.articles.segment import Splitter, default_splitter, split_text
from annotate.errors import InputError, unreadable
from annotate.vocabulary import (
    ARTICLE_ID,
    CHAR_END,
    CHAR_START,
    SENTENCE_ID,
    SENTENCE_INDEX,
    TASK_FIELDS,
)

# Every task record has these fields; `load`, validation and datasets rely on them.


def sentence_id(article_id: str, char_start: int | None) -> str:
    """Stable across machines and reruns: the article id and where the unit starts in the article.

    The article id is the record's own id or a hash of the normalised text, so any change to the
    text changes every id of a hashed article. A different splitter keeps the ids of units that
    start at the same place; a unit whose end moved keeps its id (and `load` reports its new text).
    """
    return f"{article_id}-title" if char_start is None else f"{article_id}-{char_start}"


def article_tasks(article: Article, *, splitter: Splitter | None = None) -> tuple[list[dict[str, Any]], list[Removed]]:
    """Task records for one article, and the boilerplate lines left out."""
    splitter = splitter or default_splitter()
    removed = find_boilerplate(article.text)
    units: list[tuple[str, int | None, int | None, str]] = []
    if article.title and not article.title_in_text:
        units.append(("heading", None, None, article.title))
    for unit in split_text(article.text, splitter=splitter, skip=[r.start for r in removed]):
        # The title line of a txt/md article is a heading even when it ends with "?" or ".".
        kind = "heading" if article.title_in_text and not units else unit.kind
        units.append((kind, unit.start, unit.end, unit.text))
    name = f"{splitter.name}/{splitter.version}"
    records = []
    for index, (kind, start, end, text) in enumerate(units):
        records.append(
            {
                "text": text,
                "kind": kind,
                ARTICLE_ID: article.article_id,
                SENTENCE_ID: sentence_id(article.article_id, start),
                SENTENCE_INDEX: index,
                CHAR_START: start,
                CHAR_END: end,
                "title": article.title,
                "url": article.url,
                "source": article.source,
                "published": article.published,
                "context_before": units[index - 1][3] if index > 0 else "",
                "context_after": units[index + 1][3] if index + 1 < len(units) else "",
                "splitter": name,
            }
        )
    return records, removed


@dataclass
class SplitArticle:
    article: Article
    records: list[dict[str, Any]]
    removed: list[Removed]


def split_sources(
    sources: list[str], *, splitter: Splitter | None = None, encoding: str | None = None, stdin: bytes | None = None,
    corpus: str | None = None, columns: Columns | None = None,
) -> Iterator[SplitArticle | InputError]:
    """Split every article the sources name; a source that fails is yielded as its error, in order.
    A .tsv or .csv file is a row corpus: one task per row, never re-split (rows.py)."""
    splitter = splitter or default_splitter()
    for source in expand_sources(sources):
        if isinstance(source, InputError):
            yield source
            continue
        if is_row_file(source):
            try:
                rows = read_rows(Path(source), corpus=corpus, columns=columns, encoding=encoding)
            except InputError as exc:
                yield exc
                continue
            yield SplitArticle(rows.article(), rows.records, [])
            continue
        for article in read_articles(source, encoding=encoding, stdin=stdin):
            if isinstance(article, InputError):
                yield article
                continue
            records, removed = article_tasks(article, splitter=splitter)
            if not records:
                yield InputError(f"{article.path}: nothing to annotate (every line is boilerplate or blank)")
                continue
            yield SplitArticle(article, records, removed)


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
    except OSError as exc:
        raise unreadable(path, exc, expected="a JSONL task file") from None
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
