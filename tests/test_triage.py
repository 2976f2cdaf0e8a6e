"""`annotate triage`: the day's articles ranked by check-worthiness, syndicated sentences made one
row, past checks flagged with their verdict, the page and tables written as a whole."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.articles.tasks import split_sources
from annotate.cli import app
from annotate.errors import InputError, ServerUnreachable
from annotate.labelstudio.api.prelabel import with_status
from annotate.labelstudio.api.projects import ensure_project, load_project
from annotate.labelstudio.exported.exports import open_exports
from annotate.loop.triage import text_key, triage
from annotate.loop.triageload import Target
from annotate.loop.verification import promote

from .builders import annotation, span, status
from .conftest import ROOT, write_export
from .fakes import FakeLabelStudio

WORTHY = "Prices rose 14 percent in June, data showed."
OTHER = "We will keep fighting for families 12."


@pytest.fixture
def model(trained_model: Path) -> Path:
    return trained_model


def articles(folder: Path) -> Path:
    """Two outlets print the same check-worthy sentence; a third article has its own."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {"id": "wire-1", "title": "Prices", "source": "Wire", "url": "https://wire.example/1", "topic": "economy",
         "text": f"{WORTHY} {OTHER} Crime doubled to 40 cases since March."},
        {"id": "paper-1", "title": "Prices <b>again</b>", "source": "Paper", "url": "javascript:alert(1)",
         "text": f"{OTHER} {WORTHY.replace('Prices', 'prices').upper().lower().capitalize()}  "},
        {"id": "local-1", "title": "Local", "source": "Local", "url": "https://local.example/1",
         "text": "Thank you all for coming tonight number 8. The city spent $9 million on the bridge, officials said."},
    ]  # fmt: skip
    path = folder / "day.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def past(folder: Path) -> Path:
    path = folder / "past.csv"
    path.write_text("id,claim,verdict,organization,url,date\n"
                    "pc-1,Prices rose 14 percent in June,false,Checkers,https://checkers.example/pc-1,2026-06-30\n"
                    "pc-2,We will keep fighting for families 12,true,Checkers,https://checkers.example/pc-2,2026-05-02\n",
                    encoding="utf-8")  # fmt: skip
    return path


def test_the_day_is_ranked_syndicated_sentences_are_one_row_and_checked_claims_carry_their_verdict(
        model: Path, tmp_path: Path) -> None:  # fmt: skip
    day = articles(tmp_path / "in")
    found = triage([str(day)], model_dir=model, against=[past(tmp_path)], out=tmp_path / "out", day="2026-12-04")
    split = [r for item in split_sources([str(day)]) for r in item.records]
    assert sum(len(r.records) for r in found.rows) == len(split)  # every sentence, with split's ids
    assert {r["sentence_id"] for row in found.rows for r in row.records} == {r["sentence_id"] for r in split}
    scores = [r.checkworthiness for r in found.rows]
    assert scores == sorted(scores, reverse=True) and [r.rank for r in found.rows] == list(range(1, len(scores) + 1))
    (printed,) = [r for r in found.rows if text_key(r.text) == text_key(WORTHY)]
    assert [r["article_id"] for r in printed.records] == ["wire-1", "paper-1"] and printed.checkworthy
    assert [m.check.id for m in printed.matches] == ["pc-1"] and printed.matches[0].check.verdict == "false"
    (sunny,) = [r for r in found.rows if text_key(r.text) == text_key(OTHER)]
    assert not sunny.checkworthy and not sunny.matches  # only the check-worthy are matched
    counts = found.counts()
    assert {k: counts[k] for k in ("articles", "failed", "sentences", "unique", "already_checked")} == {
        "articles": 3, "failed": 0, "sentences": len(split), "unique": len(split) - 2,  # two sentences printed twice
        "already_checked": 1}  # fmt: skip

    rows = list(csv.DictReader((tmp_path / "out" / "triage.csv").open(encoding="utf-8")))
    assert [r["sentence_id"] for r in rows] == [r.sentence_id for r in found.rows]
    top = rows[printed.rank - 1]
    assert (top["outlets"], top["verdict"], top["organization"], top["check_url"], top["already_checked"]) == (
        "2",
        "false",
        "Checkers",
        "https://checkers.example/pc-1",
        "True",
    )
    lines = [json.loads(line) for line in (tmp_path / "out" / "triage.jsonl").read_text().splitlines()]
    assert lines[printed.rank - 1]["already_checked"][0]["verdict"] == "false"
    assert lines[printed.rank - 1]["topics"] == ["economy"]

    everything = triage([str(day)], model_dir=model, against=[past(tmp_path)], out=tmp_path / "all",
                        day="2026-12-04", match_all=True)  # fmt: skip
    (sunny,) = [r for r in everything.rows if text_key(r.text) == text_key(OTHER)]
    assert [m.check.id for m in sunny.matches] == ["pc-2"]


def test_the_page_reads_without_a_server_or_script_and_trusts_no_input(model: Path, tmp_path: Path) -> None:
    day = articles(tmp_path / "in")
    triage([str(day)], model_dir=model, against=[past(tmp_path)], out=tmp_path / "out", day="2026-12-04")
    page = (tmp_path / "out" / "triage.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and 'name="viewport"' in page
    assert "src=" not in page and "<link" not in page  # nothing fetched: one self-contained file
    assert "already checked: <strong>false</strong> by Checkers" in page
    assert '<a href="https://checkers.example/pc-1"' in page and '<a href="https://wire.example/1"' in page
    assert "javascript:" not in page and "Prices &lt;b&gt;again&lt;/b&gt;" in page  # text, not markup or a link
    assert page.count('<p class="text" dir="auto">') == len(page.split('<li class="row')) - 1
    assert "<h2>Topics</h2>" in page and ">economy<" in page


def test_a_bad_article_is_reported_the_rest_triaged_and_a_rerun_changes_nothing(model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    articles(folder)
    (folder / "broken.json").write_text('{"text": ', encoding="utf-8")
    runner = CliRunner()
    args = ["triage", str(folder), "--model", str(model), "--against", str(past(tmp_path)), "-o", str(tmp_path / "o")]
    first = runner.invoke(app, [*args, "--format", "json"])
    assert first.exit_code == 1 and "broken.json" in first.stderr and "Traceback" not in first.output
    report = json.loads(first.stdout)
    assert (report["articles"], report["failed"], report["already_checked"]) == (3, 1, 1)
    written = {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")}
    assert set(written) == {"triage.html", "triage.csv", "triage.jsonl"}
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "3 article(s)" in again.stdout and "1 already checked" in again.stdout
    assert {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")} == written


def test_topics_come_from_a_keyword_file_unless_the_article_has_its_own(model: Path, tmp_path: Path) -> None:
    day = articles(tmp_path / "in")
    topics = tmp_path / "topics.csv"
    topics.write_text("topic,keywords\ninfrastructure,bridge; road\ncrime,crime\n", encoding="utf-8")
    found = triage([str(day)], model_dir=model, out=tmp_path / "out", day="d", topics=topics)
    assert {a: r["topics"] for a, r in found.articles.items()} == {
        "wire-1": ["economy"], "paper-1": [], "local-1": ["infrastructure"]}  # fmt: skip
    bad = tmp_path / "topics.json"
    bad.write_text('{"crime": "crime"}', encoding="utf-8")
    with pytest.raises(InputError, match="each a list of keyword strings"):
        triage([str(day)], model_dir=model, out=tmp_path / "o2", day="d", topics=bad)


def test_a_model_for_other_labels_is_refused_before_any_work(model: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    for name in ("model.joblib", "model.json"):
        (other / name).write_bytes((model / name).read_bytes())
    meta = json.loads((other / "model.json").read_text())
    (other / "model.json").write_text(json.dumps(meta | {"labels": ["yes", "no"]}))
    result = CliRunner().invoke(app, ["triage", str(articles(tmp_path / "in")), "--model", str(other),
                                      "-o", str(tmp_path / "o")])  # fmt: skip
    assert result.exit_code == 1 and "predicts no, yes" in result.stderr and not (tmp_path / "o").exists()


# --load ------------------------------------------------------------------------------------------
def _target(tmp_path: Path, client) -> Target:
    claims = load_project("claims", projects_dir=ROOT / "projects")
    verification = load_project("verification", projects_dir=ROOT / "projects")
    config_dir = tmp_path / "config"
    for spec in (claims, verification):
        ensure_project(client, spec, config_dir=config_dir)
    return Target(lambda: client, claims, verification, config_dir)


def _project_tasks(client: FakeLabelStudio, title: str) -> list[dict]:
    (pid,) = [p for p, project in client.projects.items() if project.settings["title"] == title]
    return [t for t in sorted(client.stored.values(), key=lambda t: t["id"]) if t["project"] == pid]


def test_load_puts_the_day_in_rank_order_and_checked_claims_to_verify_once(model: Path, tmp_path: Path) -> None:
    client = FakeLabelStudio()
    target = _target(tmp_path, client)
    day = articles(tmp_path / "in")
    found = triage([str(day)], model_dir=model, against=[past(tmp_path)], out=tmp_path / "o", day="d", load=target)
    model_id = json.loads((model / "model.json").read_text())["model_id"]
    claims = _project_tasks(client, target.claims.title)
    assert [t["data"]["sentence_id"] for t in claims] == [r.sentence_id for r in found.rows]  # ids in rank order
    for task, row in zip(claims, found.rows, strict=True):
        (prediction,) = task["predictions"]
        assert (prediction["model_version"], prediction["score"]) == (model_id, row.certainty)
        assert prediction["result"] == with_status(row.text, row.claim_status)
    (claims_id,) = {t["project"] for t in claims}
    assert client.projects[claims_id].settings["sampling"] == "Sequential sampling"
    assert client.projects[claims_id].model_version == model_id
    (checked,) = _project_tasks(client, target.verification.title)
    (printed,) = [r for r in found.rows if r.matches]
    assert checked["data"]["cluster_id"] == checked["data"]["claim_id"] == printed.sentence_id
    assert [m["sentence_id"] for m in checked["data"]["mentions"]] == ["wire-1-0", "paper-1-39"]
    assert (
        checked["data"]["previously_checked"] == "previously checked: false by Checkers (https://checkers.example/pc-1)"
    )
    assert found.loaded is not None and (found.loaded.claims_created, found.loaded.verification_created) == (
        len(found.rows), 1)  # fmt: skip

    again = triage([str(day)], model_dir=model, against=[past(tmp_path)], out=tmp_path / "o", day="d", load=target)
    assert again.loaded is not None and (again.loaded.claims_created, again.loaded.verification_created) == (0, 0)
    assert len(client.stored) == len(claims) + 1

    # The annotated CLAIM span of that sentence, promoted later, joins the task: no second one.
    text = printed.records[0]["text"]
    data = {k: printed.records[0][k] for k in ("text", "kind", "article_id", "sentence_id", "sentence_index",
                                               "char_start", "char_end", "title", "url", "published")}  # fmt: skip
    result = [span("c", text, "Prices rose 14 percent in June", "CLAIM"), status("claim_checkworthy")]
    export = write_export(tmp_path / "claims.json", [{"id": 1, "data": data, "predictions": [],
                          "annotations": [annotation(10, "ann@x.org", result)]}], "claims")  # fmt: skip
    report = promote(open_exports([export], project="claims", projects_dir=ROOT / "projects"), client,
                     target.verification, config_dir=target.config_dir)  # fmt: skip
    assert (report.load.created, report.plan.present) == (0, 1)
    (joined,) = _project_tasks(client, target.verification.title)
    assert [m["claim_id"] for m in joined["data"]["mentions"]] == [
        "wire-1-0", "paper-1-39", f"wire-1-0/0-{len('Prices rose 14 percent in June')}"]  # fmt: skip
    assert joined["data"]["previously_checked"] == checked["data"]["previously_checked"]


def test_load_leaves_the_uncertainty_order_and_an_unreachable_server_loses_no_page(model: Path, tmp_path: Path) -> None:
    client = FakeLabelStudio()
    target = _target(tmp_path, client)
    claims_id = next(p for p, project in client.projects.items() if project.settings["title"] == target.claims.title)
    client.set_sampling(claims_id, "Uncertainty sampling")
    said: list[str] = []
    found = triage([str(articles(tmp_path / "in"))], model_dir=model, out=tmp_path / "o", day="d", load=target,
                   log=said.append)  # fmt: skip
    assert client.projects[claims_id].settings["sampling"] == "Uncertainty sampling"
    assert found.loaded is not None and found.loaded.claims_created == len(found.rows)
    assert any("uncertainty sampling); left as it is" in line for line in said)

    def unreachable():
        raise ServerUnreachable("cannot reach Label Studio at http://127.0.0.1:9 (ConnectError)")

    down = Target(unreachable, target.claims, target.verification, target.config_dir)
    result = triage([str(articles(tmp_path / "in"))], model_dir=model, out=tmp_path / "o2", day="d", load=down)
    assert result.failed and "the day was not loaded (cannot reach Label Studio" in result.not_loaded
    assert {p.name for p in (tmp_path / "o2").iterdir() if not p.name.startswith(".")} == {
        "triage.html", "triage.csv", "triage.jsonl"}  # fmt: skip


def test_an_index_made_with_another_embedding_model_is_refused_before_any_work(model: Path, tmp_path: Path) -> None:
    from annotate.loop.pastchecks import PastCheck
    from annotate.loop.pastindex import build_index

    from .test_semantic import semantic

    check = PastCheck("pc-1", "Prices rose 14 percent in June", "false", "False", "Checkers", "", "table")
    build_index({tmp_path / "past.csv": [check]}, tmp_path / "index", semantic=None)  # words only
    fake, _ = semantic(tmp_path)
    with pytest.raises(InputError, match=r"made with no embedding model .* this run uses fake-concepts 1"):
        triage([str(articles(tmp_path / "in"))], model_dir=model, against=[tmp_path / "index"], out=tmp_path / "o",
               day="d", semantic=fake)  # fmt: skip
    assert not (tmp_path / "o").exists()


def test_tomorrow_adds_tomorrows_sentences_after_todays_and_leaves_todays_work(model: Path, tmp_path: Path) -> None:
    client = FakeLabelStudio()
    target = _target(tmp_path, client)
    today = triage([str(articles(tmp_path / "today"))], model_dir=model, out=tmp_path / "o1", day="1", load=target)
    first = _project_tasks(client, target.claims.title)
    client.create_annotation(first[0]["id"], [status("no_claim")])
    tomorrow = tmp_path / "tomorrow"
    tomorrow.mkdir()
    (tomorrow / "next.jsonl").write_text(json.dumps({"id": "wire-2", "title": "Later", "text": f"{WORTHY} Crime "
                                                     "doubled to 90 cases since April."}) + "\n")  # fmt: skip
    later = triage([str(tomorrow)], model_dir=model, out=tmp_path / "o2", day="2", load=target)
    tasks = _project_tasks(client, target.claims.title)
    assert [t["data"]["sentence_id"] for t in tasks[: len(first)]] == [r.sentence_id for r in today.rows]
    assert [t["data"]["sentence_id"] for t in tasks[len(first) :]] == [r.sentence_id for r in later.rows]
    assert tasks[0]["total_annotations"] == 1 and len(tasks[0]["annotations"]) == 1  # today's work kept
