"""Logging a request from any channel (Art. 12(2): letter, email, web form, phone, in person),
with its receipt date in Helsinki; `due_on` stores its
due date so the queue can sort and count in SQL."""

from __future__ import annotations

import datetime as dt

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from registry import deadlines, settings, validation
from registry.errors import ValidationError
from registry.models import DataSubjectRequest, Person, utcnow
from registry.permissions import Actor, Permission, require
from registry.requests import effects
from registry.requests.rules import GDPR_APPLIES_FROM, Action
from registry.requests.transitions import record_transition
from registry.vocabulary import RequestChannel, RequestKind, RequestStatus


def _text(value: str, limit: int, errors: dict[str, str], key: str, what: str) -> str:
    value = value.strip()
    if not value:
        errors[key] = f"Enter {what}."
    elif len(value) > limit:
        errors[key] = f"Keep {what} under {limit} characters."
    validation.refuse_hidden(errors, {key: value})
    return value


def _email(value: str, errors: dict[str, str], key: str) -> str:
    if problem := validation.formula_email(value):
        errors[key] = problem
        return value
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
    """Log a request; its due date follows from the receipt date. An objection matched to a
    person is recorded at once (registry.requests.effects).

    The reply language defaults from the request (registry.report.language)."""
    from registry.report.language import LANGUAGES, default_language

    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    errors: dict[str, str] = {}
    if kind not in RequestKind.__members__.values():
        errors["kind"] = "Choose what the person asks for."
    if channel not in RequestChannel.__members__.values():
        errors["channel"] = "Choose how the request came in."
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
    validation.refuse_hidden(errors, {"details": details}, allowed=validation.MULTILINE)
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
        how = f"{RequestKind(kind).label} by {RequestChannel(channel).label.lower()}"
        # An objection matched to a person takes effect now, before any identity check.
        how += effects.on_person_known(session, actor, request)
        record_transition(session, actor, request, Action.LOG, None, how)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return request
