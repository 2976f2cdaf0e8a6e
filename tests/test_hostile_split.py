"""`annotate split` under hostile input: every bad article is reported where it is (file, line or
record), with what is wrong and how to fix it; nothing crashes; a run that splits nothing leaves
the existing task and articles files byte-identical; what is accepted is written exactly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .hostile import fingerprint, no_crash, run  # noqa: F401  (no_crash: autouse fixture)

GOOD = "Talks resumed on Monday in Paris. Nobody expects a deal before the summer."
DEEP = "[" * 10000 + "]" * 10000


def jsonl(*records: object) -> bytes:
    return ("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n").encode()


def rec(**fields: object) -> dict[str, object]:
    return {"id": "a1", "text": GOOD} | fields


def nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


# Inputs where every article fails: exit 1, the message names the place and the problem, and the
# tasks and articles files that were there before are left byte-identical.
FAILING = {
    # JSON records
    "text-number": ("a.jsonl", jsonl(rec(text=5)), 'a.jsonl:1: field "text" must be a string, found a number'),
    "text-list": ("a.jsonl", jsonl(rec(text=["x"])), 'field "text" must be a string, found a list'),
    "text-object": ("a.jsonl", jsonl(rec(text={"x": 1})), 'field "text" must be a string, found an object'),
    "text-null": ("a.jsonl", jsonl(rec(text=None)), 'field "text" must be a string, found null'),
    "text-bool": ("a.jsonl", jsonl(rec(text=True)), 'field "text" must be a string, found a boolean'),
    "text-nan": ("a.jsonl", b'{"text": NaN}\n', 'field "text" must be a string, found NaN'),
    "text-missing": ("a.jsonl", jsonl({"title": "T"}), 'a.jsonl:1: a record needs a "text" string'),
    "title-number": ("a.jsonl", jsonl(rec(title=3)), 'a.jsonl:1: field "title" must be a string or null, found a'),
    "title-object": ("a.jsonl", jsonl(rec(title={"en": "T"})), 'field "title" must be a string or null, found an o'),
    "title-list": ("a.jsonl", jsonl(rec(title=["T"])), 'field "title" must be a string or null, found a list'),
    "title-bool": ("a.jsonl", jsonl(rec(title=False)), 'field "title" must be a string or null, found a boolean'),
    "url-number": ("a.jsonl", jsonl(rec(url=1)), 'field "url" must be a string or null'),
    "source-list": ("a.jsonl", jsonl(rec(source=["AP"])), 'field "source" must be a string or null'),
    "published-number": ("a.jsonl", jsonl(rec(published=20261130)), 'field "published" must be a string or null'),
    "author-object": ("a.jsonl", jsonl(rec(author={"name": "X"})), 'field "author" must be a string or null'),
    "two-problems": ("a.jsonl", jsonl(rec(title=1, url=2)), 'found a number; field "url" must be a string'),
    "id-float": ("a.jsonl", jsonl(rec(id=1.5)), 'a.jsonl:1: field "id" must be a string or an integer, not a number'),
    "id-list": ("a.jsonl", jsonl(rec(id=[1])), 'field "id" must be a string or an integer, not a list'),
    "id-object": ("a.jsonl", jsonl(rec(id={"a": 1})), 'field "id" must be a string or an integer, not an object'),
    "id-bool": ("a.jsonl", jsonl(rec(id=True)), 'field "id" must be a string or an integer, not a boolean'),
    "id-only-surrogate": (
        "a.jsonl",
        b'{"id": "\\ud800", "text": "A sentence here."}\n',
        'field "id" holds only characters Label Studio cannot store',
    ),
    "nan-metadata": (
        "a.jsonl",
        b'{"text": "A sentence here.", "score": NaN}\n',
        "a.jsonl:1: metadata.score is NaN, which JSON does not allow; write null or a number",
    ),
    "infinity-nested": (
        "a.jsonl",
        b'{"text": "A sentence here.", "m": {"x": [1, Infinity]}}\n',
        "metadata.m.x[1] is Infinity",
    ),
    "minus-infinity": (
        "a.json",
        b'[{"text": "A sentence here.", "v": -Infinity}]',
        "a.json: record 0: metadata.v is -Infinity",
    ),
    "huge-float": (
        "a.jsonl",
        b'{"text": "A sentence here.", "n": 1e999}\n',
        "a.jsonl:1: metadata.n is 1e999 (beyond the range of a number)",
    ),
    "huge-int-id": (
        "a.jsonl",
        b'{"id": ' + b"1" * 5000 + b', "text": "A sentence here."}\n',
        "a.jsonl:1: not readable JSON (Exceeds the limit (4300 digits)",
    ),
    "huge-int-json": ("a.json", b'[{"n": ' + b"9" * 5000 + b"}]", "a.json: not readable JSON"),
    "deep-json": ("a.json", DEEP.encode(), "a.json: nested more than 100 levels deep"),
    "deep-jsonl": ("a.jsonl", DEEP.encode() + b"\n", "a.jsonl:1: nested more than 100 levels deep"),
    "deep-metadata": ("a.jsonl", jsonl(rec(extra=nested(150))), "a.jsonl:1: metadata.extra"),
    "record-list": ("a.jsonl", jsonl([1, 2]), 'a.jsonl:1: a record needs a "text" string, found a list'),
    "record-number": ("a.jsonl", b"42\n", 'a record needs a "text" string, found a number'),
    "record-string": ("a.json", b'"just text"', 'a.json: record 0: a record needs a "text" string'),
    "record-null": ("a.json", b"null", 'a record needs a "text" string, found null'),
    "bad-json-line": ("a.jsonl", b'{"text": "x",\n', "a.jsonl:1: not valid JSON"),
    "bad-json-file": ("a.json", b'{"text": "x", }', "a.json:1:15: not valid JSON"),
    "empty-json-list": ("a.json", b"[]", "a.json: an empty list, no article records"),
    "empty-jsonl": ("a.jsonl", b"\n\n", "a.jsonl: no article records (the file is empty)"),
    "empty-text": ("a.jsonl", jsonl(rec(text="")), "a.jsonl:1: the article has no text"),
    "blank-text": ("a.jsonl", jsonl(rec(text=" \n\t ")), "a.jsonl:1: the article has no text"),
    "controls-only": ("a.jsonl", b'{"text": "\\u0000\\u0001\\u0085\\u009f"}\n', "a.jsonl:1: the article has no text"),
    "surrogates-only": ("a.jsonl", b'{"text": "\\udfff\\ud800"}\n', "a.jsonl:1: the article has no text"),
    # files
    "binary": ("a.txt", b"\x00\x01\x02binary", "a.txt: looks like a binary file (NUL byte at byte 0)"),
    "nul-after-64k": ("a.txt", b"A sentence here. " * 4000 + b"\x00tail", "a.txt: looks like a binary file (NUL byte"),
    "utf16le-no-bom": ("a.txt", GOOD.encode("utf-16-le"), "a.txt: looks like UTF-16 without a byte order mark"),
    "utf16be-no-bom": ("a.txt", GOOD.encode("utf-16-be"), "pass --encoding utf-16-be"),
    "invalid-utf8": ("a.txt", b"Caf\xe9 society talks.", "a.txt: not valid UTF-8 at byte 3"),
    "utf16-odd-bytes": ("a.txt", b"\xff\xfeA\x00B", "a.txt: not valid utf-16 at byte"),
    "empty-file": ("a.txt", b"", "a.txt: the article has no text"),
    "whitespace-file": ("a.md", b"  \n\n \t\n", "a.md: the article has no text"),
    "only-boilerplate": ("a.txt", b"Advertisement\n\nShare this article\n", "a.txt: nothing to annotate"),
    "unsupported-suffix": ("a.pdf", b"%PDF-1.4", "a.pdf: unsupported file type '.pdf'"),
    "html-without-text": ("a.html", b"<html><body><script>x()</script></body></html>", "a.html: no article text found"),
    "html-garbage": ("a.html", b"<<<>>>", "a.html: no article text found in the HTML"),
}


@pytest.mark.parametrize("name", FAILING)
def test_a_bad_article_is_reported_and_outputs_stay(tmp_path: Path, name: str) -> None:
    filename, content, message = FAILING[name]
    (tmp_path / filename).write_bytes(content)
    out, articles = tmp_path / "out" / "tasks.jsonl", tmp_path / "out" / "tasks.articles.jsonl"
    out.parent.mkdir()
    out.write_text("previous tasks\n")
    articles.write_text("previous articles\n")
    before = fingerprint(tmp_path / "out")
    result = run("split", tmp_path / filename, "-o", out, code=1, says=[message, "failed."])
    assert f"{tmp_path / filename}" in result.stderr  # located: the file, and the line or record above
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors and all(line.endswith(")") for line in errors), errors  # each with how to fix it, in (...)
    assert fingerprint(tmp_path / "out") == before


def test_nothing_split_writes_nothing_new(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"")
    run("split", tmp_path / "a.txt", "-o", tmp_path / "t.jsonl", code=1, says="(nothing written)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


# Inputs that are accepted: what is unusual is cleaned (and said), never copied into a task.
def _split_ok(tmp_path: Path, name: str, content: bytes, *extra: str, says: str | list[str] = ()) -> tuple[list, list]:
    (tmp_path / name).write_bytes(content)
    out = tmp_path / "t.jsonl"
    run("split", tmp_path / name, "-o", out, *extra, code=0, says=says)
    tasks = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    articles = [json.loads(line) for line in (tmp_path / "t.articles.jsonl").read_text(encoding="utf-8").split("\n")
                if line]  # fmt: skip
    for task in tasks:  # every offset exact, nothing Label Studio cannot store
        (article,) = [a for a in articles if a["article_id"] == task["article_id"]]
        if task["char_start"] is not None:
            assert article["text"][task["char_start"] : task["char_end"]] == task["text"]
        json.dumps(task).encode("utf-8")
    return tasks, articles


@pytest.mark.parametrize("key", ["path", "record_id", "fields", "metadata", "removed", "title_in_text",
                                 "article_id", "self", "encoding", "kwargs", "sentence_id", "splitter"])  # fmt: skip
def test_any_record_key_is_metadata(tmp_path: Path, key: str) -> None:
    _tasks, (article,) = _split_ok(tmp_path, "a.jsonl", jsonl(rec(**{key: "value"})))
    assert article["metadata"] == {key: "value"} and article["article_id"] == "a1"


def test_lone_surrogates_in_id_and_metadata_are_removed_and_counted(tmp_path: Path) -> None:
    content = b'{"id": "a\\ud800b", "text": "A sentence here.", "m": {"k\\udc00": ["\\udfff", {"x": "y\\ud800"}]}}\n'
    tasks, (article,) = _split_ok(tmp_path, "a.jsonl", content, says="removed 4 characters Label Studio cannot store")
    assert article["article_id"] == "ab" and tasks[0]["sentence_id"] == "ab-0"
    assert article["metadata"] == {"m": {"k": ["", {"x": "y"}]}}


def test_c1_controls_and_escaped_nul_are_removed(tmp_path: Path) -> None:
    content = b'{"text": "Prices \\u0085rose\\u0000 by 3%.\\u009f It \\u0080was said."}\n'
    _tasks, (article,) = _split_ok(tmp_path, "a.jsonl", content, says="removed 4 characters")
    assert article["text"] == "Prices rose by 3%. It was said."


def test_line_separators_inside_jsonl_strings_do_not_cut_the_line(tmp_path: Path) -> None:
    content = '{"text": "First sentence here.\u2028Second sentence here.", "title": "T\u2029x"}\n'.encode()
    _tasks, (article,) = _split_ok(tmp_path, "a.jsonl", content)
    assert "\u2028" in article["text"]


@pytest.mark.parametrize(
    "text",
    [
        "Line one ends here.\r\nLine two ends here.\r\n",
        "One here.\rTwo here.\r",
        "Emoji \U0001f600 first. Then \U00010348 astral text.",
        "\ufeffBOM in text here.",
    ],
)
def test_unusual_but_valid_text(tmp_path: Path, text: str) -> None:
    tasks, (article,) = _split_ok(tmp_path, "a.txt", text.encode("utf-8"))
    assert "\r" not in article["text"] and tasks


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_files_with_a_bom(tmp_path: Path, encoding: str) -> None:
    tasks, _ = _split_ok(tmp_path, "a.txt", GOOD.encode(encoding))
    assert [t["text"] for t in tasks] == [
        "Talks resumed on Monday in Paris.",
        "Nobody expects a deal before the summer.",
    ]


def test_utf16_without_bom_with_the_hinted_encoding(tmp_path: Path) -> None:
    tasks, _ = _split_ok(tmp_path, "a.txt", GOOD.encode("utf-16-le"), "--encoding", "utf-16-le")
    assert len(tasks) == 2


def test_text_after_a_stray_closing_html_tag_is_kept(tmp_path: Path) -> None:
    first = (
        "The minister said on Tuesday that the government would not change its plans for the new budget, "
        "which has been criticised by the opposition."
    )
    after = (
        "After the closing tag, the reporter added that the talks would resume on Monday and that nobody "
        "expected a deal soon."
    )
    page = f"<html><head><title>T</title></head><body><p>{first}</p></body></html><p>{after}</p>"
    tasks, _ = _split_ok(tmp_path, "a.html", page.encode())
    assert [t["text"] for t in tasks if t["kind"] == "sentence"] == [first, after]


def test_an_xml_declaration_does_not_hide_the_page(tmp_path: Path) -> None:
    body = (
        "The minister said on Tuesday that the government would not change its plans for the new budget, "
        "which has been criticised by the opposition."
    )
    page = f'<?xml version="1.0" encoding="utf-8"?><html><body><p>{body}</p></body></html>'
    tasks, _ = _split_ok(tmp_path, "a.html", page.encode())
    assert body in [t["text"] for t in tasks]


def test_undecodable_file_name(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.txt")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_text(GOOD)
    out = tmp_path / "t.jsonl"
    result = run("split", str(tmp_path / "in"), "-o", out, code=0)
    (article,) = [json.loads(line) for line in (tmp_path / "t.articles.jsonl").read_text().splitlines()]
    assert article["path"].endswith("caf\\udce9.txt") and "Split 1 article(s)" in result.stderr


# stdin ---------------------------------------------------------------------------------------
PAGE = ("<!DOCTYPE html><html><head><title>Budget</title><script>var note = 'Not a sentence of the article.';"
        "</script></head><body><p>The minister said on Tuesday that the government would not change its plans "
        "for the new budget, which has been criticised by the opposition.</p></body></html>")  # fmt: skip


def test_html_on_stdin_is_recognised() -> None:
    result = run("split", "-", input=PAGE, code=0)
    texts = [json.loads(line)["text"] for line in result.stdout.splitlines()]
    assert texts[0] == "Budget" and not any("<" in t or "Not a sentence" in t for t in texts)


@pytest.mark.parametrize(("fmt", "stdin", "first"), [
    ("html", "<p>" + GOOD + " It was said on Monday by officials in the capital city.</p>", "Talks resumed"),
    ("text", PAGE, "<!DOCTYPE html>"),
    ("json", json.dumps({"id": "x", "text": GOOD, "title": "T"}), "T"),
    ("jsonl", jsonl({"text": GOOD}).decode(), "Talks resumed on Monday in Paris."),
    ("markdown", "# Heading\n\n" + GOOD, "Heading"),
])  # fmt: skip
def test_input_format_on_stdin(fmt: str, stdin: str, first: str) -> None:
    result = run("split", "-", "--input-format", fmt, input=stdin, code=0)
    assert json.loads(result.stdout.splitlines()[0])["text"].startswith(first)


@pytest.mark.parametrize(("stdin", "message"), [
    (b"", "<stdin>: the article has no text"),
    (b"\x00\x00\x00", "<stdin>: looks like a binary file"),
    (b"\xff\xfe\x00", "<stdin>: not valid utf-16"),
    (b"Caf\xe9", "<stdin>: not valid UTF-8 at byte 3"),
    (b"<html><body></body></html>", "<stdin>: no article text found in the HTML"),
])  # fmt: skip
def test_bad_stdin(stdin: bytes, message: str) -> None:
    run("split", "-", input=stdin, code=1, says=message)


# usage errors: exit 2, before anything is read or written -------------------------------------
@pytest.mark.parametrize(("options", "message"), [
    (["--encoding", "nope"], "Error: unknown encoding 'nope'"),
    (["--encoding", "rot13"], "Error: unknown encoding 'rot13'"),
    (["--encoding", "base64"], "Error: unknown encoding 'base64'"),
    (["--splitter", "nope"], "Error: unknown splitter 'nope'"),
    (["--input-format", "pdf"], "Error: unknown input format 'pdf'"),
])  # fmt: skip
def test_unknown_option_values_are_usage_errors(tmp_path: Path, options: list[str], message: str) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    out = tmp_path / "t.jsonl"
    out.write_text("previous\n")
    run("split", tmp_path / "a.txt", "-o", out, *options, code=2, says=[message, "Hint: "])
    assert out.read_text() == "previous\n" and not (tmp_path / "t.articles.jsonl").exists()


def test_output_equal_to_an_input_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "a.jsonl"
    source.write_bytes(jsonl(rec()))
    before = source.read_bytes()
    run("split", source, "-o", source, code=2, says=f"Error: -o {source} is also an input")
    run("split", source, "-o", tmp_path / "sub" / ".." / "a.jsonl", code=2, says="is also an input")
    run("split", str(tmp_path), "-o", source, code=2, says="is also an input")  # found in the folder
    run("split", source, "-o", tmp_path / "t.jsonl", "--articles", source, code=2,
        says=f"Error: --articles {source} is also an input")  # fmt: skip
    assert source.read_bytes() == before


def test_articles_equal_to_output_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    out = tmp_path / "t.jsonl"
    out.write_text("previous\n")
    run("split", tmp_path / "a.txt", "-o", out, "--articles", out, code=2,
        says=f"Error: -o and --articles are the same file ({out})")  # fmt: skip
    assert out.read_text() == "previous\n"


def test_output_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "out.jsonl").mkdir()
    run("split", tmp_path / "a.txt", "-o", tmp_path / "out.jsonl", code=2, says="is a folder; give a file name")


def test_output_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "file").write_text("")
    run("split", tmp_path / "a.txt", "-o", tmp_path / "file" / "t.jsonl", code=1, says="Error: cannot write")


# folders, links, globs ------------------------------------------------------------------------
def test_dangling_link_in_a_folder_is_counted_as_failed(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD)
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    result = run("split", str(tmp_path), code=1,
                 says=[f"{tmp_path / 'gone.txt'}: a symbolic link to {tmp_path / 'nowhere.txt'}, which does not exist",
                       "Split 1 article(s) into 2 tasks; 1 failed."])  # fmt: skip
    assert len(result.stdout.splitlines()) == 2


def test_dangling_link_as_an_argument(tmp_path: Path) -> None:
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    run("split", tmp_path / "gone.txt", code=1, says="which does not exist")


def test_link_to_a_folder_is_reported_not_followed(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.txt").write_text(GOOD)
    (tmp_path / "top").mkdir()
    (tmp_path / "top" / "b.txt").write_text("Another article is here. It says things.")
    (tmp_path / "top" / "link").symlink_to(tmp_path / "real")
    link = tmp_path / "top" / "link"
    run("split", tmp_path / "top", code=1, says=[f"{link}: a symbolic link to a folder; not followed",
                                                 "Split 1 article(s) into 2 tasks; 1 failed."])  # fmt: skip


def test_symlink_loop_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "loop").symlink_to(tmp_path)
    run("split", str(tmp_path), code=1, says="not followed")


def test_unreadable_subfolder_is_counted_as_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "locked").mkdir()
    real_walk = os.walk

    def walk(top, onerror=None, **kw):  # as root, chmod 000 does not stop reading: simulate it
        for dirpath, dirnames, filenames in real_walk(top, onerror=onerror, **kw):
            if "locked" in dirnames:
                dirnames.remove("locked")
                onerror(PermissionError(13, "Permission denied", str(Path(dirpath, "locked"))))
            yield dirpath, dirnames, filenames

    monkeypatch.setattr("annotate.articles.read.os.walk", walk)
    run("split", str(tmp_path), code=1, says=[f"{tmp_path / 'locked'}: cannot read this folder (Permission denied)",
                                              "Split 1 article(s) into 2 tasks; 1 failed."])  # fmt: skip


@pytest.mark.parametrize(("arrange", "message"), [
    ("empty-folder", "no article files in this directory"),
    ("no-match-glob", "no files match this pattern"),
    ("missing", "no such file"),
])  # fmt: skip
def test_nothing_to_read(tmp_path: Path, arrange: str, message: str) -> None:
    (tmp_path / "d").mkdir()
    target = {"empty-folder": tmp_path / "d", "no-match-glob": tmp_path / "d" / "*.txt",
              "missing": tmp_path / "missing.txt"}[arrange]  # fmt: skip
    run("split", str(target), code=1, says=[message, "1 failed."])


# duplicate article ids ------------------------------------------------------------------------
def test_duplicate_ids_are_an_error_naming_both_records(tmp_path: Path) -> None:
    content = jsonl(rec(), rec(text="Quite another article. It has other sentences."))
    (tmp_path / "a.jsonl").write_bytes(content)
    out = tmp_path / "t.jsonl"
    source = tmp_path / "a.jsonl"
    run("split", source, "-o", out, code=1, says=f"Error: {source}:2: article id 'a1' is already used by {source}:1")
    ids = [json.loads(line)["sentence_id"] for line in out.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 2


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(jsonl(rec()))
    (tmp_path / "b.json").write_bytes(json.dumps([rec(text="Other text. Yes.")]).encode())
    run("split", tmp_path, code=1, says=f"{tmp_path / 'b.json'}: record 0: article id 'a1' is already used by "
                                        f"{tmp_path / 'a.jsonl'}:1")  # fmt: skip


def test_identical_duplicates_are_kept_once_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(jsonl(rec(), rec()))
    (tmp_path / "copy.txt").write_text(GOOD)
    (tmp_path / "copy2.txt").write_text(GOOD)
    source = tmp_path / "a.jsonl"
    warnings = [
        f"Warning: {source}:2: the same article as {source}:1 (id 'a1'); kept one copy",
        f"Warning: {tmp_path / 'copy2.txt'}: the same article as",
    ]
    result = run("split", tmp_path, code=0, says=warnings)
    ids = [json.loads(line)["sentence_id"] for line in result.stdout.splitlines()]
    assert len(ids) == len(set(ids)) == 4


# all-or-nothing with some failures: the good articles are written, whole ---------------------
def test_partial_failure_writes_the_good_articles_whole(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(jsonl(rec(), rec(id="b", text=7), rec(id="c", text="Third one. Here.")))
    out = tmp_path / "t.jsonl"
    out.write_text("previous\n")
    run("split", tmp_path / "a.jsonl", "-o", out, code=1, says="Split 2 article(s) into 4 tasks; 1 failed.")
    assert len(out.read_text().splitlines()) == 4
    assert len((tmp_path / "t.articles.jsonl").read_text().splitlines()) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_output_inside_a_folder_being_split_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    run("split", tmp_path, "-o", tmp_path / "sub" / "t.jsonl", code=2,
        says=f"Error: -o {tmp_path / 'sub' / 't.jsonl'} is inside {tmp_path}, which is being split")  # fmt: skip
    run("split", tmp_path, "-o", tmp_path.parent / f"{tmp_path.name}-t.jsonl", "--articles", tmp_path / "x.jsonl",
        code=2, says="Error: --articles")  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
