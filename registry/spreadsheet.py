"""Every CSV and XLSX file the registry writes: text a spreadsheet shows and never runs, in
the dialect a person's spreadsheet opens.

Cells. A spreadsheet treats a cell that begins with = + - @ (or a tab or carriage return
before them) as a formula: a name, an email or a detail typed by anyone could run a command
on the machine of whoever opens a target list or an audit export (CSV/formula injection,
OWASP). Such a cell gets a leading apostrophe, which spreadsheets read as "this is text".
Every column is treated so, a phone number in E.164 (+358...) too: the rule has no
exceptions to get wrong, and a phone number written as text keeps its plus sign.

Files. Finnish Excel reads a file without a BOM as ANSI ("Kyllönen" becomes "KyllÃ¶nen")
and splits columns on the list separator of the Finnish locale, the semicolon, so a
comma-separated file lands in column A. Every CSV download goes through csv_writer, in the
dialect the declaration names (data/registry.toml, [files]), a UTF-8 byte order mark first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, Protocol, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
DELIMITERS = {";": "semicolon", ",": "comma", "\t": "tab"}


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet would run `text` as a formula."""
    return text.startswith(FORMULA_START)


def neutralised(value: object) -> str:
    """A cell's value as text a spreadsheet shows and never runs (None: an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if starts_formula(text) else text


class RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


def delimiter() -> str:
    """The declared column separator (the declaration is read once per process)."""
    from registry import notice  # notice reads settings; imported late to keep this light

    return notice.declaration().csv_delimiter


def csv_writer(out: TextIO, *, bom: bool = True, separator: str | None = None) -> RowWriter:
    """A csv writer on `out` in the declared dialect, the BOM written first (`bom=False` for
    a part appended to a file that already has it)."""
    if bom:
        out.write(BOM)
    return csv.writer(out, delimiter=separator or delimiter(), lineterminator="\r\n")


def csv_line(values: Iterable[object], *, separator: str | None = None) -> str:
    """One CSV line (no BOM) in the declared dialect, for files written line by line."""
    buffer = io.StringIO()
    csv_writer(buffer, bom=False, separator=separator).writerow(values)
    return buffer.getvalue()
