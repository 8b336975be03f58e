"""Importing orders (billing) and activities (visits, opens, events, contacts, app use).

Each row carries the source system's own id for the record (order_id, activity_id): a record
is found again by (source, that id), so importing the same file twice changes nothing. Its
person must be in the registry already, found by email, else phone. The per-person figures
that segments filter on (person_metrics) are refreshed for the persons concerned, in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Numeric,
    String,
    Table,
    func,
    insert,
    literal,
    select,
    union,
    update,
)

from registry import metrics, settings
from registry.imports import checks
from registry.imports.base import (
    Chunk,
    Context,
    Field,
    Kind,
    contacts,
    lookup_organisations,
    refuse_without_contact,
)
from registry.imports.matching import (
    big_id,
    changed_condition,
    match_columns,
    match_person,
    refuse_duplicates,
    refuse_unknown_persons,
    unique_match,
)
from registry.models import Activity, Order, UTCDateTime
from registry.vocabulary import ActivityKind, ImportKind, OrderStatus


def _contact_columns() -> list[Column[Any]]:
    return [
        Column("email", String(254)),
        Column("email_key", String(254)),
        Column("email_given", String(254)),
        Column("phone", String(20)),
        Column("phone_given", String(254)),
        *match_columns(),
        Column("old_person_id", big_id()),  # a changed record's person before the change
    ]


class _Events(Kind):
    """Orders and activities: records of a person with the source's own id."""

    one_of = ("email", "phone")
    model: Any
    id_field: str  # the file's column with the source's own id
    pairs: tuple[tuple[str, str], ...]  # (staging column, record column)

    def check_rows(self, ctx: Context, chunk: Chunk) -> None:
        refuse_without_contact(chunk, "Give the person's email or phone, to find the person.")

    def staged(self, ctx: Context, chunk: Chunk, rows: list[int]) -> dict[str, list[Any]]:
        v = chunk.values
        return {
            "row_no": [chunk.numbers[i] for i in rows],
            "external_id": [v[self.id_field][i] for i in rows],
            "external_id_given": [chunk.given(self.id_field, i) or None for i in rows],
            **contacts(chunk, rows),
            **{s: [v[s][i] for i in rows] for s, _ in self.pairs if s != "person_id"},
        }

    def match(self, ctx: Context, stage: Table) -> None:
        c = stage.c
        refuse_duplicates(
            ctx,
            stage,
            c.external_id,
            self.id_field,
            c.external_id_given,
            f"The same {self.id_field} as row ",
        )
        match_person(ctx, stage)
        refuse_unknown_persons(ctx, stage)
        table = self.model.__table__
        unique_match(
            ctx,
            stage,
            "record_id",
            table.c.external_id,
            c.external_id,
            table.c.id,
            records=table.c.source == ctx.source,
        )
        ctx.session.execute(
            update(stage)
            .where(
                c.rejected == 0,
                c.record_id == table.c.id,
                changed_condition(stage, table, self.pairs),
            )
            .values(changed=1, old_person_id=table.c.person_id)
        )

    def write(self, ctx: Context, stage: Table) -> None:
        c = stage.c
        table = self.model.__table__
        ctx.session.execute(
            update(table)
            .where(c.rejected == 0, c.changed == 1, c.record_id == table.c.id)
            # An empty cell keeps the stored value; required ones are never empty.
            .values({r: func.coalesce(c[s], table.c[r]) for s, r in self.pairs})
        )
        ctx.session.execute(
            insert(table).from_select(
                ["source", "external_id", *(r for _, r in self.pairs)],
                select(
                    literal(ctx.source),
                    c.external_id,
                    *(c[s] for s, _ in self.pairs),
                )
                .where(c.rejected == 0, c.record_id.is_(None))
                .order_by(c.row_no),
            )
        )
        # The figures segments read, for every person whose records changed.
        persons = union(
            select(c.person_id).where(c.rejected == 0),
            select(c.old_person_id).where(c.rejected == 0, c.old_person_id.is_not(None)),
        )
        metrics.refresh_metrics(ctx.session, ctx.now, select(persons.subquery().c[0]))


class Orders(_Events):
    kind = ImportKind.ORDERS
    model = Order
    id_field = "order_id"
    fields = (
        Field("order_id", checks.text(100, repeats=False), required=True, label="Order ID"),
        Field("email", checks.email),
        Field("phone", checks.phone),
        Field("ordered_on", checks.date, required=True),
        Field("product", checks.text(settings.MAX_NAME_LENGTH), required=True),
        Field("amount_eur", checks.amount, required=True, label="Amount (EUR)"),
        Field("status", checks.enumeration(OrderStatus), required=True),
        Field("organisation_business_id", checks.given, label="Organisation's business ID"),
    )
    pairs = (
        ("person_id", "person_id"),
        ("ordered_on", "ordered_on"),
        ("product", "product"),
        ("amount_eur", "amount_eur"),
        ("status", "status"),
        ("organisation_id", "organisation_id"),
    )

    def stage_columns(self) -> list[Column[Any]]:
        return [
            Column("external_id", String(100)),
            Column("external_id_given", String(254)),
            *_contact_columns(),
            Column("ordered_on", Date),
            Column("product", String(100)),
            Column("amount_eur", Numeric(12, 2)),
            Column("status", String(20)),
            Column("organisation_id", big_id()),
            Column("record_id", big_id()),
        ]

    def check_rows(self, ctx: Context, chunk: Chunk) -> None:
        super().check_rows(ctx, chunk)
        chunk.values["organisation_id"] = lookup_organisations(
            ctx, chunk, "organisation_business_id"
        )


class Activities(_Events):
    kind = ImportKind.ACTIVITIES
    model = Activity
    id_field = "activity_id"
    fields = (
        Field("activity_id", checks.text(100, repeats=False), required=True, label="Activity ID"),
        Field("email", checks.email),
        Field("phone", checks.phone),
        Field("kind", checks.enumeration(ActivityKind), required=True),
        Field("occurred_at", checks.moment, required=True),
        Field("detail", checks.text(settings.MAX_SHORT_TEXT)),
        Field("city", checks.text(settings.MAX_NAME_LENGTH)),
    )
    pairs = (
        ("person_id", "person_id"),
        ("kind", "kind"),
        ("occurred_at", "occurred_at"),
        ("detail", "detail"),
        ("city", "city"),
    )

    def stage_columns(self) -> list[Column[Any]]:
        return [
            Column("external_id", String(100)),
            Column("external_id_given", String(254)),
            *_contact_columns(),
            Column("kind", String(30)),
            Column("occurred_at", UTCDateTime),
            Column("detail", String(200)),
            Column("city", String(100)),
            Column("record_id", big_id()),
        ]

    def check_rows(self, ctx: Context, chunk: Chunk) -> None:
        super().check_rows(ctx, chunk)
        moments = chunk.values["occurred_at"]
        for i, at in enumerate(moments):
            if at is None:
                continue
            if not isinstance(at, dt.datetime):
                # A date alone: the start of that day in Helsinki.
                at = dt.datetime.combine(at, dt.time(), settings.REGISTRY_TZ).astimezone(dt.UTC)
                moments[i] = at
            if at > ctx.now:
                chunk.refuse(i, "occurred_at", "An activity cannot have happened in the future.")
