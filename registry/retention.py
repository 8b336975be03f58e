"""Storage limitation (Art. 5(1)(e)): what the retention schedule has due, and why.

The schedule is declared in data/registry.toml [retention] (registry.notice). Each person
rule selects persons whose clock started before the rule's cutoff; each row rule selects
rows. Everything here is a count or an id query in SQL: nothing is loaded to be counted, and
nothing is written (registry.retention_apply applies it).

Who is never due under a person rule: a person already erased; a person with an open
data-subject request (erasing would destroy what the request is about, Art. 12, 15-18).
The latter are counted as deferred, so the listing says they are past their period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from registry import erasure, settings
from registry.errors import NotFound
from registry.models import (
    Activity,
    Amendment,
    AuditEvent,
    ConsentEvent,
    ConsentState,
    DataSubjectRequest,
    Order,
    Organisation,
    Person,
    PersonMetrics,
)
from registry.notice import PERSON_RULES, Declaration, RetentionRule, declaration
from registry.permissions import Actor, Permission, require
from registry.vocabulary import (
    OPEN_REQUEST_STATUSES,
    ActivityKind,
    OrderStatus,
    Relationship,
    RequestStatus,
)

RELATIONSHIP_OF: dict[str, str] = {
    "past_customer_contacts": Relationship.CUSTOMER_CONTACT,
    "service_users": Relationship.SERVICE_USER,
    "marketing_opt_ins": Relationship.MARKETING_OPT_IN,
    "other_connections": Relationship.OTHER_CONNECTION,
}


@dataclass(frozen=True)
class Clock:
    """A rule applied on one day: its cutoff as a date and as the UTC moment it begins."""

    rule: RetentionRule
    period: str
    cutoff: dt.date  # a clock started before this day has run out
    since: dt.datetime  # the cutoff's first moment, Europe/Helsinki, in UTC

    @property
    def why(self) -> str:
        return f"{self.period} after {self.rule.starts}, that is before {self.cutoff:%Y-%m-%d}"


def clock(rule: RetentionRule, today: dt.date, decl: Declaration | None = None) -> Clock:
    decl = decl or declaration()
    if rule.key == "orders":
        # An order's hold ends on its held_until day; the day after it is due.
        cutoff = today
    else:
        cutoff = rule.cutoff(today)
    since = dt.datetime.combine(cutoff, dt.time(), settings.REGISTRY_TZ).astimezone(dt.UTC)
    return Clock(rule, decl.retention_period_of(rule), cutoff, since)


def _open_request(person_id: Any) -> Any:
    return exists().where(
        DataSubjectRequest.person_id == person_id,
        DataSubjectRequest.status.in_([s.value for s in OPEN_REQUEST_STATUSES]),
    )


# What counts as a person's engagement. Website visits do not: the schedule deletes them
# after their own, shorter period, and a clock must not restart because its evidence went.
ENGAGEMENT = [k.value for k in ActivityKind if k != ActivityKind.WEBSITE_VISIT]


def _engaged_since(since: dt.datetime, kinds: list[str] = ENGAGEMENT) -> Any:
    """The person did something of `kinds` the registry records on or after `since`."""
    return exists().where(
        Activity.person_id == Person.id,
        Activity.kind.in_(kinds),
        Activity.occurred_at >= since,
    )


def _past_period(c: Clock) -> Any:
    """The rule's condition on a Person row (and its joins): its clock started before the
    cutoff. Used with the joins of `_persons_past`."""
    key, since = c.rule.key, c.since
    if key == "past_customer_contacts":
        return Organisation.customer_until < c.cutoff
    if key == "service_users":
        # Last app use (the derived figure and the activity itself), else the registration.
        return and_(
            Person.created_at < since,
            or_(PersonMetrics.last_app_use_at.is_(None), PersonMetrics.last_app_use_at < since),
            not_(_engaged_since(since, [ActivityKind.APP_USE])),
        )
    # Marketing opt-ins and other connections: last engagement or consent event, else added.
    return and_(
        Person.created_at < since,
        not_(_engaged_since(since)),
        not_(
            exists().where(ConsentEvent.person_id == Person.id, ConsentEvent.occurred_at >= since)
        ),
    )


def _persons_past(c: Clock, what: Any) -> Select[Any]:
    """SELECT `what` FROM the persons of the rule past its period, not yet erased."""
    query = select(what).select_from(Person)
    if c.rule.key == "past_customer_contacts":
        query = query.join(Organisation, Organisation.id == Person.organisation_id)
    elif c.rule.key == "service_users":
        query = query.outerjoin(PersonMetrics, PersonMetrics.person_id == Person.id)
    return query.where(
        Person.relationship == RELATIONSHIP_OF[c.rule.key],
        Person.erased_at.is_(None),
        _past_period(c),
    )


def due_persons(c: Clock) -> Select[Any]:
    """The ids of the persons a person rule erases now, in id order."""
    return _persons_past(c, Person.id).where(not_(_open_request(Person.id))).order_by(Person.id)


def voucher_held_after(today: dt.date, decl: Declaration) -> dt.date:
    """An order dated after this day is still an accounting voucher under the hold
    (registry.erasure.voucher_hold_end, solved for the order date)."""
    hold = decl.legal_hold
    year = today.year - hold.voucher_years - 1
    month = hold.financial_year_end_month
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    return next_month - dt.timedelta(days=1)


def due_rows(c: Clock, what: Any) -> Select[Any]:
    """SELECT `what` (an id column, or a count) FROM the rows a row rule deletes now."""
    key, since = c.rule.key, c.since
    if key == "website_behaviour":
        return select(what).where(
            Activity.kind == ActivityKind.WEBSITE_VISIT, Activity.occurred_at < since
        )
    if key == "consent_evidence":
        later = aliased(ConsentEvent)
        return select(what).where(
            # Implied by what follows; lets the occurred_at index narrow the events read.
            ConsentEvent.occurred_at < since,
            # Replaced by a later event of the same person and purpose, itself past the
            # period; the event the current status rests on is never touched.
            exists().where(
                later.person_id == ConsentEvent.person_id,
                later.purpose == ConsentEvent.purpose,
                or_(
                    later.occurred_at > ConsentEvent.occurred_at,
                    and_(later.occurred_at == ConsentEvent.occurred_at, later.id > ConsentEvent.id),
                ),
                later.occurred_at < since,
            ),
            not_(exists().where(ConsentState.event_id == ConsentEvent.id)),
        )
    if key == "request_records":
        return select(what).where(
            DataSubjectRequest.status.in_([RequestStatus.COMPLETED, RequestStatus.REJECTED]),
            DataSubjectRequest.closed_at < since,
            not_(exists().where(Amendment.request_id == DataSubjectRequest.id)),
        )
    if key == "orders":
        # Kept after an erasure for the Accounting Act, and the hold has ended. A claim in
        # recovery has no end date (Art. 17(3)(e)) and stays.
        return select(what).where(
            Order.held_until.is_not(None),
            Order.held_until < c.cutoff,
            Order.status != OrderStatus.IN_RECOVERY,
        )
    if key == "audit_trail":
        return select(what).where(AuditEvent.at < since)
    raise ValueError(f"no row rule {key!r}")


ROW_TABLES: dict[str, Any] = {
    "website_behaviour": Activity,
    "consent_evidence": ConsentEvent,
    "request_records": DataSubjectRequest,
    "orders": Order,
    "audit_trail": AuditEvent,
}


@dataclass(frozen=True)
class Due:
    """One line of the listing: what a rule has due now, and why."""

    clock: Clock
    persons: int = 0  # persons a person rule erases
    rows: int = 0  # rows a row rule deletes
    held: int = 0  # orders of those persons an erasure keeps under the legal hold
    deferred: int = 0  # persons past the period, kept while a request of theirs is open

    @property
    def rule(self) -> RetentionRule:
        return self.clock.rule


def listing(session: Session, actor: Actor, today: dt.date | None = None) -> list[Due]:
    """Per rule, how many persons and rows are due and why. Reads only."""
    require(actor, Permission.VIEW_RETENTION)
    return due_now(session, today or dt.datetime.now(settings.REGISTRY_TZ).date())


def due_now(session: Session, today: dt.date, keys: Collection[str] | None = None) -> list[Due]:
    """Per rule (or per rule of `keys`), what is due on `today`."""
    decl = declaration()
    if session.get_bind().dialect.name == "postgresql":
        for setting, value in settings.RETENTION_PLANNER.items():
            session.execute(select(func.set_config(setting, value, True)))  # this transaction
    held_after = voucher_held_after(today, decl)
    out: list[Due] = []
    for rule in decl.retention.rules:
        if keys is not None and rule.key not in keys:
            continue
        c = clock(rule, today, decl)
        if rule.key in PERSON_RULES:
            # One statement per rule: the persons past the period are found once (a CTE
            # used twice is computed once) and counted three ways.
            past = (
                _persons_past(c, Person.id)
                .add_columns(_open_request(Person.id).label("open"))
                .cte(f"past_{rule.key}")
            )
            erasable = select(past.c.id).where(not_(past.c.open)).scalar_subquery()
            held_orders = (
                select(func.count())
                .select_from(Order)
                .where(
                    Order.person_id.in_(erasable),
                    or_(Order.status == OrderStatus.IN_RECOVERY, Order.ordered_on > held_after),
                )
                .scalar_subquery()
            )
            persons, deferred, held = session.execute(
                select(
                    func.count().filter(not_(past.c.open)),
                    func.count().filter(past.c.open),
                    held_orders,
                ).select_from(past)
            ).one()
            out.append(Due(c, persons=persons or 0, held=held or 0, deferred=deferred or 0))
        else:
            rows = session.scalar(due_rows(c, func.count()).select_from(ROW_TABLES[rule.key]))
            out.append(Due(c, rows=rows or 0))
    return out


@dataclass(frozen=True)
class PersonDue:
    """A person's standing under the schedule: the rule that has them due, and what an
    erasure of them would delete, anonymise and keep (registry.erasure.preview_of)."""

    person_id: int
    clock: Clock | None  # None: no rule has the person due
    deferred: bool  # past the period, but a request of theirs is open
    preview: erasure.Preview


def person_due(
    session: Session, actor: Actor, person_id: int, today: dt.date | None = None
) -> PersonDue:
    require(actor, Permission.VIEW_RETENTION)
    today = today or dt.datetime.now(settings.REGISTRY_TZ).date()
    relationship = session.scalar(select(Person.relationship).where(Person.id == person_id))
    if relationship is None:
        raise NotFound(f"No person {person_id}.")
    decl = declaration()
    found: Clock | None = None
    deferred = False
    for key in PERSON_RULES:
        if RELATIONSHIP_OF[key] != relationship:
            continue
        c = clock(decl.retention.rule(key), today, decl)
        if session.scalar(_persons_past(c, Person.id).where(Person.id == person_id)):
            found = c
            deferred = bool(session.scalar(select(_open_request(person_id))))
    return PersonDue(person_id, found, deferred, erasure.preview_of(session, person_id, today))


def due_ids(
    session: Session, actor: Actor, key: str, limit: int, today: dt.date | None = None
) -> list[int]:
    """The first ids a person rule has due (ids only: the page shows no names here)."""
    require(actor, Permission.VIEW_RETENTION)
    today = today or dt.datetime.now(settings.REGISTRY_TZ).date()
    if key not in PERSON_RULES:
        raise NotFound(f"No person rule {key!r}.")
    c = clock(declaration().retention.rule(key), today)
    return list(session.scalars(due_persons(c).limit(limit)))
