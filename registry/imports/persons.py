"""Importing persons: matched by email, then phone; changes recorded as amendments.

A row's empty cell leaves the stored value as it is: an import adds and corrects, it never
clears. A row that would change a person writes one amendment per changed field, with the
import as the reason, in the same transaction (Art. 16: the old value is kept), so the
person's history shows where each value came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    String,
    Table,
    and_,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import aliased

from registry import settings, validation
from registry.imports import checks
from registry.imports.base import (
    Cells,
    Context,
    Field,
    Kind,
    Reject,
    Values,
    changed_condition,
    match_columns,
    match_person,
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


def _identity(value: str) -> str:
    return value


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
        Field("postal_code", _identity),  # checked with the country, below
        Field("city", checks.text(settings.MAX_NAME_LENGTH)),
        Field("country", checks.country),
        Field("position", checks.text(settings.MAX_NAME_LENGTH)),
        Field("organisation_business_id", _identity, label="Employer's business ID"),
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

    def check_row(self, ctx: Context, values: Values, cells: Cells) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if values.get("email") is None and values.get("phone") is None:
            problems.append(("email", "A person needs an email or a phone to be found again."))
        postal = cells.get("postal_code", "")
        if postal.strip():
            country = values.get("country") or DEFAULT_COUNTRY
            result = checks.postal_code(postal, country)
            if isinstance(result, validation.Invalid):
                said = "" if values.get("country") else " (the row has no country: FI)"
                problems.append(("postal_code", result.message + said))
            else:
                values["postal_code"] = result
        else:
            values["postal_code"] = None
        business_id = cells.get("organisation_business_id", "")
        values["organisation_business_id"] = (
            checks.lookup_key(business_id) if business_id.strip() else None
        )
        return problems

    def check_chunk(self, ctx: Context, rows: Sequence[tuple[int, Values, Cells]]) -> list[Reject]:
        found: list[Reject] = []
        wanted = {
            v["organisation_business_id"]
            for _, v, _ in rows
            if v.get("organisation_business_id")
            and v["organisation_business_id"] not in ctx.organisations
        }
        if wanted:
            known = dict(
                ctx.session.execute(
                    select(Organisation.business_id, Organisation.id).where(
                        Organisation.business_id.in_(sorted(wanted))
                    )
                ).tuples()
            )
            for business_id in wanted:
                ctx.organisations[business_id] = known.get(business_id)
        suppressed = suppressed_contacts(
            ctx.session,
            [v["email"].lower() for _, v, _ in rows if v.get("email")],
            [v["phone"] for _, v, _ in rows if v.get("phone")],
        )
        for row, values, cells in rows:
            business_id = values.get("organisation_business_id")
            if business_id and ctx.organisations.get(business_id) is None:
                found.append(
                    Reject(
                        row,
                        "organisation_business_id",
                        cells.get("organisation_business_id", ""),
                        "No organisation has this business ID: import the organisations first.",
                    )
                )
            # Art. 17 and 21(3): an erased or objecting person is not brought back by an import.
            if values.get("email") and values["email"].lower() in suppressed.emails:
                found.append(Reject(row, "email", cells.get("email", ""), _SUPPRESSED))
            elif values.get("phone") and values["phone"] in suppressed.phones:
                found.append(Reject(row, "phone", cells.get("phone", ""), _SUPPRESSED))
        return found

    def staged(self, ctx: Context, row: int, values: Values, cells: Cells) -> Values:
        email = values.get("email")
        business_id = values.get("organisation_business_id")
        return {
            "row_no": row,
            "first_name": values["first_name"],
            "last_name": values["last_name"],
            "email": email,
            "email_key": email.lower() if email else None,
            "email_given": cells.get("email") or None,
            "phone": values.get("phone"),
            "phone_given": cells.get("phone") or None,
            "street_address": values.get("street_address"),
            "postal_code": values.get("postal_code"),
            "city": values.get("city"),
            "country": values.get("country"),
            "position": values.get("position"),
            "relationship": values["relationship"],
            "organisation_id": ctx.organisations.get(business_id) if business_id else None,
        }

    def match(self, ctx: Context, stage: Table) -> None:
        c = stage.c
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
        person = Person.__table__
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
        person = Person.__table__
        changed = and_(c.rejected == 0, c.changed == 1, c.person_id == person.c.id)
        reason = literal(ctx.reason()) + row_text(c.row_no)
        now = literal(ctx.now, UTCDateTime)
        rows = stage.join(person, person.c.id == c.person_id)
        # One amendment per changed field, before the person row takes the new values.
        for stage_column, person_column in _PAIRS:
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
