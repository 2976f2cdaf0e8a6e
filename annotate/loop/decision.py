"""Where a check-worthiness model says claim_checkworthy: its probability of that label is weighted
by a factor chosen on the training rows out of fold (each row scored by a model fitted without it),
the one that gives the best F1 of claim_checkworthy there, and the probabilities renormalised; the
label shown is the most probable after weighting. With two labels this is a threshold on the
probability of claim_checkworthy (weight w: a threshold of 1 / (1 + w)).

Why: a sentence's n-grams the training never saw carry no weight, so the less a sentence is like the
training rows, the nearer its probabilities are to what the intercept says, and with the
"balanced" class weights on sparse n-grams that is "not check-worthy". At 0.5, on CheckThat! 2024
task 1 train -> dev (never dev-test), a model said Yes for 9% of the Arabic dev rows (38% are Yes)
and for 5% of a held-out half of the Spanish dev file (14% Yes): F1 0.201 and 0.368 where TF-IDF +
logistic regression had 0.372 and 0.556. Rows held out of a fold are as new to their model as
unseen text is, so the weight chosen on them corrects for it (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

FOLDS = 3  # 3 and 5 folds gave F1 within 0.03 of each other on train -> dev; 3 fits fewer models
_EPS = 1e-9


def positive_ratio(probabilities: Any, positive: int) -> np.ndarray:
    """Per row, the probability of the positive label over the highest probability of another."""
    probabilities = np.asarray(probabilities, dtype=float)
    others = np.delete(probabilities, positive, axis=1).max(axis=1)
    return np.maximum(probabilities[:, positive], _EPS) / np.maximum(others, _EPS)


def best_weight(is_positive: Any, probabilities: Any, positive: int) -> tuple[float, float]:
    """The weight of the positive label's probability that gives the best F1 of it on these rows
    (held out of the model that scored them), and that F1. A cut on positive_ratio between two
    neighbouring rows gives the same F1 anywhere in that gap: 1 (no weight) where it lies in a gap
    of the best F1, else the geometric middle of the best gap nearest to 1."""
    is_positive = np.asarray(is_positive, dtype=bool)
    if not is_positive.any():
        return 1.0, 0.0
    ratio = positive_ratio(probabilities, positive)
    order = np.argsort(-ratio, kind="stable")
    ratio, hits = ratio[order], np.cumsum(is_positive[order])
    last = np.flatnonzero(np.append(ratio[1:] != ratio[:-1], True))  # the last row of each run of equal ratios
    f1 = 2 * hits[last] / (is_positive.sum() + last + 1)
    best = last[f1 == f1.max()]
    high = ratio[best]  # a cut in (low, high] calls the rows down to `best` positive
    low = np.append(ratio[1:], ratio[-1] / 4)[best]  # below the last row: a gap as wide as needed
    if np.any((low < 1.0) & (high >= 1.0)):
        return 1.0, float(f1.max())
    nearest = int(np.argmin(np.minimum(np.abs(np.log(low)), np.abs(np.log(high)))))
    return 1.0 / float(np.sqrt(low[nearest] * high[nearest])), float(f1.max())


def weighted(probabilities: Any, positive: int, weight: float) -> np.ndarray:
    """The probabilities with the positive label's multiplied by `weight`, each row summing to 1 again."""
    probabilities = np.array(probabilities, dtype=float)
    if weight == 1.0:
        return probabilities
    probabilities[:, positive] *= weight
    return probabilities / probabilities.sum(axis=1, keepdims=True)
