"""A pooled stand-in for the verified claims of CheckThat! 2021 task 2A Arabic (and 2022's, which
reuses its queries): no public copy of the collection (about 30,400 claims: CT2021-Task2A-AR-
Verified_Claims.txt, vclaims.zip, 2022's vclaims_json.zip) could be fetched; every copy found is
missing from the snapshots. What is public is a team's candidate lists
(`Watheq9/detecting-vclaims-twitter`, data/CLEF_2021/Arabic: the dev top-50 and test top-20
candidates of their retrieval, and their train pairs, each with the verified claim's text and
title). Their union, about 6,500 verified claims, is the pool: every ranker of
benchmarks/match_bench.py is scored against the same pool, so they compare fairly with each other,
but not with the lab's figures (fewer claims to rank; the pool was drawn by another system).

    .venv/bin/python benchmarks/arabic_pool.py GIT_DIR QUERIES_DIR OUT_DIR

GIT_DIR: a clone (or bare git directory) of that repository; QUERIES_DIR: the lab's 2021 2A Arabic
queries and qrels (*Queries.*, *QRELs*); OUT_DIR gets links to them and vclaims.jsonl.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from lxml import etree

FOLDER = "data/CLEF_2021/Arabic"
LISTS = ["dev_sets/ar-clef2021-mono_bert_dev_set_top_50.tsv", "test_sets/2021-mono_bert_test_set_top_20.tsv"]
TRAIN = "train_sets/2021_mono_bert_train_set-both_vclaim_and_title.xlsx"
_SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _show(git_dir: Path, path: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", "show", f"HEAD:{FOLDER}/{path}"], check=True,
                          capture_output=True).stdout  # fmt: skip


def _xlsx_rows(data: bytes) -> list[dict[str, str]]:
    """The rows of the first sheet of an .xlsx as dicts by its header (strings and numbers)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        shared = ["".join(si.itertext()) for si in etree.fromstring(z.read("xl/sharedStrings.xml")).iter(f"{_SHEET}si")]
        sheet = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{_SHEET}row"):
        cells = []
        for c in row.iter(f"{_SHEET}c"):
            v = c.find(f"{_SHEET}v")
            text = v.text if v is not None and v.text is not None else ""
            cells.append(shared[int(text)] if c.get("t") == "s" and text else text)
        rows.append(cells)
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def pool(git_dir: Path) -> dict[str, tuple[str, str]]:
    """vclaim_id -> (text, title), first seen first."""
    found: dict[str, tuple[str, str]] = {}
    for name in LISTS:
        for row in csv.DictReader(io.StringIO(_show(git_dir, name).decode("utf-8")), delimiter="\t"):
            found.setdefault(row["vclaim_id"], (row["vclaim"], row.get("title") or ""))
    for row in _xlsx_rows(_show(git_dir, TRAIN)):
        found.setdefault(row["vclaim_id"], (row["vclaim"], row.get("title") or ""))
    return found


def main() -> None:
    git_dir, queries, out = (Path(a) for a in sys.argv[1:4])
    out.mkdir(parents=True, exist_ok=True)
    claims = pool(git_dir)
    with (out / "vclaims.jsonl").open("w", encoding="utf-8") as f:
        for cid, (text, title) in claims.items():
            f.write(json.dumps({"vclaim_id": cid, "vclaim": text, "title": title}, ensure_ascii=False) + "\n")
    for path in sorted(queries.iterdir()):
        if ("Queries" in path.name or "QRELs" in path.name) and not (out / path.name).exists():
            (out / path.name).symlink_to(path.resolve())
    print(f"{len(claims)} verified claims in {out / 'vclaims.jsonl'}")


if __name__ == "__main__":
    main()
