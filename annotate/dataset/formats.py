"""The formats that classifier training and the public benchmarks read directly: CheckThat! TSV per
split, ClaimBuster-style CSV, spans JSONL for span classifiers, and a Hugging Face layout.

Rows that came from a benchmark table (`annotate split` of a .tsv/.csv) go out as the benchmark
ships them: their own id (`source_id`), in the order of their file (`source_row`), before the units
of articles; texts exactly as read, quoted as the CheckThat! files quote them, so
`pandas.read_csv(path, sep="\t", dtype=str)` reads them back unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from annotate.articles.quoting import Layout, tsv_cell
from annotate.articles.rows import SOURCE_SPLITS, reference_scale
from annotate.labelstudio.exported.views import Span
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
    writer = FormatWriter(out_dir)
    writer.add(sentences, spans)
    return writer.close()


class FormatWriter:
    """The files of write_formats, written as the sentences come (add, then close).

    Rows of benchmark tables go first, in their files' order (benchmark_order): they are kept until
    close; the other rows are written as they come into parts that close puts after them."""

    def __init__(self, out_dir: Path) -> None:
        import tempfile

        self.folder = out_dir / "formats"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._parts = Path(tempfile.mkdtemp(prefix=".parts-", dir=self.folder))
        self._benchmark: list[tuple[pd.DataFrame, dict[str, list[Span]]]] = []
        self._present: set[str] = set()

    def add(self, sentences: pd.DataFrame, spans: dict[str, list[Span]]) -> None:
        if not len(sentences):
            return
        labelled = sentences[sentences["gold_claim_status"].notna()]
        self._present |= set(labelled["split"])
        from_table = labelled[SOURCE_ID].notna()
        if from_table.any():
            part = labelled[from_table]
            self._benchmark.append((part, {sid: spans.get(sid, []) for sid in part[SENTENCE_ID]}))
        self._write(labelled[~from_table], spans, "rows")

    def _write(self, labelled: pd.DataFrame, spans: dict[str, list[Span]], part: str) -> None:
        if not len(labelled):
            return
        folder = self._parts / part
        folder.mkdir(exist_ok=True)
        for split in set(labelled["split"]):
            rows = labelled[labelled["split"] == split]
            with (folder / f"checkthat_{split}.tsv").open("a", encoding="utf-8", newline="") as out:
                for sid, text, gold in zip(benchmark_ids(rows), rows[TEXT], rows["gold_claim_status"], strict=True):
                    out.write(f"{tsv_cell(sid)}\t{tsv_cell(text)}\t{CHECKTHAT_LABEL[gold]}\n")
        claimbuster = pd.DataFrame({
            "Sentence_id": benchmark_ids(labelled), "Text": labelled[TEXT],
            "Verdict": labelled["gold_claim_status"].map(CLAIMBUSTER_VERDICT), "split": labelled["split"],
        })  # fmt: skip
        claimbuster.to_csv(folder / "claimbuster.csv", index=False, header=False, mode="a")
        with (folder / "spans.jsonl").open("a", encoding="utf-8") as out:
            for sid, text, split in zip(*(labelled[c].tolist() for c in (SENTENCE_ID, TEXT, "split")), strict=True):
                chosen = [
                    {"start": s.start, "end": s.end, "label": label} for s in spans.get(sid, []) for label in s.labels
                ]
                record = {"id": sid, "text": text, "split": split, "spans": chosen}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")

    def close(self) -> list[Path]:
        import shutil

        if self._benchmark:
            rows = benchmark_order(pd.concat([part for part, _ in self._benchmark], ignore_index=True))
            self._write(rows, {k: v for _, spans in self._benchmark for k, v in spans.items()}, "benchmark")
        headers = {"claimbuster.csv": "Sentence_id,Text,Verdict,split\n", "spans.jsonl": ""}
        names = [f"checkthat_{split}.tsv" for split in SOURCE_SPLITS if split in HF_SPLITS or split in self._present]
        written = []
        for name in [*names, "claimbuster.csv", "spans.jsonl"]:
            path = self.folder / name
            with path.open("w", encoding="utf-8", newline="") as out:
                out.write(headers.get(name, "Sentence_id\tText\tclass_label\n"))
                for part in ("benchmark", "rows"):
                    if (self._parts / part / name).exists():
                        with (self._parts / part / name).open(encoding="utf-8", newline="") as source:
                            shutil.copyfileobj(source, out, 1 << 20)
            written.append(path)
        shutil.rmtree(self._parts)
        return written


def write_benchmark_files(units: Iterable[tuple[Mapping[str, Any], str | None]], out_dir: Path) -> list[Path]:
    """Each benchmark file rows came from, written back as it was to
    `formats/benchmarks/<corpus>/<file name>`: its header, its rows in its order with every cell as
    read, the label column holding the gold label on the file's own scale (the scale of its
    reference labels; the claim_status itself when they fit none). Rows without gold are left out.
    Quoting: a .tsv as the file was quoted (annotate.articles.quoting: the CheckThat! English way, the
    minimal CSV way, or not at all), a .csv as Python's csv module and pandas write one (quoted when a
    cell holds a comma, quote mark or line break); line breaks, the final one and a byte order mark as
    the file had them. `units` are (task data, gold)."""
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
        lines = [list(layout["header"])]
        for data, gold in rows:
            if gold is not None:
                own = {layout["text"]: data[TEXT], layout["label"]: found[1][gold] if found else gold}
                lines.append([own.get(c, data[SOURCE_COLUMNS]["cells"].get(c, "")) for c in layout["header"]])
        text = _file_text(lines, Layout.of_record(layout.get("layout")), csv_file=not name.lower().endswith(".tsv"))
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written


def _file_text(lines: list[list[str]], layout: Layout, *, csv_file: bool) -> str:
    """A benchmark file's text in its layout: a .tsv quoted as the file was (quoting.py), a .csv as
    Python's csv module writes one."""
    if not csv_file:
        return layout.text("\t".join(tsv_cell(cell, layout.quoting) for cell in line) for line in lines)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="")
    encoded = []
    for line in lines:
        writer.writerow(line)
        encoded.append(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()
    return layout.text(encoded)


def write_hf_layout(sentences: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Parquet per split that Hugging Face `datasets` loads with the card's `configs` (label ids in
    the order of LABELS, their names in the card)."""
    writer = HFWriter(out_dir)
    writer.add(sentences)
    return writer.close()


class HFWriter:
    """The files of write_hf_layout, written as the sentences come (add, then close)."""

    def __init__(self, out_dir: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        folder = out_dir / "hf"
        folder.mkdir(parents=True, exist_ok=True)
        columns = (SENTENCE_ID, ARTICLE_ID, TEXT, "gold_claim_status", "split")
        empty = self._table(pd.DataFrame({c: pd.Series(dtype=object) for c in columns}))
        self.schema = pa.Schema.from_pandas(empty, preserve_index=False)
        self.schema = pa.schema([(f.name, pa.int64() if f.name == "label" else pa.string()) for f in self.schema],
                                metadata=self.schema.metadata)  # fmt: skip
        self.paths = {split: folder / f"{split}.parquet" for split in HF_SPLITS}
        self._writers = {split: pq.ParquetWriter(path, self.schema) for split, path in self.paths.items()}

    @staticmethod
    def _table(part: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({
            SENTENCE_ID: part[SENTENCE_ID].astype(str), ARTICLE_ID: part[ARTICLE_ID].astype(str),
            TEXT: part[TEXT].astype(str), "label": part["gold_claim_status"].map(LABELS.index).astype("int64"),
        })  # fmt: skip

    def add(self, sentences: pd.DataFrame) -> None:
        import pyarrow as pa

        if not len(sentences):
            return
        labelled = sentences[sentences["gold_claim_status"].notna()]
        for split, writer in self._writers.items():
            part = labelled[labelled["split"] == split]
            if len(part):
                writer.write_table(pa.Table.from_pandas(self._table(part), schema=self.schema, preserve_index=False))

    def close(self) -> list[Path]:
        for writer in self._writers.values():
            writer.close()
        return list(self.paths.values())
