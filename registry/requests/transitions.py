"""The steps of a request's workflow. Each step locks the request row, checks the table
(`rules.TRANSITIONS`), writes a request_transition row (who, when, note) and an audit event,
and commits once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from registry import audit, deadlines, settings, validation
from registry.errors import ConflictError, NotFound, ValidationError
from registry.formats import finnish_date
from registry.models import AppUser, DataSubjectRequest, Person, RequestTransition, utcnow
from registry.permissions import ROLE_PERMISSIONS, Actor, Permission, require
from registry.requests import effects
from registry.requests.rules import (
    IDENTITY_METHODS,
    TRANSITIONS,
    Action,
    allowed,
    original_due,
)
from registry.vocabulary import RequestKind, RequestStatus

_OTHER_METHOD = IDENTITY_METHODS[-1]

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
    Action.PORTABLE: (
        "answered with the person's data",
        "only an open, identity-verified portability request can be",
    ),
}


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
        status = RequestStatus(request.status).label.lower()
        if action is Action.REPORT and request.kind != RequestKind.ACCESS:
            raise ConflictError(f"Request #{request_id} is not an access request.")
        done, needs = _REFUSALS[action]
        raise ConflictError(f"Request #{request_id} is {status}: it cannot be {done} ({needs}).")
    return request


def record_transition(
    session: Session,
    actor: Actor,
    request: DataSubjectRequest,
    action: Action,
    from_status: str | None,
    note: str = "",
) -> None:
    """The transition row and its audit event, in the caller's transaction (logging a
    request writes its first one too)."""
    require(actor, Permission.HANDLE_REQUESTS)
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
        record_transition(session, actor, request, action, from_status, note)
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
    if problem := validation.refused_character(value, validation.MULTILINE):
        raise ValidationError({key: problem})
    return value


def match_person(session: Session, actor: Actor, request_id: int, person_id: int) -> None:
    require(actor, Permission.HANDLE_REQUESTS)

    def change(request: DataSubjectRequest) -> str:
        person = session.get(Person, person_id)
        if person is None:
            raise ValidationError({"person_id": "That person is no longer in the registry."})
        request.person_id = person_id
        # By id only: the audit trail outlives an erasure. An objection takes effect the
        # moment its person is known (Art. 21(3)).
        return f"person {person_id}" + effects.on_person_known(session, actor, request)

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
    validation.refuse_hidden(errors, {"note": note}, allowed=validation.MULTILINE)
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


def complete(
    session: Session, actor: Actor, request_id: int, outcome: str, ground: str | None = None
) -> None:
    """Close the request with its outcome, and carry it out in this same transaction
    (registry.requests.effects): an objection not yet recorded is recorded, a restriction
    request restricts the person on `ground` (Art. 18(1)), a portability request needs its
    data generated. An access request needs its report generated first.
    """
    require(actor, Permission.HANDLE_REQUESTS)
    outcome = _required(outcome, "outcome", "Describe the outcome: what was done or sent.")

    def change(request: DataSubjectRequest) -> str:
        if request.kind == RequestKind.ERASURE:
            # Art. 17: completing an erasure erases; registry.erasure does both at once.
            raise ValidationError(
                {"outcome": "An erasure request is completed by erasing: preview it first."}
            )
        if request.kind == RequestKind.ACCESS and request.report_generated_at is None:
            raise ValidationError({"outcome": "Generate the access report before completing."})
        done = effects.on_complete(session, actor, request, outcome, ground)
        request.outcome = outcome
        request.closed_at = utcnow()
        return outcome + done

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
