"""Row corpora: a .tsv or .csv file of sentences that are already units (CheckThat!, ClaimBuster, or
any table with an id and a text column) becomes one task per row, never re-split.

Every value is kept exactly as the file holds it (read as strings: the id "00123" stays "00123"),
so a benchmark goes out again unchanged (dataset/formats.py). The row's id is `source_id`, its
corpus `corpus` (default: the file's stem) and the task's id `<corpus>:<source_id>`, so two corpora
with small integer ids can share a project. The benchmark's label is `reference_label`, the split
its file name says (`_train`, `_dev`, `_dev-test`, `_test`) `source_split`, `source_row` the
row's place in the file (1 = the first row after the header), the order the benchmark files are
written back in, and `source_file` and `source_columns` (the header, which columns hold the text and
the label, and the other cells) what `combine` needs to write the file back as it was, with the
gold labels (dataset/formats.py).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from annotate.articles.quoting import Layout, line_layout, tsv_layout
from annotate.articles.read import Article, decode
from annotate.errors import InputError, unreadable
from annotate.inputs import parse_table, problems_error
from annotate.vocabulary import (
    ARTICLE_ID,
    CHAR_END,
    CHAR_START,
    CLAIM_CHECKWORTHY,
    CLAIM_NOT_CHECKWORTHY,
    CLAIM_STATUSES,
    CORPUS,
    NO_CLAIM,
    REFERENCE_LABEL,
    SENTENCE_ID,
    SENTENCE_INDEX,
    SOURCE_COLUMNS,
    SOURCE_FILE,
    SOURCE_ID,
    SOURCE_ROW,
    SOURCE_SPLIT,
    row_sentence_id,
)

ROW_SUFFIXES = (".tsv", ".csv")
SPLITTER = "rows/1"  # one unit per row: nothing is split
SOURCE_SPLITS = ("train", "dev", "dev-test", "test")
# What Label Studio cannot store (see read.py); tabs and newlines inside a cell are kept.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


@dataclass(frozen=True)
class Columns:
    """Which column of a table holds what. `line` orders the rows of one article (ClaimBuster's
    Line_number), `url` is shown with the row (CheckThat!'s tweet_url)."""

    id: str | None = None
    text: str | None = None
    article: str | None = None
    label: str | None = None
    line: str | None = None
    url: str | None = None

    def merged(self, override: Columns) -> Columns:
        return replace(self, **{k: v for k, v in vars(override).items() if v is not None})


# The benchmarks recognised by their headers, most specific first.
KNOWN = (
    ("CheckThat! tweets", {"tweet_id", "tweet_text"},
     Columns(id="tweet_id", text="tweet_text", label="class_label", url="tweet_url")),
    ("ClaimBuster", {"Sentence_id", "Text", "Verdict"},
     Columns(id="Sentence_id", text="Text", label="Verdict", article="File_id", line="Line_number")),
    ("CheckThat!", {"Sentence_id", "Text"}, Columns(id="Sentence_id", text="Text", label="class_label")),
)  # fmt: skip


# The benchmarks' label scales: claim_status -> the benchmark's label. CheckThat!'s No (and 0)
# covers both no_claim and claim_not_checkworthy; ClaimBuster's -1 / 0 / 1 are NFS / UFS / CFS.
SCALES: dict[str, dict[str, str]] = {
    "CheckThat! Yes/No": {NO_CLAIM: "No", CLAIM_NOT_CHECKWORTHY: "No", CLAIM_CHECKWORTHY: "Yes"},
    "ClaimBuster -1/0/1": {NO_CLAIM: "-1", CLAIM_NOT_CHECKWORTHY: "0", CLAIM_CHECKWORTHY: "1"},
    "CheckThat! 0/1": {NO_CLAIM: "0", CLAIM_NOT_CHECKWORTHY: "0", CLAIM_CHECKWORTHY: "1"},
}


def reference_scale(labels: set[str]) -> tuple[str, dict[str, str]] | None:
    """The scale a corpus's reference labels are on: Yes/No is CheckThat!'s; labels with -1 are
    ClaimBuster's; 0/1 alone CheckThat!'s binary one. None when they fit no scale."""
    order = ["CheckThat! Yes/No", "ClaimBuster -1/0/1" if "-1" in labels else "CheckThat! 0/1", "ClaimBuster -1/0/1"]
    for name in order:
        if labels and labels <= set(SCALES[name].values()):
            return name, SCALES[name]
    return None


def suggested_status(label: str, scale: dict[str, str]) -> str | None:
    """The claim_status to suggest for a reference label: the first status (in the order no_claim,
    claim_not_checkworthy, claim_checkworthy) the scale gives that label. CheckThat!'s No becomes
    no_claim; the annotator says whether it is a claim that is not check-worthy."""
    return next((status for status in CLAIM_STATUSES if scale.get(status) == label), None)


def is_row_file(path: str) -> bool:
    return Path(path).suffix.lower() in ROW_SUFFIXES


def source_split(path: Path) -> str | None:
    """The split a benchmark file's name says: the last of _train, _dev, _dev-test, _test in its stem."""
    found = [part for part in path.stem.lower().split("_") if part in SOURCE_SPLITS]
    return found[-1] if found else None


def _columns(header: list[str], override: Columns, path: Path) -> Columns:
    present = set(header)
    chosen = Columns()
    for _name, needs, columns in KNOWN:
        if needs <= present:
            chosen = replace(columns, **{k: (v if v in present else None) for k, v in vars(columns).items()})
            break
    chosen = chosen.merged(override)
    for option, column in (("--id-column", chosen.id), ("--text-column", chosen.text)):
        if column is None:
            raise InputError(f"{path}: which column holds the {option[2:-7]}? The header is {', '.join(header)}",
                             hint=f"name it with {option}")  # fmt: skip
    for option, column in (("--id-column", chosen.id), ("--text-column", chosen.text),
                           ("--article-column", chosen.article), ("--label-column", chosen.label)):  # fmt: skip
        if column is not None and column not in present:
            raise InputError(f"{path}: no column {column!r} ({option}); the header is {', '.join(header)}")
    return chosen


def _rows(
    text: str, path: Path, layout: Layout, columns: Columns
) -> tuple[list[str], list[tuple[int, dict[str, str]]], Layout]:
    """The header and each row with the line it starts on, read by the shared table reader
    (annotate.inputs.parse_table: quoted cells may hold tabs, commas, doubled quote marks and
    newlines; a quote never closed is an error), and the file's layout (quoting.py). Every row with
    the wrong number of cells is reported together; then none of the table is taken. A .tsv with
    quote marks no CSV writer writes, all in its text column, and the header of the lab's tweet files
    (quoting NONE) is read line by line, tab by tab instead."""
    try:
        table, error = parse_table(text, path), None
    except InputError as exc:
        table, error = None, exc
    if path.suffix.lower() == ".tsv":
        readable = table is not None and table.header and not table.problems
        parsed = [table.header, *(r.cells for r in table.rows)] if readable and table else None
        found, raw = tsv_layout(text, parsed, layout, csv_failed=error is not None)
        if raw is None:
            layout = found
        elif _unquoted_tweets(raw, columns, path):
            header = raw[0]
            rows = [(line, dict(zip(header, cells, strict=True))) for line, cells in enumerate(raw[1:], 2)]
            return header, rows, found
    if error or table is None:
        raise error or InputError(f"{path}: unreadable table")
    if not table.header:
        raise InputError(f"{path}: the file is empty, expected a header row")
    if table.problems:
        raise problems_error(table.problems, hint="a cell with a tab, comma or newline must be quoted; fix those rows")
    header = list(table.header)
    return header, [(row.line, dict(zip(header, row.cells, strict=True))) for row in table.rows], layout


def _unquoted_tweets(raw: list[list[str]], columns: Columns, path: Path) -> bool:
    """Whether a table read line by line is one of the lab's tweet files, which quote nothing (the
    header of CheckThat! tweets, distinct names) with its quote marks in its texts. In any other
    table, and anywhere else (an id, a label), a stray quote mark is one left open by mistake, which
    the CSV reader reports."""
    header = raw[0]
    if len(set(header)) != len(header) or not KNOWN[0][1] <= set(header):
        return False
    try:
        text = raw[0].index(_columns(raw[0], columns, path).text)  # type: ignore[arg-type]
    except (InputError, ValueError):
        return False
    return not any('"' in cell for i, row in enumerate(raw) for j, cell in enumerate(row) if i == 0 or j != text)


def _line_key(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _cells(header: list[str], chosen: Columns, row: dict[str, str], layout: dict[str, Any]) -> dict[str, Any]:
    """What writes the row back: the header in order, the text and label columns (their cells are
    the task's text and, hidden or not, its reference label), the other cells, and the file's
    layout where it is not the usual one (quoting.py). A JSON object's keys may come back in another
    order (PostgreSQL), so the order is the header list's."""
    roles = {chosen.text, chosen.label}
    cells = {"header": header, "text": chosen.text, "label": chosen.label,
             "cells": {c: row[c] for c in header if c not in roles}}  # fmt: skip
    return cells | {"layout": layout} if layout else cells


@dataclass
class RowCorpus:
    path: Path
    corpus: str
    records: list[dict[str, Any]]
    removed_characters: int

    def article(self) -> Article:
        """The file's record for the articles file: the corpus, without text of its own (each row
        is a unit with null offsets)."""
        return Article(article_id=self.corpus, text="", path=str(self.path), metadata={"rows": len(self.records)},
                       removed_characters=self.removed_characters)  # fmt: skip


def read_rows(
    path: Path, *, corpus: str | None = None, columns: Columns | None = None, encoding: str | None = None
) -> RowCorpus:
    """One task record per row of a .tsv or .csv file (see the module docstring)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise unreadable(path, exc, expected="a table of sentences") from None
    content = decode(raw, source=str(path), encoding=encoding).removeprefix("\ufeff")
    layout = replace(line_layout(content), bom=raw.startswith(codecs.BOM_UTF8))
    header, rows, layout = _rows(content, path, layout, columns or Columns())
    kept = layout.record()
    chosen = _columns(header, columns or Columns(), path)
    if not rows:
        raise InputError(f"{path}: no rows under the header")
    corpus = corpus or path.stem
    split = source_split(path)
    seen: dict[str, int] = {}
    removed = 0
    units = []
    for number, (line, row) in enumerate(rows, 1):
        sid = row[chosen.id]  # type: ignore[index]
        if not sid.strip():
            raise InputError(f"{path}:{line}: the row has no id (column {chosen.id!r})")
        if sid in seen:
            raise InputError(f"{path}: id {sid!r} is on line {seen[sid]} and again on line {line}",
                             hint="every row needs its own id")  # fmt: skip
        seen[sid] = line
        text, count = _UNSTORABLE.subn("", row[chosen.text])  # type: ignore[index]
        removed += count
        if not text.strip():
            raise InputError(f"{path}:{line}: row {sid!r} has no text")
        article = row[chosen.article] if chosen.article else None
        units.append((number, sid, text, article, row))
    # An article's rows in the order of their line numbers (else of the file): its context.
    by_article: dict[str | None, list[Any]] = {}
    for unit in units:
        by_article.setdefault(unit[3], []).append(unit)
    records = []
    for article, members in by_article.items():
        if article is None:
            groups = [[u] for u in members]
        else:
            line = chosen.line
            groups = [sorted(members, key=lambda u: (_line_key(u[4][line]) if line else (0, 0.0, ""), u[0]))]
        for group in groups:
            for index, (number, sid, text, _article, row) in enumerate(group):
                records.append((number, {
                    "text": text, "kind": "sentence",
                    ARTICLE_ID: row_sentence_id(corpus, article if article is not None else sid),
                    SENTENCE_ID: row_sentence_id(corpus, sid), SENTENCE_INDEX: index,
                    CHAR_START: None, CHAR_END: None,
                    "title": None, "url": row[chosen.url] if chosen.url else None, "source": None, "published": None,
                    "context_before": group[index - 1][2] if index > 0 else "",
                    "context_after": group[index + 1][2] if index + 1 < len(group) else "",
                    "splitter": SPLITTER,
                    SOURCE_ID: sid, CORPUS: corpus, SOURCE_ROW: number,
                    REFERENCE_LABEL: row[chosen.label] if chosen.label else None, SOURCE_SPLIT: split,
                    SOURCE_FILE: path.name, SOURCE_COLUMNS: _cells(header, chosen, row, kept),
                }))  # fmt: skip
    records.sort(key=lambda pair: pair[0])
    return RowCorpus(path, corpus, [record for _, record in records], removed)
