"""Matching per language (annotate.loop.lexicon): each language's stop words, negations and
stemmer, the negation guard in Spanish, Arabic, French, German and Dutch, and no English rules for a
language without a lexicon."""

from __future__ import annotations

import pytest

from annotate.loop.lexicon import NEUTRAL, WORDS, lexicon, resolve
from annotate.loop.match import match_texts
from annotate.loop.pastchecks import PastCheck
from annotate.loop.similarity import _Guards, near_miss, text_languages, tokens

SIX = ["ar", "de", "en", "es", "fr", "nl"]


def check(cid: str, claim: str, language: str = "") -> PastCheck:
    return PastCheck(cid, claim, "false", "False", "Org", f"https://example.org/{cid}", "table", language=language)


def guard_reason(a: str, b: str, language: str | None = None) -> str:
    """The guard between two texts, their languages given or (None) detected as matching does."""
    languages = [language, language] if language else None
    guards = _Guards([a, b], languages)
    return near_miss(guards[0], guards[1])


def test_every_language_has_its_lexicon_and_an_nltk_stemmer() -> None:
    from nltk.stem.snowball import SnowballStemmer

    assert sorted(p.stem for p in WORDS.glob("*.txt")) == SIX
    for code in SIX:
        words = lexicon(code)
        assert words.language == code
        assert words.stemmer == "porter" or words.stemmer in SnowballStemmer.languages
        assert len(words.stop_words) > 50 and words.negations
        # A negative word is never dropped as a stop word: the words must still show it.
        assert not words.stop_words & (words.negations | words.concord), code


def test_codes_read_as_their_language_and_unknown_ones_get_no_rules() -> None:
    assert lexicon("ES").language == lexicon("es-MX").language == "es"
    assert lexicon("arz").language == lexicon("ary").language == "ar"  # Egyptian, Moroccan Arabic
    assert lexicon("it") is NEUTRAL and lexicon("") is NEUTRAL and lexicon("../en") is NEUTRAL
    # No English stemming nor English stop words for a language without a lexicon.
    assert tokens("The runners were running", "it") == ["the", "runners", "were", "running"]
    assert tokens("The runners were running", "en") == ["runner", "run"]
    assert tokens("Il vaccino non funziona", "") == ["il", "vaccino", "non", "funziona"]


@pytest.mark.parametrize(
    ("language", "forms"),
    [
        ("es", ["vacunas", "vacuna", "vacunación"]),
        ("es", ["contienen", "contiene"]),
        ("ar", ["اللقاحات", "لقاح", "واللقاح"]),
        ("ar", ["المسؤولين", "مسؤولون", "المسؤول"]),
        ("de", ["Impfstoffe", "Impfstoff", "Impfstoffen"]),
        ("de", ["enthalten", "enthält"]),
        ("fr", ["vaccins", "vaccin"]),
        ("nl", ["vaccins", "vaccin"]),
    ],
)
def test_stems_meet_across_inflections(language: str, forms: list[str]) -> None:
    stems = {tuple(tokens(f, language)) for f in forms}
    assert len(stems) == 1 and stems != {()}, stems


def test_arabic_marks_and_stop_words_do_not_split_or_count() -> None:
    assert tokens("الْكِتَابُ", "ar") == tokens("الكتاب", "ar") == ["كتاب"]
    assert tokens("في هذا", "ar") == []


@pytest.mark.parametrize(
    ("language", "said", "denied"),
    [
        ("es", "Las vacunas contra el covid contienen microchips, según la OMS",
         "Las vacunas contra el covid no contienen microchips, según la OMS"),
        ("es", "El ministro dijo algo sobre las vacunas en la entrevista",
         "El ministro nunca dijo nada sobre las vacunas en la entrevista"),
        ("ar", "اللقاحات المضادة لفيروس كورونا تحتوي على رقائق إلكترونية",
         "اللقاحات المضادة لفيروس كورونا لا تحتوي على رقائق إلكترونية"),
        ("ar", "الرئيس أعلن إغلاق المدارس في جميع أنحاء البلاد",
         "الرئيس لم يعلن إغلاق المدارس في جميع أنحاء البلاد"),
        ("fr", "Le vaccin a été testé sur des enfants avant sa mise sur le marché",
         "Le vaccin n'a jamais été testé sur des enfants avant sa mise sur le marché"),
        ("fr", "Le gouvernement va fermer les écoles la semaine prochaine",
         "Le gouvernement ne va pas fermer les écoles la semaine prochaine"),
        ("de", "Der Impfstoff enthält Mikrochips, sagt die Regierung in Berlin",
         "Der Impfstoff enthält keine Mikrochips, sagt die Regierung in Berlin"),
        ("nl", "Het vaccin veroorzaakt onvruchtbaarheid bij jonge vrouwen in Nederland",
         "Het vaccin veroorzaakt geen onvruchtbaarheid bij jonge vrouwen in Nederland"),
    ],
)  # fmt: skip
def test_a_pair_differing_only_by_a_negation_is_guarded(language: str, said: str, denied: str) -> None:
    assert text_languages([said, denied]) == [language, language]  # as matching finds them
    assert guard_reason(said, denied) == "negated on one side"
    assert guard_reason(said, said) == guard_reason(denied, denied) == ""


@pytest.mark.parametrize(
    ("language", "once", "also_once"),
    [
        ("es", "El ministro no dijo nada", "El ministro nunca dijo nada"),  # concord: one negation
        ("fr", "Il n'a rien dit", "C'est pas vrai"),  # "ne" dropped in speech
        ("en", "He didn't say it", "He never said it"),
    ],
)
def test_negative_concord_says_no_once(language: str, once: str, also_once: str) -> None:
    assert guard_reason(once, also_once, language) == ""
    words = lexicon(language)
    assert words.negated(once.lower().split()) and words.negated(also_once.lower().split())


def test_two_negations_cancel_and_concord_never_cancels() -> None:
    spanish = lexicon("es")
    assert not spanish.negated(["no", "es", "que", "no", "quiera"])  # two negations
    assert spanish.negated(["nadie", "dijo", "nunca", "nada"])  # three concord words: still once
    assert not spanish.negated([])


def test_a_negation_in_a_language_without_a_lexicon_is_not_guessed() -> None:
    a, b = "Il vaccino contiene microchip secondo il governo", "Il vaccino non contiene microchip secondo il governo"
    assert text_languages([a, b]) == ["it", "it"]
    assert guard_reason(a, b) == ""  # no Italian negations known: the score decides


def test_match_texts_flags_an_arabic_and_a_spanish_negated_check() -> None:
    checks = [
        check("ar1", "اللقاحات المضادة لفيروس كورونا لا تحتوي على رقائق إلكترونية", "ar"),
        check("es1", "Las vacunas contra el covid no contienen microchips, según la OMS", "es"),
        check("es2", "El gobierno cerrará todas las escuelas del país la próxima semana", "es"),
    ]
    found = match_texts(
        ["اللقاحات المضادة لفيروس كورونا تحتوي على رقائق إلكترونية",
         "Las vacunas contra el covid contienen microchips, según la OMS"],
        checks,
    )  # fmt: skip
    assert [(m.check.id, m.near_miss) for m in found[0][:1]] == [("ar1", "negated on one side")]
    assert [(m.check.id, m.near_miss) for m in found[1][:1]] == [("es1", "negated on one side")]


def test_an_inflected_spanish_claim_finds_its_check_over_a_distractor() -> None:
    checks = [
        check("vacuna", "La vacuna contiene un microchip de rastreo", "es"),
        check("escuela", "Las escuelas cerrarán durante un mes por la gripe", "es"),
    ]
    found = match_texts(["Las vacunas contienen microchips de rastreo, dicen en redes"], checks)
    assert [m.check.id for m in found[0]][:1] == ["vacuna"]
    assert found[0][0].near_miss == ""


def test_a_text_too_short_to_tell_is_read_in_the_common_language() -> None:
    assert resolve(["", "es", "es", "en"]) == ["es", "es", "es", "en"]
    assert resolve(["", "arz", "ar"]) == ["ar", "arz", "ar"]
    assert resolve(["", ""]) == ["", ""]
    texts = ["Vacunas con microchips", "Las vacunas contra el covid contienen microchips, según la OMS"]
    assert text_languages(texts) == ["es", "es"]
    assert text_languages(texts, ["", "de"]) == ["de", "de"]  # a given language wins
