"""The language part of benchmarks/match_bench.py: English's stemmer (Porter, as matching had it,
against Snowball's English) chosen on 2022 2A train and dev, each other language's lexicon against
none (annotate.loop.lexicon), and the SemEval 2025 task 7 trial
sample (multilingual and cross-lingual claim retrieval), the only public copy found of such a set.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from annotate.loop import similarity
from annotate.loop.lexicon import NEUTRAL, lexicon
from annotate.loop.pastchecks import PastCheck

STEMMERS = ("porter", "english")


@contextlib.contextmanager
def reading_with(chosen: Callable[[Callable[[str], Any]], Callable[[str], Any]]) -> Iterator[None]:
    """Matching with similarity.lexicon replaced by chosen(the original), put back after."""
    original = similarity.lexicon
    similarity.lexicon = chosen(original)
    try:
        yield
    finally:
        similarity.lexicon = original


def english_stemmer(name: str) -> contextlib.AbstractContextManager[None]:
    """Matching with English read by another stemmer (nltk: "porter" or Snowball's "english")."""

    def chosen(original: Callable[[str], Any]) -> Callable[[str], Any]:
        english = dataclasses.replace(original("en"), stemmer=name)
        return lambda code: english if original(code).language == "en" else original(code)

    return reading_with(chosen)


def compare_english_stemmers(
    sets: list[tuple[str, dict[str, str], dict[str, set[str]], list[PastCheck], Any]],
    tuning: list[str],
    make_pool: Callable[..., Any],
    map_at: Callable[..., float],
    weight: float,
) -> tuple[str, list[str]]:
    """(the stemmer with the best MAP@5 on the tuning sets, lexical and fused added; the code's on a
    tie), and a table of MAP@5 by stemmer and set. sets: (name, queries, qrels, checks, vectors)."""
    found: dict[tuple[str, str], tuple[float, float]] = {}
    for stemmer in STEMMERS:
        with english_stemmer(stemmer):
            for name, queries, qrels, checks, vectors in sets:
                pool = make_pool(queries, checks, vectors)
                found[stemmer, name] = (
                    map_at(pool.ranked(0, lexical_only=True)[0], qrels, 5),
                    map_at(pool.ranked(weight)[0], qrels, 5),
                )
    sizes = {name: len(qrels) for name, _, qrels, _, _ in sets}
    code = lexicon("en").stemmer

    def tuned(stemmer: str) -> float:
        return sum(sum(found[stemmer, n]) * sizes[n] for n in tuning) / sum(sizes[n] for n in tuning)

    best = max(STEMMERS, key=lambda s: (round(tuned(s), 6), s == code))
    best = {"porter": "Porter", "english": "Snowball English"}[best]
    lines = [
        "| set | MAP@5 lexical, Porter | MAP@5 lexical, Snowball English | MAP@5 fused, Porter | "
        "MAP@5 fused, Snowball English |",
        "|---|---|---|---|---|",
    ]
    for name, *_ in sets:
        (lp, fp), (ls, fs) = found["porter", name], found["english", name]
        tag = " (tuning)" if name in tuning else ""
        lines.append(f"| {name}{tag} | {lp:.4f} | {ls:.4f} | {fp:.4f} | {fs:.4f} |")
    return best, lines


def no_lexicon() -> contextlib.AbstractContextManager[None]:
    """Matching with every language read without rules (no stop words, no stemming, no negations)."""
    return reading_with(lambda original: lambda code: NEUTRAL)


def compare_lexicons(
    sets: list[tuple[str, dict[str, str], dict[str, set[str]], list[PastCheck], Any]],
    make_pool: Callable[..., Any],
    map_at: Callable[..., float],
    bm25: Callable[..., dict[str, list[str]]],
) -> list[str]:
    """A table of lexical and bm25s MAP@5 of each set read by its language's lexicon and by none."""
    lines = [
        "| set | MAP@5 lexical, its lexicon | MAP@5 lexical, none | MAP@5 bm25s, its lexicon | MAP@5 bm25s, none |",
        "|---|---|---|---|---|",
    ]
    for name, queries, qrels, checks, vectors in sets:
        found = []
        for context in (contextlib.nullcontext, no_lexicon):
            with context():
                pool = make_pool(queries, checks, vectors)
                found += [
                    map_at(pool.ranked(0, lexical_only=True)[0], qrels, 5),
                    map_at(bm25(queries, checks), qrels, 5),
                ]
        lines.append(f"| {name} | {found[0]:.4f} | {found[2]:.4f} | {found[1]:.4f} | {found[3]:.4f} |")
    return lines


# SemEval 2025 task 7 trial sample ---------------------------------------------------------------
def _literal(cell: str) -> Any:
    """The sample's cells are Python tuples written as text (its load.py: new lines escaped first)."""
    return ast.literal_eval(cell.replace("\n", "\\n")) if cell else ""


def read_semeval_sample(folder: Path) -> tuple[dict[str, str], list[PastCheck], dict[str, dict[str, set[str]]]]:
    """(posts, fact checks, qrels by kind: "monolingual" for pairs in one language, "crosslingual"
    for the others) of kinit-sk/semeval_2025 sample_data: a post is its text and its images' OCR in
    the original language (the first of each (original, English translation, ...) tuple); a fact
    check its claim and title, as in the task. Nothing translated is used."""
    posts, checks = {}, []
    qrels: dict[str, dict[str, set[str]]] = {"monolingual": {}, "crosslingual": {}}
    with (folder / "trial_posts.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = _literal(row.get("text") or "")
            ocr = [o[0] for o in (_literal(row.get("ocr") or "") or [])]
            posts[row["post_id"]] = " ".join(x for x in [text[0] if text else "", *ocr] if x)
    with (folder / "trial_fact_checks.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            claim, title = _literal(row.get("claim") or ""), _literal(row.get("title") or "")
            checks.append(PastCheck(row["fact_check_id"], claim[0] if claim else "", None, None, "", "", "table",
                                    title=title[0] if title else ""))  # fmt: skip
    with (folder / "trial_data_mapping.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            post, check = row["pair_lang"].split("-")
            kind = "monolingual" if post == check else "crosslingual"
            qrels[kind].setdefault(row["post_id"], set()).add(row["fact_check_id"])
    return posts, checks, qrels
