"""Read articles from disk into normalised text.

Normalisation keeps offsets meaningful: the text returned here is the article text that every
sentence offset points into.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

SUPPORTED_SUFFIXES = (".txt",)

# Code points Label Studio cannot store safely: NUL and other C0 controls except tab/newline
# (PostgreSQL rejects NUL), and lone surrogates (one of them breaks a whole project's task list and
# every export - measured on 1.23).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass
class Article:
    article_id: str
    text: str
    path: str
    metadata: dict[str, Any] = field(default_factory=dict)
    removed_characters: int = 0


def normalize_text(text: str) -> tuple[str, int]:
    """NFC, LF line ends, unstorable code points removed. Returns the text and how many were removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, removed = _UNSTORABLE.subn("", text)
    return unicodedata.normalize("NFC", text), removed


def text_id(text: str) -> str:
    """A stable id for an article without one of its own: a hash of its normalised text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_article(path: Path) -> Article:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}",
            hint=f"supported: {', '.join(SUPPORTED_SUFFIXES)}",
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected an article file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if b"\x00" in raw[:8192]:
        raise InputError(f"{path}: looks like a binary file (NUL bytes), not a text article")
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-8 at byte {exc.start}",
            hint="convert the file to UTF-8 (for example with iconv)",
        ) from None
    text, removed = normalize_text(decoded)
    if not text.strip():
        raise InputError(f"{path}: the article has no text")
    return Article(article_id=text_id(text), text=text, path=str(path), removed_characters=removed)
