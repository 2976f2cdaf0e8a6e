"""Calibrated certainty: the probability that the label a model shows is right, by Platt scaling of
the probability the classifier gives that label, fitted on held-out rows (a dataset's dev split).
Label Studio's uncertainty sampling orders tasks by this score, and `prelabel --min-confidence`
pre-fills a choice only from it; the reliability table (predicted against observed, by bins) is
measured on the test split, which the calibration never saw."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

MIN_ROWS = 50  # fewer held-out rows calibrate nothing: the probabilities stay as the classifier gives them
_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Calibration:
    a: float
    b: float
    rows: int  # held-out rows it was fitted on

    def __call__(self, probabilities: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.a * _logit(np.asarray(probabilities, dtype=float)) + self.b)))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fit(probabilities: np.ndarray, correct: np.ndarray) -> Calibration | None:
    """Platt scaling of held-out (probability of the shown label, was it right), lightly
    regularised (scikit-learn's C=1); None with fewer than MIN_ROWS rows or when every guess was
    right (or every one wrong)."""
    correct = np.asarray(correct, dtype=bool)
    if len(correct) < MIN_ROWS or correct.all() or not correct.any():
        return None
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=1000).fit(_logit(np.asarray(probabilities)).reshape(-1, 1), correct)
    a, b = float(model.coef_[0, 0]), float(model.intercept_[0])
    if a <= 0:  # more sure, not more often right (or no spread to tell): the held-out accuracy for all
        share = float(correct.mean())
        a, b = 0.0, float(np.log(share / (1 - share)))
    return Calibration(a, b, len(correct))


def reliability(predicted: np.ndarray, correct: np.ndarray, *, bins: int = 10) -> list[dict[str, Any]]:
    """Per bin of predicted certainty (equal width over [0, 1]): rows, mean predicted, observed share right."""
    predicted, correct = np.asarray(predicted, dtype=float), np.asarray(correct, dtype=bool)
    which = np.minimum((predicted * bins).astype(int), bins - 1)
    return [{"from": n / bins, "to": (n + 1) / bins, "rows": int((which == n).sum()),
             "predicted": round(float(predicted[which == n].mean()), 4),
             "observed": round(float(correct[which == n].mean()), 4)}
            for n in range(bins) if (which == n).any()]  # fmt: skip
