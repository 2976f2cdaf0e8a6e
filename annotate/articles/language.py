"""The language of an article: py3langid (its model ships inside its wheel: nothing is downloaded),
with normalised probabilities. Below CONFIDENCE_FLOOR, or for a text too short to tell, the
English rules apply and the caller says so."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from annotate.errors import UsageError

AUTO = "auto"
ENGLISH = "en"
CONFIDENCE_FLOOR = 0.5  # below it a guess is not trusted: the English rules apply, with a warning
SAMPLE = 5_000  # characters of an article looked at (its start)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid import langid

    return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)


def languages() -> frozenset[str]:
    """The ISO 639-1 codes the identifier knows."""
    return frozenset(_identifier().nb_classes)


def detect(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of the text's language."""
    code, probability = _identifier().classify(text[:SAMPLE])
    return str(code), round(float(probability), 3)


def check_language(code: str) -> None:
    """UsageError unless `code` is auto or a language the identifier knows."""
    if code != AUTO and code not in languages():
        raise UsageError(f"--language {code!r}: give auto or an ISO 639-1 code the language identifier knows "
                         f"(ISO 639-3 where a language has none): {', '.join(sorted(languages()))}")  # fmt: skip
