"""Drafts and the final report: the request workflow's REPORT step.

A draft is for the officer's review: shown, never stored or sent, its making audited (it
reads everything on the person). The final report is made in the request's reply
language with its redactions applied, and the exact HTML and JSON are stored with their
SHA-256 checksums in the same transaction as the step that records it (registry.report.sent).
Completing an access request needs a final report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from registry import audit
from registry.errors import ConflictError, NotFound
from registry.models import DataSubjectRequest, utcnow
from registry.permissions import Actor, Permission, require
from registry.report.build import build, build_for_person, to_html, to_json
from registry.report.contents import AccessReport
from registry.report.sent import store
from registry.requests import rules, transitions


@dataclass(frozen=True)
class Rendered:
    """A report and what was made of it."""

    report: AccessReport
    html: str
    json: str
    document_id: int | None = None  # the stored copy of a final report


def _reportable(session: Session, request_id: int) -> DataSubjectRequest:
    request = session.get(DataSubjectRequest, request_id)
    if request is None:
        raise NotFound(f"No request #{request_id}.")
    if not rules.allowed(rules.Action.REPORT, request.status, request.kind):
        # The same rule as the REPORT step: an open, identity-verified access request.
        raise ConflictError(
            f"Request #{request_id} is not an open, identity-verified access request: "
            "no report can be made for it."
        )
    return request


def preview(
    session: Session, actor: Actor, request_id: int, now: dt.datetime | None = None
) -> Rendered:
    """A draft of the report for review; audited, not stored, marked as a draft."""
    require(actor, Permission.GENERATE_ACCESS_REPORT)
    require(actor, Permission.HANDLE_REQUESTS)
    now = now or utcnow()
    request = _reportable(session, request_id)
    report, head = build(session, actor, request, now, final=False)
    rendered = Rendered(report, to_html(report, head), to_json(report))
    audit.record(
        session,
        actor,
        "access_report_previewed",
        "data_subject_request",
        request_id,
        f"draft in {report.language}: {report.record_count} records",
    )
    session.commit()
    return rendered


def generate(
    session: Session, actor: Actor, request_id: int, now: dt.datetime | None = None
) -> Rendered:
    """The final report for an identity-verified access request, stored as sent.

    Audited and recorded in the request's history in one commit; sets report_generated_at.
    """
    require(actor, Permission.GENERATE_ACCESS_REPORT)
    now = now or utcnow()
    made: list[Rendered] = []

    def change(request: DataSubjectRequest) -> str:
        report, head = build(session, actor, request, now, final=True)
        html, json_text = to_html(report, head), to_json(report)
        document = store(session, actor, request, "access_report", html, json_text, at=now)
        request.report_generated_at = now
        made.append(Rendered(report, html, json_text, document.id))
        what = (
            f"person {request.person_id}: {report.record_count} records"
            if report.holds_data
            else "no personal data held on the requester"
        )
        withheld = f", {len(report.redactions)} passages withheld" if report.redactions else ""
        return f"{what}{withheld}; {report.language}; stored copy #{document.id}"

    transitions.step(session, actor, request_id, rules.Action.REPORT, change)
    return made[0]


def generate_for_person(
    session: Session, actor: Actor, person_id: int, language: str, now: dt.datetime | None = None
) -> Rendered:
    """The report for a person outside any request (the command line): audited as a
    generation of an access report on that person."""
    require(actor, Permission.GENERATE_ACCESS_REPORT)
    now = now or utcnow()
    report, head = build_for_person(session, actor, person_id, now, language)
    rendered = Rendered(report, to_html(report, head), to_json(report))
    audit.record(
        session,
        actor,
        "access_report_generated",
        "person",
        person_id,
        f"{language}: {report.record_count} records",
    )
    session.commit()
    return rendered
