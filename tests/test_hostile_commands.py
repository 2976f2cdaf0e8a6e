"""Bad input for the commands other than split: task files (`load`), project folders (`schema`,
project loading), datasets (`train`), server URLs and the settings file. Each case: the exit code,
a located message, no traceback, and outputs that existed left byte-identical."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from .conftest import ROOT, free_port
from .hostile import fingerprint, no_crash, run  # noqa: F401  (no_crash: autouse fixture)

PROJECTS = ROOT / "projects"
TASK = {"text": "A sentence.", "kind": "sentence", "article_id": "a", "sentence_id": "a-0", "sentence_index": 0,
        "char_start": 0, "char_end": 11}  # fmt: skip


# load: reading task files (no server needed: the file is read and reported before the first request) --
@pytest.fixture
def dead_server(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef")
    return ["--url", f"http://127.0.0.1:{free_port()}", "--projects-dir", str(PROJECTS)]


def line(**changes: object) -> str:
    return json.dumps(TASK | changes)


BAD_TASK_LINES = {
    "not-json": ("{oops", "not valid JSON"),
    "nan": ('{"text": NaN}', "NaN is not valid JSON; write null or a number"),
    "infinity": (line()[:-1] + ', "x": Infinity}', "Infinity is not valid JSON"),
    "deep": ("[" * 10000 + "]" * 10000, "nested too deeply to be a task record"),
    "huge-float": (line()[:-1] + ', "x": -1e400}', "-1e400 is beyond the range of a number"),
    "huge-int": (
        line(sentence_index=0).replace('"sentence_index": 0', '"sentence_index": ' + "7" * 5000),
        "not readable JSON (Exceeds the limit",
    ),
    "list": ("[1, 2]", "a task record must be a JSON object"),
    "string": ('"text"', "a task record must be a JSON object"),
    "missing-fields": ('{"text": "x"}', "task record lacks kind, article_id, sentence_id"),
    "text-number": (line(text=5), "task text must be a non-empty string"),
    "text-blank": (line(text="  "), "task text must be a non-empty string"),
    "sentence-id-number": (line(sentence_id=3), "sentence_id must be a non-empty string"),
    "sentence-id-empty": (line(sentence_id=""), "sentence_id must be a non-empty string"),
    "article-id-null": (line(article_id=None), "article_id must be a non-empty string"),
    "index-float": (line(sentence_index=1.0), "sentence_index must be an integer"),
    "start-float": (line(char_start=0.0), "char_start must be an integer or null"),
    "end-string": (line(char_end="11"), "char_end must be an integer or null"),
    "start-bool": (line(char_start=True), "char_start must be an integer or null"),
    "surrogate-text": (line(text="A \ud800 sentence."), "$.text holds a lone surrogate or a NUL character"),
    "surrogate-id": (line(sentence_id="a-\udc00"), "$.sentence_id holds a lone surrogate"),
    "nul-in-context": (line(context_after="x\u0000y"), "$.context_after holds a lone surrogate or a NUL"),
    "surrogate-nested": (line(meta={"k": ["\ud800"]}), "$.meta.k[0] holds a lone surrogate"),
}


@pytest.mark.parametrize("name", BAD_TASK_LINES)
def test_bad_task_line_is_located(tmp_path: Path, name: str, dead_server: list[str]) -> None:
    content, message = BAD_TASK_LINES[name]
    path = tmp_path / "tasks.jsonl"
    path.write_text(line() + "\n" + content + "\n", encoding="utf-8", errors="surrogatepass")
    run("load", path, "--project", "claims", *dead_server, code=1, says=[f"Error: {path}:2: ", message])


@pytest.mark.parametrize(("arrange", "message"), [
    ("missing", "no such file"),
    ("folder", "is a directory, expected a JSONL task file"),
    ("latin1", "not valid UTF-8 at byte 12"),
    ("utf16", "1: not valid JSON"),
])  # fmt: skip
def test_unreadable_task_file(tmp_path: Path, arrange: str, message: str, dead_server: list[str]) -> None:
    path = tmp_path / "tasks.jsonl"
    if arrange == "folder":
        path.mkdir()
    elif arrange == "latin1":
        path.write_bytes(b'{"text":"caf\xe9"}\n')
    elif arrange == "utf16":
        path.write_bytes(line().encode("utf-16-le"))
    run("load", path, "--project", "claims", *dead_server, code=1, says=[f"Error: {path}", message])


def test_a_line_separator_inside_a_task_is_one_line(tmp_path: Path) -> None:
    from annotate.articles.tasks import TaskFiles

    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(TASK | {"text": "A\u2028sentence."}, ensure_ascii=False) + "\r\n", encoding="utf-8")
    found = TaskFiles.scan([path])
    records, problems = list(found), found.rejected
    assert problems == [] and records[0]["text"] == "A\u2028sentence."


# project folders: schema and every command that loads a project -------------------------------
def broken_project(tmp_path: Path, arrange: str) -> Path:
    projects = tmp_path / "projects"
    shutil.copytree(PROJECTS / "claims", projects / "claims")
    config, settings = projects / "claims" / "config.xml", projects / "claims" / "project.json"
    if arrange == "config-folder":
        config.unlink()
        config.mkdir()
    elif arrange == "config-latin1":
        config.write_bytes(b"<!-- caf\xe9 -->" + config.read_bytes())
    elif arrange == "config-utf16":
        config.write_bytes(config.read_text().encode("utf-16"))
    elif arrange == "config-missing":
        config.unlink()
    elif arrange == "config-not-xml":
        config.write_text("<View><Text name='text' value='$text'></View>")
    elif arrange == "config-entities":
        config.write_text('<!DOCTYPE v [<!ENTITY a "aaaa">]><View><Text name="t" value="&a;"/></View>')
    elif arrange == "config-empty":
        config.write_text("")
    elif arrange == "settings-not-json":
        settings.write_text("{title: 'x'}")
    elif arrange == "settings-list":
        settings.write_text("[]")
    elif arrange == "settings-deep":
        settings.write_text("[" * 10000 + "]" * 10000)
    elif arrange == "settings-latin1":
        settings.write_bytes(b'{"title": "Caf\xe9"}')
    elif arrange == "settings-folder":
        settings.unlink()
        settings.mkdir()
    elif arrange == "instructions-binary":
        (projects / "claims" / json.loads(settings.read_text())["instructions"]).write_bytes(b"\xff\xfe\xfa")
    return projects


PROJECT_PROBLEMS = {
    "config-folder": "config.xml: is a folder, expected a file",
    "config-latin1": "config.xml: not valid UTF-8 at byte 8",
    "config-utf16": "config.xml: not valid UTF-8 at byte 0",
    "config-missing": "config.xml: missing from the project folder",
    "config-not-xml": "config.xml:1:",
    "config-entities": "config.xml: forbidden XML construct",
    "config-empty": "config.xml:1:0: not well-formed XML",
    "settings-not-json": "project.json:1:2: not valid JSON",
    "settings-list": "project.json: (top): [] is not of type 'object'",
    "settings-deep": "project.json: nested too deeply",
    "settings-latin1": "project.json: not valid UTF-8 at byte 14",
    "settings-folder": "project.json: is a folder, expected a file",
    "instructions-binary": "instructions file",
}


@pytest.mark.parametrize("arrange", PROJECT_PROBLEMS)
def test_schema_of_a_broken_project(tmp_path: Path, arrange: str) -> None:
    projects = broken_project(tmp_path, arrange)
    out = tmp_path / "claims.schema.json"
    out.write_text("previous schema\n")
    run("schema", "claims", "--projects-dir", projects, "-o", out, code=1, says=PROJECT_PROBLEMS[arrange])
    assert out.read_text() == "previous schema\n"


@pytest.mark.parametrize("arrange", ["config-folder", "config-latin1", "settings-deep"])
@pytest.mark.parametrize(
    "command",
    [
        ["project", "create", "claims"],
        ["project", "show", "claims"],
        ["prelabel", "--project", "claims"],
        ["adjudicate", "--project", "claims"],
    ],
)
def test_commands_that_load_a_broken_project(
    tmp_path: Path, arrange: str, command: list[str], dead_server: list[str]
) -> None:
    projects = broken_project(tmp_path, arrange)
    run(*command, *dead_server, "--projects-dir", projects, code=1, says=PROJECT_PROBLEMS[arrange])


def test_unknown_project(tmp_path: Path) -> None:
    run("schema", "nope", "--projects-dir", PROJECTS, code=2,  # an unknown project name is a usage error
        says=[f"Error: no project folder {PROJECTS / 'nope'}", "Hint: available projects: claims"])  # fmt: skip


@pytest.mark.parametrize("name", ["config.xml", "project.json", "instructions.html"])
def test_schema_output_equal_to_a_project_file(tmp_path: Path, name: str) -> None:
    projects = broken_project(tmp_path, "none")
    target = projects / "claims" / name
    before = target.read_bytes()
    run("schema", "claims", "--projects-dir", projects, "-o", target, code=2,
        says=f"Error: -o {target} is also an input")  # fmt: skip
    assert target.read_bytes() == before


def test_schema_output_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    run("schema", "claims", "--projects-dir", PROJECTS, "-o", tmp_path / "out", code=2, says="is a folder")


def test_schema_output_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    run("schema", "claims", "--projects-dir", PROJECTS, "-o", tmp_path / "file" / "s.json", code=1,
        says="Error: cannot write")  # fmt: skip


# train ----------------------------------------------------------------------------------------
def sentences(rows: int = 30, **overrides: object) -> pd.DataFrame:
    table = pd.DataFrame({
        "sentence_id": [f"s{i}" for i in range(rows)],
        "text": [f"Prices rose {i}% in May." if i % 2 else f"It was a sunny day number {i}." for i in range(rows)],
        "gold_claim_status": ["claim_checkworthy" if i % 2 else "no_claim" for i in range(rows)],
        "split": ["test" if i % 5 == 0 else "train" for i in range(rows)],
    })  # fmt: skip
    for column, value in overrides.items():
        table[column] = value
    return table


def dataset(tmp_path: Path, arrange: str) -> Path:
    folder = tmp_path / "ds"
    folder.mkdir()
    if arrange == "csv-binary":
        (folder / "sentences.csv").write_bytes(b"\x00\xff\x00garbage")
    elif arrange == "csv-empty":
        (folder / "sentences.csv").write_bytes(b"")
    elif arrange == "csv-no-columns":
        (folder / "sentences.csv").write_text("a,b\n1,2\n")
    elif arrange == "parquet-corrupt":
        (folder / "sentences.parquet").write_bytes(b"PAR1 not really")
    elif arrange == "jsonl-bad":
        (folder / "sentences.jsonl").write_text('{"sentence_id": "s"\n')
    elif arrange == "one-class":
        sentences(gold_claim_status="no_claim").to_parquet(folder / "sentences.parquet")
    elif arrange == "no-labels":
        sentences(gold_claim_status=None).to_csv(folder / "sentences.csv", index=False)
    elif arrange == "no-train-split":
        sentences(split="test").to_parquet(folder / "sentences.parquet")
    return folder


TRAIN_PROBLEMS = {
    "csv-binary": "sentences.csv: cannot be read",
    "csv-empty": "sentences.csv: cannot be read",
    "csv-no-columns": "sentences.csv: lacks the column(s) sentence_id, text, gold_claim_status, split",
    "parquet-corrupt": "sentences.parquet: cannot be read",
    "jsonl-bad": "sentences.jsonl: cannot be read",
    "one-class": "a classifier needs at least two",
    "no-labels": "a classifier needs at least two",
    "no-train-split": "the train split has 0 labelled sentence(s)",
    "empty-folder": "no sentences table",
}


@pytest.mark.parametrize("arrange", TRAIN_PROBLEMS)
def test_train_on_a_bad_dataset_keeps_the_old_model(tmp_path: Path, arrange: str) -> None:
    folder = dataset(tmp_path, arrange)
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text('{"model_id": "old"}\n')
    before = fingerprint(model)
    run("train", folder, "-o", model, code=1, says=[TRAIN_PROBLEMS[arrange], "Hint: "])
    assert fingerprint(model) == before


def test_train_on_a_missing_dataset(tmp_path: Path) -> None:
    run("train", tmp_path / "nope", "-o", tmp_path / "m", code=1, says="no sentences table")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("empty", [None, "", float("nan")])
def test_train_with_empty_texts(tmp_path: Path, empty: object) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    table = sentences()
    table.loc[3, "text"] = empty
    table.to_csv(folder / "sentences.csv", index=False)
    result = run("train", folder, "-o", tmp_path / "m", "--format", "json", code=0)
    assert json.loads(result.stdout)["train_sentences"] == 23  # the empty one is left out


def test_train_output_equal_to_the_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    sentences().to_parquet(folder / "sentences.parquet")
    before = fingerprint(folder)
    run("train", folder, "-o", folder, code=2, says="is the dataset folder or holds it")
    run("train", folder, "-o", tmp_path, code=2, says="is the dataset folder or holds it")
    assert fingerprint(folder) == before


def test_train_will_not_replace_a_folder_of_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    sentences().to_parquet(folder / "sentences.parquet")
    model = tmp_path / "model"
    model.mkdir()
    (model / "notes.txt").write_text("mine")
    run("train", folder, "-o", model, code=2, says=["holds files annotate did not write (notes.txt)", "Hint: "])
    assert [p.name for p in model.iterdir()] == ["notes.txt"]


def test_train_replaces_its_own_model_whole(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    sentences().to_parquet(folder / "sentences.parquet")
    run("train", folder, "-o", tmp_path / "model", "--lexical", code=0)
    (tmp_path / "model" / "model.json").write_text("stale")
    run("train", folder, "-o", tmp_path / "model", "--lexical", code=0)
    assert json.loads((tmp_path / "model" / "model.json").read_text())["model_id"].startswith("annotate-hash-sgd-")


def test_train_output_that_is_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    folder.mkdir()
    sentences().to_parquet(folder / "sentences.parquet")
    (tmp_path / "model").write_text("a file")
    run("train", folder, "-o", tmp_path / "model", code=2, says="is a file, not a folder")
    assert (tmp_path / "model").read_text() == "a file"


# server URLs and the settings file ------------------------------------------------------------
BAD_URLS = {
    "http://[::1": "'http://[::1' is not a valid URL (Invalid IPv6 URL)",
    "http://host:99999": "is not a valid URL (Port out of range",
    "http://host:port": "is not a valid URL",
    "ftp://host": "is not an http:// or https:// URL",
    "127.0.0.1:8080": "is not an http:// or https:// URL",
    "http://": "names no host",
    "http://exa mple.org": "holds spaces or control characters",
    "http://host\n": "holds spaces or control characters",
}


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("command", [["project", "list"], ["users", "list"], ["project", "show", "claims"],
                                     ["prelabel", "--project", "claims"]])  # fmt: skip
def test_malformed_url_option(monkeypatch: pytest.MonkeyPatch, url: str, command: list[str]) -> None:
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef")
    projects = ["--projects-dir", str(PROJECTS)] if "claims" in command else []
    run(*command, *projects, "--url", url, code=2, says=["Error: --url: ", BAD_URLS[url], "Hint: give a URL such as"])


def test_url_idna_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef")
    run("project", "list", "--url", "http://xn--a-.example", code=1,
        says="Error: http://xn--a-.example is not a valid Label Studio URL")  # fmt: skip


def test_malformed_url_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://[::1")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef")
    run("project", "list", code=1, says="Error: LABEL_STUDIO_URL: 'http://[::1' is not a valid URL")


SETTINGS = {
    "not-json": (b"{", "is not valid JSON (line 1, column 2)"),
    "list": (b"[]", "must hold a JSON object"),
    "latin1": (b'{"current": "caf\xe9"}', "is not valid UTF-8 (byte 16)"),
    "deep": (b"[" * 10000 + b"]" * 10000, "is nested too deeply"),
    "servers-list": (b'{"current": "http://127.0.0.1:1", "servers": []}', '"servers" must be an object of objects'),
    "current-number": (b'{"current": 8080}', '"current" must be a URL string'),
    "bad-current-url": (b'{"current": "http://[::1"}', "is not a valid URL"),
    "servers-of-lists": (b'{"servers": {"http://h": []}}', '"servers" must be an object of objects'),
    "key-number": (
        b'{"servers": {"http://h": {"api_key": 5, "data_dir": ["x"]}}}',
        '"servers" -> http://h: api_key, data_dir must be strings',
    ),
}


@pytest.mark.parametrize("name", SETTINGS)
def test_broken_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> None:
    content, message = SETTINGS[name]
    monkeypatch.setenv("ANNOTATE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "settings.json").write_bytes(content)
    run("project", "list", code=1, says=[message, str(tmp_path / "settings.json")])


def test_settings_file_that_is_a_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ANNOTATE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "settings.json").mkdir()
    run("project", "list", code=1, says=f"cannot read the settings file {tmp_path / 'settings.json'}")


def test_recorded_project_id_that_is_not_a_number(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from annotate.errors import ConfigError
    from annotate.labelstudio.service.settings import recorded_project_id

    (tmp_path / "settings.json").write_text(json.dumps({"projects": {"http://h": {"claims": "abc"}}}))
    with pytest.raises(ConfigError, match="the id of project 'claims' at http://h must be a number"):
        recorded_project_id(tmp_path, "http://h", "claims")


@pytest.mark.parametrize(
    "pid_file",
    [
        '{"pid": 0, "port": 8080}',
        '{"pid": 1, "port": 8080}',
        '{"pid": "x", "port": 1}',
        "[]",
        '{"pid": 99999999}',
        '{"pid": 12345, "port": 70000}',
        "\u00ff",
        "[" * 5000,
    ],
)
def test_damaged_pid_file_is_no_server(tmp_path: Path, pid_file: str) -> None:
    (tmp_path / "annotate-server.json").write_text(pid_file)
    from annotate.labelstudio.service import process

    assert process.running_pid(tmp_path) is None
    run("server", "stop", "--data-dir", tmp_path, code=0, says="No server started by annotate is running")


def test_train_twice_into_the_default_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ds").mkdir()
    sentences().to_parquet("ds/sentences.parquet")
    run("train", "ds", code=0)
    run("train", "ds", code=0)  # its own files: replaced, not refused
    assert sorted(p.name for p in Path("model").iterdir()) == [".annotate-outputs.json", "README.md", "model.joblib",
                                                               "model.json", "reliability.png",
                                                               "test_predictions.tsv"]  # fmt: skip


def test_server_start_with_a_file_as_data_folder(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    run("server", "start", "--data-dir", tmp_path / "data", "--timeout", "1", code=1,
        says=f"Error: --data-dir {tmp_path / 'data'} is a file, not a folder")  # fmt: skip


def test_saved_server_url_without_a_port() -> None:
    from annotate.labelstudio.service.server import _saved_port

    assert _saved_port("http://127.0.0.1") is None and _saved_port("http://[::1") is None
    assert _saved_port("http://127.0.0.1:8081") == 8081
