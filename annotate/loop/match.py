"""One claim, many mentions: cluster the gold CLAIM spans of claims exports into claims, and link
each cluster to previously verified claims (our verification exports, any ClaimReview JSON-LD, a
table).

Similarity is lexical and offline: the mean of two TF-IDF cosines, one over stemmed words (no
stop words), one over character 4-grams within words, fitted on the texts being
compared. The text of a mention is its normalised claim where there is one, else the claim span.
Three cheap guards stop near-misses that lexical similarity cannot see: two texts that each carry
a number the other lacks, or where one name is swapped for another, or of which one only is
negated, are not the same claim
("fell by 3%" / "fell by 5%", "Macron ruled out" / "Scholz ruled out", "ruled out" / "did not rule
out"). Antonyms ("rose" / "fell") pass the guards: people confirm clusters before a verdict spreads.
Such a pair never joins one cluster. A past check that trips a guard is still listed (a reader may
want it) but marked `near_miss` with the reason, and never shown as "previously checked" nor its
verdict given (annotate.loop.verification, annotate.dataset.verdicts): on CheckThat! tweets, where
a number or a name is often in one text only, dropping them cost a third of MAP@5.

Blocking: two texts are candidates only when the words they share, among those in at most
BLOCK_MAX_DF of the texts, give a cosine of at least BLOCK_FLOOR; each text keeps its best
candidates (CLUSTER_TOP earlier mentions, BLOCK_TOP past checks), so 100,000 claims meet about a
million scored pairs, not 5e9.

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
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from annotate.errors import InputError, unreadable
from annotate.vocabulary import (
    CLAIM_ID,
    CLUSTER_CONFIRMED,
    CLUSTER_ID,
    DIRECT,
    FACTCHECK_URL,
    MENTIONS,
    NEAR_MISS,
    NORMALIZED_CLAIM,
    PUBLISHED,
    VERDICT,
    VERDICT_SOURCE,
)  # fmt: skip

DEFAULT_THRESHOLD = 0.4
BLOCK_MAX_DF = 0.005  # a word in more than 0.5% of the texts (and more than BLOCK_MIN_DF) makes no candidates
BLOCK_MIN_DF = 200
BLOCK_FLOOR = 0.1  # two texts whose blocking words have a cosine below this are no candidates
BLOCK_TOP = 30  # candidates kept per text when ranking past checks
CLUSTER_TOP = 10  # and when clustering, where only the best earlier mention counts
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
    near_miss: str = ""  # why the check may be another claim (a guard it trips), or "" if none

    def as_dict(self) -> dict[str, Any]:
        c = self.check
        return {"id": c.id, "claim": c.claim, VERDICT: c.verdict, "rating": c.rating,
                "organization": c.organization, "url": c.url, "origin": c.origin, "score": self.score,
                NEAR_MISS: self.near_miss}  # fmt: skip


def confident(matches: Iterable[Match]) -> list[Match]:
    """The matches no near-miss guard doubts, best first: the ones whose verdict may be shown."""
    return [m for m in matches if not m.near_miss]


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
STOP_WORDS = frozenset(
    re.findall(
        r"\S+",
        """a an the and or but if of in on at to for from by with as is are was were be been being
it its this that these those there here he she they we you i his her their our your my me him them us
has have had do does did will would shall should can could may might must than then so such also just
about into over after before under again further once all any both each few more most other some own same
very s t up down out off what which who whom whose when where why how said says say told according""",
    )
)
NEGATIONS = frozenset({"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot", "without",
                       "deny", "denies", "denied", "refuse", "refuses", "refused", "false", "fake", "isn", "aren",
                       "wasn", "weren", "doesn", "didn", "don", "won", "hasn", "haven", "hadn", "couldn", "wouldn",
                       "shouldn"})  # fmt: skip
# Capitalised words that name no one: months, days, titles.
NOT_NAMES = frozenset(
    re.findall(
        r"\S+",
        """january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
mr mrs ms dr sen rep gov president prime minister senator governor former breaking watch update""",
    )
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # "Putin's" is putin and s (a stop word)
_NAME_PARTS = re.compile(r"[-.'’]")
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
    return [_stem(w) for w in _TOKEN.findall(text.lower()) if w not in STOP_WORDS]


Guard = tuple[frozenset[str], frozenset[str], bool]


class _Guards:
    """(numbers, names, negated) of each text, for the near-miss guards, made when first asked
    for. A name is a capitalised word inside a sentence, or one that starts a sentence and is never
    written in lower case in any of the texts ("Putin ruled out..." is a name, "Unemployment
    fell..." is not); months, days and titles are no names."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.lower = {w for w in _WORD.findall("\n".join(texts)) if w.islower()}
        self.made: dict[int, Guard] = {}

    def __getitem__(self, i: int) -> Guard:
        if i not in self.made:
            self.made[i] = self._make(self.texts[i])
        return self.made[i]

    def _make(self, text: str) -> Guard:
        numbers = frozenset(n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text))
        names = set()
        for found in _NAME.finditer(text):
            before = text[: found.start()].rstrip()
            initial = not before or before[-1] in '.!?:;"“‘(…'
            for part in _NAME_PARTS.split(found.group()):
                word = part.lower()
                if len(word) < 2 or word in STOP_WORDS or word in NOT_NAMES or (initial and word in self.lower):
                    continue
                names.add(_stem(word))
        words = [w.replace("’", "'") for w in _WORD.findall(text.lower())]
        negated = sum(w in NEGATIONS or w.endswith("n't") for w in words) % 2 == 1
        return numbers, frozenset(names), negated


def near_miss(a: Guard, b: Guard) -> str:
    """Why two texts may be different claims, or "": each side has a number the other lacks, or one
    name is swapped for another (each side has exactly one the other lacks: longer texts that differ
    in several names are left to the score), or one side only is negated."""
    (na, ma, ga), (nb, mb, gb) = a, b
    if (na - nb) and (nb - na):
        return "different numbers"
    if len(ma - mb) == 1 == len(mb - ma):
        return "another name"
    return "negated on one side" if ga != gb else ""


def _conflict(a: Guard, b: Guard) -> bool:
    return bool(near_miss(a, b))


class _Space:
    """The TF-IDF space of a set of texts: `words` (stemmed words) and `chars`
    (character 4-grams within words), each L2-normalised, so the score of two texts is the mean of
    two cosines; and `blocks` (word TF-IDF without the frequent words) for finding
    candidates."""

    def __init__(self, texts: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        # Identical texts (a claim repeated word for word) are vectorised once.
        unique, rows = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
        words = TfidfVectorizer(analyzer=tokens, sublinear_tf=True, dtype=np.float32)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), sublinear_tf=True, dtype=np.float32)
        w = _fit(words, unique)
        self.words = w[rows]  # TfidfVectorizer normalises rows (l2)
        self.chars = _fit(chars, unique)[rows]
        df = np.diff(w.tocsc().indptr)
        keep = df <= max(BLOCK_MIN_DF, BLOCK_MAX_DF * len(unique))
        self.blocks = _normalize(w[:, np.flatnonzero(keep)].tocsr())[rows]

    def pair_scores(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The scores of the pairs (a[k], b[k])."""
        total = np.zeros(len(a), dtype=np.float32)
        for m in (self.words, self.chars):
            total += np.asarray(m[a].multiply(m[b]).sum(axis=1)).ravel()
        return total / 2


def _fit(vectorizer: Any, texts: Sequence[str]) -> sp.csr_matrix:
    """The vectors of texts; none (zero columns) when the texts have no feature at all."""
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # "empty vocabulary": only stop words, or empty texts
        return sp.csr_matrix((len(texts), 0), dtype=np.float32)


def _normalize(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms).dot(m).tocsr()


def _candidates(space: _Space, rows: np.ndarray, cols: np.ndarray, *, top: int = BLOCK_TOP,
                chunk: int = 2000, earlier_only: bool = False
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(row, col, score) for the `top` best candidates by blocking similarity of each row among cols (indices in
    the space). earlier_only: rows and cols are the same list and a row only meets earlier ones."""
    out_r, out_c, out_s = [], [], []
    col_blocks = space.blocks[cols].T.tocsr()
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        if earlier_only:  # only the columns before this chunk's last row can be earlier
            shared = _strictly_lower((space.blocks[part] @ col_blocks[:, : start + len(part)]).tocsr(), start)
        else:
            shared = (space.blocks[part] @ col_blocks).tocsr()
        r_idx, c_idx = _top_per_row(shared, top, BLOCK_FLOOR)
        out_r.append(part[r_idx])
        out_c.append(cols[c_idx])
        out_s.append(space.pair_scores(out_r[-1], out_c[-1]))  # by chunk: a few MB at a time
    if not out_r:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float32)
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_s)


def _strictly_lower(shared: sp.csr_matrix, start: int) -> sp.csr_matrix:
    """Keep entry (i, j) of a chunk starting at row `start` only if j < start + i."""
    coo = shared.tocoo()
    keep = coo.col < coo.row + start
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=shared.shape)


def _top_per_row(m: sp.csr_matrix, top: int, floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the `top` largest entries of each row that are at least `floor`."""
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    keep = m.data >= floor
    rows, cols, data = rows[keep], m.indices[keep], m.data[keep]
    order = np.argsort(rows + (1.0 - np.clip(data, 0.0, 1.0)) * 0.5)  # rows in order, each largest first
    rows, cols = rows[order], cols[order]
    starts = np.searchsorted(rows, np.arange(m.shape[0]))
    rank = np.arange(len(rows)) - starts[rows]
    return rows[rank < top], cols[rank < top]


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
    rows, cols, scores = _candidates(space, idx, idx, top=CLUSTER_TOP, earlier_only=True)
    guards = _Guards(texts)
    parent = list(range(len(mentions)))
    best: dict[int, tuple[float, int]] = {}
    above = scores >= threshold
    rows, cols, scores = rows[above], cols[above], scores[above]
    order = np.lexsort((cols, -scores, rows))  # per row: best score first, then the earlier mention
    for i, j, s in zip(rows[order].tolist(), cols[order].tolist(), scores[order].tolist(), strict=True):
        if i not in best and not _conflict(guards[i], guards[j]):
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
def score_checks(texts: Sequence[str], checks: Sequence[PastCheck], *, top: int = BLOCK_TOP, guarded: bool = False,
                 floor: float = 0.0) -> list[list[tuple[int, float]]]:  # fmt: skip
    """For each text, its best past checks scoring at least `floor` (index into checks, score),
    best first. guarded: leave out the checks that trip a near-miss guard (match_past keeps them,
    marked: a ranking for a reader to look through, as CheckThat! scores it, does better with them:
    see benchmarks/RESULTS.md)."""
    if not texts or not checks:
        return [[] for _ in texts]
    space = _Space([*texts, *(c.claim for c in checks)])
    rows, cols, scores = _candidates(space, np.arange(len(texts)), np.arange(len(texts), len(texts) + len(checks)),
                                     top=top)  # fmt: skip
    above = scores >= floor
    guards = _Guards([*texts, *(c.claim for c in checks)])
    ranked: list[list[tuple[int, float]]] = [[] for _ in texts]
    for i, j, s in zip(rows[above].tolist(), cols[above].tolist(), scores[above].tolist(), strict=True):
        if not (guarded and _conflict(guards[i], guards[j])):
            ranked[i].append((j - len(texts), s))
    for found in ranked:
        found.sort(key=lambda p: (-p[1], checks[p[0]].id))
    return ranked


def match_past(clusters: Sequence[Cluster], checks: list[PastCheck], *, threshold: float = DEFAULT_THRESHOLD
               ) -> list[Cluster]:  # fmt: skip
    """The clusters with `matches` filled: the past checks scoring at least `threshold` against any
    of the cluster's mentions (its best mention's score), best first. A check is a `near_miss` when
    it trips a guard against every mention that scores the threshold (the reason of the best one)."""
    texts, owner = [], []
    for n, cluster in enumerate(clusters):
        for m in cluster.mentions:
            texts.append(m.text)
            owner.append(n)
    ranked = score_checks(texts, checks, floor=threshold)
    guards = _Guards([*texts, *(c.claim for c in checks)])
    best: list[dict[int, tuple[float, str]]] = [{} for _ in clusters]
    for i, (n, found) in enumerate(zip(owner, ranked, strict=True)):
        for c, s in found:
            if s < threshold:
                continue
            reason = near_miss(guards[i], guards[len(texts) + c])
            kept = best[n].get(c)
            # A mention no guard doubts wins over a doubted one; then the higher score.
            if kept is None or (not reason, s) > (not kept[1], kept[0]):
                best[n][c] = (s, reason)
    out = []
    for cluster, found in zip(clusters, best, strict=True):
        matches = sorted((Match(checks[c], round(s, 4), reason) for c, (s, reason) in found.items()),
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
    if "pants_on_fire" in table:  # PolitiFact writes pants-fire
        table.setdefault("pants_fire", table["pants_on_fire"])
    return table


def _numeric_verdict(rating: dict[str, Any], mapping: dict[str, Any]) -> str | None:
    """The verdict of a rating given only as a number, when it is on the mapping's scale (1-5)."""
    scale = mapping.get("claimreview_scale", {"worstRating": 1, "bestRating": 5})
    try:
        value = float(rating["ratingValue"])
        if any(float(rating.get(k, scale[k])) != float(scale[k]) for k in ("worstRating", "bestRating")):
            return None
    except (KeyError, TypeError, ValueError):
        return None
    verdicts = mapping.get("verdicts", {})
    found = [v for v, e in verdicts.items() if (e.get("claimreview") or {}).get("ratingValue") == value]
    return found[0] if len(found) == 1 else None


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
        name, verdict = None, None
        if isinstance(rating, dict):
            name = rating.get("alternateName") or rating.get("name")
            name = str(name) if name is not None else None
            verdict = ratings.get(_key(name)) if name else _numeric_verdict(rating, mapping)
            if name is None and rating.get("ratingValue") is not None:
                name = f"{rating.get('ratingValue')}/{rating.get('bestRating', '?')}"
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
    """The gold verdicts of a verification export (the `verdicts` table's rules), reviewed by the
    verification project's reviewing_organization."""
    from annotate.dataset.build import verdict_options
    from annotate.dataset.collect import read_collection
    from annotate.dataset.verdicts import verdicts_table
    from annotate.labelstudio.exports import open_exports
    from annotate.resources import shipped_projects_dir

    options = verdict_options(projects_dir or shipped_projects_dir(), "strict")  # falls back to the shipped project
    exports = open_exports([path], project="verification", projects_dir=options.mapping_path.parent.parent)
    collection = read_collection(exports).part(verification=True)
    if not collection.sentences:
        raise InputError(f"{path}: no verification task in this export",
                         hint="give an export of the verification project, ClaimReview JSON-LD or a table")  # fmt: skip
    organization = str(options.organization.get("name") or "")
    checks = []
    for row in verdicts_table(collection, mapping).to_dict("records"):
        # Only what a verifier decided: not a verdict spread to an unconfirmed mention or copied
        # from an earlier fact-check (those would come back as our own checks).
        if not isinstance(row[VERDICT], str) or row[VERDICT_SOURCE] not in (DIRECT, CLUSTER_CONFIRMED):
            continue
        rating = (mapping["verdicts"].get(row[VERDICT], {}).get("claimreview") or {}).get("alternateName")
        checks.append(PastCheck(str(row[CLAIM_ID]), str(row[NORMALIZED_CLAIM] or row["claim"] or ""), row[VERDICT],
                                rating or row[VERDICT], organization, str(row[FACTCHECK_URL] or row["url"] or ""),
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
    if (
        not isinstance(mentions, list)
        or not mentions
        or any(not isinstance(m, dict) or CLAIM_ID not in m for m in mentions)
    ):
        raise ValueError(f"`{MENTIONS}` must be a non-empty list of records with a {CLAIM_ID}")
    matches = tuple(
        Match(PastCheck(str(m["id"]), str(m["claim"]), m.get(VERDICT), m.get("rating"),
                        str(m.get("organization") or ""), str(m.get("url") or ""), str(m.get("origin") or "")),
              float(m["score"]), str(m.get(NEAR_MISS) or ""))
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
            "clusters_matched": sum(bool(c.matches) for c in self.clusters),
            "clusters_matched_confidently": sum(bool(confident(c.matches)) for c in self.clusters),
            "threshold": self.threshold,
            "past_checks": self.checks, "written": str(self.written) if self.written else None,
            "matches": [{CLUSTER_ID: c.cluster_id, "claim": c.representative.text,
                         MENTIONS: [m.claim_id for m in c.mentions], "matches": [m.as_dict() for m in c.matches]}
                        for c in self.clusters],
        }  # fmt: skip

    def text(self) -> str:
        d = self.as_dict()
        lines = [f"{d['mentions']} claim mention(s) in {d['clusters']} cluster(s) "
                 f"({d['clusters_with_several_mentions']} with several mentions); {d['clusters_matched']} "
                 f"cluster(s) match one of {sum(self.checks.values())} past check(s) "
                 f"(threshold {self.threshold})"]  # fmt: skip
        for c in self.clusters:
            if len(c.mentions) < 2 and not c.matches:
                continue
            lines.append(f"{c.cluster_id}: {len(c.mentions)} mention(s): {c.representative.text}")
            lines += [f"  + {m.claim_id}: {m.text}" for m in c.mentions[1:]]
            lines += [
                f"  = {m.score:.2f} {m.check.verdict or '?'} ({m.check.rating or 'no rating'}) by "
                f"{m.check.organization or 'unknown'}: {m.check.claim} {m.check.url}".rstrip()
                + (f" [near miss: {m.near_miss}]" if m.near_miss else "")
                for m in c.matches
            ]
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
