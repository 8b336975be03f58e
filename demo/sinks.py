"""Where the generated rows go: COPY on PostgreSQL (fed from a thread), executemany batches on
SQLite; and the secondary indexes set aside during a PostgreSQL load."""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError


class Sink(Protocol):
    def write(self, table: str, data: pa.Table) -> None: ...

    def close(self) -> None: ...


_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=65_536)


class CopySink:
    """PostgreSQL: COPY FROM STDIN in CSV, from a thread, so generation and loading overlap."""

    def __init__(self, dbapi_connection: Any) -> None:
        self._connection = dbapi_connection
        # Bounded: at most a few chunks' CSV wait in memory.
        self._queue: queue.Queue[tuple[str, pa.Buffer] | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="seed-copy", daemon=True)
        self._thread.start()

    def write(self, table: str, data: pa.Table) -> None:
        if self._error is not None:
            raise self._error
        if data.num_rows == 0:
            return
        out = pa.BufferOutputStream()
        pacsv.write_csv(data, out, _CSV_OPTIONS)
        columns = ", ".join(data.column_names)
        # Table and column names are the seed's own constants, never input.
        statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)"
        self._queue.put((statement, out.getvalue()))

    def _run(self) -> None:
        try:
            with self._connection.cursor() as cursor:
                while (item := self._queue.get()) is not None:
                    statement, payload = item
                    with cursor.copy(statement) as copy:
                        copy.write(memoryview(payload))
        except BaseException as exc:  # handed to the producer, which raises it
            self._error = exc
            while self._queue.get() is not None:  # unblock the producer until close()
                pass

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class InsertSink:
    """SQLite: executemany in big batches; values in the forms SQLAlchemy stores them in."""

    def __init__(self, dbapi_connection: Any) -> None:
        self._cursor = dbapi_connection.cursor()

    def write(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        columns = [self._python(data.column(i)) for i in range(data.num_columns)]
        names = ", ".join(data.column_names)
        marks = ", ".join("?" * data.num_columns)
        statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - constants
        self._cursor.executemany(statement, zip(*columns, strict=True))

    @staticmethod
    def _python(column: pa.ChunkedArray) -> list[Any]:
        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            # "2024-05-01 12:00:00.000000" and "2024-05-01": SQLAlchemy's SQLite formats.
            return column.cast(pa.string()).to_pylist()
        if pa.types.is_boolean(column.type):
            return column.cast(pa.int8()).to_pylist()
        return column.to_pylist()

    def close(self) -> None:
        self._cursor.close()


# The tables that take millions of rows.
BULK_TABLES = (
    "person",
    "consent_event",
    "consent_state",
    "customer_order",
    "activity",
    "disclosed_person",
    "person_metrics",
)


def set_aside_secondary(conn: Connection, tables: Sequence[str]) -> list[str]:
    """PostgreSQL: drop the tables' secondary indexes and constraints for the load, as
    pg_restore does (building an index once beats updating it row by row), and return the
    statements that put them back, read from the catalogue so they match the migrations.

    If the seeding role may not alter the tables, nothing is dropped and the load is slower.
    """
    names = {"tables": list(tables)}
    constraints = conn.execute(
        text(
            "SELECT conrelid::regclass::text, quote_ident(conname), contype, "
            "pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(:tables) AND contype IN ('f', 'u') "
            "ORDER BY contype, 1, 2"
        ),
        names,
    ).all()
    indexes = conn.execute(
        text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(:tables) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')) ORDER BY 1"
        ),
        names,
    ).all()
    drop = [f"ALTER TABLE {t} DROP CONSTRAINT {c}" for t, c, _k, _d in constraints]
    drop += [f"DROP INDEX {name}" for name, _d in indexes]
    put_back = [definition for _name, definition in indexes]
    # Unique constraints ('u') sort after foreign keys ('f'): add them first, then the keys.
    put_back += [f"ALTER TABLE {t} ADD CONSTRAINT {c} {d}" for t, c, _k, d in reversed(constraints)]
    try:
        with conn.begin_nested():
            for statement in drop:
                conn.execute(text(statement))
    except DBAPIError:
        return []
    return put_back
