from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annotate.segment import split_text

from .conftest import EXAMPLE_ARTICLE


def texts(text: str) -> list[str]:
    return [u.text for u in split_text(text)]


def test_sentences_and_offsets() -> None:
    text = "The minister spoke. Unemployment fell by 3.5% last year!\n\nIs it true? Nobody knows."
    units = split_text(text)
    assert [u.text for u in units] == [
        "The minister spoke.",
        "Unemployment fell by 3.5% last year!",
        "Is it true?",
        "Nobody knows.",
    ]
    assert all(text[u.start : u.end] == u.text for u in units)


def test_abbreviations_and_initials_do_not_end_sentences() -> None:
    assert texts("Mr. Smith met Dr. Jones in the U.S. capital. J. R. Tolkien wrote it.") == [
        "Mr. Smith met Dr. Jones in the U.S. capital.",
        "J. R. Tolkien wrote it.",
    ]


def test_closing_quote_belongs_to_its_sentence() -> None:
    assert texts("He said “it is over.” Then he left.") == ["He said “it is over.”", "Then he left."]
    assert texts('"We will win," he said. They lost.') == ['"We will win," he said.', "They lost."]


def test_short_line_without_final_punctuation_is_a_heading() -> None:
    units = split_text("Support from nuclear-armed powers ‘essential’\n\nZelenskyy spoke on Tuesday.")
    assert [(u.kind, u.text) for u in units] == [
        ("heading", "Support from nuclear-armed powers ‘essential’"),
        ("sentence", "Zelenskyy spoke on Tuesday."),
    ]


def test_example_article() -> None:
    text = EXAMPLE_ARTICLE.read_text(encoding="utf-8")
    units = split_text(text)
    assert units[0].kind == "heading"
    assert units[0].text == "Ukraine Allies: Security Pledges Boost Hope for Russia End to War"
    assert (
        "UK Prime Minister Sir Keir Starmer said “excellent progress” had been made, but cautioned that "
        "“the hardest yards are still ahead,” as Russian attacks on Ukraine continue."
    ) in [u.text for u in units]
    assert all(text[u.start : u.end] == u.text for u in units)


@given(st.text(alphabet=st.sampled_from(list('ab .!?\n"“”’ADr.U.S3')), max_size=200))
def test_offsets_exact_ordered_and_within_paragraphs(text: str) -> None:
    units = split_text(text)
    previous_end = 0
    for unit in units:
        assert text[unit.start : unit.end] == unit.text
        assert unit.text == unit.text.strip() and unit.text
        assert unit.start >= previous_end
        assert "\n\n" not in unit.text
        previous_end = unit.end
    assert split_text(text) == units  # deterministic
    # Every non-space character is in exactly one unit.
    covered = sum(len("".join(u.text.split())) for u in units)
    assert covered == len("".join(text.split()))
