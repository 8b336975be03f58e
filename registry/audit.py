"""The audit trail: append-only, one event per sign-in, view, export, report and write.

`record` adds the event to the caller's session so it commits, or rolls back, with the write
it describes. The database refuses UPDATE and DELETE on the table (migration 0002).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from registry import settings
from registry.auth import Actor, Permission, require
from registry.models import AuditEvent, utcnow
from registry.sqlfunctions import day_of, parse_day


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    record_type: str | None = None,
    record_id: object = None,
    detail: str = "",
    *,
    actor_name: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it lands with the caller's commit."""
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.user_id if actor else None,
        actor_name=(actor.username if actor else actor_name or "anonymous")[:100],
        action=action,
        record_type=record_type,
        record_id=None if record_id is None else str(record_id)[:50],
        detail=detail[: settings.MAX_LONG_TEXT],
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    actor_name: str | None = None
    action: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    since: dt.date | None = None  # inclusive, UTC dates
    until: dt.date | None = None  # inclusive

    def apply(self, query: Select) -> Select:  # type: ignore[type-arg]
        if self.actor_name:
            query = query.where(AuditEvent.actor_name == self.actor_name)
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.record_type:
            query = query.where(AuditEvent.record_type == self.record_type)
        if self.record_id:
            query = query.where(AuditEvent.record_id == self.record_id)
        if self.since:
            start = dt.datetime.combine(self.since, dt.time(), dt.UTC)
            query = query.where(AuditEvent.at >= start)
        if self.until:
            end = dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), dt.UTC)
            query = query.where(AuditEvent.at < end)
        return query


def events(
    session: Session,
    actor: Actor,
    audit_filter: AuditFilter,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
) -> list[AuditEvent]:
    require(actor, Permission.VIEW_AUDIT)
    query = audit_filter.apply(select(AuditEvent)).order_by(AuditEvent.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def count(session: Session, actor: Actor, audit_filter: AuditFilter) -> int:
    require(actor, Permission.VIEW_AUDIT)
    query = audit_filter.apply(select(func.count()).select_from(AuditEvent))
    return session.scalar(query) or 0


def iter_events(session: Session, actor: Actor, audit_filter: AuditFilter) -> Iterator[AuditEvent]:
    """All matching events, oldest first, in batches (for the CSV export)."""
    require(actor, Permission.VIEW_AUDIT)
    query = audit_filter.apply(select(AuditEvent)).order_by(AuditEvent.id)
    query = query.limit(settings.AUDIT_EXPORT_MAX_ROWS)
    yield from session.scalars(query.execution_options(yield_per=settings.EXPORT_BATCH_ROWS))


def actions_per_day(
    session: Session, actor: Actor, audit_filter: AuditFilter
) -> list[tuple[dt.date, str, int]]:
    """(day, actor name, count) rows for the audit page's chart, counted in SQL."""
    require(actor, Permission.VIEW_AUDIT)
    day = day_of(AuditEvent.at).label("day")
    query = audit_filter.apply(
        select(day, AuditEvent.actor_name, func.count()).group_by(day, AuditEvent.actor_name)
    ).order_by(day)
    rows = session.execute(query).all()
    return [(parse_day(d), name, n) for d, name, n in rows]


def distinct_values(session: Session, actor: Actor, column: str) -> list[str]:
    """The actor names or actions that occur, for the filter drop-downs."""
    require(actor, Permission.VIEW_AUDIT)
    col = {"actor_name": AuditEvent.actor_name, "action": AuditEvent.action}[column]
    return list(session.scalars(select(col).distinct().order_by(col)))
