"""Bad input, round two: the newer commands (`match --against`, `promote --matches`, `triage`,
tables read by `split`, `doctor`) and credentials in URLs. Each case: the exit code, a located
message, no traceback, nothing reaching the crash handler, outputs left as they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.cli.app import write_crash_log  # the real one: the no_crash fixture replaces it in the module

from .conftest import ROOT, free_port
from .hostile import fingerprint, no_crash, run  # noqa: F401  (no_crash: autouse fixture)

CLAIMS = ROOT / "tests" / "data" / "claims_export_valid.json"
HEADER = "Sentence_id\tText\tclass_label\n"
GOOD_PAST = "id,claim,verdict,organization,url\n1,Prices rose,false,O,https://o.example/1\n"

# A table's text -> what the error says. Each is tried as a CheckThat! table given to `split`, and
# (comma-separated) as past checks given to `match --against`.
BAD_TABLES = {
    "unclosed-quote-last-column": ('1\tFirst.\t"Yes\n2\tSecond.\tNo\n3\tThird.\tYes\n', "line 2: a quote opened here "
                                   "is never closed"),
    "unclosed-quote-first-column": ('"1\tFirst.\tYes\n2\tSecond.\tNo\n', "line 2: a quote opened here is never closed"),
    "quote-closed-rows-later": ('1\tFirst.\t"Yes\n2\tSecond.\tNo\n3\tThird.\tNo"\n', "a quoted cell runs to line 4"),
    "quote-then-text": ('1\t"First" said.\tYes\n', "closed by a quote mark with more text after it"),
    "too-many-cells": ("1\tA.\tYes\tx\n", "line 2: 4 cell(s), the header has 3"),
    "too-few-cells": ("1\tA.\n", "line 2: 2 cell(s), the header has 3"),
    "two-bad-rows": ("1\tA.\n2\tB.\tNo\n3\tC.\tNo\tx\n", "line 4: 4 cell(s)"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_split_reports_a_bad_table_and_writes_nothing(tmp_path: Path, case: str) -> None:
    body, says = BAD_TABLES[case]
    table = tmp_path / "ct.tsv"
    table.write_text(HEADER + body, encoding="utf-8")
    out = tmp_path / "tasks.jsonl"
    out.write_text("earlier\n")
    run("split", table, "-o", out, code=1, says=[str(table), says])
    assert out.read_text() == "earlier\n"


@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_match_reports_a_bad_past_check_table_before_any_work(tmp_path: Path, case: str) -> None:
    body, says = BAD_TABLES[case]
    past = tmp_path / "past.csv"
    past.write_text("id,claim,verdict\n" + body.replace("\t", ","), encoding="utf-8")
    out = tmp_path / "m.jsonl"
    run("match", CLAIMS, "--project", "claims", "--against", past, "--lexical", "-o", out, code=1,
        says=[str(past), says.replace("\t", ",").replace("header has 3", "header has 3")])  # fmt: skip
    assert not out.exists()


def test_every_bad_past_check_file_is_reported_together(tmp_path: Path) -> None:
    (tmp_path / "deep.jsonld").write_text("[" * 5000 + "]" * 5000)
    (tmp_path / "bad.csv").write_text('id,claim\n1,"open\n')
    (tmp_path / "twice.csv").write_text("id,claim,claim\n1,a,b\n")
    run("match", CLAIMS, "--project", "claims", "--lexical", "--against", tmp_path / "deep.jsonld", "--against",
        tmp_path / "bad.csv", "--against", tmp_path / "twice.csv", "--against", tmp_path / "gone.csv", code=1,
        says=["deep.jsonld: nested more than 64 levels deep", "bad.csv: line 2: a quote opened here",
              "twice.csv: line 1: the header names 'claim' more than once", "gone.csv"])  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("deep", "[" * 5000 + "]" * 5000 + "\n", "nested more than 64 levels deep"),
        ("not-json", "{oops\n", "not valid JSON"),
        ("no-mentions", '{"cluster_id": "c", "claim": "x", "mentions": [], "matches": []}\n', "`mentions` must be"),
        ("surrogate-id", '{"cluster_id": "c\\ud800", "claim": "x", "mentions": [], "matches": []}\n', "`mentions`"),
        ("nan-score", '{"cluster_id": "c", "mentions": [{"claim_id": "a"}], "matches": [{"score": NaN}]}\n', "NaN"),
        ("list", "[1, 2]\n", "line 1"),
    ],
)
def test_promote_reports_a_bad_matches_file_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               name: str, content: str, says: str) -> None:  # fmt: skip
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef")
    matches = tmp_path / "m.jsonl"
    matches.write_text(content, encoding="utf-8")
    run("promote", CLAIMS, "--project", "claims", "--matches", matches, "--dry-run", "--url",
        f"http://127.0.0.1:{free_port()}", code=1, says=[str(matches), says])  # fmt: skip


# doctor and URLs ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://[::1", "is not a valid URL (Invalid IPv6 URL)"),
        ("http://127.0.0.1:99999", "Port out of range"),
        ("http://127.0.0.1:-1", "is not a valid URL"),
        ("ftp://127.0.0.1:8080", "is not an http:// or https:// URL"),
        ("127.0.0.1:8080", "is not an http:// or https:// URL"),
        ("http://", "names no host"),
        ("http://exa mple.org", "holds spaces or control characters"),
        ("http://bob:s3cret@[::1", "is not a valid URL"),
    ],
)
def test_doctor_refuses_a_url_it_cannot_use(url: str, says: str) -> None:
    result = run("doctor", "--url", url, code=2, says=says)
    assert "s3cret" not in result.stdout + result.stderr  # type: ignore[attr-defined]


SECRET_URL = "http://bob:s3cret@127.0.0.1:{port}"


@pytest.mark.parametrize(
    "args",
    [
        ["doctor"],
        ["load", "{tasks}", "--project", "claims"],
        ["export", "--project", "claims"],
        ["prelabel", "--project", "claims"],
        ["project", "list"],
        ["adjudicate", "--project", "claims"],
        ["users", "list"],
    ],
    ids=lambda a: a[0] + ("-" + a[1] if len(a) > 1 and not a[1].startswith("{") else ""),
)
def test_a_password_in_the_url_is_never_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                args: list[str]) -> None:  # fmt: skip
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef")
    tasks = tmp_path / "t.jsonl"
    tasks.write_text(json.dumps({"text": "A sentence.", "kind": "sentence", "article_id": "a", "sentence_id": "a-0",
                                 "sentence_index": 0, "char_start": 0, "char_end": 11}) + "\n")  # fmt: skip
    url = SECRET_URL.format(port=free_port())
    filled = [a.replace("{tasks}", str(tasks)) for a in args]
    from typer.testing import CliRunner

    from annotate.cli import app

    result = CliRunner().invoke(app, [*filled, "--url", url])
    output = result.stdout + result.stderr
    assert result.exit_code in (1, 2) and "Traceback" not in output, output
    assert "s3cret" not in output and "bob:" not in output, output
    assert "127.0.0.1" in output  # the server is still named


def test_a_crash_log_never_holds_a_password_from_a_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    try:
        raise RuntimeError("failed to GET http://bob:s3cret@127.0.0.1:9/api and postgresql://u:pw9@h/db")
    except RuntimeError as exc:
        path = write_crash_log("annotate x", exc)
    assert path is not None
    text = path.read_text()
    assert "s3cret" not in text and "pw9" not in text and "http://***@127.0.0.1:9/api" in text


@pytest.mark.parametrize("at", ["yesterday", "2026-12-01T10:00:00", "", 42, None])
def test_doctor_reads_a_broken_backup_record_as_a_warning(tmp_path: Path, at: object) -> None:
    from annotate.labelstudio.service import doctor
    from annotate.labelstudio.service import settings as st

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "label_studio.sqlite3").write_bytes(b"")
    cfg = tmp_path / "cfg"
    last = {"path": str(tmp_path / "b.tar.gz"), "at": at}
    st.save_server(cfg, "http://127.0.0.1:9", {"api_key": "k", "data_dir": str(data_dir), "last_backup": last})
    report = doctor.diagnose(config_dir=cfg, url=None, api_key=None, projects_dir=ROOT / "projects")
    (check,) = [c for c in report.checks if c.name == "last backup"]
    assert check.status == "warn" and "not readable" in check.detail


# triage ------------------------------------------------------------------------------------------
TRIAGE_TOPICS = {
    "deep.json": ("[" * 5000 + "]" * 5000, "nested more than 64 levels deep"),
    "string.json": ('{"crime": "crime"}', "each a list of keyword strings"),
    "list.json": ('["crime"]', "not an object of topics"),
    "nan.json": ('{"crime": [NaN]}', "NaN"),
    "no-columns.csv": ("name,words\ncrime,crime\n", "topics need topic and keywords"),
    "unclosed.csv": ('topic,keywords\ncrime,"crime\n', "line 2: a quote opened here is never closed"),
    "bad-row.csv": ("topic,keywords\ncrime,crime,extra\n", "line 2: 3 cell(s), the header has 2"),
}


@pytest.mark.parametrize("name", sorted(TRIAGE_TOPICS))
def test_triage_refuses_a_bad_topics_file_before_any_work(tmp_path: Path, trained: Path, name: str) -> None:
    from .test_triage import articles

    body, says = TRIAGE_TOPICS[name]
    topics = tmp_path / name
    topics.write_text(body, encoding="utf-8")
    model = trained
    run("triage", articles(tmp_path / "in"), "--model", model, "--topics", topics, "-o", tmp_path / "o",
        "--lexical", code=1, says=[str(topics), says])  # fmt: skip
    assert not (tmp_path / "o").exists()


def test_triage_refuses_a_damaged_model_folder(tmp_path: Path, trained: Path) -> None:
    import shutil

    from .test_triage import articles

    model = tmp_path / "model"
    shutil.copytree(trained, model)
    (model / "model.joblib").write_bytes(b"not a pickle")
    run("triage", articles(tmp_path / "in"), "--model", model, "-o", tmp_path / "o", "--lexical", code=1,
        says="the model cannot be loaded")  # fmt: skip
    run("triage", articles(tmp_path / "in2"), "--model", tmp_path / "nowhere", "-o", tmp_path / "o", "--lexical",
        code=1, says="not a model folder")  # fmt: skip
    assert not (tmp_path / "o").exists()


@pytest.fixture
def trained(trained_model: Path) -> Path:
    """A small words-only model from `annotate train`."""
    return trained_model


# validate covers every field: what it passes, combine never crashes on --------------------------
def _export_with(tmp_path: Path, name: str, change) -> Path:
    tasks = json.loads(CLAIMS.read_text(encoding="utf-8"))
    change(tasks)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(tasks, allow_nan=True), encoding="utf-8")
    return path


def _first_result(tasks: list) -> dict:
    return next(r for t in tasks for a in t["annotations"] for r in a["result"] if "id" in r)


VALUE_CASES = {
    "surrogate-email": (lambda t: t[0]["annotations"][0].__setitem__(
        "completed_by", {"id": 1, "email": "a\ud800@x.org", "first_name": "", "last_name": ""}),
        "completed_by.email: error [values]: holds a lone surrogate (U+D800)"),
    "nul-first-name": (lambda t: t[0]["annotations"][0].__setitem__(
        "completed_by", {"id": 1, "email": "a@x.org", "first_name": "A\u0000", "last_name": ""}),
        "completed_by.first_name: error [values]: holds a NUL character"),
    "surrogate-region-id": (lambda t: _first_result(t).__setitem__("id", "r\udc00"),
                            "error [values]: holds a lone surrogate (U+DC00)"),
    "nan-lead-time": (lambda t: t[0]["annotations"][0].__setitem__("lead_time", float("nan")),
                      "lead_time: error [values]: nan is not a JSON value"),
    "infinity-lead-time": (lambda t: t[0]["annotations"][0].__setitem__("lead_time", float("inf")),
                           "lead_time: error [values]: inf is not a JSON value"),
    "nan-prediction-score": (lambda t: next(t_ for t_ in t if t_["predictions"])["predictions"][0].__setitem__(
        "score", float("nan")), "score: error [values]: nan is not a JSON value"),
    "surrogate-meta-key": (lambda t: t[0].__setitem__("meta", {"k\ud800": 1}), "(a key): error [values]"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(VALUE_CASES))
@pytest.mark.parametrize("command", ["validate", "combine", "agreement"])
def test_validate_and_every_reader_of_exports_refuse_a_bad_value(tmp_path: Path, case: str, command: str) -> None:
    change, says = VALUE_CASES[case]
    path = _export_with(tmp_path, case, change)
    args = {"validate": [], "combine": ["-o", tmp_path / "ds"], "agreement": []}[command]
    if command == "validate":  # the problems are validate's report: on stdout
        result = run(command, path, "--project", "claims", code=1, says="1 error")
        assert says in result.stdout  # type: ignore[attr-defined]
    else:
        run(command, path, "--project", "claims", *args, code=1, says=[says, str(path)])
    assert not (tmp_path / "ds").exists()


def test_combine_never_replaces_a_dataset_with_an_empty_one(tmp_path: Path) -> None:
    run("combine", CLAIMS, "--project", "claims", "-o", tmp_path / "ds", code=0)
    assert (tmp_path / "ds" / "sentences.csv").read_text().count("\n") > 1  # a dataset with rows
    before = fingerprint(tmp_path / "ds")
    empty = _export_with(tmp_path, "empty", lambda t: [task.__setitem__("annotations", []) for task in t])
    run("combine", empty, "--project", "claims", "-o", tmp_path / "ds", code=1,
        says=["no annotated task; the dataset would be empty", "--allow-empty"])  # fmt: skip
    assert fingerprint(tmp_path / "ds") == before


# Hints that send people the right way -------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "code", "says"),
    [
        ("export.json", "[]", 2, "is JSON (an export or task records?); --eval and a benchmark file"),
        ("records.jsonl", '{"text": "x"}\n', 2, "is JSON (an export or task records?)"),
        ("notes.txt", "Hello.\n", 2, "is not a .tsv or .csv file"),
        ("empty.tsv", "", 1, "empty"),
        ("labels.tsv", "Sentence_id\tText\tclass_label\n1\tA.\tMaybe\n", 1, "on no benchmark scale"),
    ],
)
def test_train_eval_names_a_file_of_the_wrong_kind(tmp_path: Path, trained: Path, name: str, content: str,
                                                    code: int, says: str) -> None:  # fmt: skip
    from .builders import dataset

    ds = dataset(tmp_path / "ds")
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    run("train", ds, "-o", tmp_path / "m", "--eval", path, code=code, says=says)
    assert not (tmp_path / "m").exists()  # refused before the work


def test_train_says_which_rows_it_left_out(tmp_path: Path) -> None:
    import pandas as pd

    rows = [{"sentence_id": f"s{i}", "text": None if i < 30 else f"Prices rose {i} percent." if i % 2 else "Hello.",
             "gold_claim_status": "claim_checkworthy" if i % 2 else "no_claim", "split": "train"}
            for i in range(40)]  # fmt: skip
    (tmp_path / "ds").mkdir()
    pd.DataFrame(rows).to_parquet(tmp_path / "ds" / "sentences.parquet")
    run("train", tmp_path / "ds", "-o", tmp_path / "m", code=0, says="30 labelled train row(s) have no text; left out")
    only_one = [r | {"gold_claim_status": "no_claim"} if r["text"] else r for r in rows]
    pd.DataFrame(only_one).to_parquet(tmp_path / "ds" / "sentences.parquet")
    run("train", tmp_path / "ds", "-o", tmp_path / "m2", code=1,
        says=["a classifier needs at least two (30 more labelled row(s) have no text and were left out)"])  # fmt: skip


def test_load_of_a_table_says_to_split_it_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef")
    table = tmp_path / "ct.tsv"
    table.write_text(HEADER + "1\tA sentence.\tYes\n2\tAnother.\tNo\n", encoding="utf-8")
    result = run(
        "load",
        table,
        "--project",
        "claims",
        "--url",
        f"http://127.0.0.1:{free_port()}",
        code=1,
        says=f"a table (one sentence a row), not task records: `annotate split {table} -o tasks.jsonl`",
    )
    assert "not valid JSON" not in result.stderr  # type: ignore[attr-defined]  # one line, not one a row


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.9, 0.999])
def test_a_truncated_export_says_the_file_ends_early(tmp_path: Path, cut: float) -> None:
    text = CLAIMS.read_text(encoding="utf-8")
    path = tmp_path / "cut.json"
    path.write_text(text[: int(len(text) * cut)], encoding="utf-8")
    run("combine", path, "--project", "claims", "-o", tmp_path / "ds", code=1, says="(cut off?")


@pytest.mark.parametrize(
    "args",
    [
        ["validate", str(CLAIMS)],
        ["combine", str(CLAIMS), "-o", "ds"],
        ["agreement", str(CLAIMS)],
        ["schema"],
        ["match", str(CLAIMS), "--lexical"],
    ],
    ids=lambda a: a[0],
)
def test_an_unknown_project_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    filled = [str(tmp_path / a) if a == "ds" else a for a in args]
    extra = ["nosuch"] if args == ["schema"] else ["--project", "nosuch"]
    run(*filled, *extra, code=2, says=["no project folder", "available projects: claims, verification"])


def test_split_warns_of_a_task_no_annotator_can_read_as_one_sentence(tmp_path: Path) -> None:
    article = tmp_path / "wall.txt"
    article.write_text("Title\n\n" + "word " * 3000 + "end.\n", encoding="utf-8")
    run("split", article, "-o", tmp_path / "t.jsonl", code=0, says="1 task(s) over 5,000 characters")
    lengths = [len(json.loads(line)["text"]) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert max(lengths) > 15_000  # the wall of words is one task, and the warning names it


def test_front_matter_without_its_closing_line_is_still_front_matter(tmp_path: Path) -> None:
    article = tmp_path / "a.md"
    article.write_text("---\ntitle: The title\nsource: Wire\n\nBody one. Body two.\n", encoding="utf-8")
    run("split", article, "-o", tmp_path / "t.jsonl", code=0)
    tasks = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert [t["text"] for t in tasks] == ["The title", "Body one.", "Body two."]
    assert tasks[1]["source"] == "Wire"


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (
            '<View><Text name="text" value="$text"/><Choices toName="text"><Choice value="a"/></Choices></View>',
            "has no name; every control needs one",
        ),
        (
            '<View><Text name="text" value="$text"/><Labels name="l" toName="text"><Label value="A"/><Label value="A"/>'
            "</Labels></View>",
            "has the value(s) 'A' more than once",
        ),
        ('<Text name="text" value="$text"/>', "the root tag is <Text>"),
    ],
)
def test_a_broken_label_config_is_refused(tmp_path: Path, config: str, says: str) -> None:
    import shutil

    shutil.copytree(ROOT / "projects" / "claims", tmp_path / "p" / "claims")
    (tmp_path / "p" / "claims" / "config.xml").write_text(config, encoding="utf-8")
    run("schema", "claims", "--projects-dir", tmp_path / "p", code=1, says=says)


def test_a_page_s_noscript_lines_and_repeated_headline_are_not_tasks(tmp_path: Path) -> None:
    page = ROOT / "tests" / "data" / "noscript_article.html"
    run("split", page, "-o", tmp_path / "t.jsonl", code=0)
    texts = [json.loads(line)["text"] for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert not any("JavaScript" in t for t in texts)
    assert texts.count("Prices rise again") == 1 and texts[1].startswith("Consumer prices rose by 3.2 percent")
