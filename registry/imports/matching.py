"""Set-based statements over the staging table, shared by every kind: refusals (a duplicate,
an unknown person), matching rows to records, and the counts of new, updated and unchanged."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Integer,
    String,
    Table,
    Text,
    and_,
    cast,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute

from registry import settings
from registry.imports.base import (
    Context,
    Reject,
)

# --- set-based helpers ---


def refuse(
    ctx: Context,
    stage: Table,
    condition: ColumnElement[bool],
    column: str,
    value: ColumnElement[Any] | None,
    reason: ColumnElement[str] | str,
    *frm: Any,
) -> None:
    """Mark the not yet refused staging rows matching `condition` as refused, with why."""
    statement = (
        update(stage)
        .where(stage.c.rejected == 0, condition)
        .values(
            rejected=1,
            reject_column=column,
            reject_value=value if value is not None else literal(None, Text),
            reason=reason if not isinstance(reason, str) else literal(reason, Text),
        )
    )
    ctx.session.execute(statement)


def row_text(column: ColumnElement[Any]) -> ColumnElement[str]:
    return cast(column, String)


def refuse_duplicates(
    ctx: Context,
    stage: Table,
    key: ColumnElement[Any],
    column: str,
    given: ColumnElement[Any] | None,
    reason: str,
    where: ColumnElement[bool] | None = None,
) -> None:
    """A key that is in several rows: the first row stands, the later ones are refused with
    `reason` followed by the first row's number."""
    condition = and_(stage.c.rejected == 0, key.is_not(None))
    if where is not None:
        condition = and_(condition, where)
    firsts = (
        select(key.label("k"), func.min(stage.c.row_no).label("first"))
        .where(condition)
        .group_by(key)
        .having(func.count() > 1)
        .subquery("firsts")
    )
    refuse(
        ctx,
        stage,
        and_(key == firsts.c.k, stage.c.row_no > firsts.c.first, condition),
        column,
        given,
        literal(reason, Text) + row_text(firsts.c.first),
    )


def unique_match(
    ctx: Context,
    stage: Table,
    target: str,
    key: ColumnElement[Any] | InstrumentedAttribute[Any],
    stage_key: ColumnElement[Any],
    record_id: ColumnElement[int] | InstrumentedAttribute[int],
    where: ColumnElement[bool] | None = None,
    matched_by: str | None = None,
    records: ColumnElement[bool] | None = None,
) -> None:
    """Set stage.`target` to the id of the record whose `key` equals the row's `stage_key`;
    where several records have it, the lowest id and stage.matches the count (to refuse).
    `where` narrows the staging rows, `records` the records."""
    wanted = key.in_(select(stage_key).where(stage_key.is_not(None)))
    candidates = (
        select(key.label("k"), func.min(record_id).label("id"), func.count().label("n"))
        .where(wanted if records is None else and_(wanted, records))
        .group_by(key)
        .subquery("candidates")
    )
    condition = and_(stage.c.rejected == 0, stage_key == candidates.c.k)
    if where is not None:
        condition = and_(condition, where)
    values: dict[str, Any] = {target: candidates.c.id}
    if matched_by is not None:
        values["matches"] = candidates.c.n
        values["matched_by"] = literal(matched_by, String)
    ctx.session.execute(update(stage).where(condition).values(values))


def match_columns() -> list[Column[Any]]:
    """The staging columns that match_person fills."""
    return [
        Column("person_id", big_id()),
        Column("matches", Integer),
        Column("matched_by", String(10)),
    ]


def match_person(ctx: Context, stage: Table) -> None:
    """Find each row's person: by email (lower-case), else by phone. A key that several
    persons share finds no one: the row is refused, never written to the wrong person."""
    from registry.models import Person

    c = stage.c
    unique_match(
        ctx,
        stage,
        "person_id",
        func.lower(Person.email),
        c.email_key,
        Person.id,
        matched_by="email",
    )
    if "phone" in c:
        unique_match(
            ctx,
            stage,
            "person_id",
            Person.phone,
            c.phone,
            Person.id,
            where=c.person_id.is_(None),
            matched_by="phone",
        )
    for key in ("email", "phone"):
        if key not in c:
            continue
        refuse(
            ctx,
            stage,
            and_(c.matches > 1, c.matched_by == key),
            key,
            c[f"{key}_given"],
            literal(f"{key.capitalize()} of several persons (", Text)
            + row_text(c.matches)
            + literal("): correct them on the Persons page first.", Text),
        )


def refuse_unknown_persons(ctx: Context, stage: Table) -> None:
    """Rows of orders, activities and consent need a person already in the registry."""
    c = stage.c
    has_phone = "phone" in c
    refuse(
        ctx,
        stage,
        c.person_id.is_(None),
        "email",
        func.coalesce(c.email_given, c.phone_given) if has_phone else c.email_given,
        "No person has this email"
        + (" or phone" if has_phone else "")
        + ": import the persons first.",
    )


def changed_condition(
    stage: Table, record: Table | Any, pairs: Iterable[tuple[str, str]]
) -> ColumnElement[bool]:
    """A staged value is given (not empty) and differs from the stored one."""
    from sqlalchemy import or_

    return or_(
        *(
            and_(
                stage.c[s].is_not(None),
                (record.c[r].is_(None)) | (record.c[r] != stage.c[s]),
            )
            for s, r in pairs
        )
    )


def counts(ctx: Context, stage: Table, target: str) -> tuple[int, int, int, int]:
    """(new, updated, unchanged, rejected) rows of the staging table as matched."""
    c = stage.c
    row = ctx.session.execute(
        select(
            func.count().filter(c.rejected == 0, c[target].is_(None)),
            func.count().filter(c.rejected == 0, c[target].is_not(None), c.changed == 1),
            func.count().filter(c.rejected == 0, c[target].is_not(None), c.changed == 0),
            func.count().filter(c.rejected == 1),
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def rejects(ctx: Context, stage: Table) -> Iterable[Reject]:
    """The rows refused at the staging stage, by row number."""
    c = stage.c
    query = (
        select(c.row_no, c.reject_column, c.reject_value, c.reason)
        .where(c.rejected == 1)
        .order_by(c.row_no)
        .execution_options(yield_per=settings.IMPORT_CHUNK_ROWS)
    )
    for row, column, value, reason in ctx.session.execute(query):
        yield Reject(row, column or "", value or "", reason or "")


def big_id() -> Any:
    return BigInteger().with_variant(Integer(), "sqlite")
