"""Who an import may not re-add or re-grant: the one place an import asks.

Erasure (Art. 17) and objection to direct marketing (Art. 21(3)) leave a suppression entry
that stops an import from bringing the person back or granting consent again. The
suppression list is being built with the data-subject rights (registry/suppression.py);
until it is there, this asks the objection history: persons with an objection among their
consent events, by their current email and phone and by the earlier ones their amendments
keep. Every kind of import calls `suppressed_contacts` and nothing else, so switching to the
suppression list changes this function only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from registry.models import Amendment, ConsentEvent, Person
from registry.vocabulary import ConsentStatus

# Bound parameters per statement: well below SQLite's 32,766 and PostgreSQL's 65,535.
_BATCH = 5_000


@dataclass(frozen=True)
class Suppressed:
    emails: set[str] = field(default_factory=set)  # lower-case
    phones: set[str] = field(default_factory=set)  # E.164


def _objected(person_id: ColumnElement[int]) -> ColumnElement[bool]:
    return (
        select(ConsentEvent.id)
        .where(ConsentEvent.person_id == person_id, ConsentEvent.status == ConsentStatus.OBJECTED)
        .exists()
    )


def suppressed_contacts(
    session: Session, emails: Collection[str], phones: Collection[str]
) -> Suppressed:
    """Which of the (lower-case) emails and (E.164) phones belong to someone who objected to
    direct marketing, now or under an earlier email or phone."""
    found = Suppressed()
    email_list, phone_list = sorted(set(emails)), sorted(set(phones))
    for i in range(0, len(email_list), _BATCH):
        batch = email_list[i : i + _BATCH]
        found.emails.update(
            session.scalars(
                select(func.lower(Person.email)).where(
                    func.lower(Person.email).in_(batch), _objected(Person.id)
                )
            )
        )
        found.emails.update(
            session.scalars(
                select(func.lower(Amendment.old_value)).where(
                    Amendment.field == "email",
                    func.lower(Amendment.old_value).in_(batch),
                    _objected(Amendment.person_id),
                )
            )
        )
    for i in range(0, len(phone_list), _BATCH):
        batch = phone_list[i : i + _BATCH]
        found.phones.update(
            session.scalars(
                select(Person.phone).where(Person.phone.in_(batch), _objected(Person.id))
            )
        )
        found.phones.update(
            session.scalars(
                select(Amendment.old_value).where(
                    Amendment.field == "phone",
                    Amendment.old_value.in_(batch),
                    _objected(Amendment.person_id),
                )
            )
        )
    return found
