"""Verdict datasets from verification exports: the `verdicts` table, FEVER-style JSONL and
schema.org ClaimReview JSON-LD, through the versioned verdict mapping
(projects/verification/verdict-mapping.json).

A verification task is one cluster of mentions of the same claim (`annotate promote`); a task of
the old contract (one per claim) is a cluster of one. The table has one row per mention
(claim_id), with its cluster's verdict and where that comes from (`verdict_source`):
- direct: the task's own claim;
- cluster_confirmed: a mention the verifier who gave the verdict ticked in `same_claim`;
- cluster_rejected: a mention listed when that verdict was given and left unticked: no verdict;
- cluster_automatic: a mention promote added after that verdict was given (nobody confirmed it):
  the verdict, flagged, and left out of FEVER and ClaimReview;
- previous_factcheck: a task nobody gave a verdict whose cluster matched a past fact-check: that
  check's verdict, left out of FEVER and ClaimReview (it is another desk's work).
The gold verdict of a task follows the claim_status policy: an adjudication, else a ground-truth
annotation, else the majority (ties flagged, no gold), else the one verifier; the justification,
evidence, dates and confirmed mentions come from the annotation that gave the gold verdict.

Mapping modes: FEVER's three labels lose information for some verdicts (`lossy: true` in the
mapping, e.g. mostly_true -> SUPPORTS). `strict` leaves those claims out of fever.jsonl,
`lenient` maps them. FEVER rows are one per cluster (`cluster`, its claim the normalised claim of
the task's own claim) or one per direct or confirmed mention (`mention`). ClaimReview keeps every
verdict in both modes: its `alternateName` says the verdict exactly, and the 1-5 `ratingValue` is
given only for ordinal verdicts; one object per cluster, `itemReviewed.appearance` listing the
article of every direct or confirmed mention. ClaimReview objects are written for clusters whose
verification_state is `verified` and that have a fact-check URL (Google requires `url`); the
others are counted as skipped, with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from annotate.dataset.collect import Collection, Sentence
from annotate.dataset.gold import adjudicated_answer, gold_annotation, gold_status
from annotate.dataset.tables import write_table
from annotate.errors import ConfigError, UsageError
from annotate.labelstudio.exported.views import Annotation
from annotate.resources import shipped_projects_dir
from annotate.vocabulary import (
    ARTICLE_ID,
    CLAIM_DATE,
    CLAIM_ID,
    CLUSTER_AUTOMATIC,
    CLUSTER_CONFIRMED,
    CLUSTER_ID,
    CLUSTER_REJECTED,
    DIRECT,
    EVIDENCE_SLOTS,
    FACTCHECK_URL,
    JUSTIFICATION,
    MENTION_ADDED_AT,
    MENTIONS,
    NEAR_MISS,
    NORMALIZED_CLAIM,
    PAST_CHECKS,
    PREVIOUS_FACTCHECK,
    REFUTES_STANCE,
    SAME_CLAIM,
    SENTENCE_ID,
    SOURCE_TYPE,
    SUPPORTS_STANCE,
    VERDICT,
    VERDICT_SOURCE,
    VERDICT_SOURCES,
    VERIFICATION_STATE,
    VERIFIED,
    evidence_control,
)  # fmt: skip

MODES = ("strict", "lenient")
FEVER_ROWS = ("cluster", "mention")  # `combine --fever-rows`: one FEVER record per cluster, or per mention
PUBLISHED_SOURCES = (DIRECT, CLUSTER_CONFIRMED)  # the mentions FEVER and ClaimReview carry
NEI = "NOT ENOUGH INFO"
VERDICT_COLUMNS = [
    CLAIM_ID, CLUSTER_ID, VERDICT_SOURCE, SENTENCE_ID, ARTICLE_ID, "task_id", "claim", NORMALIZED_CLAIM,
    "source_text", SOURCE_TYPE, "sentence", "title", "url", "published", VERDICT, "verdict_rule", "tie",
    "verdict_distribution", "n_verifiers", "verified_by", VERIFICATION_STATE, JUSTIFICATION, "evidence",
    CLAIM_DATE, FACTCHECK_URL, "reviewed_at", "fever_label", "claimreview_rating", "lossy",
]  # fmt: skip


def load_mapping(path: Path | None = None) -> dict[str, Any]:
    path = path or shipped_projects_dir() / "verification" / "verdict-mapping.json"
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the verdict mapping {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(mapping.get("verdicts"), dict) or "version" not in mapping:
        raise ConfigError(f"{path}: a verdict mapping needs `version` and `verdicts`")
    return mapping


def _first(annotation: Annotation, control: str) -> str | None:
    chosen = annotation.choices(control)
    return chosen[0] if chosen else None


def evidence_of(annotation: Annotation | None) -> list[dict[str, Any]]:
    """The filled evidence slots: url, stance and excerpt."""
    found: list[dict[str, Any]] = []
    if annotation is None:
        return found
    for slot in EVIDENCE_SLOTS:
        url = annotation.text(evidence_control(slot, "url"))
        stance = _first(annotation, evidence_control(slot, "stance"))
        excerpt = annotation.text(evidence_control(slot, "excerpt"))
        if url or excerpt:
            found.append({"slot": slot, "url": url, "stance": stance, "excerpt": excerpt})
    return found


def _gold(unit: Sentence) -> tuple[str | None, str, dict[str, int], tuple[str, Annotation] | None]:
    """(verdict, rule, distribution, (who, annotation) that gave it), by the claim_status policy."""
    answers = {who: v for who, a in unit.annotations.items() if (v := _first(a, VERDICT))}
    verdict, rule, distribution = gold_status(unit.annotations, answers, adjudicated_answer(unit, VERDICT))
    return verdict, rule, distribution, gold_annotation(unit, answers, verdict, VERDICT) if verdict else None


def mentions_of(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A task's mentions, its own claim first: `mentions` of a cluster task (promote's records), or
    the task's data itself for a task of the old contract (one claim)."""
    own = data.get(CLAIM_ID)
    listed = [m for m in data.get(MENTIONS) or [] if isinstance(m, Mapping) and m.get(CLAIM_ID) is not None]
    first = [m for m in listed if m.get(CLAIM_ID) == own][:1] or [data]
    return first + [m for m in listed if m.get(CLAIM_ID) != own]


def _instant(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _source(mention: Mapping[str, Any], own: Any, confirmed: set[str], given_at: datetime | None) -> str:
    """Where a mention of a task with a gold verdict gets it from (see the module docstring)."""
    cid = mention.get(CLAIM_ID)
    if cid == own:
        return DIRECT
    if str(cid) in confirmed:
        return CLUSTER_CONFIRMED
    added = _instant(mention.get(MENTION_ADDED_AT))
    if added is not None and (given_at is None or added > given_at):
        return CLUSTER_AUTOMATIC
    return CLUSTER_REJECTED


def _past_verdict(data: Mapping[str, Any], mapping: dict[str, Any]) -> str | None:
    """The verdict (our vocabulary) of the best past fact-check the task's cluster matched, if any."""
    for check in data.get(PAST_CHECKS) or []:
        if isinstance(check, Mapping) and check.get(VERDICT) in mapping["verdicts"] and not check.get(NEAR_MISS):
            return str(check[VERDICT])
    return None


def verdicts_table(collection: Collection, mapping: dict[str, Any]) -> pd.DataFrame:
    """One row per mention (claim_id) of every verification task: see the module docstring."""
    rows: dict[str, dict[str, Any]] = {}
    for cid, unit in collection.sentences.items():
        verdict, rule, distribution, decided = _gold(unit)
        annotation = decided[1] if decided else None
        data = unit.data
        past = _past_verdict(data, mapping) if verdict is None else None
        confirmed = set(annotation.choices(SAME_CLAIM)) if annotation else set()
        given_at = _instant(annotation.updated_at) if annotation else None
        for mention in mentions_of(data):
            if verdict is not None:
                source: str | None = _source(mention, data.get(CLAIM_ID, cid), confirmed, given_at)
            else:
                source = PREVIOUS_FACTCHECK if past else None
            given = None if source == CLUSTER_REJECTED else verdict or past
            entry = mapping["verdicts"].get(given or "", {})
            shown = annotation if given and source != PREVIOUS_FACTCHECK else None
            row = {
                CLAIM_ID: str(mention.get(CLAIM_ID, cid)), CLUSTER_ID: str(data.get(CLUSTER_ID) or cid),
                VERDICT_SOURCE: source, SENTENCE_ID: mention.get(SENTENCE_ID), ARTICLE_ID: mention.get(ARTICLE_ID),
                "task_id": unit.task_id, "claim": mention.get("claim"),
                NORMALIZED_CLAIM: mention.get(NORMALIZED_CLAIM) or None,
                "source_text": mention.get("source_text") or None, SOURCE_TYPE: mention.get(SOURCE_TYPE) or None,
                "sentence": mention.get("sentence"), "title": mention.get("title") or None,
                "url": mention.get("url") or None, "published": mention.get("published") or None,
                VERDICT: given, "verdict_rule": rule,
                "tie": rule == "tie", "verdict_distribution": json.dumps(distribution, sort_keys=True),
                "n_verifiers": sum(distribution.values()), "verified_by": decided[0] if decided and shown else None,
                VERIFICATION_STATE: _first(shown, VERIFICATION_STATE) if shown else None,
                JUSTIFICATION: shown.text(JUSTIFICATION) if shown else None,
                "evidence": json.dumps(evidence_of(shown), ensure_ascii=False),
                CLAIM_DATE: shown.text(CLAIM_DATE) if shown else None,
                FACTCHECK_URL: shown.text(FACTCHECK_URL) if shown else None,
                "reviewed_at": shown.updated_at if shown else None,
                "fever_label": entry.get("fever"), "claimreview_rating": json.dumps(entry.get("claimreview"))
                if entry else None, "lossy": entry.get("lossy"),
            }  # fmt: skip
            # A claim in two tasks (clusters merged on the server): the row that says most wins.
            kept = rows.get(row[CLAIM_ID])
            if kept is None or _rank(row) < _rank(kept):
                rows[row[CLAIM_ID]] = row
    table = pd.DataFrame(list(rows.values()), columns=VERDICT_COLUMNS)
    return table.astype({"task_id": "Int64", "n_verifiers": "Int64"})


def _rank(row: dict[str, Any]) -> int:
    source = row[VERDICT_SOURCE]
    return VERDICT_SOURCES.index(source) if source in VERDICT_SOURCES else len(VERDICT_SOURCES)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if v is pd.NA or (isinstance(v, float) and v != v) else v) for k, v in row.items()}
            for row in table.to_dict("records")]  # fmt: skip


def _published(table: pd.DataFrame, skipped: Counter[str]) -> list[dict[str, Any]]:
    """The rows FEVER and ClaimReview may carry: direct and confirmed mentions with a gold verdict;
    the others are counted in `skipped` by reason (rows without a verdict, and rejected mentions,
    once per task)."""
    rows = []
    for row in _records(table):
        source = row[VERDICT_SOURCE]
        if source in PUBLISHED_SOURCES and row[VERDICT] is not None:
            rows.append(row)
        elif source == CLUSTER_AUTOMATIC:
            skipped["mention added after the verdict (cluster_automatic)"] += 1
        elif source == PREVIOUS_FACTCHECK:
            skipped["verdict of a previous fact-check"] += 1
        elif source in (None, DIRECT):
            skipped["no gold verdict"] += 1
    return rows


def _clusters(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped by cluster, in table order, the task's own claim (direct) first."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row[CLUSTER_ID], []).append(row)
    return [sorted(group, key=lambda r: r[VERDICT_SOURCE] != DIRECT) for group in found.values()]


def fever_records(table: pd.DataFrame, mode: str, rows: str = "cluster") -> tuple[list[dict[str, Any]], Counter[str]]:
    """FEVER-style records, one per cluster (id: cluster_id) or with `rows` mention one per direct or
    confirmed mention (id: claim_id): `claim` is the normalised claim (else the claim), `label` from
    the mapping; `evidence` in FEVER's nesting with the evidence URL as the document (sentence index
    null: the evidence is a web page, not a Wikipedia line), and `evidence_urls` with stance and
    excerpt. Returns (records, skipped by reason)."""
    records: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    published = _published(table, skipped)
    chosen = published if rows == "mention" else [group[0] for group in _clusters(published)]
    key = CLAIM_ID if rows == "mention" else CLUSTER_ID
    for row in chosen:
        if row["fever_label"] is None:
            skipped[f"verdict {row[VERDICT]} not in the mapping"] += 1
            continue
        if row["lossy"] and mode == "strict":
            skipped[f"lossy verdict {row[VERDICT]} (strict mode)"] += 1
            continue
        label = row["fever_label"]
        evidence = json.loads(row["evidence"])
        annotation = row[key]
        if label == NEI:
            sets = [[[annotation, None, None, None]]]
        else:
            wanted = SUPPORTS_STANCE if label == "SUPPORTS" else REFUTES_STANCE
            sets = [[[annotation, e["slot"], e["url"], None]] for e in evidence if e["stance"] == wanted and e["url"]]
        records.append({
            "id": row[key], "verifiable": "NOT VERIFIABLE" if label == NEI else "VERIFIABLE", "label": label,
            "claim": row[NORMALIZED_CLAIM] or row["claim"], "evidence": sets,
            "evidence_urls": [{k: e[k] for k in ("url", "stance", "excerpt")} for e in evidence],
            VERDICT: row[VERDICT],
        })  # fmt: skip
    return records, skipped


def _author(name: str | None, source_type: str | None) -> dict[str, Any]:
    kind = "Organization" if source_type in ("named_organization", "media_outlet") else "Person"
    return {"@type": kind, "name": name or "unknown"}


def _appearances(group: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The articles a cluster's published mentions appear in, each URL once."""
    found: dict[str, dict[str, Any]] = {}
    for row in group:
        if row["url"] and row["url"] not in found:
            found[row["url"]] = {"@type": "CreativeWork", "url": row["url"]} | (
                {"headline": row["title"]} if row["title"] else {}
            )
    return list(found.values())


def claimreview_objects(
    table: pd.DataFrame, mapping: dict[str, Any], organization: dict[str, Any]
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """One ClaimReview per verified cluster with a fact-check URL, its appearances every direct or
    confirmed mention's article. Returns (objects, skipped by reason)."""
    scale = mapping.get("claimreview_scale", {"worstRating": 1, "bestRating": 5})
    objects: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for group in _clusters(_published(table, skipped)):
        row = group[0]
        if row[VERIFICATION_STATE] != VERIFIED:
            skipped["not verified yet (verification_state)"] += 1
            continue
        if not row[FACTCHECK_URL]:
            skipped["no fact-check URL (ClaimReview requires url)"] += 1
            continue
        rating = dict(json.loads(row["claimreview_rating"] or "null") or {"alternateName": row[VERDICT]})
        if "ratingValue" in rating:
            rating |= {"bestRating": scale["bestRating"], "worstRating": scale["worstRating"]}
        item: dict[str, Any] = {"@type": "Claim", "author": _author(row["source_text"], row[SOURCE_TYPE])}
        appearances = _appearances(group)
        if appearances:
            item["appearance"] = appearances[0] if len(appearances) == 1 else appearances
        if row[CLAIM_DATE] or row["published"]:
            item["datePublished"] = str(row[CLAIM_DATE] or row["published"])[:10]
        review = {
            "@context": "https://schema.org", "@type": "ClaimReview",
            "claimReviewed": row[NORMALIZED_CLAIM] or row["claim"],
            "reviewRating": {"@type": "Rating"} | rating,
            "itemReviewed": item,
            "author": {"@type": "Organization"} | {k: v for k, v in organization.items() if k in ("name", "url")},
            "url": row[FACTCHECK_URL],
        }  # fmt: skip
        if row["reviewed_at"]:
            review["datePublished"] = str(row["reviewed_at"])[:10]
        objects.append(review)
    return objects, skipped


def write_verdicts(
    collection: Collection, out_dir: Path, *, mode: str, organization: dict[str, Any],
    formats: tuple[str, ...] = ("parquet",), mapping: dict[str, Any] | None = None, fever_rows: str = "cluster",
) -> dict[str, Any]:  # fmt: skip
    """The verdicts table and formats/fever.jsonl, formats/claimreview.jsonld. Returns a report."""
    if fever_rows not in FEVER_ROWS:
        raise UsageError(f"--fever-rows is {' or '.join(FEVER_ROWS)}, not {fever_rows!r}")
    mapping = mapping or load_mapping()
    table = verdicts_table(collection, mapping)
    written = write_table(table, out_dir, "verdicts", formats=formats)
    folder = out_dir / "formats"
    folder.mkdir(parents=True, exist_ok=True)
    fever, fever_skipped = fever_records(table, mode, fever_rows)
    path = folder / "fever.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for record in fever:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    written.append(path)
    reviews, review_skipped = claimreview_objects(table, mapping, organization)
    path = folder / "claimreview.jsonld"
    path.write_text(json.dumps(reviews, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(path)
    return {
        "claims": len(table), "clusters": int(table[CLUSTER_ID].nunique()),
        "verdicts": {k: int(v) for k, v in table[VERDICT].value_counts().items()},
        "verdict_sources": {k: int(v) for k, v in table[VERDICT_SOURCE].value_counts().items()},
        "verdict_rules": {k: int(v) for k, v in table["verdict_rule"].value_counts().items()},
        "mapping_version": mapping["version"], "mapping_mode": mode,
        "fever_rows": fever_rows, "fever": len(fever), "fever_skipped": dict(fever_skipped),
        "claimreview": len(reviews), "claimreview_skipped": dict(review_skipped),
        "written": [str(p) for p in written],
    }  # fmt: skip
