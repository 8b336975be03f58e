"""The rejects report: each refused cell (row, column, value as given, reason) as CSV, kept
in a temporary file while the file is read."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from registry import settings, spreadsheet
from registry.imports.base import (
    Reject,
)

# --- the rejects report ---

REJECTS_HEADER = ("row", "column", "value", "reason")


def spreadsheet_text(value: str) -> str:
    """A cell a spreadsheet must show as text: one starting with = + - @ (or a tab or
    carriage return) would run as a formula (CSV injection), so it gets a leading '."""
    return spreadsheet.neutralised(value)


class _Refusals:
    """Refused cells of the reading stage, in row order, kept in a temporary file so memory
    stays flat however many there are."""

    def __init__(self) -> None:
        fd, name = tempfile.mkstemp(prefix="registry-rejects-", suffix=".csv")
        self.path = Path(name)
        self._file = os.fdopen(fd, "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        self.rows: set[int] = set()  # rows of the current chunk, cleared per chunk
        self.row_count = 0
        self.first: list[Reject] = []

    def add(self, reject: Reject) -> None:
        if reject.row not in self.rows:
            self.rows.add(reject.row)
            self.row_count += 1
        self._writer.writerow((reject.row, reject.column, reject.value, reject.reason))
        if len(self.first) < settings.IMPORT_REJECTS_SHOWN:
            self.first.append(reject)

    def next_chunk(self) -> None:
        self.rows.clear()

    def read(self) -> Iterator[Reject]:
        self._file.flush()
        with self.path.open(newline="", encoding="utf-8") as f:
            for row, column, value, reason in csv.reader(f):
                yield Reject(int(row), column, value, reason)

    def close(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


def write_rejects(rejected: Iterable[Reject], target: Path, delimiter: str) -> int:
    """The rejects report as CSV (UTF-8 with a byte-order mark, for Excel), written beside
    and renamed into place when complete. Returns the lines written."""
    fd, partial = tempfile.mkstemp(prefix=".rejects-", dir=target.parent)
    lines = 0
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            # The uploaded file's own separator: the report reads like the file it reports on.
            writer = spreadsheet.csv_writer(out, separator=delimiter)
            writer.writerow(REJECTS_HEADER)
            for r in rejected:
                writer.writerow(
                    (r.row, r.column, spreadsheet_text(r.value), spreadsheet_text(r.reason))
                )
                lines += 1
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)
    return lines


def rejects_workbook(report: Path, delimiter: str) -> bytes:
    """The rejects report written by write_rejects, as an XLSX workbook (its cells already
    neutralised; the row numbers as numbers)."""
    with report.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, list(REJECTS_HEADER))
        rows = [(int(row), *rest) if row.isdigit() else (row, *rest) for row, *rest in reader]
    return spreadsheet.table(spreadsheet.FileFormat.XLSX, header, rows, "rejects")
