"""Data-subject requests: logging, the workflow as a state machine, and the queue.

The notice says requests come in writing, so a request is logged with its channel (letter,
email, web form) and its receipt date in Helsinki. Its due date is always
`deadlines.due_date(received_on)`, or `due_date(received_on, extended=True)` once extended;
`due_on` stores that value so the queue can sort and count in SQL.

Every step of the workflow is a row of TRANSITIONS: the statuses it may start from and the
status it leads to. Each step locks the request row, checks the table, writes a
request_transition row (who, when, note) and an audit event, and commits once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Select, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased, lazyload

from registry import audit, consent, deadlines, settings
from registry.auth import ROLE_PERMISSIONS, Actor, Permission, require
from registry.errors import ConflictError, NotFound, ValidationError
from registry.models import AppUser, DataSubjectRequest, Person, RequestTransition, utcnow
from registry.vocabulary import (
    OPEN_REQUEST_STATUSES,
    ConsentSource,
    RequestChannel,
    RequestKind,
    RequestStatus,
)

# The GDPR applies from this day; nothing received earlier is a request under it.
GDPR_APPLIES_FROM = dt.date(2018, 5, 25)

KIND_LABELS: dict[RequestKind, str] = {
    RequestKind.ACCESS: "Access (Art. 15)",
    RequestKind.RECTIFICATION: "Rectification (Art. 16)",
    RequestKind.OBJECTION: "Objection to direct marketing (Art. 21)",
    RequestKind.ERASURE: "Erasure (Art. 17)",
    RequestKind.RESTRICTION: "Restriction (Art. 18)",
}
CHANNEL_LABELS: dict[RequestChannel, str] = {
    RequestChannel.LETTER: "Letter",
    RequestChannel.EMAIL: "Email",
    RequestChannel.WEB_FORM: "Web form",
}
STATUS_LABELS: dict[RequestStatus, str] = {
    RequestStatus.RECEIVED: "Received",
    RequestStatus.VERIFIED: "Identity verified",
    RequestStatus.EXTENDED: "Extended",
    RequestStatus.COMPLETED: "Completed",
    RequestStatus.REJECTED: "Rejected",
}

# How the requester's identity was established (GDPR Art. 12(6)).
IDENTITY_METHODS: tuple[str, ...] = (
    "Reply from the email address held in the registry",
    "Signed letter matching the registry's postal address",
    "Strong electronic identification",
    "Identity document shown in person",
    "Other (describe in the note)",
)
_OTHER_METHOD = IDENTITY_METHODS[-1]


class Action(StrEnum):
    """A step of the workflow, as request_transition.action stores it (the seed writes these)."""

    LOG = "receive"
    MATCH = "match"
    VERIFY = "verify_identity"
    ASSIGN = "assign"
    EXTEND = "extend"
    REPORT = "report"  # the Art. 15 report was generated and stored (registry.report)
    COMPLETE = "complete"
    REJECT = "reject"
    TELL_EXTENSION = "tell_extension"  # Art. 12(3): the person was told of the extension
    LANGUAGE = "set_reply_language"  # the language of the letters (registry.report)


@dataclass(frozen=True)
class Rule:
    """Where an action may start, and where it leads (None: the status stays)."""

    sources: frozenset[RequestStatus]
    target: RequestStatus | None
    label: str


S = RequestStatus
_OPEN = frozenset(OPEN_REQUEST_STATUSES)

# The whole workflow. Identity comes before any answer: a report, an extension or a
# completion needs a verified requester; a rejection (e.g. identity not established) does not.
# The person is matched before the identity is verified, because the identity is verified
# against that person: a report must never go to someone verified as somebody else.
TRANSITIONS: dict[Action, Rule] = {
    Action.MATCH: Rule(frozenset({S.RECEIVED}), None, "Matched to a person"),
    Action.VERIFY: Rule(frozenset({S.RECEIVED}), S.VERIFIED, "Identity verified"),
    Action.ASSIGN: Rule(_OPEN, None, "Assigned"),
    Action.EXTEND: Rule(frozenset({S.VERIFIED}), S.EXTENDED, "Extended"),
    Action.REPORT: Rule(frozenset({S.VERIFIED, S.EXTENDED}), None, "Access report generated"),
    Action.COMPLETE: Rule(frozenset({S.VERIFIED, S.EXTENDED}), S.COMPLETED, "Completed"),
    Action.REJECT: Rule(_OPEN, S.REJECTED, "Rejected"),
    Action.TELL_EXTENSION: Rule(frozenset({S.EXTENDED}), None, "Person told of the extension"),
    Action.LANGUAGE: Rule(_OPEN, None, "Reply language set"),
}
ACTION_LABELS: dict[Action, str] = {
    Action.LOG: "Logged",
    **{action: rule.label for action, rule in TRANSITIONS.items()},
}

# A refused action, said to the user: what it would have done, and what it needs.
_REFUSALS: dict[Action, tuple[str, str]] = {
    Action.MATCH: ("matched to a person", "only before the identity is verified"),
    Action.VERIFY: ("verified", "only a received request can be"),
    Action.ASSIGN: ("assigned", "only an open request can be"),
    Action.EXTEND: ("extended", "only a verified request, and only once, can be"),
    Action.REPORT: ("answered with a report", "only an open, identity-verified request can be"),
    Action.COMPLETE: ("completed", "only an open, identity-verified request can be"),
    Action.REJECT: ("rejected", "only an open request can be"),
    Action.TELL_EXTENSION: ("marked as told of an extension", "only an extended request can be"),
    Action.LANGUAGE: ("given a reply language", "only an open request can be"),
}


def allowed(action: Action, status: str, kind: str) -> bool:
    """Whether the table lets `action` start from `status` for a request of `kind`."""
    if action is Action.REPORT and kind != RequestKind.ACCESS:
        return False
    return RequestStatus(status) in TRANSITIONS[action].sources


def allowed_actions(status: str, kind: str) -> list[Action]:
    return [a for a in TRANSITIONS if allowed(a, status, kind)]


def finnish_date(day: dt.date) -> str:
    """How a Finnish reader writes a date: 7.4.2026."""
    return f"{day.day}.{day.month}.{day.year}"


def original_due(received_on: dt.date) -> dt.date:
    """The first month's due date: also the day by which an extension must be told."""
    return deadlines.due_date(received_on)


def urgency(status: str, due_on: dt.date, today: dt.date) -> str:
    """ "overdue", "due_soon" (within settings.DUE_SOON_DAYS), "on_time" or "closed"."""
    if RequestStatus(status) not in _OPEN:
        return "closed"
    left = deadlines.days_left(due_on, today)
    if left < 0:
        return "overdue"
    return "due_soon" if left <= settings.DUE_SOON_DAYS else "on_time"


# --- logging a request -----------------------------------------------------------------


def _text(value: str, limit: int, errors: dict[str, str], key: str, what: str) -> str:
    value = value.strip()
    if not value:
        errors[key] = f"Enter {what}."
    elif len(value) > limit:
        errors[key] = f"Keep {what} under {limit} characters."
    return value


def _email(value: str, errors: dict[str, str], key: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as e:
        errors[key] = f"Not a valid email address: {e}"
        return value


def log_request(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    channel: str,
    received_on: dt.date,
    requester_name: str,
    requester_contact: str,
    details: str = "",
    person_id: int | None = None,
    today: dt.date | None = None,
    reply_language: str | None = None,
) -> DataSubjectRequest:
    """Log a request received in writing; its due date follows from the receipt date.

    The reply language defaults from the request (registry.report.language)."""
    from registry.report.language import LANGUAGES, default_language

    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    errors: dict[str, str] = {}
    if kind not in RequestKind.__members__.values():
        errors["kind"] = "Choose what the person asks for."
    if channel not in RequestChannel.__members__.values():
        errors["channel"] = "Choose how the request came in: it must be in writing."
    if received_on > today:
        errors["received_on"] = "The receipt date cannot be in the future."
    elif received_on < GDPR_APPLIES_FROM:
        errors["received_on"] = "The GDPR applies from 25 May 2018; check the receipt date."
    name = _text(requester_name, settings.MAX_SHORT_TEXT, errors, "requester_name", "the name")
    contact = _text(
        requester_contact, settings.MAX_SHORT_TEXT, errors, "requester_contact", "a contact"
    )
    if "requester_contact" not in errors and (channel == RequestChannel.EMAIL or "@" in contact):
        contact = _email(contact, errors, "requester_contact")
    details = details.strip()
    if len(details) > settings.MAX_LONG_TEXT:
        errors["details"] = f"Keep the text under {settings.MAX_LONG_TEXT} characters."
    person = session.get(Person, person_id) if person_id is not None else None
    if person_id is not None and person is None:
        errors["person_id"] = "That person is no longer in the registry; search again."
    if reply_language is not None and reply_language not in LANGUAGES:
        errors["reply_language"] = "Choose Finnish, Swedish or English."
    if errors:
        raise ValidationError(errors)
    language = reply_language or default_language(
        details, person.country if person else None, contact
    )
    request = DataSubjectRequest(
        kind=kind,
        channel=channel,
        received_on=received_on,
        requester_name=name,
        requester_contact=contact,
        details=details,
        person_id=person_id,
        status=RequestStatus.RECEIVED,
        due_on=deadlines.due_date(received_on),
        created_by=actor.user_id,
        created_at=utcnow(),
        reply_language=language,
    )
    try:
        session.add(request)
        session.flush()
        how = (
            f"{KIND_LABELS[RequestKind(kind)]} by {CHANNEL_LABELS[RequestChannel(channel)].lower()}"
        )
        _record(session, actor, request, Action.LOG, None, how)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return request


# --- the workflow ----------------------------------------------------------------------


def _load(session: Session, request_id: int, action: Action) -> DataSubjectRequest:
    """The request, locked for the transition, if the table allows `action` from its status."""
    # Only the request row is locked: PostgreSQL refuses FOR UPDATE across the outer joins
    # of its eagerly loaded person and assignee, so those load lazily here.
    request = session.scalars(
        select(DataSubjectRequest)
        .where(DataSubjectRequest.id == request_id)
        .options(lazyload("*"))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if request is None:
        raise NotFound(f"No request #{request_id}.")
    if not allowed(action, request.status, request.kind):
        status = STATUS_LABELS[RequestStatus(request.status)].lower()
        if action is Action.REPORT and request.kind != RequestKind.ACCESS:
            raise ConflictError(f"Request #{request_id} is not an access request.")
        done, needs = _REFUSALS[action]
        raise ConflictError(f"Request #{request_id} is {status}: it cannot be {done} ({needs}).")
    return request


def _record(
    session: Session,
    actor: Actor,
    request: DataSubjectRequest,
    action: Action,
    from_status: str | None,
    note: str = "",
) -> None:
    """The transition row and its audit event, in the caller's transaction."""
    session.add(
        RequestTransition(
            request_id=request.id,
            action=action,
            from_status=from_status,
            to_status=request.status,
            note=note or None,
            actor_id=actor.user_id,
            at=utcnow(),
        )
    )
    audit.record(session, actor, f"request_{action}", "data_subject_request", request.id, note)


def step(
    session: Session,
    actor: Actor,
    request_id: int,
    action: Action,
    change: Callable[[DataSubjectRequest], str],
) -> DataSubjectRequest:
    """Lock, check the table, apply `change` (which returns the note), record, commit.

    Any error rolls the whole step back, so a refused step leaves nothing and holds no lock.
    registry.report runs the REPORT step through it too.
    """
    require(actor, Permission.HANDLE_REQUESTS)
    try:
        request = _load(session, request_id, action)
        from_status = request.status
        note = change(request)
        if (target := TRANSITIONS[action].target) is not None:
            request.status = target
        _record(session, actor, request, action, from_status, note)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return request


def _required(value: str, key: str, missing: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError({key: missing})
    if len(value) > settings.MAX_LONG_TEXT:
        raise ValidationError({key: f"Keep it under {settings.MAX_LONG_TEXT} characters."})
    return value


def match_person(session: Session, actor: Actor, request_id: int, person_id: int) -> None:
    require(actor, Permission.HANDLE_REQUESTS)

    def change(request: DataSubjectRequest) -> str:
        person = session.get(Person, person_id)
        if person is None:
            raise ValidationError({"person_id": "That person is no longer in the registry."})
        request.person_id = person_id
        return f"{person.first_name} {person.last_name} (person {person_id})"

    step(session, actor, request_id, Action.MATCH, change)


def verify_identity(
    session: Session, actor: Actor, request_id: int, method: str, note: str = ""
) -> None:
    require(actor, Permission.HANDLE_REQUESTS)
    errors: dict[str, str] = {}
    if method not in IDENTITY_METHODS:
        errors["method"] = "Choose how the identity was verified."
    note = note.strip()
    if method == _OTHER_METHOD and not note:
        errors["note"] = "Describe how the identity was verified."
    elif len(note) > settings.MAX_LONG_TEXT:
        errors["note"] = f"Keep the note under {settings.MAX_LONG_TEXT} characters."
    if errors:
        raise ValidationError(errors)

    def change(request: DataSubjectRequest) -> str:
        request.identity_method = method
        request.identity_note = note or None
        request.identity_verified_at = utcnow()
        return f"{method}: {note}" if note else method

    step(session, actor, request_id, Action.VERIFY, change)


def assignees(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Active users whose role handles requests: (id, display name)."""
    require(actor, Permission.HANDLE_REQUESTS)
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if Permission.HANDLE_REQUESTS in perms]
    users = session.execute(
        select(AppUser.id, AppUser.display_name)
        .where(AppUser.active, AppUser.role.in_(roles))
        .order_by(AppUser.display_name)
    ).all()
    return [(uid, name) for uid, name in users]


def assign(session: Session, actor: Actor, request_id: int, assignee_id: int) -> None:
    require(actor, Permission.HANDLE_REQUESTS)

    def change(request: DataSubjectRequest) -> str:
        names = dict(assignees(session, actor))
        if assignee_id not in names:
            raise ValidationError({"assignee_id": "Choose an active user who handles requests."})
        request.assignee_id = assignee_id
        return names[assignee_id]

    step(session, actor, request_id, Action.ASSIGN, change)


def extend(
    session: Session, actor: Actor, request_id: int, reason: str, today: dt.date | None = None
) -> dt.date:
    """Art. 12(3): due becomes receipt + 3 months; the person must be told within the first.

    Returns the new due date.
    """
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    reason = _required(
        reason, "reason", "Give the reason for the extension: the person must be told it."
    )

    def change(request: DataSubjectRequest) -> str:
        tell_by = original_due(request.received_on)
        if today > tell_by:
            raise ValidationError(
                {
                    "reason": f"Too late to extend: the person had to be told by "
                    f"{finnish_date(tell_by)}, within the first month (Art. 12(3))."
                }
            )
        request.due_on = deadlines.due_date(request.received_on, extended=True)
        request.extension_reason = reason
        request.extended_at = utcnow()
        # The letter that tells the person, made and kept in this same transaction.
        from registry.report import notices

        return reason + notices.store_extension_letter(session, actor, request)

    return step(session, actor, request_id, Action.EXTEND, change).due_on


def complete(session: Session, actor: Actor, request_id: int, outcome: str) -> None:
    """Close the request with its outcome.

    An access request needs its report generated first. An objection is recorded as a
    consent event for every direct-marketing purpose in this same transaction, so the
    person drops out of every later export the moment the request is closed.
    """
    require(actor, Permission.HANDLE_REQUESTS)
    outcome = _required(outcome, "outcome", "Describe the outcome: what was done or sent.")

    def change(request: DataSubjectRequest) -> str:
        if request.kind == RequestKind.ACCESS and request.report_generated_at is None:
            raise ValidationError({"outcome": "Generate the access report before completing."})
        if request.kind == RequestKind.OBJECTION:
            if request.person_id is None:
                raise ValidationError(
                    {
                        "outcome": "Not matched to a person: there is no one to record the "
                        "objection on. If the registry holds nothing on the requester, reject "
                        "the request with that reason."
                    }
                )
            consent.add_objection(
                session,
                actor,
                request.person_id,
                ConsentSource(request.channel),
                f"Data-subject request #{request.id} ({request.channel}, received "
                f"{request.received_on.isoformat()}): {outcome}",
            )
        request.outcome = outcome
        request.closed_at = utcnow()
        return outcome

    step(session, actor, request_id, Action.COMPLETE, change)


def reject(
    session: Session, actor: Actor, request_id: int, reason: str, today: dt.date | None = None
) -> None:
    """Art. 12(4): close the request with its reasons; the refusal letter is made and kept
    in the same transaction. A rejection after the (possibly extended) due date is flagged."""
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    reason = _required(
        reason, "reason", "Give the reason for the rejection: the person must be told it."
    )

    def change(request: DataSubjectRequest) -> str:
        from registry.report import notices

        request.outcome = reason
        request.closed_at = utcnow()
        late = today > request.due_on
        note = reason + (f" (after the due date {finnish_date(request.due_on)})" if late else "")
        return note + notices.store_refusal_letter(session, actor, request, late=late)

    step(session, actor, request_id, Action.REJECT, change)


# --- one request -----------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    action: str
    action_label: str
    from_status: str | None
    to_status: str
    note: str
    actor_name: str


@dataclass(frozen=True)
class RequestView:
    """One request as the detail view shows it."""

    id: int
    kind: str
    channel: str
    received_on: dt.date
    requester_name: str
    requester_contact: str
    details: str
    person_id: int | None
    person_name: str | None
    person_email: str | None
    status: str
    assignee_id: int | None
    assignee_name: str | None
    due_on: dt.date
    original_due_on: dt.date
    days_left: str
    urgency: str
    identity_method: str | None
    identity_note: str | None
    identity_verified_at: dt.datetime | None
    extension_reason: str | None
    extended_at: dt.datetime | None
    report_generated_at: dt.datetime | None
    outcome: str | None
    closed_at: dt.datetime | None
    actions: tuple[Action, ...]
    history: tuple[HistoryEntry, ...] = ()
    reply_language: str = "fi"
    extension_told_on: dt.date | None = None
    extension_told_channel: str | None = None


def detail(
    session: Session, actor: Actor, request_id: int, today: dt.date | None = None
) -> RequestView:
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    # populate_existing: a step earlier in this session changed ids under loaded relations.
    r = session.get(DataSubjectRequest, request_id, populate_existing=True)
    if r is None:
        raise NotFound(f"No request #{request_id}.")
    history = session.execute(
        select(RequestTransition, AppUser.display_name)
        .outerjoin(AppUser, AppUser.id == RequestTransition.actor_id)
        .where(RequestTransition.request_id == request_id)
        .order_by(RequestTransition.at, RequestTransition.id)
    ).all()
    open_ = RequestStatus(r.status) in _OPEN
    return RequestView(
        id=r.id,
        kind=r.kind,
        channel=r.channel,
        received_on=r.received_on,
        requester_name=r.requester_name,
        requester_contact=r.requester_contact,
        details=r.details,
        person_id=r.person_id,
        person_name=f"{r.person.first_name} {r.person.last_name}" if r.person else None,
        person_email=r.person.email if r.person else None,
        status=r.status,
        assignee_id=r.assignee_id,
        assignee_name=r.assignee.display_name if r.assignee else None,
        due_on=r.due_on,
        original_due_on=original_due(r.received_on),
        days_left=deadlines.describe_days_left(r.due_on, today) if open_ else "closed",
        urgency=urgency(r.status, r.due_on, today),
        identity_method=r.identity_method,
        identity_note=r.identity_note,
        identity_verified_at=r.identity_verified_at,
        extension_reason=r.extension_reason,
        extended_at=r.extended_at,
        report_generated_at=r.report_generated_at,
        outcome=r.outcome,
        closed_at=r.closed_at,
        actions=tuple(allowed_actions(r.status, r.kind)),
        history=tuple(
            HistoryEntry(
                t.at,
                t.action,
                ACTION_LABELS.get(t.action, t.action.replace("_", " ").capitalize()),
                t.from_status,
                t.to_status,
                t.note or "",
                name or "(removed account)",
            )
            for t, name in history
        ),
        reply_language=r.reply_language,
        extension_told_on=r.extension_told_on,
        extension_told_channel=r.extension_told_channel,
    )


def record_view(session: Session, actor: Actor, request_id: int) -> None:
    """Opening a request shows the requester's personal data: audited once per opening."""
    require(actor, Permission.HANDLE_REQUESTS)
    audit.record(session, actor, "request_viewed", "data_subject_request", request_id)
    session.commit()


# --- the queue -------------------------------------------------------------------------

UNASSIGNED = -1  # the assignee filter value for requests nobody has taken


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows; compiles to SQL and to the sentence shown above the table."""

    statuses: tuple[str, ...] = tuple(OPEN_REQUEST_STATUSES)
    kinds: tuple[str, ...] = ()
    assignee_id: int | None = None  # a user id, UNASSIGNED, or None for anyone
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    search: str = ""

    def apply(self, query: Select) -> Select:  # type: ignore[type-arg]
        if self.statuses:
            query = query.where(DataSubjectRequest.status.in_(self.statuses))
        if self.kinds:
            query = query.where(DataSubjectRequest.kind.in_(self.kinds))
        if self.assignee_id == UNASSIGNED:
            query = query.where(DataSubjectRequest.assignee_id.is_(None))
        elif self.assignee_id is not None:
            query = query.where(DataSubjectRequest.assignee_id == self.assignee_id)
        if self.received_from:
            query = query.where(DataSubjectRequest.received_on >= self.received_from)
        if self.received_to:
            query = query.where(DataSubjectRequest.received_on <= self.received_to)
        if text := " ".join(self.search.split()).lower()[: settings.MAX_SHORT_TEXT]:
            # Escaped so that % and _ typed by a user are matched literally.
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            query = query.where(
                or_(
                    func.lower(DataSubjectRequest.requester_name).like(pattern, escape="\\"),
                    func.lower(DataSubjectRequest.requester_contact).like(pattern, escape="\\"),
                )
            )
        return query

    def describe(self, assignee_names: Mapping[int, str] | None = None) -> str:
        statuses = [STATUS_LABELS[RequestStatus(s)].lower() for s in self.statuses]
        parts = [f"Requests {' or '.join(statuses)}" if statuses else "All requests"]
        if self.kinds:
            parts.append("of kind " + " or ".join(KIND_LABELS[RequestKind(k)] for k in self.kinds))
        if self.assignee_id == UNASSIGNED:
            parts.append("not assigned to anyone")
        elif self.assignee_id is not None:
            name = (assignee_names or {}).get(self.assignee_id, f"user #{self.assignee_id}")
            parts.append(f"assigned to {name}")
        if self.received_from and self.received_to:
            parts.append(
                f"received {finnish_date(self.received_from)}–{finnish_date(self.received_to)}"
            )
        elif self.received_from:
            parts.append(f"received on or after {finnish_date(self.received_from)}")
        elif self.received_to:
            parts.append(f"received on or before {finnish_date(self.received_to)}")
        if self.search.strip():
            parts.append(f'whose requester name or contact contains "{self.search.strip()}"')
        return ", ".join(parts)


@dataclass(frozen=True)
class QueueRow:
    id: int
    kind: str
    channel: str
    requester_name: str
    requester_contact: str
    person_id: int | None
    person_name: str | None
    received_on: dt.date
    due_on: dt.date
    days_left: str
    urgency: str
    status: str
    assignee_name: str | None


_Assignee = aliased(AppUser)


def _queue_query() -> Select:  # type: ignore[type-arg]
    return (
        select(
            DataSubjectRequest.id,
            DataSubjectRequest.kind,
            DataSubjectRequest.channel,
            DataSubjectRequest.requester_name,
            DataSubjectRequest.requester_contact,
            DataSubjectRequest.person_id,
            Person.first_name,
            Person.last_name,
            DataSubjectRequest.received_on,
            DataSubjectRequest.due_on,
            DataSubjectRequest.status,
            _Assignee.display_name,
        )
        .outerjoin(Person, Person.id == DataSubjectRequest.person_id)
        .outerjoin(_Assignee, _Assignee.id == DataSubjectRequest.assignee_id)
        # Open requests first, soonest due first; closed ones after them.
        .order_by(
            case((DataSubjectRequest.status.in_(list(OPEN_REQUEST_STATUSES)), 0), else_=1),
            DataSubjectRequest.due_on,
            DataSubjectRequest.id,
        )
    )


def _row(values, today: dt.date) -> QueueRow:  # type: ignore[no-untyped-def]
    (rid, kind, channel, name, contact, pid, first, last, received, due, status, assignee) = values
    open_ = RequestStatus(status) in _OPEN
    return QueueRow(
        rid,
        kind,
        channel,
        name,
        contact,
        pid,
        f"{first} {last}" if pid is not None else None,
        received,
        due,
        deadlines.describe_days_left(due, today) if open_ else "closed",
        urgency(status, due, today),
        status,
        assignee,
    )


def queue(
    session: Session,
    actor: Actor,
    queue_filter: QueueFilter,
    today: dt.date | None = None,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
) -> list[QueueRow]:
    """One page of the filtered queue: open requests first, soonest due first."""
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    limit = max(1, min(limit, settings.MAX_PAGE_SIZE))
    query = queue_filter.apply(_queue_query()).limit(limit).offset(max(0, offset))
    return [_row(values, today) for values in session.execute(query)]


def count(session: Session, actor: Actor, queue_filter: QueueFilter) -> int:
    require(actor, Permission.HANDLE_REQUESTS)
    query = queue_filter.apply(select(func.count()).select_from(DataSubjectRequest))
    return session.scalar(query) or 0


@dataclass(frozen=True)
class QueueFigures:
    open: int
    due_this_week: int  # open, due within settings.DUE_SOON_DAYS, not overdue
    overdue: int
    median_days_to_close: float | None  # over requests closed in the window
    closed_in_window: int
    open_by_age: list[tuple[str, str, int]]  # (age band, kind, count)


def age_bands() -> list[tuple[int | None, str]]:
    """(upper bound in days or None, label) for the open-requests-by-age chart."""
    bands: list[tuple[int | None, str]] = []
    lower = 0
    for upper in settings.REQUEST_AGE_BANDS_DAYS:
        bands.append((upper, f"{lower}–{upper} days"))
        lower = upper + 1
    bands.append((None, f"over {settings.REQUEST_AGE_BANDS_DAYS[-1]} days"))
    return bands


def figures(session: Session, actor: Actor, today: dt.date | None = None) -> QueueFigures:
    """The queue's KPIs and the age chart, counted in SQL."""
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    r = DataSubjectRequest
    is_open = r.status.in_(list(OPEN_REQUEST_STATUSES))
    soon = today + dt.timedelta(days=settings.DUE_SOON_DAYS)
    open_, due_soon, overdue = session.execute(
        select(
            func.count(),
            func.count(case((r.due_on.between(today, soon), 1))),
            func.count(case((r.due_on < today, 1))),
        ).where(is_open)
    ).one()

    band_labels = age_bands()
    band = case(
        *[
            (r.received_on >= today - dt.timedelta(days=upper), literal(label))
            for upper, label in band_labels
            if upper is not None
        ],
        else_=literal(band_labels[-1][1]),
    ).label("band")
    by_age = session.execute(
        select(band, r.kind, func.count()).where(is_open).group_by(band, r.kind)
    ).all()
    order = {label: i for i, (_, label) in enumerate(band_labels)}
    open_by_age = sorted(((b, k, n) for b, k, n in by_age), key=lambda x: (order[x[0]], x[1]))

    # Only the closed requests of the window come back: a few numbers, not the table.
    since = dt.datetime.combine(
        today - dt.timedelta(days=settings.REQUEST_CLOSE_WINDOW_DAYS),
        dt.time(),
        settings.REGISTRY_TZ,
    )
    closed = session.execute(
        select(r.received_on, r.closed_at).where(
            r.status.in_([RequestStatus.COMPLETED, RequestStatus.REJECTED]), r.closed_at >= since
        )
    ).all()
    durations = [
        (closed_at.astimezone(settings.REGISTRY_TZ).date() - received).days
        for received, closed_at in closed
    ]
    return QueueFigures(
        open=open_,
        due_this_week=due_soon,
        overdue=overdue,
        median_days_to_close=statistics.median(durations) if durations else None,
        closed_in_window=len(durations),
        open_by_age=open_by_age,
    )


EXPORT_COLUMNS = (
    "request",
    "kind",
    "channel",
    "received_on",
    "due_on",
    "days_left",
    "status",
    "requester_name",
    "requester_contact",
    "person_id",
    "person_name",
    "assignee",
    "identity_method",
    "identity_verified_at",
    "extension_reason",
    "extended_at",
    "report_generated_at",
    "outcome",
    "closed_at",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    # A leading = + - @ makes a spreadsheet run the cell as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(
    session: Session, actor: Actor, queue_filter: QueueFilter, today: dt.date | None = None
) -> str:
    """The whole filtered queue as CSV for an audit; the export itself is audited."""
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    r = DataSubjectRequest
    query = queue_filter.apply(
        _queue_query().add_columns(
            r.identity_method,
            r.identity_verified_at,
            r.extension_reason,
            r.extended_at,
            r.report_generated_at,
            r.outcome,
            r.closed_at,
        )
    ).limit(settings.REQUEST_EXPORT_MAX_ROWS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    rows = 0
    for values in session.execute(query.execution_options(yield_per=settings.EXPORT_BATCH_ROWS)):
        q = _row(values[:12], today)
        writer.writerow(
            _cell(v)
            for v in (
                q.id,
                q.kind,
                q.channel,
                q.received_on,
                q.due_on,
                q.days_left,
                q.status,
                q.requester_name,
                q.requester_contact,
                q.person_id,
                q.person_name,
                q.assignee_name,
                *values[12:],
            )
        )
        rows += 1
    audit.record(
        session,
        actor,
        "requests_exported",
        "data_subject_request",
        None,
        f"{rows} rows: {queue_filter.describe()}",
    )
    session.commit()
    return out.getvalue()
