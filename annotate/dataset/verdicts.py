"""Verdict datasets from verification exports: the `verdicts` table, FEVER-style JSONL and
schema.org ClaimReview JSON-LD, through the versioned verdict mapping
(projects/verification/verdict-mapping.json).

One row per claim (claim_id). The gold verdict follows the claim_status policy: an adjudication,
else a ground-truth annotation, else the majority (ties flagged, no gold), else the one verifier;
the justification, evidence and dates come from the annotation that gave the gold verdict.

Mapping modes: FEVER's three labels lose information for some verdicts (`lossy: true` in the
mapping, e.g. mostly_true -> SUPPORTS). `strict` leaves those claims out of fever.jsonl,
`lenient` maps them. ClaimReview keeps every verdict in both modes: its `alternateName` says the
verdict exactly, and the 1-5 `ratingValue` is given only for ordinal verdicts.
ClaimReview objects are written for claims whose verification_state is `verified` and that have a
fact-check URL (Google requires `url`); the others are counted as skipped, with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from annotate.dataset.collect import Collection, Sentence
from annotate.dataset.gold import adjudicated_answer, gold_annotation, gold_status
from annotate.dataset.tables import write_table
from annotate.errors import ConfigError
from annotate.labelstudio.views import Annotation
from annotate.resources import shipped_projects_dir
from annotate.vocabulary import (
    ARTICLE_ID,
    CLAIM_DATE,
    CLAIM_ID,
    EVIDENCE_SLOTS,
    FACTCHECK_URL,
    JUSTIFICATION,
    NORMALIZED_CLAIM,
    REFUTES_STANCE,
    SENTENCE_ID,
    SOURCE_TYPE,
    SUPPORTS_STANCE,
    VERDICT,
    VERIFICATION_STATE,
    VERIFIED,
    evidence_control,
)  # fmt: skip

MODES = ("strict", "lenient")
NEI = "NOT ENOUGH INFO"
VERDICT_COLUMNS = [
    CLAIM_ID, SENTENCE_ID, ARTICLE_ID, "task_id", "claim", NORMALIZED_CLAIM, "source_text", SOURCE_TYPE,
    "sentence", "title", "url", "published", VERDICT, "verdict_rule", "tie", "verdict_distribution",
    "n_verifiers", "verified_by", VERIFICATION_STATE, JUSTIFICATION, "evidence", CLAIM_DATE, FACTCHECK_URL,
    "reviewed_at", "fever_label", "claimreview_rating", "lossy",
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


def verdicts_table(collection: Collection, mapping: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for cid, unit in collection.sentences.items():
        verdict, rule, distribution, decided = _gold(unit)
        annotation = decided[1] if decided else None
        entry = mapping["verdicts"].get(verdict or "", {})
        data = unit.data
        rows.append({
            CLAIM_ID: cid, SENTENCE_ID: data.get(SENTENCE_ID), ARTICLE_ID: data.get(ARTICLE_ID),
            "task_id": unit.task_id, "claim": data.get("claim"),
            NORMALIZED_CLAIM: data.get(NORMALIZED_CLAIM) or None,
            "source_text": data.get("source_text") or None, SOURCE_TYPE: data.get(SOURCE_TYPE) or None,
            "sentence": data.get("sentence"), "title": data.get("title") or None, "url": data.get("url") or None,
            "published": data.get("published") or None,
            VERDICT: verdict, "verdict_rule": rule, "tie": rule == "tie",
            "verdict_distribution": json.dumps(distribution, sort_keys=True),
            "n_verifiers": sum(distribution.values()), "verified_by": decided[0] if decided else None,
            VERIFICATION_STATE: _first(annotation, VERIFICATION_STATE) if annotation else None,
            JUSTIFICATION: annotation.text(JUSTIFICATION) if annotation else None,
            "evidence": json.dumps(evidence_of(annotation), ensure_ascii=False),
            CLAIM_DATE: annotation.text(CLAIM_DATE) if annotation else None,
            FACTCHECK_URL: annotation.text(FACTCHECK_URL) if annotation else None,
            "reviewed_at": annotation.updated_at if annotation else None,
            "fever_label": entry.get("fever"), "claimreview_rating": json.dumps(entry.get("claimreview"))
            if entry else None, "lossy": entry.get("lossy"),
        })  # fmt: skip
    table = pd.DataFrame(rows, columns=VERDICT_COLUMNS)
    return table.astype({"task_id": "Int64", "n_verifiers": "Int64"})


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if v is pd.NA or (isinstance(v, float) and v != v) else v) for k, v in row.items()}
            for row in table.to_dict("records")]  # fmt: skip


def fever_records(table: pd.DataFrame, mode: str) -> tuple[list[dict[str, Any]], Counter[str]]:
    """FEVER-style records: `claim` is the normalised claim (else the claim), `label` from the
    mapping; `evidence` in FEVER's nesting with the evidence URL as the document (sentence index
    null: the evidence is a web page, not a Wikipedia line), and `evidence_urls` with stance and
    excerpt. Returns (records, skipped by reason)."""
    records, skipped = [], Counter()
    for row in _records(table):
        if row[VERDICT] is None:
            skipped["no gold verdict"] += 1
            continue
        if row["fever_label"] is None:
            skipped[f"verdict {row[VERDICT]} not in the mapping"] += 1
            continue
        if row["lossy"] and mode == "strict":
            skipped[f"lossy verdict {row[VERDICT]} (strict mode)"] += 1
            continue
        label = row["fever_label"]
        evidence = json.loads(row["evidence"])
        annotation = row[CLAIM_ID]
        if label == NEI:
            sets = [[[annotation, None, None, None]]]
        else:
            wanted = SUPPORTS_STANCE if label == "SUPPORTS" else REFUTES_STANCE
            sets = [[[annotation, e["slot"], e["url"], None]] for e in evidence if e["stance"] == wanted and e["url"]]
        records.append({
            "id": row[CLAIM_ID], "verifiable": "NOT VERIFIABLE" if label == NEI else "VERIFIABLE", "label": label,
            "claim": row[NORMALIZED_CLAIM] or row["claim"], "evidence": sets,
            "evidence_urls": [{k: e[k] for k in ("url", "stance", "excerpt")} for e in evidence],
            VERDICT: row[VERDICT],
        })  # fmt: skip
    return records, skipped


def _author(name: str | None, source_type: str | None) -> dict[str, Any]:
    kind = "Organization" if source_type in ("named_organization", "media_outlet") else "Person"
    return {"@type": kind, "name": name or "unknown"}


def claimreview_objects(
    table: pd.DataFrame, mapping: dict[str, Any], organization: dict[str, Any]
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """One ClaimReview per verified claim with a fact-check URL. Returns (objects, skipped by reason)."""
    scale = mapping.get("claimreview_scale", {"worstRating": 1, "bestRating": 5})
    objects, skipped = [], Counter()
    for row in _records(table):
        if row[VERDICT] is None:
            skipped["no gold verdict"] += 1
            continue
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
        if row["url"]:
            item["appearance"] = {"@type": "CreativeWork", "url": row["url"]} | (
                {"headline": row["title"]} if row["title"] else {}
            )
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
    formats: tuple[str, ...] = ("parquet",), mapping: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The verdicts table and formats/fever.jsonl, formats/claimreview.jsonld. Returns a report."""
    mapping = mapping or load_mapping()
    table = verdicts_table(collection, mapping)
    written = write_table(table, out_dir, "verdicts", formats=formats)
    folder = out_dir / "formats"
    folder.mkdir(parents=True, exist_ok=True)
    fever, fever_skipped = fever_records(table, mode)
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
        "claims": len(table), "verdicts": {k: int(v) for k, v in table[VERDICT].value_counts().items()},
        "verdict_rules": {k: int(v) for k, v in table["verdict_rule"].value_counts().items()},
        "mapping_version": mapping["version"], "mapping_mode": mode,
        "fever": len(fever), "fever_skipped": dict(fever_skipped),
        "claimreview": len(reviews), "claimreview_skipped": dict(review_skipped),
        "written": [str(p) for p in written],
    }  # fmt: skip
