"""Claim matching (`annotate match`): quality against BM25 on CheckThat! 2022 task 2A, cluster
quality on the hand-labelled news claims in tests/data/claim_clusters.jsonl, and the time to
cluster 100,000 claims. Figures go to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/match_bench.py --data /work/data/ct22-2a

--data is a folder with the public English data of CLEF CheckThat! 2022 task 2A (tweets against
Snopes-verified claims; the lab's repository, task2/data/subtask-2a--english):
  - the verified claims: `vclaims/*.json` or `vclaims_json.zip` as the lab ships them
    ({"vclaim_id", "vclaim", "title", ...}), or `vclaims.jsonl` / `vclaims.tsv` with an id and a text;
  - queries and qrels: `*Queries.tsv` (iclaim_id, iclaim) and the matching `*QRELs*.tsv`
    (iclaim_id 0 vclaim_id 1): CT2022-Task2A-EN-Train-Dev_Queries.tsv with the Train and Dev qrels,
    CT2022-Task2A-EN-Dev-Test_Queries.tsv with its qrels, CT2022-Task2A-EN-Test_Queries.tsv with
    the gold test qrels (released after the lab, as CT2022-Task2A-EN-Test_QRELs_gold.tsv).
Nothing of it is committed. The matcher's choices (character 4-grams, no word bigrams) were made
on the Train and Dev-Test queries; Test was looked at while comparing n-gram sizes, not tuned on.

Both rankers see the same texts (the tweet without its pic.twitter.com links, URLs and trailing
"— Name (@handle) Date" signature; the verified claim's text) and the same tokenisation
(annotate.loop.match.tokens: lower-cased, stop words out, Porter-stemmed). MAP@k as the lab's
scorer (trectools map@depth): per query the sum of precision at each relevant rank <= k, divided by
the number of relevant claims. BM25 is bm25s (Lucene variant, k1 1.5, b 0.75).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import re
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from _results import write_section  # noqa: E402

from annotate.loop import match as m  # noqa: E402
from annotate.loop import pastchecks, similarity  # noqa: E402

CLUSTERS = ROOT / "tests" / "data" / "claim_clusters.jsonl"
N_CLAIMS = 100_000
_SIGNATURE = re.compile(r"\s*[—–-]+\s*[^—–]*\(@\w+\)\s+\w+ \d{1,2}, \d{4}\s*$")
_LINK = re.compile(r"(?:https?://\S+|pic\.twitter\.com/\S+)")


# CheckThat! 2022 2A ------------------------------------------------------------------------------
def clean_tweet(text: str) -> str:
    return _LINK.sub(" ", _SIGNATURE.sub("", text)).strip()


def read_vclaims(data: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    folder, archive = data / "vclaims", data / "vclaims_json.zip"
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            item = json.loads(path.read_text(encoding="utf-8"))
            found[item["vclaim_id"]] = item["vclaim"]
    elif archive.is_file() and zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for name in sorted(n for n in z.namelist() if n.endswith(".json")):
                item = json.loads(z.read(name))
                found[item["vclaim_id"]] = item["vclaim"]
    elif (data / "vclaims.jsonl").is_file():
        for line in (data / "vclaims.jsonl").open(encoding="utf-8"):
            item = json.loads(line)
            found[item.get("vclaim_id") or item["ver_claim_ids"]] = item.get("vclaim") or item["ver_claim_texts"]
    elif (data / "vclaims.tsv").is_file():
        for row in csv.reader((data / "vclaims.tsv").open(encoding="utf-8"), delimiter="\t"):
            found[row[0]] = row[1]
    if not found:
        sys.exit(f"no verified claims in {data} (vclaims/, vclaims_json.zip, vclaims.jsonl or vclaims.tsv)")
    return found


def read_queries(path: Path) -> dict[str, str]:
    rows = csv.reader(path.open(encoding="utf-8"), delimiter="\t")
    return {r[0]: r[1] for r in rows if len(r) >= 2 and r[0] != "iclaim_id"}


def read_qrels(path: Path) -> dict[str, set[str]]:
    qrels: dict[str, set[str]] = {}
    for r in csv.reader(path.open(encoding="utf-8"), delimiter="\t"):
        if len(r) >= 4 and r[3].strip() == "1":
            qrels.setdefault(r[0], set()).add(r[2])
    return qrels


def query_sets(data: Path) -> list[tuple[str, dict[str, str], dict[str, set[str]]]]:
    """(name, queries, qrels) of each query file with qrels: the train and dev queries share one file."""
    sets = []
    for queries in sorted(data.glob("*Queries.tsv")):
        stem = queries.name.removesuffix("_Queries.tsv")
        parts = [stem.replace("Train-Dev", p) for p in ("Train", "Dev")] if "Train-Dev" in stem else [stem]
        for part in parts:
            qrels = sorted(data.glob(f"{part}_QRELs*.tsv")) or sorted(data.glob(f"{part}_Qrels*.tsv"))
            if qrels:
                q, g = read_queries(queries), read_qrels(qrels[0])
                sets.append((part, {k: v for k, v in q.items() if k in g}, g))
    return sets


def map_at(ranked: dict[str, list[str]], qrels: dict[str, set[str]], k: int) -> float:
    total = 0.0
    for qid, relevant in qrels.items():
        hits, ap = 0, 0.0
        for rank, cid in enumerate(ranked.get(qid, [])[:k], start=1):
            if cid in relevant:
                hits += 1
                ap += hits / rank
        total += ap / len(relevant)
    return total / len(qrels)


def rank_annotate(queries: dict[str, str], checks: list[pastchecks.PastCheck], *, guarded: bool = False
                  ) -> tuple[dict[str, list[str]], float]:  # fmt: skip
    start = time.perf_counter()
    ranked = m.score_checks([clean_tweet(t) for t in queries.values()], checks, guarded=guarded)
    took = time.perf_counter() - start
    return {qid: [checks[c].id for c, _ in found] for qid, found in zip(queries, ranked, strict=True)}, took


def rank_bm25(queries: dict[str, str], checks: list[pastchecks.PastCheck]) -> tuple[dict[str, list[str]], float]:
    import bm25s

    start = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index([similarity.tokens(c.claim) or ["\u2205"] for c in checks], show_progress=False)
    tokenized = [similarity.tokens(clean_tweet(t)) or ["\u2205"] for t in queries.values()]
    docs, _ = retriever.retrieve(tokenized, k=10, show_progress=False, n_threads=1)
    took = time.perf_counter() - start
    return {qid: [checks[int(i)].id for i in row] for qid, row in zip(queries, docs, strict=True)}, took


def ct22(data: Path) -> tuple[list[str], dict]:
    vclaims = read_vclaims(data)
    checks = [pastchecks.PastCheck(i, t, None, None, "Snopes", "", "table") for i, t in vclaims.items()]
    lines = [f"CheckThat! 2022 task 2A (English): {len(checks)} verified claims, data in `{data}`. `annotate` is "
             "the ranking of `score_checks`, which `annotate match` lists (above its threshold); `guarded` leaves out "
             "the near misses (a check that trips a guard: a number on each side only, one name swapped for another, "
             "or a negation on one side), which `match` marks and never shows as \"previously checked\".", "",
             "| query set | queries | MAP@1 annotate | MAP@1 guarded | MAP@1 BM25 | MAP@5 annotate | MAP@5 guarded "
             "| MAP@5 BM25 | s annotate | s BM25 |", "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    figures = {}
    for name, queries, qrels in query_sets(data):
        ours, t_ours = rank_annotate(queries, checks)
        guarded, _ = rank_annotate(queries, checks, guarded=True)
        base, t_base = rank_bm25(queries, checks)
        qrels = {q: r for q, r in qrels.items() if q in queries}
        row = {"queries": len(qrels), "annotate_map1": map_at(ours, qrels, 1), "bm25_map1": map_at(base, qrels, 1),
               "annotate_map5": map_at(ours, qrels, 5), "bm25_map5": map_at(base, qrels, 5),
               "guarded_map1": map_at(guarded, qrels, 1), "guarded_map5": map_at(guarded, qrels, 5),
               "annotate_s": t_ours, "bm25_s": t_base}  # fmt: skip
        figures[name] = row
        lines.append(f"| {name} | {row['queries']} | {row['annotate_map1']:.4f} | {row['guarded_map1']:.4f} | "
                     f"{row['bm25_map1']:.4f} | {row['annotate_map5']:.4f} | {row['guarded_map5']:.4f} | "
                     f"{row['bm25_map5']:.4f} | {t_ours:.2f} | {t_base:.2f} |")  # fmt: skip
    lines.append("")
    for name, row in figures.items():
        lines.append(f"- {name}: annotate against BM25: MAP@5 {row['annotate_map5'] - row['bm25_map5']:+.4f} "
                     f"({(row['annotate_map5'] / row['bm25_map5'] - 1) * 100:+.1f}%), MAP@1 "
                     f"{row['annotate_map1'] - row['bm25_map1']:+.4f} "
                     f"({(row['annotate_map1'] / row['bm25_map1'] - 1) * 100:+.1f}%); guarded: MAP@5 "
                     f"{row['guarded_map5'] - row['bm25_map5']:+.4f}.")  # fmt: skip
    return lines, figures


# Clusters on the hand-labelled set ---------------------------------------------------------------
def purity(groups: dict[str, str], labels: dict[str, str]) -> float:
    by: dict[str, list[str]] = {}
    for key, group in groups.items():
        by.setdefault(group, []).append(labels[key])
    return sum(Counter(v).most_common(1)[0][1] for v in by.values()) / len(groups)


def cluster_scores(rows: list[dict], threshold: float) -> dict[str, float]:
    """purity (each predicted cluster counted by its most frequent gold cluster), completeness
    (inverse purity: each gold cluster by its most frequent predicted cluster), pairwise P/R."""
    gold = {r["claim_id"]: r["cluster"] for r in rows}
    pred = {mn.claim_id: c.cluster_id for c in m.cluster_claims(rows, threshold=threshold) for mn in c.mentions}
    pairs = list(itertools.combinations(gold, 2))
    same_pred = {p for p in pairs if pred[p[0]] == pred[p[1]]}
    same_gold = {p for p in pairs if gold[p[0]] == gold[p[1]]}
    return {"purity": purity(pred, gold), "completeness": purity(gold, pred),
            "pair_precision": len(same_pred & same_gold) / max(1, len(same_pred)),
            "pair_recall": len(same_pred & same_gold) / max(1, len(same_gold)),
            "clusters": len(set(pred.values())), "gold_clusters": len(set(gold.values()))}  # fmt: skip


def clusters_section() -> list[str]:
    rows = [json.loads(line) for line in CLUSTERS.open(encoding="utf-8")]
    lines = [f"Hand-labelled news claims ({CLUSTERS.relative_to(ROOT)}): {len(rows)} claims in "
             f"{len({r['cluster'] for r in rows})} gold clusters (paraphrases, and near-misses that must stay apart: "
             "other numbers, negation, other people, antonyms).", "",
             "| threshold | purity | completeness | pair precision | pair recall | clusters |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for threshold in sorted({0.2, 0.3, 0.4, m.DEFAULT_THRESHOLD, 0.6}):
        s = cluster_scores(rows, threshold)
        mark = " (default)" if threshold == m.DEFAULT_THRESHOLD else ""
        lines.append(f"| {threshold}{mark} | {s['purity']:.3f} | {s['completeness']:.3f} | {s['pair_precision']:.3f} "
                     f"| {s['pair_recall']:.3f} | {s['clusters']} |")  # fmt: skip
    return lines


# Speed -------------------------------------------------------------------------------------------
def synthetic_claims(texts: list[str], n: int, seed: int = 7) -> list[dict]:
    """n claim records made from real claim texts: each text, then variants of it (a word dropped,
    two words swapped, a number changed, a lead-in added), dated at random over five years."""
    rnd = random.Random(seed)
    leads = ["Officials said", "According to reports,", "A viral post claims", "Critics say", "It is claimed that"]
    records = []
    for i in range(n):
        text = texts[i % len(texts)]
        words = text.split()
        variant = (i // len(texts)) % 5
        if variant == 1 and len(words) > 4:
            del words[rnd.randrange(1, len(words))]
        elif variant == 2 and len(words) > 4:
            j = rnd.randrange(1, len(words) - 1)
            words[j], words[j + 1] = words[j + 1], words[j]
        elif variant == 3:
            words = [str(rnd.randint(2, 99)) if w.isdigit() else w for w in words]
        elif variant == 4:
            words = [*rnd.choice(leads).split(), words[0].lower(), *words[1:]]
        day = rnd.randrange(5 * 365)
        records.append({"claim_id": f"s{i:06d}/0-{len(text)}", "claim": " ".join(words), "normalized_claim": "",
                        "published": f"{2020 + day // 365}-{day % 365 // 31 + 1:02d}-{day % 31 + 1:02d}"})  # fmt: skip
    return records


def exhaustive_pairs_seconds(records: list[dict], threshold: float) -> float:
    """The unblocked baseline: every pair's cosine in the same TF-IDF space (chunked), on these records."""
    space = similarity._Space([m.Mention(r).text for r in records])
    start = time.perf_counter()
    for lo in range(0, len(records), 1000):
        for part in (space.words, space.chars):
            sims = (part[lo : lo + 1000] @ part.T).tocsr()
            sims.data[sims.data < threshold] = 0
    return time.perf_counter() - start


def speed(texts: list[str]) -> tuple[list[str], float]:
    records = synthetic_claims(texts, N_CLAIMS)
    start = time.perf_counter()
    clusters = m.cluster_claims(records)
    took = time.perf_counter() - start
    sample = 10_000
    exhaustive = exhaustive_pairs_seconds(records[:sample], m.DEFAULT_THRESHOLD)
    scale = (N_CLAIMS / sample) ** 2
    lines = [f"Clustering {N_CLAIMS:,} claims (verified-claim texts and variants of them: a word dropped or "
             f"swapped, a number changed, a lead-in added): **{took:.1f} s** ({len(clusters):,} clusters; "
             f"blocking: each claim scores its best {similarity.CLUSTER_TOP} earlier candidates, at most "
             f"{N_CLAIMS * similarity.CLUSTER_TOP:,} pairs of the {N_CLAIMS * (N_CLAIMS - 1) // 2:,}). Goal: <= 60 s.",
             f"Baseline in the same run, no blocking: scoring every pair of {sample:,} of them took "
             f"{exhaustive:.1f} s (the scoring alone; x{scale:.0f} pairs for {N_CLAIMS:,}: about "
             f"{exhaustive * scale / 60:.0f} min)."]  # fmt: skip
    return lines, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="Folder with CheckThat! 2022 task 2A English data.")
    parser.add_argument("--skip-speed", action="store_true", help="Leave out the 100,000-claim timing.")
    args = parser.parse_args()
    lines = [f"Default threshold {m.DEFAULT_THRESHOLD}. Machine: {_machine()}.", ""]
    ct, _ = ct22(args.data)
    lines += ["### Previously fact-checked claims", "", *ct, "", "### Clusters", "", *clusters_section()]
    if not args.skip_speed:
        speed_lines, _ = speed(list(read_vclaims(args.data).values()))
        lines += ["", "### Speed", "", *speed_lines]
    print(write_section("match", ["## Claim matching (`benchmarks/match_bench.py`)", "", *lines]))


def _machine() -> str:
    import os
    import platform

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}"


if __name__ == "__main__":
    main()
