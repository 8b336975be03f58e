"""Restriction of processing (GDPR Art. 18).

A restricted person's data is only stored (Art. 18(2)): the person is left out of segments,
their counts and exports, metrics refreshes and disclosure recording, and is marked wherever
a person is shown. A restriction is applied when a restriction request is completed, in that
transaction with its audit event; it is lifted (never deleted) with a reason, after the person
was told (Art. 18(3)). The recipients who had received the person's data are listed to be told
of the restriction (Art. 19), as after a rectification (registry.notifications).

The SQL conditions here are the one place the other modules read a restriction from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from registry import audit, deadlines, disclosures, metrics, settings
from registry.errors import NotFound, ValidationError
from registry.models import (
    AppUser,
    Person,
    Restriction,
    RestrictionNotification,
    utcnow,
)
from registry.notifications import RecipientFollowUp
from registry.permissions import Actor, Permission, require, require_any
from registry.restricted import active
from registry.vocabulary import RESTRICTION_GROUND_LABELS, RestrictionGround

# How the person was told before the lifting (Art. 18(3)).
TOLD_HOW: tuple[str, ...] = ("Letter", "Email", "Phone", "In person", "Web form reply")


@dataclass(frozen=True)
class RestrictionView:
    """One restriction as the pages show it."""

    id: int
    person_id: int
    ground: str
    reason: str
    request_id: int | None
    since: dt.datetime
    restricted_by: str | None
    lifted_at: dt.datetime | None
    lifted_by: str | None
    lift_reason: str | None
    person_told_on: dt.date | None
    person_told_how: str | None

    @property
    def ground_label(self) -> str:
        return RESTRICTION_GROUND_LABELS.get(self.ground, self.ground)


def _views(session: Session, query) -> list[RestrictionView]:  # type: ignore[no-untyped-def]
    rows = session.scalars(query).all()
    user_ids = {u for r in rows for u in (r.restricted_by, r.lifted_by) if u is not None}
    names = dict(
        session.execute(
            select(AppUser.id, AppUser.display_name).where(AppUser.id.in_(sorted(user_ids)))
        ).all()
        if user_ids
        else []
    )
    return [
        RestrictionView(
            r.id,
            r.person_id,
            r.ground,
            r.reason,
            r.request_id,
            r.since,
            names.get(r.restricted_by) if r.restricted_by else None,
            r.lifted_at,
            names.get(r.lifted_by) if r.lifted_by else None,
            r.lift_reason,
            r.person_told_on,
            r.person_told_how,
        )
        for r in rows
    ]


def current(session: Session, actor: Actor, person_id: int) -> RestrictionView | None:
    """The person's restriction in force, if any."""
    require_any(actor, Permission.VIEW_PERSON, Permission.HANDLE_REQUESTS, Permission.VIEW_CONSENT)
    found = _views(
        session,
        select(Restriction).where(Restriction.person_id == person_id, active()),
    )
    return found[0] if found else None


def history(session: Session, actor: Actor, person_id: int) -> list[RestrictionView]:
    """Every restriction of the person, newest first."""
    require(actor, Permission.VIEW_PERSON)
    return _views(
        session,
        select(Restriction)
        .where(Restriction.person_id == person_id)
        .order_by(Restriction.since.desc(), Restriction.id.desc()),
    )


def add_restriction(
    session: Session,
    actor: Actor,
    person_id: int,
    ground: str,
    reason: str,
    *,
    request_id: int | None = None,
) -> tuple[Restriction, bool]:
    """Restrict the person, in the caller's transaction (no commit), with its audit event.

    Returns the restriction in force and whether it is new: a person already restricted
    stays under the restriction they have (the note says since when).
    """
    require(actor, Permission.HANDLE_REQUESTS)
    errors: dict[str, str] = {}
    if ground not in RestrictionGround.__members__.values():
        errors["ground"] = "Choose the ground of the restriction (Art. 18(1))."
    reason = reason.strip()
    if not reason:
        errors["reason"] = "Say why the processing is restricted."
    elif len(reason) > settings.MAX_LONG_TEXT:
        errors["reason"] = f"Keep the reason under {settings.MAX_LONG_TEXT} characters."
    if errors:
        raise ValidationError(errors)
    # The person's row is locked so that two restrictions cannot both find none in force.
    person = session.scalars(
        select(Person).where(Person.id == person_id).with_for_update(of=Person)
    ).first()
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    existing = session.scalars(
        select(Restriction).where(Restriction.person_id == person_id, active())
    ).first()
    if existing is not None:
        return existing, False
    restriction = Restriction(
        person_id=person_id,
        ground=ground,
        reason=reason,
        request_id=request_id,
        since=utcnow(),
        restricted_by=actor.user_id,
    )
    session.add(restriction)
    session.flush()
    audit.record(
        session,
        actor,
        "restriction_applied",
        "person",
        person_id,
        f"restriction #{restriction.id}, {ground}"
        + (f", request #{request_id}" if request_id else ""),
    )
    return restriction, True


def lift(
    session: Session,
    actor: Actor,
    person_id: int,
    reason: str,
    told_on: dt.date | None,
    told_how: str,
    today: dt.date | None = None,
) -> Restriction:
    """Lift the person's restriction: needs a reason and the day the person was told of the
    lifting beforehand (Art. 18(3)). The person's metrics are brought up to date in the same
    transaction, since they were not refreshed while restricted."""
    require(actor, Permission.AMEND_PERSON)
    today = today or deadlines.today()
    try:
        restriction = session.scalars(
            select(Restriction)
            .where(Restriction.person_id == person_id, active())
            .with_for_update()
        ).first()
        if restriction is None:
            raise ValidationError({"reason": "This person is not restricted: nothing to lift."})
        errors: dict[str, str] = {}
        reason = reason.strip()
        if not reason:
            errors["reason"] = "Say why the restriction is lifted."
        elif len(reason) > settings.MAX_LONG_TEXT:
            errors["reason"] = f"Keep the reason under {settings.MAX_LONG_TEXT} characters."
        since_day = restriction.since.astimezone(settings.REGISTRY_TZ).date()
        if told_on is None:
            errors["told_on"] = (
                "Record when the person was told that the restriction will be lifted: "
                "they must be told before it is (Art. 18(3))."
            )
        elif told_on > today:
            errors["told_on"] = "The person must have been told already: not a future date."
        elif told_on < since_day:
            errors["told_on"] = "The person was told before the restriction began: check the date."
        if told_how not in TOLD_HOW:
            errors["told_how"] = "Choose how the person was told."
        if errors:
            raise ValidationError(errors)
        restriction.lifted_at = utcnow()
        restriction.lifted_by = actor.user_id
        restriction.lift_reason = reason
        restriction.person_told_on = told_on
        restriction.person_told_how = told_how
        session.flush()
        one = select(Person.id).where(Person.id == person_id)
        metrics.refresh_metrics(session, persons=cast(Select[tuple[int]], one))
        audit.record(
            session,
            actor,
            "restriction_lifted",
            "person",
            person_id,
            f"restriction #{restriction.id}; person told {told_on} by {told_how.lower()}",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return restriction


# --- Art. 19: the recipients to tell of a restriction ---


@dataclass(frozen=True)
class RestrictionFollowUp:
    """A restriction and the recipients who received the person's data before it."""

    restriction: RestrictionView
    recipients: list[RecipientFollowUp] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return sum(1 for r in self.recipients if r.notified_at is None)


def follow_ups(session: Session, actor: Actor, person_id: int) -> list[RestrictionFollowUp]:
    """Each restriction of the person, newest first, with the recipients that received the
    person's data before it and whether each has been told (Art. 19)."""
    require(actor, Permission.VIEW_PERSON)
    restrictions = history(session, actor, person_id)
    if not restrictions:
        return []
    notified = session.execute(
        select(
            RestrictionNotification.restriction_id,
            RestrictionNotification.recipient_id,
            RestrictionNotification.notified_at,
            AppUser.display_name,
        )
        .join(AppUser, AppUser.id == RestrictionNotification.notified_by)
        .where(RestrictionNotification.restriction_id.in_([r.id for r in restrictions]))
    ).all()
    notes = {(rid, rec): (at, name) for rid, rec, at, name in notified}
    disclosed = disclosures.of_person(session, actor, person_id)
    result = []
    for r in restrictions:
        recipients: dict[int, RecipientFollowUp] = {}
        for d in sorted(disclosed, key=lambda d: d.disclosed_at):
            if d.disclosed_at >= r.since:
                continue
            before = recipients.get(d.recipient_id)
            note = notes.get((r.id, d.recipient_id))
            recipients[d.recipient_id] = RecipientFollowUp(
                d.recipient_id,
                d.recipient_name,
                d.country,
                d.third_country,
                (before.disclosures if before else 0) + 1,
                d.disclosed_at,
                sorted(set(before.data_categories if before else []) | set(d.data_categories)),
                note[0] if note else None,
                note[1] if note else None,
            )
        result.append(RestrictionFollowUp(r, sorted(recipients.values(), key=lambda x: x.name)))
    return result


def mark_notified(session: Session, actor: Actor, restriction_id: int, recipient_id: int) -> bool:
    """Record that the recipient was told of the restriction (Art. 19), audited. False when it
    had already been recorded."""
    require(actor, Permission.AMEND_PERSON)
    restriction = session.get(Restriction, restriction_id)
    if restriction is None:
        raise NotFound(f"No restriction #{restriction_id}.")
    received = disclosures.of_person(
        session, actor, restriction.person_id, before=restriction.since
    )
    if recipient_id not in {d.recipient_id for d in received}:
        raise ValidationError(
            {"recipient": "This recipient did not receive the data before the restriction."}
        )
    done = session.scalar(
        select(RestrictionNotification.id).where(
            and_(
                RestrictionNotification.restriction_id == restriction_id,
                RestrictionNotification.recipient_id == recipient_id,
            )
        )
    )
    if done is not None:
        return False
    try:
        session.add(
            RestrictionNotification(
                restriction_id=restriction_id,
                recipient_id=recipient_id,
                notified_by=actor.user_id,
                notified_at=utcnow(),
            )
        )
        audit.record(
            session,
            actor,
            "notify_recipient_of_restriction",
            "restriction",
            restriction_id,
            f"recipient #{recipient_id} told of the restriction of person #{restriction.person_id}",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return True
