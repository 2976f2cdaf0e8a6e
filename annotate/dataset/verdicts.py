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

from annotate.dataset.collect import Collection, Sentence, choices_of
from annotate.dataset.tables import adjudicated_answer, gold_annotation, gold_status
from annotate.errors import ConfigError
from annotate.resources import shipped_projects_dir

MODES = ("strict", "lenient")
VERDICT = "verdict"
NEI = "NOT ENOUGH INFO"
EVIDENCE_SLOTS = (1, 2, 3)
VERDICT_COLUMNS = [
    "claim_id", "sentence_id", "article_id", "task_id", "claim", "normalized_claim", "source_text", "source_type",
    "sentence", "title", "url", "published", "verdict", "verdict_rule", "tie", "verdict_distribution",
    "n_verifiers", "verified_by", "verification_state", "justification", "evidence", "claim_date", "factcheck_url",
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


def _text(annotation: dict[str, Any], from_name: str) -> str | None:
    for r in annotation.get("result", []):
        if r.get("from_name") == from_name:
            value = r.get("value") or {}
            text = value.get("text")
            if isinstance(text, list):
                return "\n".join(str(t) for t in text).strip() or None
            if isinstance(value.get("datetime"), str):
                return value["datetime"][:10]
    return None


def _first(annotation: dict[str, Any], from_name: str) -> str | None:
    chosen = choices_of(annotation, from_name)
    return chosen[0] if chosen else None


def evidence_of(annotation: dict[str, Any]) -> list[dict[str, Any]]:
    """The filled evidence slots: url, stance and excerpt."""
    found = []
    for slot in EVIDENCE_SLOTS:
        url = _text(annotation, f"evidence_{slot}_url")
        stance = _first(annotation, f"evidence_{slot}_stance")
        excerpt = _text(annotation, f"evidence_{slot}_excerpt")
        if url or excerpt:
            found.append({"slot": slot, "url": url, "stance": stance, "excerpt": excerpt})
    return found


def _gold(unit: Sentence) -> tuple[str | None, str, dict[str, int], tuple[str, dict[str, Any]] | None]:
    """(verdict, rule, distribution, (who, annotation) that gave it), by the claim_status policy."""
    answers = {who: v for who, a in unit.annotations.items() if (v := _first(a, VERDICT))}
    verdict, rule, distribution = gold_status(unit.annotations, answers, adjudicated_answer(unit, VERDICT))
    return verdict, rule, distribution, gold_annotation(unit, answers, verdict, VERDICT) if verdict else None


def verdicts_table(collection: Collection, mapping: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for cid, unit in collection.sentences.items():
        verdict, rule, distribution, decided = _gold(unit)
        annotation = decided[1] if decided else {}
        entry = mapping["verdicts"].get(verdict or "", {})
        data = unit.data
        rows.append({
            "claim_id": cid, "sentence_id": data.get("sentence_id"), "article_id": data.get("article_id"),
            "task_id": unit.task_id, "claim": data.get("claim"),
            "normalized_claim": data.get("normalized_claim") or None,
            "source_text": data.get("source_text") or None, "source_type": data.get("source_type") or None,
            "sentence": data.get("sentence"), "title": data.get("title") or None, "url": data.get("url") or None,
            "published": data.get("published") or None,
            "verdict": verdict, "verdict_rule": rule, "tie": rule == "tie",
            "verdict_distribution": json.dumps(distribution, sort_keys=True),
            "n_verifiers": sum(distribution.values()), "verified_by": decided[0] if decided else None,
            "verification_state": _first(annotation, "verification_state"),
            "justification": _text(annotation, "justification"),
            "evidence": json.dumps(evidence_of(annotation), ensure_ascii=False),
            "claim_date": _text(annotation, "claim_date"), "factcheck_url": _text(annotation, "factcheck_url"),
            "reviewed_at": (annotation.get("updated_at") or annotation.get("created_at") or None),
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
        if row["verdict"] is None:
            skipped["no gold verdict"] += 1
            continue
        if row["fever_label"] is None:
            skipped[f"verdict {row['verdict']} not in the mapping"] += 1
            continue
        if row["lossy"] and mode == "strict":
            skipped[f"lossy verdict {row['verdict']} (strict mode)"] += 1
            continue
        label = row["fever_label"]
        evidence = json.loads(row["evidence"])
        annotation = row["claim_id"]
        if label == NEI:
            sets = [[[annotation, None, None, None]]]
        else:
            wanted = "supports" if label == "SUPPORTS" else "refutes"
            sets = [[[annotation, e["slot"], e["url"], None]] for e in evidence if e["stance"] == wanted and e["url"]]
        records.append({
            "id": row["claim_id"], "verifiable": "NOT VERIFIABLE" if label == NEI else "VERIFIABLE", "label": label,
            "claim": row["normalized_claim"] or row["claim"], "evidence": sets,
            "evidence_urls": [{k: e[k] for k in ("url", "stance", "excerpt")} for e in evidence],
            "verdict": row["verdict"],
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
        if row["verdict"] is None:
            skipped["no gold verdict"] += 1
            continue
        if row["verification_state"] != "verified":
            skipped["not verified yet (verification_state)"] += 1
            continue
        if not row["factcheck_url"]:
            skipped["no fact-check URL (ClaimReview requires url)"] += 1
            continue
        rating = dict(json.loads(row["claimreview_rating"] or "null") or {"alternateName": row["verdict"]})
        if "ratingValue" in rating:
            rating |= {"bestRating": scale["bestRating"], "worstRating": scale["worstRating"]}
        item: dict[str, Any] = {"@type": "Claim", "author": _author(row["source_text"], row["source_type"])}
        if row["url"]:
            item["appearance"] = {"@type": "CreativeWork", "url": row["url"]} | (
                {"headline": row["title"]} if row["title"] else {}
            )
        if row["claim_date"] or row["published"]:
            item["datePublished"] = str(row["claim_date"] or row["published"])[:10]
        review = {
            "@context": "https://schema.org", "@type": "ClaimReview",
            "claimReviewed": row["normalized_claim"] or row["claim"],
            "reviewRating": {"@type": "Rating"} | rating,
            "itemReviewed": item,
            "author": {"@type": "Organization"} | {k: v for k, v in organization.items() if k in ("name", "url")},
            "url": row["factcheck_url"],
        }  # fmt: skip
        if row["reviewed_at"]:
            review["datePublished"] = str(row["reviewed_at"])[:10]
        objects.append(review)
    return objects, skipped


def write_verdicts(
    collection: Collection, out_dir: Path, *, mode: str, organization: dict[str, Any],
    formats: tuple[str, ...] = ("parquet",), mapping_path: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The verdicts table and formats/fever.jsonl, formats/claimreview.jsonld. Returns a report."""
    from annotate.dataset.collect import write_table

    mapping = load_mapping(mapping_path)
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
        "claims": len(table), "verdicts": {k: int(v) for k, v in table["verdict"].value_counts().items()},
        "verdict_rules": {k: int(v) for k, v in table["verdict_rule"].value_counts().items()},
        "mapping_version": mapping["version"], "mapping_mode": mode,
        "fever": len(fever), "fever_skipped": dict(fever_skipped),
        "claimreview": len(reviews), "claimreview_skipped": dict(review_skipped),
        "written": [str(p) for p in written],
    }  # fmt: skip


def card_section(report: dict[str, Any]) -> list[str]:
    """The verdicts part of the dataset card."""
    return [
        "## Verdicts", "",
        f"{report['claims']} claims from verification exports; gold verdicts {json.dumps(report['verdicts'])} "
        f"decided by {json.dumps(report['verdict_rules'])}.", "",
        f"Verdict mapping version {report['mapping_version']}, **{report['mapping_mode']}** mode "
        "(strict leaves verdicts the mapping marks lossy out of FEVER; lenient maps them).", "",
        f"- `formats/fever.jsonl`: {report['fever']} claims; left out: {json.dumps(report['fever_skipped'])}.",
        f"- `formats/claimreview.jsonld`: {report['claimreview']} ClaimReview objects (schema: "
        f"`schemas/claimreview.schema.json`); left out: {json.dumps(report['claimreview_skipped'])}.", "",
    ]  # fmt: skip
