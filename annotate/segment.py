"""Split article text into units (sentences and headings) with exact character offsets.

Invariant: for every unit, text[unit.start:unit.end] is the unit's text; units are ordered, do not
overlap and never cross a paragraph break (a blank line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPLITTER_NAME = "annotate-rules"
SPLITTER_VERSION = "0.1"

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0]*\n")
# A sentence may end after . ! ? or an ellipsis, with closing quotes/brackets attached, when
# whitespace and then something that can start a sentence follows.
_BOUNDARY = re.compile(r"""(?:[.!?]+|…)["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])""")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st gov sen rep gen col lt sgt capt adm maj rev hon pres no vs etc
    inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec fig approx est dept univ""".split()  # noqa: SIM905
)
_HEADING_MAX_WORDS = 15


@dataclass(frozen=True)
class Unit:
    kind: str  # "sentence" or "heading"
    start: int
    end: int
    text: str


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    return spans


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_abbreviation(text: str, period_at: int) -> bool:
    """True when the '.' at period_at ends an abbreviation or initial, not a sentence."""
    if text[period_at] != ".":
        return False
    word_start = period_at
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in "\"'“‘(":
        word_start -= 1
    word = text[word_start:period_at]
    if not word:
        return False
    if word.lower() in _ABBREVIATIONS:
        return True
    # Initials and dotted abbreviations: "J.", "U.S.", "E.U."
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", word))


def _is_heading(text: str) -> bool:
    stripped = text.rstrip("\"'”’)]")
    return (
        "\n" not in text
        and not stripped.endswith((".", "!", "?", ":", ";", "…"))
        and len(text.split()) <= _HEADING_MAX_WORDS
    )


def split_text(text: str) -> list[Unit]:
    units: list[Unit] = []
    for p_start, p_end in _paragraphs(text):
        p_start, p_end = _strip(text, p_start, p_end)
        if p_start == p_end:
            continue
        paragraph = text[p_start:p_end]
        if _is_heading(paragraph):
            units.append(Unit("heading", p_start, p_end, paragraph))
            continue
        start = p_start
        for match in _BOUNDARY.finditer(text, p_start, p_end):
            if _is_abbreviation(text, match.start()):
                continue
            s, e = _strip(text, start, match.end())
            if s < e:
                units.append(Unit("sentence", s, e, text[s:e]))
            start = match.end()
        s, e = _strip(text, start, p_end)
        if s < e:
            units.append(Unit("sentence", s, e, text[s:e]))
    return units
