"""How a benchmark table is laid out (its quoting, line breaks, byte order mark), found when it is
read and kept so that `combine` writes it back as it was (dataset/formats.py).

The CheckThat! 2024 task 1 files do not agree on quoting. The English ones quote a cell holding a
comma or a quote mark (CHECKTHAT, tsv_cell); the Arabic dev-test file quotes only a cell holding a
quote mark, tab or line break (MINIMAL: what Python's csv module and pandas write with a tab
delimiter); the other Arabic, the Dutch and the Spanish files quote nothing (NONE): their quote
marks are part of the text, even at the start of a cell (`"Hay que ... cayendo".  "No existe la
"brecha de género""`), which a CSV reader would take apart. A file's quoting is the first of these
that writes the rows read with it back exactly as the file holds them; a file none of them
reproduces is read as CSV and written back the CheckThat! way, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

CHECKTHAT, MINIMAL, NONE = "checkthat", "minimal", "none"
_QUOTE_IF = {
    # The CheckThat! files quote a cell holding a comma or quote mark (measured on the 2024 English
    # files: every such text, and no other, is quoted); tabs and line breaks must be quoted too.
    CHECKTHAT: (",", '"', "\t", "\n", "\r"),
    MINIMAL: ('"', "\t", "\n", "\r"),
    NONE: (),
}


def tsv_cell(value: object, quoting: str = CHECKTHAT) -> str:
    """One cell as a file of this quoting writes it: quoted, with quote marks doubled, when it holds
    one of the characters that quoting quotes."""
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in _QUOTE_IF[quoting]) else text


@dataclass(frozen=True)
class Layout:
    """What a table's bytes hold besides its cells."""

    quoting: str = CHECKTHAT
    newline: str = "\n"
    final_newline: bool = True
    bom: bool = False  # a UTF-8 byte order mark

    def record(self) -> dict[str, Any]:
        """What differs from the usual layout (stored with each row, so usually nothing)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != f.default}

    @classmethod
    def of_record(cls, record: Any) -> Layout:
        """The layout a row's record keeps; a value that is not one of a layout reads as the usual one."""
        record = record if isinstance(record, dict) else {}
        quoting, newline = record.get("quoting"), record.get("newline")
        return cls(quoting if quoting in _QUOTE_IF else CHECKTHAT, newline if newline in ("\n", "\r\n") else "\n",
                   record.get("final_newline") is not False, record.get("bom") is True)  # fmt: skip

    def text(self, lines: Iterable[str]) -> str:
        """The file's text from its encoded lines (header first)."""
        body = self.newline.join(lines)
        return ("\ufeff" if self.bom else "") + body + (self.newline if self.final_newline and body else "")


def line_layout(text: str) -> Layout:
    """The line breaks of a decoded text (the first one decides) and whether it ends with one."""
    first = text.find("\n")
    newline = "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
    return Layout(newline=newline, final_newline=text.endswith("\n"))


def unquoted_rows(text: str, layout: Layout, delimiter: str) -> list[list[str]] | None:
    """The rows of a table that quotes nothing (NONE): each line split at the delimiter; None when
    a line has another number of cells than the header, or is blank (then it is not such a table)."""
    body = text[: -len(layout.newline)] if layout.final_newline else text
    lines = body.split(layout.newline)
    rows = [line.split(delimiter) for line in lines]
    width = len(rows[0])
    if any(len(row) != width or not "".join(row).strip() for row in rows):
        return None
    return rows


def tsv_layout(
    text: str, parsed: list[tuple[str, ...]] | None, layout: Layout, *, csv_failed: bool
) -> tuple[Layout, list[list[str]] | None]:
    """The layout of a .tsv and, when it quotes nothing (NONE), its rows read line by line. `parsed`
    are its rows as a CSV reader read them (None when it could not). CHECKTHAT or MINIMAL when one
    writes `parsed` back as the file holds it; NONE when the CSV reading failed or a cell holds a
    quote mark no CSV writer writes, and every line has the header's number of cells; else the
    layout as it was (the file is read as CSV)."""
    quoting = quoting_of(text, parsed, layout, "\t")
    if quoting:
        return replace(layout, quoting=quoting), None
    if csv_failed or _stray_quote(text):
        raw = unquoted_rows(text, layout, "\t")
        if raw:
            return replace(layout, quoting=NONE), raw
    return layout, None


def _stray_quote(text: str) -> bool:
    """Whether a tab-separated cell holds a quote mark that CSV quoting cannot have written: one
    that is not a whole quoted cell with its inner quote marks doubled."""
    for line in text.split("\n"):
        for cell in line.rstrip("\r").split("\t") if '"' in line else ():
            if '"' in cell and not _quoted(cell):
                return True
    return False


def _quoted(cell: str) -> bool:
    return len(cell) > 1 and cell[0] == cell[-1] == '"' and '"' not in cell[1:-1].replace('""', "")


def quoting_of(text: str, rows: list[tuple[str, ...]] | None, layout: Layout, delimiter: str) -> str | None:
    """The quoting (CHECKTHAT, then MINIMAL) that writes `rows` (the header first, as a CSV reader
    read them) back as `text`; None when neither does."""
    if rows is None:
        return None
    for quoting in (CHECKTHAT, MINIMAL):
        lines = (delimiter.join(tsv_cell(c, quoting) for c in row) for row in rows)
        if Layout(quoting, layout.newline, layout.final_newline).text(lines) == text:
            return quoting
    return None
