"""Inter-annotator agreement: what Label Studio's open-source edition does not compute.

Krippendorff's alpha (the krippendorff package), Cohen's kappa per pair and Fleiss' kappa for
claim_status; alpha per claim type (present or not); exact and overlap F1 between annotators' CLAIM
and SOURCE spans; each annotator's agreement with the gold label, and with the reference labels of benchmark rows.

The two kappas are the textbook formulas, written here in numpy as scikit-learn's
`cohen_kappa_score` and statsmodels' `fleiss_kappa` compute them (tests/test_agreement_formulas.py
checks them against both): importing those two libraries took 1.0 s of CPU, a third of what
combine may spend beyond reading its exports.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

import numpy as np

from annotate.articles.rows import reference_scale
from annotate.dataset.collect import Collection, gc_paused, read_collection
from annotate.dataset.gold import golds
from annotate.labelstudio.exports import ExportSet
from annotate.vocabulary import (
    CLAIM,
    CLAIM_STATUS,
    CLAIM_TYPES,
    CORPUS,
    NO_CLAIM,
    REFERENCE_LABEL,
    SENTENCE_ID,
    SOURCE,
    TEXT,
)


def _number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)


def _alpha(matrix: np.ndarray) -> float | None:
    import krippendorff

    # Alpha needs at least one unit that two annotators coded, and more than one value in the data.
    coded = (~np.isnan(matrix)).sum(axis=0) >= 2
    if not coded.any() or len(np.unique(matrix[:, coded][~np.isnan(matrix[:, coded])])) < 2:
        return None
    return _number(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def cohen_kappa(first: list[str], second: list[str], labels: list[str]) -> float:
    """Cohen's kappa of two raters over the same items, unweighted (sklearn's cohen_kappa_score):
    NaN when it is undefined (both gave one and the same value throughout)."""
    code = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)))
    np.add.at(confusion, ([code[x] for x in first], [code[y] for y in second]), 1)
    expected = np.outer(confusion.sum(axis=1), confusion.sum(axis=0)) / confusion.sum()
    disagree = 1 - np.eye(len(labels))
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(1 - (disagree * confusion).sum() / (disagree * expected).sum())


def fleiss_kappa(table: np.ndarray) -> float:
    """Fleiss' kappa of items x categories counts, every item rated by the same number of raters
    (statsmodels' fleiss_kappa, method "fleiss")."""
    table = np.asarray(table, dtype=float)
    raters = table.sum(axis=1).max()
    p_category = table.sum(axis=0) / table.sum()
    p_item = ((table * table).sum(axis=1) - raters) / (raters * (raters - 1.0))
    expected = (p_category * p_category).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return float((p_item.mean() - expected) / (1 - expected))


def nominal_agreement(answers: dict[str, dict[str, str]], *, per_label: bool = True) -> dict[str, Any]:
    """Agreement on one nominal answer (item -> annotator -> value): Krippendorff's alpha, Fleiss'
    kappa on the items with the most common number of raters (>= 2), Cohen's kappa per pair of
    annotators with at least two shared items, and alpha per value (one vs rest)."""
    annotators = sorted({who for per in answers.values() for who in per})
    items = sorted(answers)
    labels = sorted({v for per in answers.values() for v in per.values()})
    code = {label: i for i, label in enumerate(labels)}
    matrix = np.full((len(annotators), len(items)), np.nan)
    row = {who: i for i, who in enumerate(annotators)}
    for j, item in enumerate(items):
        for who, value in answers[item].items():
            matrix[row[who], j] = code[value]

    pairs = {}
    for a, b in itertools.combinations(annotators, 2):
        shared = [item for item in items if a in answers[item] and b in answers[item]]
        if len(shared) >= 2:
            kappa = cohen_kappa([answers[i][a] for i in shared], [answers[i][b] for i in shared], labels)
            pairs[f"{a} / {b}"] = {"items": len(shared), "cohen_kappa": _number(kappa)}

    counts = Counter(len(per) for per in answers.values() if len(per) >= 2)
    fleiss = None
    if counts:
        raters = counts.most_common(1)[0][0]
        rated = [list(per.values()) for per in answers.values() if len(per) == raters]
        table = [[values.count(label) for label in labels] for values in rated]
        if len(table) >= 2 and len(labels) >= 2:
            fleiss = {"raters": raters, "items": len(table), "kappa": _number(fleiss_kappa(np.array(table)))}

    report: dict[str, Any] = {
        "annotators": len(annotators),
        "items": len(items),
        "items_with_2_or_more": int(((~np.isnan(matrix)).sum(axis=0) >= 2).sum()),
        "krippendorff_alpha": _alpha(matrix),
        "fleiss_kappa": fleiss,
        "cohen_kappa_pairs": pairs,
    }
    if per_label:
        report["alpha_per_label"] = {
            label: _alpha(np.where(np.isnan(matrix), np.nan, (matrix == code[label]).astype(float))) for label in labels
        }
    return report


def claim_status_agreement(collection: Collection) -> dict[str, Any]:
    return nominal_agreement({sid: answers for sid, answers in collection.claim_status.items() if answers})


def claim_types_agreement(collection: Collection) -> dict[str, dict[str, Any]]:
    """For each claim type, agreement on whether it applies, over sentences that two or more
    annotators said make a claim."""
    per_sentence = {}
    for s in collection.sentences.values():
        status = collection.claim_status[s.sentence_id]
        answers = {who: set(a.choices(CLAIM_TYPES)) for who, a in s.annotations.items()
                   if status.get(who, NO_CLAIM) != NO_CLAIM}  # fmt: skip
        if len(answers) >= 2:
            per_sentence[s.sentence_id] = answers
    types = sorted({t for per in per_sentence.values() for chosen in per.values() for t in chosen})
    return {
        claim_type: nominal_agreement(
            {sid: {who: str(claim_type in chosen) for who, chosen in per.items()} for sid, per in per_sentence.items()},
            per_label=False,
        )
        for claim_type in types
    }


def span_agreement(collection: Collection, label: str) -> dict[str, Any]:
    """Pairwise F1 between annotators' spans of one label: exact (same offsets) and overlap (any
    shared character, each span matched once), micro-averaged over all pairs and sentences."""
    spans: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for row in collection.span_rows(label):
        spans.setdefault(row.sentence_id, {}).setdefault(row.annotator, []).append((row.span.start, row.span.end))
    both = {"exact": [0, 0, 0], "overlap": [0, 0, 0]}  # matched, spans of a, spans of b
    for sid, s in collection.sentences.items():
        for a, b in itertools.combinations(sorted(s.annotations), 2):
            left, right = spans.get(sid, {}).get(a, []), spans.get(sid, {}).get(b, [])
            for kind in both:
                free = list(right)
                matched = 0
                for start, end in left:
                    hit = next(
                        (r for r in free if (r == (start, end) if kind == "exact" else r[0] < end and start < r[1])),
                        None,
                    )
                    if hit:
                        free.remove(hit)
                        matched += 1
                both[kind][0] += matched
                both[kind][1] += len(left)
                both[kind][2] += len(right)

    def f1(matched: int, a: int, b: int) -> float | None:
        return None if a + b == 0 else round(2 * matched / (a + b), 4)

    return {
        "exact_f1": f1(*both["exact"]),
        "overlap_f1": f1(*both["overlap"]),
        "spans": both["exact"][1] + both["exact"][2],
    }


def annotator_agreement_with_gold(collection: Collection, gold: dict[str, str | None]) -> dict[str, dict[str, Any]]:
    """For each annotator: how many gold-labelled sentences they answered, and the share that matches."""
    per: dict[str, list[bool]] = {}
    for sid, answers in collection.claim_status.items():
        if gold.get(sid):
            for who, answer in answers.items():
                per.setdefault(who, []).append(answer == gold[sid])
    return {
        who: {"items": len(hits), "agrees_with_gold": round(sum(hits) / len(hits), 4)}
        for who, hits in sorted(per.items())
    }


def reference_agreement(collection: Collection) -> dict[str, Any] | None:
    """Each annotator against the reference labels of benchmark rows, on each benchmark's own scale
    (CheckThat!'s No covers no_claim and claim_not_checkworthy): accuracy and Cohen's kappa
    (see cohen_kappa), and whether the annotators could see the reference. None without reference labels."""
    labels: dict[str, set[str]] = {}
    for s in collection.sentences.values():
        if s.data.get(REFERENCE_LABEL) is not None:
            labels.setdefault(str(s.data.get(CORPUS)), set()).add(str(s.data[REFERENCE_LABEL]))
    if not labels:
        return None
    scales = {corpus: reference_scale(found) for corpus, found in labels.items()}
    pairs: dict[str, tuple[list[str], list[str]]] = {}
    seen: dict[bool, int] = Counter()
    for sid, answers in collection.claim_status.items():
        s = collection.sentences[sid]
        scale = scales.get(str(s.data.get(CORPUS)))
        if scale is None or s.data.get(REFERENCE_LABEL) is None or not answers:
            continue
        seen[s.reference_hidden] += 1
        for who, answer in answers.items():
            reference, theirs = pairs.setdefault(who, ([], []))
            reference.append(str(s.data[REFERENCE_LABEL]))
            theirs.append(scale[1][answer])
    annotators = {}
    for who, (reference, theirs) in sorted(pairs.items()):
        both = sorted(set(reference) | set(theirs))
        kappa = _number(cohen_kappa(reference, theirs, both)) if len(both) > 1 else None  # one label: undefined
        accuracy = sum(a == b for a, b in zip(reference, theirs, strict=True)) / len(reference)
        annotators[who] = {"items": len(reference), "accuracy": round(accuracy, 4), "cohen_kappa": kappa}
    visible = {True: "hidden", False: "visible"}
    return {
        "scales": sorted({scale[0] for scale in scales.values() if scale}),
        "reference": visible[True] if not seen[False] else visible[False] if not seen[True] else "mixed",
        "sentences": {visible[k]: v for k, v in sorted(seen.items())},
        "annotators": annotators,
    }


def disagreements(collection: Collection) -> list[dict[str, Any]]:
    """Sentences whose annotators gave different claim_status answers."""
    found = []
    for sid, answers in collection.claim_status.items():
        if len(set(answers.values())) > 1:
            found.append({SENTENCE_ID: sid, TEXT: collection.sentences[sid].data.get(TEXT), "answers": answers})
    return found


def agreement_report(collection: Collection, gold: dict[str, str | None]) -> dict[str, Any]:
    return {
        CLAIM_STATUS: claim_status_agreement(collection),
        CLAIM_TYPES: claim_types_agreement(collection),
        "spans": {label: span_agreement(collection, label) for label in (CLAIM, SOURCE)},
        "annotators": annotator_agreement_with_gold(collection, gold),
        "disagreements": len(disagreements(collection)),
        "reference": reference_agreement(collection),
    }


def agreement_of_exports(exports: ExportSet, *, keep_identity: bool = False, list_disagreements: bool = False
                         ) -> dict[str, Any]:  # fmt: skip
    """`annotate agreement`: the report of the valid exports (ExportsInvalid if any has an error)."""
    with gc_paused(exiting=True):
        collection = read_collection(exports, keep_identity=keep_identity)
        report = agreement_report(collection, {sid: g[0] for sid, g in golds(collection).items()})
        if list_disagreements:
            report["disagreement_list"] = disagreements(collection)
    return report
