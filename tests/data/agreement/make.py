"""Writes the fixed multi-annotator exports that tests/test_agreement_golden.py pins agreement on.

    .venv/bin/python tests/data/agreement/make.py     # rewrites exports/round1.json and round2.json

Deterministic (a seeded random): 240 sentences of real-shaped tasks, five annotators with their own
habits, CLAIM and SOURCE spans that match, overlap or miss, claim types, ground truth, cancelled
annotations, reference labels (some hidden in the task's meta), a second round that re-exports
some sentences with newer (and older) annotations, and review tasks with adjudications.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHO = ["ann@x.org", "bea@x.org", "cai@x.org", "dan@x.org", "eve@x.org"]
STATUSES = ["no_claim", "claim_not_checkworthy", "claim_checkworthy"]
TYPES = ["quantity", "quote", "prediction", "law_rule", "correlation_causation"]
TEXTS = [
    "Unemployment fell by 3% last year, the minister said.",
    "Prices will rise, according to the central bank.",
    "The mayor said the bridge cost $2 million.",
    "It was a sunny day in Paris.",
    "Crime doubled to 400 cases since March, police said.",
    "Thank you all for coming tonight.",
]


def _span(rid: str, text: str, start: int, end: int, label: str) -> dict:
    return {"id": rid, "from_name": "span", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]}}  # fmt: skip


def _choices(control: str, values: list[str]) -> dict:
    return {"id": f"c-{control}", "from_name": control, "to_name": "text", "type": "choices",
            "value": {"choices": values}}  # fmt: skip


def _result(rng: random.Random, text: str, bias: int) -> list[dict]:
    status = STATUSES[min(2, max(0, rng.choice([0, 1, 2, 2, bias])))]
    result = []
    if status != "no_claim":
        end = text.index(",") if "," in text else len(text) - 1
        shift = rng.choice([0, 0, 0, 2, 5])  # the same CLAIM, one that overlaps, or one that misses
        if shift < 5:
            result.append(_span(f"c{rng.randrange(10**6)}", text, shift, end, "CLAIM"))
        if rng.random() < 0.6:
            start = len(text) - 1 - rng.choice([8, 10, 12])
            result.append(_span(f"s{rng.randrange(10**6)}", text, start, len(text) - 1, "SOURCE"))
        if rng.random() < 0.7:
            result.append(_choices("claim_types", sorted(rng.sample(TYPES, rng.choice([1, 1, 2])))))
    result.append(_choices("claim_status", [status]))
    return result


def _annotation(aid: int, who: str, result: list, updated: str, *, truth: bool = False, cancelled: bool = False):
    return {"id": aid, "completed_by": {"id": WHO.index(who) + 1, "email": who}, "result": result,
            "was_cancelled": cancelled, "ground_truth": truth, "updated_at": updated}  # fmt: skip


def _data(i: int) -> dict:
    text = TEXTS[i % len(TEXTS)]
    data = {"text": text, "kind": "sentence", "article_id": f"a{i // 4}", "sentence_id": f"a{i // 4}-{i % 4}",
            "sentence_index": i % 4, "char_start": (i % 4) * 60, "char_end": (i % 4) * 60 + len(text)}  # fmt: skip
    if i % 3 == 0:
        data |= {"corpus": "checkthat2024-en", "source_id": str(30000 + i),
                 "reference_label": "Yes" if i % 2 else "No"}  # fmt: skip
    return data


def make() -> tuple[list[dict], list[dict]]:
    rng = random.Random(16)
    first, second = [], []
    aid = 1000
    for i in range(240):
        data = _data(i)
        hidden = data.get("reference_label") is not None and i % 2 == 0
        meta = {}
        if hidden:
            meta = {"reference_label": data.pop("reference_label")}
        annotators = rng.sample(WHO, rng.choice([0, 1, 2, 2, 3, 3, 4, 5]))
        annotations = []
        for who in annotators:
            aid += 1
            annotations.append(_annotation(aid, who, _result(rng, data["text"], WHO.index(who)),
                                           f"2026-11-{1 + rng.randrange(9):02d}T10:00:00.000000Z",
                                           truth=rng.random() < 0.05, cancelled=rng.random() < 0.04))  # fmt: skip
        task = {"id": i + 1, "data": data, "meta": meta, "annotations": annotations, "predictions": []}
        first.append(task)
        if i % 5 == 0:  # re-exported in round 2: one annotator annotated again, newer or older
            again = json.loads(json.dumps(task))
            who = rng.choice(WHO)
            aid += 1
            day = rng.choice(["2026-11-20", "2026-10-20"])
            again["annotations"].append(_annotation(aid, who, _result(rng, data["text"], 2), f"{day}T10:00:00.000000Z"))
            second.append(again)
        if i % 11 == 0 and annotators:  # adjudicated in the review project, sometimes twice
            for k in range(1 + (i % 2)):
                aid += 1
                review = {"id": 5000 + i * 2 + k, "data": data | {"adjudication_of": {"project": 1, "task": i + 1}},
                          "meta": {}, "predictions": [],
                          "annotations": [_annotation(aid, "eve@x.org", [_choices("claim_status",
                                                                                  [rng.choice(STATUSES)])],
                                                      f"2026-11-{15 + k}T10:00:00.000000Z")]}  # fmt: skip
                second.append(review)
    return first, second


if __name__ == "__main__":
    for name, tasks in zip(("round1.json", "round2.json"), make(), strict=True):
        (HERE / "exports" / name).write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (HERE / "exports" / name.replace(".json", ".manifest.json")).write_text(
            json.dumps({"file": name, "project": "claims"}) + "\n", encoding="utf-8"
        )
