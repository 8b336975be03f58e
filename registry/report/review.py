"""The review before an access report is sent (Art. 15(4)): others' data in free text.

Free-text fields can carry other people's data (an activity detail naming a colleague,
consent evidence quoting someone else's email, a note). Before the final report the officer
reads them, and may withhold a passage with a reason. Each redaction is a row of
report_redaction with its audit event; undoing one marks it withdrawn, never deletes it.
The final report replaces each withheld passage by a numbered marker and lists the reasons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, settings
from registry.errors import ConflictError, NotFound, ValidationError
from registry.models import (
    Activity,
    Amendment,
    ConsentEvent,
    DataSubjectRequest,
    ReportRedaction,
    utcnow,
)
from registry.permissions import Actor, Permission, require
from registry.vocabulary import RequestKind, RequestStatus

# (record type, field) -> what the review calls it. The fields that are free text.
FREE_TEXT_FIELDS: dict[tuple[str, str], str] = {
    ("activity", "detail"): "Activity detail",
    ("consent_event", "evidence"): "Consent evidence",
    ("data_subject_request", "details"): "What a request says",
    ("data_subject_request", "outcome"): "A request's outcome note",
    ("amendment", "reason"): "Reason for a correction",
}
_MODELS: dict[str, type[Activity | ConsentEvent | DataSubjectRequest | Amendment]] = {
    "activity": Activity,
    "consent_event": ConsentEvent,
    "data_subject_request": DataSubjectRequest,
    "amendment": Amendment,
}
_REVIEWABLE = (RequestStatus.VERIFIED, RequestStatus.EXTENDED)


@dataclass(frozen=True)
class Redaction:
    id: int
    record_type: str
    record_id: str
    field: str
    passage: str
    reason: str
    redacted_at: dt.datetime


@dataclass(frozen=True)
class FreeText:
    """One free-text value on the person, with the passages already withheld from it."""

    record_type: str
    record_id: str
    field: str
    label: str
    at: dt.datetime | dt.date | None
    text: str
    redactions: tuple[Redaction, ...]


def _request(session: Session, request_id: int) -> DataSubjectRequest:
    request = session.get(DataSubjectRequest, request_id)
    if request is None:
        raise NotFound(f"No request #{request_id}.")
    if request.kind != RequestKind.ACCESS:
        raise ConflictError(f"Request #{request_id} is not an access request.")
    return request


def active_redactions(session: Session, request_id: int) -> list[Redaction]:
    """The request's redactions in force, in the order they were made (their numbers)."""
    rows = session.scalars(
        select(ReportRedaction)
        .where(ReportRedaction.request_id == request_id, ReportRedaction.withdrawn_at.is_(None))
        .order_by(ReportRedaction.id)
    )
    return [
        Redaction(r.id, r.record_type, r.record_id, r.field, r.passage, r.reason, r.redacted_at)
        for r in rows
    ]


def _values(session: Session, person_id: int) -> list[tuple[str, str, str, object, str]]:
    """(record type, record id, field, when, text) of every non-empty free text."""
    found: list[tuple[str, str, str, object, str]] = []
    for a in session.scalars(
        select(Activity)
        .where(Activity.person_id == person_id, Activity.detail.is_not(None), Activity.detail != "")
        .order_by(Activity.occurred_at, Activity.id)
    ):
        found.append(("activity", str(a.id), "detail", a.occurred_at, a.detail or ""))
    for e in session.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.person_id == person_id, ConsentEvent.evidence.is_not(None))
        .order_by(ConsentEvent.occurred_at, ConsentEvent.id)
    ):
        if e.evidence:
            found.append(("consent_event", str(e.id), "evidence", e.occurred_at, e.evidence))
    for r in session.scalars(
        select(DataSubjectRequest)
        .where(DataSubjectRequest.person_id == person_id)
        .order_by(DataSubjectRequest.received_on, DataSubjectRequest.id)
    ):
        for field in ("details", "outcome"):
            if text := getattr(r, field):
                found.append(("data_subject_request", str(r.id), field, r.received_on, text))
    for m in session.scalars(
        select(Amendment)
        .where(Amendment.person_id == person_id)
        .order_by(Amendment.amended_at, Amendment.id)
    ):
        if m.reason:
            found.append(("amendment", str(m.id), "reason", m.amended_at, m.reason))
    return found


def free_texts(session: Session, actor: Actor, request_id: int) -> list[FreeText]:
    """Every free text on the request's person that may carry others' data, to review."""
    require(actor, Permission.GENERATE_ACCESS_REPORT)
    request = _request(session, request_id)
    if request.person_id is None:
        return []
    withheld: dict[tuple[str, str, str], list[Redaction]] = {}
    for r in active_redactions(session, request_id):
        withheld.setdefault((r.record_type, r.record_id, r.field), []).append(r)
    return [
        FreeText(
            kind,
            rid,
            field,
            FREE_TEXT_FIELDS[(kind, field)],
            at,  # type: ignore[arg-type]
            text,
            tuple(withheld.get((kind, rid, field), ())),
        )
        for kind, rid, field, at, text in _values(session, request.person_id)
    ]


def _owned_text(
    session: Session, request: DataSubjectRequest, record_type: str, record_id: str, field: str
) -> str:
    """The field's text, if the record is the request's person's; else a ValidationError."""
    if (record_type, field) not in FREE_TEXT_FIELDS:
        raise ValidationError({"field": "Only the free-text fields listed can be redacted."})
    model = _MODELS[record_type]
    row = session.get(model, int(record_id)) if record_id.isdigit() else None
    owner = getattr(row, "person_id", None)
    if row is None or owner is None or owner != request.person_id:
        raise ValidationError({"field": "That text is not part of this person's report."})
    return getattr(row, field) or ""


def add_redaction(
    session: Session,
    actor: Actor,
    request_id: int,
    record_type: str,
    record_id: str,
    field: str,
    passage: str,
    reason: str,
) -> Redaction:
    """Withhold `passage` of one free text from the request's report (Art. 15(4))."""
    require(actor, Permission.GENERATE_ACCESS_REPORT)
    request = _request(session, request_id)
    if request.status not in _REVIEWABLE:
        raise ConflictError(
            f"Request #{request_id} is {request.status}: only an open, identity-verified "
            "request's report can be reviewed."
        )
    errors: dict[str, str] = {}
    text = _owned_text(session, request, record_type, record_id, field)
    if not passage.strip():
        errors["passage"] = "Copy the passage to withhold from the text."
    elif passage not in text:
        errors["passage"] = "The passage is not in this text; copy it exactly."
    reason = reason.strip()
    if not reason:
        errors["reason"] = "Say why the passage is withheld, e.g. whose data it is."
    elif len(reason) > settings.MAX_SHORT_TEXT:
        errors["reason"] = f"Keep the reason under {settings.MAX_SHORT_TEXT} characters."
    if errors:
        raise ValidationError(errors)
    row = ReportRedaction(
        request_id=request_id,
        record_type=record_type,
        record_id=record_id,
        field=field,
        passage=passage,
        reason=reason,
        redacted_by=actor.user_id,
        redacted_at=utcnow(),
    )
    try:
        session.add(row)
        session.flush()
        # The passage itself stays out of the audit trail: it is someone's personal data.
        audit.record(
            session,
            actor,
            "report_redaction_added",
            "data_subject_request",
            request_id,
            f"{record_type} {record_id} {field}: {len(passage)} characters withheld; {reason}",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Redaction(row.id, record_type, record_id, field, passage, reason, row.redacted_at)


def withdraw_redaction(session: Session, actor: Actor, redaction_id: int) -> None:
    """Put a withheld passage back into the report; the redaction stays, marked withdrawn."""
    require(actor, Permission.GENERATE_ACCESS_REPORT)
    row = session.get(ReportRedaction, redaction_id)
    if row is None or row.withdrawn_at is not None:
        raise NotFound(f"No redaction #{redaction_id} in force.")
    request = _request(session, row.request_id)
    if request.status not in _REVIEWABLE:
        raise ConflictError(f"Request #{request.id} is {request.status}: its review is closed.")
    try:
        row.withdrawn_at = utcnow()
        row.withdrawn_by = actor.user_id
        audit.record(
            session,
            actor,
            "report_redaction_withdrawn",
            "data_subject_request",
            row.request_id,
            f"redaction #{row.id} of {row.record_type} {row.record_id} {row.field}",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise


class Redactor:
    """Applies a request's redactions to the texts of its report, numbering them."""

    def __init__(self, redactions: list[Redaction], marker: Callable[[int], str]) -> None:
        self._by_field: dict[tuple[str, str, str], list[tuple[int, Redaction]]] = {}
        for number, r in enumerate(redactions, 1):
            self._by_field.setdefault((r.record_type, r.record_id, r.field), []).append((number, r))
        self.redactions = redactions
        self._marker = marker

    def __call__(self, record_type: str, record_id: object, field: str, text: str) -> str:
        # Longest passages first, so a passage inside another is not split by the shorter;
        # through placeholders, so no passage is ever looked for inside a marker.
        todo = self._by_field.get((record_type, str(record_id), field), [])
        for number, r in sorted(todo, key=lambda x: -len(x[1].passage)):
            text = text.replace(r.passage, f"\x00{number}\x00")
        for number, _ in todo:
            text = text.replace(f"\x00{number}\x00", self._marker(number))
        return text


NO_REDACTIONS = Redactor([], str)
