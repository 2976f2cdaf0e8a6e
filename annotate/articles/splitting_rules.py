"""A language's splitting rules, read from a data file (annotate/articles/rules/<language>.json):
the abbreviations after which a period does not end a sentence, and how the language quotes.

The rules are a thin layer over sentencex's boundaries: they only join two of its sentences into
one, give it a copy of the text with the quotation marks blanked out (same length, so offsets never
move), or move a quotation mark to the sentence it belongs to. A language without a file gets
sentencex's boundaries as they are. What each field means: docs/researchers.md (splitting).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent / "rules"

_LAST_WORD = re.compile(r"(\S+)\s*$")
_FIRST_WORD = re.compile(r"[^\W\d_]+")
_BARE_MARKER = re.compile(r"[•⁃]?\s?(\d{1,3}|[a-z])(\.\)|\.|\))")
_ORDINAL = re.compile(r"[(\[]?\d{1,3}\.")
_INITIAL = re.compile(r"[\"'“„«(\[]?[A-Z]\.")
_LEADING = "(\"'“‘„«»`["


@dataclass(frozen=True)
class Rules:
    language: str
    version: str  # a short hash of the file: tasks record which rules split them
    abbreviations: frozenset[str]  # a period after one never ends a sentence
    titles: frozenset[str]  # ... when a capitalised word (a name) follows
    before_number: frozenset[str]  # ... when a number follows
    before_date: frozenset[str]  # ... when a word of `dates` follows ("10 a.m. Wednesday")
    dates: frozenset[str]  # weekdays and months
    ordinals: str  # "none", "dates" ("3. Oktober") or "any" ("im 6. Stock", "der 35. Tagung")
    initials: bool  # "J. Chirac", "V. Prebeg": one capital letter and a period
    lowercase: str  # a period, then a lowercase word: "any" word continues, "abbreviations" only, "none"
    quotes_open: tuple[str, ...]  # longest first
    quotes_close: tuple[str, ...]
    blank_quotes: bool  # sentencex sees the text without quotation marks (its quote tracking is off)


def _words(data: dict, key: str) -> frozenset[str]:
    """Written as in a text ("Mr.", "z.B."), kept lowercase without the final period."""
    return frozenset(word.lower().rstrip(".") for word in data.get(key, []))


@cache
def load_rules(language: str) -> Rules | None:
    """The rules for `language`, or None when it has no file."""
    path = RULES_DIR / f"{language}.json"
    if not path.is_file():
        return None
    raw = path.read_bytes()
    data = json.loads(raw)
    quotes = data.get("quotes", {})
    return Rules(
        language=language,
        version=hashlib.sha256(raw).hexdigest()[:8],
        abbreviations=_words(data, "abbreviations"),
        titles=_words(data, "titles"),
        before_number=_words(data, "before_number"),
        before_date=_words(data, "before_date"),
        dates=_words(data, "dates"),
        ordinals=data.get("ordinals", "none"),
        initials=bool(data.get("initials", False)),
        lowercase=data.get("lowercase", "none"),
        quotes_open=tuple(sorted(quotes.get("open", []), key=len, reverse=True)),
        quotes_close=tuple(sorted(quotes.get("close", []), key=len, reverse=True)),
        blank_quotes=bool(quotes.get("blank", False)),
    )


def blank_quotes(text: str, rules: Rules) -> str:
    """`text` with every quotation mark of the language turned into spaces (same length)."""
    for mark in sorted({*rules.quotes_open, *rules.quotes_close}, key=len, reverse=True):
        text = text.replace(mark, " " * len(mark))
    return text


def continues(previous: str, following: str, rules: Rules) -> bool:
    """True when `following` is the rest of the sentence `previous`, not a new sentence."""
    if _BARE_MARKER.fullmatch(previous):
        return True  # "1. ‖ The first item"
    match = _LAST_WORD.search(previous)
    if not match or not match.group(1).endswith(".") or match.group(1).endswith(".."):
        return False
    word = match.group(1)
    stem = word.lstrip(_LEADING)
    key = stem.lower().rstrip(".")
    first = following[:1]
    if first.islower() and (
        rules.lowercase == "any" or (rules.lowercase == "abbreviations" and _looks_abbreviated(stem, rules))
    ):
        return True  # "... in the U.S. for 20 years"
    if key in rules.abbreviations:
        return True  # "z.B. ‖ Die", "o.a. ‖ Amsterdam"
    if key in rules.titles and first.isupper():
        return True  # "Sen. ‖ Vance", "M. ‖ Dupont"
    if key in rules.before_date and _first_word(following) in rules.dates:
        return True  # "10 a.m. ‖ Wednesday"
    if key in rules.before_number and first.isdigit():
        return True  # "No. ‖ 10 Downing St"
    if rules.initials and _INITIAL.fullmatch(word) and first.isupper():
        return True  # "J. ‖ Chirac"
    if rules.ordinals != "none" and _ORDINAL.fullmatch(word):
        return (rules.ordinals == "any" and first.isupper()) or _first_word(following) in rules.dates  # "3. ‖ Oktober"
    return False


def _first_word(text: str) -> str:
    match = _FIRST_WORD.match(text)
    return match.group(0).lower() if match else ""


def _looks_abbreviated(stem: str, rules: Rules) -> bool:
    """'U.S.', 'a.m.', 'Corp.': a period inside the word, or a word of the rules' lists."""
    key = stem.lower().rstrip(".")
    return "." in key or key in rules.abbreviations or key in rules.titles or key in rules.before_number


def move_quotes(text: str, spans: list[tuple[int, int]], rules: Rules) -> list[tuple[int, int]]:
    """A closing quote belongs to the sentence it closes; an opening quote to the one it opens."""
    out = list(spans)
    for i in range(1, len(out)):
        (ps, pe), (s, e) = out[i - 1], out[i]
        # An opening quote left dangling at the end of the previous sentence.
        mark = _ends_with(text, ps, pe, rules.quotes_open)
        if mark and pe - ps > len(mark) and text[pe - len(mark) - 1].isspace():
            new_pe = pe - len(mark)
            while new_pe > ps and text[new_pe - 1].isspace():
                new_pe -= 1
            out[i - 1], out[i] = (ps, new_pe), (pe - len(mark), e)
            continue
        # A closing quote at the start of this sentence, glued to the previous one's end.
        mark = _starts_with(text, s, e, rules.quotes_close)
        if mark and e - s > len(mark) and s == pe and text[s + len(mark)].isspace():
            out[i - 1] = (ps, s + len(mark))
            out[i] = _tight(text, s + len(mark), e)
    return [span for span in out if span[0] < span[1]]


def _ends_with(text: str, start: int, end: int, marks: tuple[str, ...]) -> str:
    return next((m for m in marks if end - start >= len(m) and text.startswith(m, end - len(m))), "")


def _starts_with(text: str, start: int, end: int, marks: tuple[str, ...]) -> str:
    return next((m for m in marks if end - start >= len(m) and text.startswith(m, start)), "")


def _tight(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# A language without a rules file: no words known; the quotation marks of most European news.
NEUTRAL = Rules(language="", version="", abbreviations=frozenset(), titles=frozenset(), before_number=frozenset(),
                before_date=frozenset(), dates=frozenset(), ordinals="none", initials=False, lowercase="none",
                quotes_open=('"', "“", "‘"), quotes_close=("”", "’", "»"), blank_quotes=False)  # fmt: skip
