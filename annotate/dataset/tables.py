"""The dataset's tables, one row per answer, sentence, claim, source or relation, built from a
collection of exports (see collect.py) and written as Parquet, CSV or JSONL.

Full JSON exports keep what JSON_MIN and CSV lose (relations, which span a per-region answer
belongs to); these tables turn them into rows that pandas and Parquet readers take directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from annotate.dataset.collect import Collection
from annotate.dataset.gold import Gold
from annotate.errors import InputError
from annotate.labelstudio.exported.views import CONTROL_COLUMN, language_of
from annotate.vocabulary import (
    ARTICLE_ID,
    ATTRIBUTED_TO,
    CHAR_END,
    CHAR_START,
    CLAIM,
    CLAIM_TYPES,
    CORPUS,
    CUE,
    CUE_OF,
    KIND,
    LANGUAGE,
    LANGUAGE_CONFIDENCE,
    NORMALIZED_CLAIM,
    REFERENCE_LABEL,
    SENTENCE_ID,
    SOURCE,
    SOURCE_ID,
    SOURCE_OUTSIDE_SENTENCE,
    SOURCE_ROW,
    SOURCE_SPLIT,
    SOURCE_TYPE,
    TEXT,
)  # fmt: skip

ANNOTATION_COLUMNS = [
    ARTICLE_ID, SENTENCE_ID, "task_id", "annotation_id", "annotator", CONTROL_COLUMN, "type", "label",
    "start", "end", "text", "region_id", "parent_prediction",
]  # fmt: skip
RELATION_COLUMNS = [
    ARTICLE_ID, SENTENCE_ID, "annotation_id", "annotator", "relation", "from_region", "to_region", "relation_source",
]  # fmt: skip
SPAN_COLUMNS = [
    ARTICLE_ID, SENTENCE_ID, "annotation_id", "annotator", "region_id", "text", "start", "end",
    "article_start", "article_end",
]  # fmt: skip
SENTENCE_COLUMNS = [
    SENTENCE_ID, ARTICLE_ID, KIND, TEXT, CHAR_START, CHAR_END, "gold_claim_status", "gold_rule", "tie",
    "claim_status_distribution", "n_annotators", "agreement", "split", "adjudicated_by",
    LANGUAGE, LANGUAGE_CONFIDENCE,  # as `split` recorded them; null for tables and older tasks
    SOURCE_ID, CORPUS, SOURCE_ROW, REFERENCE_LABEL, SOURCE_SPLIT,  # rows of a benchmark table, else null
]  # fmt: skip
CLAIM_COLUMNS = [
    *SPAN_COLUMNS, CLAIM_TYPES, NORMALIZED_CLAIM, SOURCE_OUTSIDE_SENTENCE, "source_text", "source_region_id",
    SOURCE_TYPE, "cue_text",
]  # fmt: skip
SOURCE_COLUMNS = [*SPAN_COLUMNS, SOURCE_TYPE]


class Rows:
    """A table built a row at a time, each value under its column's name: a row is a dict of every
    column of the table, no more and no fewer (anything else raises), so a value cannot land in
    its neighbour's column. Kept as one list per column until the DataFrame is made."""

    def __init__(self, columns: list[str]) -> None:
        self._columns: dict[str, list[Any]] = {name: [] for name in columns}

    def add(self, row: dict[str, Any]) -> None:
        if row.keys() != self._columns.keys():
            missing, extra = self._columns.keys() - row.keys(), row.keys() - self._columns.keys()
            raise ValueError(f"a row without {sorted(missing)} or with {sorted(extra)} the table does not have")
        for name, values in self._columns.items():
            values.append(row[name])

    def frame(self, dtypes: dict[str, str] | None = None) -> pd.DataFrame:
        table = pd.DataFrame(self._columns, columns=list(self._columns))
        return table.astype(dtypes) if dtypes else table


def annotation_rows(collection: Collection) -> pd.DataFrame:
    """One row per annotator x sentence x answer: each label of a span, each choice, each text."""
    rows = Rows(ANNOTATION_COLUMNS)
    for s in collection.sentences.values():
        article = s.data.get(ARTICLE_ID)
        for who, annotation in s.annotations.items():
            aid, parent = annotation.id, annotation.parent_prediction
            for a in annotation.answers():
                rows.add({
                    ARTICLE_ID: article, SENTENCE_ID: s.sentence_id, "task_id": s.task_id, "annotation_id": aid,
                    "annotator": who, CONTROL_COLUMN: a.control, "type": a.kind, "label": a.value, "start": a.start,
                    "end": a.end, "text": a.text, "region_id": a.region_id, "parent_prediction": parent,
                })  # fmt: skip
    return rows.frame(
        {"start": "Int64", "end": "Int64", "task_id": "Int64", "annotation_id": "Int64", "parent_prediction": "Int64"}
    )


def relation_rows(collection: Collection) -> pd.DataFrame:
    """One row per relation, in the direction the project defines (CLAIM -> SOURCE for
    attributed_to, CUE -> CLAIM for cue_of) whichever way the annotator drew it; an arrow left
    unlabelled takes the relation its ends determine (`relation_source` inferred)."""
    rows = Rows(RELATION_COLUMNS)
    for s in collection.sentences.values():
        article = s.data.get(ARTICLE_ID)
        for who, annotation in s.annotations.items():
            for rel in annotation.relations():
                rows.add({
                    ARTICLE_ID: article, SENTENCE_ID: s.sentence_id, "annotation_id": annotation.id, "annotator": who,
                    "relation": rel.name, "from_region": rel.first, "to_region": rel.second,
                    "relation_source": "labelled" if rel.labelled else "inferred",
                })  # fmt: skip
    return rows.frame()


def _span_values(row) -> dict[str, Any]:
    span = row.span
    return {
        ARTICLE_ID: row.article_id, SENTENCE_ID: row.sentence_id, "annotation_id": row.annotation_id,
        "annotator": row.annotator, "region_id": span.region_id, "text": span.text, "start": span.start,
        "end": span.end, "article_start": row.article_start, "article_end": row.article_end,
    }  # fmt: skip


def sentences_table(collection: Collection, splits: dict[str, str], gold_by: Gold) -> pd.DataFrame:
    rows = Rows(SENTENCE_COLUMNS)
    dumped: dict[tuple[tuple[str, int], ...], str] = {}  # few distinct distributions: serialise each once
    for s in collection.sentences.values():
        gold, rule, distribution = gold_by[s.sentence_id]
        key = tuple(sorted(distribution.items()))
        if key not in dumped:
            dumped[key] = json.dumps(dict(key))
        voters = sum(distribution.values())
        data = s.data
        language, confidence = language_of(data)
        rows.add({
            SENTENCE_ID: s.sentence_id, ARTICLE_ID: data.get(ARTICLE_ID), KIND: data.get(KIND), TEXT: data.get(TEXT),
            CHAR_START: data.get(CHAR_START), CHAR_END: data.get(CHAR_END), "gold_claim_status": gold,
            "gold_rule": rule, "tie": rule == "tie", "claim_status_distribution": dumped[key], "n_annotators": voters,
            "agreement": (max(distribution.values()) / voters) if voters else None,
            "split": splits.get(str(data.get(ARTICLE_ID))),
            "adjudicated_by": s.adjudication[0] if rule == "adjudicated" and s.adjudication else None,
            LANGUAGE: language, LANGUAGE_CONFIDENCE: confidence,
            SOURCE_ID: data.get(SOURCE_ID), CORPUS: data.get(CORPUS), SOURCE_ROW: data.get(SOURCE_ROW),
            REFERENCE_LABEL: data.get(REFERENCE_LABEL), SOURCE_SPLIT: data.get(SOURCE_SPLIT),
        })  # fmt: skip
    return rows.frame({CHAR_START: "Int64", CHAR_END: "Int64", "n_annotators": "Int64", SOURCE_ROW: "Int64",
                       LANGUAGE_CONFIDENCE: "float64"})  # fmt: skip


def claims_table(collection: Collection) -> pd.DataFrame:
    """One row per CLAIM span, with what the annotator attached to it: claim types, normalised
    claim, the SOURCE it is attributed to (and its source type), the CUE."""
    spans = {(r.annotation_id, r.span.region_id): r.span for r in collection.span_rows(SOURCE, CUE)}
    rows = Rows(CLAIM_COLUMNS)
    seen: dict[int, tuple] = {}
    for claim in collection.span_rows(CLAIM):
        annotation = collection.sentences[claim.sentence_id].annotations[claim.annotator]
        if id(annotation) not in seen:  # an annotation's answers are read once for all its claims
            seen[id(annotation)] = (annotation.links(), annotation.per_region(),
                                    json.dumps(annotation.choices(CLAIM_TYPES)))  # fmt: skip
        links, answers, claim_types = seen[id(annotation)]
        rid = claim.span.region_id
        source = spans.get((claim.annotation_id, links.get((ATTRIBUTED_TO, rid))))
        cue = spans.get((claim.annotation_id, links.get((CUE_OF, rid))))
        source_id = source.region_id if source else None
        rows.add(_span_values(claim) | {
            CLAIM_TYPES: claim_types, NORMALIZED_CLAIM: answers.get(NORMALIZED_CLAIM, {}).get(rid),
            SOURCE_OUTSIDE_SENTENCE: answers.get(SOURCE_OUTSIDE_SENTENCE, {}).get(rid),
            "source_text": source.text if source else None, "source_region_id": source_id,
            SOURCE_TYPE: answers.get(SOURCE_TYPE, {}).get(source_id) if source_id else None,
            "cue_text": cue.text if cue else None,
        })  # fmt: skip
    return rows.frame()


def sources_table(collection: Collection) -> pd.DataFrame:
    rows = Rows(SOURCE_COLUMNS)
    for source in collection.span_rows(SOURCE):
        annotation = collection.sentences[source.sentence_id].annotations[source.annotator]
        source_type = annotation.per_region().get(SOURCE_TYPE, {}).get(source.span.region_id)
        rows.add(_span_values(source) | {SOURCE_TYPE: source_type})
    return rows.frame()


# The dtype of each column that is not text (pandas' "object"): nullable integers where a value
# may be missing. What pandas infers for claims and sources (article offsets) is set per dataset.
_SPAN_DTYPES = dict.fromkeys(("annotation_id", "start", "end", "article_start", "article_end"), "int64")
TABLE_DTYPES: dict[str, dict[str, str]] = {
    "annotations": dict.fromkeys(("start", "end", "task_id", "annotation_id", "parent_prediction"), "Int64"),
    "sentences": dict.fromkeys((CHAR_START, CHAR_END, "n_annotators", SOURCE_ROW), "Int64")
    | {"tie": "bool", "agreement": "float64", LANGUAGE_CONFIDENCE: "float64"},
    "claims": _SPAN_DTYPES,
    "sources": _SPAN_DTYPES,
    "relations": {"annotation_id": "int64"},
}
TABLE_COLUMNS = {"annotations": ANNOTATION_COLUMNS, "sentences": SENTENCE_COLUMNS, "claims": CLAIM_COLUMNS,
                 "sources": SOURCE_COLUMNS, "relations": RELATION_COLUMNS}  # fmt: skip


def table_dtypes(name: str, *, offsets_missing: bool = False) -> dict[str, str]:
    """column -> dtype of a table; article offsets are floats when some are missing (as pandas infers)."""
    dtypes = dict.fromkeys(TABLE_COLUMNS[name], "object") | TABLE_DTYPES[name]
    if offsets_missing:
        dtypes |= {"article_start": "float64", "article_end": "float64"}
    return dtypes


class TableWriter:
    """One table written as its rows come, in each format: Parquet row groups under a schema fixed
    before the first row (a pandas DataFrame read back has the dtypes of table_dtypes), CSV and
    JSONL appended. Each format writes the same bytes it would write for the whole table at once."""

    def __init__(self, out_dir: Path, name: str, dtypes: dict[str, str], *, formats: Iterable[str]) -> None:
        import pyarrow as pa

        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the output folder {out_dir}: {exc.strerror}") from None
        self.name, self.dtypes, self.rows, self._started = name, dtypes, 0, False
        self._typed = {c: t for c, t in dtypes.items() if t != "object"}  # text columns stay as pandas made them
        self._valued: set[str] = set()  # columns with a value in some row
        self.paths = [out_dir / f"{name}.{fmt}" for fmt in formats]
        empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
        arrow = {"object": pa.string(), "Int64": pa.int64(), "int64": pa.int64(), "float64": pa.float64(),
                 "bool": pa.bool_()}  # fmt: skip
        meta = pa.Schema.from_pandas(empty, preserve_index=False).metadata
        self.schema = pa.schema([(c, arrow[t]) for c, t in dtypes.items()], metadata=meta)
        self._parquet = None

    def write(self, table: pd.DataFrame) -> None:
        """Append rows (columns in the table's order)."""
        retype = {c: t for c, t in self._typed.items() if table[c].dtype != t}  # most columns already are
        if retype:
            table = table.astype(retype)
        self._valued.update(c for c in self.dtypes if c not in self._valued and table[c].notna().any())
        mode = "a" if self._started else "w"
        for path in self.paths:
            if path.suffix == ".parquet":
                self._write_parquet(path, table)
            elif path.suffix == ".csv":
                table.to_csv(path, index=False, mode=mode, header=not self._started)
            else:
                with path.open(mode, encoding="utf-8") as out:
                    if len(table):
                        out.write(table.to_json(orient="records", lines=True, force_ascii=False))
        self.rows += len(table)
        self._started = True

    def _write_parquet(self, path: Path, table: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._parquet is None:
            self._parquet = pq.ParquetWriter(path, self.schema)
        try:
            arrow = pa.Table.from_pandas(table, schema=self.schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # A text column holding other values (a number as an article id, lines of a text answer):
            # written as their text rather than not at all.
            text = [c for c, t in self.dtypes.items() if t == "object"]
            table = table.assign(**{c: table[c].map(lambda v: v if v is None or isinstance(v, str) else str(v))
                                    for c in text})  # fmt: skip
            arrow = pa.Table.from_pandas(table, schema=self.schema, preserve_index=False)
        self._parquet.write_table(arrow)

    def close(self) -> list[Path]:
        if not self._started:  # no row came: the header (CSV), the schema (Parquet), an empty file (JSONL)
            self.write(pd.DataFrame({c: pd.Series(dtype=t) for c, t in self.dtypes.items()}))
        if self._parquet is not None:
            self._parquet.close()
            # pandas gives a column without any value the type null, not the type of its values:
            # the file says the same, so it reads back as the whole table written at once would.
            empty = [c for c, t in self.dtypes.items() if t in ("object", "float64") and c not in self._valued]
            if empty:
                _retype_null(next(p for p in self.paths if p.suffix == ".parquet"), empty)
        return self.paths


def _retype_null(path: Path, columns: list[str]) -> None:
    """Rewrite a Parquet file with these columns (all null) typed null, one row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    schema = source.schema_arrow
    for name in columns:
        schema = schema.set(schema.get_field_index(name), pa.field(name, pa.null()))
    rewritten = path.with_name(path.name + ".retyped")
    with pq.ParquetWriter(rewritten, schema) as out:
        for i in range(source.num_row_groups):
            group = source.read_row_group(i)
            out.write_table(pa.Table.from_arrays(
                [pa.nulls(len(group)) if f.name in columns else group.column(f.name) for f in schema], schema=schema
            ))  # fmt: skip
    source.close()
    rewritten.replace(path)


def write_table(
    table: pd.DataFrame, out_dir: Path, name: str, *, formats: Iterable[str] = ("parquet", "csv")
) -> list[Path]:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder {out_dir}: {exc.strerror}") from None
    written = []
    for fmt in formats:
        path = out_dir / f"{name}.{fmt}"
        if fmt == "parquet":
            table.to_parquet(path, index=False)
        elif fmt == "csv":
            table.to_csv(path, index=False)
        else:
            table.to_json(path, orient="records", lines=True, force_ascii=False)
        written.append(path)
    return written
