"""The audit trail: append-only, one event per sign-in, view, export, report and write.

`record` adds the event to the caller's session so it commits, or rolls back, with the write
it describes. The database refuses UPDATE and DELETE on the table (migration 0002).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from registry import data_version, settings, spreadsheet
from registry.errors import ValidationError
from registry.models import AuditEvent, utcnow
from registry.permissions import Actor, Permission, require

# audit_event.record_id is a String(50).
RECORD_ID_LENGTH = 50

# Events that only read: they leave the data version where it is, so opening a person does
# not empty every server's caches. Any other event, one added later included, moves it.
VIEWS = frozenset(
    {
        "view_person",
        "view_consent_history",
        "view_person_disclosures",
        "request_viewed",
        "access_report_previewed",
        "disclosure_persons_viewed",
        "breach_affected_viewed",
        "sent_document_downloaded",
        "backup_downloaded",
        "requests_exported",
    }
)


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
        record_id=None if record_id is None else str(record_id)[:RECORD_ID_LENGTH],
        detail=detail[: settings.MAX_LONG_TEXT],
    )
    session.add(event)
    if action not in VIEWS:
        data_version.mark_changed(session)
    return event


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page and its export select; each field matches exactly, as text."""

    actor_name: str | None = None
    action: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    since: dt.date | None = None  # inclusive, Europe/Helsinki dates
    until: dt.date | None = None  # inclusive

    def errors(self) -> dict[str, str]:
        """Field errors to show next to the filter's inputs; empty when it can be applied."""
        errors: dict[str, str] = {}
        if self.record_id and len(self.record_id) > RECORD_ID_LENGTH:
            errors["record_id"] = f"Record ids have at most {RECORD_ID_LENGTH} characters."
        if self.since and self.until and self.since > self.until:
            errors["until"] = "The end date is before the start date."
        return errors

    def describe(
        self,
        action_label: Callable[[str], str] = str,
        record_type_label: Callable[[str], str] = str,
    ) -> str:
        """The filter as a phrase, for the page (with its labels) and the export's event."""
        text = "events"
        if self.since:
            text += f" from {self.since.isoformat()}"
        if self.until:
            text += f" to {self.until.isoformat()}"
        conditions = [
            f"{name} = {value!r}"
            for name, value in (
                ("user", self.actor_name),
                ("action", self.action and action_label(self.action)),
                ("record type", self.record_type and record_type_label(self.record_type)),
                ("record id", self.record_id),
            )
            if value
        ]
        if conditions:
            text += " where " + " and ".join(conditions)
        return "all events" if text == "events" else text

    def apply(self, query: Select) -> Select:
        if self.actor_name:
            query = query.where(AuditEvent.actor_name == self.actor_name)
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.record_type:
            query = query.where(AuditEvent.record_type == self.record_type)
        if self.record_id:
            query = query.where(AuditEvent.record_id == self.record_id)
        if self.since:
            query = query.where(AuditEvent.at >= _start_of(self.since))
        if self.until:
            query = query.where(AuditEvent.at < _start_of(self.until + dt.timedelta(days=1)))
        return query


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of a Helsinki date, in UTC (the dates a user enters are Helsinki dates)."""
    return dt.datetime.combine(day, dt.time(), settings.REGISTRY_TZ).astimezone(dt.UTC)


def events(
    session: Session,
    actor: Actor,
    audit_filter: AuditFilter,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
) -> list[AuditEvent]:
    """One page of matching events, newest first."""
    require(actor, Permission.VIEW_AUDIT)
    query = audit_filter.apply(select(AuditEvent)).order_by(
        AuditEvent.at.desc(), AuditEvent.id.desc()
    )
    limit = max(1, min(limit, settings.MAX_PAGE_SIZE))
    return list(session.scalars(query.limit(limit).offset(max(0, offset))))


def count(session: Session, actor: Actor, audit_filter: AuditFilter) -> int:
    require(actor, Permission.VIEW_AUDIT)
    query = audit_filter.apply(select(func.count()).select_from(AuditEvent))
    return session.scalar(query) or 0


def actor_count(session: Session, actor: Actor, audit_filter: AuditFilter) -> int:
    """How many different names acted: accounts, and names typed at failed sign-ins."""
    require(actor, Permission.VIEW_AUDIT)
    query = audit_filter.apply(select(func.count(AuditEvent.actor_name.distinct())))
    return session.scalar(query) or 0


def iter_events(
    session: Session, actor: Actor, audit_filter: AuditFilter, *, before_id: int | None = None
) -> Iterator[AuditEvent]:
    """All matching events (at most AUDIT_EXPORT_MAX_ROWS), oldest first, read in batches."""
    require(actor, Permission.VIEW_AUDIT)
    query = audit_filter.apply(select(AuditEvent)).order_by(AuditEvent.at, AuditEvent.id)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    query = query.limit(settings.AUDIT_EXPORT_MAX_ROWS)
    return iter(session.scalars(query.execution_options(yield_per=settings.EXPORT_BATCH_ROWS)))


CSV_COLUMNS = (
    "id",
    "at_utc",
    "at_helsinki",
    "user",
    "action",
    "record_type",
    "record_id",
    "detail",
)


def _csv_cell(value: object) -> str:
    # A sign-in name or a detail typed by anyone must stay text.
    return spreadsheet.neutralised(value)


def _csv_line(values: Iterable[object]) -> str:
    return spreadsheet.csv_line([_csv_cell(v) for v in values])


def export_csv(session: Session, actor: Actor, audit_filter: AuditFilter) -> Iterator[str]:
    """The matching events as CSV lines (header first), oldest first, streamed in batches.

    The export is itself an audit event, committed before any row is read; the file holds
    the events recorded before it.
    """
    rows = _exported_rows(session, actor, audit_filter, spreadsheet.FileFormat.CSV)

    def lines() -> Iterator[str]:
        yield spreadsheet.BOM + _csv_line(CSV_COLUMNS)
        for row in rows:
            helsinki = row[2].strftime("%Y-%m-%d %H:%M:%S")
            yield _csv_line((*row[:2], helsinki, *row[3:]))

    return lines()


def export_xlsx(session: Session, actor: Actor, audit_filter: AuditFilter) -> bytes:
    """The matching events as an XLSX workbook, as export_csv; the Helsinki time a real date."""
    rows = _exported_rows(session, actor, audit_filter, spreadsheet.FileFormat.XLSX)
    out = io.BytesIO()
    sheet = spreadsheet.XlsxSheet(out, "audit trail")
    sheet.writerow(CSV_COLUMNS)
    for row in rows:
        sheet.writerow(row)
    sheet.close()
    return out.getvalue()


def _exported_rows(
    session: Session, actor: Actor, audit_filter: AuditFilter, file_format: spreadsheet.FileFormat
) -> Iterator[tuple[Any, ...]]:
    """Records the export (committed before any row is read), then the rows to write."""
    require(actor, Permission.VIEW_AUDIT)
    if errors := audit_filter.errors():
        raise ValidationError(errors)
    rows = min(count(session, actor, audit_filter), settings.AUDIT_EXPORT_MAX_ROWS)
    event = record(
        session,
        actor,
        "audit_exported",
        "audit_event",
        None,
        f"{rows} events as {file_format.label}; {audit_filter.describe()}",
    )
    session.commit()
    matching = iter_events(session, actor, audit_filter, before_id=event.id)
    return (
        (
            e.id,
            e.at.isoformat(),
            e.at.astimezone(settings.REGISTRY_TZ),
            e.actor_name,
            e.action,
            e.record_type,
            e.record_id,
            e.detail,
        )
        for e in matching
    )


class _hour_of(FunctionElement[str]):  # lower case: reads like a SQL function
    """The UTC hour of a timestamp as 'YYYY-MM-DD HH' text: fine enough to regroup by
    Helsinki day in Python, whose offset to UTC changes with daylight saving time."""

    type = String()
    inherit_cache = True


@compiles(_hour_of)
def _hour_of_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 13)"


@compiles(_hour_of, "postgresql")
def _hour_of_pg(element, compiler, **kw):  # type: ignore[no-untyped-def]
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"


OTHER_NAMES = "(other names)"


def actions_per_day(
    session: Session,
    actor: Actor,
    audit_filter: AuditFilter,
    *,
    top: int = settings.AUDIT_CHART_USERS,
) -> list[tuple[dt.date, str, int]]:
    """(Helsinki day, actor name, count) rows for the audit page's chart, oldest day first.

    Counted in SQL per UTC hour and user (at most 24 rows per day and user), then summed
    per Helsinki day here. The `top` names with the most actions keep their own series;
    the rest (say, names tried in a password-guessing run) are summed as OTHER_NAMES.
    """
    require(actor, Permission.VIEW_AUDIT)
    hour = _hour_of(AuditEvent.at).label("hour")
    query = audit_filter.apply(
        select(hour, AuditEvent.actor_name, func.count()).group_by(hour, AuditEvent.actor_name)
    )
    per_day: Counter[tuple[dt.date, str]] = Counter()
    per_name: Counter[str] = Counter()
    for text, name, n in session.execute(query):
        utc_hour = dt.datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
        per_day[(utc_hour.astimezone(settings.REGISTRY_TZ).date(), name)] += n
        per_name[name] += n
    kept = {name for name, _ in per_name.most_common(top)}
    merged: Counter[tuple[dt.date, str]] = Counter()
    for (day, name), n in per_day.items():
        merged[(day, name if name in kept else OTHER_NAMES)] += n
    return [(day, name, n) for (day, name), n in sorted(merged.items())]


_DISTINCT_COLUMNS = {
    "actor_name": AuditEvent.actor_name,
    "action": AuditEvent.action,
    "record_type": AuditEvent.record_type,
}


def distinct_values(session: Session, actor: Actor, column: str) -> list[str]:
    """The user names, actions or record types that occur, for the filter drop-downs."""
    require(actor, Permission.VIEW_AUDIT)
    col = _DISTINCT_COLUMNS[column]
    query = select(col).where(col.is_not(None)).distinct().order_by(col)
    return list(session.scalars(query.limit(settings.AUDIT_FILTER_CHOICES)))
