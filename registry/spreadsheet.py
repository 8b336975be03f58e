"""Cells of every CSV and XLSX file the registry writes: text a spreadsheet shows, never runs.

A spreadsheet treats a cell that begins with = + - @ (or a tab or carriage return before
them) as a formula: a name, an email or a detail typed by anyone could run a command on the
machine of whoever opens a target list or an audit export (CSV/formula injection, OWASP).
Such a cell gets a leading apostrophe, which spreadsheets read as "this is text". Every
column is treated so, a phone number in E.164 (+358...) too: the rule has no exceptions to
get wrong, and a phone number written as text keeps its plus sign.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet would run `text` as a formula."""
    return text.startswith(FORMULA_START)


def neutralised(value: object) -> str:
    """A cell's value as text a spreadsheet shows and never runs (None: an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if starts_formula(text) else text
