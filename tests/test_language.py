"""A language for every article: detected per article (py3langid, its model in its wheel), recorded
in each task, the article split with that language's rules; an English article's ids never change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.articles.language import languages
from annotate.articles.tasks import split_sources
from annotate.cli import app

from .conftest import ROOT

SPANISH = ("Los precios subieron un tres por ciento en mayo, dijo el ministro. El Sr. Pérez llegó tarde a la "
           "reunión. La reunión terminó a las cinco de la tarde.")  # fmt: skip


def _english_sources(tmp_path: Path) -> list[str]:
    """Every English article of the repository: the examples, the HTML sample, the splitting battery."""
    battery = json.loads((ROOT / "tests" / "data" / "news_battery.json").read_text(encoding="utf-8"))
    records = tmp_path / "battery.jsonl"
    records.write_text("".join(json.dumps({"id": b["id"], "text": b["text"]}) + "\n" for b in battery))
    return [str(p) for p in sorted((ROOT / "examples" / "articles").iterdir())] + [
        str(ROOT / "tests" / "data" / "noscript_article.html"), str(records)]  # fmt: skip


def test_auto_never_changes_an_english_article_s_ids(tmp_path: Path) -> None:
    def split(language: str) -> list[tuple[str, str]]:
        return [(r["sentence_id"], r["text"]) for item in split_sources(_english_sources(tmp_path), language=language)
                for r in item.records]  # fmt: skip

    assert split("auto") == split("en") and len(split("en")) > 40


def test_an_article_s_language_is_detected_recorded_and_its_rules_used(tmp_path: Path) -> None:
    article = tmp_path / "es.txt"
    article.write_text(SPANISH, encoding="utf-8")
    result = CliRunner().invoke(app, ["split", str(article), "-o", str(tmp_path / "t.jsonl")])
    assert result.exit_code == 0, result.stderr
    tasks = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert {(t["language"], t["splitter"].endswith("/es")) for t in tasks} == {("es", True)}
    assert all(t["language_confidence"] > 0.9 for t in tasks)
    assert [t["text"] for t in tasks][1] == "El Sr. Pérez llegó tarde a la reunión."
    given = CliRunner().invoke(app, ["split", str(article), "--language", "es"])
    assert given.exit_code == 0 and {json.loads(line)["language_confidence"] for line in given.stdout.splitlines()} == {
        None}  # fmt: skip


def test_a_language_without_rules_of_its_own_is_said_once_a_run(tmp_path: Path) -> None:
    italian = "Il governo ha approvato la legge ieri sera. I sindacati hanno annunciato uno sciopero generale."
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(italian, encoding="utf-8")
    (tmp_path / "c.txt").write_text(SPANISH, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["split", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), str(tmp_path / "c.txt")]
    )
    assert result.exit_code == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "no splitting rules of its own" in line]
    assert len(said) == 1 and "'it'" in said[0] and "English" in said[0]
    assert {json.loads(line)["language"] for line in result.stdout.splitlines()} == {"it", "es"}


def test_an_unclear_language_is_split_with_the_english_rules_and_said(tmp_path: Path) -> None:
    article = tmp_path / "short.txt"
    article.write_text("Ok. Yes.", encoding="utf-8")
    result = CliRunner().invoke(app, ["split", str(article)])
    assert result.exit_code == 0
    assert "its language is unclear" in result.stderr and "split with the English rules" in result.stderr
    assert {json.loads(line)["language"] for line in result.stdout.splitlines()} == {"en"}


@pytest.mark.parametrize("code", ["xx", "english", "EN", ""])
def test_an_unknown_language_is_a_usage_error(tmp_path: Path, code: str) -> None:
    article = tmp_path / "a.txt"
    article.write_text(SPANISH, encoding="utf-8")
    result = CliRunner().invoke(app, ["split", str(article), "--language", code])
    assert result.exit_code == 2 and "give auto or an ISO 639-1 code" in result.stderr
    listed = result.stderr.split("has none): ", 1)[1].split()  # every code it takes, in order
    assert [c.rstrip(",") for c in listed] == sorted(languages()) and {"ar", "en", "es", "nl"} <= set(languages())
