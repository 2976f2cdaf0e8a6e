"""Check-worthiness (`annotate train`): F1 of claim_checkworthy with a 95% bootstrap interval for
`annotate train` (hashed n-grams with e5-small vectors, and n-grams alone) against TF-IDF + logistic
regression and TF-IDF + linear SVM (balanced), trained on CheckThat! 2024 English train, scored on
dev, dev-test and the lab's test set; training time and peak memory. Figures go to
benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/train_bench.py --data /work/data/ct24-en [--cache FILE] [--lexical]

--lexical runs the n-grams alone (no e5 vectors to compute: its row then says it was not run).

--data holds train.tsv, dev.tsv, dev-test.tsv and test.tsv (Sentence_id, Text, class_label Yes/No)
of CLEF CheckThat! 2024 task 1 English (the lab's repository, task1/data; the test gold labels were
published after the lab; public copies: kta86/Prompting Data/, isyufeng/FactFinders data/). Nothing
of it is committed. Nothing here is chosen on dev-test or test; annotate's embedding weight was
chosen on dev (annotate/loop/train.py).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from _results import RESULTS, write_section  # noqa: E402

from annotate.loop import train as tr  # noqa: E402
from annotate.loop.embeddings import QUERY, E5Small  # noqa: E402
from annotate.loop.fusion import Semantic  # noqa: E402
from annotate.loop.vectors import VectorCache  # noqa: E402

SETS = ("dev", "dev-test", "test")
E5_RUN, NGRAMS_RUN = "annotate train (n-grams + e5)", "annotate train (n-grams alone)"


def read(data: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(data / f"{name}.tsv", sep="\t", dtype=str, keep_default_na=False)
    return frame.assign(y=frame["class_label"].str.strip() == "Yes")


def f1_interval(y: np.ndarray, p: np.ndarray, rounds: int = 1000, seed: int = 5) -> tuple[float, float, float]:
    """F1 of the positive class and its 95% bootstrap interval (rows resampled)."""

    def f1(t: np.ndarray, q: np.ndarray) -> float:
        tp = float(np.sum(t & q))
        return 2 * tp / max(1.0, float(np.sum(t) + np.sum(q)))

    rng = np.random.default_rng(seed)
    draws = [f1(y[i], p[i]) for i in (rng.integers(0, len(y), len(y)) for _ in range(rounds))]
    return f1(y, p), float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def as_dataset(frames: dict[str, pd.DataFrame], folder: Path) -> Path:
    """CheckThat! rows as the sentences table `annotate train` reads (Yes = claim_checkworthy): train
    as train, dev as dev (what the certainty is calibrated on), dev-test as test (its reliability)."""
    folder.mkdir(parents=True)
    parts = [pd.DataFrame({"sentence_id": frames[name]["Sentence_id"], "text": frames[name]["Text"],
                           "gold_claim_status": np.where(frames[name]["y"], "claim_checkworthy", "no_claim"),
                           "split": split})
             for name, split in (("train", "train"), ("dev", "dev"), ("dev-test", "test"))]  # fmt: skip
    pd.concat(parts).to_parquet(folder / "sentences.parquet", index=False)
    return folder


def calibration_error(reliability: list[dict]) -> float:
    """Expected calibration error: the rows' mean gap between predicted certainty and observed share right."""
    rows = sum(b["rows"] for b in reliability)
    return sum(abs(b["predicted"] - b["observed"]) * b["rows"] for b in reliability) / max(1, rows)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def annotate_runs(frames: dict[str, pd.DataFrame], semantic: Semantic | None, tmp: Path) -> tuple[dict, dict, dict]:
    """F1 per set, training time and model.json of `annotate train` with e5 vectors (unless semantic
    is None) and with the n-grams alone."""
    rows: dict[str, dict[str, tuple[float, float, float]]] = {}
    times: dict[str, float] = {}
    metas: dict[str, dict] = {}
    dataset = as_dataset(frames, tmp / "ds")
    for name, sem in ((E5_RUN, semantic), (NGRAMS_RUN, None)):
        if name == E5_RUN and sem is None:
            continue
        start = time.perf_counter()
        metas[name] = tr.train(dataset, tmp / name.replace(" ", "_"), semantic=sem)
        times[name] = time.perf_counter() - start
        model = tr.load_model(tmp / name.replace(" ", "_"), semantic=sem)
        rows[name] = {s: f1_interval(frames[s]["y"].to_numpy(), np.array(
            [label == "claim_checkworthy" for label, _ in model.predict(frames[s]["Text"].tolist())]))
            for s in SETS}  # fmt: skip
    return rows, times, metas


def baselines() -> dict:
    """The TF-IDF baselines, unfitted: every check-worthiness benchmark compares with these."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    return {
        "TF-IDF 1-grams + logistic regression (balanced)": make_pipeline(
            TfidfVectorizer(), LogisticRegression(class_weight="balanced", max_iter=2000)),
        "TF-IDF 1-2-grams + linear SVM (balanced, C 0.125)": make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LinearSVC(C=0.125, class_weight="balanced")),
    }  # fmt: skip


def baseline_runs(frames: dict[str, pd.DataFrame]) -> tuple[dict, dict]:
    """F1 per set and training time of the TF-IDF baselines."""
    rows, times = {}, {}
    for name, pipeline in baselines().items():
        start = time.perf_counter()
        pipeline.fit(frames["train"]["Text"], frames["train"]["y"])
        times[name] = time.perf_counter() - start
        rows[name] = {s: f1_interval(frames[s]["y"].to_numpy(), pipeline.predict(frames[s]["Text"]).astype(bool))
                      for s in SETS}  # fmt: skip
    return rows, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/annotate-bench-vectors.sqlite"))
    parser.add_argument("--lexical", action="store_true", help="n-grams alone: no e5 run (its row says so)")
    args = parser.parse_args()
    frames = {name: read(args.data, name) for name in ("train", *SETS)}
    semantic, embed_s = None, None
    if not args.lexical:
        semantic = Semantic(E5Small(), VectorCache(args.cache), log=lambda s: print(s, file=sys.stderr))
        start = time.perf_counter()
        semantic.vectors(frames["train"]["Text"].tolist(), QUERY)
        embed_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        rows, times, metas = annotate_runs(frames, semantic, Path(tmp))
    more_rows, more_times = baseline_runs(frames)
    print(write_section("train", report(frames, rows | more_rows, times | more_times, metas, embed_s)))


def previous_e5_row() -> str:
    """With --lexical, the e5 row of the section as it was, marked as not rerun (empty without one)."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    section = text.split("<!-- train:start -->", 1)[-1].split("<!-- train:end -->", 1)[0]
    found = [line for line in section.splitlines() if line.startswith(f"| {E5_RUN}")]
    cells = found[0].split(" | ", 1)[1] if found else "not run | | | |"
    return f"| {E5_RUN}: not rerun (--lexical), from the run before | {cells}"


def report(frames: dict[str, pd.DataFrame], rows: dict, times: dict, metas: dict, embed_s: float | None
           ) -> list[str]:  # fmt: skip
    lines = ["## Check-worthiness (`benchmarks/train_bench.py`)", "",
             f"CheckThat! 2024 English: {len(frames['train']):,} train rows; dev {len(frames['dev'])}, dev-test "
             f"{len(frames['dev-test'])}, test {len(frames['test'])}. F1 of Yes (claim_checkworthy) with its 95% "
             "bootstrap interval (1,000 resamples of the rows). The dev set is ClaimBuster's groundtruth and the "
             "train set its crowdsourced rows (same ids and texts), so ClaimBuster gives no run of its own here.",
             "", "| model | dev | dev-test | test | train time (s) |", "|---|---|---|---|---|"]  # fmt: skip
    if E5_RUN not in rows:
        lines.append(previous_e5_row())
    for name, scores in rows.items():
        cells = " | ".join(f"{f:.3f} [{lo:.3f}, {hi:.3f}]" for f, lo, hi in (scores[s] for s in SETS))
        lines.append(f"| {name} | {cells} | {times[name]:.1f} |")
    lines += ["", ""]
    if embed_s is not None:
        cached = times[E5_RUN]
        lines[-1] += (f"Embedding the {len(frames['train']):,} train rows (the vector cache as it was at the start "
                      f"of the run): {embed_s:.0f} s; training with the vectors cached: {cached:.1f} s. ")  # fmt: skip
    lines[-1] += (f"Peak RSS of the run {peak_mb():.0f} MB. Certainty (the probability of the label shown, calibrated "
                  "on dev by Platt scaling): expected calibration error on dev-test "
                  + ", ".join(f"{calibration_error(m['reliability']):.3f} ({n})" for n, m in metas.items())
                  + "; weight of claim_checkworthy chosen out of fold on train (annotate/loop/decision.py): "
                  + ", ".join(f"{m['positive_weight']:.3f} ({n})" for n, m in metas.items()))  # fmt: skip
    if E5_RUN in metas:
        lines[-1] += "; reliability table of the e5 model: " + "; ".join(
            f"{b['from']:.1f}-{b['to']:.1f}: {b['rows']} rows, predicted {b['predicted']:.2f}, observed "
            f"{b['observed']:.2f}" for b in metas[E5_RUN]["reliability"])  # fmt: skip
    lines[-1] += (
        ". Published (2024 English test, 26 teams): best about 0.80 F1 with fine-tuned language models, 12th 0.711."
    )
    return lines


if __name__ == "__main__":
    main()
