"""A fixed, seeded claims export of 10,000 tasks (and the exports merged with it) for the golden
combine test: what a real project holds after a few rounds, in the shapes of Label Studio 1.23.2.

- `claims.json`: 10,000 tasks of 250 articles (sentences and headings), half of them rows of a
  benchmark table (source id, corpus, row, reference label, some kept out of sight in `meta`);
  0 to 3 of 5 annotators per task, with CLAIM / SOURCE / CUE spans, relations (labelled, drawn
  backwards, unlabelled), per-region choices and text, claim types, claim status, ground truth,
  cancelled annotations, an annotator who changed their mind, predictions and parent predictions.
- `round2.json`: 400 of those sentences exported again from a second round (new task ids): newer
  annotations by the same annotators and new ones.
- `adjudication.json`: 150 review tasks (`annotate adjudicate`) of tied sentences, each answered
  by an adjudicator.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

ANNOTATORS = ["ann@x.org", "bea@x.org", "cai@x.org", "dov@x.org", "eli@x.org"]
STATUSES = ["no_claim", "claim_not_checkworthy", "claim_checkworthy"]
TYPES = ["quantity", "correlation_causation", "prediction", "law_rule", "quote", "event_property", "other"]
SOURCE_TYPES = ["named_person", "named_organization", "anonymous_or_vague", "document_or_data", "media_outlet"]
WHO = ["the minister", "Dr. Ana Müller", "the central bank", "a spokesperson", "officials", '"the report"']
WHAT = ["unemployment fell by {n}% last year", "prices will rise, sharply, in {m}", "the bridge cost ${n} million",
        "crime doubled to {n} cases", "the plan saves €{n} billion", "exports grew\tby {n} tonnes"]  # fmt: skip
CUES = ["said", "claimed", "according to", "reported"]
MONTHS = ["May", "June", "July", "March"]
TASKS, ARTICLES = 10_000, 250
BENCHMARK_HEADER = ["Sentence_id", "Text", "class_label", "speaker"]


def _sentence(rng: random.Random, i: int) -> tuple[str, dict[str, tuple[int, int]]]:
    """A sentence and where its claim, source and cue are."""
    claim = rng.choice(WHAT).format(n=i % 97 + 2, m=rng.choice(MONTHS))
    source, cue = rng.choice(WHO), rng.choice(CUES)
    text = f"{claim[0].upper()}{claim[1:]}, {source} {cue}."
    where = {"CLAIM": (0, len(claim)), "SOURCE": (len(claim) + 2, len(claim) + 2 + len(source))}
    where["CUE"] = (where["SOURCE"][1] + 1, where["SOURCE"][1] + 1 + len(cue))
    return text, where


def _span(rid: str, text: str, at: tuple[int, int], label: str) -> dict[str, Any]:
    return {"id": rid, "from_name": "span", "to_name": "text", "type": "labels", "origin": "manual",
            "value": {"start": at[0], "end": at[1], "text": text[at[0]:at[1]], "labels": [label]}}  # fmt: skip


def _result(rng: random.Random, text: str, where: dict[str, tuple[int, int]], status: str, tag: str) -> list[dict]:
    result: list[dict[str, Any]] = []
    if status != "no_claim":
        c, s, q = f"c{tag}", f"s{tag}", f"q{tag}"
        result.append(_span(c, text, where["CLAIM"], "CLAIM"))
        if rng.random() < 0.8:
            result.append(_span(s, text, where["SOURCE"], "SOURCE"))
            ends = (c, s) if rng.random() < 0.6 else (s, c)  # some drawn backwards
            labels = ["attributed_to"] if rng.random() < 0.7 else []  # some left unlabelled
            result.append({"from_id": ends[0], "to_id": ends[1], "type": "relation", "direction": "right",
                           "labels": labels})  # fmt: skip
            if rng.random() < 0.7:
                result.append({"id": s, "from_name": "source_type", "to_name": "text", "type": "choices",
                               "value": {"start": where["SOURCE"][0], "end": where["SOURCE"][1],
                                         "text": text[slice(*where["SOURCE"])],
                                         "choices": [rng.choice(SOURCE_TYPES)]}})  # fmt: skip
        if rng.random() < 0.5:
            result.append(_span(q, text, where["CUE"], "CUE"))
            result.append({"from_id": q, "to_id": c, "type": "relation", "direction": "right", "labels": ["cue_of"]})
        if rng.random() < 0.3:
            result.append({"id": c, "from_name": "normalized_claim", "to_name": "text", "type": "textarea",
                           "value": {"start": where["CLAIM"][0], "end": where["CLAIM"][1],
                                     "text": [f"Someone said {text[:20]}."]}})  # fmt: skip
        if rng.random() < 0.7:
            result.append({"id": f"t{tag}", "from_name": "claim_types", "to_name": "text", "type": "choices",
                           "value": {"choices": sorted(rng.sample(TYPES, rng.randint(1, 3)))}})  # fmt: skip
    result.append({"id": f"cs{tag}", "from_name": "claim_status", "to_name": "text", "type": "choices",
                   "value": {"choices": [status]}})  # fmt: skip
    return result


def _annotation(aid: int, who: str, result: list, rng: random.Random, *, day: int = 1) -> dict[str, Any]:
    return {
        "id": aid, "completed_by": {"id": ANNOTATORS.index(who) + 1 if who in ANNOTATORS else 9, "email": who},
        "result": result, "was_cancelled": rng.random() < 0.03, "ground_truth": rng.random() < 0.03,
        "created_at": f"2026-11-{day:02d}T08:00:00Z", "updated_at": f"2026-11-{day:02d}T{rng.randint(10, 23)}:00:00Z",
        "lead_time": 12.5, "parent_prediction": aid if rng.random() < 0.2 else None, "task": aid // 10,
    }  # fmt: skip


def _task(tid: int, data: dict[str, Any], annotations: list, status: str, meta: dict | None = None) -> dict[str, Any]:
    prediction = {"id": tid, "model_version": "annotate-rules-1", "score": 0.4, "task": tid,
                  "result": [{"id": "pstatus", "from_name": "claim_status", "to_name": "text", "type": "choices",
                              "value": {"choices": [status]}}]}  # fmt: skip
    return {"id": tid, "annotations": annotations, "drafts": [], "predictions": [prediction], "data": data,
            "meta": meta or {}, "total_annotations": len(annotations), "project": 1}  # fmt: skip


def _data(i: int, text: str, rng: random.Random) -> dict[str, Any]:
    article = f"art{i % ARTICLES:03d}" if i < TASKS // 2 else f"bench-art{i % 40:02d}"
    if i < TASKS // 2:
        start = (i // ARTICLES) * 120
        return {"text": text, "kind": "heading" if i // ARTICLES == 0 else "sentence", "article_id": article,
                "sentence_id": f"{article}-{start}", "sentence_index": i // ARTICLES, "char_start": start,
                "char_end": start + len(text), "title": f"Article {article}", "url": None, "source": None,
                "published": None, "context_before": "", "context_after": "",
                "splitter": "news/1.0+sentencex-1.0.32"}  # fmt: skip
    row = i - TASKS // 2 + 1
    split = ("train", "dev", "dev-test")[row % 3]
    sid = f"{row:05d}"
    label = rng.choice(["Yes", "No"])
    return {"text": text, "kind": "sentence", "article_id": f"ct24:{article}", "sentence_id": f"ct24:{sid}",
            "sentence_index": row, "char_start": None, "char_end": None, "title": None, "url": None, "source": None,
            "published": None, "context_before": "", "context_after": "", "splitter": "rows/1.0",
            "source_id": sid, "corpus": "ct24", "source_row": TASKS - row, "reference_label": label,
            "source_split": split, "source_file": f"CT24_{split}.tsv",
            "source_columns": {"header": BENCHMARK_HEADER, "text": "Text", "label": "class_label",
                               "cells": {"Sentence_id": sid, "speaker": f"speaker {row % 7}"}}}  # fmt: skip


def write_golden_exports(folder: Path, seed: int = 16) -> list[Path]:
    """Write the three exports into folder; return their paths in the order combine reads them."""
    rng = random.Random(seed)
    tasks, texts = [], {}
    for i in range(TASKS):
        text, where = _sentence(rng, i)
        data = _data(i, text, rng)
        texts[data["sentence_id"]] = (text, where, data)
        annotations = []
        for k, who in enumerate(rng.sample(ANNOTATORS, rng.choices([0, 1, 2, 3], [25, 40, 15, 20])[0])):
            status = rng.choice(STATUSES)
            annotations.append(_annotation(i * 10 + k, who, _result(rng, text, where, status, str(k)), rng))
            if rng.random() < 0.03:  # changed their mind: a newer annotation of the same annotator
                again = _result(rng, text, where, rng.choice(STATUSES), f"{k}b")
                annotations.append(_annotation(i * 10 + 5 + k, who, again, rng, day=2))
        hidden = i >= TASKS // 2 and rng.random() < 0.5
        meta = {"reference_label": data.pop("reference_label")} if hidden else None
        tasks.append(_task(i + 1, data, annotations, rng.choice(STATUSES), meta))
    round2 = []
    for n, sid in enumerate(rng.sample(sorted(texts), 400)):
        text, where, data = texts[sid]
        annotations = [_annotation(200_000 + n * 10 + k, who, _result(rng, text, where, rng.choice(STATUSES), f"r{k}"),
                                   rng, day=5)
                       for k, who in enumerate(rng.sample(ANNOTATORS, rng.randint(1, 3)))]  # fmt: skip
        round2.append(_task(50_000 + n, dict(data), annotations, "no_claim"))
    review = []
    for n, sid in enumerate(rng.sample(sorted(texts), 150)):
        text, where, data = texts[sid]
        status = rng.choice(STATUSES)
        answer = _annotation(300_000 + n, "lead@x.org", _result(rng, text, where, status, "a"), rng, day=9)
        marked = dict(data) | {"adjudication_of": {"project": 1, "task": n + 1}, "versions": "ann-1, ann-2"}
        review.append(_task(90_000 + n, marked, [answer], status))
    paths = []
    for name, records in (("claims.json", tasks), ("round2.json", round2), ("adjudication.json", review)):
        path = folder / name
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths
