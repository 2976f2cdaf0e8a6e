"""All-or-nothing outputs (annotate/outputs.py), the crash handler, and printing what cannot be
encoded; a few end-to-end runs of the installed command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from annotate.cli import app
from annotate.errors import InputError, UsageError
from annotate.outputs import (
    OUTPUTS_MANIFEST,
    atomic_file,
    foreign_files,
    refuse_overwriting_inputs,
    replace_folder,
    write_atomic,
)

from .conftest import ANNOTATE, EXAMPLE_ARTICLE

runner = CliRunner()


# atomic_file / write_atomic -------------------------------------------------------------------
def test_atomic_file_replaces_only_when_complete(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    with pytest.raises(RuntimeError), atomic_file(path) as fh:
        fh.write("half")
        raise RuntimeError("midway")
    assert path.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    with atomic_file(path) as fh:
        fh.write("new\n")
        assert path.read_text() == "old\n"  # not in place until the block ends
    assert path.read_text() == "new\n" and (path.stat().st_mode & 0o777) == 0o640


def test_write_atomic_text_and_bytes(tmp_path: Path) -> None:
    assert write_atomic(tmp_path / "a" / "b.txt", "x\r\n").read_bytes() == b"x\r\n"  # no newline translation
    assert write_atomic(tmp_path / "c.bin", b"\x00\x01").read_bytes() == b"\x00\x01"


def test_atomic_file_refuses_a_folder_and_reports_unwritable(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"), atomic_file(tmp_path):
        pass
    (tmp_path / "f").write_text("")
    with pytest.raises(InputError, match="cannot write"), atomic_file(tmp_path / "f" / "x"):
        pass


# replace_folder -------------------------------------------------------------------------------
def build_files(*names: str, fail: bool = False):
    def build(folder: Path) -> list[Path]:
        written = []
        for name in names:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(name)
            written.append(folder / name)
        if fail:
            raise InputError("failed midway")
        return written

    return build


def test_replace_folder_builds_aside_and_replaces_whole(tmp_path: Path) -> None:
    final = tmp_path / "dataset"
    assert replace_folder(final, build_files("a.csv", "formats/b.tsv")) == [final / "a.csv", final / "formats/b.tsv"]
    assert json.loads((final / OUTPUTS_MANIFEST).read_text()) == {"files": ["a.csv", "formats/b.tsv"]}
    replace_folder(final, build_files("c.csv"))  # the old files were annotate's: replaced as a whole
    assert sorted(p.name for p in final.rglob("*")) == [OUTPUTS_MANIFEST, "c.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]  # nothing left aside


def test_replace_folder_with_a_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    def build(folder: Path) -> list[Path]:
        (folder / "model.json").write_text("{}")
        (folder / "extra.txt").write_text("written, not returned")
        return [folder / "model.json"]

    assert replace_folder(Path("model"), build) == [Path("model") / "model.json"]
    assert json.loads((tmp_path / "model" / OUTPUTS_MANIFEST).read_text()) == {"files": ["extra.txt", "model.json"]}
    assert replace_folder(Path("model"), build_files("model.json")) == [Path("model") / "model.json"]  # all ours


def test_replace_folder_leaves_the_old_folder_when_build_fails(tmp_path: Path) -> None:
    final = tmp_path / "dataset"
    replace_folder(final, build_files("a.csv"))
    before = {p.name: p.read_bytes() for p in final.iterdir()}
    with pytest.raises(InputError, match="failed midway"):
        replace_folder(final, build_files("a.csv", "b.csv", fail=True))
    assert {p.name: p.read_bytes() for p in final.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]


def test_replace_folder_lets_build_read_the_old_folder(tmp_path: Path) -> None:
    final = tmp_path / "dataset"
    replace_folder(final, build_files("splits.json"))

    def carry_over(folder: Path) -> list[Path]:
        (folder / "splits.json").write_text((final / "splits.json").read_text() + "+")
        return [folder / "splits.json"]

    replace_folder(final, carry_over)
    assert (final / "splits.json").read_text() == "splits.json+"


def test_replace_folder_refuses_a_folder_with_other_files(tmp_path: Path) -> None:
    final = tmp_path / "dataset"
    final.mkdir()
    (final / "a.csv").write_text("mine too")  # written by an older annotate: same name as a new file
    (final / "notes.md").write_text("the user's")
    with pytest.raises(UsageError, match=r"holds files annotate did not write \(notes.md\); not replacing it"):
        replace_folder(final, build_files("a.csv"))
    assert (final / "notes.md").read_text() == "the user's" and (final / "a.csv").read_text() == "mine too"
    assert foreign_files(final, ["a.csv"]) == ["notes.md"]
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]


def test_replace_folder_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "dataset").write_text("x")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        replace_folder(tmp_path / "dataset", build_files("a.csv"))


def test_refuse_overwriting_inputs(tmp_path: Path) -> None:
    source = tmp_path / "a.json"
    source.write_text("[]")
    refuse_overwriting_inputs({"-o": tmp_path / "b.json", "--articles": None}, [source, "-"])
    with pytest.raises(UsageError, match=r"-o .* is also an input"):
        refuse_overwriting_inputs({"-o": tmp_path / "x" / ".." / "a.json"}, [source])
    with pytest.raises(UsageError, match="-o and --articles are the same file"):
        refuse_overwriting_inputs({"-o": tmp_path / "t", "--articles": tmp_path / "t"}, [])


# the crash handler ----------------------------------------------------------------------------
def test_an_unexpected_exception_is_one_line_and_a_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "sekrit-api-key-123")
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.json").write_text(json.dumps({"servers": {"http://h": {"api_key": "k" * 40,
                                                                              "password": "hunter2-pw"}}}))  # fmt: skip
    monkeypatch.setenv("ANNOTATE_CONFIG_DIR", str(config))

    def boom(*_args, **_kw):
        raise RuntimeError(f"boom with sekrit-api-key-123, {'k' * 40} and hunter2-pw")

    monkeypatch.setattr("annotate.articles.tasks.split_to_files", boom)
    result = runner.invoke(app, ["split", str(EXAMPLE_ARTICLE)])
    assert result.exit_code == 1 and result.stdout == ""
    (log,) = (tmp_path / "data" / "annotate" / "crash-logs").iterdir()
    assert result.stderr == (f"Error: annotate split failed unexpectedly (RuntimeError); this is a bug in annotate, "
                             f"details in {log}\n")  # fmt: skip
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "command: annotate split" in text
    assert "boom with ***, *** and ***" in text
    assert "sekrit" not in text and "hunter2" not in text and "k" * 40 not in text
    assert (log.stat().st_mode & 0o777) == 0o600


def test_a_crash_in_a_subcommand_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr("annotate.labelstudio.api.projects.project_status", lambda *a, **k: 1 / 0)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "x" * 20)
    result = runner.invoke(app, ["project", "list", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and result.stderr.startswith(
        "Error: annotate project list failed unexpectedly (ZeroDivisionError)"
    )


def test_usage_errors_and_exits_do_not_reach_the_crash_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert runner.invoke(app, ["split"]).exit_code == 2
    assert runner.invoke(app, ["split", "--nope"]).exit_code == 2
    assert runner.invoke(app, ["--version"]).exit_code == 0
    assert not (tmp_path / "annotate").exists()


# printing what cannot be encoded --------------------------------------------------------------
def _reporting_app() -> typer.Typer:
    from annotate.cli.app import AnnotateGroup, Format, emit, info

    demo = typer.Typer(cls=AnnotateGroup)

    @demo.command()
    def report(fmt: str = "text") -> None:
        info("Warning: task x-\ud800 changed")
        emit({"sentence_id": "x-\ud800", "annotator": "a\udcff@x.org"}, Format(fmt), "x-\ud800 a\udcff@x.org")

    @demo.command()
    def plain() -> None:
        typer.echo("raw x-\ud800")  # a command that does not use emit is covered too

    return demo


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_report_with_lone_surrogates_prints(fmt: str) -> None:
    result = runner.invoke(_reporting_app(), ["report", "--fmt", fmt])
    assert result.exit_code == 0, result.exception
    assert "Warning: task x-\\ud800 changed" in result.stderr
    if fmt == "json":
        assert json.loads(result.stdout) == {"sentence_id": "x-\ud800", "annotator": "a\udcff@x.org"}
    else:
        assert result.stdout == "x-\\ud800 a\\udcff@x.org\n"


def test_plain_echo_of_a_lone_surrogate_prints() -> None:
    result = runner.invoke(_reporting_app(), ["plain"])
    assert result.exit_code == 0 and result.stdout == "raw x-\\ud800\n"


def test_an_error_message_with_a_lone_surrogate_prints(tmp_path: Path) -> None:
    name = os.fsdecode(b"bad\xff.txt")
    (tmp_path / name).write_bytes(b"")
    result = runner.invoke(app, ["split", str(tmp_path / name)])
    assert result.exit_code == 1 and "bad\\udcff.txt: the article has no text" in result.stderr


# end to end: the installed command, in a real process -----------------------------------------
def annotate(*args: str, input: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.run([*ANNOTATE, *args], input=input, capture_output=True, env=env, cwd=cwd, timeout=120)


def test_end_to_end_failed_split_leaves_outputs(tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    out.write_bytes(b"previous\n")
    (tmp_path / "t.articles.jsonl").write_bytes(b"previous articles\n")
    (tmp_path / "bad.jsonl").write_bytes(b'{"id": "\\ud800", "text": 5, "path": "x"}\n' + b"[" * 5000 + b"\n")
    done = annotate("split", str(tmp_path / "bad.jsonl"), "-o", str(out))
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert done.stderr.decode().splitlines()[-1] == "Split 0 article(s) into 0 tasks; 2 failed. (nothing written)"
    assert out.read_bytes() == b"previous\n" and (tmp_path / "t.articles.jsonl").read_bytes() == b"previous articles\n"


def test_end_to_end_surrogates_and_html_on_stdin(tmp_path: Path) -> None:
    page = (
        b"<html><head><title>T\xed\xa0\x80</title></head><body><p>The minister said on Tuesday that the "
        b"government would not change its plans for the new budget, which has been criticised.</p></body></html>"
    )
    done = annotate("split", "-", input=page)
    assert done.returncode == 1 and b"not valid UTF-8 at byte 20" in done.stderr  # an encoded surrogate is invalid
    done = annotate("split", "-", input=page.replace(b"\xed\xa0\x80", b"\xc2\x85"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["text"] == "T"


def test_end_to_end_usage_errors(tmp_path: Path) -> None:
    done = annotate("split", str(EXAMPLE_ARTICLE), "--encoding", "nope")
    assert done.returncode == 2 and done.stderr.decode().startswith("Error: unknown encoding 'nope'")
    done = annotate("project", "list", "--url", "http://[::1", cwd=tmp_path)
    assert done.returncode == 2 and b"Traceback" not in done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names")
def test_end_to_end_undecodable_file_name(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    with open(folder + b"/caf\xe9.txt", "wb") as fh:
        fh.write(b"")
    done = annotate("split", str(tmp_path))
    assert done.returncode == 1 and b"caf\\udce9.txt: the article has no text" in done.stderr


def test_an_output_link_is_kept_and_its_target_replaced(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    write_atomic(tmp_path / "link.txt", "new")
    assert (tmp_path / "link.txt").is_symlink() and (tmp_path / "real.txt").read_text() == "new"


def test_an_output_pipe_is_written_not_replaced(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, "through the pipe")
    reader.join(timeout=10)
    assert received == [b"through the pipe"] and fifo.is_fifo()


def test_a_closed_stdout_is_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text(("Talks resumed on Monday. Nobody expects a deal. " * 20 + "\n\n") * 500)
    env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent), "XDG_DATA_HOME": str(tmp_path)}
    command = " ".join([*ANNOTATE, "split", str(tmp_path / "big.txt")]) + " | head -n 1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, env=env, timeout=120)
    assert done.stdout.count(b"\n") == 1 and b"unexpectedly" not in done.stderr and b"Traceback" not in done.stderr
    assert not (tmp_path / "annotate").exists()
