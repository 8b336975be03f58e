"""The queue: filtered, paged and counted in SQL, its figures, and its CSV export."""

from __future__ import annotations

import datetime as dt
import io
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from registry import audit, deadlines, settings, spreadsheet
from registry.formats import finnish_date
from registry.models import AppUser, DataSubjectRequest, Person
from registry.permissions import Actor, Permission, require
from registry.requests.rules import OPEN_STATUSES, urgency
from registry.vocabulary import OPEN_REQUEST_STATUSES, RequestKind, RequestStatus

UNASSIGNED = -1  # the assignee filter value for requests nobody has taken


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows; compiles to SQL and to the sentence shown above the table."""

    statuses: tuple[str, ...] = tuple(OPEN_REQUEST_STATUSES)
    kinds: tuple[str, ...] = ()
    assignee_id: int | None = None  # a user id, UNASSIGNED, or None for anyone
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    search: str = ""

    def apply(self, query: Select) -> Select:
        if self.statuses:
            query = query.where(DataSubjectRequest.status.in_(self.statuses))
        if self.kinds:
            query = query.where(DataSubjectRequest.kind.in_(self.kinds))
        if self.assignee_id == UNASSIGNED:
            query = query.where(DataSubjectRequest.assignee_id.is_(None))
        elif self.assignee_id is not None:
            query = query.where(DataSubjectRequest.assignee_id == self.assignee_id)
        if self.received_from:
            query = query.where(DataSubjectRequest.received_on >= self.received_from)
        if self.received_to:
            query = query.where(DataSubjectRequest.received_on <= self.received_to)
        if text := " ".join(self.search.split()).lower()[: settings.MAX_SHORT_TEXT]:
            # Escaped so that % and _ typed by a user are matched literally.
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            query = query.where(
                or_(
                    func.lower(DataSubjectRequest.requester_name).like(pattern, escape="\\"),
                    func.lower(DataSubjectRequest.requester_contact).like(pattern, escape="\\"),
                )
            )
        return query

    def describe(self, assignee_names: Mapping[int, str] | None = None) -> str:
        statuses = [RequestStatus(s).label.lower() for s in self.statuses]
        parts = [f"Requests {' or '.join(statuses)}" if statuses else "All requests"]
        if self.kinds:
            parts.append("of kind " + " or ".join(RequestKind(k).label for k in self.kinds))
        if self.assignee_id == UNASSIGNED:
            parts.append("not assigned to anyone")
        elif self.assignee_id is not None:
            name = (assignee_names or {}).get(self.assignee_id, f"user #{self.assignee_id}")
            parts.append(f"assigned to {name}")
        if self.received_from and self.received_to:
            parts.append(
                f"received {finnish_date(self.received_from)}–{finnish_date(self.received_to)}"
            )
        elif self.received_from:
            parts.append(f"received on or after {finnish_date(self.received_from)}")
        elif self.received_to:
            parts.append(f"received on or before {finnish_date(self.received_to)}")
        if self.search.strip():
            parts.append(f'whose requester name or contact contains "{self.search.strip()}"')
        return ", ".join(parts)


@dataclass(frozen=True)
class QueueRow:
    id: int
    kind: str
    channel: str
    requester_name: str
    requester_contact: str
    person_id: int | None
    person_name: str | None
    received_on: dt.date
    due_on: dt.date
    days_left: str
    urgency: str
    status: str
    assignee_name: str | None


_Assignee = aliased(AppUser)


def _queue_query() -> Select:
    return (
        select(
            DataSubjectRequest.id,
            DataSubjectRequest.kind,
            DataSubjectRequest.channel,
            DataSubjectRequest.requester_name,
            DataSubjectRequest.requester_contact,
            DataSubjectRequest.person_id,
            Person.first_name,
            Person.last_name,
            DataSubjectRequest.received_on,
            DataSubjectRequest.due_on,
            DataSubjectRequest.status,
            _Assignee.display_name,
        )
        .outerjoin(Person, Person.id == DataSubjectRequest.person_id)
        .outerjoin(_Assignee, _Assignee.id == DataSubjectRequest.assignee_id)
        # Open requests first, soonest due first; closed ones after them.
        .order_by(
            case((DataSubjectRequest.status.in_(list(OPEN_REQUEST_STATUSES)), 0), else_=1),
            DataSubjectRequest.due_on,
            DataSubjectRequest.id,
        )
    )


def _row(values, today: dt.date) -> QueueRow:  # type: ignore[no-untyped-def]
    (rid, kind, channel, name, contact, pid, first, last, received, due, status, assignee) = values
    open_ = RequestStatus(status) in OPEN_STATUSES
    return QueueRow(
        rid,
        kind,
        channel,
        name,
        contact,
        pid,
        f"{first} {last}" if pid is not None else None,
        received,
        due,
        deadlines.describe_days_left(due, today) if open_ else "closed",
        urgency(status, due, today),
        status,
        assignee,
    )


def queue(
    session: Session,
    actor: Actor,
    queue_filter: QueueFilter,
    today: dt.date | None = None,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
) -> list[QueueRow]:
    """One page of the filtered queue: open requests first, soonest due first."""
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    limit = max(1, min(limit, settings.MAX_PAGE_SIZE))
    query = queue_filter.apply(_queue_query()).limit(limit).offset(max(0, offset))
    return [_row(values, today) for values in session.execute(query)]


def count(session: Session, actor: Actor, queue_filter: QueueFilter) -> int:
    require(actor, Permission.HANDLE_REQUESTS)
    query = queue_filter.apply(select(func.count()).select_from(DataSubjectRequest))
    return session.scalar(query) or 0


@dataclass(frozen=True)
class QueueFigures:
    open: int
    due_this_week: int  # open, due within settings.DUE_SOON_DAYS, not overdue
    overdue: int
    median_days_to_close: float | None  # over requests closed in the window
    closed_in_window: int
    open_by_age: list[tuple[str, str, int]]  # (age band, kind, count)


def age_bands() -> list[tuple[int | None, str]]:
    """(upper bound in days or None, label) for the open-requests-by-age chart."""
    bands: list[tuple[int | None, str]] = []
    lower = 0
    for upper in settings.REQUEST_AGE_BANDS_DAYS:
        bands.append((upper, f"{lower}–{upper} days"))
        lower = upper + 1
    bands.append((None, f"over {settings.REQUEST_AGE_BANDS_DAYS[-1]} days"))
    return bands


def figures(session: Session, actor: Actor, today: dt.date | None = None) -> QueueFigures:
    """The queue's KPIs and the age chart, counted in SQL."""
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    r = DataSubjectRequest
    is_open = r.status.in_(list(OPEN_REQUEST_STATUSES))
    soon = today + dt.timedelta(days=settings.DUE_SOON_DAYS)
    open_, due_soon, overdue = session.execute(
        select(
            func.count(),
            func.count(case((r.due_on.between(today, soon), 1))),
            func.count(case((r.due_on < today, 1))),
        ).where(is_open)
    ).one()

    band_labels = age_bands()
    band = case(
        *[
            (r.received_on >= today - dt.timedelta(days=upper), literal(label))
            for upper, label in band_labels
            if upper is not None
        ],
        else_=literal(band_labels[-1][1]),
    ).label("band")
    by_age = session.execute(
        select(band, r.kind, func.count()).where(is_open).group_by(band, r.kind)
    ).all()
    order = {label: i for i, (_, label) in enumerate(band_labels)}
    open_by_age = sorted(((b, k, n) for b, k, n in by_age), key=lambda x: (order[x[0]], x[1]))

    # Only the closed requests of the window come back: a few numbers, not the table.
    since = dt.datetime.combine(
        today - dt.timedelta(days=settings.REQUEST_CLOSE_WINDOW_DAYS),
        dt.time(),
        settings.REGISTRY_TZ,
    )
    closed = session.execute(
        select(r.received_on, r.closed_at).where(
            r.status.in_([RequestStatus.COMPLETED, RequestStatus.REJECTED]), r.closed_at >= since
        )
    ).all()
    durations = [
        (closed_at.astimezone(settings.REGISTRY_TZ).date() - received).days
        for received, closed_at in closed
        if closed_at is not None  # never, by the query
    ]
    return QueueFigures(
        open=open_,
        due_this_week=due_soon,
        overdue=overdue,
        median_days_to_close=statistics.median(durations) if durations else None,
        closed_in_window=len(durations),
        open_by_age=open_by_age,
    )


EXPORT_COLUMNS = (
    "request",
    "kind",
    "channel",
    "received_on",
    "due_on",
    "days_left",
    "status",
    "requester_name",
    "requester_contact",
    "person_id",
    "person_name",
    "assignee",
    "identity_method",
    "identity_verified_at",
    "extension_reason",
    "extended_at",
    "report_generated_at",
    "outcome",
    "closed_at",
)


def _xlsx_value(value: object) -> object:
    # The workbook's sheet neutralises text and writes dates as dates (registry.spreadsheet).
    return value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return spreadsheet.neutralised(text)


def export_csv(
    session: Session, actor: Actor, queue_filter: QueueFilter, today: dt.date | None = None
) -> str:
    """The whole filtered queue as CSV text for an audit; the export itself is audited."""
    return export_file(session, actor, queue_filter, spreadsheet.FileFormat.CSV, today).decode(
        "utf-8"
    )


def export_file(
    session: Session,
    actor: Actor,
    queue_filter: QueueFilter,
    file_format: spreadsheet.FileFormat,
    today: dt.date | None = None,
) -> bytes:
    """The whole filtered queue as a CSV or XLSX file for an audit; the export is audited.
    The CSV writes moments as UTC ISO text, the workbook as Helsinki dates it can sort."""
    require(actor, Permission.HANDLE_REQUESTS)
    today = today or deadlines.today()
    r = DataSubjectRequest
    query = queue_filter.apply(
        _queue_query().add_columns(
            r.identity_method,
            r.identity_verified_at,
            r.extension_reason,
            r.extended_at,
            r.report_generated_at,
            r.outcome,
            r.closed_at,
        )
    ).limit(settings.REQUEST_EXPORT_MAX_ROWS)
    out = io.BytesIO()
    sheet = spreadsheet.sheet(file_format, out, "requests")
    sheet.writerow(EXPORT_COLUMNS)
    cell = _cell if file_format == spreadsheet.FileFormat.CSV else _xlsx_value
    rows = 0
    for values in session.execute(query.execution_options(yield_per=settings.EXPORT_BATCH_ROWS)):
        q = _row(values[:12], today)
        sheet.writerow(
            cell(v)
            for v in (
                q.id,
                q.kind,
                q.channel,
                q.received_on,
                q.due_on,
                q.days_left,
                q.status,
                q.requester_name,
                q.requester_contact,
                q.person_id,
                q.person_name,
                q.assignee_name,
                *values[12:],
            )
        )
        rows += 1
    audit.record(
        session,
        actor,
        "requests_exported",
        "data_subject_request",
        None,
        f"{rows} rows as {file_format.label}: {queue_filter.describe()}",
    )
    sheet.close()
    session.commit()
    return out.getvalue()
