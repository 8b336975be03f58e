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

XLSX. Every download that offers a CSV offers the same rows as an Excel workbook, written by
the same `Sheet` writers below: text cells neutralised exactly as in the CSV (openpyxl would
otherwise store a text beginning with = as a formula), dates and times as real dates in
Finnish format (7.4.2026, 7.4.2026 14.05 Helsinki time) so that they sort and filter as dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any, BinaryIO, Protocol, TextIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

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


class FileFormat(StrEnum):
    """The formats a table is downloaded in."""

    CSV = "csv"
    XLSX = "xlsx"

    @property
    def label(self) -> str:
        return {"csv": "CSV", "xlsx": "XLSX"}[self.value]

    @property
    def mime(self) -> str:
        return {
            "csv": "text/csv",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[self.value]


# Excel's number formats for Finnish dates and Helsinki wall times.
XLSX_DATE = "d.m.yyyy"
XLSX_DATETIME = "d.m.yyyy h.mm"


class Sheet(Protocol):
    """Rows of one table in one format; `close` finishes the file."""

    def writerow(self, values: Iterable[object], /) -> None: ...

    def close(self) -> None: ...


class CsvSheet:
    """Rows as CSV in the declared dialect, every cell neutralised text."""

    def __init__(self, out: TextIO, *, bom: bool = True, separator: str | None = None) -> None:
        self._writer = csv_writer(out, bom=bom, separator=separator)

    def writerow(self, values: Iterable[object], /) -> None:
        self._writer.writerow([neutralised(v) for v in values])

    def close(self) -> None:
        """Nothing to finish: the caller owns `out`."""


class XlsxSheet:
    """Rows as one worksheet of an XLSX workbook, saved to `out` by `close`."""

    def __init__(self, out: BinaryIO, title: str = "list") -> None:
        self._out = out
        self._book = Workbook(write_only=True)
        self._sheet: WriteOnlyWorksheet = self._book.create_sheet(title[:31])

    def writerow(self, values: Iterable[object], /) -> None:
        self._sheet.append([self._cell(v) for v in values])

    def _cell(self, value: object) -> object:
        if isinstance(value, bool) or value is None:
            return neutralised(value)
        if isinstance(value, int | float | Decimal):
            return value  # a number is never a formula, and sums as a number
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:  # stored UTC: the Helsinki wall time, as pages show
                from registry import settings  # settings reads the environment; kept late

                value = value.astimezone(settings.REGISTRY_TZ).replace(tzinfo=None)
            cell = WriteOnlyCell(self._sheet, value)
            cell.number_format = XLSX_DATETIME
            return cell
        if isinstance(value, dt.date):
            cell = WriteOnlyCell(self._sheet, value)
            cell.number_format = XLSX_DATE
            return cell
        # A control character may not stand in an XLSX file: shown as the replacement mark.
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", neutralised(value))
        cell = WriteOnlyCell(self._sheet, text)
        cell.data_type = "s"  # text, even if it began with = (then neutralised as well)
        return cell

    def close(self) -> None:
        self._book.save(self._out)


def sheet(
    file_format: FileFormat | str, out: BinaryIO, title: str = "list", **csv_options: Any
) -> Sheet:
    """A writer of `file_format` on the binary `out` (CSV in UTF-8 with its BOM)."""
    if FileFormat(file_format) is FileFormat.XLSX:
        return XlsxSheet(out, title)
    return _BinaryCsvSheet(out, **csv_options)


class _BinaryCsvSheet(CsvSheet):
    def __init__(self, out: BinaryIO, **csv_options: Any) -> None:
        self._text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        super().__init__(self._text, **csv_options)

    def close(self) -> None:
        self._text.flush()
        self._text.detach()  # leaves `out` open to its owner


def table(
    file_format: FileFormat | str,
    header: Sequence[str],
    rows: Iterable[Iterable[object]],
    title: str = "list",
) -> bytes:
    """A whole (bounded) table as the bytes of one file."""
    out = io.BytesIO()
    writer = sheet(file_format, out, title)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    writer.close()
    return out.getvalue()
