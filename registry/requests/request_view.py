"""One request as its view shows it, with the steps taken; opening it is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, deadlines
from registry.errors import NotFound
from registry.models import AppUser, DataSubjectRequest, RequestTransition
from registry.permissions import Actor, Permission, require
from registry.requests.rules import (
    ACTION_LABELS,
    OPEN_STATUSES,
    Action,
    allowed_actions,
    original_due,
    urgency,
)
from registry.restricted import restricted_among
from registry.vocabulary import RequestStatus


@dataclass(frozen=True)
class RequestHistoryEntry:
    """One step of a request's workflow (logged, assigned, verified, ...) as its view lists it."""

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
    history: tuple[RequestHistoryEntry, ...] = ()
    reply_language: str = "fi"
    extension_told_on: dt.date | None = None
    extension_told_channel: str | None = None
    person_restricted: bool = False  # the matched person's processing is restricted (Art. 18)
    objection_recorded_at: dt.datetime | None = None
    data_exported_at: dt.datetime | None = None


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
    open_ = RequestStatus(r.status) in OPEN_STATUSES
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
            RequestHistoryEntry(
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
        person_restricted=r.person_id is not None
        and bool(restricted_among(session, [r.person_id])),
        objection_recorded_at=r.objection_recorded_at,
        data_exported_at=r.data_exported_at,
    )


def record_view(session: Session, actor: Actor, request_id: int) -> None:
    """Opening a request shows the requester's personal data: audited once per opening."""
    require(actor, Permission.HANDLE_REQUESTS)
    audit.record(session, actor, "request_viewed", "data_subject_request", request_id)
    session.commit()
