"""Reading input files safely, the twin of annotate.outputs: JSON, JSONL and CSV/TSV read without a
crash whatever the bytes, every problem located (file, line, column or JSON path).

- `read_json(path, expected=...)`: the value of a JSON file, or InputError listing what is wrong.
- `read_jsonl(path, expected=...)`: the values of a JSONL file with their line numbers, and a
  Problem for each bad line (left out, the rest still read): the caller decides whether to fail.
- `read_table(path, expected=...)`: the header and rows of a .csv/.tsv, each row with its line,
  and a Problem for each ragged row.
- `problems_error(problems, hint=...)`: one InputError listing problems (the readers' and the
  caller's own) in line order.

What every reader guarantees about what it returns:
- UTF-8 text (a leading byte order mark is dropped); other bytes are a problem at their byte offset.
- Nesting at most MAX_DEPTH levels: json.loads exhausts the stack on deep input (RecursionError),
  and code that walks the value recursively would too; deeper input is a problem.
- No NaN, Infinity, number beyond a float's range or integer longer than Python reads (4300
  digits): JSON does not allow the first three, and the last raises ValueError in json.loads.
- Strings that can be printed, hashed, encoded as UTF-8 and given to C: a lone surrogate (a \\ud800
  escape, which JSON allows) or a NUL character becomes U+FFFD, keys too. Not an error (one bad
  character should not cost a file of past checks); `warn`, where given, is told once per file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import InputError, unreadable

MAX_DEPTH = 64  # JSON nested deeper than this is refused
REPLACEMENT = "\ufffd"
Warn = Callable[[str], None]

# A JSON text holds a NUL or a lone surrogate only as a \u escape: JSON strings have no raw control
# characters, and a surrogate cannot be UTF-8. A text without such an escape need not be walked.
_MAY_BE_UNSAFE = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
_BRACKET_OR_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_NOT_MARKS = bytes(b for b in range(256) if b not in b'[]{}"')
_OPENING = frozenset(b"[{")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_FIX_JSON = "fix the JSON there, or give another file"
_SAVE_AS_UTF8 = "save the file as UTF-8"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file: `message` says what and where; `line` orders it (0: the file)."""

    line: int
    message: str


def problems_error(problems: Iterable[Problem], *, hint: str | None = None) -> InputError:
    """One InputError listing every problem, one a line, in line order (stable)."""
    ordered = sorted(problems, key=lambda p: p.line)
    return InputError("\n".join(p.message for p in ordered), hint=hint)


def _read_bytes(path: Path, expected: str) -> tuple[bytes, int]:
    """The bytes of the file, without a UTF-8 byte order mark, and the length of that mark (0 or 3)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise unreadable(path, exc, expected=expected) from None
    if raw.startswith(_UTF16_BOMS):
        raise InputError(f"{path}: UTF-16 text (it starts with a UTF-16 byte order mark), not UTF-8",
                         hint=_SAVE_AS_UTF8)  # fmt: skip
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    return raw[skip:], skip


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


# Depth --------------------------------------------------------------------------------------------
def _too_deep(raw: bytes) -> bool:
    """Whether brackets outside strings nest deeper than MAX_DEPTH, found at C speed but for a loop
    over the brackets (0.1 s for 29 MB of ClaimReview, where json.loads takes 0.25 s). Most texts
    have too few brackets to nest that deep at all. Otherwise escaped backslashes and quotes go,
    then all but brackets and quotes; a quote next to a quote is an empty string or the gap between
    two strings, so dropping both changes nothing outside strings; the few strings left holding
    brackets go. A closing bracket with none open counts nothing (the parser stops there)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    marks = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_MARKS).replace(b'""', b"")
    depth = 0
    for c in b"".join(marks.split(b'"')[::2]):
        if c in _OPENING:
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif depth:
            depth -= 1
    return False


def _deep_offset(raw: bytes) -> int:
    """The offset of the first bracket deeper than MAX_DEPTH (slow: only for the message)."""
    depth = 0
    for found in _BRACKET_OR_STRING.finditer(raw):
        c = found.group()
        if c in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                return found.start()
        elif c in (b"]", b"}") and depth:
            depth -= 1
    return 0


# Parsing ----------------------------------------------------------------------------------------
class _Invalid:
    """A value JSON does not allow, or Python cannot hold, kept where it was to be reported there."""

    def __init__(self, what: str) -> None:
        self.what = what


def _constant(name: str) -> _Invalid:
    return _Invalid(f"{name}, which JSON does not allow; write null or a number")


def _float(text: str) -> float | _Invalid:
    value = float(text)
    return value if math.isfinite(value) else _Invalid(f"{text} is beyond the range of a number; write null or a "
                                                       "smaller number")  # fmt: skip


def _int(text: str) -> int | _Invalid:
    try:
        return int(text)
    except ValueError:  # longer than sys.get_int_max_str_digits()
        return _Invalid(f"an integer of {len(text.lstrip('-'))} digits, more than the {sys.get_int_max_str_digits()} "
                        "Python reads; write long numbers as strings")  # fmt: skip


@dataclass
class _Walk:
    problems: list[str] = field(default_factory=list)  # "$.x: what is wrong"
    repaired: list[str] = field(default_factory=list)  # JSON paths of the strings made safe


def _child(where: str, key: str) -> str:
    return f"{where}.{key}" if key.isidentifier() else f"{where}[{key!r}]"


def _made_safe(value: Any, where: str, walk: _Walk) -> Any:
    """`value` with unsafe strings replaced and invalid numbers reported (depth <= MAX_DEPTH: bounded)."""
    if isinstance(value, str):
        if _UNSAFE.search(value):
            walk.repaired.append(where)
            return _UNSAFE.sub(REPLACEMENT, value)
        return value
    if isinstance(value, _Invalid):
        walk.problems.append(f"{where}: {value.what}")
        return None
    if isinstance(value, list):
        return [_made_safe(item, f"{where}[{i}]", walk) for i, item in enumerate(value)]
    if isinstance(value, dict):
        safe = {}
        for key, item in value.items():
            if _UNSAFE.search(key):
                walk.repaired.append(f"{where} (a key)")
                key = _UNSAFE.sub(REPLACEMENT, key)
            safe[key] = _made_safe(item, _child(where, key), walk)
        return safe
    return value


def _parse(raw: bytes, text: str) -> tuple[Any, _Walk]:
    """The value of one JSON text (raw: its UTF-8 bytes), made safe; raises json.JSONDecodeError,
    RecursionError (only if the caller skipped the depth check)."""
    invalid: list[_Invalid] = []

    def constant(name: str) -> _Invalid:
        invalid.append(_constant(name))
        return invalid[-1]

    def number(text: str) -> float | _Invalid:
        value = _float(text)
        if isinstance(value, _Invalid):
            invalid.append(value)
        return value

    def integer(text: str) -> int | _Invalid:
        value = _int(text)
        if isinstance(value, _Invalid):
            invalid.append(value)
        return value

    value = json.loads(text, parse_constant=constant, parse_float=number, parse_int=integer)
    walk = _Walk()
    if invalid or _MAY_BE_UNSAFE.search(raw):
        value = _made_safe(value, "$", walk)
    return value, walk


def _what(exc: json.JSONDecodeError) -> str:
    """The parser's message without its dangling position words ("Unterminated string starting at")."""
    return exc.msg.removesuffix(" at").removesuffix(" starting")


def _repaired_note(path: Path, count: int, first: str) -> str:
    return (f"{path}: {count} string(s) held a lone surrogate or a NUL character, replaced by U+FFFD "
            f"(first: {first})")  # fmt: skip


def read_json(path: Path, *, expected: str = "a JSON file", warn: Warn | None = None) -> Any:
    """The value of the JSON file at `path` (see the module docstring for what it guarantees).
    InputError, listing every problem found: the file missing or unreadable, not UTF-8, not JSON,
    nested deeper than MAX_DEPTH, or holding NaN, Infinity or numbers Python cannot read."""
    path = Path(path)
    raw, skip = _read_bytes(path, expected)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 at byte {skip + exc.start} (line {_line_of(raw, exc.start)})",
                         hint=_SAVE_AS_UTF8) from None  # fmt: skip
    if not text.strip():
        raise InputError(f"{path}: empty, expected {expected}")
    if _too_deep(raw):
        raise InputError(f"{path}: nested more than {MAX_DEPTH} levels deep (line {_line_of(raw, _deep_offset(raw))})",
                         hint=f"{expected} is never nested that deep; check that this is the right file")  # fmt: skip
    try:
        value, walk = _parse(raw, text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {_what(exc)}",
                         hint=_FIX_JSON) from None  # fmt: skip
    except RecursionError:  # not reached: _too_deep is checked first
        raise InputError(f"{path}: nested too deeply", hint=_FIX_JSON) from None
    if walk.problems:
        raise InputError("\n".join(f"{path}: {p}" for p in walk.problems), hint=_FIX_JSON)
    if walk.repaired and warn is not None:
        warn(_repaired_note(path, len(walk.repaired), walk.repaired[0]))
    return value


# JSONL ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    value: Any


@dataclass
class JsonLines:
    """A JSONL file read: the values of its good lines, and a Problem for each bad one."""

    lines: list[Line]
    problems: list[Problem]


def _json_line(path: Path, number: int, raw: bytes, offset: int) -> tuple[Any, _Walk | str]:
    """The value of one line, or the message of what is wrong with it."""
    where = f"{path}: line {number}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"{where}: not valid UTF-8 at byte {offset + exc.start} of the file"
    if _too_deep(raw):
        return None, f"{where}: nested more than {MAX_DEPTH} levels deep"
    try:
        return _parse(raw, text)
    except json.JSONDecodeError as exc:
        return None, f"{where}: not valid JSON at column {exc.colno}: {_what(exc)}"
    except RecursionError:  # not reached: _too_deep is checked first
        return None, f"{where}: nested too deeply"


def read_jsonl(path: Path, *, expected: str = "a JSONL file", warn: Warn | None = None) -> JsonLines:
    """The values of the JSONL file at `path`, one a non-blank line, each with its line number
    (only "\\n" ends a line: U+2028, which JSON allows in strings, does not). A line that is not
    UTF-8, not JSON, too deep or holding NaN, Infinity or unreadable numbers is a Problem, left
    out. InputError only for a file that cannot be read at all."""
    path = Path(path)
    raw, offset = _read_bytes(path, expected)  # offset: of each line in the file, from after a BOM
    found = JsonLines([], [])
    repaired: list[str] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        here, offset = offset, offset + len(line) + 1
        if not line.strip():
            continue
        value, outcome = _json_line(path, number, line, here)
        if isinstance(outcome, str):
            found.problems.append(Problem(number, outcome))
        elif outcome.problems:
            found.problems += [Problem(number, f"{path}: line {number}: {p}") for p in outcome.problems]
        else:
            found.lines.append(Line(number, value))
            repaired += [f"line {number}, {where}" for where in outcome.repaired]
    if repaired and warn is not None:
        warn(_repaired_note(path, len(repaired), repaired[0]))
    return found


# Tables ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    line: int  # where the row starts (a quoted cell may run over several lines)
    cells: tuple[str, ...]


@dataclass
class Table:
    """A table read: its header (the first non-blank row, as written) and rows, and a Problem for
    each row that could not be taken (another number of cells than the header)."""

    header: tuple[str, ...]
    rows: list[Row]
    problems: list[Problem]


def _undecodable_lines(raw: bytes, skip: int, path: Path) -> InputError:
    """Every line of a table that is not UTF-8, in one error (the first ten named)."""
    bad, offset = [], skip
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.append((number, offset + exc.start))
        offset += len(line) + 1
    shown = ", ".join(str(n) for n, _ in bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
    return InputError(f"{path}: not valid UTF-8 on line(s) {shown} (first at byte {bad[0][1]})",
                      hint=_SAVE_AS_UTF8 + " (a spreadsheet's 'CSV UTF-8' export)")  # fmt: skip


def read_table(path: Path, *, expected: str = "a .csv or .tsv table", warn: Warn | None = None) -> Table:
    """The rows of the table at `path`: tab-separated for .tsv, comma-separated otherwise. Blank
    rows (no cell with anything but spaces) are skipped; a row with another number of cells than
    the header is a Problem, left out. A NUL character becomes U+FFFD (csv cannot be trusted with
    it, nor can C code later); a cell of any size is read (csv's own limit is 128 KiB).
    InputError for a file that cannot be read, is not UTF-8 or that csv cannot parse."""
    path = Path(path)
    raw, skip = _read_bytes(path, expected)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _undecodable_lines(raw, skip, path) from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        if warn is not None:
            warn(f"{path}: {raw.count(0)} NUL character(s) replaced by U+FFFD (first on line {_line_of(raw, nul)})")
        text = text.replace("\x00", REPLACEMENT)
    return parse_table(text, path)


def parse_table(text: str, path: Path, *, delimiter: str | None = None) -> Table:
    """The rows of a decoded table (see read_table). Quoting is strict: a quote never closed is an
    error naming its line, and a quoted cell that runs over lines holding as many delimiters as a
    row is one too (an unclosed quote that found a closing one rows later: it swallowed them). A
    header with two columns of one name is an error. Every row with another number of cells than
    the header is a Problem."""
    delimiter = delimiter or ("\t" if Path(path).suffix.lower() == ".tsv" else ",")
    text = text.removeprefix("\ufeff")
    table = Table((), [], [])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # no cell is longer than the file (restored below)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if not table.header:
                    table.header = tuple(cells)
                    _check_header(table.header, path, start)
                elif len(cells) != len(table.header):
                    table.problems.append(Problem(start, f"{path}: line {start}: {len(cells)} cell(s), the header "
                                                         f"has {len(table.header)}"))  # fmt: skip
                else:
                    swallowed = _swallowed(cells, delimiter, len(table.header))
                    if swallowed:
                        table.problems.append(Problem(start, f"{path}: line {start}: a quoted cell runs to line "
                                                             f"{reader.line_num} over what look like {swallowed} "
                                                             "row(s): a quote not closed?"))  # fmt: skip
                    else:
                        table.rows.append(Row(start, tuple(cells)))
            start = reader.line_num + 1
    except csv.Error as exc:
        what = ("a quote opened here is never closed" if "unexpected end of data" in str(exc)
                else "a quoted cell is closed by a quote mark with more text after it" if "expected after" in str(exc)
                else str(exc))  # fmt: skip
        raise InputError(
            f"{path}: line {start}: {what}", hint='close the quote, or double a quote mark inside a quoted cell ("")'
        ) from None
    finally:
        csv.field_size_limit(limit)
    return table


def _check_header(header: tuple[str, ...], path: Path, line: int) -> None:
    names = [h.strip().casefold() for h in header]
    twice = sorted({h for h in header if names.count(h.strip().casefold()) > 1 and h.strip()})
    if twice:
        raise InputError(f"{path}: line {line}: the header names {', '.join(map(repr, twice))} more than once",
                         hint="give every column its own name")  # fmt: skip


def _swallowed(cells: list[str], delimiter: str, columns: int) -> int:
    """How many lines inside the row's cells look like rows of their own (as many delimiters as a
    row has): 0 for cells that merely hold line breaks."""
    if columns < 2:
        return 0
    return sum(1 for cell in cells if "\n" in cell
               for line in cell.split("\n")[1:] if line.count(delimiter) >= columns - 1)  # fmt: skip
