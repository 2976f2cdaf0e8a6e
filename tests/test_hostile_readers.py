"""One property per shared reader: any bytes in give a clean error (InputError or UsageError) or a
valid result, never another exception. The readers: JSON, JSONL and tables (annotate.inputs), a
benchmark table (articles.rows), an export (jsonstream), task files, a backup's manifest, past
checks, a matches file, a topics file."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import tarfile
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from annotate.errors import AnnotateError

SETTINGS = settings(max_examples=60, deadline=timedelta(seconds=5), database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip

# Bytes that look like the inputs, broken in the ways people break them: quotes, delimiters, nesting,
# NaN, surrogate escapes, BOMs, NULs, invalid UTF-8, truncation.
TOKENS = [b'"', b"'", b",", b"\t", b"\n", b"\r\n", b"[", b"]", b"{", b"}", b":", b"NaN", b"Infinity", b"-1e400",
          b'"\\ud800"', b'"\\u0000"', b"\xef\xbb\xbf", b"\x00", b"\xff\xfe", b"\xc3", b"id", b"claim", b"text",
          b"verdict", b"Sentence_id", b"Text", b"class_label", b"Yes", b"No", b"topic", b"keywords", b"1", b"a b",
          b'"mentions"', b'"cluster_id"', b"null", b"true", b"\\"]  # fmt: skip
noise = st.lists(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=4)), max_size=40).map(b"".join)


def _read(data: bytes, name: str, reader) -> None:
    """`reader(path)` of a file holding `data`: it returns, or raises a clean error (an AnnotateError,
    located and translated once by the CLI); anything else fails the property."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with contextlib.suppress(AnnotateError):
            reader(path)


@SETTINGS
@given(noise, st.sampled_from(["t.csv", "t.tsv"]))
def test_tables(data: bytes, name: str) -> None:
    from annotate.inputs import read_table

    _read(data, name, read_table)


@SETTINGS
@given(noise, st.sampled_from(["b.csv", "b.tsv"]))
def test_benchmark_tables(data: bytes, name: str) -> None:
    from annotate.articles.rows import read_rows

    _read(data, name, read_rows)


@SETTINGS
@given(noise)
def test_json_and_jsonl(data: bytes) -> None:
    from annotate.inputs import read_json, read_jsonl

    _read(data, "x.json", read_json)
    _read(data, "x.jsonl", read_jsonl)


@SETTINGS
@given(noise)
def test_exports(data: bytes) -> None:
    from annotate.labelstudio.exported.jsonstream import iter_array

    _read(data, "e.json", lambda p: list(iter_array(p)))


@SETTINGS
@given(noise)
def test_task_files(data: bytes) -> None:
    from annotate.articles.tasks import TaskFiles

    _read(data, "t.jsonl", lambda p: list(TaskFiles.scan([p])))


@SETTINGS
@given(noise, st.sampled_from(["p.csv", "p.jsonld", "p.json"]))
def test_past_checks(data: bytes, name: str) -> None:
    from annotate.dataset.verdicts import load_mapping
    from annotate.loop.pastchecks import read_against
    from annotate.resources import shipped_projects_dir

    mapping = load_mapping(shipped_projects_dir() / "verification" / "verdict-mapping.json")
    _read(data, name, lambda p: read_against(p, mapping))


@SETTINGS
@given(noise)
def test_matches_files(data: bytes) -> None:
    from annotate.loop.match import read_matches

    _read(data, "m.jsonl", read_matches)


@SETTINGS
@given(noise, st.sampled_from(["t.json", "t.csv"]))
def test_topics_files(data: bytes, name: str) -> None:
    from annotate.loop.triage import read_topics

    _read(data, name, read_topics)


@SETTINGS
@given(noise, st.booleans())
def test_backup_manifests(data: bytes, wrapped: bool) -> None:
    """Any manifest.json inside a tar.gz, or any bytes as the backup itself."""
    from annotate.labelstudio.service.backup import read_manifest

    _read(_backup(data) if wrapped else data, "b.tar.gz", read_manifest)


def _backup(manifest: bytes) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    return out.getvalue()


def test_a_good_manifest_still_reads() -> None:
    from annotate.labelstudio.service.backup import FORMAT, read_manifest

    body = json.dumps({"format": FORMAT, "backend": "sqlite", "counts": {"tasks": 1},
                       "files": {"database.sqlite3": "0" * 64, "login.json": "1" * 64}}).encode()  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.tar.gz"
        path.write_bytes(_backup(body))
        assert read_manifest(path)["counts"] == {"tasks": 1}


# What validate passes, the commands that read exports never crash on --------------------------------
BAD_VALUES = [float("nan"), float("inf"), "\ud800", "a\x00b", None, True, -1, 2**70, 1.5, "", "x" * 3, [], {},
              [[[[[]]]]], {"k\udc00": 1}, "\u202e", "1e400"]  # fmt: skip


def _paths(value, prefix=()):
    """Every (path, container) position in a JSON value, for a mutation to land on."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


@pytest.mark.slow
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(range(len(BAD_VALUES)))), min_size=1, max_size=3))
@example(mutations=[(1, 7)])  # a task id of 2**70 passed validate, then crashed combine (found by this property)
@example(mutations=[(209_213_146_628_864_950_140_927, 8)])  # char_start 1.5: the same (found by it too)
@example(mutations=[(107, 11)])  # article_id [] (found by trying every path with every value once)
@example(mutations=[(0, 13), (1, 13)])  # a nested list put inside its own copy: the test once built a cycle here
def test_what_validate_passes_no_reader_of_exports_crashes_on(mutations: list[tuple[int, int]]) -> None:
    from typer.testing import CliRunner

    from annotate.cli import app

    from .conftest import ROOT

    tasks = json.loads((ROOT / "tests" / "data" / "claims_export_valid.json").read_text(encoding="utf-8"))
    for where, which in mutations:
        paths = list(_paths(tasks))
        *parent, key = paths[where % len(paths)]
        container = tasks
        for part in parent:
            container = container[part]
        container[key] = copy.deepcopy(BAD_VALUES[which])  # a shared list put inside itself is a cycle
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "export.json"
        export.write_text(json.dumps(tasks, allow_nan=True), encoding="utf-8", errors="surrogatepass")
        checked = runner.invoke(app, ["validate", str(export), "--project", "claims"])
        assert checked.exit_code in (0, 1) and "failed unexpectedly" not in checked.stderr, checked.stderr
        if checked.exit_code:
            return
        for args in (["combine", str(export), "-o", f"{folder}/ds", "--allow-empty"], ["agreement", str(export)],
                     ["match", str(export), "--lexical"]):  # fmt: skip
            result = runner.invoke(app, [*args, "--project", "claims"])
            assert result.exit_code in (0, 1), f"{args[0]}: {result.stderr}"
            assert "failed unexpectedly" not in result.stderr and "Traceback" not in result.stderr, result.stderr
