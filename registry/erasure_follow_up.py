"""Art. 19 after an erasure: the recipients that had received the person's data, listed when
the erasure ran (registry.erasure), each to be told and recorded as told, as after a
rectification (registry.notifications). Recipients whose scope covers the person (hosting,
CRM and the like: registry.recipients.recipients_covering) are listed too."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry import audit
from registry.errors import NotFound
from registry.models import AppUser, ErasureFollowUp, ErasureJournal, Recipient, utcnow
from registry.permissions import Actor, Permission, require
from registry.transfers import in_eea


@dataclass(frozen=True)
class ErasureRecipient:
    """A recipient to tell of the erasure: by its disclosures of the person, or by its scope
    (disclosures 0, last_disclosed_at None: it holds the data of persons like this one)."""

    recipient_id: int
    name: str
    country: str
    third_country: bool
    disclosures: int
    last_disclosed_at: dt.datetime | None
    data_categories: list[str]
    notified_at: dt.datetime | None
    notified_by: str | None


@dataclass(frozen=True)
class ErasureFollowUps:
    journal_id: int
    erased_at: dt.datetime
    recipients: list[ErasureRecipient]

    @property
    def pending(self) -> int:
        return sum(1 for r in self.recipients if r.notified_at is None)


def of_request(session: Session, actor: Actor, request_id: int) -> ErasureFollowUps | None:
    """The recipients to tell of the request's erasure; None when it erased nothing."""
    require(actor, Permission.HANDLE_REQUESTS)
    journal = session.execute(
        select(ErasureJournal.id, ErasureJournal.erased_at)
        .where(ErasureJournal.request_id == request_id)
        .order_by(ErasureJournal.id.desc())
        .limit(1)
    ).first()
    if journal is None:
        return None
    rows = session.execute(
        select(ErasureFollowUp, Recipient.name, Recipient.country, AppUser.display_name)
        .join(Recipient, Recipient.id == ErasureFollowUp.recipient_id)
        .outerjoin(AppUser, AppUser.id == ErasureFollowUp.notified_by)
        .where(ErasureFollowUp.journal_id == journal.id)
        .order_by(Recipient.name)
    ).all()
    return ErasureFollowUps(
        journal.id,
        journal.erased_at,
        [
            ErasureRecipient(
                f.recipient_id,
                name,
                country,
                not in_eea(country),
                f.disclosures,
                f.last_disclosed_at,
                list(f.data_categories),
                f.notified_at,
                told_by,
            )
            for f, name, country, told_by in rows
        ],
    )


def mark_notified(session: Session, actor: Actor, journal_id: int, recipient_id: int) -> bool:
    """Record that the recipient was told of the erasure (Art. 19); audited. False when it
    had already been recorded as told."""
    require(actor, Permission.HANDLE_REQUESTS)
    row = session.scalar(
        select(ErasureFollowUp).where(
            ErasureFollowUp.journal_id == journal_id, ErasureFollowUp.recipient_id == recipient_id
        )
    )
    if row is None:
        raise NotFound("This recipient did not receive the erased person's data.")
    if row.notified_at is not None:
        return False
    try:
        session.execute(
            update(ErasureFollowUp)
            .where(ErasureFollowUp.id == row.id)
            .values(notified_at=utcnow(), notified_by=actor.user_id)
        )
        audit.record(
            session,
            actor,
            "notify_recipient_of_erasure",
            "erasure_journal",
            journal_id,
            f"recipient #{recipient_id} told of the erasure (Art. 19)",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return True
