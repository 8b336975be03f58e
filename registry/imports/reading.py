"""Reading an import file: its format detected and said, its rows streamed.

A CSV file's encoding and delimiter are detected, never guessed silently: UTF-8 (with or
without a byte-order mark) or Windows-1252 as Finnish Excel saves "CSV (semicolon
delimited)"; comma or semicolon. A file that could be read more than one way is refused with
the reason. An XLSX workbook is read from its first sheet, whose name is said.

Rows come out as (row number, cells), the row number being the one a spreadsheet shows: the
header is row 1. Cells are text exactly as given; nothing is trimmed or converted here.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry import settings
from registry.errors import RegistryError


class FileRefused(RegistryError):
    """The file cannot be read as an import file; the message says why and what to do."""


UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
WINDOWS_1252 = "cp1252"

ENCODING_NAMES = {
    UTF8: "UTF-8",
    UTF8_BOM: "UTF-8 with BOM",
    WINDOWS_1252: "Windows-1252",
}
DELIMITER_NAMES = {",": "comma", ";": "semicolon"}


@dataclass(frozen=True)
class FileFormat:
    """How a file is read, as detected."""

    container: str  # "csv" or "xlsx"
    encoding: str | None = None  # csv: UTF8, UTF8_BOM or WINDOWS_1252
    delimiter: str | None = None  # csv: "," or ";"
    sheet: str | None = None  # xlsx: the sheet read
    sheets: int = 1  # xlsx: how many sheets the workbook has
    ascii_only: bool = False  # csv: no byte above 127, so every encoding reads it alike

    def describe(self) -> str:
        """The format in words, for the page and the command line."""
        if self.container == "xlsx":
            of = f" (the first of {self.sheets})" if self.sheets > 1 else ""
            return f"XLSX workbook, sheet {self.sheet!r}{of}"
        encoding = ENCODING_NAMES[self.encoding or UTF8]
        if self.ascii_only:
            encoding += " (plain ASCII)"
        delimiter = DELIMITER_NAMES[self.delimiter or ","]
        return f"CSV, {encoding}, {delimiter}-delimited"


# --- detecting ---

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .xls
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Bytes that Windows-1252 leaves undefined: a file holding them is not Windows-1252.
_UNDEFINED_IN_1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")
# Where Windows-1252 and ISO-8859-15 (Latin-9) differ, 8859-15 has € Š š Ž ž Œ œ Ÿ: a file
# with these bytes could be either, and the letters would come out wrong in one of them.
_LATIN9_AMBIGUOUS = frozenset(b"\xa4\xa6\xa8\xb4\xb8\xbc\xbd\xbe")
# UTF-8 text read as Windows-1252 and saved again ("Ã¤" for "ä"): two encodings in one file.
_CONTINUATION_AS_1252 = "".join(
    bytes([b]).decode("cp1252") for b in range(0x80, 0xC0) if b not in _UNDEFINED_IN_1252
)
_DOUBLE_ENCODED = re.compile(f"[ÃÂ][{re.escape(_CONTINUATION_AS_1252)}]")


def detect(path: Path) -> FileFormat:
    """The file's format, or FileRefused with the reason."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(_ZIP):
        return _detect_xlsx(path)
    if head.startswith(_OLE):
        raise FileRefused(
            "This is an old Excel .xls workbook. Save it as .xlsx, or as CSV UTF-8, and import "
            "that."
        )
    if any(head.startswith(bom) for bom in _UTF16_BOMS):
        raise FileRefused(
            "This file is UTF-16 (Excel's 'Unicode text'). Save it as 'CSV UTF-8' instead."
        )
    encoding, ascii_only = _detect_encoding(path)
    return FileFormat("csv", encoding, _detect_delimiter(path, encoding), ascii_only=ascii_only)


def _detect_encoding(path: Path) -> tuple[str, bool]:
    """UTF8, UTF8_BOM or WINDOWS_1252, read from the whole file (an odd byte may be last)."""
    decoder = codecs.getincrementaldecoder(UTF8)()
    has_bom, ascii_only, utf8_error, offset = False, True, None, 0
    undefined_1252: int | None = None
    latin9: set[int] = set()
    with path.open("rb") as f:
        first = True
        while block := f.read(settings.IMPORT_READ_BYTES):
            if first:
                has_bom = block.startswith(codecs.BOM_UTF8)
                first = False
            if b"\x00" in block:
                raise FileRefused(
                    f"The file holds NUL bytes (the first at byte {offset + block.index(0):,}): "
                    "it is not a text file. Save it as CSV or XLSX."
                )
            if ascii_only and not block.isascii():
                ascii_only = False
            if not ascii_only:
                if undefined_1252 is None and (bad := _UNDEFINED_IN_1252.intersection(block)):
                    undefined_1252 = offset + min(block.index(bytes([b])) for b in bad)
                latin9.update(_LATIN9_AMBIGUOUS.intersection(block))
                if utf8_error is None:
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError as e:
                        utf8_error = offset + e.start
            offset += len(block)
    if utf8_error is None and not ascii_only:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_error = offset  # the file ends inside a character
    if utf8_error is None:
        return (UTF8_BOM if has_bom else UTF8), ascii_only
    if has_bom:
        raise FileRefused(
            f"The file starts with a UTF-8 byte-order mark but is not UTF-8 at byte "
            f"{utf8_error:,}: it mixes encodings. Save it again as 'CSV UTF-8'."
        )
    if undefined_1252 is not None:
        raise FileRefused(
            f"The file is neither UTF-8 (byte {utf8_error:,}) nor Windows-1252 (byte "
            f"{undefined_1252:,} has no meaning in it). Save it as 'CSV UTF-8'."
        )
    if latin9:
        shown = ", ".join(
            f"0x{b:02X} ({bytes([b]).decode(WINDOWS_1252)!r} or "
            f"{bytes([b]).decode('iso8859_15')!r})"
            for b in sorted(latin9)
        )
        raise FileRefused(
            "The file is not UTF-8, and it could be Windows-1252 or ISO-8859-15, which read "
            f"these bytes differently: {shown}. Save it as 'CSV UTF-8' so that nothing is "
            "read wrong."
        )
    with path.open(encoding=WINDOWS_1252, newline="") as text:
        while block_text := text.read(settings.IMPORT_READ_BYTES):
            if match := _DOUBLE_ENCODED.search(block_text):
                raise FileRefused(
                    "The file is not UTF-8, and read as Windows-1252 it holds "
                    f"{match.group()!r}, which is how UTF-8 letters (such as ä) look after "
                    "being saved again in Windows-1252: it mixes encodings. Save the original "
                    "as 'CSV UTF-8'."
                )
    return WINDOWS_1252, False


def _records(path: Path, encoding: str, delimiter: str, limit: int) -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, strict=False)
        out = []
        for record in reader:
            if record and any(cell.strip() for cell in record):
                out.append(record)
            if len(out) >= limit:
                break
        return out


def _detect_delimiter(path: Path, encoding: str) -> str:
    """Comma or semicolon: the one that splits the header and keeps every sampled row the
    header's width. Both or neither: refused."""
    sample = settings.IMPORT_DELIMITER_SAMPLE_ROWS
    fits: dict[str, bool] = {}
    widths: dict[str, int] = {}
    for delimiter in DELIMITER_NAMES:
        records = _records(path, encoding, delimiter, sample)
        if not records:
            raise FileRefused("The file is empty: it has no header row.")
        widths[delimiter] = len(records[0])
        fits[delimiter] = widths[delimiter] > 1 and all(
            len(r) == widths[delimiter] for r in records[1:]
        )
    splitting = [d for d in DELIMITER_NAMES if widths[d] > 1]
    if not splitting:
        raise FileRefused(
            "The header row has neither commas nor semicolons between its column names: the "
            "file has one column, or another delimiter (such as tabs). Save it as CSV with "
            "commas or semicolons."
        )
    if len(splitting) == 1:
        return splitting[0]
    fitting = [d for d in splitting if fits[d]]
    if len(fitting) == 1:
        return fitting[0]
    raise FileRefused(
        f"The delimiter cannot be told: the header splits into {widths[',']} columns at "
        f"commas and {widths[';']} at semicolons, and "
        + ("every sampled row fits both." if fitting else "the rows fit neither.")
        + " Save the file again with one delimiter and quotes around text that holds the other."
    )


def _detect_xlsx(path: Path) -> FileFormat:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise FileRefused(f"The file is a ZIP archive but not an XLSX workbook ({e}).") from None
    try:
        names = workbook.sheetnames
        return FileFormat("xlsx", sheet=names[0], sheets=len(names))
    finally:
        workbook.close()


# --- reading ---

Row = tuple[int, list[str]]


def rows(path: Path, fmt: FileFormat) -> Iterator[Row]:
    """Every non-blank row, the header first, as (row number, cells as text)."""
    if fmt.container == "xlsx":
        yield from _xlsx_rows(path, fmt)
        return
    assert fmt.encoding and fmt.delimiter
    with path.open(encoding=fmt.encoding, newline="") as f:
        reader = csv.reader(f, delimiter=fmt.delimiter, strict=False)
        number = 0
        for record in reader:
            number += 1  # a record is a spreadsheet row, line breaks inside quotes or not
            if any(record):  # a row of empty cells (as Excel leaves at the end) is skipped
                yield number, record


def _xlsx_text(value: Any) -> str:
    """A cell as the text it shows: numbers without a spurious ".0", dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time() and value.tzinfo is None:
            return value.date().isoformat()  # Excel keeps a date as its midnight
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path, fmt: FileFormat) -> Iterator[Row]:
    from openpyxl import load_workbook

    # data_only=False: a formula comes as its text ("=HYPERLINK(...)"), stored as given.
    workbook = load_workbook(path, read_only=True, data_only=False)
    try:
        sheet = workbook[fmt.sheet or workbook.sheetnames[0]]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_xlsx_text(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()  # a sheet's used range can be wider than its data
            if any(cells):
                yield number, cells
    finally:
        workbook.close()


def preview(path: Path, fmt: FileFormat, limit: int) -> tuple[list[str], list[Row]]:
    """The header and the first `limit` rows, for the page."""
    header: list[str] = []
    first: list[Row] = []
    for number, cells in rows(path, fmt):
        if not header:
            header = cells
            continue
        first.append((number, cells))
        if len(first) >= limit:
            break
    return header, first
