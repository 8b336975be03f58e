"""How many persons a breach affected and who they are: counts kept on the breach, pages
of persons (each audited), one person's categories, and the rows of the letters list.

Which persons count is decided in registry.breaches.scope."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    case,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.orm import Session

from registry import audit, settings
from registry.breaches.recording import _history_line
from registry.breaches.scope import _analytic, _breach, _conditions, _flagged, window
from registry.models import (
    Breach,
    Person,
    utcnow,
)
from registry.permissions import Actor, Permission, require


@dataclass(frozen=True)
class AffectedCounts:
    """How many persons a breach affected, and how they divide (Art. 33(3)(a))."""

    breach_id: int
    persons: int
    by_category: dict[str, int]  # persons with data of the category concerned
    by_relationship: dict[str, int]
    by_country: dict[str, int]
    window_start: dt.datetime
    window_end: dt.datetime
    window_open: bool  # the end is the moment of counting: the breach's end is not recorded
    counted_at: dt.datetime

    @property
    def records(self) -> int:
        """Records concerned: each affected person's data in each category concerned."""
        return sum(self.by_category.values())


def _count(session: Session, breach: Breach, now: dt.datetime) -> AffectedCounts:
    conditions = _conditions(session, breach, now)
    flags = [
        func.sum(case((condition, 1), else_=0)) for condition in conditions.by_category.values()
    ]
    source = _flagged(conditions, Person.country)
    query = (
        select(source.c.relationship, source.c.country, func.count(), *flags)
        .select_from(source)
        .where(conditions.affected)
        .group_by(source.c.relationship, source.c.country)
    )
    _analytic(session)
    persons = 0
    by_category: Counter[str] = Counter({c: 0 for c in conditions.by_category})
    by_relationship: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    for relationship, country, n, *per_category in session.execute(query):
        persons += n
        by_relationship[relationship] += n
        by_country[country] += n
        for code, m in zip(conditions.by_category, per_category, strict=True):
            by_category[code] += int(m or 0)
    start, end = window(breach, now)
    return AffectedCounts(
        breach.id,
        persons,
        dict(by_category),
        dict(by_relationship.most_common()),
        dict(by_country.most_common()),
        start,
        end,
        breach.ended_at is None,
        now,
    )


def affected_counts(
    session: Session, actor: Actor, breach_id: int, now: dt.datetime | None = None
) -> AffectedCounts:
    """Count who the breach affected, in the caller's transaction, writing nothing."""
    require(actor, Permission.MANAGE_BREACHES)
    return _count(session, _breach(session, breach_id), now or utcnow())


def count_affected(
    session: Session, actor: Actor, breach_id: int, now: dt.datetime | None = None
) -> AffectedCounts:
    """Count who the breach affected, and keep the totals on the breach with the time counted.

    One transaction: the totals, a history row and the audit event. The row version is not
    raised: a count is not an edit, and must not void an edit form that is open meanwhile.
    """
    require(actor, Permission.MANAGE_BREACHES)
    now = now or utcnow()
    try:
        breach = _breach(session, breach_id)
        counts = _count(session, breach, now)
        old = (breach.affected_persons, breach.affected_records)
        session.execute(
            update(Breach)
            .where(Breach.id == breach.id)
            .values(
                affected_persons=counts.persons,
                affected_records=counts.records,
                affected_counted_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        _history_line(
            session,
            actor,
            breach.id,
            "affected_counted",
            {
                "affected_persons": [_text(old[0]), str(counts.persons)],
                "affected_records": [_text(old[1]), str(counts.records)],
            },
            f"window {counts.window_start.isoformat()} to {counts.window_end.isoformat()}"
            + (" (end not recorded: counted to now)" if counts.window_open else ""),
        )
        audit.record(
            session,
            actor,
            "breach_affected_counted",
            "breach",
            breach.id,
            f"{counts.persons} persons, {counts.records} records",
        )
        session.commit()
        session.expire(breach)
    except Exception:
        session.rollback()
        raise
    return counts


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class AffectedPerson:
    id: int
    name: str
    email: str | None
    city: str | None
    country: str
    relationship: str


def affected_persons(
    session: Session,
    actor: Actor,
    breach_id: int,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> list[AffectedPerson]:
    """One page of the affected persons, by person id. Every page read is audited."""
    require(actor, Permission.MANAGE_BREACHES)
    now = now or utcnow()
    breach = _breach(session, breach_id)
    limit = max(1, min(limit, settings.MAX_PAGE_SIZE))
    offset = max(0, offset)
    rows = page_of(session, breach, now, limit, offset)
    audit.record(
        session,
        actor,
        "breach_affected_viewed",
        "breach",
        breach.id,
        f"rows {offset + 1}-{offset + len(rows)}" if rows else f"no rows from {offset + 1}",
    )
    session.commit()
    return rows


def page_of(
    session: Session, breach: Breach, now: dt.datetime, limit: int, offset: int
) -> list[AffectedPerson]:
    """A page of the affected persons by id, unaudited: for affected_persons and benchmarks."""
    page = (
        select(_affected_ids(session, breach, now))
        .order_by(literal_column("id"))
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    query = (
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.email,
            Person.city,
            Person.country,
            Person.relationship,
        )
        .where(Person.id.in_(select(page.c.id)))
        .order_by(Person.id)
    )
    _analytic(session)
    return [
        AffectedPerson(pid, f"{first} {last}", email, city, country, relationship)
        for pid, first, last, email, city, country, relationship in session.execute(query)
    ]


def _affected_ids(session: Session, breach: Breach, now: dt.datetime) -> Any:
    """The affected persons' ids, from the per-person tests computed once (a column)."""
    conditions = _conditions(session, breach, now)
    source = _flagged(conditions, Person.id)
    return select(source.c.id).select_from(source).where(conditions.affected).subquery("ids").c.id


def concerns(session: Session, breach: Breach, person_id: int, now: dt.datetime) -> bool:
    """Whether the person is among the breach's affected persons (the tests of one person)."""
    return bool(categories_of(session, breach, person_id, now))


def categories_of(session: Session, breach: Breach, person_id: int, now: dt.datetime) -> list[str]:
    """The breach's categories in which the person's data was concerned (empty: not affected)."""
    conditions = _conditions(session, breach, now, direct=True)
    flags = [case((c, 1), else_=0) for c in conditions.by_category.values()]
    query = select(*flags).where(Person.id == person_id, conditions.affected)
    row = session.execute(query).first()
    if row is None:
        return []
    return [code for code, flag in zip(conditions.by_category, row, strict=True) if flag]


@dataclass(frozen=True)
class LetterRow:
    """One affected person's name and addresses, for the letters list."""

    id: int
    first_name: str
    last_name: str
    email: str | None
    street_address: str | None
    postal_code: str | None
    city: str | None
    country: str


def letter_rows(session: Session, breach: Breach, now: dt.datetime) -> Iterator[LetterRow]:
    """The affected persons by id, streamed in batches (the caller holds the permission)."""
    _analytic(session)
    query = (
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.email,
            Person.street_address,
            Person.postal_code,
            Person.city,
            Person.country,
        )
        .where(Person.id.in_(select(_affected_ids(session, breach, now))))
        .order_by(Person.id)
        .execution_options(yield_per=settings.EXPORT_BATCH_ROWS)
    )
    for row in session.execute(query):
        yield LetterRow(*row)
