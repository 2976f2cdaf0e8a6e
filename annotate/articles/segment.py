"""Split article text into units (sentences and headings) with exact character offsets.

Invariant, checked on every call: for every unit, text[unit.start:unit.end] == unit.text; units
are ordered, do not overlap, never cross a paragraph break (a blank line), and skip the ranges
the caller excludes (boilerplate).

Structure (paragraphs, headings, bullet lines) is found here; sentences inside a paragraph come
from a pluggable Splitter. The default, "news", is sentencex (fast, exact offsets, 43/48 on the
English Golden Rules) plus rules for what news needs: titles before names, a.m./p.m. before a
weekday, quotation marks on the wrong side of a boundary, and inline numbered lists. The words and
marks of each language are in its rules file (splitting_rules.py, articles/rules/<language>.json).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import version as _dist_version
from typing import Protocol

from annotate.articles.splitting_rules import (
    NEUTRAL,
    Rules,
    blank_quotes,
    continues,
    load_rules,
    move_quotes,
    split_more,
    tight,
)
from annotate.errors import UsageError

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0\u3000]*\n")
_BULLET = re.compile(r"[ \t]*(?:[•▪◦‣⁃∙·*\-–—]|\d{1,2}[.)])\s")
_MD_HEADING = re.compile(r"(#{1,6})[ \t]+")
_HEADING_MAX_WORDS = 20
_CLOSERS = "\"'”’»)]"
_TERMINALS = (".", "!", "?", "…", ":", ";")


@dataclass(frozen=True)
class Unit:
    kind: str  # "sentence" or "heading"
    start: int
    end: int
    text: str


class Splitter(Protocol):
    name: str
    version: str

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Sentence spans (start, end) in one paragraph of text; may include surrounding spaces."""
        ...


# Splitters ------------------------------------------------------------------------------------
class SentencexSplitter:
    """sentencex as it is, with its rules for `language` (ISO 639-1)."""

    name = "sentencex"

    def __init__(self, language: str = "en") -> None:
        from sentencex import get_sentence_boundaries

        self._boundaries = get_sentence_boundaries
        self.language = language
        self.version = _dist_version("sentencex") + ("" if language == "en" else f"/{language}")

    def spans(self, text: str) -> list[tuple[int, int]]:
        return [(b["start_index"], b["end_index"]) for b in self._boundaries(self.language, text)]


_BARE_MARKER = re.compile(r"[•⁃]?\s?(\d{1,3}|[a-z])(\.\)|\.|\))")
_LIST_MARKER = re.compile(r"[•⁃]?\s?(\d{1,3}|[a-z])(\.\)|\.|\))\s")


class NewsSplitter:
    """sentencex plus news rules (see the module docstring). The words the rules know (titles,
    abbreviations, months, quotation marks) come from the language's file in articles/rules/
    (splitting_rules.py); a language without one gets sentencex's own rules and the
    language-neutral ones (lists, a sentence in parentheses)."""

    name = "news"

    def __init__(self, language: str = "en") -> None:
        self._base = SentencexSplitter(language)
        self.language = language
        self.rules = load_rules(language)
        # 1.1: the rules files. A rules file's hash is in the version: tasks say which rules split them.
        tag = "" if self.rules is None else f"+rules-{self.rules.version}"
        self.version = f"1.1{tag}+sentencex-{self._base.version}"

    def spans(self, text: str) -> list[tuple[int, int]]:
        # Non-breaking spaces are kept in the text but split like spaces: same-length copy.
        plain = text.replace("\u00a0", " ").replace("\u202f", " ")
        rules = self.rules
        seen = blank_quotes(plain, rules) if rules and rules.blank_quotes else plain
        spans = []
        for item_start, item_end in _split_inline_list(plain, 0, len(plain)):
            found = self._base.spans(seen[item_start:item_end])
            if seen is not plain:
                found = _tiled(found, item_end - item_start)
            for s, e in found:
                s, e = tight(plain, item_start + s, item_start + e)
                if s < e:
                    spans.append((s, e))
        if rules is None:
            spans = move_quotes(plain, spans, NEUTRAL)
        else:
            spans = move_quotes(plain, _merge_false_breaks(plain, spans, rules), rules)
            spans = [piece for s, e in spans for piece in split_more(plain, s, e, rules)]
        return [piece for s, e in spans for piece in _split_after_parenthesis(plain, s, e)]


def _merge_false_breaks(text: str, spans: list[tuple[int, int]], rules: Rules) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and continues(
            text[merged[-1][0] : merged[-1][1]], text[start:end], rules, glued=start == merged[-1][1]
        ):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _tiled(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Spans stretched to cover the whole text: a blanked quotation mark between two of them
    belongs to one, never to none."""
    ends = [e for _, e in spans[:-1]] + [length]
    return [(start, end) for start, end in zip([0, *ends[:-1]], ends, strict=True)] if spans else []


_AFTER_PARENTHESIS = re.compile(r"(?<=[.!?][)\]])\s+(?=[\"“‘(]?[A-Z])")


def _split_after_parenthesis(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """'The mayor resigned. (She had served two years.) An election follows.' has three sentences."""
    pieces, piece_start = [], start
    for match in _AFTER_PARENTHESIS.finditer(text, start, end):
        if _BARE_MARKER.fullmatch(text[piece_start : match.start()]):
            continue  # "1.) The first item"
        pieces.append((piece_start, match.start()))
        piece_start = match.end()
    pieces.append((piece_start, end))
    return pieces


def _split_inline_list(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """'1. The first item 2. The second item' -> two items, only when the markers count up."""
    first = _LIST_MARKER.match(text, start)
    if not first:
        return [(start, end)]
    expected = _next_marker(first.group(1))
    pieces, piece_start = [], start
    for match in re.finditer(r"\s((?:[•⁃]\s?)?(\d{1,3}|[a-z])(?:\.\)|\.|\))\s)", text[start:end]):
        if match.group(2) == expected:
            cut = start + match.start(1)
            pieces.append(tight(text, piece_start, cut))
            piece_start = cut
            expected = _next_marker(expected)
    pieces.append(tight(text, piece_start, end))
    return [p for p in pieces if p[0] < p[1]]


def _next_marker(marker: str) -> str:
    return str(int(marker) + 1) if marker.isdigit() else chr(ord(marker) + 1)


SPLITTERS: dict[str, Callable[..., Splitter]] = {"news": NewsSplitter, "sentencex": SentencexSplitter}


def get_splitter(name: str = "news", language: str = "en") -> Splitter:
    try:
        return SPLITTERS[name](language)
    except KeyError:
        raise UsageError(f"unknown splitter {name!r}", hint=f"choose one of: {', '.join(SPLITTERS)}") from None


# Structure ------------------------------------------------------------------------------------
def _blocks(text: str, skip: set[int]) -> Iterable[tuple[int, int]]:
    """Paragraphs, cut further at skipped lines, bullet lines and markdown headings."""
    pos = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        p_end = match.start() if match else len(text)
        yield from _lines_to_blocks(text, pos, p_end, skip)
        pos = match.end() if match else len(text)


def _lines_to_blocks(text: str, start: int, end: int, skip: set[int]) -> Iterable[tuple[int, int]]:
    block_start = line_start = start
    while line_start <= end:
        line_end = text.find("\n", line_start, end)
        line_end = end if line_end == -1 else line_end
        line = text[line_start:line_end]
        if line_start + len(line) - len(line.lstrip()) in skip:
            if block_start < line_start:
                yield block_start, line_start
            block_start = line_end + 1  # the skipped line itself is never emitted
        elif _MD_HEADING.match(line):
            if block_start < line_start:
                yield block_start, line_start
            yield line_start, line_end
            block_start = line_end + 1
        elif line_start > block_start and _BULLET.match(line):
            yield block_start, line_start
            block_start = line_start
        line_start = line_end + 1
    if block_start < end:
        yield block_start, end


def _is_heading(line: str) -> bool:
    if "\n" in line or len(line.split()) > _HEADING_MAX_WORDS or _BULLET.match(line):
        return False
    return not line.rstrip(_CLOSERS).endswith(_TERMINALS)


def split_text(text: str, *, splitter: Splitter | None = None, skip: Iterable[int] = ()) -> list[Unit]:
    """Units of `text`. `skip` holds the start offsets of lines to leave out (boilerplate)."""
    splitter = splitter or default_splitter()
    units: list[Unit] = []
    for b_start, b_end in _blocks(text, set(skip)):
        s, e = tight(text, b_start, b_end)
        if s == e:
            continue
        heading = _MD_HEADING.match(text, s, e)
        if heading:
            s = heading.end()
            units.append(Unit("heading", s, e, text[s:e]))
            continue
        if _is_heading(text[s:e]):
            units.append(Unit("heading", s, e, text[s:e]))
            continue
        for rs, re_ in splitter.spans(text[s:e]):
            us, ue = tight(text, s + rs, s + re_)
            if us < ue:
                units.append(Unit("sentence", us, ue, text[us:ue]))
    check_units(text, units)
    return units


def check_units(text: str, units: Sequence[Unit]) -> None:
    """The offset invariant; a violation is a bug in a splitter, never bad input."""
    previous_end = 0
    for unit in units:
        if text[unit.start : unit.end] != unit.text or unit.start < previous_end or unit.start >= unit.end:
            raise AssertionError(f"splitter produced a bad unit at {unit.start}-{unit.end}: {unit.text[:60]!r}")
        previous_end = unit.end


_DEFAULT: Splitter | None = None


def default_splitter() -> Splitter:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = NewsSplitter()
    return _DEFAULT
