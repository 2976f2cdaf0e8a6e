"""Where a model says claim_checkworthy: n-grams its training never saw do not drown a sentence's
known ones, and the weight of claim_checkworthy chosen out of fold keeps a model that ranks well
from answering No to nearly everything (annotate.loop.decision)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from annotate.loop import decision
from annotate.loop.train import load_model, train

WORTHY = ["percent", "doubled", "million", "rose", "fell", "record"]
OTHER = ["thanks", "tonight", "friends", "hope", "proud", "welcome"]


def _rows(path: Path, yes: int, no: int, rng: random.Random) -> None:
    """A CheckThat! file: each row one word of a kind (of its own kind in four rows out of five) among
    six made-up words of its own, which no other row has (as the new words of tweets are)."""
    kinds = [True] * yes + [False] * no
    rng.shuffle(kinds)
    lines = ["Sentence_id\tText\tclass_label"]
    for i, worthy in enumerate(kinds):
        words = WORTHY if worthy == (rng.random() < 0.8) else OTHER
        filler = ["".join(rng.choices("bcdfghjklmnpqrstvwxz", k=7)) for _ in range(6)]
        lines.append(f"{path.stem}{i}\t{' '.join([rng.choice(words), *filler])}\t{'Yes' if worthy else 'No'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_model_says_yes_to_new_sentences_whose_known_words_say_yes(tmp_path: Path) -> None:
    """Trained where a quarter of the rows are Yes, scored where three quarters are: answering Yes
    where the one known word is of the check-worthy kind would give F1 0.86 here. At 0.5, with the
    made-up words given weight, the model answered No to nearly every row (F1 0.02)."""
    rng = random.Random(7)
    _rows(tmp_path / "train.tsv", 60, 180, rng)
    _rows(tmp_path / "eval.tsv", 90, 30, rng)
    meta = train(tmp_path / "train.tsv", tmp_path / "m", seed=3, eval_files=[tmp_path / "eval.tsv"])
    assert meta["eval"]["positives"] == 90 and meta["eval"]["f1"] >= 0.8
    assert meta["out_of_fold_f1"] >= 0.6 and load_model(tmp_path / "m").meta["positive_weight"] > 1


def test_the_weight_moves_the_cut_only_where_that_scores_better() -> None:
    positive = np.array([True, True, True, False, False, False])
    low = np.array([0.45, 0.4, 0.35, 0.2, 0.15, 0.1])  # ranks every Yes first, all below 0.5
    probabilities = np.column_stack([low, 1 - low])
    weight, f1 = decision.best_weight(positive, probabilities, 0)
    shown = decision.weighted(probabilities, 0, weight).argmax(axis=1) == 0
    assert f1 == 1.0 and shown.tolist() == positive.tolist()
    assert 0.2 < 1 / (1 + weight) < 0.35  # with two labels, a threshold between the Yes and the No rows
    high = np.column_stack([low + 0.25, 0.75 - low])  # 0.5 already separates them: left as it is
    assert decision.best_weight(positive, high, 0) == (1.0, 1.0)
    assert decision.weighted(high, 0, 1.0).tolist() == high.tolist()
    three = np.array([[0.3, 0.5, 0.2], [0.1, 0.2, 0.7]])  # three labels: each row still sums to 1
    weighted = decision.weighted(three, 0, 4.0)
    assert np.allclose(weighted.sum(axis=1), 1) and weighted.argmax(axis=1).tolist() == [0, 2]
