"""Letters the workflow sends besides the report, and the deadlines they answer to.

- Extending a request (Art. 12(3)) makes the notice of extension, with its reasons, in the
  same transaction; telling the person (date, channel) is a step of its own, and a request
  whose notify-by date (the first month's due date) passed without it is flagged.
- Rejecting a request (Art. 12(4)) makes the decision not to act: the reasons, the right
  to complain to the Data Protection Ombudsman and to a judicial remedy. A rejection after
  the (possibly extended) due date is flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import deadlines, formats, settings
from registry.errors import ValidationError
from registry.models import AppUser, DataSubjectRequest, Person
from registry.permissions import Actor, Permission, require
from registry.report.build import address_block, reference
from registry.report.language import LANGUAGE_NAMES, LANGUAGES, words
from registry.report.letters import LetterHead, extension_html, refusal_html
from registry.report.sent import store
from registry.requests import rules, transitions
from registry.vocabulary import RequestStatus

# How a person may be told of an extension (Art. 12(1): in writing, or by other means).
TOLD_CHANNELS: dict[str, str] = {
    "letter": "Letter",
    "email": "Email",
    "phone": "Phone",
}

# The flags the queue shows, and what they say.
FLAG_LABELS: dict[str, str] = {
    "extension_not_told": "Extension not told in time",
    "extension_told_late": "Extension told after the notify-by date",
    "rejected_late": "Rejected after the due date",
    "completed_late": "Completed after the due date",
}


def _head(
    session: Session, actor: Actor, request: DataSubjectRequest, date: dt.datetime | None
) -> LetterHead:
    t = words(request.reply_language)
    person = session.get(Person, request.person_id) if request.person_id is not None else None
    lines, email_to, abroad = address_block(
        request.requester_name, person, request.requester_contact, request.channel, t
    )
    user = session.get(AppUser, actor.user_id) if actor.user_id is not None else None
    return LetterHead(
        request.reply_language,
        reference(request.id),
        date or dt.datetime.now(dt.UTC),
        request.received_on,
        request.requester_name,
        lines,
        email_to,
        user.display_name if user else actor.display_name or actor.username,
        abroad=abroad,
    )


def store_extension_letter(session: Session, actor: Actor, request: DataSubjectRequest) -> str:
    """Make and keep the notice of extension, in the extending step's transaction; returns
    what the step's note adds."""
    require(actor, Permission.HANDLE_REQUESTS)
    html = extension_html(
        _head(session, actor, request, request.extended_at),
        kind=request.kind,
        due_on=request.due_on,
        reason=request.extension_reason or "",
    )
    document = store(session, actor, request, "extension", html, at=request.extended_at)
    return f"; notice of extension #{document.id} ({request.reply_language})"


def store_refusal_letter(
    session: Session, actor: Actor, request: DataSubjectRequest, *, late: bool
) -> str:
    """Make and keep the decision not to act, in the rejecting step's transaction."""
    require(actor, Permission.HANDLE_REQUESTS)
    html = refusal_html(
        _head(session, actor, request, request.closed_at),
        kind=request.kind,
        due_on=request.due_on,
        reason=request.outcome or "",
        late=late,
    )
    document = store(session, actor, request, "refusal", html, at=request.closed_at)
    return f"; decision not to act #{document.id} ({request.reply_language})"


def notify_by(received_on: dt.date) -> dt.date:
    """Art. 12(3): an extension must be told within one month of receipt."""
    return rules.original_due(received_on)


def record_extension_told(
    session: Session,
    actor: Actor,
    request_id: int,
    told_on: dt.date,
    channel: str,
    today: dt.date | None = None,
) -> None:
    """The person was told of the extension and its reasons: when, and how."""
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    errors: dict[str, str] = {}
    if channel not in TOLD_CHANNELS:
        errors["channel"] = "Choose how the person was told."
    if told_on > today:
        errors["told_on"] = "The person cannot have been told in the future."
    if errors:
        raise ValidationError(errors)

    def change(request: DataSubjectRequest) -> str:
        extended = request.extended_at
        if extended and told_on < extended.astimezone(settings.REGISTRY_TZ).date():
            raise ValidationError({"told_on": "The person cannot be told before the extension."})
        request.extension_told_on = told_on
        request.extension_told_channel = channel
        limit = notify_by(request.received_on)
        late = (
            f"; after the notify-by date {formats.finnish_date(limit)}" if told_on > limit else ""
        )
        return f"{formats.finnish_date(told_on)} by {TOLD_CHANNELS[channel].lower()}{late}"

    transitions.step(session, actor, request_id, rules.Action.TELL_EXTENSION, change)


def set_reply_language(session: Session, actor: Actor, request_id: int, language: str) -> None:
    """The language of the request's letters from now on; letters already sent stay as sent."""
    require(actor, Permission.HANDLE_REQUESTS)
    if language not in LANGUAGES:
        raise ValidationError({"reply_language": "Choose Finnish, Swedish or English."})

    def change(request: DataSubjectRequest) -> str:
        before = request.reply_language
        request.reply_language = language
        return f"{LANGUAGE_NAMES.get(before, before)} -> {LANGUAGE_NAMES[language]}"

    transitions.step(session, actor, request_id, rules.Action.LANGUAGE, change)


def flags_of(
    status: str,
    received_on: dt.date,
    due_on: dt.date,
    extended_at: dt.datetime | None,
    told_on: dt.date | None,
    closed_at: dt.datetime | None,
    today: dt.date,
) -> tuple[str, ...]:
    """What the queue flags on one request (keys of FLAG_LABELS)."""
    flags = []
    if extended_at is not None:
        limit = notify_by(received_on)
        if told_on is None and today > limit:
            flags.append("extension_not_told")
        elif told_on is not None and told_on > limit:
            flags.append("extension_told_late")
    if closed_at is not None and closed_at.astimezone(settings.REGISTRY_TZ).date() > due_on:
        if status == RequestStatus.REJECTED:
            flags.append("rejected_late")
        elif status == RequestStatus.COMPLETED:
            flags.append("completed_late")
    return tuple(flags)


def deadline_flags(
    session: Session, actor: Actor, request_ids: Iterable[int], today: dt.date | None = None
) -> dict[int, tuple[str, ...]]:
    """The flags of the requests shown (a page of the queue), by request id."""
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    ids = list(request_ids)
    if not ids:
        return {}
    r = DataSubjectRequest
    rows = session.execute(
        select(
            r.id, r.status, r.received_on, r.due_on, r.extended_at, r.extension_told_on, r.closed_at
        ).where(r.id.in_(ids))
    ).all()
    found = {
        rid: flags_of(status, received, due, extended, told, closed, today)
        for rid, status, received, due, extended, told, closed in rows
    }
    return {rid: flags for rid, flags in found.items() if flags}


def untold_extensions(
    session: Session, actor: Actor, today: dt.date | None = None
) -> list[tuple[int, dt.date]]:
    """Open extended requests whose person was not told by the notify-by date:
    (request id, notify-by date), the most overdue first. Extended requests are few."""
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    r = DataSubjectRequest
    rows = session.execute(
        select(r.id, r.received_on).where(
            r.status == RequestStatus.EXTENDED, r.extension_told_on.is_(None)
        )
    ).all()
    late = [(rid, notify_by(received)) for rid, received in rows]
    return sorted(((rid, d) for rid, d in late if today > d), key=lambda x: (x[1], x[0]))
