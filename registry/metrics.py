"""Per-person order and engagement figures (person_metrics), derived in SQL.

Segments filter on one narrow row per person instead of aggregating orders and activities
for every count. The figures are rebuilt in one set-based statement: one GROUP BY over
orders, one over activities, joined to every person; no Python loop over persons.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Select, case, delete, func, insert, literal, select, true
from sqlalchemy.orm import Session

from registry.models import Activity, Order, Person, PersonMetrics, UTCDateTime, utcnow
from registry.restricted import not_restricted
from registry.segments import membership
from registry.vocabulary import ActivityKind

# Activity kind -> the person_metrics column holding its latest occurrence.
LAST_ACTIVITY_COLUMNS: dict[ActivityKind, str] = {
    ActivityKind.WEBSITE_VISIT: "last_website_visit_at",
    ActivityKind.NEWSLETTER_OPEN: "last_newsletter_open_at",
    ActivityKind.EVENT_PARTICIPATION: "last_event_at",
    ActivityKind.APP_USE: "last_app_use_at",
}


def refresh_metrics(
    target: Session | Connection,
    now: dt.datetime | None = None,
    persons: Select[tuple[int]] | None = None,
) -> int:
    """Replace person_metrics with figures for every person, or for the `persons` (a query
    of person ids, as an import's); returns the rows written.

    Runs in the caller's transaction and does not commit, so the rows land (or roll back)
    with the caller's work. `now` is the refreshed_at stamp (the seed passes its own clock).
    """
    is_postgresql = _dialect_name(target) == "postgresql"
    if is_postgresql:
        # Millions of orders and activities: let the two aggregates hash in memory.
        target.execute(select(func.set_config("work_mem", "256MB", True)))

    orders = (
        select(
            Order.person_id,
            func.count().label("order_count"),
            func.sum(Order.amount_eur).label("order_total_eur"),
            func.min(Order.ordered_on).label("first_order_on"),
            func.max(Order.ordered_on).label("last_order_on"),
        )
        .where(Order.person_id.in_(persons) if persons is not None else true())
        .group_by(Order.person_id)
        .subquery("orders")
    )
    activities = (
        select(
            Activity.person_id,
            *(
                func.max(case((Activity.kind == kind.value, Activity.occurred_at))).label(column)
                for kind, column in LAST_ACTIVITY_COLUMNS.items()
            ),
        )
        .where(Activity.kind.in_([k.value for k in LAST_ACTIVITY_COLUMNS]))
        .where(Activity.person_id.in_(persons) if persons is not None else true())
        .group_by(Activity.person_id)
        .subquery("activities")
    )
    figures = (
        select(
            Person.id,
            func.coalesce(orders.c.order_count, 0),
            func.coalesce(orders.c.order_total_eur, 0),
            orders.c.first_order_on,
            orders.c.last_order_on,
            *(activities.c[column] for column in LAST_ACTIVITY_COLUMNS.values()),
            literal(now or utcnow(), UTCDateTime),
        )
        .outerjoin(orders, orders.c.person_id == Person.id)
        .outerjoin(activities, activities.c.person_id == Person.id)
        .where(Person.id.in_(persons) if persons is not None else true())
        # Orders kept under a legal hold do not make an erased person a profile again.
        .where(Person.erased_at.is_(None))
        # Art. 18(2): a restricted person's data is only stored, not processed into figures;
        # their last figures stay as they were until the restriction is lifted.
        .where(not_restricted())
        # Nobody who may not be profiled gets figures (Art. 21(2)-(3), Art. 7(3)).
        .where(~membership.refused_profiling())
    )
    columns = [
        "person_id",
        "order_count",
        "order_total_eur",
        "first_order_on",
        "last_order_on",
        *LAST_ACTIVITY_COLUMNS.values(),
        "refreshed_at",
    ]
    target.execute(
        delete(PersonMetrics).where(
            PersonMetrics.person_id.in_(persons) if persons is not None else true(),
            not_restricted(PersonMetrics.person_id),
        )
    )
    result = target.execute(insert(PersonMetrics).from_select(columns, figures))
    written: int = result.rowcount  # type: ignore[attr-defined]
    if written < 0 and persons is None:  # a driver that does not tell
        written = target.execute(
            select(func.count())
            .select_from(PersonMetrics)
            .where(not_restricted(PersonMetrics.person_id))
        ).scalar_one()
    return written


def _dialect_name(target: Session | Connection) -> str:
    bind = target.get_bind() if isinstance(target, Session) else target
    return bind.dialect.name
