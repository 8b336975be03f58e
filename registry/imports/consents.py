"""Importing consent events: grants, withdrawals and objections, each with its evidence.

Every row is held to the rules of registry.consent (validate_event): a grant needs evidence
(Art. 7(1)), no date in the future. A date without a time is placed the protective way
(consent.moment_of): a grant at the day's first moment, an opt-out at its last. Events are
append-only: a row that is already recorded (same person, purpose, status, time and source)
is unchanged, never written twice. The current status (consent_state) of every person and
purpose the import touched is recomputed from the whole history in one statement, by the
same precedence as a single event (latest; at a tie the more protective; then the later id).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from registry import consent
from registry.imports import checks
from registry.imports.base import (
    Chunk,
    Context,
    Field,
    Kind,
    contacts,
)
from registry.imports.matching import (
    big_id,
    match_columns,
    match_person,
    refuse,
    refuse_duplicates,
    refuse_unknown_persons,
)
from registry.imports.suppressed import suppressed_contacts
from registry.models import ConsentEvent, ConsentState, UTCDateTime
from registry.vocabulary import (
    CONSENT_PRECEDENCE,
    ConsentSource,
    ConsentStatus,
    ImportKind,
    Purpose,
)

_EVENT_STATUSES = (ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN, ConsentStatus.OBJECTED)
# validate_event's field names -> the file's columns.
_COLUMN_OF = {
    "purposes": "purpose",
    "status": "status",
    "source": "source",
    "evidence": "evidence",
    "occurred_at": "occurred_at",
}


class Consents(Kind):
    kind = ImportKind.CONSENT
    needs_source = False  # each row says how the person told us (its own source column)
    fields = (
        Field("email", checks.email, required=True, missing="Give the person's email."),
        Field("purpose", checks.enumeration(Purpose), required=True),
        Field("status", checks.enumeration(_EVENT_STATUSES), required=True),
        Field("occurred_at", checks.moment, required=True),
        Field("source", checks.enumeration(ConsentSource), required=True),
        Field("evidence", checks.long_text),
    )

    def stage_columns(self) -> list[Column[Any]]:
        return [
            Column("email", String(254)),
            Column("email_key", String(254)),
            Column("email_given", String(254)),
            *match_columns(),
            Column("purpose", String(30)),
            Column("status", String(20)),
            Column("occurred_at", UTCDateTime),
            Column("source", String(30)),
            Column("evidence", Text),
            Column("record_id", big_id()),
        ]

    def check_rows(self, ctx: Context, chunk: Chunk) -> None:
        v = chunk.values
        for i in chunk.valid_rows():
            at = v["occurred_at"][i]
            if not isinstance(at, dt.datetime):
                at = consent.moment_of(at, v["status"][i], ctx.now)
                v["occurred_at"][i] = at
            # The registry's own rules for an event: evidence for a grant (Art. 7(1)), ...
            errors = consent.validate_event(
                [v["purpose"][i]],
                v["status"][i],
                v["source"][i],
                v["evidence"][i] or "",
                at,
                ctx.now,
            )
            for key, message in errors.items():
                chunk.refuse(i, _COLUMN_OF.get(key, key), message)

    def staged(self, ctx: Context, chunk: Chunk, rows: list[int]) -> dict[str, list[Any]]:
        v = chunk.values
        return {
            "row_no": [chunk.numbers[i] for i in rows],
            **contacts(chunk, rows),
            **{
                s: [v[s][i] for i in rows]
                for s in ("purpose", "status", "occurred_at", "source", "evidence")
            },
        }

    def match(self, ctx: Context, stage: Table) -> None:
        c = stage.c
        event_key = (
            c.email_key
            + literal("|")
            + c.purpose
            + literal("|")
            + c.status
            + literal("|")
            + c.source
            + literal("|")
            + cast(c.occurred_at, String)
        )
        refuse_duplicates(ctx, stage, event_key, "email", c.email_given, "The same event as row ")
        # Art. 21(3): after an objection to direct marketing an import grants nothing again.
        refuse(
            ctx,
            stage,
            and_(c.status == ConsentStatus.GRANTED, suppressed_contacts(c.email_key, None)),
            "status",
            c.status,
            "This person objected to direct marketing: an import does not grant consent "
            "again (Art. 21(3)). Only the person's own new consent, recorded on the Consent "
            "page with its evidence, can.",
        )
        match_person(ctx, stage)
        refuse_unknown_persons(ctx, stage)
        e = ConsentEvent.__table__
        same = (
            select(func.min(e.c.id))
            .where(
                e.c.person_id == c.person_id,
                e.c.purpose == c.purpose,
                e.c.status == c.status,
                e.c.occurred_at == c.occurred_at,
                e.c.source == c.source,
            )
            .scalar_subquery()
        )
        ctx.session.execute(update(stage).where(c.rejected == 0).values(record_id=same))

    def write(self, ctx: Context, stage: Table) -> None:
        c = stage.c
        new = and_(c.rejected == 0, c.record_id.is_(None))
        ctx.session.execute(
            insert(ConsentEvent).from_select(
                [
                    "person_id",
                    "purpose",
                    "status",
                    "occurred_at",
                    "source",
                    "evidence",
                    "recorded_by",
                    "recorded_at",
                ],
                select(
                    c.person_id,
                    c.purpose,
                    c.status,
                    c.occurred_at,
                    c.source,
                    c.evidence,
                    literal(ctx.actor.user_id),
                    literal(ctx.now, UTCDateTime),
                )
                .where(new)
                .order_by(c.row_no),
            )
        )
        self._recompute_states(ctx, stage)

    def _recompute_states(self, ctx: Context, stage: Table) -> None:
        """consent_state of every (person, purpose) the run added events to, from the whole
        history: the event with the greatest (occurred_at, precedence, id) wins."""
        c = stage.c
        e = ConsentEvent.__table__
        touched = (
            select(c.person_id, c.purpose)
            .where(c.rejected == 0, c.record_id.is_(None))
            .distinct()
            .subquery("touched")
        )
        rank = case({str(k): v for k, v in CONSENT_PRECEDENCE.items()}, value=e.c.status)
        ranked = (
            select(
                e.c.person_id,
                e.c.purpose,
                e.c.status,
                e.c.id.label("event_id"),
                e.c.occurred_at,
                (func.coalesce(func.length(func.trim(e.c.evidence)), 0) > 0).label("has_evidence"),
                func.row_number()
                .over(
                    partition_by=(e.c.person_id, e.c.purpose),
                    order_by=(e.c.occurred_at.desc(), rank.desc(), e.c.id.desc()),
                )
                .label("place"),
            )
            .join(
                touched,
                and_(touched.c.person_id == e.c.person_id, touched.c.purpose == e.c.purpose),
            )
            .subquery("ranked")
        )
        winners = select(
            ranked.c.person_id,
            ranked.c.purpose,
            ranked.c.status,
            ranked.c.event_id,
            ranked.c.occurred_at,
            cast(ranked.c.has_evidence, Boolean),
        ).where(ranked.c.place == 1)
        dialect = postgresql if ctx.postgresql else sqlite
        upsert = dialect.insert(ConsentState).from_select(
            ["person_id", "purpose", "status", "event_id", "occurred_at", "has_evidence"],
            winners,
        )
        ctx.session.execute(
            upsert.on_conflict_do_update(
                index_elements=["person_id", "purpose"],
                set_={
                    "status": upsert.excluded.status,
                    "event_id": upsert.excluded.event_id,
                    "occurred_at": upsert.excluded.occurred_at,
                    "has_evidence": upsert.excluded.has_evidence,
                },
            )
        )
