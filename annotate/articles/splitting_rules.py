"""A language's splitting rules, read from a data file (annotate/articles/rules/<language>.json):
the abbreviations after which a period does not end a sentence, and how the language quotes.

The rules are a thin layer over sentencex's boundaries: they join two of its sentences into one,
cut one where a word they know ends a sentence, give sentencex a copy of the text with the
quotation marks blanked out (same length, so offsets never move), or move a quotation mark to the
sentence it belongs to. A language without a file gets sentencex's boundaries and the
language-neutral rules. Settings are chosen on the Universal Dependencies dev files
(benchmarks/split_bench.py --ud DIR --part dev --errors OUT); each file says which. What each
field means: docs/researchers.md (Reading and splitting articles).
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
_OPENERS = "[\"'„“‘«(]*"
_NUMBERED_ITEM = re.compile(rf"(?<=[.!?:])\s+(\d{{1,3}}\.\s+{_OPENERS}[^\W\d_])")


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
    before_lowercase: frozenset[str]  # abbreviations that may end a sentence but not before a lowercase word
    quotes_open: tuple[str, ...]  # longest first
    quotes_close: tuple[str, ...]
    blank_quotes: bool  # sentencex sees the text without quotation marks (its quote tracking is off)
    not_abbreviations: frozenset[str]  # words sentencex takes for abbreviations: a period after one ends a sentence
    numbered_items: bool  # "... fest. 2. Soziale Bewegungen ...": a numbered item after a sentence starts one
    joined: bool  # "St.John", "10.JPG", "R.E.M.": a period with no space after it never ends a sentence


def _words(data: dict, key: str) -> frozenset[str]:
    """Written as in a text ("Mr.", "z.B."), kept lowercase without the final period."""
    return frozenset(word.lower().rstrip(".") for word in data.get(key, []))


@cache
def load_rules(language: str) -> Rules | None:
    """The rules for `language`, or None when it has no file."""
    path = RULES_DIR / f"{language}.json"
    return parse_rules(language, path.read_bytes()) if path.is_file() else None


def rules_languages() -> list[str]:
    """The languages with a rules file, sorted."""
    return sorted(path.stem for path in RULES_DIR.glob("*.json"))


def parse_rules(language: str, raw: bytes) -> Rules:
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
        before_lowercase=_words(data, "before_lowercase"),
        quotes_open=tuple(sorted(quotes.get("open", []), key=len, reverse=True)),
        quotes_close=tuple(sorted(quotes.get("close", []), key=len, reverse=True)),
        blank_quotes=bool(quotes.get("blank", False)),
        not_abbreviations=_words(data, "not_abbreviations"),
        numbered_items=bool(data.get("numbered_items", False)),
        joined=bool(data.get("joined", False)),
    )


def blank_quotes(text: str, rules: Rules) -> str:
    """`text` with every quotation mark of the language turned into spaces (same length)."""
    for mark in sorted({*rules.quotes_open, *rules.quotes_close}, key=len, reverse=True):
        text = text.replace(mark, " " * len(mark))
    return text


def continues(previous: str, following: str, rules: Rules, *, glued: bool = False) -> bool:
    """True when `following` is the rest of the sentence `previous`, not a new sentence (`glued`:
    no space between the two)."""
    if _BARE_MARKER.fullmatch(previous):
        return True  # "1. ‖ The first item"
    if following[:1].islower() and _ends_with_quoted_question(previous, rules):
        return True  # ",,Wanneer gaat u?'' ‖ riep een priester"
    if rules.joined and glued and previous[-1:] == "." and (following[:1].isalnum() or following[:1] == "-"):
        return True  # "St.‖John", "J.‖-C." (the two were not split at a space)
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


def _ends_with_quoted_question(text: str, rules: Rules) -> bool:
    mark = _ends_with(text, 0, len(text), rules.quotes_close)
    return bool(mark) and text[: len(text) - len(mark)].rstrip()[-1:] in ("?", "!")


def _first_word(text: str) -> str:
    match = _FIRST_WORD.match(text)
    return match.group(0).lower() if match else ""


def _looks_abbreviated(stem: str, rules: Rules) -> bool:
    """'U.S.', 'a.m.', 'Corp.': a period inside the word, or a word of the rules' lists."""
    key = stem.lower().rstrip(".")
    lists = (rules.abbreviations, rules.before_lowercase, rules.titles, rules.before_number, rules.before_date)
    return "." in key or any(key in words for words in lists)


def move_quotes(text: str, spans: list[tuple[int, int]], rules: Rules) -> list[tuple[int, int]]:
    """A closing quote belongs to the sentence it closes; an opening quote to the one it opens."""
    out = list(spans)
    for i in range(1, len(out)):
        (ps, pe), (s, e) = out[i - 1], out[i]
        # An opening quote left dangling at the end of the previous sentence.
        mark = _ends_with(text, ps, pe, rules.quotes_open)
        if (
            mark
            and pe - ps > len(mark)
            and text[pe - len(mark) - 1].isspace()
            and not _closes(text, ps, pe, mark, rules)
        ):
            new_pe = pe - len(mark)
            while new_pe > ps and text[new_pe - 1].isspace():
                new_pe -= 1
            out[i - 1], out[i] = (ps, new_pe), (pe - len(mark), e)
            continue
        # A closing quote at the start of this sentence, glued to the previous one's end.
        mark = _starts_with(text, s, e, rules.quotes_close)
        if mark and e - s > len(mark) and s == pe and text[s + len(mark)].isspace():
            out[i - 1] = (ps, s + len(mark))
            out[i] = tight(text, s + len(mark), e)
    return [span for span in out if span[0] < span[1]]


def _closes(text: str, start: int, end: int, mark: str, rules: Rules) -> bool:
    """A mark that both opens and closes ('"') closes when the paragraph holds an odd number before it."""
    return mark in rules.quotes_close and text.count(mark, 0, end - len(mark)) % 2 == 1


def split_more(text: str, start: int, end: int, rules: Rules) -> list[tuple[int, int]]:
    """The span cut where sentencex missed a boundary the rules know: a period after a word of
    `not_abbreviations`, or a numbered item after a sentence's end ("... fest. ‖ 2. Soziale ...")."""
    cuts = []
    if rules.not_abbreviations:
        pattern = _after_words(rules.not_abbreviations)
        cuts += [m.end(1) for m in pattern.finditer(text, start, end) if text[m.end() - 1].isupper()]
    if rules.numbered_items:
        cuts += [m.start(1) for m in _NUMBERED_ITEM.finditer(text, start, end) if text[m.end() - 1].isupper()]
    pieces, piece_start = [], start
    for cut in sorted(set(cuts)):
        pieces.append(tight(text, piece_start, cut))
        piece_start = cut
    pieces.append(tight(text, piece_start, end))
    return [p for p in pieces if p[0] < p[1]]


@cache
def _after_words(words: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words))
    return re.compile(rf"(?<![\w.])(?i:{alternatives})\.(\s+){_OPENERS}[^\W\d_]")


def _ends_with(text: str, start: int, end: int, marks: tuple[str, ...]) -> str:
    return next((m for m in marks if end - start >= len(m) and text.startswith(m, end - len(m))), "")


def _starts_with(text: str, start: int, end: int, marks: tuple[str, ...]) -> str:
    return next((m for m in marks if end - start >= len(m) and text.startswith(m, start)), "")


def tight(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the white space at its ends."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# A language without a rules file: no words known; the quotation marks of most European news.
NEUTRAL = parse_rules("", json.dumps({"quotes": {"open": ['"', "“", "‘"], "close": ["”", "’", "»"]}}).encode())
