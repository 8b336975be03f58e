"""The erasure itself (registry.erasure): set-based statements over the rows of one person
or of a batch of persons, in the caller's transaction. Shared by the request workflow, the
retention schedule, the demo seed and a restore."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update
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


@dataclass(frozen=True)
class AppliedMany:
    """What erasing a batch of persons did: per person where a caller needs it, else totals."""

    journal_ids: dict[int, int]  # person id -> its erasure journal row
    exceptions: dict[int, list[str]]  # person id -> the Art. 17(3) exceptions used
    recipients: dict[int, int]  # person id -> recipients to tell (Art. 19)
    counts: dict[str, int]
    deleted: dict[str, int]
    added: dict[str, int]


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
    done = apply_many(
        target,
        [person_id],
        now=now,
        secret=secret,
        request_ids={person_id: request_id} if request_id is not None else None,
        actor_id=actor_id,
        covering={person_id: covering},
    )
    return Applied(
        done.journal_ids[person_id],
        done.counts,
        done.exceptions[person_id],
        done.recipients[person_id],
        done.deleted,
        done.added,
    )


def apply_many(
    target: Target,
    person_ids: Sequence[int],
    *,
    now: dt.datetime,
    secret: bytes,
    request_ids: Mapping[int, int] | None = None,
    actor_id: int | None = None,
    covering: Mapping[int, Sequence[int]] | None = None,
) -> AppliedMany:
    """Erase the persons in the caller's transaction, each table changed by one statement
    over all their ids (a retention batch erases hundreds at once); does not commit.

    Each person is erased exactly as `apply` describes. `request_ids` names the erasure
    request of a person, if any; `covering` the recipients whose scope holds a person.
    """
    today = now.astimezone(settings.REGISTRY_TZ).date()
    ids = list(dict.fromkeys(person_ids))
    request_ids = request_ids or {}
    covering = covering or {}
    persons = {
        row.id: row
        for row in target.execute(
            select(
                Person.id,
                Person.first_name,
                Person.last_name,
                Person.email,
                Person.phone,
                Person.username,
            ).where(Person.id.in_(ids))
        )
    }
    if missing := [i for i in ids if i not in persons]:
        raise NotFound(f"No person {', '.join(map(str, missing[:10]))}.")
    if not ids:
        return AppliedMany({}, {}, {}, {}, {}, {})
    counts: dict[str, int] = {}  # rows changed, by table (deleted, or "_kept"/"_emptied")
    deleted: dict[str, int] = {}

    def run(label: str, statement: Any, params: list[dict[str, Any]] | None = None) -> None:
        result = target.execute(statement, params) if params else target.execute(statement)
        n = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
        counts[label] = counts.get(label, 0) + n
        if statement.is_delete:
            deleted[statement.table.name] = deleted.get(statement.table.name, 0) + n

    # Art. 19: who received each person's data, fixed before the per-person rows go.
    received: dict[int, list[tuple[int, int, Any]]] = {i: [] for i in ids}
    for person_id, recipient_id, n, last in target.execute(
        select(
            DisclosedPerson.person_id,
            Disclosure.recipient_id,
            func.count(),
            func.max(Disclosure.disclosed_at),
        )
        .join(DisclosedPerson, DisclosedPerson.disclosure_id == Disclosure.id)
        .where(DisclosedPerson.person_id.in_(ids))
        .group_by(DisclosedPerson.person_id, Disclosure.recipient_id)
    ):
        received[person_id].append((recipient_id, n, last))
    categories: dict[tuple[int, int], set[str]] = {}
    for person_id, recipient_id, cats in target.execute(
        select(DisclosedPerson.person_id, Disclosure.recipient_id, Disclosure.data_categories)
        .join(DisclosedPerson, DisclosedPerson.disclosure_id == Disclosure.id)
        .where(DisclosedPerson.person_id.in_(ids))
    ):
        values = json.loads(cats) if isinstance(cats, str) else cats
        categories.setdefault((person_id, recipient_id), set()).update(values or [])

    amendments = select(Amendment.id).where(Amendment.person_id.in_(ids))
    run(
        "recipient_notification",
        delete(RecipientNotification).where(RecipientNotification.amendment_id.in_(amendments)),
    )
    # The amendment history is append-only; PostgreSQL lets only an erasure delete from it,
    # through a function the application role may call but not imitate (0018_roles).
    erased = guards.erase_person_amendments(target, ids)
    counts["amendment"] = counts.get("amendment", 0) + erased
    deleted["amendment"] = deleted.get("amendment", 0) + erased
    run("consent_state", delete(ConsentState).where(ConsentState.person_id.in_(ids)))
    run("consent_event", delete(ConsentEvent).where(ConsentEvent.person_id.in_(ids)))
    run("activity", delete(Activity).where(Activity.person_id.in_(ids)))
    run("person_metrics", delete(PersonMetrics).where(PersonMetrics.person_id.in_(ids)))
    run("disclosed_person", delete(DisclosedPerson).where(DisclosedPerson.person_id.in_(ids)))

    # Orders: the legal hold decides per order; those it keeps are updated together by
    # their (held_until, reason), the rest deleted in one statement.
    hold = declaration().legal_hold
    exceptions: dict[int, set[str]] = {i: set() for i in ids}
    gone: list[int] = []
    held: dict[tuple[dt.date | None, str], list[int]] = {}
    for order_id, person_id, status, ordered_on in target.execute(
        select(Order.id, Order.person_id, Order.status, Order.ordered_on).where(
            Order.person_id.in_(ids)
        )
    ).all():
        found = hold_of(status, ordered_on, today, hold)
        if found is None:
            gone.append(order_id)
            continue
        until, reason, exception = found
        exceptions[person_id].add(exception)
        held.setdefault((until, reason), []).append(order_id)
    for (until, reason), order_ids in held.items():
        run(
            "order_held",
            update(Order)
            .where(Order.id.in_(order_ids))
            .values(held_until=until, hold_reason=reason),
        )
    if gone:
        run("customer_order", delete(Order).where(Order.id.in_(gone)))

    # The persons' requests stay as the record that they were answered, without the text.
    needles = {
        i: [
            f"{p.first_name} {p.last_name}",
            p.email or "",
            p.phone or "",
            p.username or "",
        ]
        for i, p in persons.items()
    }
    requests = select(DataSubjectRequest.id).where(DataSubjectRequest.person_id.in_(ids))
    run("report_redaction", delete(ReportRedaction).where(ReportRedaction.request_id.in_(requests)))
    run(
        "sent_document",
        update(SentDocument)
        .where(SentDocument.request_id.in_(requests))
        .values(html="", json=None),
    )
    notes = [
        {"row_id": transition_id, "scrubbed": scrubbed}
        for transition_id, person_id, note in target.execute(
            select(RequestTransition.id, DataSubjectRequest.person_id, RequestTransition.note)
            .join(DataSubjectRequest, DataSubjectRequest.id == RequestTransition.request_id)
            .where(DataSubjectRequest.person_id.in_(ids))
        ).all()
        if (scrubbed := _scrubbed(note, needles[person_id])) != note
    ]
    if notes:
        transitions = cast(Table, RequestTransition.__table__)  # a plain UPDATE per row
        target.execute(
            update(transitions)
            .where(transitions.c.id == bindparam("row_id"))
            .values(note=bindparam("scrubbed")),
            notes,
        )
    outcomes = [
        {"row_id": request_id_, "scrubbed": scrubbed}
        for request_id_, person_id, outcome in target.execute(
            select(
                DataSubjectRequest.id, DataSubjectRequest.person_id, DataSubjectRequest.outcome
            ).where(DataSubjectRequest.person_id.in_(ids))
        ).all()
        if (scrubbed := _scrubbed(outcome, needles[person_id])) != outcome
    ]
    run(
        "data_subject_request",
        update(DataSubjectRequest)
        .where(DataSubjectRequest.person_id.in_(ids))
        .values(requester_name=ERASED, requester_contact=ERASED, details="", identity_note=None),
    )
    if outcomes:
        requests_table = cast(Table, DataSubjectRequest.__table__)
        target.execute(
            update(requests_table)
            .where(requests_table.c.id == bindparam("row_id"))
            .values(outcome=bindparam("scrubbed")),
            outcomes,
        )
    run(
        "person",
        update(Person)
        .where(Person.id.in_(ids))
        .values(**_EMPTIED, erased_at=now, updated_at=now, version=Person.version + 1),
    )
    listed = suppression.add_many(
        target, secret, [(p.email, p.phone) for p in persons.values()], "erasure", now
    )
    journal = cast(Table, ErasureJournal.__table__)
    journal_ids: dict[int, int] = {
        person_id: journal_id
        for journal_id, person_id in target.execute(
            # Core's INSERT ... RETURNING of many rows: batched into few statements.
            insert(journal).returning(journal.c.id, journal.c.person_id),
            [
                {
                    "person_id": i,
                    "request_id": request_ids.get(i),
                    "erased_at": now,
                    "actor_id": actor_id,
                }
                for i in ids
            ],
        )
    }
    follow_ups: list[dict[str, Any]] = []
    told: dict[int, int] = {}
    for i in ids:
        rows = received[i]
        for recipient_id, n, last in rows:
            follow_ups.append(
                {
                    "journal_id": journal_ids[i],
                    "recipient_id": recipient_id,
                    "disclosures": n,
                    "last_disclosed_at": last,
                    "data_categories": sorted(categories.get((i, recipient_id), set())),
                }
            )
        by_disclosure = {row[0] for row in rows}
        by_scope = [r for r in dict.fromkeys(covering.get(i, ())) if r not in by_disclosure]
        for recipient_id in by_scope:
            follow_ups.append(
                {
                    "journal_id": journal_ids[i],
                    "recipient_id": recipient_id,
                    "disclosures": 0,
                    "last_disclosed_at": None,
                    "data_categories": [],
                }
            )
        told[i] = len(rows) + len(by_scope)
    if follow_ups:
        target.execute(insert(cast(Table, ErasureFollowUp.__table__)), follow_ups)
    added = {
        "suppression": listed,
        "erasure_journal": len(journal_ids),
        "erasure_follow_up": len(follow_ups),
    }
    return AppliedMany(
        journal_ids,
        {i: sorted(e) for i, e in exceptions.items()},
        told,
        counts,
        deleted,
        added,
    )
