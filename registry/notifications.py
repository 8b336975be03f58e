"""Art. 19: after a rectification, the recipients who had received a changed field of the
person's data are told of it (each disclosure keeps the fields it sent; telling one that never
received the field would disclose the new value to it). Each saved amendment (the fields
changed together) lists those recipients and whether each has been told; telling one is
recorded per amended field, with its audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import audit, disclosures, settings
from registry.amendments import FIELD_LABELS
from registry.errors import NotFound, ValidationError
from registry.models import Amendment, AppUser, RecipientNotification, utcnow
from registry.permissions import Actor, Permission, require


@dataclass(frozen=True)
class RecipientFollowUp:
    """A recipient that received the person's data before a change (Art. 19)."""

    recipient_id: int
    name: str
    country: str
    third_country: bool
    disclosures: int
    last_disclosed_at: dt.datetime
    data_categories: list[str]
    notified_at: dt.datetime | None
    notified_by: str | None


@dataclass(frozen=True)
class FollowUp:
    """One saved amendment (the fields changed together) and whom to tell of it."""

    change_id: int
    amended_at: dt.datetime
    amended_by: str
    fields: list[str]
    reason: str
    request_id: int | None
    recipients: list[RecipientFollowUp] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return sum(1 for r in self.recipients if r.notified_at is None)


def follow_ups(
    session: Session, actor: Actor, person_id: int, *, limit: int = settings.PAGE_SIZE
) -> list[FollowUp]:
    """The person's latest saved amendments, newest first, each with the recipients who
    received the person's data before it and whether each has been told."""
    require(actor, Permission.VIEW_PERSON)
    saves = session.execute(
        select(Amendment.amended_at, Amendment.amended_by, func.min(Amendment.id))
        .where(Amendment.person_id == person_id)
        .group_by(Amendment.amended_at, Amendment.amended_by)
        .order_by(Amendment.amended_at.desc())
        .limit(limit)
    ).all()
    if not saves:
        return []
    oldest = min(at for at, _, _ in saves)
    rows = session.execute(
        select(Amendment, AppUser.display_name, AppUser.username)
        .join(AppUser, AppUser.id == Amendment.amended_by)
        .where(Amendment.person_id == person_id, Amendment.amended_at >= oldest)
        .order_by(Amendment.id)
    ).all()
    notified = session.execute(
        select(
            RecipientNotification.amendment_id,
            RecipientNotification.recipient_id,
            RecipientNotification.notified_at,
            AppUser.display_name,
            AppUser.username,
        )
        .join(Amendment, Amendment.id == RecipientNotification.amendment_id)
        .join(AppUser, AppUser.id == RecipientNotification.notified_by)
        .where(Amendment.person_id == person_id, Amendment.amended_at >= oldest)
    ).all()
    # Disclosures before the newest change include those before every earlier one.
    disclosed = disclosures.of_person(session, actor, person_id, before=max(a for a, _, _ in saves))
    first_row = {(at, by): first for at, by, first in saves}
    members: dict[int, list[Amendment]] = {}
    names: dict[int, str] = {}
    for a, display_name, username in rows:
        change_id = first_row.get((a.amended_at, a.amended_by))
        if change_id is not None:
            members.setdefault(change_id, []).append(a)
            names[change_id] = display_name or username
    notes: dict[tuple[int, int], tuple[dt.datetime, str]] = {}
    for amendment_id, recipient_id, at, display_name, username in notified:
        notes[(amendment_id, recipient_id)] = (at, display_name or username)
    result = []
    for at, _by, change_id in saves:
        group = members[change_id]
        changed = {a.field for a in group}
        recipients: dict[int, RecipientFollowUp] = {}
        for d in sorted(disclosed, key=lambda d: d.disclosed_at):
            if d.disclosed_at >= at or not d.sent_any(changed):
                continue
            before = recipients.get(d.recipient_id)
            note = next(
                (notes[(a.id, d.recipient_id)] for a in group if (a.id, d.recipient_id) in notes),
                None,
            )
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
        result.append(
            FollowUp(
                change_id,
                at,
                names[change_id],
                [FIELD_LABELS.get(a.field, a.field) for a in group],
                group[0].reason,
                group[0].request_id,
                sorted(recipients.values(), key=lambda r: r.name),
            )
        )
    return result


def mark_notified(session: Session, actor: Actor, change_id: int, recipient_id: int) -> int:
    """Record that the recipient was told of the change (Art. 19); audited.

    Stored as one recipient_notification row per amended field of the change. Returns the
    number of rows added: 0 when the recipient had already been recorded as told.
    """
    require(actor, Permission.AMEND_PERSON)
    first = session.get(Amendment, change_id)
    if first is None:
        raise NotFound(f"No amendment with id {change_id}.")
    group = list(
        session.scalars(
            select(Amendment).where(
                Amendment.person_id == first.person_id,
                Amendment.amended_at == first.amended_at,
                Amendment.amended_by == first.amended_by,
            )
        )
    )
    received = disclosures.of_person(session, actor, first.person_id, before=first.amended_at)
    changed = {a.field for a in group}
    if recipient_id not in {d.recipient_id for d in received if d.sent_any(changed)}:
        raise ValidationError(
            {"recipient": "This recipient did not receive a changed field before the change."}
        )
    done = set(
        session.scalars(
            select(RecipientNotification.amendment_id).where(
                RecipientNotification.recipient_id == recipient_id,
                RecipientNotification.amendment_id.in_([a.id for a in group]),
            )
        )
    )
    todo = [a for a in group if a.id not in done]
    if not todo:
        return 0
    now = utcnow()
    try:
        session.add_all(
            RecipientNotification(
                amendment_id=a.id,
                recipient_id=recipient_id,
                notified_by=actor.user_id,
                notified_at=now,
            )
            for a in todo
        )
        audit.record(
            session,
            actor,
            "notify_recipient",
            "amendment",
            min(a.id for a in group),
            f"recipient #{recipient_id} told of the rectification of person #{first.person_id}",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return len(todo)
