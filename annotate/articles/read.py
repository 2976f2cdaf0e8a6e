"""Read articles (.txt, .md, .html, .json, .jsonl, directories, globs, stdin) into normalised text.

The text returned here is the article text that every unit offset points into: decoded, NFC,
LF line ends, and without the code points Label Studio cannot store. Nothing else is removed:
boilerplate is found later and skipped, so offsets still locate every unit in the article.
"""

from __future__ import annotations

import codecs
import glob
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import InputError, unreadable
from annotate.vocabulary import ARTICLE_ID

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".tsv", ".csv")  # tables: rows.py
RECORD_FIELDS = ("id", "title", "text", "url", "source", "published", "author")
STDIN = "-"
_SUPPORTED = f"supported: {', '.join(SUFFIXES)}, or - for stdin"

# NUL and the other C0 controls except tab and newline (PostgreSQL rejects NUL; they mean nothing
# in news text), DEL, lone surrogates (one in a task breaks a whole Label Studio project's task
# list and every export - measured on 1.23) and non-characters.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?)\n---[ \t]*(?:\n|$)", re.DOTALL)


@dataclass
class Article:
    article_id: str
    text: str
    path: str
    title: str | None = None
    title_in_text: bool = False  # True when the title is the text's first line (txt/md)
    url: str | None = None
    source: str | None = None
    published: str | None = None
    author: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    removed_characters: int = 0

    def record(self) -> dict[str, Any]:
        """The article as a JSON-ready record, for the articles file."""
        return {
            ARTICLE_ID: self.article_id,
            "path": self.path,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "published": self.published,
            "author": self.author,
            "metadata": self.metadata,
            "removed_characters": self.removed_characters,
            "text": self.text,
        }


def normalize_text(text: str) -> tuple[str, int]:
    """NFC, LF line ends, unstorable code points removed. Returns the text and how many were removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, removed = _UNSTORABLE.subn("", text)
    return unicodedata.normalize("NFC", text), removed


def text_id(text: str) -> str:
    """A stable id for an article without one of its own: a hash of its normalised text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def decode(raw: bytes, *, source: str, encoding: str | None = None) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else needs an explicit encoding."""
    if encoding:
        try:
            return raw.decode(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{source}: not valid {encoding} at byte {exc.start}") from None
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"{source}: not valid {codec} at byte {exc.start}") from None
    if b"\x00" in raw[:65536]:
        raise InputError(f"{source}: looks like a binary file (NUL bytes), not a text article")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not valid UTF-8 at byte {exc.start}",
            hint="pass --encoding (for example --encoding cp1252), or convert the file to UTF-8",
        ) from None


def _article(text: str, *, path: str, record_id: Any = None, **meta: Any) -> Article:
    text, removed = normalize_text(text)
    if not text.strip():
        raise InputError(f"{path}: the article has no text")
    clean_meta = {k: (normalize_text(v)[0].strip() or None) if isinstance(v, str) else v for k, v in meta.items()}
    known = {k: clean_meta.pop(k, None) for k in ("title", "url", "source", "published", "author")}
    return Article(
        article_id=str(record_id) if record_id not in (None, "") else text_id(text),
        text=text,
        path=path,
        metadata={k: v for k, v in clean_meta.items() if k != "title_in_text"},
        removed_characters=removed,
        title_in_text=bool(meta.get("title_in_text")),
        **known,
    )


def _plain(text: str, *, path: str) -> Article:
    """txt/md: the title is the first line when a blank line follows it, or front matter's title."""
    meta: dict[str, Any] = {}
    front = _FRONT_MATTER.match(text)
    if front:
        for line in front.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip():
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[front.end() :]
    if "title" not in meta:
        first, sep, _rest = text.lstrip("\ufeff").partition("\n")
        if sep and _rest.startswith("\n") and first.strip():
            meta["title"] = first.lstrip("# ").strip()
            meta["title_in_text"] = True
    record_id = meta.pop("id", None)
    return _article(text, path=path, record_id=record_id, **meta)


def _html(text: str, *, path: str) -> Article:
    from annotate.articles.html import extract

    body, meta = extract(text)
    if not body.strip():
        raise InputError(f"{path}: no article text found in the HTML")
    return _article(body, path=path, **meta)


def _json_items(text: str, *, path: str, lines: bool) -> Iterator[tuple[str, Any] | InputError]:
    if not lines:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            yield InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}")
            return
        yield from ((f"{path}: record {i}", item) for i, item in enumerate(data if isinstance(data, list) else [data]))
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield f"{path}:{number}", json.loads(line)
            except json.JSONDecodeError as exc:
                yield InputError(f"{path}:{number}: not valid JSON ({exc.msg}, column {exc.colno})")


def _json_records(text: str, *, path: str, lines: bool) -> Iterator[Article | InputError]:
    """Records with id, title, text, url, source, published, author; other fields become metadata."""
    for item in _json_items(text, path=path, lines=lines):
        if isinstance(item, InputError):
            yield item
            continue
        where, record = item
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield InputError(f'{where}: a record needs a "text" string', hint=f"fields: {', '.join(RECORD_FIELDS)}")
            continue
        meta = {k: v for k, v in record.items() if k not in ("id", "text")}
        try:
            yield _article(record["text"], path=where, record_id=record.get("id"), **meta)
        except InputError as exc:
            yield exc


def read_articles(
    source: str, *, encoding: str | None = None, stdin: bytes | None = None
) -> Iterator[Article | InputError]:
    """Every article in one file (or stdin's bytes for '-'); a bad one is yielded as its error."""
    if source == STDIN:
        try:
            yield _plain(decode(stdin or b"", source="<stdin>", encoding=encoding), path="<stdin>")
        except InputError as exc:
            yield exc
        return
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        yield InputError(f"{path}: unsupported file type {path.suffix or '(none)'!r}", hint=_SUPPORTED)
        return
    try:
        raw = path.read_bytes()
        text = decode(raw, source=str(path), encoding=encoding)
        if suffix in (".json", ".jsonl"):
            yield from _json_records(text, path=str(path), lines=suffix == ".jsonl")
        elif suffix in (".html", ".htm"):
            yield _html(text, path=str(path))
        else:
            yield _plain(text, path=str(path))
    except OSError as exc:
        yield unreadable(path, exc, expected="an article file")
    except InputError as exc:
        yield exc


def expand_sources(sources: list[str]) -> Iterator[str | InputError]:
    """Files, directories (their supported files, recursively, sorted), globs and '-'."""
    for source in sources:
        path = Path(source)
        if source == STDIN or path.is_file():
            yield source
        elif path.is_dir():
            found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                yield InputError(f"{path}: no article files in this directory", hint=_SUPPORTED)
            yield from found
        elif glob.has_magic(source):
            matches = sorted(glob.glob(source, recursive=True))
            if not matches:
                yield InputError(f"{source}: no files match this pattern")
            yield from (m for m in matches if Path(m).is_file())
        else:
            yield InputError(f"{path}: no such file")
