"""Property tests: random Unicode articles (lone surrogates, controls, astral characters, CR/CRLF,
separators) never crash `split`, and every offset is exact: the task's text is the article text of
the articles file between char_start and char_end."""

from __future__ import annotations

import io
import json
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from annotate.articles.segment import get_splitter
from annotate.articles.tasks import split_to_files
from annotate.cli import app

get_splitter("news")  # import sentencex once, outside the deadline

WORDS = ["Talks", "resumed", "on", "Monday.", "Mr.", "Smith", "said", "3.5%", "\u201cWe", "will\u201d", "U.S.",
         "(AP)", "a.m.", "Advertisement", "#", "-", "1.", "\u00a0", "\u202f", "!", "?", "\u2026", "\u00e9",
         "e\u0301"]  # fmt: skip
ODD = ["\r\n", "\r", "\n\n", "\n", "\t", "\x00", "\x0b", "\x85", "\x9f", "\ud800", "\udfff", "\U0001f600",
       "\U00010348", "\u2028", "\u2029", "\ufeff", "\ufffe", "\ufdd0", "\u200b", "\u0301"]  # fmt: skip
pieces = st.one_of(st.sampled_from(WORDS), st.sampled_from(ODD), st.text(st.characters(codec=None), max_size=3))
articles = st.lists(st.one_of(pieces, st.just(" ")), min_size=0, max_size=60).map("".join)

SETTINGS = settings(max_examples=100, deadline=timedelta(seconds=5), database=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


def check_offsets(tasks_text: str, articles_text: str) -> int:
    """Every offset exact, ids unique; returns the number of tasks."""
    tasks = [json.loads(line) for line in tasks_text.split("\n") if line]
    texts = {}
    for line in articles_text.split("\n"):
        if line:
            article = json.loads(line)
            texts[article["article_id"]] = article["text"]
    assert len({t["sentence_id"] for t in tasks}) == len(tasks)
    for task in tasks:
        assert task["text"].strip()
        if task["char_start"] is not None:
            assert texts[task["article_id"]][task["char_start"] : task["char_end"]] == task["text"]
        task_json = json.dumps(task, ensure_ascii=False)
        task_json.encode("utf-8")  # no lone surrogate can be written
    return len(tasks)


@SETTINGS
@given(st.lists(st.tuples(articles, st.one_of(st.none(), articles)), min_size=1, max_size=3))
def test_random_json_records_split_exactly(records: list[tuple[str, str | None]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "a.jsonl")
        source.write_text("\n".join(json.dumps({"text": text, "title": title}) for text, title in records) + "\n")
        out, articles_out = Path(folder, "t.jsonl"), Path(folder, "t.articles.jsonl")
        report = split_to_files([str(source)], output=out, articles_output=articles_out)
        assert report.articles + report.failed >= 1
        if report.articles:
            assert check_offsets(out.read_text(encoding="utf-8"), articles_out.read_text(encoding="utf-8")) == \
                report.tasks  # fmt: skip
        else:
            assert not out.exists() and not articles_out.exists()


@SETTINGS
@given(articles, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_random_text_files_split_exactly(text: str, encoding: str) -> None:
    raw = text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "a.txt")
        source.write_bytes(raw)
        out, articles_out = Path(folder, "t.jsonl"), Path(folder, "t.articles.jsonl")
        report = split_to_files([str(source)], output=out, articles_output=articles_out,
                                encoding="cp1252" if encoding == "cp1252" else None)  # fmt: skip
        if report.articles:
            check_offsets(out.read_text(encoding="utf-8"), articles_out.read_text(encoding="utf-8"))
        else:
            assert report.failed == 1


@settings(max_examples=40, deadline=timedelta(seconds=5), database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | articles.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_stdin_never_crashes_the_command(data: bytes) -> None:
    result = CliRunner().invoke(app, ["split", "-"], input=data)
    assert result.exit_code in (0, 1), result.exception
    assert "Traceback" not in result.stderr and "unexpectedly" not in result.stderr
    if result.exit_code == 0:
        records = [json.loads(line) for line in result.stdout.split("\n") if line]  # not splitlines(): U+2028
        assert records and all(r["text"].strip() for r in records)


def test_split_is_deterministic() -> None:
    text = "Mr. Smith said prices rose 3.5% on Monday.\r\n\r\nThe \ud800talks resumed. \U0001f600 Nobody knows."
    runs = []
    for _ in range(2):
        stream = io.StringIO()
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder, "a.jsonl")
            source.write_text(json.dumps({"text": text}) + "\n")
            split_to_files([str(source)], output=None, articles_output=None, stdout=stream)
        runs.append(stream.getvalue().replace(folder, ""))
    assert runs[0] == runs[1] and runs[0].count("\n") == 3


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(codec=None), max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(st.characters(codec=None), max_size=6),
                                                                  inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
record_fields = st.sampled_from(["id", "title", "text", "url", "source", "published", "author", "path", "record_id"])


@SETTINGS
@given(st.lists(st.dictionaries(record_fields | st.text(max_size=5), json_values | articles, max_size=6), max_size=4))
def test_random_json_records_never_crash(records: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "a.jsonl")
        source.write_text("\n".join(json.dumps(r) for r in records) + "\n")  # NaN/Infinity as JSON literals
        out, articles_out = Path(folder, "t.jsonl"), Path(folder, "t.articles.jsonl")
        report = split_to_files([str(source)], output=out, articles_output=articles_out)
        assert report.articles + report.failed >= 1
        if report.articles:
            check_offsets(out.read_text(encoding="utf-8"), articles_out.read_text(encoding="utf-8"))
            for line in articles_out.read_text(encoding="utf-8").split("\n"):
                if line:
                    json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} written"))  # strict JSON
