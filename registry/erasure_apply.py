"""The erasure itself (registry.erasure): set-based statements on one person's rows, in the
caller's transaction. Shared by the request workflow, the demo seed and a restore."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.orm import Session

from registry import guards, settings, suppression
from registry.errors import NotFound
from registry.models import (
    Activity,
    Amendment,
    ConsentEvent,
    ConsentState,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    ErasureFollowUp,
    ErasureJournal,
    Order,
    Person,
    PersonMetrics,
    RecipientNotification,
    ReportRedaction,
    RequestTransition,
    SentDocument,
)
from registry.notice import LegalHold, declaration
from registry.vocabulary import OrderStatus

ERASED = "(erased)"
# What an emptied person row keeps: its id, relationship, source and dates (Art. 17 record).
_EMPTIED: dict[str, Any] = {
    "first_name": "",
    "last_name": "",
    "email": None,
    "phone": None,
    "street_address": None,
    "postal_code": None,
    "city": None,
    "country": "",
    "latitude": None,
    "longitude": None,
    "position": None,
    "organisation_id": None,
    "gender": None,
    "username": None,
    "password_hash": None,
    "third_party_at": None,
}

Target = Session | Connection


def voucher_hold_end(ordered_on: dt.date, hold: LegalHold) -> dt.date:
    """Accounting Act ch. 2 s. 10: vouchers are kept `voucher_years` from the end of the
    year in which the financial year ended. The financial year of `ordered_on` ends in the
    month `financial_year_end_month` of that year, or of the next one."""
    fy_end_year = ordered_on.year + (ordered_on.month > hold.financial_year_end_month)
    return dt.date(fy_end_year + hold.voucher_years, 12, 31)


def hold_of(status: str, ordered_on: dt.date, today: dt.date, hold: LegalHold):  # type: ignore[no-untyped-def]
    """(held_until, reason, exception) for an order, or None when nothing keeps it."""
    if status == OrderStatus.IN_RECOVERY:
        return None, "Claim in recovery, kept until settled (Art. 17(3)(e))", "legal_claims"
    until = voucher_hold_end(ordered_on, hold)
    if until >= today:
        return (
            until,
            f"Accounting voucher, kept {hold.voucher_years} years (Accounting Act 1336/1997 "
            "ch. 2 s. 10; Art. 17(3)(b))",
            "accounting_act",
        )
    return None


def requests_of(person_id: int) -> Any:
    return select(DataSubjectRequest.id).where(DataSubjectRequest.person_id == person_id)


def _scrubbed(text: str | None, needles: list[str]) -> str | None:
    if not text:
        return text
    for needle in needles:
        if needle and len(needle) > 2:
            text = text.replace(needle, ERASED)
    return text


@dataclass(frozen=True)
class Applied:
    journal_id: int
    counts: dict[str, int]
    exceptions: list[str]
    recipients: int
    deleted: dict[str, int]  # rows deleted, by table name
    added: dict[str, int]  # rows added (suppression, journal, follow-ups), by table name


def apply(
    target: Target,
    person_id: int,
    *,
    now: dt.datetime,
    secret: bytes,
    request_id: int | None = None,
    actor_id: int | None = None,
    covering: Sequence[int] = (),
) -> Applied:
    """Erase the person in the caller's transaction; does not commit.

    Orders under a legal hold stay (with held_until and hold_reason); everything else that
    names or describes the person goes. The email and phone go on the suppression list; the
    erasure is journalled; the recipients that had received the person's data are listed
    for follow-up (Art. 19): those of the per-person disclosure rows, and the `covering`
    recipients whose scope holds the person's data (registry.recipients.recipients_covering,
    read by the caller before the person is emptied).
    """
    today = now.astimezone(settings.REGISTRY_TZ).date()
    person = target.execute(
        select(
            Person.first_name, Person.last_name, Person.email, Person.phone, Person.username
        ).where(Person.id == person_id)
    ).first()
    if person is None:
        raise NotFound(f"No person {person_id}.")
    counts: dict[str, int] = {}  # rows changed, by table (deleted, or "_kept"/"_emptied")
    deleted: dict[str, int] = {}

    def run(label: str, statement: Any) -> None:
        result = target.execute(statement)
        n = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
        counts[label] = counts.get(label, 0) + n
        if statement.is_delete:
            deleted[statement.table.name] = deleted.get(statement.table.name, 0) + n

    # Art. 19: who received the person's data, fixed before the per-person rows go.
    received = target.execute(
        select(
            Disclosure.recipient_id,
            func.count(),
            func.max(Disclosure.disclosed_at),
        )
        .join(DisclosedPerson, DisclosedPerson.disclosure_id == Disclosure.id)
        .where(DisclosedPerson.person_id == person_id)
        .group_by(Disclosure.recipient_id)
    ).all()
    categories: dict[int, set[str]] = {}
    for recipient_id, cats in target.execute(
        select(Disclosure.recipient_id, Disclosure.data_categories)
        .join(DisclosedPerson, DisclosedPerson.disclosure_id == Disclosure.id)
        .where(DisclosedPerson.person_id == person_id)
    ):
        values = json.loads(cats) if isinstance(cats, str) else cats
        categories.setdefault(recipient_id, set()).update(values or [])

    amendments = select(Amendment.id).where(Amendment.person_id == person_id)
    run(
        "recipient_notification",
        delete(RecipientNotification).where(RecipientNotification.amendment_id.in_(amendments)),
    )
    # The amendment history is append-only; PostgreSQL lets only an erasure delete from it,
    # through a function the application role may call but not imitate (0018_roles).
    erased = guards.erase_person_amendments(target, person_id)
    counts["amendment"] = counts.get("amendment", 0) + erased
    deleted["amendment"] = deleted.get("amendment", 0) + erased
    run("consent_state", delete(ConsentState).where(ConsentState.person_id == person_id))
    run("consent_event", delete(ConsentEvent).where(ConsentEvent.person_id == person_id))
    run("activity", delete(Activity).where(Activity.person_id == person_id))
    run("person_metrics", delete(PersonMetrics).where(PersonMetrics.person_id == person_id))
    run("disclosed_person", delete(DisclosedPerson).where(DisclosedPerson.person_id == person_id))

    hold = declaration().legal_hold
    exceptions: set[str] = set()
    gone: list[int] = []
    for order_id, status, ordered_on in target.execute(
        select(Order.id, Order.status, Order.ordered_on).where(Order.person_id == person_id)
    ).all():
        found = hold_of(status, ordered_on, today, hold)
        if found is None:
            gone.append(order_id)
            continue
        until, reason, exception = found
        exceptions.add(exception)
        run(
            "order_held",
            update(Order).where(Order.id == order_id).values(held_until=until, hold_reason=reason),
        )
    if gone:
        run("customer_order", delete(Order).where(Order.id.in_(gone)))

    # The person's requests stay as the record that they were answered, without the text.
    needles = [
        f"{person.first_name} {person.last_name}",
        person.email or "",
        person.phone or "",
        person.username or "",
    ]
    requests = requests_of(person_id)
    run("report_redaction", delete(ReportRedaction).where(ReportRedaction.request_id.in_(requests)))
    run(
        "sent_document",
        update(SentDocument)
        .where(SentDocument.request_id.in_(requests))
        .values(html="", json=None),
    )
    for transition_id, note in target.execute(
        select(RequestTransition.id, RequestTransition.note).where(
            RequestTransition.request_id.in_(requests)
        )
    ).all():
        scrubbed = _scrubbed(note, needles)
        if scrubbed != note:
            target.execute(
                update(RequestTransition)
                .where(RequestTransition.id == transition_id)
                .values(note=scrubbed)
            )
    for request_id_, outcome in target.execute(
        select(DataSubjectRequest.id, DataSubjectRequest.outcome).where(
            DataSubjectRequest.person_id == person_id
        )
    ).all():
        run(
            "data_subject_request",
            update(DataSubjectRequest)
            .where(DataSubjectRequest.id == request_id_)
            .values(
                requester_name=ERASED,
                requester_contact=ERASED,
                details="",
                identity_note=None,
                outcome=_scrubbed(outcome, needles),
            ),
        )
    run(
        "person",
        update(Person)
        .where(Person.id == person_id)
        .values(**_EMPTIED, erased_at=now, updated_at=now, version=Person.version + 1),
    )
    listed = suppression.add(target, secret, person.email, person.phone, "erasure", now)
    journal_id = target.execute(
        insert(ErasureJournal)
        .values(person_id=person_id, request_id=request_id, erased_at=now, actor_id=actor_id)
        .returning(ErasureJournal.id)
    ).scalar_one()
    for recipient_id, n, last in received:
        target.execute(
            insert(ErasureFollowUp).values(
                journal_id=journal_id,
                recipient_id=recipient_id,
                disclosures=n,
                last_disclosed_at=last,
                data_categories=sorted(categories.get(recipient_id, set())),
            )
        )
    by_scope = [r for r in dict.fromkeys(covering) if r not in {row[0] for row in received}]
    for recipient_id in by_scope:
        target.execute(
            insert(ErasureFollowUp).values(
                journal_id=journal_id,
                recipient_id=recipient_id,
                disclosures=0,
                last_disclosed_at=None,
                data_categories=[],
            )
        )
    told = len(received) + len(by_scope)
    added = {"suppression": int(listed), "erasure_journal": 1, "erasure_follow_up": told}
    return Applied(journal_id, counts, sorted(exceptions), told, deleted, added)
