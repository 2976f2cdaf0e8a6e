from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from annotate.articles.read import Article, expand_sources, normalize_text, read_articles
from annotate.errors import InputError


def write(tmp_path: Path, data: bytes | str, name: str = "a.txt") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def one(path: Path | str, **kw) -> Article:
    (item,) = list(read_articles(str(path), **kw))
    if isinstance(item, InputError):
        raise item
    return item


def test_bom_crlf_and_nfc(tmp_path: Path) -> None:
    article = one(write(tmp_path, codecs.BOM_UTF8 + "Cafe\u0301 opens.\r\nIt is new.\r".encode()))
    assert article.text == "Café opens.\nIt is new.\n"


def test_utf16_with_bom(tmp_path: Path) -> None:
    article = one(write(tmp_path, "Kyiv talks resume.\n".encode("utf-16")))
    assert article.text == "Kyiv talks resume.\n"


def test_unstorable_code_points_are_removed_and_counted() -> None:
    assert normalize_text("a\x00b\ud800c\x07d\ufffe") == ("abcd", 4)


def test_nbsp_is_kept() -> None:
    assert normalize_text("2.5\u00a0percent")[0] == "2.5\u00a0percent"


def test_same_text_same_id(tmp_path: Path) -> None:
    a = one(write(tmp_path, "One sentence.\n", "a.txt"))
    b = one(write(tmp_path, "One sentence.\r\n", "b.txt"))
    assert a.article_id == b.article_id and len(a.article_id) == 16


def test_txt_title_is_the_first_line_before_a_blank_line(tmp_path: Path) -> None:
    article = one(write(tmp_path, "Allies pledge support\n\nThe allies met on Tuesday.\n"))
    assert (article.title, article.title_in_text) == ("Allies pledge support", True)
    assert article.text.startswith("Allies pledge support\n\n")
    assert one(write(tmp_path, "No title here.\nJust text.\n", "b.txt")).title is None


def test_markdown_front_matter(tmp_path: Path) -> None:
    text = "---\ntitle: Allies pledge support\nurl: https://example.org/a\nid: art-7\nsection: World\n---\nBody text.\n"
    article = one(write(tmp_path, text, "a.md"))
    assert (article.article_id, article.title, article.url) == (
        "art-7",
        "Allies pledge support",
        "https://example.org/a",
    )
    assert article.metadata == {"section": "World"}
    assert article.text == "Body text.\n"


def test_jsonl_records_keep_unknown_fields_as_metadata(tmp_path: Path) -> None:
    records = [
        {"id": "r1", "title": "T1", "text": "First article.", "url": "u1", "source": "S", "published": "2026-01-06",
         "author": "A", "section": "World"},
        {"text": "Second article."},
        {"title": "no text"},
    ]  # fmt: skip
    path = write(tmp_path, "\n".join(json.dumps(r) for r in records) + "\n{broken\n", "a.jsonl")
    items = list(read_articles(str(path)))
    first, second = items[0], items[1]
    assert isinstance(first, Article) and isinstance(second, Article)
    assert (first.article_id, first.title, first.source, first.author) == ("r1", "T1", "S", "A")
    assert first.metadata == {"section": "World"} and first.title_in_text is False
    assert len(second.article_id) == 16  # a hash of the text
    errors = [i.message for i in items[2:]]
    assert errors == [
        f'{path}:3: a record needs a "text" string',
        f"{path}:4: not valid JSON (Expecting property name enclosed in double quotes, column 2)",
    ]


def test_json_array(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps([{"id": 1, "text": "A."}, {"id": 2, "text": "B."}]), "a.json")
    assert [a.article_id for a in read_articles(str(path))] == ["1", "2"]


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    html = """<html><head><title>Site | Allies</title><meta property="og:title" content="Allies pledge support">
    <meta name="author" content="Jane Doe"><meta property="article:published_time" content="2026-01-06T10:00:00Z">
    <meta property="og:site_name" content="Example News"><link rel="canonical" href="https://example.org/a"></head>
    <body><nav><a href="/">Home</a> <a href="/world">World</a></nav><article>
    <p>Ukraine's allies have agreed to provide the country with multi-layered international defence guarantees
    as part of a proposal to end the war, officials said on Tuesday after a meeting in Paris.</p>
    <p>The size of the supporting forces was not made public, and many details of the plan remain unclear.</p>
    </article><footer><p>Copyright 2026</p></footer></body></html>"""
    article = one(write(tmp_path, html, "a.html"))
    assert (article.title, article.author, article.published, article.source, article.url) == (
        "Allies pledge support", "Jane Doe", "2026-01-06T10:00:00Z", "Example News", "https://example.org/a",
    )  # fmt: skip
    assert article.text.startswith("Ukraine's allies have agreed")
    assert "\n\nThe size of the supporting forces" in article.text
    assert "Home" not in article.text and "Copyright" not in article.text


def test_explicit_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "Caf\u00e9 society.".encode("cp1252"))
    assert one(path, encoding="cp1252").text == "Café society."


def test_stdin() -> None:
    assert one("-", stdin=b"Read from stdin.\n").text == "Read from stdin.\n"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.txt", "the article has no text"),
        (b"  \n\t\n", "blank.txt", "the article has no text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image.txt", "looks like a binary file"),
        ("caf\u00e9 society".encode("cp1252"), "latin.txt", "not valid UTF-8 at byte 3"),
        (b"text", "article.pdf", "unsupported file type '.pdf'"),
    ],
)
def test_bad_input_is_named(tmp_path: Path, data: bytes, name: str, message: str) -> None:
    path = write(tmp_path, data, name)
    with pytest.raises(InputError) as caught:
        one(path)
    assert caught.value.message.startswith(f"{path}: ")
    assert message in caught.value.message


def test_cp1252_error_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        one(write(tmp_path, "caf\u00e9".encode("cp1252")))
    assert "--encoding" in (caught.value.hint or "")


def test_sources_directories_and_globs(tmp_path: Path) -> None:
    a = write(tmp_path, "A.", "d/a.txt")
    b = write(tmp_path, "B.", "d/sub/b.md")
    write(tmp_path, "ignored", "d/notes.pdf")
    assert list(expand_sources([str(tmp_path / "d")])) == [str(a), str(b)]
    assert list(expand_sources([str(tmp_path / "d" / "*.txt")])) == [str(a)]
    missing = list(expand_sources([str(tmp_path / "nope.txt"), str(tmp_path / "*.none")]))
    assert [m.message for m in missing] == [
        f"{tmp_path / 'nope.txt'}: no such file",
        f"{tmp_path / '*.none'}: no files match this pattern",
    ]
