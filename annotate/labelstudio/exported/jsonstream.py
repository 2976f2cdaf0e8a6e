"""Read the items of a top-level JSON array one at a time, with memory bounded by the largest item.

Label Studio exports are one JSON array of tasks, 170 MB and more for 100,000 tasks. The standard
library's C decoder parses each item (`raw_decode` at an offset into a buffer that is refilled
from the file), so reading costs about what `json.loads` costs, without holding the whole file.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from annotate.errors import InputError, unreadable

CHUNK = 4 * 1024 * 1024
_WS = " \t\n\r"


class _Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


class JSONStreamError(InputError):
    """The file is not a JSON array, or is cut off or broken at some point."""


def iter_array(path: Path, *, chunk: int = CHUNK) -> Iterator[Any]:
    """Yield each item of the JSON array in `path`. Raises InputError with line and column."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise unreadable(path, exc, expected="an export file") from None
    with fh:
        yield from iter_items(fh, path, chunk=chunk)


def iter_items(fh: _Reader, path: Path | str, *, chunk: int = CHUNK) -> Iterator[Any]:
    """Yield each item of the JSON array read from `fh` (anything with read(n) that returns bytes,
    b"" at the end); errors name `path` (a file, or what is being read)."""
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder("utf-8-sig")()
    # buffer[0] is character `base` of the file; `lines` newlines precede it, the last at `last_nl`.
    buffer, pos, eof = "", 0, False
    base, lines, last_nl = 0, 0, -1
    bytes_read = 0

    def fill() -> bool:
        nonlocal buffer, pos, eof, base, lines, last_nl, bytes_read
        pending = len(text.getstate()[0])  # bytes of a character cut by the last chunk
        try:
            raw = fh.read(chunk)
            more = text.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not valid UTF-8 at byte {bytes_read - pending + exc.start}",
                             hint="re-export the file, or convert it to UTF-8") from None  # fmt: skip
        except OSError as exc:
            raise unreadable(path, exc, expected="an export file") from None
        bytes_read += len(raw)
        newline = buffer.rfind("\n", 0, pos)  # in what was consumed, not copying it
        if newline >= 0:
            lines += buffer.count("\n", 0, pos)
            last_nl = base + newline
        base += pos
        buffer, pos = buffer[pos:] + more, 0
        eof = not raw
        return bool(raw)

    def skip_ws() -> None:
        nonlocal pos
        while True:
            while pos < len(buffer) and buffer[pos] in _WS:
                pos += 1
            if pos < len(buffer) or not fill():
                return

    def fail(message: str) -> JSONStreamError:
        newline = buffer.rfind("\n", 0, pos)
        line = lines + buffer.count("\n", 0, pos) + 1
        column = base + pos - (base + newline if newline >= 0 else last_nl)
        return JSONStreamError(f"{path}:{line}:{column}: {message}")

    fill()
    skip_ws()
    if pos >= len(buffer):
        raise fail("the file is empty; an export is a JSON array")
    if buffer[pos] != "[":
        raise fail("not a JSON array (a Label Studio JSON export is a list of tasks)")
    pos += 1
    skip_ws()
    if pos < len(buffer) and buffer[pos] == "]":
        pos += 1
    else:
        while True:
            while True:
                if not eof and len(buffer) - pos < chunk // 2:
                    fill()  # read ahead: an item cut off by the buffer's end is a failed parse, then a retry
                try:
                    item, end = decoder.raw_decode(buffer, pos)
                except RecursionError:
                    raise fail("a value is nested too deeply (thousands of levels) to be a Label Studio task") from None
                except json.JSONDecodeError as exc:
                    # An item cut off by the buffer's end fails near the end, or inside a string
                    # that runs to it: read more and try again. Anything else is a real error.
                    cut_off = exc.pos >= len(buffer) - 1024 or exc.msg.startswith("Unterminated string")
                    if cut_off and not eof:
                        fill()
                        continue
                    if eof and (exc.msg.startswith("Unterminated string") or not buffer[exc.pos:].strip()):
                        raise fail("the file ends inside the task that starts here (cut off? a download or copy "
                                   "that stopped early)") from None
                    pos = exc.pos
                    raise fail(f"not valid JSON: {exc.msg.removesuffix(' at').removesuffix(' starting')}") from None
                break
            pos = end
            yield item
            skip_ws()
            if pos >= len(buffer):
                raise fail("the file ends inside the array (cut off?)")
            if buffer[pos] == ",":
                pos += 1
                skip_ws()
                continue
            if buffer[pos] == "]":
                pos += 1
                break
            raise fail("expected ',' or ']' after an item")
    skip_ws()
    if pos < len(buffer):
        raise fail("unexpected data after the array")
