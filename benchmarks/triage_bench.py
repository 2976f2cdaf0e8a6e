"""The morning triage (`annotate triage`) on one "day" made of public benchmark rows: the CheckThat!
2022 2A English test tweets (209, each with the past check the lab's gold names among its 14,231
verified claims) and the CheckThat! 2024 English dev-test sentences (318, check-worthiness labelled,
no past check), against an index of the 14,231 verified claims.

- Ranking: average precision, precision at 10 and 20 of check-worthy rows in triage order, against
  the file order (the rows shuffled once, seed 7: a day's files come in no useful order) and a
  TF-IDF + logistic regression ranker trained on the same CheckThat! 2024 train rows; 95% bootstrap
  intervals (rows resampled). Check-worthy: a 2024 row labelled Yes, and every 2022 tweet (each
  was fact-checked). Also on the 2024 rows alone, where the labels are the lab's.
- Repeats: precision and recall of "already checked" over the day (right when the best safe match
  is the tweet's gold claim; any flag on a 2024 sentence is wrong), with the model's filter (only
  the check-worthy are matched: triage's default) and without it (--match-all).
- Speed: 200 articles of 30 sentences (CheckThat! 2024 train sentences, 6,000 in all) triaged by
  the CLI in a subprocess with a ready index and model and an empty vector cache, against the
  embedding time at the rate measured in the same run; peak memory of that process.

    .venv/bin/python benchmarks/triage_bench.py --ct22 /work/data/ct22-2a --ct24 /work/data/ct24-en \
        [--cache /work/cache/vectors.sqlite]

Nothing is chosen here: the model is `annotate train` on CheckThat! 2024 train with its defaults, the
matcher's settings are annotate.loop.fusion's (chosen on 2022 2A train and dev). Nothing of the data
is committed (see match_bench.py and train_bench.py for where it is fetched).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
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
from match_bench import read_qrels, read_queries, read_vclaims  # noqa: E402
from train_bench import as_dataset, read  # noqa: E402

from annotate.loop import train as tr  # noqa: E402
from annotate.loop.embeddings import QUERY, E5Small  # noqa: E402
from annotate.loop.fusion import Semantic  # noqa: E402
from annotate.loop.pastindex import index_files  # noqa: E402
from annotate.loop.triage import triage  # noqa: E402
from annotate.loop.vectors import VectorCache  # noqa: E402


def average_precision(relevant: np.ndarray) -> float:
    hits = np.cumsum(relevant)
    return float(np.sum((hits / np.arange(1, len(relevant) + 1))[relevant]) / max(1, relevant.sum()))


def ranking_scores(relevant: np.ndarray, rounds: int = 1000, seed: int = 5) -> dict[str, tuple[float, float, float]]:
    """AP, P@10, P@20 of a ranking (relevance in rank order) with 95% intervals over resampled rows
    (a resample keeps the rows' order by rank)."""

    def scores(r: np.ndarray) -> tuple[float, float, float]:
        return average_precision(r), float(r[:10].mean()), float(r[:20].mean())

    rng = np.random.default_rng(seed)
    draws = np.array([scores(relevant[np.sort(rng.integers(0, len(relevant), len(relevant)))])
                      for _ in range(rounds)])  # fmt: skip
    point = scores(relevant)
    return {name: (point[i], float(np.percentile(draws[:, i], 2.5)), float(np.percentile(draws[:, i], 97.5)))
            for i, name in enumerate(("AP", "P@10", "P@20"))}  # fmt: skip


def write_day(folder: Path, tweets: dict[str, str], sentences: list[tuple[str, str]]) -> list[Path]:
    """The day as two CheckThat!-style tables (one task per row, as `split` reads them)."""
    folder.mkdir(parents=True)
    paths = []
    for name, rows in (("ct22.tsv", list(tweets.items())), ("ct24.tsv", sentences)):  # ids: ct22:ID, ct24:ID
        with (folder / name).open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter="\t", lineterminator="\n")
            writer.writerow(["Sentence_id", "Text"])
            writer.writerows((i, " ".join(t.split())) for i, t in rows)
        paths.append(folder / name)
    return paths


def write_checks(path: Path, vclaims: dict[str, tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["id", "claim", "verdict", "organization", "url", "title"])
        writer.writerows((i, " ".join(text.split()), "", "Snopes", "", " ".join(title.split()))
                         for i, (text, title) in vclaims.items())  # fmt: skip
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ct22", type=Path, required=True)
    parser.add_argument("--ct24", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/annotate-bench-vectors.sqlite"))
    args = parser.parse_args()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    log = lambda s: print(s, file=sys.stderr)  # noqa: E731
    semantic = Semantic(E5Small(), VectorCache(args.cache), log=log)
    tweets = read_queries(args.ct22 / "CT2022-Task2A-EN-Test_Queries.tsv")
    qrels = read_qrels(args.ct22 / "CT2022-Task2A-EN-Test_QRELs_gold.tsv")
    frames = {name: read(args.ct24, name) for name in ("train", "dev", "dev-test")}
    devtest = frames["dev-test"]
    worthy = {f"ct24:{i}": bool(y) for i, y in zip(devtest["Sentence_id"], devtest["y"], strict=True)}
    worthy |= {f"ct22:{i}": True for i in tweets}
    lines = ["## The morning triage (`benchmarks/triage_bench.py`)", ""]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        start = time.perf_counter()
        tr.train(as_dataset(frames | {"test": devtest}, tmp_path / "ds"), tmp_path / "model", semantic=semantic)
        log(f"model trained in {time.perf_counter() - start:.0f} s")
        checks = write_checks(tmp_path / "vclaims.csv", read_vclaims(args.ct22))
        start = time.perf_counter()
        index = index_files([checks], tmp_path / "index", semantic=semantic)
        log(f"index of {index.checks} checks in {time.perf_counter() - start:.0f} s")
        day = write_day(tmp_path / "day", tweets, list(zip(devtest["Sentence_id"], devtest["Text"], strict=True)))
        runs = {}
        for name, match_all in (("filtered", False), ("all", True)):
            runs[name] = triage([str(p) for p in day], model_dir=tmp_path / "model", against=[tmp_path / "index"],
                                out=tmp_path / f"out-{name}", day="bench", semantic=semantic,
                                match_all=match_all)  # fmt: skip
        rows = runs["filtered"].rows
        ids = [r.sentence_id for r in rows]
        baseline = make_pipeline(TfidfVectorizer(), LogisticRegression(class_weight="balanced", max_iter=2000))
        baseline.fit(frames["train"]["Text"], frames["train"]["y"])
        texts = {r.sentence_id: r.text for r in rows}
        shuffled = sorted(ids)
        random.Random(7).shuffle(shuffled)
        tfidf = [i for _, i in sorted(zip(-baseline.predict_proba([texts[i] for i in ids])[:, 1], ids, strict=True))]
        orders = {"annotate triage": ids, "TF-IDF + logistic regression": tfidf, "file order (shuffled)": shuffled}
        lines += [f"One day: {len(tweets)} CheckThat! 2022 2A test tweets (each with its gold past check) and "
                  f"{len(devtest)} CheckThat! 2024 dev-test sentences ({int(devtest['y'].sum())} check-worthy); "
                  f"{runs['filtered'].counts()['unique']} distinct rows; index of {index.checks:,} verified claims; "
                  f"model `annotate train` on the {len(frames['train']):,} CheckThat! 2024 train rows (e5 + n-grams).",
                  "", "| ranking | rows | AP | P@10 | P@20 |", "|---|---|---|---|---|"]  # fmt: skip
        for subset, keep in (("whole day", lambda i: True), ("2024 rows only", lambda i: i.startswith("ct24:"))):
            for name, order in orders.items():
                relevant = np.array([worthy[i] for i in order if keep(i)])
                cells = " | ".join(f"{p:.3f} [{lo:.3f}, {hi:.3f}]" for p, lo, hi in ranking_scores(relevant).values())
                lines.append(f"| {name}, {subset} | {len(relevant)} | {cells} |")
        lines += ["", "| already checked | flagged | right | precision | recall |", "|---|---|---|---|---|"]
        for name, run in runs.items():
            flagged = [r for r in run.rows if r.matches]
            right = [r for r in flagged if r.sentence_id.startswith("ct22:")
                     and r.matches[0].check.id in qrels.get(r.sentence_id.removeprefix("ct22:"), set())]  # fmt: skip
            label = "check-worthy rows only (default)" if name == "filtered" else "every row (--match-all)"
            lines.append(f"| {label} | {len(flagged)} | {len(right)} | {len(right) / max(1, len(flagged)):.3f} | "
                         f"{len(right) / len(tweets):.3f} |")  # fmt: skip
        lines += ["", *speed(tmp_path, frames["train"]["Text"].tolist(), semantic)]
    print(write_section("triage", lines))


def speed(tmp_path: Path, pool: list[str], semantic: Semantic) -> list[str]:
    """200 articles of 30 sentences through the CLI, empty vector cache, ready model and index."""
    rng = random.Random(11)
    texts = rng.sample(pool, 6000 + 500)
    folder = tmp_path / "articles"
    folder.mkdir()
    for n in range(200):
        body = " ".join(" ".join(t.split()).rstrip(" .") + "." for t in texts[n * 30 : (n + 1) * 30])
        (folder / f"article-{n:03d}.txt").write_text(f"Article {n}\n\n{body}\n", encoding="utf-8")
    rate_cache = VectorCache(tmp_path / "rate.sqlite")
    start = time.perf_counter()
    rate_cache.vectors(semantic.embedder, texts[6000:], QUERY)
    rate = 500 / (time.perf_counter() - start)
    env = os.environ | {"ANNOTATE_CACHE_DIR": str(tmp_path / "fresh-cache")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "annotate", "triage", str(folder), "--model", str(tmp_path / "model"),
                           "--against", str(tmp_path / "index"), "-o", str(tmp_path / "speed"), "--format", "json"],
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    elapsed = time.perf_counter() - start
    if done.returncode:
        sys.exit(done.stderr)
    import json

    report = json.loads(done.stdout)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    budget = report["sentences"] / rate + 60
    return [f"Speed: {report['articles']} articles, {report['sentences']:,} sentences ({report['unique']:,} distinct), "
            f"{report['checkworthy']:,} check-worthy, triaged by `annotate triage` in a fresh process with an empty "
            f"vector cache in {elapsed:.0f} s; embedding rate measured in the same run {rate:.0f} sentences/s, so "
            f"the goal (embedding time + 60 s) is {budget:.0f} s: {'met' if elapsed <= budget else 'NOT met'}. "
            f"Peak RSS of the triage process {peak:.0f} MB. Load average at the end "
            f"{os.getloadavg()[0]:.1f} (2 cores)."]  # fmt: skip


if __name__ == "__main__":
    main()
