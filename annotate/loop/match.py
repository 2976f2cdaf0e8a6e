"""One claim, many mentions: cluster the gold CLAIM spans of claims exports into claims, and link
each cluster to previously verified claims (our verification exports, any ClaimReview JSON-LD, a
table).

Similarity is lexical and offline: the cosine of a TF-IDF vector made of stemmed words (unigrams
and bigrams) and character n-grams, fitted on the texts being compared. The text of a mention is
its normalised claim where there is one, else the claim span. Three cheap guards stop the
near-misses that lexical similarity cannot see: two texts that each carry a number, a named
person/organisation or a negation the other lacks are not the same claim ("fell by 3%" / "fell by
5%", "Putin ruled out" / "Putin did not rule out").

Blocking: pairs are only scored when they share a word of the pruned vocabulary (the words in at
most BLOCK_MAX_DF of the texts), and each text keeps its BLOCK_TOP best candidates, so 100,000
claims meet a few million pairs, not 5e9.

Clusters: mentions are taken earliest first (published date, then claim_id); each joins the cluster
of its most similar earlier mention above the threshold. So the cluster_id (the claim_id of the
cluster's earliest mention) does not depend on the input order, and a later mention never moves
earlier ones to another cluster.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from annotate.errors import InputError, unreadable
from annotate.vocabulary import CLAIM_ID, CLUSTER_ID, FACTCHECK_URL, MENTIONS, NORMALIZED_CLAIM, PUBLISHED, VERDICT

DEFAULT_THRESHOLD = 0.5
BLOCK_MAX_DF = 0.02  # a word in more than 2% of the texts does not make two texts candidates
BLOCK_TOP = 30  # candidates kept per text
ORIGINS = ("verification", "claimreview", "table")
TABLE_COLUMNS = ("id", "claim", VERDICT, "organization", "url")
MATCH_FIELDS = ("id", "claim", VERDICT, "rating", "organization", "url", "origin", "score")


# The data --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mention:
    """One gold CLAIM span: its verification record (annotate.loop.promote.verification_records)."""

    record: dict[str, Any] = field(hash=False, compare=True)

    @property
    def claim_id(self) -> str:
        return str(self.record[CLAIM_ID])

    @property
    def text(self) -> str:
        """What is compared: the normalised claim if any, else the claim span."""
        return str(self.record.get(NORMALIZED_CLAIM) or self.record.get("claim") or "")

    @property
    def published(self) -> str:
        return str(self.record.get(PUBLISHED) or "")


@dataclass(frozen=True)
class PastCheck:
    """A previously verified claim. verdict: our vocabulary (verdict-mapping.json), None when the
    published rating maps to none of it; rating: as published."""

    id: str
    claim: str
    verdict: str | None
    rating: str | None
    organization: str
    url: str
    origin: str  # "verification" | "claimreview" | "table"


@dataclass(frozen=True)
class Match:
    check: PastCheck
    score: float

    def as_dict(self) -> dict[str, Any]:
        c = self.check
        return {"id": c.id, "claim": c.claim, VERDICT: c.verdict, "rating": c.rating,
                "organization": c.organization, "url": c.url, "origin": c.origin, "score": self.score}  # fmt: skip


@dataclass(frozen=True)
class Cluster:
    cluster_id: str  # the claim_id of its earliest mention (published date, then claim_id)
    mentions: tuple[Mention, ...]  # earliest first
    matches: tuple[Match, ...] = ()  # past checks above the threshold, best first

    @property
    def representative(self) -> Mention:
        return self.mentions[0]

    def as_dict(self) -> dict[str, Any]:
        first = self.representative.record
        return {CLUSTER_ID: self.cluster_id, "claim": first.get("claim") or "",
                NORMALIZED_CLAIM: first.get(NORMALIZED_CLAIM) or "",
                MENTIONS: [m.record for m in self.mentions],
                "matches": [m.as_dict() for m in self.matches]}  # fmt: skip


# Text: tokens, features, guards ------------------------------------------------------------------
STOP_WORDS = frozenset("""a an the and or but if of in on at to for from by with as is are was were be been being
it its this that these those there here he she they we you i his her their our your my me him them us
has have had do does did will would shall should can could may might must than then so such also just
about into over after before under again further once all any both each few more most other some own same
very s t up down out off what which who whom whose when where why how said says say told according""".split())  # noqa: SIM905
NEGATIONS = frozenset({"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot", "without",
                       "deny", "denies", "denied", "false", "fake", "isn", "aren", "wasn", "weren", "doesn",
                       "didn", "don", "won", "hasn", "haven", "hadn", "couldn", "wouldn", "shouldn"})  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'’.-]*[A-Za-z]")


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    return _stemmer().stem(word)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from nltk.stem.porter import PorterStemmer  # rule-based: no data to download

    return PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM)


def tokens(text: str) -> list[str]:
    """Lower-cased, stemmed words without stop words: the tokenisation of matching (and of the
    BM25 baseline in benchmarks/match_bench.py)."""
    words = (w.replace("’", "'").split("'")[0] for w in _WORD.findall(text.lower()))
    return [_stem(w) for w in words if w and w not in STOP_WORDS]


def _guards(texts: Sequence[str]) -> list[Guard]:
    """(numbers, names, negated) of each text, for the near-miss guards. A name is a capitalised
    word inside a sentence, or one that starts a sentence and is never written in lower case in
    any of the texts ("Putin ruled out..." is a name, "Unemployment fell..." is not)."""
    lower = {w for t in texts for w in _WORD.findall(t) if w.islower()}
    out = []
    for text in texts:
        numbers = frozenset(n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text))
        names = set()
        for found in _NAME.finditer(text):
            word = found.group().rstrip(".").removesuffix("'s").removesuffix("’s")
            initial = not text[:found.start()].strip() or text[:found.start()].rstrip()[-1] in ".!?:;\"“‘("
            if word.lower() in STOP_WORDS or (initial and word.lower() in lower):
                continue
            names.add(word.lower())
        words = [w.replace("’", "'") for w in _WORD.findall(text.lower())]
        negated = sum(w in NEGATIONS or w.endswith("n't") for w in words) % 2 == 1
        out.append((numbers, frozenset(names), negated))
    return out


Guard = tuple[frozenset[str], frozenset[str], bool]


def _conflict(a: Guard, b: Guard) -> bool:
    """Each side has a number the other lacks, or a name the other lacks, or one is negated."""
    (na, ma, ga), (nb, mb, gb) = a, b
    return bool((na - nb) and (nb - na)) or bool((ma - mb) and (mb - ma)) or ga != gb


class _Space:
    """The TF-IDF space of a set of texts: `vectors` for scoring (L2-normalised, so a dot product
    is a cosine) and `blocks` (pruned binary words) for candidate generation."""

    def __init__(self, texts: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        words = TfidfVectorizer(analyzer=lambda t: _word_features(t), sublinear_tf=True, dtype=np.float32)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True, sublinear_tf=True,
                                min_df=1, dtype=np.float32)  # fmt: skip
        texts = [t if t.strip() else "\u2205" for t in texts]  # an empty text is a text with one odd character
        w = words.fit_transform(texts)
        c = chars.fit_transform(texts)
        self.vectors = _normalize(sp.hstack([w, c], format="csr", dtype=np.float32))
        unigrams = np.array([" " not in f for f in words.get_feature_names_out()])
        df = np.asarray((w > 0).sum(axis=0)).ravel()
        keep = unigrams & (df <= max(2, BLOCK_MAX_DF * len(texts)))
        blocks = w[:, np.flatnonzero(keep)].tocsr()
        blocks.data[:] = 1.0
        self.blocks = blocks


def _word_features(text: str) -> list[str]:
    t = tokens(text)
    return t + [f"{a} {b}" for a, b in pairwise(t)]


def _normalize(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms).dot(m).tocsr()


def _candidates(space: _Space, rows: np.ndarray, cols: np.ndarray, *, top: int = BLOCK_TOP,
                chunk: int = 2000, earlier_only: bool = False
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(row, col, score) for the `top` best-blocked candidates of each row among cols (indices in
    the space). earlier_only: rows and cols are the same list and a row only meets earlier ones."""
    out_r, out_c, out_s = [], [], []
    col_blocks = space.blocks[cols].T.tocsr()
    col_vectors = space.vectors[cols]
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        shared = (space.blocks[part] @ col_blocks).tocsr()
        if earlier_only:
            shared = _strictly_lower(shared, start)
        shared.eliminate_zeros()
        r_idx, c_idx = _top_per_row(shared, top)
        if len(r_idx) == 0:
            continue
        a = space.vectors[part[r_idx]]
        b = col_vectors[c_idx]
        scores = np.asarray(a.multiply(b).sum(axis=1)).ravel()
        out_r.append(part[r_idx])
        out_c.append(cols[c_idx])
        out_s.append(scores)
    if not out_r:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float32)
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_s)


def _strictly_lower(shared: sp.csr_matrix, start: int) -> sp.csr_matrix:
    """Keep entry (i, j) of a chunk starting at row `start` only if j < start + i."""
    coo = shared.tocoo()
    keep = coo.col < coo.row + start
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=shared.shape)


def _top_per_row(m: sp.csr_matrix, top: int) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = [], []
    for i in range(m.shape[0]):
        lo, hi = m.indptr[i], m.indptr[i + 1]
        if lo == hi:
            continue
        idx, val = m.indices[lo:hi], m.data[lo:hi]
        if hi - lo > top:
            best = np.argpartition(-val, top)[:top]
            idx = idx[best]
        rows.append(np.full(len(idx), i))
        cols.append(idx)
    if not rows:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    return np.concatenate(rows), np.concatenate(cols)


# Clustering ------------------------------------------------------------------------------------
def _order(mention: Mention) -> tuple[str, str]:
    return (mention.published or "\uffff", mention.claim_id)  # undated mentions after dated ones


def cluster_claims(records: list[dict[str, Any]], *, threshold: float = DEFAULT_THRESHOLD) -> list[Cluster]:
    """The mentions (verification records) grouped into clusters of the same claim, earliest
    cluster first. A record's claim_id appears once (the first record with it counts)."""
    seen: dict[str, Mention] = {}
    for record in records:
        seen.setdefault(str(record[CLAIM_ID]), Mention(record))
    mentions = sorted(seen.values(), key=_order)
    if not mentions:
        return []
    texts = [m.text for m in mentions]
    space = _Space(texts)
    idx = np.arange(len(mentions))
    rows, cols, scores = _candidates(space, idx, idx, earlier_only=True)
    guards = _guards(texts)
    parent = list(range(len(mentions)))
    best: dict[int, tuple[float, int]] = {}
    order = np.lexsort((cols, -scores, rows))  # per row: best score first, then the earlier mention
    for k in order:
        i, j, s = int(rows[k]), int(cols[k]), float(scores[k])
        if s < threshold or i in best or _conflict(guards[i], guards[j]):
            continue
        best[i] = (s, j)
    for i in range(len(mentions)):  # earlier first, so the target's root is final
        if i in best:
            target = best[i][1]
            root = parent[target]
            parent[i] = root if not _conflict(guards[i], guards[root]) else i
    groups: dict[int, list[Mention]] = {}
    for i, m in enumerate(mentions):
        groups.setdefault(parent[i], []).append(m)
    return [Cluster(members[0].claim_id, tuple(members)) for _, members in sorted(groups.items())]


# Matching against past checks --------------------------------------------------------------------
def score_checks(texts: Sequence[str], checks: Sequence[PastCheck], *, top: int = BLOCK_TOP
                 ) -> list[list[tuple[int, float]]]:  # fmt: skip
    """For each text, its best past checks (index into checks, score), best first. A check that
    trips a near-miss guard keeps half its score: ranked lower, rarely above a threshold."""
    if not texts or not checks:
        return [[] for _ in texts]
    space = _Space([*texts, *(c.claim for c in checks)])
    rows, cols, scores = _candidates(space, np.arange(len(texts)), np.arange(len(texts), len(texts) + len(checks)),
                                     top=top)  # fmt: skip
    guards = _guards([*texts, *(c.claim for c in checks)])
    ranked: list[list[tuple[int, float]]] = [[] for _ in texts]
    for i, j, s in zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True):
        c = j - len(texts)
        ranked[i].append((c, s * 0.5 if _conflict(guards[i], guards[j]) else s))
    for found in ranked:
        found.sort(key=lambda p: (-p[1], checks[p[0]].id))
    return ranked


def match_past(clusters: Sequence[Cluster], checks: list[PastCheck], *, threshold: float = DEFAULT_THRESHOLD
               ) -> list[Cluster]:  # fmt: skip
    """The clusters with `matches` filled: the past checks scoring at least `threshold` against any
    of the cluster's mentions (its best mention's score), best first."""
    texts, owner = [], []
    for n, cluster in enumerate(clusters):
        for m in cluster.mentions:
            texts.append(m.text)
            owner.append(n)
    ranked = score_checks(texts, checks)
    best: list[dict[int, float]] = [{} for _ in clusters]
    for n, found in zip(owner, ranked, strict=True):
        for c, s in found:
            if s >= threshold and s > best[n].get(c, -1.0):
                best[n][c] = s
    out = []
    for cluster, found in zip(clusters, best, strict=True):
        matches = sorted((Match(checks[c], round(s, 4)) for c, s in found.items()),
                         key=lambda m: (-m.score, m.check.id))  # fmt: skip
        out.append(Cluster(cluster.cluster_id, cluster.mentions, tuple(matches)))
    return out


# Reading past checks ------------------------------------------------------------------------------
def _key(text: str) -> str:
    return re.sub(r"[\s_-]+", "_", text.strip().casefold())


def rating_to_verdict(mapping: dict[str, Any]) -> dict[str, str]:
    """Published rating (casefolded, spaces as _) -> our verdict: the verdicts themselves, their
    ClaimReview alternateName, and the other taxonomies' names the mapping lists as `not_offered`."""
    verdicts = mapping.get("verdicts", {})
    table = {_key(v): v for v in verdicts}
    for v, entry in verdicts.items():
        name = (entry.get("claimreview") or {}).get("alternateName")
        if name:
            table.setdefault(_key(name), v)
    for name, entry in (mapping.get("not_offered") or {}).items():
        target = entry.get("maps_to") if isinstance(entry, dict) else None
        if target in verdicts:
            table.setdefault(_key(name), target)
    table.setdefault("pants_fire", table.get("pants_on_fire", "false"))
    return table


def read_against(path: Path, mapping: dict[str, Any], *, projects_dir: Path | None = None) -> list[PastCheck]:
    """The past checks in one file: ClaimReview JSON-LD (.jsonld, or .json holding ClaimReview), a
    table (.csv/.tsv with id, claim, verdict, organization, url), or a verification export (.json)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return _read_table(path, mapping)
    if suffix not in (".json", ".jsonld"):
        raise InputError(f"{path}: not a file of past checks (.jsonld, .json, .csv or .tsv)",
                         hint="give ClaimReview JSON-LD, a verification export, or a table with columns "
                         f"{', '.join(TABLE_COLUMNS)}")  # fmt: skip
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise unreadable(path, exc, expected="a JSON file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})", hint="fix the file, or give another") from None
    if suffix == ".jsonld" or _looks_like_claimreview(data):
        return _read_claimreview(path, data, mapping)
    return _read_verification(path, mapping, projects_dir)


def _looks_like_claimreview(data: Any) -> bool:
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and any(k in first for k in ("@type", "@graph", "@context"))


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    names = kind if isinstance(kind, list) else [kind]
    return {str(n).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for n in names if n}


def _claimreviews(data: Any, where: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every ClaimReview node with its JSON path: a single object, a list, or an @graph (nested)."""
    if isinstance(data, list):
        for n, item in enumerate(data):
            yield from _claimreviews(item, f"{where}[{n}]")
    elif isinstance(data, dict):
        if "ClaimReview" in _types(data):
            yield where, data
        elif "@graph" in data:
            yield from _claimreviews(data["@graph"], f"{where}['@graph']")


def _name(node: Any) -> str:
    if isinstance(node, list):
        return _name(node[0]) if node else ""
    if isinstance(node, dict):
        return str(node.get("name") or node.get("url") or "")
    return str(node or "")


def _read_claimreview(path: Path, data: Any, mapping: dict[str, Any]) -> list[PastCheck]:
    ratings = rating_to_verdict(mapping)
    checks, problems = [], []
    for where, node in _claimreviews(data, "$"):
        claim = node.get("claimReviewed")
        if not isinstance(claim, str) or not claim.strip():
            problems.append(f"{path}: {where}: a ClaimReview without claimReviewed (the claim's text)")
            continue
        rating = node.get("reviewRating")
        rating = rating[0] if isinstance(rating, list) and rating else rating
        name = None
        if isinstance(rating, dict):
            name = rating.get("alternateName") or rating.get("name")
            name = str(name) if name is not None else None
            if name is None and rating.get("ratingValue") is not None:
                name = f"{rating.get('ratingValue')}/{rating.get('bestRating', '?')}"
        verdict = ratings.get(_key(name)) if name else None
        url = str(node.get("url") or "")
        checks.append(PastCheck(url or f"{path.name}#{where}", claim.strip(), verdict, name, _name(node.get("author")),
                                url, "claimreview"))  # fmt: skip
    if problems:
        raise InputError("\n".join(problems), hint="each ClaimReview needs claimReviewed; fix or remove those objects")
    if not checks:
        raise InputError(f"{path}: no ClaimReview object found (a single object, a list, or an @graph of objects "
                         "with \"@type\": \"ClaimReview\")")  # fmt: skip
    return checks


def _read_table(path: Path, mapping: dict[str, Any]) -> list[PastCheck]:
    ratings = rating_to_verdict(mapping)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    except OSError as exc:
        raise unreadable(path, exc, expected="a .csv or .tsv table") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable table ({exc})") from None
    if not rows:
        raise InputError(f"{path}: empty; expected a header with {', '.join(TABLE_COLUMNS)}")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("id", "claim") if c not in header]
    if missing:
        raise InputError(f"{path}: line 1: no column {' or '.join(missing)} (header: {', '.join(rows[0])})",
                         hint=f"the first line names the columns: {', '.join(TABLE_COLUMNS)} (verdict, organization "
                         "and url may be empty)")  # fmt: skip
    col = {name: header.index(name) for name in TABLE_COLUMNS if name in header}
    checks, problems, ids = [], [], {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"{path}: line {line}: {len(row)} cell(s), the header has {len(header)}")
            continue
        cell = {name: row[i].strip() for name, i in col.items()}
        if not cell["id"] or not cell["claim"]:
            problems.append(f"{path}: line {line}: empty {'id' if not cell['id'] else 'claim'}")
            continue
        if cell["id"] in ids:
            problems.append(f"{path}: line {line}: id {cell['id']!r} already on line {ids[cell['id']]}")
            continue
        ids[cell["id"]] = line
        rating = cell.get(VERDICT) or None
        checks.append(PastCheck(cell["id"], cell["claim"], ratings.get(_key(rating)) if rating else None, rating,
                                cell.get("organization", ""), cell.get("url", ""), "table"))  # fmt: skip
    if problems:
        raise InputError("\n".join(problems), hint="fix those rows (every row needs an id and a claim)")
    return checks


def _read_verification(path: Path, mapping: dict[str, Any], projects_dir: Path | None) -> list[PastCheck]:
    from annotate.dataset.collect import read_collection
    from annotate.dataset.verdicts import verdicts_table
    from annotate.labelstudio.exports import open_exports
    from annotate.resources import shipped_projects_dir

    exports = open_exports([path], project="verification", projects_dir=projects_dir or shipped_projects_dir())
    collection = read_collection(exports).part(verification=True)
    if not collection.sentences:
        raise InputError(f"{path}: no verification task in this export",
                         hint="give an export of the verification project, ClaimReview JSON-LD or a table")  # fmt: skip
    table = verdicts_table(collection, mapping)
    checks = []
    for row in table.to_dict("records"):
        if not isinstance(row[VERDICT], str):
            continue
        rating = (mapping["verdicts"].get(row[VERDICT], {}).get("claimreview") or {}).get("alternateName")
        checks.append(PastCheck(str(row[CLAIM_ID]), str(row[NORMALIZED_CLAIM] or row["claim"] or ""), row[VERDICT],
                                rating or row[VERDICT], "", str(row[FACTCHECK_URL] or row["url"] or ""),
                                "verification"))  # fmt: skip
    return checks


# matches.jsonl ---------------------------------------------------------------------------------------
def write_matches(clusters: Iterable[Cluster], path: Path) -> Path:
    """matches.jsonl, one cluster per line, written atomically."""
    from annotate.outputs import atomic_file

    with atomic_file(path) as out:
        for cluster in clusters:
            out.write(json.dumps(cluster.as_dict(), ensure_ascii=False, default=str) + "\n")
    return path


def read_matches(path: Path) -> list[Cluster]:
    """The clusters of a matches.jsonl written by write_matches."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise unreadable(path, exc, expected="a matches.jsonl file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    clusters, problems = [], []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            clusters.append(_cluster_from(json.loads(line)))
        except ValueError as exc:
            problems.append(f"{path}: line {n}: {exc}")
        except (KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{path}: line {n}: not a cluster of matches ({type(exc).__name__}: {exc})")
    if problems:
        raise InputError("\n".join(problems), hint="make the file again with `annotate match ... -o FILE`")
    return clusters


def _cluster_from(data: Any) -> Cluster:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    mentions = data[MENTIONS]
    if not isinstance(mentions, list) or not mentions or any(not isinstance(m, dict) or CLAIM_ID not in m
                                                              for m in mentions):
        raise ValueError(f"`{MENTIONS}` must be a non-empty list of records with a {CLAIM_ID}")
    matches = tuple(
        Match(PastCheck(str(m["id"]), str(m["claim"]), m.get(VERDICT), m.get("rating"),
                        str(m.get("organization") or ""), str(m.get("url") or ""), str(m.get("origin") or "")),
              float(m["score"]))
        for m in data.get("matches") or []
    )  # fmt: skip
    return Cluster(str(data[CLUSTER_ID]), tuple(Mention(m) for m in mentions), matches)


# `annotate match` ------------------------------------------------------------------------------------
@dataclass
class MatchReport:
    clusters: list[Cluster]
    threshold: float
    checks: dict[str, int]  # --against file -> past checks read
    written: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "mentions": sum(len(c.mentions) for c in self.clusters), "clusters": len(self.clusters),
            "clusters_with_several_mentions": sum(len(c.mentions) > 1 for c in self.clusters),
            "clusters_matched": sum(bool(c.matches) for c in self.clusters), "threshold": self.threshold,
            "past_checks": self.checks, "written": str(self.written) if self.written else None,
            "matches": [{CLUSTER_ID: c.cluster_id, "claim": c.representative.text,
                         MENTIONS: [m.claim_id for m in c.mentions], "matches": [m.as_dict() for m in c.matches]}
                        for c in self.clusters],
        }  # fmt: skip

    def text(self) -> str:
        d = self.as_dict()
        lines = [f"{d['mentions']} claim mention(s) in {d['clusters']} cluster(s) "
                 f"({d['clusters_with_several_mentions']} with several mentions); "
                 f"{d['clusters_matched']} matched a past check of "
                 f"{sum(self.checks.values())} (threshold {self.threshold})"]  # fmt: skip
        for c in self.clusters:
            if len(c.mentions) < 2 and not c.matches:
                continue
            lines.append(f"{c.cluster_id}: {len(c.mentions)} mention(s): {c.representative.text}")
            lines += [f"  + {m.claim_id}: {m.text}" for m in c.mentions[1:]]
            lines += [f"  = {m.score:.2f} {m.check.verdict or '?'} ({m.check.rating or 'no rating'}) by "
                      f"{m.check.organization or 'unknown'}: {m.check.claim} {m.check.url}".rstrip() for m in c.matches]
        if self.written:
            lines.append(f"written: {self.written}")
        return "\n".join(lines)


def match(exports: Any, against: Sequence[Path] = (), *, threshold: float = DEFAULT_THRESHOLD, out: Path | None = None,
          projects_dir: Path | None = None) -> MatchReport:  # fmt: skip
    """`annotate match`: the check-worthy claims of claims exports (an ExportSet) in clusters, each
    linked to the past checks of the `against` files that score at least `threshold`. The verdict
    mapping is the verification project's in projects_dir, else the shipped one."""
    from annotate.dataset.build import verdict_options
    from annotate.dataset.collect import gc_paused, read_collection
    from annotate.dataset.verdicts import load_mapping
    from annotate.errors import UsageError
    from annotate.loop.promote import verification_records
    from annotate.outputs import refuse_overwriting_inputs
    from annotate.resources import shipped_projects_dir

    if not 0.0 < threshold <= 1.0:
        raise UsageError(f"--threshold {threshold}: give a similarity above 0 and at most 1")
    refuse_overwriting_inputs({"-o": out}, [*exports.files, *against])
    projects_dir = projects_dir or shipped_projects_dir()
    mapping = load_mapping(verdict_options(projects_dir, "strict").mapping_path)
    checks: list[PastCheck] = []
    counts: dict[str, int] = {}
    for path in against:  # read first: a bad --against file fails before the clustering work
        found = read_against(path, mapping, projects_dir=projects_dir)
        counts[str(path)] = len(found)
        checks += found
    with gc_paused(exiting=True):
        records = verification_records(read_collection(exports).part(verification=False))
    clusters = match_past(cluster_claims(records, threshold=threshold), checks, threshold=threshold)
    written = write_matches(clusters, out) if out is not None else None
    return MatchReport(clusters, threshold, counts, written)
