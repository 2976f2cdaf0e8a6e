"""The formats that classifier training and the public benchmarks read directly: CheckThat! TSV per
split, ClaimBuster-style CSV, spans JSONL for span classifiers, and a Hugging Face layout.

Rows that came from a benchmark table (`annotate split` of a .tsv/.csv) go out as the benchmark
ships them: their own id (`source_id`), in the order of their file (`source_row`), before the units
of articles; texts exactly as read, quoted as the CheckThat! files quote them, so
`pandas.read_csv(path, sep="\t", dtype=str)` reads them back unchanged.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from annotate.articles.rows import SOURCE_SPLITS, reference_scale
from annotate.labelstudio.views import Span
from annotate.vocabulary import (
    ARTICLE_ID,
    CLAIM_CHECKWORTHY,
    CLAIM_NOT_CHECKWORTHY,
    CLAIM_STATUSES,
    CORPUS,
    NO_CLAIM,
    REFERENCE_LABEL,
    SENTENCE_ID,
    SOURCE_COLUMNS,
    SOURCE_FILE,
    SOURCE_ID,
    SOURCE_ROW,
    TEXT,
)

CHECKTHAT_LABEL = {CLAIM_CHECKWORTHY: "Yes", CLAIM_NOT_CHECKWORTHY: "No", NO_CLAIM: "No"}
CLAIMBUSTER_VERDICT = {NO_CLAIM: -1, CLAIM_NOT_CHECKWORTHY: 0, CLAIM_CHECKWORTHY: 1}
LABELS = CLAIM_STATUSES  # label ids of the Hugging Face layout, in this order
HF_SPLITS = ("train", "dev", "test")  # a dev-test split of a benchmark has a CheckThat! file, not a HF one
# The CheckThat! files quote a cell holding a comma or quote mark (measured on the 2024 English dev
# file: every such text, and no other, is quoted); tabs and newlines must be quoted too.
_QUOTE_IF = (",", '"', "\t", "\n", "\r")


def tsv_cell(value: object) -> str:
    """One cell as the CheckThat! files write it: quoted, with quote marks doubled, when it holds a
    comma, a quote mark, a tab or a line break."""
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in _QUOTE_IF) else text


def benchmark_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of benchmark tables first, by corpus and their place in the file; then the others as they are."""
    if not len(table):
        return table
    keys = pd.DataFrame({
        "from_table": table[SOURCE_ID].isna(), CORPUS: table[CORPUS].fillna(""),
        SOURCE_ROW: table[SOURCE_ROW].fillna(0), "position": range(len(table)),
    }, index=table.index)  # fmt: skip
    return table.loc[keys.sort_values(["from_table", CORPUS, SOURCE_ROW, "position"]).index]


def benchmark_ids(table: pd.DataFrame) -> list[str]:
    """The id each row goes out with: the benchmark's own (source_id), else sentence_id."""
    pairs = zip(table[SOURCE_ID], table[SENTENCE_ID], strict=True)
    return [str(own) if isinstance(own, str) else str(sid) for own, sid in pairs]


def write_formats(sentences: pd.DataFrame, spans: dict[str, list[Span]], out_dir: Path) -> list[Path]:
    """CheckThat! TSV per split (dev-test too when a benchmark has it), ClaimBuster-style CSV, spans
    JSONL for span classifiers (the spans of each sentence's gold annotation, see gold_spans)."""
    folder = out_dir / "formats"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    labelled = sentences[sentences["gold_claim_status"].notna()] if len(sentences) else sentences
    labelled = benchmark_order(labelled)
    present = set(labelled["split"]) if len(labelled) else set()
    for split in (s for s in SOURCE_SPLITS if s in HF_SPLITS or s in present):
        part = labelled[labelled["split"] == split] if len(labelled) else labelled
        path = folder / f"checkthat_{split}.tsv"
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write("Sentence_id\tText\tclass_label\n")
            for sid, text, gold in zip(benchmark_ids(part), part[TEXT], part["gold_claim_status"], strict=True):
                out.write(f"{tsv_cell(sid)}\t{tsv_cell(text)}\t{CHECKTHAT_LABEL[gold]}\n")
        written.append(path)
    claimbuster = pd.DataFrame({
        "Sentence_id": benchmark_ids(labelled) if len(labelled) else [],
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


def write_benchmark_files(units: Iterable[tuple[Mapping[str, Any], str | None]], out_dir: Path) -> list[Path]:
    """Each benchmark file rows came from, written back as it was to
    `formats/benchmarks/<corpus>/<file name>`: its header, its rows in its order with every cell as
    read, the label column holding the gold label on the file's own scale (the scale of its
    reference labels; the claim_status itself when they fit none). Rows without gold are left out.
    Quoting: a .tsv as CheckThat! quotes (tsv_cell), a .csv as Python's csv module and pandas
    write one (quoted when a cell holds a comma, quote mark or line break). `units` are (task data, gold)."""
    files: dict[tuple[str, str], list[tuple[Mapping[str, Any], str | None]]] = {}
    for data, gold in units:
        if isinstance(data.get(SOURCE_COLUMNS), Mapping) and data.get(SOURCE_FILE):
            files.setdefault((str(data.get(CORPUS)), str(data[SOURCE_FILE])), []).append((data, gold))
    written = []
    for (corpus, name), rows in sorted(files.items()):
        rows.sort(key=lambda unit: unit[0].get(SOURCE_ROW) or 0)
        found = reference_scale({str(d[REFERENCE_LABEL]) for d, _ in rows if d.get(REFERENCE_LABEL) is not None})
        layout = rows[0][0][SOURCE_COLUMNS]
        path = out_dir / "formats" / "benchmarks" / corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as out:
            lines = [list(layout["header"])]
            for data, gold in rows:
                if gold is None:
                    continue
                own = {layout["text"]: data[TEXT], layout["label"]: found[1][gold] if found else gold}
                lines.append([own.get(c, data[SOURCE_COLUMNS]["cells"].get(c, "")) for c in layout["header"]])
            if name.lower().endswith(".tsv"):
                out.writelines("\t".join(tsv_cell(cell) for cell in line) + "\n" for line in lines)
            else:
                csv.writer(out, lineterminator="\n").writerows(lines)
        written.append(path)
    return written


def write_hf_layout(sentences: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Parquet per split that Hugging Face `datasets` loads with the card's `configs` (label ids in
    the order of LABELS, their names in the card)."""
    folder = out_dir / "hf"
    folder.mkdir(parents=True, exist_ok=True)
    labelled = sentences[sentences["gold_claim_status"].notna()]
    written = []
    for split in HF_SPLITS:
        part = labelled[labelled["split"] == split]
        table = pd.DataFrame({
            SENTENCE_ID: part[SENTENCE_ID].astype(str), ARTICLE_ID: part[ARTICLE_ID].astype(str),
            TEXT: part[TEXT].astype(str), "label": part["gold_claim_status"].map(LABELS.index).astype("int64"),
        })  # fmt: skip
        path = folder / f"{split}.parquet"
        table.to_parquet(path, index=False)
        written.append(path)
    return written
