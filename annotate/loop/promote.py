"""Claims to verification: every CLAIM span of a sentence whose gold claim_status is
claim_checkworthy becomes one task of the verification project.

The spans are those of the sentence's gold annotation (datasets.gold_annotation: the adjudication,
else a ground-truth annotation, else the first annotator who chose the gold answer), so two
annotators marking the same claim give one task. A claim's id is `<sentence_id>/<start>-<end>`
(character offsets in the sentence), so loading is idempotent by claim_id: a rerun creates nothing,
and a claim whose text, normalised form or source changed is reported, not overwritten (it may
already be verified).
"""

from __future__ import annotations

from typing import Any

from annotate.dataset.collect import Collection, label_regions
from annotate.dataset.tables import Gold, gold_annotation, golds, region_answers, region_links

CHECKWORTHY = "claim_checkworthy"
# The fields `load` compares to report a changed claim.
COMPARED = ("claim", "normalized_claim", "source_text", "source_type", "sentence")


def claim_id(sentence_id: str, start: int, end: int) -> str:
    return f"{sentence_id}/{start}-{end}"


def _context(data: dict[str, Any]) -> str:
    """The sentence in its passage: the units before and after it in the article."""
    parts = [data.get("context_before"), data.get("text"), data.get("context_after")]
    return " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())


def verification_records(collection: Collection, gold_by: Gold | None = None) -> list[dict[str, Any]]:
    """One verification task record per CLAIM span of each check-worthy sentence."""
    gold_by = gold_by if gold_by is not None else golds(collection)
    status = collection.claim_status
    records = []
    for sid, sentence in collection.sentences.items():
        gold, rule, _ = gold_by[sid]
        if gold != CHECKWORTHY:
            continue
        chosen = gold_annotation(sentence, status[sid], gold)
        if chosen is None:
            continue
        who, annotation = chosen
        regions = label_regions(annotation)
        links, answers = region_links(annotation), region_answers(annotation)
        data = sentence.data
        offset = data.get("char_start") if isinstance(data.get("char_start"), int) else None
        for rid, region in regions.items():
            value = region.get("value") or {}
            if "CLAIM" not in (value.get("labels") or []):
                continue
            start, end = value["start"], value["end"]
            source = regions.get(links.get(("attributed_to", rid)), {})
            source_value = source.get("value") or {}
            records.append({
                "claim_id": claim_id(sid, start, end),
                "claim": value.get("text") or str(data.get("text", ""))[start:end],
                "normalized_claim": answers.get("normalized_claim", {}).get(rid) or "",
                "source_text": source_value.get("text") or "",
                "source_type": answers.get("source_type", {}).get(source.get("id", "")) or "",
                "sentence": data.get("text") or "",
                "context": _context(data),
                "title": data.get("title") or "",
                "url": data.get("url") or "",
                "published": data.get("published") or "",
                "article_id": data.get("article_id"),
                "sentence_id": sid,
                "claim_start": start,
                "claim_end": end,
                "article_start": offset + start if offset is not None else None,
                "article_end": offset + end if offset is not None else None,
                "claim_marked_by": who,
                "claim_status_rule": rule,
            })  # fmt: skip
    return records
