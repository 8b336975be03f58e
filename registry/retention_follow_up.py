"""Art. 19 after the retention schedule's erasures: per recipient, how many erased persons'
data it had received and is still to be told of; and recording that it was told.

An erasure request's follow-ups are on its request (registry.erasure_follow_up); the
schedule's erasures have no request (erasure_journal.request_id is empty), so they are
grouped here by recipient: a recipient is told once of many erasures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from registry import audit
from registry.models import ErasureFollowUp, ErasureJournal, Recipient, utcnow
from registry.permissions import Actor, Permission, require


@dataclass(frozen=True)
class RecipientToTell:
    recipient_id: int
    name: str
    country: str
    persons: int  # erased persons whose data it received, not yet told
    last_erased_at: dt.datetime


def _pending() -> tuple[ColumnElement[bool], ...]:
    return (
        ErasureJournal.request_id.is_(None),
        ErasureFollowUp.notified_at.is_(None),
    )


def to_tell(session: Session, actor: Actor) -> list[RecipientToTell]:
    require(actor, Permission.VIEW_RETENTION)
    rows = session.execute(
        select(
            Recipient.id,
            Recipient.name,
            Recipient.country,
            func.count(),
            func.max(ErasureJournal.erased_at),
        )
        .select_from(ErasureFollowUp)
        .join(ErasureJournal, ErasureJournal.id == ErasureFollowUp.journal_id)
        .join(Recipient, Recipient.id == ErasureFollowUp.recipient_id)
        .where(*_pending())
        .group_by(Recipient.id, Recipient.name, Recipient.country)
        .order_by(Recipient.name)
    ).all()
    return [RecipientToTell(*row) for row in rows]


def mark_told(session: Session, actor: Actor, recipient_id: int) -> int:
    """Record that the recipient was told of every schedule erasure pending for it (Art. 19);
    one transaction with its audit event. Returns how many erasures that covered."""
    require(actor, Permission.APPLY_RETENTION)
    pending = (
        select(ErasureFollowUp.id)
        .join(ErasureJournal, ErasureJournal.id == ErasureFollowUp.journal_id)
        .where(ErasureFollowUp.recipient_id == recipient_id, *_pending())
    )
    try:
        ids = list(session.scalars(pending))
        if ids:
            session.execute(
                update(ErasureFollowUp)
                .where(ErasureFollowUp.id.in_(ids))
                .values(notified_at=utcnow(), notified_by=actor.user_id)
            )
            audit.record(
                session,
                actor,
                "notify_recipient_of_erasure",
                "recipient",
                recipient_id,
                f"told of {len(ids)} erasures made by the retention schedule (Art. 19)",
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return len(ids)
