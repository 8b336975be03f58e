"""Date bucketing that SQLite and PostgreSQL spell differently, as SQLAlchemy constructs."""

import datetime as dt

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import String


class day_of(FunctionElement[str]):  # lower case: reads like a SQL function
    """The UTC calendar day of a timestamp or date, as 'YYYY-MM-DD' text."""

    type = String()
    inherit_cache = True


class month_of(FunctionElement[str]):
    """The UTC calendar month of a timestamp or date, as 'YYYY-MM' text."""

    type = String()
    inherit_cache = True


@compiles(day_of)
def _day_of_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


@compiles(day_of, "postgresql")
def _day_of_pg(element, compiler, **kw):  # type: ignore[no-untyped-def]
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(month_of)
def _month_of_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(month_of, "postgresql")
def _month_of_pg(element, compiler, **kw):  # type: ignore[no-untyped-def]
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"


def parse_day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])
