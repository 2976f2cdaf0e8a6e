"""Inter-annotator agreement: what Label Studio's open-source edition does not compute.

Krippendorff's alpha (the krippendorff package's, see nominal_alpha), Cohen's kappa per pair and
Fleiss' kappa for claim_status; alpha per claim type (present or not); exact and overlap F1 between
annotators' CLAIM and SOURCE spans; each annotator's agreement with the gold label, and with the
reference labels of benchmark rows.

The two kappas are the textbook formulas, written here in numpy as scikit-learn's
`cohen_kappa_score` and statsmodels' `fleiss_kappa` compute them (tests/test_agreement_formulas.py
checks them against both): importing those two libraries took 1.0 s of CPU, a third of what
combine may spend beyond reading its exports.

`annotate agreement` streams its exports into Votes (annotate.dataset.votes: per unit and
annotator only the codes the figures need, no Python object per sentence), so a million sentences
fit in memory. The figures are exact (no sampling) and equal to what the collection that combine
builds gives (tests/test_agreement_golden.py pins them); alpha sums its coincidences a chunk of
units at a time (nominal_alpha).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from annotate.articles.rows import reference_scale
from annotate.dataset.collect import Collection, gc_paused
from annotate.dataset.votes import SPAN_BITS, Votes, read_votes, votes_of
from annotate.labelstudio.exported.exports import ExportSet
from annotate.vocabulary import (
    ADJUDICATION_OF,
    CLAIM,
    CLAIM_ID,
    CLAIM_STATUS,
    CLAIM_TYPES,
    NO_CLAIM,
    SENTENCE_ID,
    SOURCE,
    TEXT,
)


def _number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)


def _alpha(codes: np.ndarray) -> float | None:
    # Alpha needs at least one unit that two annotators coded, and more than one value in the data.
    coded = (codes >= 0).sum(axis=0) >= 2
    if not coded.any() or np.count_nonzero(np.unique(codes[:, coded]) >= 0) < 2:
        return None
    return _number(nominal_alpha(codes))


def nominal_alpha(codes: np.ndarray, *, chunk: int = 1 << 12) -> float:
    """Krippendorff's alpha, nominal, of an annotators x units matrix of value codes (-1 where an
    annotator gave none): what the krippendorff package's alpha(reliability_data=matrix,
    level_of_measurement="nominal") gives for the matrix with NaN for -1, computed as it does to the
    last bit (tests/test_agreement_scale.py), but `chunk` units at a time. The package holds a
    units x values x values matrix of each unit's coincidences, three times over, before it sums
    them (430 MB for 5 annotators and a million units); here they are summed in the same order
    (numpy adds along the first axis one row after the other) a chunk at a time."""
    domain = np.unique(codes[codes >= 0])
    eye = np.eye(len(domain))[np.newaxis, ...]
    total = np.zeros((1, len(domain), len(domain)))
    for start in range(0, codes.shape[1], chunk):
        part = codes[:, start : start + chunk]
        counts = (part.T[..., np.newaxis] == domain[np.newaxis, np.newaxis, :]).sum(axis=1)
        pairable = np.maximum(counts.sum(axis=1), 2)
        unnormalized = counts[..., np.newaxis] * counts[:, np.newaxis, :] - counts[:, np.newaxis, :] * eye
        coincidences = np.divide(unnormalized, (pairable - 1).reshape((-1, 1, 1)), dtype=float)
        total = np.concatenate([total, coincidences]).sum(axis=0, keepdims=True)
    o = total[0]
    n_v = o.sum(axis=0)
    e = np.divide(np.outer(n_v, n_v) - np.diagflat(n_v), n_v.sum() - 1, dtype=float)
    d = (domain[:, np.newaxis] != domain[np.newaxis, :]).astype(float)
    return float(1 - (o * d).sum() / (e * d).sum())


def cohen_kappa(first: list[str], second: list[str], labels: list[str]) -> float:
    """Cohen's kappa of two raters over the same items, unweighted (sklearn's cohen_kappa_score):
    NaN when it is undefined (both gave one and the same value throughout)."""
    code = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)))
    np.add.at(confusion, ([code[x] for x in first], [code[y] for y in second]), 1)
    return _kappa(confusion)


def _kappa(confusion: np.ndarray) -> float:
    """Cohen's kappa of a confusion matrix (see cohen_kappa)."""
    confusion = np.asarray(confusion, dtype=float)
    expected = np.outer(confusion.sum(axis=1), confusion.sum(axis=0)) / confusion.sum()
    disagree = 1 - np.eye(len(confusion))
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


def _nominal(codes: np.ndarray, annotators: list[str], labels: list[str], order: np.ndarray, *,
             per_label: bool = True) -> dict[str, Any]:  # fmt: skip
    """Agreement on one nominal answer: `codes` is annotators x items (label codes, -1 where an
    annotator gave none), annotators and labels sorted, items sorted by unit id, `order` each item's
    place in the order units first appeared. Krippendorff's alpha, Fleiss' kappa on the items with
    the most common number of raters (>= 2; a tie goes to the number seen first), Cohen's kappa per
    pair of annotators with at least two shared items, and alpha per value (one vs rest)."""
    given = codes >= 0
    raters = given.sum(axis=0)

    pairs = {}
    for (i, a), (j, b) in itertools.combinations(enumerate(annotators), 2):
        shared = given[i] & given[j]
        if shared.sum() >= 2:
            pair = codes[i, shared].astype(np.int64) * len(labels) + codes[j, shared]
            confusion = np.bincount(pair, minlength=len(labels) ** 2)
            kappa = _kappa(confusion.reshape(len(labels), len(labels)))
            pairs[f"{a} / {b}"] = {"items": int(shared.sum()), "cohen_kappa": _number(kappa)}

    fleiss = None
    counts = Counter(raters[raters >= 2].tolist())
    if counts:
        top = max(counts.values())
        most = min((c for c in counts if counts[c] == top), key=lambda c: order[raters == c].min())
        rated = np.flatnonzero(raters == most)
        rated = rated[np.argsort(order[rated], kind="stable")]
        table = np.stack([(codes[:, rated] == k).sum(axis=0) for k in range(len(labels))], axis=1)
        if len(table) >= 2 and len(labels) >= 2:
            fleiss = {"raters": int(most), "items": len(table), "kappa": _number(fleiss_kappa(table))}

    report: dict[str, Any] = {
        "annotators": len(annotators),
        "items": codes.shape[1],
        "items_with_2_or_more": int((raters >= 2).sum()),
        "krippendorff_alpha": _alpha(codes),
        "fleiss_kappa": fleiss,
        "cohen_kappa_pairs": pairs,
    }
    if per_label:
        report["alpha_per_label"] = {
            label: _alpha(np.where(given, (codes == k).astype(np.int8), np.int8(-1))) for k, label in enumerate(labels)
        }
    return report


def _sorted_units(votes: Votes, units: Iterable[int]) -> np.ndarray:
    """Units in the order of their ids."""
    found = np.fromiter(units, dtype=np.int64)
    return found[np.argsort(votes.ranks()[found], kind="stable")]


def claim_status_agreement(votes: Votes) -> dict[str, Any]:
    answered = (u for u in range(votes.n_units) if votes.answers(u))
    items = _sorted_units(votes, answered)
    names = votes.annotators.names()
    who = sorted({votes.who[r] for u in items for r in votes.records(u) if votes.answer[r] != -1},
                 key=names.__getitem__)  # fmt: skip
    values = votes.values.names()
    labels = sorted({values[votes.answer[r]] for u in items for r in votes.records(u) if votes.answer[r] != -1})
    label_code = {votes.values[label]: k for k, label in enumerate(labels)}
    row = {w: i for i, w in enumerate(who)}
    codes = np.full((len(who), len(items)), -1, dtype=np.int16 if len(labels) < 2**15 else np.int64)
    for j, unit in enumerate(map(int, items)):
        for annotator, answer in votes.answers(unit).items():
            codes[row[annotator], j] = label_code[answer]
    order = items  # a unit's number is its place in order of appearance
    return _nominal(codes, [names[w] for w in who], labels, order)


def claim_types_agreement(votes: Votes) -> dict[str, dict[str, Any]]:
    """For each claim type, agreement on whether it applies, over sentences that two or more
    annotators said make a claim."""
    no_claim = votes.values.get(NO_CLAIM, -2)

    def claimed(unit: int) -> list[int]:
        return [r for r in votes.records(unit) if votes.answer[r] != -1 and votes.answer[r] != no_claim]

    items = _sorted_units(votes, (u for u in range(votes.n_units) if len(claimed(u)) >= 2))
    names, type_names = votes.annotators.names(), votes.types.names()
    wide = np.int64 if votes.type_bits.typecode == "q" else np.int32
    bits = np.full((len(names), len(items)), -1, dtype=wide)  # annotator x item: claim type bits
    for j, unit in enumerate(map(int, items)):
        for r in claimed(unit):
            bits[votes.who[r], j] = votes.type_bits[r]
    who = sorted(np.flatnonzero((bits >= 0).any(axis=1)).tolist(), key=names.__getitem__)
    bits = bits[who]
    present = int(np.bitwise_or.reduce(bits[bits >= 0])) if bits.size else 0
    order = items
    report = {}
    for claim_type in sorted(t for k, t in enumerate(type_names) if present >> k & 1):
        applies = ((bits >> votes.types[claim_type]) & 1).astype(np.int8)
        applies[bits < 0] = -1
        labels = [str(v) for v in (False, True) if (applies == v).any()]  # sorted: "False" < "True"
        if labels == ["True"]:
            applies[applies == 1] = 0
        report[claim_type] = _nominal(applies, [names[w] for w in who], labels, order, per_label=False)
    return report


def span_agreement(votes: Votes, label: str) -> dict[str, Any]:
    """Pairwise F1 between annotators' spans of one label: exact (same offsets) and overlap (any
    shared character, each span matched once), micro-averaged over all pairs and sentences."""
    bit = SPAN_BITS[label]
    names = votes.annotators.names()
    both = {"exact": [0, 0, 0], "overlap": [0, 0, 0]}  # matched, spans of a, spans of b

    def spans(record: int) -> list[tuple[int, int]]:
        at = votes.span_at[record]
        return [(votes.span_start[k], votes.span_end[k]) for k in range(at, at + votes.span_count[record])
                if votes.span_bits[k] & bit]  # fmt: skip

    for unit in range(votes.n_units):
        records = sorted(votes.records(unit), key=lambda r: names[votes.who[r]])
        if len(records) < 2:
            continue
        for ra, rb in itertools.combinations(records, 2):
            left, right = spans(ra), spans(rb)
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


def annotator_agreement_with_gold(votes: Votes, gold: list[str | None]) -> dict[str, dict[str, Any]]:
    """For each annotator: how many gold-labelled sentences they answered, and the share that matches."""
    items: Counter[int] = Counter()
    hits: Counter[int] = Counter()
    for unit, label in enumerate(gold):
        if label:
            code = votes.values[label]
            for who, answer in votes.answers(unit).items():
                items[who] += 1
                hits[who] += answer == code
    names = votes.annotators.names()
    return {
        names[who]: {"items": items[who], "agrees_with_gold": round(hits[who] / items[who], 4)}
        for who in sorted(items, key=names.__getitem__)
    }


def reference_agreement(votes: Votes) -> dict[str, Any] | None:
    """Each annotator against the reference labels of benchmark rows, on each benchmark's own scale
    (CheckThat!'s No covers no_claim and claim_not_checkworthy): accuracy and Cohen's kappa
    (see cohen_kappa), and whether the annotators could see the reference. None without reference labels."""
    values, corpora = votes.values.names(), votes.corpora.names()
    labels: dict[str, set[str]] = {}
    for unit in range(votes.n_units):
        if votes.reference[unit] != -1:
            labels.setdefault(corpora[votes.corpus[unit]], set()).add(values[votes.reference[unit]])
    if not labels:
        return None
    scales = {corpus: reference_scale(found) for corpus, found in labels.items()}
    pairs: dict[int, tuple[list[str], list[str]]] = {}
    seen: dict[bool, int] = Counter()
    for unit in range(votes.n_units):
        scale = scales.get(corpora[votes.corpus[unit]])
        answers = votes.answers(unit)
        if scale is None or votes.reference[unit] == -1 or not answers:
            continue
        seen[bool(votes.hidden[unit])] += 1
        reference_label = values[votes.reference[unit]]
        for who, answer in answers.items():
            reference, theirs = pairs.setdefault(who, ([], []))
            reference.append(reference_label)
            theirs.append(scale[1][values[answer]])
    names = votes.annotators.names()
    annotators = {}
    for who in sorted(pairs, key=names.__getitem__):
        reference, theirs = pairs[who]
        both = sorted(set(reference) | set(theirs))
        kappa = _number(cohen_kappa(reference, theirs, both)) if len(both) > 1 else None  # one label: undefined
        accuracy = sum(a == b for a, b in zip(reference, theirs, strict=True)) / len(reference)
        annotators[names[who]] = {"items": len(reference), "accuracy": round(accuracy, 4), "cohen_kappa": kappa}
    visible = {True: "hidden", False: "visible"}
    return {
        "scales": sorted({scale[0] for scale in scales.values() if scale}),
        "reference": visible[True] if not seen[False] else visible[False] if not seen[True] else "mixed",
        "sentences": {visible[k]: v for k, v in sorted(seen.items())},
        "annotators": annotators,
    }


def _disagreeing(votes: Votes) -> Iterator[int]:
    """The units whose annotators gave different claim_status answers."""
    for unit in range(votes.n_units):
        if len(set(votes.answers(unit).values())) > 1:
            yield unit


def disagreements(votes: Votes) -> list[tuple[str, dict[str, str]]]:
    """Sentences whose annotators gave different claim_status answers: (unit id, annotator -> answer)."""
    names, values = votes.annotators.names(), votes.values.names()
    return [(votes.sid(u), {names[w]: values[a] for w, a in votes.answers(u).items()}) for u in _disagreeing(votes)]


def _report(votes: Votes, gold: list[str | None]) -> dict[str, Any]:
    return {
        CLAIM_STATUS: claim_status_agreement(votes),
        CLAIM_TYPES: claim_types_agreement(votes),
        "spans": {label: span_agreement(votes, label) for label in (CLAIM, SOURCE)},
        "annotators": annotator_agreement_with_gold(votes, gold),
        "disagreements": sum(1 for _ in _disagreeing(votes)),
        "reference": reference_agreement(votes),
    }


def agreement_report(collection: Collection, gold: dict[str, str | None]) -> dict[str, Any]:
    """The report of a collection that combine built, with its gold labels."""
    votes = votes_of(collection)
    return _report(votes, [gold.get(sid) for sid in votes.sids()])


def _texts(exports: ExportSet, wanted: set[str]) -> dict[str, Any]:
    """The text of each wanted unit, from the task collect() takes its data from: the first that is not a review."""
    first: dict[str, Any] = {}
    review: dict[str, Any] = {}
    for tasks in exports.tasks():
        for task in tasks:
            data = task.data
            key = data.get(CLAIM_ID, data.get(SENTENCE_ID))
            sid = str(key if key is not None else f"task-{task.id}")
            if sid in wanted:
                (review if ADJUDICATION_OF in data else first).setdefault(sid, data.get(TEXT))
    return review | first


def agreement_of_exports(exports: ExportSet, *, keep_identity: bool = False, list_disagreements: bool = False
                         ) -> dict[str, Any]:  # fmt: skip
    """`annotate agreement`: the report of the valid exports (ExportsInvalid if any has an error),
    read one task at a time; with list_disagreements, a second pass fetches those sentences' texts."""
    with gc_paused(exiting=True):
        votes = read_votes(exports, keep_identity=keep_identity)
        report = _report(votes, votes.gold())
        if list_disagreements:
            found = disagreements(votes)
            texts = _texts(exports, {sid for sid, _ in found})
            report["disagreement_list"] = [{SENTENCE_ID: sid, TEXT: texts.get(sid), "answers": answers}
                                           for sid, answers in found]  # fmt: skip
    return report
