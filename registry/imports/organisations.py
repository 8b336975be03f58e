"""Importing organisations: customers, dealers and partners, matched by business ID."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Column, Date, String, Table, func, insert, literal, select, update

from registry import settings, validation
from registry.imports import checks
from registry.imports.base import (
    Chunk,
    Context,
    Field,
    Kind,
)
from registry.imports.matching import (
    big_id,
    changed_condition,
    refuse_duplicates,
    unique_match,
)
from registry.models import Organisation
from registry.vocabulary import ImportKind, OrganisationKind

_PAIRS: tuple[tuple[str, str], ...] = (
    ("name", "name"),
    ("kind", "kind"),
    ("industry", "industry"),
    ("country", "country"),
    ("city", "city"),
    ("customer_since", "customer_since"),
    ("customer_until", "customer_until"),
)


class Organisations(Kind):
    kind = ImportKind.ORGANISATIONS
    needs_source = False  # no personal data: the run records a source if one is named
    fields = (
        Field("business_id", checks.given, required=True, label="Business ID"),
        Field("name", checks.text(settings.MAX_SHORT_TEXT), required=True),
        Field("kind", checks.enumeration(OrganisationKind)),
        Field("industry", checks.text(settings.MAX_NAME_LENGTH), required=True),
        Field("country", checks.country, required=True),
        Field("city", checks.text(settings.MAX_NAME_LENGTH), required=True),
        Field("customer_since", checks.date),
        Field("customer_until", checks.date),
    )

    def stage_columns(self) -> list[Column[Any]]:
        return [
            Column("business_id", String(20)),
            Column("business_id_given", String(254)),
            *(Column(n, String(200)) for n in ("name", "kind", "industry", "country", "city")),
            Column("customer_since", Date),
            Column("customer_until", Date),
            Column("record_id", big_id()),
        ]

    def check_rows(self, ctx: Context, chunk: Chunk) -> None:
        ids: list[str | None] = [None] * len(chunk)
        for i, given in enumerate(chunk.cells["business_id"]):
            if not chunk.ok(i):
                continue
            result = checks.business_id(given, chunk.values["country"][i])
            if isinstance(result, validation.Invalid):
                chunk.refuse(i, "business_id", result.message)
                continue
            ids[i] = result
            since = chunk.values["customer_since"][i]
            until = chunk.values["customer_until"][i]
            if since and until and until < since:
                chunk.refuse(i, "customer_until", "A customer cannot leave before becoming one.")
        chunk.values["business_id"] = ids

    def staged(self, ctx: Context, chunk: Chunk, rows: list[int]) -> dict[str, list[Any]]:
        v = chunk.values
        return {
            "row_no": [chunk.numbers[i] for i in rows],
            "business_id": [v["business_id"][i] for i in rows],
            "business_id_given": [chunk.given("business_id", i) or None for i in rows],
            **{s: [v[s][i] for i in rows] for s, _ in _PAIRS},
        }

    def match(self, ctx: Context, stage: Table) -> None:
        c = stage.c
        refuse_duplicates(
            ctx,
            stage,
            c.business_id,
            "business_id",
            c.business_id_given,
            "The same business ID as row ",
        )
        unique_match(
            ctx, stage, "record_id", Organisation.business_id, c.business_id, Organisation.id
        )
        table = cast(Table, Organisation.__table__)
        ctx.session.execute(
            update(stage)
            .where(
                c.rejected == 0, c.record_id == table.c.id, changed_condition(stage, table, _PAIRS)
            )
            .values(changed=1)
        )

    def write(self, ctx: Context, stage: Table) -> None:
        c = stage.c
        table = cast(Table, Organisation.__table__)
        ctx.session.execute(
            update(table)
            .where(c.rejected == 0, c.changed == 1, c.record_id == table.c.id)
            .values({o: func.coalesce(c[s], table.c[o]) for s, o in _PAIRS})
        )
        ctx.session.execute(
            insert(table).from_select(
                ["business_id", *(o for _, o in _PAIRS)],
                select(
                    c.business_id,
                    *(
                        func.coalesce(c.kind, literal(OrganisationKind.CUSTOMER.value))
                        if s == "kind"
                        else c[s]
                        for s, _ in _PAIRS
                    ),
                )
                .where(c.rejected == 0, c.record_id.is_(None))
                .order_by(c.row_no),
            )
        )

    def persons(self, ctx: Context, stage: Table, limit: int) -> list[int]:
        return []  # organisations are not persons
