"""The annotation loop, simulated: on CheckThat! 2024 English train, with its labels as the
annotator, rounds of 500 labels; after each round `annotate train`'s model (its features: hashed
n-grams weighted by the pool's document frequencies, e5-small vectors beside them; its classifier
and settings) is refitted on the labels so far, and the next 500 are the pool's least certain
sentences (smallest margin of the model's guess: `--order-by-uncertainty`) or the next 500 in a
random order. F1 of check-worthy on dev-test after each round, for 3 seeds (seed = the first round's
random 500 and the random order). Figures to benchmarks/RESULTS.md, plot to
benchmarks/active_learning.png.

    .venv/bin/python benchmarks/active_bench.py --data /work/data/ct24-en --cache /work/cache/vectors.sqlite

--data as in train_bench.py (train.tsv and dev-test.tsv). The vectors come from the cache when
train_bench.py ran before with the same --cache; otherwise they are embedded first (about 20 minutes
on 2 cores). Nothing is chosen on dev-test: it only scores each round.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from _results import write_section  # noqa: E402
from train_bench import read  # noqa: E402

from annotate.loop import train as tr  # noqa: E402
from annotate.loop.embeddings import QUERY, E5Small  # noqa: E402
from annotate.loop.fusion import Semantic  # noqa: E402
from annotate.loop.vectors import VectorCache  # noqa: E402

ROUND = 500
SEEDS = (1, 2, 3)
PLOT = HERE / "active_learning.png"


def f1(y: np.ndarray, p: np.ndarray) -> float:
    tp = float(np.sum(y & p))
    return 2 * tp / max(1.0, float(np.sum(y) + np.sum(p)))


def fit(x, y: np.ndarray, seed: int):
    labels = np.where(y, "yes", "no")
    counts = Counter(labels.tolist())
    classifier = tr._classifier(sorted(counts), counts, seed, tr._epochs(len(labels)))
    return classifier.fit(x, labels)


def curve(x, y: np.ndarray, test_x, test_y: np.ndarray, seed: int, uncertain: bool, rounds: int) -> list[float]:
    """F1 on the test rows after each round of ROUND labels."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    labelled = np.zeros(len(y), dtype=bool)
    labelled[order[:ROUND]] = True
    scores = []
    for done in range(1, rounds + 1):
        model = fit(x[labelled], y[labelled], seed)
        scores.append(f1(test_y, model.predict(test_x) == "yes"))
        if done == rounds:
            break
        pool = np.flatnonzero(~labelled)
        if uncertain:
            margin = np.abs(model.decision_function(x[pool]))
            labelled[pool[np.argsort(margin, kind="stable")[:ROUND]]] = True
        else:
            labelled[[i for i in order if not labelled[i]][:ROUND]] = True
    return scores


def labels_to_reach(scores: list[float], target: float) -> int | None:
    return next(((i + 1) * ROUND for i, s in enumerate(scores) if s >= target), None)  # the last round may be short


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/annotate-bench-vectors.sqlite"))
    parser.add_argument("--rounds", type=int, default=0, help="rounds per curve (default: the whole pool)")
    args = parser.parse_args()
    import scipy.sparse

    train, test = read(args.data, "train"), read(args.data, "dev-test")
    semantic = Semantic(E5Small(), VectorCache(args.cache), log=lambda s: print(s, file=sys.stderr))
    features = tr._Features()
    counted = features.count(train["Text"].tolist())  # document frequencies of the pool: no labels used
    weighting = features.weighting()

    def design(texts, counts=None):
        weighted = weighting.transform(counts if counts is not None else features.hashing.transform(texts))
        dense = np.asarray(semantic.vectors(texts, QUERY)) * tr.EMBEDDING_WEIGHT
        return scipy.sparse.hstack([weighted, scipy.sparse.csr_matrix(dense)]).tocsr()

    x = design(train["Text"].tolist(), counted)
    test_x = design(test["Text"].tolist())
    y, test_y = train["y"].to_numpy(), test["y"].to_numpy()
    rounds = args.rounds or -(-len(y) // ROUND)
    start = time.perf_counter()
    full = f1(test_y, fit(x, y, SEEDS[0]).predict(test_x) == "yes")
    curves: dict[str, list[list[float]]] = {"uncertainty": [], "random": []}
    for seed in SEEDS:
        for name in curves:
            curves[name].append(curve(x, y, test_x, test_y, seed, name == "uncertainty", rounds))
            print(f"seed {seed} {name}: " + " ".join(f"{s:.3f}" for s in curves[name][-1]), file=sys.stderr)
    elapsed = time.perf_counter() - start
    target = full - 0.01
    mean = {name: np.mean(c, axis=0) for name, c in curves.items()}
    reach = {name: [labels_to_reach(c, target) for c in cs] for name, cs in curves.items()}
    plot(mean, curves, full, len(y))
    marks = [r for r in (1, 2, 4, 6, 8, 12, 16, 24, 32, 40, rounds) if r <= rounds]
    lines = ["## The annotation loop, simulated (`benchmarks/active_bench.py`)", "",
             f"CheckThat! 2024 English train ({len(y):,} rows) as the pool, its labels as the annotator; rounds "
             f"of {ROUND}; `annotate train`'s features and classifier refitted after each round; F1 of check-worthy "
             f"on dev-test ({len(test_y)} rows), mean of seeds {', '.join(map(str, SEEDS))}. Trained on the whole "
             f"pool: F1 {full:.3f}; the target below is {target:.3f} (that minus 0.01). Plot: "
             f"`benchmarks/{PLOT.name}`. Run time {elapsed:.0f} s with the vectors cached.", "",
             "| labels | " + " | ".join(f"{min(r * ROUND, len(y)):,}" for r in marks) + " |",
             "|---|" + "---|" * len(marks)]  # fmt: skip
    for name in curves:
        lines.append(f"| {name} | " + " | ".join(f"{mean[name][r - 1]:.3f}" for r in marks) + " |")
    lines += [""] + [f"Labels to reach F1 {target:.3f}, {name} order, per seed: "
                     + ", ".join("never" if r is None else f"{r:,}" for r in reach[name]) + "."
                     for name in curves]  # fmt: skip
    print(write_section("active", lines))


def plot(mean: dict, curves: dict, full: float, pool: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    for (name, m), colour in zip(mean.items(), ("tab:blue", "tab:orange"), strict=False):
        labels = np.arange(1, len(m) + 1) * ROUND
        for c in curves[name]:
            axes.plot(labels, c, color=colour, alpha=0.25, linewidth=0.8)
        axes.plot(labels, m, color=colour, label=f"{name} order (mean of {len(curves[name])} seeds)")
    axes.axhline(full, color="grey", linestyle="--", label=f"all {pool:,} labels")
    axes.axhline(full - 0.01, color="grey", linestyle=":", label="that minus 0.01")
    axes.set_xlabel("labels")
    axes.set_ylabel("F1 of check-worthy, dev-test")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)


if __name__ == "__main__":
    main()
