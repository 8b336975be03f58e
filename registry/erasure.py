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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import audit, deadlines, erasure_journal, settings, suppression
from registry.erasure_apply import (
    ERASED,
    Applied,
    AppliedMany,
    Target,
    apply,
    apply_many,
    hold_of,
    voucher_hold_end,
)
from registry.errors import NotFound, ValidationError
from registry.models import (
    Activity,
    Amendment,
    ConsentEvent,
    ConsentState,
    DataSubjectRequest,
    DisclosedPerson,
    Order,
    Person,
    PersonMetrics,
    utcnow,
)
from registry.notice import declaration
from registry.permissions import Actor, Permission, require
from registry.recipients import recipients_covering
from registry.requests.rules import Action
from registry.requests.transitions import step
from registry.vocabulary import RequestKind

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
__all__ = [
    "ERASED",
    "EXCEPTIONS",
    "GROUNDS",
    "Applied",
    "AppliedMany",
    "apply",
    "apply_many",
    "voucher_hold_end",
]


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


def _count(target: Target, model: Any, *where: Any) -> int:
    return int(target.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


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
        found = hold_of(status, ordered_on, today, hold)
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
        covering = [r.id for r in recipients_covering(session, request.person_id)]
        applied = apply(
            session,
            request.person_id,
            now=now,
            secret=secret,
            request_id=request.id,
            actor_id=actor.user_id,
            covering=covering,
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
