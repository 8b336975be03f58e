"""The consent page's review: events per month, status by source and by relationship, and
current grants without evidence (Art. 7(1)) with the persons they belong to.

Counted in SQL over `consent_state` and the events; `registry.consent` records the events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from registry import settings
from registry.consent import granted_without_evidence
from registry.models import ConsentEvent, ConsentState, Person, utcnow
from registry.permissions import Actor, Permission, require
from registry.persons import PersonMatch, person_match
from registry.sqlfunctions import month_of
from registry.vocabulary import ConsentStatus, Purpose


@dataclass(frozen=True)
class MonthlyChanges:
    month: str  # "2026-03", UTC
    granted: int  # opt-ins
    withdrawn: int
    objected: int

    @property
    def opt_outs(self) -> int:
        return self.withdrawn + self.objected


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first = today.replace(day=1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return starts[::-1]


def changes_per_month(
    session: Session,
    actor: Actor,
    purpose: str | None = None,
    months: int = settings.CONSENT_TREND_MONTHS,
    today: dt.date | None = None,
) -> list[MonthlyChanges]:
    """Consent events per month over the last `months` months, oldest first, zero-filled.

    Counted in SQL over the events (a person withdrawing three purposes counts three times),
    for one purpose or all.
    """
    require(actor, Permission.VIEW_CONSENT)
    starts = _month_starts(today or utcnow().date(), months)
    since = dt.datetime.combine(starts[0], dt.time(), dt.UTC)
    month = month_of(ConsentEvent.occurred_at).label("month")
    query = (
        select(month, ConsentEvent.status, func.count())
        .where(ConsentEvent.occurred_at >= since)
        .group_by(month, ConsentEvent.status)
    )
    if purpose is not None:
        query = query.where(ConsentEvent.purpose == purpose)
    counts = {(m, s): n for m, s, n in session.execute(query)}
    result = []
    for start in starts:
        key = start.strftime("%Y-%m")
        result.append(
            MonthlyChanges(
                key,
                counts.get((key, ConsentStatus.GRANTED.value), 0),
                counts.get((key, ConsentStatus.WITHDRAWN.value), 0),
                counts.get((key, ConsentStatus.OBJECTED.value), 0),
            )
        )
    return result


def status_by_source(
    session: Session, actor: Actor, purpose: str
) -> dict[str, dict[ConsentStatus, int]]:
    """Persons per source of their current event and status, for one purpose."""
    require(actor, Permission.VIEW_CONSENT)
    rows = session.execute(
        select(ConsentEvent.source, ConsentState.status, func.count())
        # The event's own purpose is the same; saying so lets PostgreSQL skip most probes.
        .join(
            ConsentEvent,
            and_(ConsentEvent.id == ConsentState.event_id, ConsentEvent.purpose == purpose),
        )
        .where(ConsentState.purpose == purpose)
        .group_by(ConsentEvent.source, ConsentState.status)
    ).all()
    result: dict[str, dict[ConsentStatus, int]] = {}
    for source, status, n in rows:
        result.setdefault(source, {})[ConsentStatus(status)] = n
    return result


def status_by_relationship(
    session: Session, actor: Actor, purpose: str
) -> dict[str, dict[ConsentStatus, int]]:
    """Persons per relationship type and current status for one purpose, never asked included."""
    require(actor, Permission.VIEW_CONSENT)
    persons = dict(
        session.execute(
            select(Person.relationship, func.count()).group_by(Person.relationship)
        ).all()
    )
    rows = session.execute(
        select(Person.relationship, ConsentState.status, func.count())
        .join(Person, Person.id == ConsentState.person_id)
        .where(ConsentState.purpose == purpose)
        .group_by(Person.relationship, ConsentState.status)
    ).all()
    result: dict[str, dict[ConsentStatus, int]] = {
        r: dict.fromkeys(ConsentStatus, 0) for r in persons
    }
    for relationship, status, n in rows:
        result[relationship][ConsentStatus(status)] = n
    for relationship, total in persons.items():
        asked = sum(result[relationship].values())
        result[relationship][ConsentStatus.NEVER_ASKED] = total - asked
    return result


def missing_evidence_counts(session: Session, actor: Actor) -> dict[Purpose, int]:
    """Current grants whose winning event carries no evidence, per purpose."""
    require(actor, Permission.VIEW_CONSENT)
    rows = dict(
        session.execute(
            select(ConsentState.purpose, func.count())
            .where(granted_without_evidence())
            .group_by(ConsentState.purpose)
        ).all()
    )
    return {p: rows.get(p.value, 0) for p in Purpose}


@dataclass(frozen=True)
class UnprovenGrant:
    purpose: Purpose
    occurred_at: dt.datetime
    source: str


@dataclass(frozen=True)
class MissingEvidence:
    person: PersonMatch
    grants: list[UnprovenGrant]


@dataclass(frozen=True)
class MissingEvidencePage:
    total: int  # persons, over all pages
    rows: list[MissingEvidence]


def persons_missing_evidence(
    session: Session,
    actor: Actor,
    purpose: str | None = None,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
) -> MissingEvidencePage:
    """Persons with a current grant that has no evidence (Art. 7(1)), by name, one page."""
    require(actor, Permission.VIEW_CONSENT)
    condition = granted_without_evidence(purpose)
    total = (
        session.scalar(select(func.count(func.distinct(ConsentState.person_id))).where(condition))
        or 0
    )
    has_unproven = (
        select(ConsentState.person_id)
        .where(ConsentState.person_id == Person.id, condition)
        .exists()
    )
    persons = list(
        session.scalars(
            select(Person)
            .where(has_unproven)
            .order_by(Person.last_name, Person.first_name, Person.id)
            .limit(min(limit, settings.MAX_PAGE_SIZE))
            .offset(offset)
        ).unique()
    )
    grants: dict[int, list[UnprovenGrant]] = {p.id: [] for p in persons}
    rows = session.execute(
        select(
            ConsentState.person_id,
            ConsentState.purpose,
            ConsentState.occurred_at,
            ConsentEvent.source,
        )
        .join(ConsentEvent, ConsentEvent.id == ConsentState.event_id)
        .where(ConsentState.person_id.in_(list(grants)), condition)
        .order_by(ConsentState.person_id, ConsentState.purpose)
    )
    for person_id, grant_purpose, occurred_at, source in rows:
        grants[person_id].append(UnprovenGrant(Purpose(grant_purpose), occurred_at, source))
    return MissingEvidencePage(
        total, [MissingEvidence(person_match(p), grants[p.id]) for p in persons]
    )
