"""The one way the registry writes a CSV file a person will open: the dialect the declaration
names (data/registry.toml, [files]), a UTF-8 byte order mark first, formulas defused.

Finnish Excel reads a file without a BOM as ANSI ("Kyllönen" becomes "KyllÃ¶nen") and splits
columns on the list separator of the Finnish locale, the semicolon, so a comma-separated file
lands in column A. Every CSV download goes through csv_writer, so all open the same way.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol, TextIO

BOM = "\ufeff"
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = {";": "semicolon", ",": "comma", "\t": "tab"}


class RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


def delimiter() -> str:
    """The declared column separator (the declaration is read once per process)."""
    from registry import notice  # notice reads settings; imported late to keep this light

    return notice.declaration().csv_delimiter


def defused(text: str) -> str:
    """Free text kept as text: a leading apostrophe stops a spreadsheet running a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_writer(out: TextIO, *, bom: bool = True, separator: str | None = None) -> RowWriter:
    """A csv writer on `out` in the declared dialect, the BOM written first (`bom=False` for
    a part appended to a file that already has it)."""
    if bom:
        out.write(BOM)
    return csv.writer(out, delimiter=separator or delimiter(), lineterminator="\r\n")


def csv_line(values: Iterable[object], *, separator: str | None = None) -> str:
    """One CSV line (no BOM) in the declared dialect, for files written line by line."""
    import io

    buffer = io.StringIO()
    csv_writer(buffer, bom=False, separator=separator).writerow(values)
    return buffer.getvalue()
