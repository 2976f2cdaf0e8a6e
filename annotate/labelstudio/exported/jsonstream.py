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
    stream = _Stream(fh, path, chunk)
    stream.fill()
    stream.skip_ws()
    if stream.pos >= len(stream.buffer):
        raise stream.fail("the file is empty; an export is a JSON array")
    if stream.buffer[stream.pos] != "[":
        raise stream.fail("not a JSON array (a Label Studio JSON export is a list of tasks)")
    stream.pos += 1
    stream.skip_ws()
    if stream.pos < len(stream.buffer) and stream.buffer[stream.pos] == "]":
        stream.pos += 1
    else:
        while True:
            yield stream.item()
            stream.skip_ws()
            if stream.pos >= len(stream.buffer):
                raise stream.fail("the file ends inside the array (cut off?)")
            if stream.buffer[stream.pos] == ",":
                stream.pos += 1
                stream.skip_ws()
                continue
            if stream.buffer[stream.pos] == "]":
                stream.pos += 1
                break
            raise stream.fail("expected ',' or ']' after an item")
    stream.skip_ws()
    if stream.pos < len(stream.buffer):
        raise stream.fail("unexpected data after the array")


class _Stream:
    """A text buffer refilled from the file. buffer[0] is character `base` of the file; `lines`
    newlines precede it, the last at character `last_nl` (for the line and column of an error)."""

    def __init__(self, fh: _Reader, path: Path | str, chunk: int) -> None:
        self.fh, self.path, self.chunk = fh, path, chunk
        self.decoder = json.JSONDecoder()
        self.text = codecs.getincrementaldecoder("utf-8-sig")()
        self.buffer, self.pos, self.eof = "", 0, False
        self.base, self.lines, self.last_nl = 0, 0, -1
        self.bytes_read = 0

    def fill(self) -> bool:
        """Drop what was consumed, read one more chunk; False at the end of the file."""
        pending = len(self.text.getstate()[0])  # bytes of a character cut by the last chunk
        try:
            raw = self.fh.read(self.chunk)
            more = self.text.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            raise InputError(f"{self.path}: not valid UTF-8 at byte {self.bytes_read - pending + exc.start}",
                             hint="re-export the file, or convert it to UTF-8") from None  # fmt: skip
        except OSError as exc:
            raise unreadable(self.path, exc, expected="an export file") from None
        self.bytes_read += len(raw)
        newline = self.buffer.rfind("\n", 0, self.pos)  # in what was consumed, not copying it
        if newline >= 0:
            self.lines += self.buffer.count("\n", 0, self.pos)
            self.last_nl = self.base + newline
        self.base += self.pos
        self.buffer, self.pos = self.buffer[self.pos :] + more, 0
        self.eof = not raw
        return bool(raw)

    def skip_ws(self) -> None:
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buffer) or not self.fill():
                return

    def fail(self, message: str) -> JSONStreamError:
        newline = self.buffer.rfind("\n", 0, self.pos)
        line = self.lines + self.buffer.count("\n", 0, self.pos) + 1
        column = self.base + self.pos - (self.base + newline if newline >= 0 else self.last_nl)
        return JSONStreamError(f"{self.path}:{line}:{column}: {message}")

    def item(self) -> Any:
        """The item that starts at pos, decoded by the C decoder; pos moves past it."""
        while True:
            if not self.eof and len(self.buffer) - self.pos < self.chunk // 2:
                self.fill()  # read ahead: an item cut off by the buffer's end is a failed parse, then a retry
            try:
                item, self.pos = self.decoder.raw_decode(self.buffer, self.pos)
                return item
            except RecursionError:
                raise self.fail("a value is nested too deeply (thousands of levels) to be a Label Studio "
                                "task") from None  # fmt: skip
            except json.JSONDecodeError as exc:
                # An item cut off by the buffer's end fails near the end, or inside a string that
                # runs to it: read more and try again. Anything else is a real error.
                cut_off = exc.pos >= len(self.buffer) - 1024 or exc.msg.startswith("Unterminated string")
                if cut_off and not self.eof:
                    self.fill()
                    continue
                if self.eof and (exc.msg.startswith("Unterminated string") or not self.buffer[exc.pos :].strip()):
                    raise self.fail("the file ends inside the task that starts here (cut off? a download or copy "
                                    "that stopped early)") from None  # fmt: skip
                self.pos = exc.pos
                raise self.fail(f"not valid JSON: {exc.msg.removesuffix(' at').removesuffix(' starting')}") from None
