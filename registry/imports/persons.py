"""Importing persons: matched by email, then phone; changes recorded as amendments.

A row's empty cell leaves the stored value as it is: an import adds and corrects, it never
clears. A row that would change a person writes one amendment per changed field, with the
import as the reason, in the same transaction (Art. 16: the old value is kept), so the
person's history shows where each value came from.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    Column,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import aliased

from registry import settings, validation
from registry.imports import checks
from registry.imports.base import (
    STAGE_TABLE,
    Chunk,
    Context,
    Field,
    Kind,
    contacts,
    lookup_organisations,
    refuse_without_contact,
)
from registry.imports.matching import (
    changed_condition,
    match_columns,
    match_person,
    refuse,
    refuse_duplicates,
    row_text,
)
from registry.imports.suppressed import suppressed_contacts
from registry.models import Amendment, Organisation, Person, UTCDateTime
from registry.vocabulary import ImportKind, Relationship

# File column -> person column; the employer is found by its business ID.
PERSON_COLUMNS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "street_address": "street_address",
    "postal_code": "postal_code",
    "city": "city",
    "country": "country",
    "position": "position",
    "organisation_business_id": "organisation_id",
    "relationship": "relationship",
}
# Person column -> the field name its amendments use (registry.amendments.FIELD_LABELS).
AMENDED_AS = {c: ("employer" if c == "organisation_id" else c) for c in PERSON_COLUMNS.values()}
DEFAULT_COUNTRY = "FI"  # the person table's own default


class Persons(Kind):
    kind = ImportKind.PERSONS
    one_of = ("email", "phone")
    target = "person_id"
    fields = (
        Field("first_name", checks.name(), required=True),
        Field("last_name", checks.name(), required=True),
        Field("email", checks.email),
        Field("phone", checks.phone),
        Field("street_address", checks.text(settings.MAX_SHORT_TEXT, repeats=False)),
        Field("postal_code", checks.given),  # checked with the country, below
        Field("city", checks.text(settings.MAX_NAME_LENGTH)),
        Field("country", checks.country),
        Field("position", checks.text(settings.MAX_NAME_LENGTH)),
        Field("organisation_business_id", checks.given, label="Employer's business ID"),
        Field(
            "relationship",
            checks.enumeration(Relationship),
            required=True,
            missing="Say how the person is connected: "
            + ", ".join(r.value for r in Relationship)
            + ".",
        ),
    )

    def stage_columns(self) -> list[Column[Any]]:
        text_columns = [
            Column(name, String(254))
            for name in (
                "first_name",
                "last_name",
                "email",
                "email_key",
                "email_given",
                "phone",
                "phone_given",
                "street_address",
                "postal_code",
                "city",
                "country",
                "position",
                "relationship",
            )
        ]
        return [
            *text_columns,
            Column("organisation_id", Integer),
            *match_columns(),
        ]

    def check_rows(self, ctx: Context, chunk: Chunk) -> None:
        refuse_without_contact(chunk, "A person needs an email or a phone to be found again.")
        postal_codes, countries = chunk.cells.get("postal_code"), chunk.values["country"]
        checked: list[str | None] = [None] * len(chunk)
        if postal_codes is not None:
            for i, given in enumerate(postal_codes):
                if not given.strip() or not chunk.ok(i):
                    continue
                # A postal code is read in the row's country (the person table's default, FI,
                # if the row has none).
                result = checks.postal_code(given, countries[i] or DEFAULT_COUNTRY)
                if isinstance(result, validation.Invalid):
                    said = "" if countries[i] else " (the row has no country, so FI)"
                    chunk.refuse(i, "postal_code", result.message + said)
                else:
                    checked[i] = result
        chunk.values["postal_code"] = checked
        chunk.values["organisation_id"] = lookup_organisations(
            ctx, chunk, "organisation_business_id"
        )

    def staged(self, ctx: Context, chunk: Chunk, rows: list[int]) -> dict[str, list[Any]]:
        v = chunk.values
        columns = {
            name: [v[name][i] for i in rows]
            for name in (
                "first_name",
                "last_name",
                "street_address",
                "postal_code",
                "city",
                "country",
                "position",
                "relationship",
                "organisation_id",
            )
        }
        return {"row_no": [chunk.numbers[i] for i in rows], **columns, **contacts(chunk, rows)}

    def match(self, ctx: Context, stage: Table) -> None:
        c = stage.c
        # Art. 17 and 21(3): an erased or objecting person is not brought back by an import.
        for key in ("email", "phone"):
            refuse(
                ctx,
                stage,
                suppressed_contacts(c.email_key, None)
                if key == "email"
                else suppressed_contacts(None, c.phone),
                key,
                c[f"{key}_given"],
                _SUPPRESSED,
            )
        refuse_duplicates(ctx, stage, c.email_key, "email", c.email_given, "The same email as row ")
        # Without an email a row is found by its phone, so that must not repeat either.
        refuse_duplicates(
            ctx,
            stage,
            c.phone,
            "phone",
            c.phone_given,
            "The same phone, and no email, as row ",
            where=c.email_key.is_(None),
        )
        match_person(ctx, stage)
        refuse_duplicates(
            ctx, stage, c.person_id, "email", c.email_given, "Changes the same person as row "
        )
        person = cast(Table, Person.__table__)
        ctx.session.execute(
            update(stage)
            .where(
                c.rejected == 0,
                c.person_id == person.c.id,
                changed_condition(stage, person, _PAIRS),
            )
            .values(changed=1)
        )

    def write(self, ctx: Context, stage: Table) -> None:
        c = stage.c
        if ctx.session.scalar(select(exists().where(c.rejected == 0, c.changed == 1))):
            self._update(ctx, stage)
        self._insert(ctx, stage)

    def _update(self, ctx: Context, stage: Table) -> None:
        c = stage.c
        person = cast(Table, Person.__table__)
        changed = and_(c.rejected == 0, c.changed == 1, c.person_id == person.c.id)
        reason = literal(ctx.reason()) + row_text(c.row_no)
        now = literal(ctx.now, UTCDateTime)
        rows = stage.join(person, person.c.id == c.person_id)
        # One amendment per changed field, before the person row takes the new values.
        pairs = _PAIRS
        if ctx.postgresql:
            self._text_amendments(ctx)  # the text fields in one pass over the rows
            pairs = tuple(p for p in _PAIRS if p[1] == "organisation_id")
        for stage_column, person_column in pairs:
            old: Any = person.c[person_column]
            new: Any = c[stage_column]
            shown_old, shown_new, source = old, new, rows
            if person_column == "organisation_id":
                was, becomes = aliased(Organisation), aliased(Organisation)
                shown_old, shown_new = _employer(was), _employer(becomes)
                source = rows.outerjoin(was, was.id == old).join(becomes, becomes.id == new)
            query = (
                select(
                    c.person_id,
                    literal(AMENDED_AS[person_column]),
                    shown_old,
                    shown_new,
                    reason,
                    literal(ctx.actor.user_id),
                    now,
                )
                .select_from(source)
                .where(changed, new.is_not(None), old.is_(None) | (old != new))
                .order_by(c.row_no)
            )
            ctx.session.execute(
                insert(Amendment).from_select(
                    [
                        "person_id",
                        "field",
                        "old_value",
                        "new_value",
                        "reason",
                        "amended_by",
                        "amended_at",
                    ],
                    query,
                )
            )
        updates: dict[str, Any] = {p: func.coalesce(c[s], person.c[p]) for s, p in _PAIRS}
        updates["version"] = person.c.version + 1  # an open amendment form sees the change
        updates["updated_at"] = now
        if ctx.third_party:
            updates["third_party_at"] = now  # Art. 14: told again of data from elsewhere
        ctx.session.execute(update(person).where(changed).values(updates))

    def _text_amendments(self, ctx: Context) -> None:
        """PostgreSQL: the amendments of every text field in one join of the staging table
        with person, each row unpivoted into (field, old, new) by a LATERAL VALUES list,
        instead of a join per field (a million changed persons: one pass, not ten)."""
        fields = [(s_, p) for s_, p in _PAIRS if p != "organisation_id"]
        values = ", ".join(f"('{AMENDED_AS[p]}', p.{p}, s.{s_})" for s_, p in fields)
        # Table and column names are this module's constants; the values are bound.
        statement = text(
            "INSERT INTO amendment "  # noqa: S608
            "(person_id, field, old_value, new_value, reason, amended_by, amended_at) "
            "SELECT s.person_id, f.field, f.old, f.new, :reason || s.row_no::text, :actor, :now "
            f"FROM {STAGE_TABLE} s JOIN person p ON p.id = s.person_id "
            f"CROSS JOIN LATERAL (VALUES {values}) AS f(field, old, new) "
            "WHERE s.rejected = 0 AND s.changed = 1 AND f.new IS NOT NULL "
            "AND f.old IS DISTINCT FROM f.new ORDER BY s.row_no"
        ).bindparams(bindparam("now", type_=UTCDateTime))
        ctx.session.execute(
            statement, {"reason": ctx.reason(), "actor": ctx.actor.user_id, "now": ctx.now}
        )

    def _insert(self, ctx: Context, stage: Table) -> None:
        c = stage.c
        person = cast(Table, Person.__table__)
        now = literal(ctx.now, UTCDateTime)
        new_rows = c.rejected == 0, c.person_id.is_(None)
        ctx.session.execute(
            insert(person).from_select(
                [
                    *(p for _, p in _PAIRS),
                    "source",
                    "created_at",
                    "updated_at",
                    "version",
                    "third_party_at",
                    "import_run_id",
                ],
                select(
                    *(
                        func.coalesce(c.country, DEFAULT_COUNTRY) if s == "country" else c[s]
                        for s, _ in _PAIRS
                    ),
                    literal(ctx.source),
                    now,
                    now,
                    literal(1),
                    now if ctx.third_party else literal(None, UTCDateTime),
                    literal(ctx.run_id),
                )
                .where(*new_rows)
                .order_by(c.row_no),
            )
        )

    def persons(self, ctx: Context, stage: Table, limit: int) -> list[int]:
        c = stage.c
        added = ctx.session.scalars(
            select(Person.id)
            .where(Person.import_run_id == ctx.run_id)
            .order_by(Person.id)
            .limit(limit)
        )
        changed = ctx.session.scalars(
            select(c.person_id)
            .where(c.rejected == 0, c.changed == 1)
            .order_by(c.person_id)
            .limit(limit)
        )
        return sorted({*added, *changed})[:limit]


_SUPPRESSED = (
    "This person objected to direct marketing or was erased: an import does not add them "
    "again (Art. 17, Art. 21(3))."
)
# (staging column, person column) of every field an import may set.
_PAIRS: tuple[tuple[str, str], ...] = (
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("email", "email"),
    ("phone", "phone"),
    ("street_address", "street_address"),
    ("postal_code", "postal_code"),
    ("city", "city"),
    ("country", "country"),
    ("position", "position"),
    ("organisation_id", "organisation_id"),
    ("relationship", "relationship"),
)


def _employer(org: Any) -> Any:
    """As the amendment history shows an employer: "Name (business ID)"."""
    return org.name + literal(" (") + org.business_id + literal(")")
