"""The formats that classifier training and the public benchmarks read directly: CheckThat! TSV per
split, ClaimBuster-style CSV, spans JSONL for span classifiers, and a Hugging Face layout."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from annotate.dataset.splits import SPLITS
from annotate.labelstudio.views import Span
from annotate.vocabulary import (
    ARTICLE_ID,
    CLAIM_CHECKWORTHY,
    CLAIM_NOT_CHECKWORTHY,
    CLAIM_STATUSES,
    NO_CLAIM,
    SENTENCE_ID,
    TEXT,
)

CHECKTHAT_LABEL = {CLAIM_CHECKWORTHY: "Yes", CLAIM_NOT_CHECKWORTHY: "No", NO_CLAIM: "No"}
CLAIMBUSTER_VERDICT = {NO_CLAIM: -1, CLAIM_NOT_CHECKWORTHY: 0, CLAIM_CHECKWORTHY: 1}
LABELS = CLAIM_STATUSES  # label ids of the Hugging Face layout, in this order


def write_formats(sentences: pd.DataFrame, spans: dict[str, list[Span]], out_dir: Path) -> list[Path]:
    """CheckThat! TSV per split, ClaimBuster-style CSV, spans JSONL for span classifiers (the spans
    of each sentence's gold annotation, see gold_spans)."""
    folder = out_dir / "formats"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    labelled = sentences[sentences["gold_claim_status"].notna()] if len(sentences) else sentences
    for split in SPLITS:
        part = labelled[labelled["split"] == split] if len(labelled) else labelled
        path = folder / f"checkthat_{split}.tsv"
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write("Sentence_id\tText\tclass_label\n")
            columns = (part[c].tolist() for c in (SENTENCE_ID, TEXT, "gold_claim_status"))
            for sid, text, gold in zip(*columns, strict=True):
                text = " ".join(str(text).split())  # a TSV cell holds no tab or newline
                out.write(f"{sid}\t{text}\t{CHECKTHAT_LABEL[gold]}\n")
        written.append(path)
    claimbuster = pd.DataFrame({
        "Sentence_id": labelled[SENTENCE_ID] if len(labelled) else [],
        "Text": labelled[TEXT] if len(labelled) else [],
        "Verdict": labelled["gold_claim_status"].map(CLAIMBUSTER_VERDICT) if len(labelled) else [],
        "split": labelled["split"] if len(labelled) else [],
    })  # fmt: skip
    path = folder / "claimbuster.csv"
    claimbuster.to_csv(path, index=False)
    written.append(path)
    path = folder / "spans.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for sid, text, split in zip(*(labelled[c].tolist() for c in (SENTENCE_ID, TEXT, "split")), strict=True):
            chosen = [
                {"start": s.start, "end": s.end, "label": label} for s in spans.get(sid, []) for label in s.labels
            ]
            record = {"id": sid, "text": text, "split": split, "spans": chosen}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    written.append(path)
    return written


def write_hf_layout(sentences: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Parquet per split that Hugging Face `datasets` loads with the card's `configs` (label ids in
    the order of LABELS, their names in the card)."""
    folder = out_dir / "hf"
    folder.mkdir(parents=True, exist_ok=True)
    labelled = sentences[sentences["gold_claim_status"].notna()]
    written = []
    for split in SPLITS:
        part = labelled[labelled["split"] == split]
        table = pd.DataFrame({
            SENTENCE_ID: part[SENTENCE_ID].astype(str), ARTICLE_ID: part[ARTICLE_ID].astype(str),
            TEXT: part[TEXT].astype(str), "label": part["gold_claim_status"].map(LABELS.index).astype("int64"),
        })  # fmt: skip
        path = folder / f"{split}.parquet"
        table.to_parquet(path, index=False)
        written.append(path)
    return written
