"""Claims to verification, part one: the mentions. Every CLAIM span of a sentence whose gold
claim_status is claim_checkworthy is a mention, as a verification record.

The spans are those of the sentence's gold annotation (datasets.gold_annotation: the adjudication,
else a ground-truth annotation, else the first annotator who chose the gold answer), so two
annotators marking the same claim give one mention. A claim's id is `<sentence_id>/<start>-<end>`
(character offsets in the sentence). annotate.loop.match clusters these records into claims;
annotate.loop.verification makes one verification task per cluster (`annotate promote`).
"""

from __future__ import annotations

from typing import Any

from annotate.dataset.collect import Collection
from annotate.dataset.gold import Gold, gold_annotation, golds
from annotate.vocabulary import (
    ARTICLE_ID,
    ATTRIBUTED_TO,
    CHAR_START,
    CLAIM,
    CLAIM_CHECKWORTHY,
    CLAIM_ID,
    CONTEXT_AFTER,
    CONTEXT_BEFORE,
    NORMALIZED_CLAIM,
    PUBLISHED,
    SENTENCE_ID,
    SOURCE_TYPE,
    TEXT,
    TITLE,
    URL,
)  # fmt: skip

# The fields `load` compares to report a changed claim.
COMPARED = ("claim", NORMALIZED_CLAIM, "source_text", SOURCE_TYPE, "sentence")


def claim_id(sentence_id: str, start: int, end: int) -> str:
    return f"{sentence_id}/{start}-{end}"


def passage(data: Any) -> str:
    """The sentence in its passage: the units before and after it in the article."""
    parts = [data.get(CONTEXT_BEFORE), data.get(TEXT), data.get(CONTEXT_AFTER)]
    return " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())


def mention_record(data: Any, cid: str, start: int, end: int, *, claim: str, normalized: str = "",
                   source_text: str = "", source_type: str = "", marked_by: str, rule: str,
                   sentence_id: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A verification record: the claim (characters start-end of the sentence `data`) with its
    source, sentence, passage and article, and who marked it by which rule."""
    offset = data.get(CHAR_START) if isinstance(data.get(CHAR_START), int) else None
    return {
        CLAIM_ID: cid, "claim": claim, NORMALIZED_CLAIM: normalized, "source_text": source_text,
        SOURCE_TYPE: source_type, "sentence": data.get(TEXT) or "", "context": passage(data),
        TITLE: data.get(TITLE) or "", URL: data.get(URL) or "", PUBLISHED: data.get(PUBLISHED) or "",
        ARTICLE_ID: data.get(ARTICLE_ID), SENTENCE_ID: sentence_id or data.get(SENTENCE_ID),
        "claim_start": start, "claim_end": end,
        "article_start": offset + start if offset is not None else None,
        "article_end": offset + end if offset is not None else None,
        "claim_marked_by": marked_by, "claim_status_rule": rule,
    }  # fmt: skip


def verification_records(collection: Collection, gold_by: Gold | None = None) -> list[dict[str, Any]]:
    """One verification task record per CLAIM span of each check-worthy sentence."""
    gold_by = gold_by if gold_by is not None else golds(collection)
    status = collection.claim_status
    records = []
    for sid, sentence in collection.sentences.items():
        gold, rule, _ = gold_by[sid]
        if gold != CLAIM_CHECKWORTHY:
            continue
        chosen = gold_annotation(sentence, status[sid], gold)
        if chosen is None:
            continue
        who, annotation = chosen
        spans = {s.region_id: s for s in annotation.spans()}
        links, answers = annotation.links(), annotation.per_region()
        data = sentence.data
        for rid, span in spans.items():
            if CLAIM not in span.labels:
                continue
            start, end = span.start, span.end
            source = spans.get(links.get((ATTRIBUTED_TO, rid), ""))
            records.append(mention_record(
                data, claim_id(sid, start, end), start, end, claim=span.text or str(data.get(TEXT, ""))[start:end],
                normalized=answers.get(NORMALIZED_CLAIM, {}).get(rid) or "",
                source_text=(source.text if source else None) or "",
                source_type=(answers.get(SOURCE_TYPE, {}).get(source.region_id) if source else None) or "",
                marked_by=who, rule=rule, sentence_id=sid,
            ))  # fmt: skip
    return records
