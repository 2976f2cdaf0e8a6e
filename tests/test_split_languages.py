"""Splitting per language: the rules files (annotate/articles/rules/<language>.json) make these
sentences right, sentencex's boundaries alone get them wrong; offsets stay exact in every language."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.articles.segment import NewsSplitter, get_splitter, split_text
from annotate.articles.splitting_rules import RULES_DIR, load_rules

CASES = [
    # Abbreviations and titles that do not end a sentence.
    ("nl", "Het is o.a. de taak van de gemeente.", ["Het is o.a. de taak van de gemeente."]),
    ("nl", "Het bedrijf heeft o.a. Philips en Shell als klant.",
     ["Het bedrijf heeft o.a. Philips en Shell als klant."]),
    ("nl", "Volgens dhr. Jansen en mevr. De Vries kwam het goed.",
     ["Volgens dhr. Jansen en mevr. De Vries kwam het goed."]),
    ("fr", "Selon M. Ménard, la nomination de M. Parent sera bien vue.",
     ["Selon M. Ménard, la nomination de M. Parent sera bien vue."]),
    ("fr", "Le Dr. Martin a vu J. Chirac hier.", ["Le Dr. Martin a vu J. Chirac hier."]),
    # Ordinal numbers: "3. Oktober", "im 6. Stock".
    ("de", "Er kam am Montag, dem 3. Oktober, nach Hause.", ["Er kam am Montag, dem 3. Oktober, nach Hause."]),
    ("de", "Das Büro liegt im 6. Stock. Im 18. Jahrhundert war es ein Stall.",
     ["Das Büro liegt im 6. Stock.", "Im 18. Jahrhundert war es ein Stall."]),
    # A word sentencex takes for an abbreviation.
    ("nl", "Ze wist het al. Daarna ging ze weg.", ["Ze wist het al.", "Daarna ging ze weg."]),
    # Quotations: a boundary inside one, and each mark with its own sentence.
    ("nl", "Romp bleef positief. ,,Wat vandaag gebeurde, was de ontlading. Niemand had dat verwacht.'' Hij lachte.",
     ["Romp bleef positief.", ",,Wat vandaag gebeurde, was de ontlading.", "Niemand had dat verwacht.''",
      "Hij lachte."]),
    ("de", "„Das ist gut. Wir sind zufrieden“, sagte er. Dann ging er.",
     ["„Das ist gut.", "Wir sind zufrieden“, sagte er.", "Dann ging er."]),
    ("fr", "« Nous sommes prêts. Le pays aussi », a dit le ministre. Il est parti.",
     ["« Nous sommes prêts.", "Le pays aussi », a dit le ministre.", "Il est parti."]),
    # No space after the period: not a boundary.
    ("en", "Shares of One.Tel fell. The company said so.", ["Shares of One.Tel fell.", "The company said so."]),
]  # fmt: skip


def _sentences(splitter: NewsSplitter, text: str) -> list[str]:
    spans = splitter.spans(text)
    assert all(text[s:e].strip() == text[s:e] for s, e in spans)
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize(("language", "text", "expected"), CASES, ids=[f"{c[0]}-{c[1][:24]}" for c in CASES])
def test_the_rules_file_splits_it_right(language: str, text: str, expected: list[str]) -> None:
    assert _sentences(NewsSplitter(language), text) == expected
    without = NewsSplitter(language)
    without.rules = None  # sentencex's boundaries with the language-neutral rules only
    assert _sentences(without, text) != expected


def test_a_sentence_after_an_abbreviation_that_may_end_one() -> None:
    text = "Viajó a Madrid con el Sr. Pérez, etc. y volvió. Vive en EE.UU. desde 2010."
    assert _sentences(NewsSplitter("es"), text) == ["Viajó a Madrid con el Sr. Pérez, etc. y volvió.",
                                                    "Vive en EE.UU. desde 2010."]  # fmt: skip
    assert _sentences(NewsSplitter("en"), "The shares fell. eBay said it would appeal.") == [
        "The shares fell.", "eBay said it would appeal."]  # fmt: skip


def test_every_rules_file_is_read_and_named_in_the_version() -> None:
    files = sorted(RULES_DIR.glob("*.json"))
    assert {f.stem for f in files} >= {"en", "nl", "de", "fr", "es"}
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["language"] == path.stem and data["about"]
        rules = load_rules(path.stem)
        assert rules is not None and f"+rules-{rules.version}+" in get_splitter("news", path.stem).version
    assert load_rules("it") is None and "+rules-" not in get_splitter("news", "it").version


_ALPHABET = [*"ab Z.!?\u00a0\"'“”„«»’(),:1", ",,", "''", "``", " o.a. ", " z.B. ", "3. ", " M. ", "St.", "J.-C. ",
             " Mr. ", "...", "🎉", "\n\n"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["nl", "de", "fr", "es", "en"]), st.lists(st.sampled_from(_ALPHABET), max_size=60).map("".join))
def test_offsets_exact_and_complete_in_every_language(language: str, text: str) -> None:
    units = split_text(text, splitter=get_splitter("news", language))
    previous_end = 0
    for unit in units:
        assert text[unit.start : unit.end] == unit.text and unit.text.strip() == unit.text
        assert unit.start >= previous_end
        previous_end = unit.end
    assert sum(len("".join(u.text.split())) for u in units) == len("".join(text.split()))
