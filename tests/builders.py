"""Builders of Label Studio export records and small datasets, shared by the test modules.

The shapes follow the real full JSON export of Label Studio 1.23.2 (tests/data/labelstudio-1.23/):
`completed_by` as the object a snapshot with `only_id: False` writes, results as in §6 of
/work/shared/notes/label-studio-1.23.md. Only the keys the code under test reads are filled in.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TEXTS = {
    "a1-0": "Unemployment fell by 3% last year, the minister said.",
    "a1-55": "It was a sunny day.",
    "a2-0": "Prices will rise, according to the central bank.",
    "a3-0": "The mayor said the bridge cost $2 million.",
}


def status(value: str) -> dict:
    """A `claim_status` choice."""
    return {"id": "cs", "from_name": "claim_status", "to_name": "text", "type": "choices",
            "value": {"choices": [value]}}  # fmt: skip


def span(rid: str, text: str, part: str, label: str) -> dict:
    """A span over the first occurrence of `part` in `text`."""
    start = text.index(part)
    return {"id": rid, "from_name": "span", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": start + len(part), "text": part, "labels": [label]}}  # fmt: skip


def region(rid: str, text: str, part: str, label: str) -> dict:
    """A span as the web UI stores it (with `origin: manual`)."""
    return span(rid, text, part, label) | {"origin": "manual"}


def annotation(aid: int, who: str, result: list, *, updated: str = "2026-11-01T00:00:00Z", truth=False) -> dict:
    return {"id": aid, "completed_by": {"id": aid, "email": who}, "result": result, "was_cancelled": False,
            "ground_truth": truth, "updated_at": updated}  # fmt: skip


def task(tid: int, sid: str, annotations: list) -> dict:
    """An exported task of one of TEXTS, keyed `<article_id>-<char_start>`."""
    article, start = sid.rsplit("-", 1)
    data = {"text": TEXTS[sid], "kind": "sentence", "article_id": article, "sentence_id": sid, "sentence_index": 0,
            "char_start": int(start), "char_end": int(start) + len(TEXTS[sid])}  # fmt: skip
    return {"id": tid, "data": data, "annotations": annotations, "predictions": []}


def export() -> list[dict]:
    """Three annotators who disagree: a majority, a tie, ground truth, a changed mind."""
    t = TEXTS["a1-0"]
    claim_with_source = [
        span("c", t, "Unemployment fell by 3% last year", "CLAIM"),
        span("s", t, "the minister", "SOURCE"),
        span("q", t, "said", "CUE"),
        # drawn backwards (SOURCE -> CLAIM): the relations table turns it round
        {"from_id": "s", "to_id": "c", "type": "relation", "direction": "right", "labels": ["attributed_to"]},
        {"from_id": "q", "to_id": "c", "type": "relation", "direction": "right", "labels": ["cue_of"]},
        {"id": "s", "from_name": "source_type", "to_name": "text", "type": "choices",
         "value": {"start": 35, "end": 47, "text": "the minister", "choices": ["named_person"]}},
        {"id": "cs", "from_name": "claim_types", "to_name": "text", "type": "choices",
         "value": {"choices": ["quantity", "quote"]}},
    ]  # fmt: skip
    return [
        # majority: two of three say checkworthy
        task(1, "a1-0", [
            annotation(11, "ann@x.org", [*claim_with_source, status("claim_checkworthy")]),
            annotation(12, "bea@x.org", [status("claim_checkworthy")]),
            annotation(13, "cai@x.org", [status("claim_not_checkworthy")]),
        ]),
        # tie between two: flagged, no gold
        task(2, "a1-55", [
            annotation(21, "ann@x.org", [status("no_claim")]),
            annotation(22, "bea@x.org", [status("claim_not_checkworthy")]),
        ]),
        # ground truth wins over the majority
        task(3, "a2-0", [
            annotation(31, "ann@x.org", [status("claim_not_checkworthy")]),
            annotation(32, "bea@x.org", [status("claim_not_checkworthy")]),
            annotation(33, "cai@x.org", [status("claim_checkworthy")], truth=True),
        ]),
        # one annotator, who changed their mind: the newer annotation wins
        task(4, "a3-0", [
            annotation(41, "cai@x.org", [status("no_claim")], updated="2026-11-01T00:00:00Z"),
            annotation(42, "cai@x.org", [status("claim_checkworthy")], updated="2026-11-02T00:00:00Z"),
        ]),
    ]  # fmt: skip


def dataset(folder: Path) -> Path:
    """A fixed small sentences table: quantities and reporting verbs are check-worthy."""
    rows = []
    worthy = [
        "Unemployment fell by {n}% last year, the minister said.",
        "Prices rose {n} percent in {m}, data showed.",
        "The city spent ${n} million on the bridge, officials said.",
        "Crime doubled to {n} cases since {m}.",
    ]
    other = ["Thank you all for coming tonight number {n}.", "It was a sunny day in {m}.",
             "We will keep fighting for families {n}.", "The meeting opened with a song in {m}."]  # fmt: skip
    months = ["May", "June", "July", "March", "April"]
    for i in range(60):
        template = (worthy if i % 2 else other)[i % 4]
        split = "test" if i % 5 == 0 else "train"
        rows.append({"sentence_id": f"s{i}", "article_id": f"a{i}", "text": template.format(n=i + 3, m=months[i % 5]),
                     "gold_claim_status": "claim_checkworthy" if i % 2 else ("no_claim" if i % 3 else
                     "claim_not_checkworthy"), "split": split})  # fmt: skip
    folder.mkdir()
    pd.DataFrame(rows).to_parquet(folder / "sentences.parquet", index=False)
    return folder
