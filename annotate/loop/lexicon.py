"""The words of each language that matching knows: stop words, negations and a stemmer.

One data file a language in annotate/loop/words/ (en, es, ar, nl, de, fr), read when first asked
for: sections `[stemmer]` (an nltk Snowball language, or "porter" for English), `[stop]`,
`[negations]` (words that negate a sentence), `[concord]` (negative words that agree with a
negation, "no dijo nada", "il n'a rien dit": they negate only where no word of `[negations]` does),
`[negation-suffixes]` ("n't"), `[negation-prefixes]` ("n'") and `[codes]` (other codes read
with it: the spoken Arabics). nltk's stemmers are rules: nothing
is downloaded. A language without a file (or "") gets the neutral lexicon: no stop words, no
stemming, no negations: never another language's rules.

The language of a text is what the caller knows (a past check's language) or what
annotate.loop.fusion.language_of tells; a text too short to tell takes the language most of the
texts compared with it have (`resolve`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

WORDS = Path(__file__).resolve().parent / "words"
_SECTION = re.compile(r"^\[([a-z-]+)\]$")
# Arabic marks (harakat, Quranic signs) and the tatweel: not letters, so they would cut words.
_MARKS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # "Putin's" is putin and s (a stop word)


@dataclass(frozen=True)
class Lexicon:
    language: str  # ISO 639-1, "" for the neutral lexicon
    stemmer: str = ""  # an nltk Snowball language, "porter", or "" (words as they are)
    stop_words: frozenset[str] = frozenset()
    negations: frozenset[str] = frozenset()
    concord: frozenset[str] = frozenset()
    negation_suffixes: tuple[str, ...] = ()
    negation_prefixes: tuple[str, ...] = ()

    def stem(self, word: str) -> str:
        return _stem(self.stemmer, word) if self.stemmer else word

    def tokens(self, text: str) -> list[str]:
        """Lower-cased, stemmed words without stop words."""
        words = _TOKEN.findall(_MARKS.sub("", text).lower())
        return [self.stem(w) for w in words if w not in self.stop_words]

    def negated(self, words: Iterable[str]) -> bool:
        """Whether lower-case words (apostrophes kept: "don't", "n'a") say no an odd number of times.
        Concord words agree with a negation, never cancel it: they count only where no negation
        does, and then once ("no dijo nada", "nunca dijo nada" and "c'est pas vrai" say no once)."""
        words = list(words)
        count = sum(w in self.negations or w.endswith(self.negation_suffixes)
                    or w.startswith(self.negation_prefixes) for w in words)  # fmt: skip
        return count % 2 == 1 if count else any(w in self.concord for w in words)


NEUTRAL = Lexicon("")


@cache
def lexicon(language: str) -> Lexicon:
    """The lexicon of an ISO 639 code ("es", "ES" and "es-MX" alike; "arz", Egyptian Arabic, is
    read as "ar": a file's `[codes]`), the neutral one if there is no file for it."""
    code = _codes().get(re.split(r"[-_]", language.strip(), maxsplit=1)[0].lower())
    if code is None:
        return NEUTRAL
    sections = _sections((WORDS / f"{code}.txt").read_text(encoding="utf-8"))
    return Lexicon(code, " ".join(sections.get("stemmer", [])), frozenset(sections.get("stop", [])),
                   frozenset(sections.get("negations", [])), frozenset(sections.get("concord", [])),
                   tuple(sections.get("negation-suffixes", [])),
                   tuple(sections.get("negation-prefixes", [])))  # fmt: skip


@cache
def _codes() -> dict[str, str]:
    """Every language code with a lexicon -> the file that has it."""
    found = {}
    for path in sorted(WORDS.glob("*.txt")):
        found[path.stem] = path.stem
        for other in _sections(path.read_text(encoding="utf-8")).get("codes", []):
            found.setdefault(other, path.stem)
    return found


def _sections(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        header = _SECTION.match(line)
        if header:
            current = found.setdefault(header.group(1), [])
        elif line and current is not None:
            current += line.split()
    return found


@lru_cache(maxsize=1 << 17)
def _stem(stemmer: str, word: str) -> str:
    return _stemmer(stemmer).stem(word)


@cache
def _stemmer(name: str) -> Any:
    if name == "porter":
        from nltk.stem.porter import PorterStemmer  # rule-based: no data to download

        return PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM)
    from nltk.stem.snowball import SnowballStemmer  # rule-based too (its stop words are not used)

    return SnowballStemmer(name)


def resolve(known: Sequence[str]) -> list[str]:
    """Each text's language for its words: as known, else ("": too short to tell) the language most
    of the texts have ("" when none is known)."""
    counts = Counter(lexicon(code).language or code for code in known if code)
    common = counts.most_common(1)[0][0] if counts else ""
    return [code or common for code in known]
