"""Erasure (GDPR Art. 17) that erases: a preview per table, then one transaction.

`preview` says, per table, what an erasure of the person deletes, anonymises or keeps and
why, with the end of each legal hold. `erase_for_request` completes a verified erasure
request by running `apply` in the request's COMPLETE step: one transaction with the
request's transition, its audit event (persons by id only), the suppression entry, the
erasure journal row and the Art. 19 follow-ups. `apply` is also what the demo seed and a
restore (registry.backup) run; it uses only set-based statements on the person's rows.

Kept, and why:
- orders that are accounting vouchers within the Accounting Act's period (1336/1997 ch. 2
  s. 10; Art. 17(3)(b)), with the date the hold ends; claims in recovery (Art. 17(3)(e))
  until settled. The retention sweep (a separate issue) removes them when the hold ends.
- the person row itself, emptied of every identity and contact field, so that kept orders
  and the person's requests still point at something; no segment, export or metric reads it.
- the person's requests (Art. 5(2), 12: the controller shows it answered them), with the
  requester's name, contact, details and notes removed.
- disclosures, as pseudonymous counts (disclosure.person_count); the per-person rows go.
- the audit trail (append-only), which names persons by id only.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.orm import Session

from registry import audit, deadlines, erasure_journal, settings, suppression
from registry.errors import NotFound, ValidationError
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
    utcnow,
)
from registry.notice import LegalHold, declaration
from registry.permissions import Actor, Permission, require
from registry.requests.rules import Action
from registry.requests.transitions import step
from registry.vocabulary import OrderStatus, RequestKind

# Art. 17(1): the grounds on which the person has the right to erasure.
GROUNDS: dict[str, str] = {
    "no_longer_necessary": "(a) no longer necessary for the purposes collected",
    "consent_withdrawn": "(b) consent withdrawn, and no other legal ground",
    "objected": "(c) the person objected (Art. 21(1) without overriding grounds, or 21(2))",
    "unlawful": "(d) processed unlawfully",
    "legal_obligation": "(e) erasure required by Union or Finnish law",
    "child": "(f) collected for information society services offered to a child",
}
# Art. 17(3): the exceptions an erasure can rest on here; which apply follows from the data.
EXCEPTIONS: dict[str, str] = {
    "accounting_act": "(b) legal obligation: Accounting Act 1336/1997 ch. 2 s. 10",
    "legal_claims": "(e) establishment, exercise or defence of legal claims",
}
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


@dataclass(frozen=True)
class TableEffect:
    """One line of the preview: what happens to the person's rows of one table, and why."""

    table: str
    what: str  # deleted, anonymised, kept
    rows: int
    why: str
    until: dt.date | None = None


@dataclass(frozen=True)
class Preview:
    person_id: int
    effects: list[TableEffect]
    exceptions: list[str]  # keys of EXCEPTIONS the kept rows rest on
    already_erased: bool

    @property
    def kept(self) -> list[TableEffect]:
        return [e for e in self.effects if e.what == "kept"]


def voucher_hold_end(ordered_on: dt.date, hold: LegalHold) -> dt.date:
    """Accounting Act ch. 2 s. 10: vouchers are kept `voucher_years` from the end of the
    year in which the financial year ended. The financial year of `ordered_on` ends in the
    month `financial_year_end_month` of that year, or of the next one."""
    fy_end_year = ordered_on.year + (ordered_on.month > hold.financial_year_end_month)
    return dt.date(fy_end_year + hold.voucher_years, 12, 31)


def _hold_of(status: str, ordered_on: dt.date, today: dt.date, hold: LegalHold):  # type: ignore[no-untyped-def]
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


def _count(target: Target, model: Any, *where: Any) -> int:
    return int(target.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def _requests_of(person_id: int) -> Any:
    return select(DataSubjectRequest.id).where(DataSubjectRequest.person_id == person_id)


def preview_of(target: Target, person_id: int, today: dt.date) -> Preview:
    """The effect of erasing the person, table by table, read without writing."""
    person = target.execute(
        select(Person.id, Person.erased_at).where(Person.id == person_id)
    ).first()
    if person is None:
        raise NotFound(f"No person {person_id}.")
    hold = declaration().legal_hold
    effects: list[TableEffect] = [
        TableEffect(
            "person",
            "anonymised",
            1,
            "Names, email, phone, address, location, position, employer, gender, username "
            "and password hash removed; the emptied row (id, relationship, source, dates) "
            "stays for the kept records below to point at, and is in no segment or export.",
        )
    ]
    for model, label, why in (
        (ConsentEvent, "consent_event", "Consent history"),
        (ConsentState, "consent_state", "Current consent status"),
        (Activity, "activity", "Website, newsletter, event, service and app activity"),
        (PersonMetrics, "person_metrics", "Order and engagement figures for segments"),
        (Amendment, "amendment", "Rectifications with their old and new values"),
    ):
        effects.append(
            TableEffect(label, "deleted", _count(target, model, model.person_id == person_id), why)
        )
    effects.append(
        TableEffect(
            "disclosed_person",
            "deleted",
            _count(target, DisclosedPerson, DisclosedPerson.person_id == person_id),
            "Which lists the person was on; each disclosure keeps only its person count "
            "(pseudonymous). The recipients are listed to be told (Art. 19).",
        )
    )
    deleted_orders = 0
    held: dict[str, tuple[int, dt.date | None]] = {}
    exceptions: set[str] = set()
    for status, ordered_on in target.execute(
        select(Order.status, Order.ordered_on).where(Order.person_id == person_id)
    ):
        found = _hold_of(status, ordered_on, today, hold)
        if found is None:
            deleted_orders += 1
            continue
        until, reason, exception = found
        exceptions.add(exception)
        n, latest = held.get(reason, (0, until))
        later = max(latest, until) if latest and until else None
        held[reason] = (n + 1, later)
    effects.append(
        TableEffect(
            "customer_order",
            "deleted",
            deleted_orders,
            f"Orders past the accounting hold ({hold.voucher_years} years from the end of the "
            "year in which their financial year ended)",
        )
    )
    for reason, (n, until) in sorted(held.items()):
        effects.append(
            TableEffect("customer_order", "kept", n, reason + "; no longer linked to a name", until)
        )
    requests = _count(target, DataSubjectRequest, DataSubjectRequest.person_id == person_id)
    effects.append(
        TableEffect(
            "data_subject_request",
            "anonymised",
            requests,
            "Kept to show the requests were answered (Art. 5(2), 12); requester's name, "
            "contact, details and notes, and the letters' text, removed.",
        )
    )
    effects.append(
        TableEffect(
            "audit_event",
            "kept",
            0,
            "Append-only trail of who did what; names persons by id only.",
        )
    )
    return Preview(person_id, effects, sorted(exceptions), person.erased_at is not None)


def preview(
    session: Session, actor: Actor, request_id: int, today: dt.date | None = None
) -> Preview:
    """The erasure a request would carry out, refused with the reason when it cannot run."""
    require(actor, Permission.HANDLE_REQUESTS)
    request = _erasure_request(session, request_id)
    assert request.person_id is not None
    return preview_of(session, request.person_id, today or deadlines.today())


def _erasure_request(session: Session, request_id: int) -> DataSubjectRequest:
    request = session.get(DataSubjectRequest, request_id)
    if request is None:
        raise NotFound(f"No request #{request_id}.")
    if request.kind != RequestKind.ERASURE:
        raise ValidationError({"request": f"Request #{request_id} is not an erasure request."})
    if request.person_id is None:
        raise ValidationError(
            {
                "request": "Not matched to a person: there is nothing to erase. Match the "
                "request first, or reject it if the registry holds nothing on the requester."
            }
        )
    if request.identity_verified_at is None:
        raise ValidationError(
            {
                "request": "The requester's identity is not verified: erasing on an unverified "
                "request could erase someone else's data (Art. 12(6))."
            }
        )
    return request


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
) -> Applied:
    """Erase the person in the caller's transaction; does not commit.

    Orders under a legal hold stay (with held_until and hold_reason); everything else that
    names or describes the person goes. The email and phone go on the suppression list; the
    erasure is journalled; the recipients that had received the person's data are listed
    for follow-up (Art. 19).
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
    run("amendment", delete(Amendment).where(Amendment.person_id == person_id))
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
        found = _hold_of(status, ordered_on, today, hold)
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
    requests = _requests_of(person_id)
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
    added = {"suppression": int(listed), "erasure_journal": 1, "erasure_follow_up": len(received)}
    return Applied(journal_id, counts, sorted(exceptions), len(received), deleted, added)


def erase_for_request(
    session: Session,
    actor: Actor,
    request_id: int,
    grounds: list[str],
    outcome: str,
    now: dt.datetime | None = None,
) -> Applied:
    """Complete a verified, matched erasure request by erasing its person (Art. 17).

    One transaction: the erasure, the grounds and the exceptions used on the request, its
    COMPLETE transition and audit events. Refused with the reason when the request is not
    verified or not matched, or no ground is given; a failure leaves nothing half-erased.
    """
    require(actor, Permission.HANDLE_REQUESTS)
    errors: dict[str, str] = {}
    if not grounds:
        errors["grounds"] = "Choose the ground (Art. 17(1)) on which the person is erased."
    elif unknown := [g for g in grounds if g not in GROUNDS]:
        errors["grounds"] = f"Unknown ground: {', '.join(unknown)}."
    outcome = outcome.strip()
    if not outcome:
        errors["outcome"] = "Describe the outcome: what was erased and what the person was told."
    elif len(outcome) > settings.MAX_LONG_TEXT:
        errors["outcome"] = f"Keep it under {settings.MAX_LONG_TEXT} characters."
    if errors:
        raise ValidationError(errors)
    _erasure_request(session, request_id)
    secret = suppression.key()
    now = now or utcnow()
    done: list[Applied] = []

    def change(request: DataSubjectRequest) -> str:
        assert request.person_id is not None
        applied = apply(
            session,
            request.person_id,
            now=now,
            secret=secret,
            request_id=request.id,
            actor_id=actor.user_id,
        )
        request.erasure_grounds = sorted(grounds)
        request.erasure_exceptions = applied.exceptions
        request.outcome = outcome
        request.closed_at = now
        counts = ", ".join(f"{k} {v}" for k, v in sorted(applied.counts.items()) if v)
        audit.record(
            session,
            actor,
            "person_erased",
            "person",
            request.person_id,
            f"request #{request.id}; grounds {', '.join(sorted(grounds))}; exceptions "
            f"{', '.join(applied.exceptions) or 'none'}; rows: {counts}; "
            f"{applied.recipients} recipients to tell (Art. 19)",
        )
        done.append(applied)
        return outcome

    step(session, actor, request_id, Action.COMPLETE, change)
    session.expire_all()
    # Journalled outside the database once committed, so a restore can re-apply it.
    request = session.get(DataSubjectRequest, request_id)
    assert request is not None and request.person_id is not None
    erasure_journal.write(erasure_journal.Entry(request.person_id, request_id, now))
    return done[0]
