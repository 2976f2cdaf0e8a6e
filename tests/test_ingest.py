from __future__ import annotations

from pathlib import Path

import pytest

from annotate.errors import InputError
from annotate.ingest import normalize_text, read_article


def write(tmp_path: Path, data: bytes, name: str = "a.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_bom_crlf_and_nfc(tmp_path: Path) -> None:
    article = read_article(write(tmp_path, "\ufeffCafe\u0301 opens.\r\nIt is new.\r".encode()))
    assert article.text == "Café opens.\nIt is new.\n"


def test_unstorable_code_points_are_removed_and_counted() -> None:
    assert normalize_text("a\x00b\ud800c\x07d") == ("abcd", 3)


def test_same_text_same_id(tmp_path: Path) -> None:
    a = read_article(write(tmp_path, b"One sentence.", "a.txt"))
    b = read_article(write(tmp_path, b"One sentence.\r\n".rstrip(), "b.txt"))
    assert a.article_id == b.article_id and len(a.article_id) == 16


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.txt", "the article has no text"),
        (b"  \n\t\n", "blank.txt", "the article has no text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image.txt", "looks like a binary file"),
        ("caf\u00e9".encode("cp1252"), "latin.txt", "not valid UTF-8 at byte 3"),
        (b"text", "article.pdf", "unsupported file type '.pdf'"),
    ],
)
def test_bad_input_is_named(tmp_path: Path, data: bytes, name: str, message: str) -> None:
    path = write(tmp_path, data, name)
    with pytest.raises(InputError) as caught:
        read_article(path)
    assert caught.value.message.startswith(f"{path}: ")
    assert message in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_article(tmp_path / "nope.txt")
