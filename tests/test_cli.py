"""The command line's contract: exit codes, stdout for data, one clear line on stderr for errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from annotate import __version__
from annotate.cli import app

from .conftest import ANNOTATE, EXAMPLE_ARTICLE, ROOT, SAMPLES, free_port

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"annotate {__version__}\n"


def test_help_split_and_validate_do_not_import_the_sdk(tmp_path: Path) -> None:
    code = (
        "import sys; from annotate.cli import app\n"
        "for args in (['--help'], ['split', sys.argv[1], '-o', sys.argv[2]], ['validate', sys.argv[3]]):\n"
        "    try: app(args)\n"
        "    except SystemExit as e: assert e.code == 0, (args, e.code)\n"
        "print('label_studio_sdk' in sys.modules)\n"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(EXAMPLE_ARTICLE),
            str(tmp_path / "t.jsonl"),
            str(SAMPLES / "export_JSON.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_usage_error_exits_2() -> None:
    assert invoke("split").exit_code == 2
    assert invoke("validate", "--format", "yaml", "x.json").exit_code == 2
    assert invoke("no-such-command").exit_code == 2


def test_split_writes_jsonl_to_stdout() -> None:
    result = invoke("split", str(EXAMPLE_ARTICLE))
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["text"] == "Ukraine Allies: Security Pledges Boost Hope for Russia End to War"
    assert result.stderr == "Split 1 article(s) into 21 tasks; 0 failed.\n"


def test_split_writes_the_articles_file_and_shows_removed_lines(tmp_path: Path) -> None:
    out = tmp_path / "tasks.jsonl"
    result = invoke("split", str(EXAMPLE_ARTICLE), "-o", str(out), "--show-removed")
    assert result.exit_code == 0, result.stderr
    (article,) = [json.loads(line) for line in (tmp_path / "tasks.articles.jsonl").read_text().splitlines()]
    for record in map(json.loads, out.read_text().splitlines()):
        assert article["text"][record["char_start"] : record["char_end"]] == record["text"]
    assert article["splitter"] == record["splitter"]
    assert f"{EXAMPLE_ARTICLE}:3: removed (comment counter): 0 comments" in result.stderr.splitlines()


def test_split_reads_stdin() -> None:
    result = runner.invoke(app, ["split", "-"], input="Talks resumed. Nobody expects a deal.\n")
    assert result.exit_code == 0
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == [
        "Talks resumed.",
        "Nobody expects a deal.",
    ]


def test_split_reports_bad_files_and_keeps_the_good_ones(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\u00e9 society.".encode("cp1252"))
    out = tmp_path / "tasks.jsonl"
    result = invoke(
        "split", str(tmp_path / "missing.txt"), str(empty), str(latin), str(EXAMPLE_ARTICLE), "-o", str(out)
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {tmp_path / 'missing.txt'}: no such file",
        f"Error: {empty}: the article has no text (give it some text, or leave it out)",
        f"Error: {latin}: not valid UTF-8 at byte 3 "
        "(pass --encoding (for example --encoding cp1252), or convert the file to UTF-8)",
        "Split 1 article(s) into 21 tasks; 3 failed.",
    ]
    assert len(out.read_text().splitlines()) == 21


def test_split_a_directory_with_one_bad_file(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Talks resumed. Nobody expects a deal.")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02binary")
    result = invoke("split", str(tmp_path))
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 2
    assert f"Error: {tmp_path / 'bad.txt'}: looks like a binary file" in result.stderr


def test_validate_exit_codes_and_json(tmp_path: Path) -> None:
    good = invoke("validate", str(SAMPLES / "export_JSON.json"))
    assert good.exit_code == 0 and good.stdout == ""
    bad = invoke("validate", "--format", "json", str(SAMPLES / "export_JSON_MIN.json"))
    assert bad.exit_code == 1
    report = json.loads(bad.stdout)
    assert report["valid"] is False and report["errors"] == 8
    assert report["problems"][0] == {
        "file": str(SAMPLES / "export_JSON_MIN.json"),
        "path": "$[0]",
        "message": "'data' is a required property",
        "kind": "schema",
        "task_id": 1001,
        "sentence_id": None,
        "annotation_id": None,
        "annotator": None,
        "severity": "error",
        "hint": None,
    }
    assert report["by_kind"] == {"error:schema": 8}


def test_validate_a_folder_with_manifests_and_strict(tmp_path: Path) -> None:
    defects = ROOT / "tests" / "data" / "defects"
    folder = tmp_path / "exports" / "claims"
    folder.mkdir(parents=True)
    for name in ("span_text_whitespace.json", "duplicate_annotator.json"):
        (folder / name).write_text((defects / name).read_text())
    (folder / "span_text_whitespace.manifest.json").write_text('{"file": "span_text_whitespace.json"}')
    relaxed = invoke("validate", str(tmp_path / "exports"), "--project", "claims")
    assert relaxed.exit_code == 0, relaxed.stdout
    assert relaxed.stderr == "2 file(s): 0 error(s), 2 warning(s) (1 warning:duplicate, 1 warning:offsets).\n"
    assert invoke("validate", str(tmp_path / "exports"), "--project", "claims", "--strict").exit_code == 1


def test_a_missing_export_file_is_reported_with_the_others(tmp_path: Path) -> None:
    """validate reports every file, readable or not, then the summary."""
    result = invoke("validate", str(tmp_path / "nope.json"), str(SAMPLES / "export_JSON.json"))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'nope.json'}: $: error [file]: {tmp_path / 'nope.json'}: no such file"
    ]
    assert result.stderr == "2 file(s): 1 error(s), 0 warning(s) (1 error:file).\n"


def test_server_not_running_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef")
    url = f"http://127.0.0.1:{free_port()}"
    result = invoke("project", "create", "claims", "--url", url)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: cannot reach Label Studio at {url} (ConnectError)",
        "Hint: is it running? start it with `annotate server start`",
    ]


def test_no_server_configured() -> None:
    result = invoke("export", "--project", "claims")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no Label Studio server is configured\n")


def test_combine_refuses_an_invalid_export(tmp_path: Path) -> None:
    path = SAMPLES / "export_JSON_MIN.json"
    result = invoke("combine", str(path), "-o", str(tmp_path / "out"), "--project", "claims")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: 8 error(s) in {path}:"
    assert lines[1] == f"{path}: task 1001: $[0]: error [schema]: 'data' is a required property"
    assert len(lines) == 10
    assert lines[-1] == f"Hint: fix them first; `annotate validate {path} --project claims` lists them too"
    assert not (tmp_path / "out").exists()


def test_combine_an_empty_export(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    refused = invoke("combine", str(empty), "-o", str(tmp_path / "out"), "--project", "claims")
    assert refused.exit_code == 1 and "no annotated task; the dataset would be empty" in refused.stderr
    assert "--allow-empty" in refused.stderr and not (tmp_path / "out").exists()
    result = invoke("combine", str(empty), "-o", str(tmp_path / "out"), "--project", "claims", "--allow-empty")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "annotations.csv").read_text().startswith("article_id,sentence_id,")


def test_console_script_runs() -> None:
    exe = shutil.which("annotate", path=str(Path(sys.executable).parent))
    command = [exe] if exe else ANNOTATE
    assert subprocess.run([*command, "--version"], capture_output=True, text=True).stdout.startswith("annotate ")
