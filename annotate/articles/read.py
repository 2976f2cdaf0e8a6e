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
import math
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import InputError, UsageError, unreadable
from annotate.vocabulary import ARTICLE_ID

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".tsv", ".csv")  # tables: rows.py
FORMATS = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
           ".json": "json", ".jsonl": "jsonl"}  # fmt: skip
INPUT_FORMATS = ("auto", "text", "markdown", "html", "json", "jsonl")
RECORD_FIELDS = ("id", "title", "text", "url", "source", "published", "author")
STDIN = "-"
MAX_DEPTH = 100  # metadata nested deeper than this is refused (deeper JSON would exhaust the stack)
_SUPPORTED = f"supported: {', '.join(SUFFIXES)}, or - for stdin; --input-format reads any file as one of them"

# NUL and the other C0 controls except tab and newline (PostgreSQL rejects NUL; they mean nothing
# in news text), DEL, the C1 controls (in news text they are mis-decoded cp1252 at best), lone
# surrogates (one in a task breaks a whole Label Studio project's task list and every export -
# measured on 1.23) and non-characters.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?)\n---[ \t]*(?:\n|$)", re.DOTALL)
# Front matter whose closing --- is missing: key: value lines up to the first blank line.
_UNCLOSED_FRONT_MATTER = re.compile(r"---[ \t]*\n((?:[A-Za-z_][\w -]*:[^\n]*\n)*[A-Za-z_][\w -]*:[^\n]*)(?:\n\n|\n?$)")
_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)


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
            "path": printable(self.path),
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "published": self.published,
            "author": self.author,
            "metadata": self.metadata,
            "removed_characters": self.removed_characters,
            "text": self.text,
        }


def printable(text: str) -> str:
    """`text` with lone surrogates (undecodable file-name bytes, say) written as `\\udcff` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def normalize_text(text: str) -> tuple[str, int]:
    """NFC, LF line ends, unstorable code points removed. Returns the text and how many were removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, removed = UNSTORABLE.subn("", text)
    return unicodedata.normalize("NFC", text), removed


def text_id(text: str) -> str:
    """A stable id for an article without one of its own: a hash of its normalised text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def check_encoding(encoding: str | None) -> None:
    """UsageError unless `encoding` names a text encoding Python knows (None: detect)."""
    if encoding is None:
        return
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise UsageError(f"unknown encoding {encoding!r}", hint="for example --encoding cp1252, latin-1 or utf-16-le")


def check_input_format(input_format: str) -> None:
    if input_format not in INPUT_FORMATS:
        raise UsageError(f"unknown input format {input_format!r}", hint=f"choose one of: {', '.join(INPUT_FORMATS)}")


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the bytes look like mostly-ASCII UTF-16 without a BOM."""
    sample = raw[:65536]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0 : 2 * half : 2].count(0) / half, sample[1 : 2 * half : 2].count(0) / half
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def decode(raw: bytes, *, source: str, encoding: str | None = None) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else needs an explicit encoding."""
    if encoding:
        check_encoding(encoding)
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{source}: not valid {encoding} at byte {exc.start}",
                hint="pass the encoding the file was saved in, or convert it to UTF-8",
            ) from None
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{source}: not valid {codec} at byte {exc.start}",
                    hint="the file starts with a byte order mark but is damaged; save it again",
                ) from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        utf16 = _utf16_without_bom(raw)
        if utf16:
            raise InputError(f"{source}: looks like UTF-16 without a byte order mark",
                             hint=f"pass --encoding {utf16}")  # fmt: skip
        raise InputError(f"{source}: looks like a binary file (NUL byte at byte {nul}), not a text article",
                         hint="pass --encoding if it is text in an encoding such as UTF-16")  # fmt: skip
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not valid UTF-8 at byte {exc.start}",
            hint="pass --encoding (for example --encoding cp1252), or convert the file to UTF-8",
        ) from None


def _article(
    text: str,
    *,
    path: str,
    record_id: str | None = None,
    fields: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    title_in_text: bool = False,
    removed: int = 0,
) -> Article:
    """An Article from its text and its known fields (title, url, source, published, author: strings
    or None); `metadata` is everything else, kept as given."""  # fmt: skip
    text, removed_here = normalize_text(text)
    if not text.strip():
        raise InputError(f"{path}: the article has no text", hint="give it some text, or leave it out")
    known: dict[str, Any] = {}
    for key in ("title", "url", "source", "published", "author"):
        value = (fields or {}).get(key)
        if isinstance(value, str):
            value, n = normalize_text(value)
            removed += n
            value = value.strip() or None
        known[key] = value
    return Article(
        article_id=record_id or text_id(text),
        text=text,
        path=path,
        metadata=metadata or {},
        removed_characters=removed + removed_here,
        title_in_text=title_in_text,
        **known,
    )


def _plain(text: str, *, path: str) -> Article:
    """txt/md: the title is the first line when a blank line follows it, or front matter's title."""
    meta: dict[str, Any] = {}
    front = _FRONT_MATTER.match(text) or _UNCLOSED_FRONT_MATTER.match(text)
    if front:
        for line in front.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip():
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[front.end() :]
    title_in_text = False
    if "title" not in meta:
        first, sep, _rest = text.lstrip("\ufeff").partition("\n")
        if sep and _rest.startswith("\n") and first.strip():
            meta["title"] = first.lstrip("# ").strip()
            title_in_text = True
    record_id, removed = _clean_id(meta.pop("id", None), where=path)
    fields = {k: meta.pop(k) for k in ("title", "url", "source", "published", "author") if k in meta}
    metadata, removed_meta, _problems = _clean(meta, "front matter", 0)
    return _article(text, path=path, record_id=record_id, fields=fields, metadata=metadata,
                    title_in_text=title_in_text, removed=removed + removed_meta)  # fmt: skip


def _html(text: str, *, path: str) -> Article:
    from annotate.articles.html import extract

    body, meta = extract(text)
    if not body.strip():
        raise InputError(
            f"{path}: no article text found in the HTML",
            hint="the page holds only boilerplate or script; save its text as .txt to split it all",
        )
    return _article(body, path=path, fields=meta)


class _Constant:
    """NaN, Infinity or -Infinity in JSON input: Python reads them, JSON does not allow them."""

    def __init__(self, name: str) -> None:
        self.name = name


def _float(text: str) -> float | _Constant:
    value = float(text)
    return value if math.isfinite(value) else _Constant(f"{text} (beyond the range of a number)")


def _loads(text: str) -> Any:
    """json.loads, with NaN, Infinity and numbers too large for a float kept as _Constant (to be
    reported where they are); ValueError for an integer longer than Python reads (4300 digits)."""
    return json.loads(text, parse_constant=_Constant, parse_float=_float)


_ONE_RECORD = 'write one {"text": ...} object'
_FLAT = "an article record is a JSON object of strings; keep metadata shallow"
_FIX_JSON = "fix the JSON there (a JSONL file holds one object per line)"


def _json_items(text: str, *, path: str, lines: bool) -> Iterator[tuple[str, Any] | InputError]:
    too_deep = f"nested more than {MAX_DEPTH} levels deep"
    if not lines:
        try:
            data = _loads(text)
        except json.JSONDecodeError as exc:
            yield InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}", hint=_FIX_JSON)
            return
        except RecursionError:
            yield InputError(f"{path}: {too_deep}", hint=_FLAT)
            return
        except ValueError as exc:  # an integer of more than 4300 digits
            yield InputError(f"{path}: not readable JSON ({exc})", hint="write long numbers as strings")
            return
        if data == []:
            yield InputError(f"{path}: an empty list, no article records", hint=_ONE_RECORD + " per article")
        yield from ((f"{path}: record {i}", item) for i, item in enumerate(data if isinstance(data, list) else [data]))
        return
    # Only "\n" ends a JSONL line: str.splitlines() would also cut at U+2028 and other separators
    # that JSON allows raw inside strings.
    if not text.strip():
        yield InputError(f"{path}: no article records (the file is empty)", hint=_ONE_RECORD + " per line")
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            try:
                yield f"{path}:{number}", _loads(line)
            except json.JSONDecodeError as exc:
                yield InputError(f"{path}:{number}: not valid JSON ({exc.msg}, column {exc.colno})", hint=_FIX_JSON)
            except RecursionError:
                yield InputError(f"{path}:{number}: {too_deep}", hint=_FLAT)
            except ValueError as exc:  # an integer of more than 4300 digits
                yield InputError(f"{path}:{number}: not readable JSON ({exc})", hint="write long numbers as strings")


def _kind(value: Any) -> str:
    if isinstance(value, _Constant):
        return value.name
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object",
            type(None): "null"}.get(type(value), type(value).__name__)  # fmt: skip


def _clean(value: Any, where: str, depth: int) -> tuple[Any, int, list[str]]:
    """Metadata made safe to write: strings (keys too) normalised, NaN/Infinity and too deep nesting
    reported. Returns (value, characters removed, problems)."""
    if depth > MAX_DEPTH:
        return None, 0, [f"{where}: nested more than {MAX_DEPTH} levels deep"]
    if isinstance(value, _Constant):
        return None, 0, [f"{where} is {value.name}, which JSON does not allow; write null or a number"]
    if isinstance(value, str):
        text, removed = normalize_text(value)
        return text, removed, []
    removed, problems = 0, []
    if isinstance(value, list):
        items = []
        for i, item in enumerate(value):
            item, n, p = _clean(item, f"{where}[{i}]", depth + 1)
            items.append(item)
            removed, problems = removed + n, problems + p
        return items, removed, problems
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            key, n, _ = _clean(key, where, depth + 1)
            item, m, p = _clean(item, f"{where}.{key}", depth + 1)
            cleaned[key] = item
            removed, problems = removed + n + m, problems + p
        return cleaned, removed, problems
    return value, 0, []


def _clean_id(value: Any, *, where: str) -> tuple[str | None, int]:
    """The record's own id as a string (None: use the text's hash), and the characters removed from it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, 0
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f'{where}: field "id" must be a string or an integer, not {_kind(value)}',
                         hint='give each article a unique id, or leave "id" out to use a hash of its text')  # fmt: skip
    text, removed = normalize_text(str(value))
    if not text.strip():
        raise InputError(f'{where}: field "id" holds only characters Label Studio cannot store',
                         hint='give the article a printable id, or leave "id" out')  # fmt: skip
    return text.strip(), removed


def _record_article(where: str, record: Any) -> Article:
    """One JSON record: id, title, text, url, source, published, author; other fields become metadata."""
    optional = ", ".join(f for f in RECORD_FIELDS if f != "text")
    hint = f'a record is a JSON object with a "text" string and optionally {optional} (strings)'
    if not isinstance(record, dict):
        raise InputError(f'{where}: a record needs a "text" string, found {_kind(record)}', hint=hint)
    problems = []
    if "text" not in record:
        problems.append('a record needs a "text" string')
    elif not isinstance(record["text"], str):
        problems.append(f'field "text" must be a string, found {_kind(record["text"])}')
    for key in ("title", "url", "source", "published", "author"):
        if record.get(key) is not None and not isinstance(record[key], str):
            problems.append(f'field "{key}" must be a string or null, found {_kind(record[key])}')
    metadata, removed, deep = _clean({k: v for k, v in record.items() if k not in RECORD_FIELDS}, "metadata", 0)
    problems += deep
    if problems:
        raise InputError(f"{where}: " + "; ".join(problems), hint=hint)
    record_id, removed_id = _clean_id(record.get("id"), where=where)
    fields = {k: record.get(k) for k in RECORD_FIELDS if k not in ("id", "text")}
    return _article(record["text"], path=where, record_id=record_id, fields=fields, metadata=metadata,
                    removed=removed + removed_id)  # fmt: skip


def _json_records(text: str, *, path: str, lines: bool) -> Iterator[Article | InputError]:
    for item in _json_items(text, path=path, lines=lines):
        if isinstance(item, InputError):
            yield item
            continue
        try:
            yield _record_article(*item)
        except InputError as exc:
            yield exc


def sniff_format(text: str) -> str:
    """'html' when the text starts like an HTML page, else 'text'."""
    return "html" if _HTML_START.match(text.lstrip("\ufeff")) else "text"


def _parse(text: str, *, path: str, fmt: str) -> Iterator[Article | InputError]:
    try:
        if fmt in ("json", "jsonl"):
            yield from _json_records(text, path=path, lines=fmt == "jsonl")
        elif fmt == "html":
            yield _html(text, path=path)
        else:
            yield _plain(text, path=path)
    except InputError as exc:
        yield exc


def read_articles(
    source: str, *, encoding: str | None = None, stdin: bytes | None = None, input_format: str = "auto"
) -> Iterator[Article | InputError]:
    """Every article in one file (or stdin's bytes for '-'); a bad one is yielded as its error.

    `input_format` 'auto' goes by the file's suffix (stdin: HTML when it starts like a page, else
    text); any other value of INPUT_FORMATS reads every source as that format."""
    check_input_format(input_format)
    if source == STDIN:
        try:
            text = decode(stdin or b"", source="<stdin>", encoding=encoding)
        except InputError as exc:
            yield exc
            return
        fmt = sniff_format(text) if input_format == "auto" else input_format
        yield from _parse(text, path="<stdin>", fmt=fmt)
        return
    path = Path(source)
    fmt = FORMATS.get(path.suffix.lower()) if input_format == "auto" else input_format
    if fmt is None:
        yield InputError(f"{path}: unsupported file type {path.suffix or '(none)'!r}", hint=_SUPPORTED)
        return
    try:
        text = decode(path.read_bytes(), source=str(path), encoding=encoding)
    except OSError as exc:
        yield unreadable(path, exc, expected="an article file")
        return
    except InputError as exc:
        yield exc
        return
    yield from _parse(text, path=str(path), fmt=fmt)


def _dangling(path: Path) -> InputError:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return InputError(f"{path}: a symbolic link to {target}, which does not exist", hint="fix or remove the link")


def _walk(folder: Path) -> Iterator[str | InputError]:
    """The supported files under `folder`, sorted; every folder or link that cannot be followed is
    yielded as an InputError in its place (an unreadable subfolder must not pass as empty)."""
    found: list[tuple[str, str | InputError]] = []

    def unreadable_folder(exc: OSError) -> None:
        found.append((str(exc.filename), InputError(
            f"{exc.filename}: cannot read this folder ({exc.strerror}); its articles were not split",
            hint="fix its permissions, or leave it out")))  # fmt: skip

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable_folder):
        for name in dirnames:
            sub = Path(dirpath, name)
            if sub.is_symlink():
                found.append((str(sub), InputError(f"{sub}: a symbolic link to a folder; not followed",
                                                   hint="name the folder itself to split it")))  # fmt: skip
        for name in filenames:
            file = Path(dirpath, name)
            if file.suffix.lower() not in SUFFIXES:
                continue
            found.append((str(file), _dangling(file) if file.is_symlink() and not file.exists() else str(file)))
    if not found:
        yield InputError(f"{folder}: no article files in this directory", hint=_SUPPORTED)
    yield from (item for _, item in sorted(found, key=lambda pair: pair[0]))


def expand_sources(sources: list[str]) -> Iterator[str | InputError]:
    """Files, directories (their supported files, recursively, sorted), globs and '-'."""
    for source in sources:
        path = Path(source)
        if source == STDIN or path.is_file() or (path.exists() and not path.is_dir()):  # a file, a pipe
            yield source
        elif path.is_dir():
            yield from _walk(path)
        elif path.is_symlink():
            yield _dangling(path)
        elif glob.has_magic(source):
            matches = sorted(glob.glob(source, recursive=True))
            if not matches:
                yield InputError(f"{source}: no files match this pattern", hint="check the pattern and the folder")
            for match in matches:
                if Path(match).is_dir():
                    yield from _walk(Path(match))
                elif Path(match).is_file():
                    yield match
                else:
                    yield _dangling(Path(match))
        else:
            yield InputError(f"{path}: no such file")
