"""The Overview page's figures: aggregate counts only, no personal data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import deadlines
from registry.models import (
    ConsentState,
    DataSubjectRequest,
    Disclosure,
    Person,
    Recipient,
    utcnow,
)
from registry.permissions import Actor, Permission, require
from registry.recipients import disclosure_counts, status_of
from registry.sqlfunctions import day_of, month_of
from registry.vocabulary import OPEN_REQUEST_STATUSES, ConsentStatus, Purpose


@dataclass(frozen=True)
class RecipientProblem:
    name: str
    country: str
    problem: str


@dataclass(frozen=True)
class Overview:
    persons: int
    persons_added_per_month: list[tuple[str, int]]  # ("2026-01", n)
    consent_coverage: dict[Purpose, float]  # share of persons with a current grant
    open_requests: int
    open_requests_by_status: dict[str, int]
    overdue_requests: int
    overdue_by_kind: dict[str, int]
    disclosures_last_30_days: int
    disclosures_per_day: list[tuple[str, int]]  # ("2026-11-20", n), last 30 days
    transfer_problems: list[RecipientProblem]


def overview(session: Session, actor: Actor, today: dt.date | None = None) -> Overview:
    require(actor, Permission.VIEW_OVERVIEW)
    today = today or deadlines.today()
    # An erased person's row stays, emptied (Art. 17): it is no longer a person the registry
    # holds data on, so it is neither counted nor charted.
    held = Person.erased_at.is_(None)
    persons = session.scalar(select(func.count()).select_from(Person).where(held)) or 0

    month = month_of(Person.created_at)
    since = utcnow() - dt.timedelta(days=365)
    added = session.execute(
        select(month, func.count())
        .where(Person.created_at >= since, held)
        .group_by(month)
        .order_by(month)
    ).all()

    granted = dict(
        session.execute(
            select(ConsentState.purpose, func.count())
            .where(ConsentState.status == ConsentStatus.GRANTED)
            .group_by(ConsentState.purpose)
        ).all()
    )
    coverage = {p: (granted.get(p.value, 0) / persons if persons else 0.0) for p in Purpose}

    open_filter = DataSubjectRequest.status.in_(list(OPEN_REQUEST_STATUSES))
    by_status = dict(
        session.execute(
            select(DataSubjectRequest.status, func.count())
            .where(open_filter)
            .group_by(DataSubjectRequest.status)
        ).all()
    )
    overdue = dict(
        session.execute(
            select(DataSubjectRequest.kind, func.count())
            .where(open_filter, DataSubjectRequest.due_on < today)
            .group_by(DataSubjectRequest.kind)
        ).all()
    )

    window_start = dt.datetime.combine(today - dt.timedelta(days=29), dt.time(), dt.UTC)
    day = day_of(Disclosure.disclosed_at)
    per_day = session.execute(
        select(day, func.count())
        .where(Disclosure.disclosed_at >= window_start)
        .group_by(day)
        .order_by(day)
    ).all()

    # The mechanism's validity, what its safeguard lacks on record, a recurring derogation.
    counts = disclosure_counts(session)
    problems = [
        RecipientProblem(r.name, r.country, problem)
        for r in session.scalars(select(Recipient).where(Recipient.active).order_by(Recipient.name))
        if (problem := status_of(r, today, counts.get(r.id, 0)))
    ]
    return Overview(
        persons=persons,
        persons_added_per_month=[(m, n) for m, n in added],
        consent_coverage=coverage,
        open_requests=sum(by_status.values()),
        open_requests_by_status=by_status,
        overdue_requests=sum(overdue.values()),
        overdue_by_kind=overdue,
        disclosures_last_30_days=sum(n for _, n in per_day),
        disclosures_per_day=[(d, n) for d, n in per_day],
        transfer_problems=problems,
    )
