"""What every kind of import shares: its columns, the staging table, the run's context.

An import stages its valid rows in a temporary table (COPY on PostgreSQL, executemany on
SQLite), then matches, counts and writes with set-based statements: UPDATE ... FROM and
INSERT ... SELECT, never a statement per row. Rows refused at that stage (a duplicate in the
file, a person not found) are marked in the staging table with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    text,
)
from sqlalchemy.orm import Session

from registry import settings
from registry.imports import checks
from registry.permissions import Actor
from registry.validation import Invalid
from registry.vocabulary import ImportKind

STAGE_TABLE = "import_stage"


@dataclass(frozen=True)
class Field:
    """A column of the file, by the registry's own name."""

    name: str
    check: checks.Check
    required: bool = False  # every row needs a value
    missing: str = "A value is required."  # the reason when a required value is empty
    label: str = ""  # what the page calls it; the name if empty

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Reject:
    """One refused cell (or row): row number, column, the value as given, the reason."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class Context:
    """What one run knows while it reads, stages and writes."""

    session: Session
    actor: Actor
    kind: ImportKind
    source: str | None
    third_party: bool  # the source is not the person (Art. 14)
    now: dt.datetime
    file_name: str
    run_id: int | None = None  # known once the run row is added, just before writing
    organisations: dict[str, int | None] = field(default_factory=dict)  # business ID -> id

    @property
    def postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def reason(self) -> str:
        """Why a person's fields changed, for the amendment rows (with the row appended)."""
        return (
            f"Import #{self.run_id} of {self.kind} from {self.source or 'an unnamed source'} "
            f"({self.file_name}), row "
        )


@dataclass
class Chunk:
    """A chunk of rows, column by column: the cells as given, the checked values, and the
    problems found so far (row index -> (column, reason)). A row with a problem is not staged.
    """

    numbers: list[int]  # the rows' numbers in the file
    cells: dict[str, list[str]]  # field -> the cells as given
    values: dict[str, list[Any]] = field(default_factory=dict)  # field -> checked values
    problems: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.numbers)

    def refuse(self, index: int, column: str, reason: str) -> None:
        self.problems.setdefault(index, []).append((column, reason))

    def ok(self, index: int) -> bool:
        return index not in self.problems

    def valid_rows(self) -> list[int]:
        return [i for i in range(len(self.numbers)) if i not in self.problems]

    def given(self, column: str, index: int) -> str:
        cells = self.cells.get(column)
        return cells[index] if cells is not None else ""

    def rejects(self) -> list[Reject]:
        return [
            Reject(self.numbers[i], column, self.given(column, i), reason)
            for i in sorted(self.problems)
            for column, reason in self.problems[i]
        ]


def check_column(f: Field, cells: list[str]) -> tuple[list[Any], dict[int, str]]:
    """A column's checked values and its problems by row index: the fast mask over the whole
    column at once, the registry's validator for every other cell."""
    values: list[Any] = list(cells)
    problems: dict[int, str] = {}
    if f.check.fast is not None:
        fast = f.check.fast(pa.array(cells, pa.string()))
        slow = np.flatnonzero(~fast).tolist()
    else:
        slow = list(range(len(cells)))
    scalar = f.check.scalar
    for i in slow:
        result = scalar(cells[i])
        if isinstance(result, Invalid):
            problems[i] = result.message
            values[i] = None
        elif result is None:
            values[i] = None
            if f.required:
                problems[i] = f.missing
        else:
            values[i] = result
    return values, problems


class Kind:
    """One kind of import. Subclasses say their fields and how they match and write."""

    kind: ImportKind
    fields: tuple[Field, ...]
    needs_source: bool = True
    # At least one of these must be a column of the file (a way to find the person).
    one_of: tuple[str, ...] = ()
    # The staging column that holds the id of the record a row changes; empty: a new record.
    target: str = "record_id"

    def stage_columns(self) -> list[Column[Any]]:
        raise NotImplementedError

    def check_rows(self, ctx: Context, chunk: Chunk) -> None:
        """Checks that need several cells of a row, or the database (lookups): they refuse
        rows on the chunk and may complete its values."""

    def staged(self, ctx: Context, chunk: Chunk, rows: list[int]) -> dict[str, list[Any]]:
        """The staging table's columns for the chunk's valid `rows`."""
        raise NotImplementedError

    def match(self, ctx: Context, stage: Table) -> None:
        """Set-based: find each row's record, refuse what cannot be written, flag changes."""
        raise NotImplementedError

    def write(self, ctx: Context, stage: Table) -> None:
        """Set-based writes of the valid rows."""
        raise NotImplementedError

    def persons(self, ctx: Context, stage: Table, limit: int) -> list[int]:
        """Ids of the persons whose data the run added or changed (at most `limit`), for its
        audit event, which names persons by id only."""
        c = stage.c
        query = (
            select(c.person_id)
            .where(c.rejected == 0, (c.changed == 1) | c[self.target].is_(None))
            .distinct()
            .order_by(c.person_id)
            .limit(limit)
        )
        return list(ctx.session.scalars(query))

    # --- shared by the subclasses ---

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def check(self, ctx: Context, chunk: Chunk) -> None:
        """Every check of the chunk: column by column, then across each valid row."""
        n = len(chunk)
        for f in self.fields:
            cells = chunk.cells.get(f.name)
            if cells is None:  # a column the file does not have: every cell empty
                chunk.values[f.name] = [None] * n
                if f.required:
                    for i in range(n):
                        chunk.refuse(i, f.name, f.missing)
                continue
            values, problems = check_column(f, cells)
            chunk.values[f.name] = values
            for i, reason in problems.items():
                chunk.refuse(i, f.name, reason)
        self.check_rows(ctx, chunk)


def refuse_without_contact(chunk: Chunk, reason: str) -> None:
    """A row with neither an email nor a phone (both valid or empty) cannot find its person."""
    emails = chunk.values.get("email") or [None] * len(chunk)
    phones = chunk.values.get("phone") or [None] * len(chunk)
    for i, (email, phone) in enumerate(zip(emails, phones, strict=True)):
        if email is None and phone is None and chunk.ok(i):
            chunk.refuse(i, "email", reason)


def contacts(chunk: Chunk, rows: list[int]) -> dict[str, list[Any]]:
    """The staging columns that find a row's person: email (and its lower-case key), phone,
    and both as given, for the rejects report."""
    emails = chunk.values.get("email") or [None] * len(chunk)
    given = chunk.cells.get("email") or [""] * len(chunk)
    columns: dict[str, list[Any]] = {
        "email": [emails[i] for i in rows],
        "email_given": [given[i] or None for i in rows],
    }
    columns["email_key"] = [e.lower() if e else None for e in columns["email"]]
    if "phone" in chunk.values:
        phones = chunk.values["phone"]
        given = chunk.cells.get("phone") or [""] * len(chunk)
        columns["phone"] = [phones[i] for i in rows]
        columns["phone_given"] = [given[i] or None for i in rows]
    return columns


def lookup_organisations(ctx: Context, chunk: Chunk, column: str) -> list[int | None]:
    """The organisation id of each row's business ID in `column` (None where empty); rows
    naming an organisation the registry lacks are refused. Looked up once per business ID."""
    from registry.models import Organisation

    keys = [
        checks.lookup_key(cell) if cell.strip() else None
        for cell in chunk.cells.get(column, [""] * len(chunk))
    ]
    wanted = {k for k in keys if k and k not in ctx.organisations}
    if wanted:
        found = dict(
            ctx.session.execute(
                select(Organisation.business_id, Organisation.id).where(
                    Organisation.business_id.in_(sorted(wanted))
                )
            ).all()
        )
        for key in wanted:
            ctx.organisations[key] = found.get(key)
    ids: list[int | None] = []
    for i, business_id in enumerate(keys):
        ids.append(ctx.organisations.get(business_id) if business_id else None)
        if business_id and ids[-1] is None:
            chunk.refuse(
                i, column, "No organisation has this business ID: import the organisations first."
            )
    return ids


def stage_table(kind: Kind) -> Table:
    """The staging table of a kind: its columns, and the marks every kind uses."""
    return Table(
        STAGE_TABLE,
        MetaData(),
        Column("row_no", Integer, primary_key=True),
        *kind.stage_columns(),
        Column("changed", Integer, nullable=False, server_default=text("0")),
        Column("rejected", Integer, nullable=False, server_default=text("0")),
        Column("reject_column", String(50)),
        Column("reject_value", Text),
        Column("reason", Text),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def create_stage(session: Session, kind: Kind) -> Table:
    table = stage_table(kind)
    if session.get_bind().dialect.name == "postgresql":
        _temp_buffers(session)
    session.execute(text(f"DROP TABLE IF EXISTS {STAGE_TABLE}"))
    table.create(session.connection())
    return table


def _temp_buffers(session: Session) -> None:
    """Give temporary tables room in memory (PostgreSQL's default is 8 MB, so a million
    staged rows are updated on disk). It can be set only before the connection's first
    temporary table; a connection that had one keeps what it had."""
    from sqlalchemy.exc import DBAPIError

    try:
        with session.begin_nested():
            session.execute(text(f"SET temp_buffers = '{settings.IMPORT_TEMP_BUFFERS}'"))
    except DBAPIError:
        pass


def drop_stage(session: Session) -> None:
    session.execute(text(f"DROP TABLE IF EXISTS {STAGE_TABLE}"))


class Stager:
    """Writes staging rows, column by column: COPY of Arrow-made CSV on PostgreSQL (as the
    seed loads), executemany on SQLite."""

    def __init__(self, session: Session, table: Table) -> None:
        self.session, self.table = session, table
        self.postgresql = session.get_bind().dialect.name == "postgresql"
        self.types = {c.name: _arrow_type(c.type) for c in table.columns if c.name not in _MARKS}

    def write(self, columns: dict[str, list[Any]]) -> None:
        names = [n for n in self.types if n in columns]
        if not names or not columns[names[0]]:
            return
        if self.postgresql:
            data = pa.table({n: pa.array(columns[n], self.types[n]) for n in names})
            out = pa.BufferOutputStream()
            pacsv.write_csv(data, out, _CSV_OPTIONS)
            raw = self.session.connection().connection.driver_connection
            assert raw is not None
            statement = f"COPY {STAGE_TABLE} ({', '.join(names)}) FROM STDIN (FORMAT csv)"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                copy.write(memoryview(out.getvalue()))
        else:
            values = zip(*(columns[n] for n in names), strict=True)
            rows = [dict(zip(names, row, strict=True)) for row in values]
            self.session.execute(self.table.insert(), rows)

    def analyse(self) -> None:
        """Temporary tables get no automatic statistics: without them the planner guesses.

        SQLite joins an UPDATE ... FROM subquery by scanning the staging table for each of
        its rows, unless it can probe an index: the keys that rows are matched on get one.
        """
        if self.postgresql:
            self.session.execute(text(f"ANALYZE {STAGE_TABLE}"))
            return
        for key in _MATCH_KEYS:
            if key in self.table.c:
                self.session.execute(
                    text(f"CREATE INDEX ix_{STAGE_TABLE}_{key} ON {STAGE_TABLE} ({key})")
                )
        self.session.execute(text(f"ANALYZE {STAGE_TABLE}"))


# Staging columns that rows are matched or grouped on (constants, never input).
_MATCH_KEYS = ("email_key", "phone", "person_id", "external_id", "business_id", "record_id")


_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=65_536)


def _arrow_type(column_type: Any) -> pa.DataType:
    from sqlalchemy import Date, Numeric

    from registry.models import UTCDateTime

    if isinstance(column_type, UTCDateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(column_type, Date):
        return pa.date32()
    if isinstance(column_type, Numeric):
        return pa.decimal128(column_type.precision or 12, column_type.scale or 2)
    if isinstance(column_type, Integer | BigInteger):
        return pa.int64()
    return pa.string()


_MARKS = {"changed", "rejected", "reject_column", "reject_value", "reason"}


# A run's progress: the share done (0-1) and what it is doing.
Progress = Callable[[float, str], None]
