"""Check-worthiness beyond English (`annotate train --eval`): F1 of claim_checkworthy with a 95%
bootstrap interval for `annotate train` (n-grams alone; with --e5 also with multilingual-e5-small
vectors, slow where nothing is cached: about 45,000 rows to embed) against TF-IDF + logistic
regression, TF-IDF + linear SVM (the English section's baselines) and answering Yes to every row, on
CLEF CheckThat! 2024 task 1 Arabic, Dutch, Spanish and English: trained on each language's train
file, scored on its dev-test file, with the languages `annotate train --eval` finds in it (detected
per row). Figures go to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/train_languages_bench.py --data /work/data [--e5] [--cache FILE]

--data holds ct24-ar/, ct24-nl/, ct24-es/ and ct24-en/, each with train.tsv and dev-test.tsv as the
lab published them (gitlab.com/checkthat_lab/clef2024-checkthat-lab, task1/data; public copies in
participants' repositories, see each folder's SOURCES.txt). The Spanish train file (over 4 MiB) was
not to be had: Spanish trains on its dev file. Files are read by annotate's own reader (the Dutch
and Spanish ones quote nothing: pandas would drop some quote marks). Nothing here is chosen on
dev-test or test; the text form of the n-grams (annotate/loop/train.py, text_form) was chosen on dev,
and annotate's weight of claim_checkworthy is chosen by train itself, out of fold on the train file
(annotate/loop/decision.py). Nothing of the data is committed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from _results import write_section  # noqa: E402
from train_bench import baselines, f1_interval, peak_mb  # noqa: E402

from annotate.loop import train as tr  # noqa: E402
from annotate.loop.embeddings import E5Small  # noqa: E402
from annotate.loop.fusion import Semantic  # noqa: E402
from annotate.loop.vectors import VectorCache  # noqa: E402

LANGUAGES = {"ar": "Arabic", "nl": "Dutch", "es": "Spanish", "en": "English"}
ANNOTATE = ("annotate train (n-grams alone)", "annotate train (n-grams + e5)")


def train_file(folder: Path) -> Path:
    return folder / "train.tsv" if (folder / "train.tsv").exists() else folder / "dev.tsv"


def annotate_runs(folder: Path, semantic: Semantic | None, tmp: Path) -> dict[str, tuple[dict, np.ndarray, float]]:
    """Each annotate model's model.json, its dev-test predictions (Yes or not) and training time."""
    found = {}
    for name, sem in zip(ANNOTATE, (None, semantic), strict=True):
        if name != ANNOTATE[0] and sem is None:
            continue
        out = tmp / f"{folder.name}-{name.split('(')[1][:4]}"
        start = time.perf_counter()
        meta = tr.train(train_file(folder), out, eval_files=[folder / "dev-test.tsv"], semantic=sem)
        seconds = time.perf_counter() - start
        run = (out / "eval_predictions.tsv").read_text(encoding="utf-8").splitlines()[1:]
        found[name] = (meta, np.array([line.split("\t")[1] == "Yes" for line in run]), seconds)
    return found


def baseline_runs(folder: Path) -> dict[str, np.ndarray]:
    train, test = tr.read_benchmark(train_file(folder)), tr.read_benchmark(folder / "dev-test.tsv")
    y = (train["gold_claim_status"] == tr.POSITIVE).to_numpy()
    found = {name: pipeline.fit(train["text"], y).predict(test["text"]).astype(bool)
             for name, pipeline in baselines().items()}  # fmt: skip
    found["every row Yes"] = np.ones(len(test), dtype=bool)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--e5", action="store_true", help="also train with multilingual-e5-small vectors")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/annotate-bench-vectors.sqlite"))
    args = parser.parse_args()
    log = lambda s: print(s, file=sys.stderr)  # noqa: E731
    semantic = Semantic(E5Small(), VectorCache(args.cache), log=log) if args.e5 else None
    table: dict[str, dict[str, tuple[float, float, float]]] = {}
    sizes, found_languages, times, weights = {}, {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for code in LANGUAGES:
            folder = args.data / f"ct24-{code}"
            gold = (tr.read_benchmark(folder / "dev-test.tsv")["gold_claim_status"] == tr.POSITIVE).to_numpy()
            runs = annotate_runs(folder, semantic, Path(tmp))
            predictions = {name: p for name, (_, p, _) in runs.items()} | baseline_runs(folder)
            for name, predicted in predictions.items():
                table.setdefault(name, {})[code] = f1_interval(gold, predicted)
            meta = runs[ANNOTATE[0]][0]
            sizes[code] = (meta["train_sentences"], train_file(folder).name, len(gold), int(gold.sum()))
            found_languages[code] = meta["eval"]["files"][0]["languages"]
            weights[code] = (meta["positive_weight"], meta["out_of_fold_f1"])
            times[code] = {name: seconds for name, (_, _, seconds) in runs.items()}
            print(code, {n: round(v[code][0], 3) for n, v in table.items()}, file=sys.stderr)
    print(write_section("train-languages", report(table, sizes, found_languages, times, weights)))


def report(table: dict, sizes: dict, found_languages: dict, times: dict, weights: dict) -> list[str]:
    lines = ["## Check-worthiness beyond English (`benchmarks/train_languages_bench.py`)", "",
             "CheckThat! 2024 task 1, each language trained on its own train file and scored on its dev-test file "
             "(never used to choose a setting): F1 of Yes (claim_checkworthy) with its 95% bootstrap interval "
             "(1,000 resamples of the rows). Rows: "
             + "; ".join(f"{LANGUAGES[c]} {n:,} trained ({f}), {t:,} dev-test ({p:,} Yes)"
                         for c, (n, f, t, p) in sizes.items())
             + ". Spanish trains on its dev file: the lab's Spanish train file was not to be had.", "",
             "| model | " + " | ".join(LANGUAGES.values()) + " |", "|---" * (len(LANGUAGES) + 1) + "|"]  # fmt: skip
    for name, scores in table.items():
        lines.append(f"| {name} | " + " | ".join(
            f"{f:.3f} [{lo:.3f}, {hi:.3f}]" for f, lo, hi in (scores[c] for c in LANGUAGES)) + " |")  # fmt: skip
    lines += ["", "Languages `annotate train --eval` found in each dev-test file (py3langid per row; `und` below "
              "0.5), with the F1 of the n-grams-alone model on each: "
              + "; ".join(f"{LANGUAGES[c]}: " + ", ".join(
                  f"{code} {s['items']} rows F1 {s['f1']}" for code, s in list(langs.items())[:4])
                  for c, langs in found_languages.items())
              + ". Training time (s, vectors cached after the first run): "
              + "; ".join(f"{LANGUAGES[c]} " + ", ".join(f"{t:.1f}" for t in ts.values()) for c, ts in times.items())
              + " (n-grams alone, with e5 where run). The weight of claim_checkworthy's probability `annotate train` "
              "chose out of fold on each train file (n-grams alone; 1 leaves the 0.5 threshold) and its F1 there: "
              + "; ".join(f"{LANGUAGES[c]} {w:.3f}, F1 {f}" for c, (w, f) in weights.items())
              + f". Peak RSS {peak_mb():.0f} MB. The lab's published results "
              "are on its test sets, not on these dev-test files."]  # fmt: skip
    return lines


if __name__ == "__main__":
    main()
