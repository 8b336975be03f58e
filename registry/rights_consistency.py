"""Contradictions between what the records say of objections and restrictions and what the
data shows (issue 14): a pure read, returning findings, for `python -m registry check` and
the Overview to list and count.

- A completed objection request (Art. 21) whose person has no objection recorded.
- A completed restriction request (Art. 18) whose person was never restricted by it.
- A restricted person whose data was disclosed while the restriction was in force.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from registry.models import (
    ConsentEvent,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    Restriction,
)
from registry.permissions import Actor, Permission, require
from registry.vocabulary import (
    OBJECTING_KINDS,
    RESTRICTING_KINDS,
    ConsentStatus,
    RequestStatus,
)


@dataclass(frozen=True)
class Finding:
    """One contradiction, in a sentence that names records by id only (no personal data)."""

    rule: str  # objection_not_recorded, restriction_not_applied, disclosed_while_restricted
    record_type: str
    record_id: int
    person_id: int | None
    text: str


def objections_not_recorded(session: Session) -> list[Finding]:
    r = DataSubjectRequest
    objected = (
        select(ConsentEvent.id)
        .where(
            ConsentEvent.person_id == r.person_id,
            ConsentEvent.status == ConsentStatus.OBJECTED,
        )
        .exists()
    )
    rows = session.execute(
        select(r.id, r.person_id)
        .where(
            r.kind.in_([k.value for k in OBJECTING_KINDS]),
            r.status == RequestStatus.COMPLETED,
            r.person_id.is_not(None),
            ~objected,
        )
        .order_by(r.id)
    ).all()
    return [
        Finding(
            "objection_not_recorded",
            "data_subject_request",
            rid,
            pid,
            f"Request #{rid} is a completed objection, but person {pid} has no objection "
            "recorded (Art. 21(3)).",
        )
        for rid, pid in rows
    ]


def restrictions_not_applied(session: Session) -> list[Finding]:
    r = DataSubjectRequest
    restricted = (
        select(Restriction.id)
        .where(Restriction.person_id == r.person_id, Restriction.request_id == r.id)
        .exists()
    )
    rows = session.execute(
        select(r.id, r.person_id)
        .where(
            r.kind.in_([k.value for k in RESTRICTING_KINDS]),
            r.status == RequestStatus.COMPLETED,
            r.person_id.is_not(None),
            ~restricted,
        )
        .order_by(r.id)
    ).all()
    return [
        Finding(
            "restriction_not_applied",
            "data_subject_request",
            rid,
            pid,
            f"Request #{rid} is a completed restriction, but person {pid} was never restricted "
            "by it (Art. 18).",
        )
        for rid, pid in rows
    ]


def disclosed_while_restricted(session: Session) -> list[Finding]:
    """Disclosures of a person made while their restriction was in force (Art. 18(2))."""
    rows = session.execute(
        select(Restriction.id, Restriction.person_id, Disclosure.id)
        .join(DisclosedPerson, DisclosedPerson.person_id == Restriction.person_id)
        .join(
            Disclosure,
            and_(
                Disclosure.id == DisclosedPerson.disclosure_id,
                Disclosure.disclosed_at >= Restriction.since,
            ),
        )
        .where(
            (Restriction.lifted_at.is_(None)) | (Disclosure.disclosed_at < Restriction.lifted_at)
        )
        .order_by(Restriction.person_id, Disclosure.id)
    ).all()
    return [
        Finding(
            "disclosed_while_restricted",
            "disclosure",
            did,
            pid,
            f"Disclosure #{did} holds person {pid}, whose processing was restricted then "
            f"(restriction #{rid}, Art. 18(2)).",
        )
        for rid, pid, did in rows
    ]


def findings(session: Session, actor: Actor) -> list[Finding]:
    """Every contradiction of objections and restrictions; empty when the records hold."""
    require(actor, Permission.HANDLE_REQUESTS)
    return [
        *objections_not_recorded(session),
        *restrictions_not_applied(session),
        *disclosed_while_restricted(session),
    ]
