"""Who an import may not re-add or re-grant: the one place an import asks.

Erasure (Art. 17) and objection to direct marketing (Art. 21(3)) leave a suppression entry
that stops an import from bringing the person back or granting consent again. The
suppression list is being built with the data-subject rights (registry/suppression.py);
until it is there, this asks the objection history: persons with an objection among their
consent events, by their current email and phone and by the earlier ones their amendments
keep; and `refuse_listed` holds each row against the suppression list itself (erasures
leave their entries there, and an erased person's row no longer has an email to match).

It is SQL, not a loop: the staging table's rows are held against it in one statement, a
semi-join on the (few) objecting persons' contact details.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, union
from sqlalchemy.orm import Session

from registry import suppression
from registry.models import Amendment, ConsentEvent, Person
from registry.vocabulary import ConsentStatus


def _objecting() -> Select[int]:
    return select(ConsentEvent.person_id).where(ConsentEvent.status == ConsentStatus.OBJECTED)


def suppressed_contacts(
    email_key: ColumnElement[str] | None, phone: ColumnElement[str] | None
) -> ColumnElement[bool]:
    """SQL: the lower-case email or the E.164 phone belongs, or belonged, to someone an
    import may not re-add or re-grant."""
    conditions = []
    if email_key is not None:
        emails = union(
            select(func.lower(Person.email)).where(
                Person.id.in_(_objecting()), Person.email.is_not(None)
            ),
            select(func.lower(Amendment.old_value)).where(
                Amendment.field == "email",
                Amendment.old_value.is_not(None),
                Amendment.person_id.in_(_objecting()),
            ),
        )
        conditions.append(email_key.in_(select(emails.subquery().c[0])))
    if phone is not None:
        phones = union(
            select(Person.phone).where(Person.id.in_(_objecting()), Person.phone.is_not(None)),
            select(Amendment.old_value).where(
                Amendment.field == "phone",
                Amendment.old_value.is_not(None),
                Amendment.person_id.in_(_objecting()),
            ),
        )
        conditions.append(phone.in_(select(phones.subquery().c[0])))
    return or_(*conditions)


def is_suppressed(session: Session, *, email: str | None = None, phone: str | None = None) -> bool:
    """The same question for one person's email or phone (as validated)."""
    from sqlalchemy import literal

    condition = suppressed_contacts(
        literal(email.lower()) if email else None, literal(phone) if phone else None
    )
    if email is None and phone is None:
        return False
    return bool(session.scalar(select(condition)))


def refuse_listed(ctx: Any, chunk: Any, *, grants_only: bool = False) -> None:
    """Refuse the rows whose email or phone is on the suppression list (registry.suppression:
    keyed hashes of erased and objecting persons' contact details), checked in memory
    against the list's few hashes. `grants_only`: only rows that grant consent."""
    guard = suppression.Guard(ctx.session)
    if not guard:
        return
    emails = chunk.values.get("email") or [None] * len(chunk)
    phones = chunk.values.get("phone") or [None] * len(chunk)
    statuses = chunk.values.get("status") or [None] * len(chunk)
    for i in chunk.valid_rows():
        if grants_only and statuses[i] != ConsentStatus.GRANTED:
            continue
        if guard.holds(emails[i], phones[i]):
            chunk.refuse(
                i,
                "email" if emails[i] else "phone",
                "Erased or objected to direct marketing (Art. 17, 21(3)): this email or phone "
                "is on the suppression list and may not be "
                + ("granted consent again." if grants_only else "added again."),
            )
