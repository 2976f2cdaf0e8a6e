"""The kappas annotate computes itself equal scikit-learn's and statsmodels' on the same data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.dataset.agreement import cohen_kappa, fleiss_kappa

LABELS = ["no_claim", "claim_not_checkworthy", "claim_checkworthy"]


def _same(ours: float, theirs: float) -> bool:
    return (math.isnan(ours) and math.isnan(theirs)) or math.isclose(ours, theirs, abs_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LABELS), st.sampled_from(LABELS)), min_size=2, max_size=60))
def test_cohen_kappa_is_sklearns(pairs: list[tuple[str, str]]) -> None:
    import warnings

    from sklearn.metrics import cohen_kappa_score

    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = cohen_kappa_score(first, second, labels=LABELS)
    assert _same(cohen_kappa(first, second, LABELS), theirs)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 5).flatmap(lambda raters: st.lists(
    st.lists(st.sampled_from(range(3)), min_size=raters, max_size=raters), min_size=2, max_size=40)))  # fmt: skip
def test_fleiss_kappa_is_statsmodels(items: list[list[int]]) -> None:
    import warnings

    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

    table = np.array([[row.count(c) for c in range(3)] for row in items])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = statsmodels_fleiss(table)
    assert _same(fleiss_kappa(table), theirs)


def test_a_known_value() -> None:
    # Two raters agree on 3 of 4 items (p_o = 0.75); chance agreement from their marginals is 0.5.
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "a", "b", "a"], ["a", "b"]) == pytest.approx(0.5)
