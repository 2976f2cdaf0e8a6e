"""One claim, many mentions: cluster the gold CLAIM spans of claims exports into claims, and link
each cluster to previously verified claims (our verification exports, any ClaimReview JSON-LD, a
table, an index from `annotate index`).

Similarity (annotate.loop.similarity, settings in annotate.loop.fusion): fused, an embedding
model's cosine with the lexical score (two TF-IDF cosines), where a model is installed or given;
lexical alone otherwise. The text of a mention is its normalised claim where there is one, else the
claim span, cleaned (similarity.clean_text). Three guards stop near-misses that similarity cannot
see: a number on each side only, one name swapped for another, a negation on one side only ("fell
by 3%" / "fell by 5%", "Macron ruled out" / "Scholz ruled out", "ruled out" / "did not rule out");
names and negations count only within one language (each language's own negations:
annotate.loop.lexicon), and two texts in two languages never make one cluster nor a safe match.
Antonyms ("rose" / "fell") pass the guards: people confirm clusters before a verdict spreads.

Past checks: a cluster's `matches` are the checks from the safe cut that no guard doubts, in the
claim's language: "previously checked", their verdict may be shown. Its `candidates` are the best
others, each with the reason it is not safe, for a person to compare; their verdict is never given
(annotate.loop.verification, annotate.dataset.verdicts).

Clusters: mentions are taken earliest first (published date, then claim_id); each joins the cluster
of its most similar earlier mention above the threshold. So the cluster_id (the claim_id of the
cluster's earliest mention) does not depend on the input order, and a later mention never moves
earlier ones to another cluster. Candidate pairs come from blocking and nearest neighbours
(similarity._candidates), CLUSTER_TOP earlier mentions and BLOCK_TOP past checks a text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotate.errors import InputError
from annotate.inputs import Problem, Warn, problems_error, read_jsonl
from annotate.loop.embeddings import PASSAGE, QUERY
from annotate.loop.fusion import LEXICAL, Semantic, Settings, language_of, same_language, settings_for
from annotate.loop.lexicon import resolve
from annotate.loop.pastchecks import PastCheck, read_past_files, with_language
from annotate.loop.similarity import (
    BLOCK_TOP,
    CLUSTER_TOP,
    _candidates,
    _conflict,
    _Guards,
    _Space,
    clean_text,
    near_miss,
)  # fmt: skip
from annotate.vocabulary import (
    CLAIM_ID,
    CLUSTER_ID,
    MENTIONS,
    NEAR_MISS,
    NORMALIZED_CLAIM,
    PUBLISHED,
    VERDICT,
)  # fmt: skip

DEFAULT_THRESHOLD = LEXICAL.cluster_threshold
CANDIDATES = "candidates"
CANDIDATE_COUNT = 5  # candidates kept a cluster
CANDIDATE_FLOOR = 0.2  # and the lowest score a candidate may have
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
class Match:
    check: PastCheck
    score: float
    near_miss: str = ""  # why the check may be another claim (a guard it trips), or "" if none

    def as_dict(self) -> dict[str, Any]:
        c = self.check
        return {"id": c.id, "claim": c.claim, VERDICT: c.verdict, "rating": c.rating,
                "organization": c.organization, "url": c.url, "origin": c.origin, "score": self.score,
                NEAR_MISS: self.near_miss, "title": c.title, "date": c.date, "language": c.language}  # fmt: skip


def confident(matches: Iterable[Match]) -> list[Match]:
    """The matches no near-miss guard doubts, best first: the ones whose verdict may be shown."""
    return [m for m in matches if not m.near_miss]


@dataclass(frozen=True)
class Cluster:
    cluster_id: str  # the claim_id of its earliest mention (published date, then claim_id)
    mentions: tuple[Mention, ...]  # earliest first
    matches: tuple[Match, ...] = ()  # past checks from the safe cut ("previously checked"), best first
    candidates: tuple[Match, ...] = ()  # the best CANDIDATES others, for a person to look at: no verdict given

    @property
    def representative(self) -> Mention:
        return self.mentions[0]

    def as_dict(self) -> dict[str, Any]:
        first = self.representative.record
        return {CLUSTER_ID: self.cluster_id, "claim": first.get("claim") or "",
                NORMALIZED_CLAIM: first.get(NORMALIZED_CLAIM) or "",
                MENTIONS: [m.record for m in self.mentions],
                "matches": [m.as_dict() for m in self.matches],
                CANDIDATES: [m.as_dict() for m in self.candidates]}  # fmt: skip


# Clustering ------------------------------------------------------------------------------------
def _order(mention: Mention) -> tuple[str, str]:
    return (mention.published or "\uffff", mention.claim_id)  # undated mentions after dated ones


def cluster_claims(records: list[dict[str, Any]], *, threshold: float | None = None,
                   semantic: Semantic | None = None, settings: Settings | None = None) -> list[Cluster]:  # fmt: skip
    """The mentions (verification records) grouped into clusters of the same claim, earliest
    cluster first. A record's claim_id appears once (the first record with it counts). semantic:
    the fused score (else lexical); threshold: its settings' cluster threshold unless given."""
    settings = settings or settings_for(semantic)
    threshold = settings.cluster_threshold if threshold is None else threshold
    seen: dict[str, Mention] = {}
    for record in records:
        seen.setdefault(str(record[CLAIM_ID]), Mention(record))
    mentions = sorted(seen.values(), key=_order)
    if not mentions:
        return []
    texts = [clean_text(m.text) for m in mentions]
    dense = semantic.vectors(texts, QUERY) if semantic is not None else None
    languages = [language_of(t) for t in texts]
    words_in = resolve(languages)  # a text too short to tell is read in the common language
    space = _Space(texts, dense, settings.weight, settings.cosine_floor, words_in)
    idx = np.arange(len(mentions))
    rows, cols, scores = _candidates(space, idx, idx, top=CLUSTER_TOP, earlier_only=True)
    guards = _Guards(texts, words_in)

    def conflict(i: int, j: int) -> bool:
        # Antonyms and other languages are left to people: a pair in two languages never merges here.
        return not same_language(languages[i], languages[j]) or _conflict(guards[i], guards[j])

    parent = list(range(len(mentions)))
    best: dict[int, tuple[float, int]] = {}
    above = scores >= threshold
    rows, cols, scores = rows[above], cols[above], scores[above]
    order = np.lexsort((cols, -scores, rows))  # per row: best score first, then the earlier mention
    for i, j, s in zip(rows[order].tolist(), cols[order].tolist(), scores[order].tolist(), strict=True):
        if i not in best and not conflict(i, j):
            best[i] = (s, j)
    for i in range(len(mentions)):  # earlier first, so the target's root is final
        if i in best:
            target = best[i][1]
            root = parent[target]
            parent[i] = root if not conflict(i, root) else i
    groups: dict[int, list[Mention]] = {}
    for i, m in enumerate(mentions):
        groups.setdefault(parent[i], []).append(m)
    return [Cluster(members[0].claim_id, tuple(members)) for _, members in sorted(groups.items())]


# Matching against past checks --------------------------------------------------------------------
def reading_languages(texts: Sequence[str], checks: Sequence[PastCheck]) -> list[str]:
    """The language each text and then each check is read in (annotate.loop.lexicon): a text's
    detected, a check's as match_texts takes it (given, else its claim's), so each is detected once;
    one too short to tell takes the common language."""
    return resolve([*(language_of(t) for t in texts), *(with_language(c).language for c in checks)])


def score_checks(texts: Sequence[str], checks: Sequence[PastCheck], *, top: int = BLOCK_TOP, guarded: bool = False,
                 floor: float = 0.0, semantic: Semantic | None = None, check_vectors: np.ndarray | None = None,
                 weight: float | None = None, cosine_floor: float | None = None
                 ) -> list[list[tuple[int, float]]]:  # fmt: skip
    """For each text, its best past checks scoring at least `floor` (index into checks, score),
    best first. guarded: leave out the checks that trip a near-miss guard (match_past keeps them,
    marked: a ranking for a reader to look through, as CheckThat! scores it, does better with them:
    see benchmarks/RESULTS.md). semantic: fused scores (the texts embedded as queries, the checks as
    passages, or `check_vectors` where an index has them); weight: its settings' unless given."""
    if not texts or not checks:
        return [[] for _ in texts]
    texts = [clean_text(t) for t in texts]
    dense = None
    if semantic is not None:
        if check_vectors is None:
            check_vectors = semantic.vectors([clean_text(c.indexed_text) for c in checks], PASSAGE)
        dense = np.vstack([semantic.vectors(texts, QUERY), check_vectors])
    weight = settings_for(semantic).weight if weight is None else weight
    cosine_floor = settings_for(semantic).cosine_floor if cosine_floor is None else cosine_floor
    words_in = reading_languages(texts, checks)
    space = _Space([*texts, *(clean_text(c.indexed_text) for c in checks)], dense, weight, cosine_floor, words_in)
    rows, cols, scores = _candidates(space, np.arange(len(texts)), np.arange(len(texts), len(texts) + len(checks)),
                                     top=top)  # fmt: skip
    above = scores >= floor
    guards = _Guards([*texts, *(clean_text(c.claim) for c in checks)], words_in) if guarded else None
    ranked: list[list[tuple[int, float]]] = [[] for _ in texts]
    for i, j, s in zip(rows[above].tolist(), cols[above].tolist(), scores[above].tolist(), strict=True):
        if guards is None or not _conflict(guards[i], guards[j]):
            ranked[i].append((j - len(texts), s))
    for found in ranked:
        found.sort(key=lambda p: (-p[1], checks[p[0]].id))
    return ranked


def match_texts(texts: Sequence[str], checks: Sequence[PastCheck], *, settings: Settings = LEXICAL,
                semantic: Semantic | None = None, check_vectors: np.ndarray | None = None
                ) -> list[list[Match]]:  # fmt: skip
    """Each plain text's past checks from CANDIDATE_FLOOR (from the safe cut if that is lower),
    best first, each marked with why it may be another claim (`near_miss`: a guard it trips, or
    another language). What `match` and `triage` share: split with `safe_and_candidates`."""
    texts = [clean_text(t) for t in texts]
    ranked = score_checks(texts, checks, floor=min(CANDIDATE_FLOOR, settings.safe_cut), semantic=semantic,
                          check_vectors=check_vectors, weight=settings.weight,
                          cosine_floor=settings.cosine_floor)  # fmt: skip
    languages = [with_language(c).language for c in checks]
    known = [language_of(t) for t in texts]
    guards = _Guards([*texts, *(clean_text(c.claim) for c in checks)], resolve([*known, *languages]))
    out = []
    for i, found in enumerate(ranked):
        language = known[i]
        matches = []
        for c, s in found:
            same = same_language(language, languages[c])
            reason = near_miss(guards[i], guards[len(texts) + c], same_language=same) or (
                "" if same else "another language: a person confirms"
            )
            matches.append(Match(checks[c], round(s, 4), reason))
        out.append(matches)
    return out


def safe_and_candidates(found: Iterable[Match], settings: Settings) -> tuple[tuple[Match, ...], tuple[Match, ...]]:
    """(matches, candidates): the checks from the safe cut that no guard doubts ("previously
    checked", best first), and the best CANDIDATE_COUNT others, for a person to look at."""
    ordered = sorted(found, key=lambda m: (-m.score, m.check.id))
    safe = tuple(m for m in ordered if m.score >= settings.safe_cut and not m.near_miss)
    rest = tuple(m for m in ordered if m.score < settings.safe_cut or m.near_miss)[:CANDIDATE_COUNT]
    return safe, rest


def match_past(clusters: Sequence[Cluster], checks: list[PastCheck], *, settings: Settings = LEXICAL,
               semantic: Semantic | None = None, check_vectors: np.ndarray | None = None) -> list[Cluster]:  # fmt: skip
    """The clusters with their past checks (match_texts of their mentions, split by
    safe_and_candidates). A check's score is its best mention's; a mention no guard doubts wins over
    a doubted one."""
    texts = [m.text for cluster in clusters for m in cluster.mentions]
    found = iter(match_texts(texts, checks, settings=settings, semantic=semantic, check_vectors=check_vectors))
    out = []
    for cluster in clusters:
        best: dict[int, Match] = {}  # by the check (object): two inputs may use one id
        for _ in cluster.mentions:
            for m in next(found):
                kept = best.get(id(m.check))
                if kept is None or (not m.near_miss, m.score) > (not kept.near_miss, kept.score):
                    best[id(m.check)] = m
        safe, rest = safe_and_candidates(best.values(), settings)
        out.append(Cluster(cluster.cluster_id, cluster.mentions, safe, rest))
    return out


# matches.jsonl ---------------------------------------------------------------------------------------
def write_matches(clusters: Iterable[Cluster], path: Path) -> Path:
    """matches.jsonl, one cluster per line, written atomically."""
    from annotate.outputs import atomic_file

    with atomic_file(path) as out:
        for cluster in clusters:
            out.write(json.dumps(cluster.as_dict(), ensure_ascii=False, default=str) + "\n")
    return path


def read_matches(path: Path, *, warn: Warn | None = None) -> list[Cluster]:
    """The clusters of a matches.jsonl written by write_matches; InputError listing every bad line.
    warn: told of strings whose lone surrogates or NUL characters became U+FFFD (annotate.inputs)."""
    found = read_jsonl(path, expected="a matches.jsonl file", warn=warn)
    clusters, problems = [], list(found.problems)
    for line in found.lines:
        where = f"{path}: line {line.number}"
        try:
            clusters.append(_cluster_from(line.value))
        except ValueError as exc:
            problems.append(Problem(line.number, f"{where}: {exc}"))
        except (KeyError, TypeError, AttributeError) as exc:
            problems.append(Problem(line.number, f"{where}: not a cluster of matches ({type(exc).__name__}: {exc})"))
    if problems:
        raise problems_error(problems, hint="make the file again with `annotate match ... -o FILE`")
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
    matches, candidates = (tuple(
        Match(PastCheck(str(m["id"]), str(m["claim"]), m.get(VERDICT), m.get("rating"),
                        str(m.get("organization") or ""), str(m.get("url") or ""), str(m.get("origin") or ""),
                        title=str(m.get("title") or ""), date=str(m.get("date") or ""),
                        language=str(m.get("language") or "")),
              float(m["score"]), str(m.get(NEAR_MISS) or ""))
        for m in data.get(key) or []
    ) for key in ("matches", CANDIDATES))  # fmt: skip
    return Cluster(str(data[CLUSTER_ID]), tuple(Mention(m) for m in mentions), matches, candidates)


# `annotate match` ------------------------------------------------------------------------------------
LEGEND = ("How to read this: each claim starts with its id (the claim_id of its earliest mention) and text; "
          "'+' lines are other mentions of the same claim; 'PREVIOUSLY CHECKED' lines are past checks that match "
          "it safely, with their verdict; 'maybe' lines are candidates to compare before using them (no verdict is "
          "taken from them), with the reason they are not safe; 'nothing found': no past check came near.")  # fmt: skip


def _why_not_safe(m: Match, settings: Settings) -> str:
    return m.near_miss or f"score below the safe cut {settings.safe_cut}"


def _check_line(m: Match) -> str:
    c = m.check
    when = ", ".join(x for x in (c.date, c.language) if x)
    return (f'"{c.claim}" by {c.organization or "unknown"}' + (f" ({when})" if when else "")
            + (f" {c.url}" if c.url else ""))  # fmt: skip


@dataclass
class MatchReport:
    clusters: list[Cluster]
    threshold: float
    checks: dict[str, int]  # --against file or index -> past checks read
    settings: Settings = LEXICAL
    model: dict[str, str] | None = None  # the embedding model, None when lexical
    written: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "mentions": sum(len(c.mentions) for c in self.clusters), "clusters": len(self.clusters),
            "clusters_with_several_mentions": sum(len(c.mentions) > 1 for c in self.clusters),
            "clusters_matched": sum(bool(c.matches) for c in self.clusters),
            "clusters_with_candidates_only": sum(bool(c.candidates) and not c.matches for c in self.clusters),
            "threshold": self.threshold, "safe_cut": self.settings.safe_cut, "weight": self.settings.weight,
            "similarity": "fused" if self.model else "lexical", "model": self.model,
            "past_checks": self.checks, "written": str(self.written) if self.written else None,
            "matches": [{CLUSTER_ID: c.cluster_id, "claim": c.representative.text,
                         MENTIONS: [m.claim_id for m in c.mentions], "matches": [m.as_dict() for m in c.matches],
                         CANDIDATES: [m.as_dict() for m in c.candidates]}
                        for c in self.clusters],
        }  # fmt: skip

    def text(self) -> str:
        d = self.as_dict()
        how = (f"fused similarity ({self.model['model']} {self.model['version']}, weight {self.settings.weight} on "
               "the embedding cosine)" if self.model else "lexical similarity")  # fmt: skip
        nothing = d["clusters"] - d["clusters_matched"] - d["clusters_with_candidates_only"]
        lines = [f"{d['mentions']} claim mention(s) in {d['clusters']} claim(s) "
                 f"({d['clusters_with_several_mentions']} with several mentions) against "
                 f"{sum(self.checks.values())} past check(s): {d['clusters_matched']} previously checked, "
                 f"{d['clusters_with_candidates_only']} with candidates only, {nothing} with nothing found.",
                 f"Scores are {how}: mentions are one claim from {self.threshold}; a past check is previously "
                 f"checked from {self.settings.safe_cut}.", LEGEND, ""]  # fmt: skip
        for c in self.clusters:
            lines.append(f"{c.cluster_id}: {c.representative.text}")
            lines += [f"  + {m.claim_id}: {m.text}" for m in c.mentions[1:]]
            lines += [f"  PREVIOUSLY CHECKED {m.score:.2f}: {m.check.verdict or 'no verdict of ours'} "
                      f"({m.check.rating or 'no rating'}): {_check_line(m)}" for m in c.matches]  # fmt: skip
            lines += [f"  maybe {m.score:.2f} ({_why_not_safe(m, self.settings)}): {_check_line(m)}"
                      for m in c.candidates]  # fmt: skip
            if not c.matches and not c.candidates:
                lines.append("  nothing found")
        if self.written:
            lines.append(f"written: {self.written}")
        return "\n".join(lines)


def read_past(against: Sequence[Path], mapping: dict[str, Any], *, projects_dir: Path, semantic: Semantic | None
              ) -> tuple[list[PastCheck], np.ndarray | None, dict[str, int]]:  # fmt: skip
    """The past checks of files and indexes, with their vectors (None when lexical); counts by input.
    Every input is read and every problem reported together."""
    from annotate.loop.pastindex import is_index, load_index

    checks: list[PastCheck] = []
    vectors: list[np.ndarray] = []
    counts: dict[str, int] = {}
    problems: list[str] = []
    files = []
    for path in against:
        if is_index(path):
            try:
                index = load_index(path, semantic=semantic)
            except InputError as exc:
                problems.append(exc.message)
                continue
            checks += index.checks
            if index.vectors is not None:
                vectors.append(index.vectors)
            counts[str(path)] = len(index.checks)
        else:
            files.append(path)
    try:
        found = read_past_files(files, mapping, projects_dir=projects_dir)
    except InputError as exc:
        problems.append(exc.message)
    if problems:
        raise InputError("\n".join(problems), hint="fix or leave out those inputs; nothing was matched")
    for path, read in found.items():
        read = [with_language(c) for c in read]
        counts[str(path)] = len(read)
        checks += read
        if semantic is not None:
            vectors.append(semantic.vectors([clean_text(c.indexed_text) for c in read], PASSAGE))
    dense = np.vstack(vectors) if semantic is not None and vectors else None
    return checks, dense, counts


def match(exports: Any, against: Sequence[Path] = (), *, threshold: float | None = None, out: Path | None = None,
          projects_dir: Path | None = None, semantic: Semantic | None = None) -> MatchReport:  # fmt: skip
    """`annotate match`: the check-worthy claims of claims exports (an ExportSet) in clusters, each
    with the past checks of the `against` files and indexes: matches from the safe cut, candidates
    below it. semantic: fused similarity with that model (else lexical). The verdict mapping is the
    verification project's in projects_dir, else the shipped one."""
    from annotate.dataset.build import verdict_options
    from annotate.dataset.collect import gc_paused, read_collection
    from annotate.dataset.verdicts import load_mapping
    from annotate.errors import UsageError
    from annotate.loop.promote import verification_records
    from annotate.outputs import refuse_overwriting_inputs
    from annotate.resources import shipped_projects_dir

    settings = settings_for(semantic)
    threshold = settings.cluster_threshold if threshold is None else threshold
    if not 0.0 < threshold <= 1.0:
        raise UsageError(f"--threshold {threshold}: give a similarity above 0 and at most 1")
    refuse_overwriting_inputs({"-o": out}, [*exports.files, *against])
    projects_dir = projects_dir or shipped_projects_dir()
    mapping = load_mapping(verdict_options(projects_dir, "strict").mapping_path)
    # Read first: a bad --against input fails before the clustering work.
    checks, check_vectors, counts = read_past(against, mapping, projects_dir=projects_dir, semantic=semantic)
    with gc_paused(exiting=True):
        records = verification_records(read_collection(exports).part(verification=False))
    clusters = cluster_claims(records, threshold=threshold, semantic=semantic)
    clusters = match_past(clusters, checks, settings=settings, semantic=semantic, check_vectors=check_vectors)
    written = write_matches(clusters, out) if out is not None else None
    return MatchReport(clusters, threshold, counts, settings, semantic.model if semantic else None, written)
