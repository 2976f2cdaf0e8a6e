"""Flatten exports into tables: one row per annotated span or choice.

Full JSON exports keep what JSON_MIN and CSV lose (relations, which span a per-region answer
belongs to); this stage turns them into rows that pandas and Parquet readers take directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError

ANNOTATION_COLUMNS = [
    "article_id",
    "sentence_id",
    "task_id",
    "annotation_id",
    "annotator",
    "from_name",
    "type",
    "label",
    "start",
    "end",
    "text",
    "region_id",
]


def annotator_of(annotation: dict[str, Any]) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    return str(who)


def _rows(task: dict[str, Any]) -> Iterable[dict[str, Any]]:
    data = task.get("data", {})
    for annotation in task.get("annotations", []):
        if annotation.get("was_cancelled"):
            continue
        base = {
            "article_id": data.get("article_id"),
            "sentence_id": data.get("sentence_id"),
            "task_id": task.get("id"),
            "annotation_id": annotation.get("id"),
            "annotator": annotator_of(annotation),
        }
        for result in annotation.get("result", []):
            kind = result.get("type")
            value = result.get("value", {})
            labels = {"labels": value.get("labels"), "choices": value.get("choices")}.get(kind)
            if not labels:
                continue  # relations and free text have their own tables (datasets issue)
            for label in labels:
                yield {
                    **base,
                    "from_name": result.get("from_name"),
                    "type": kind,
                    "label": label,
                    "start": value.get("start"),
                    "end": value.get("end"),
                    "text": value.get("text") if isinstance(value.get("text"), str) else None,
                    "region_id": result.get("id"),
                }


def annotations_table(exports: Iterable[Iterable[dict[str, Any]]]) -> pd.DataFrame:
    rows = [row for tasks in exports for task in tasks for row in _rows(task)]
    table = pd.DataFrame(rows, columns=ANNOTATION_COLUMNS)
    return table.astype({"start": "Int64", "end": "Int64", "task_id": "Int64", "annotation_id": "Int64"})


def write_table(table: pd.DataFrame, out_dir: Path, name: str) -> list[Path]:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder {out_dir}: {exc.strerror}") from None
    parquet, csv = out_dir / f"{name}.parquet", out_dir / f"{name}.csv"
    table.to_parquet(parquet, index=False)
    table.to_csv(csv, index=False)
    return [parquet, csv]
