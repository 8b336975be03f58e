"""The disclosure log: filtered, counted, paged and grouped in SQL, with its figures.

The per-person table reaches millions of rows, the disclosure table itself tens of thousands
at most. What is recorded, and how, is in `registry.disclosures`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, String, cast, exists, func, select
from sqlalchemy.orm import Session

from registry import audit, deadlines, settings
from registry.errors import NotFound
from registry.models import (
    AppUser,
    DisclosedPerson,
    Disclosure,
    Organisation,
    Person,
    Recipient,
    Segment,
)
from registry.permissions import Actor, Permission, require
from registry.recipients import disclosure_counts, status_of
from registry.sqlfunctions import month_of
from registry.transfers import EEA, in_eea


def _helsinki_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), settings.REGISTRY_TZ).astimezone(dt.UTC)


@dataclass(frozen=True)
class DisclosureFilter:
    """The log page's filters; each one that is set narrows every query of the page."""

    recipient_id: int | None = None
    country: str | None = None
    third_country: bool | None = None  # True: outside the EU/EEA only; False: inside only
    purpose: str | None = None
    data_category: str | None = None
    since: dt.date | None = None  # inclusive, a Helsinki date
    until: dt.date | None = None  # inclusive
    recorded_by: int | None = None
    disclosure_id: int | None = None  # one disclosure, opened by a link (?disclosure=12)

    def apply(self, query: Select) -> Select:
        if self.disclosure_id is not None:
            query = query.where(Disclosure.id == self.disclosure_id)
        if self.recipient_id is not None:
            query = query.where(Disclosure.recipient_id == self.recipient_id)
        # Recipients are few: a subquery on them beats joining the big tables to filter.
        recipients = select(Recipient.id)
        if self.country:
            recipients = recipients.where(Recipient.country == self.country.upper())
        if self.third_country is True:
            recipients = recipients.where(Recipient.country.not_in(sorted(EEA)))
        elif self.third_country is False:
            recipients = recipients.where(Recipient.country.in_(sorted(EEA)))
        if self.country or self.third_country is not None:
            query = query.where(Disclosure.recipient_id.in_(recipients))
        if self.purpose:
            query = query.where(Disclosure.purpose == self.purpose)
        if self.data_category:
            # The categories are a JSON list of vocabulary words; its text holds each quoted.
            needle = f'%"{self.data_category}"%'
            query = query.where(cast(Disclosure.data_categories, String).like(needle))
        if self.since:
            query = query.where(Disclosure.disclosed_at >= _helsinki_midnight(self.since))
        if self.until:
            end = _helsinki_midnight(self.until + dt.timedelta(days=1))
            query = query.where(Disclosure.disclosed_at < end)
        if self.recorded_by is not None:
            query = query.where(Disclosure.recorded_by == self.recorded_by)
        return query


@dataclass(frozen=True)
class LogRow:
    id: int
    disclosed_at: dt.datetime
    recipient_name: str
    country: str
    third_country: bool
    purpose: str
    data_categories: list[str]
    legal_basis: str
    persons: int
    recorded_by: str | None
    segment: str | None
    note: str
    transfer_mechanism: str | None = None  # the basis relied on when made
    agreement_date: dt.date | None = None
    basis_from_register: bool = False


def log(
    session: Session,
    actor: Actor,
    log_filter: DisclosureFilter,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
) -> list[LogRow]:
    """One page of the disclosure log, newest first."""
    require(actor, Permission.VIEW_DISCLOSURES)
    limit = max(1, min(limit, settings.MAX_PAGE_SIZE))
    query = log_filter.apply(
        select(Disclosure, Recipient.name, Recipient.country, AppUser.display_name, Segment.name)
        .join(Recipient, Recipient.id == Disclosure.recipient_id)
        .outerjoin(AppUser, AppUser.id == Disclosure.recorded_by)
        .outerjoin(Segment, Segment.id == Disclosure.segment_id)
    ).order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc())
    return [
        LogRow(
            d.id,
            d.disclosed_at,
            name,
            country,
            not in_eea(country),
            d.purpose,
            list(d.data_categories),
            d.legal_basis,
            d.person_count,
            recorder,
            segment,
            d.note,
            d.transfer_mechanism,
            d.agreement_date,
            d.basis_from_register,
        )
        for d, name, country, recorder, segment in session.execute(
            query.limit(limit).offset(max(0, offset))
        )
    ]


def count(session: Session, actor: Actor, log_filter: DisclosureFilter) -> int:
    require(actor, Permission.VIEW_DISCLOSURES)
    return session.scalar(log_filter.apply(select(func.count()).select_from(Disclosure))) or 0


@dataclass(frozen=True)
class DisclosedPersonRow:
    id: int
    name: str
    email: str | None
    organisation: str | None
    city: str | None
    country: str


def persons_of(
    session: Session,
    actor: Actor,
    disclosure_id: int,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
    audit_view: bool = False,
) -> list[DisclosedPersonRow]:
    """One page of the persons whose data went out in a disclosure, by person id.

    With `audit_view` the look is recorded in the audit trail: the page asks for it once
    when a disclosure is opened, not on every rerun or page turn.
    """
    require(actor, Permission.VIEW_DISCLOSURES)
    if session.get(Disclosure, disclosure_id) is None:
        raise NotFound(f"Disclosure {disclosure_id} is not in the log.")
    limit = max(1, min(limit, settings.MAX_PAGE_SIZE))
    query = (
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.email,
            Organisation.name,
            Person.city,
            Person.country,
        )
        .join(DisclosedPerson, DisclosedPerson.person_id == Person.id)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .where(DisclosedPerson.disclosure_id == disclosure_id)
        .order_by(Person.id)
        .limit(limit)
        .offset(max(0, offset))
    )
    rows = [
        DisclosedPersonRow(pid, f"{first} {last}", email, org, city, country)
        for pid, first, last, email, org, city, country in session.execute(query)
    ]
    if audit_view:
        audit.record(session, actor, "disclosure_persons_viewed", "disclosure", disclosure_id)
        session.commit()
    return rows


def per_month_by_recipient(
    session: Session, actor: Actor, log_filter: DisclosureFilter
) -> list[tuple[str, str, int, int]]:
    """(month 'YYYY-MM' in UTC, recipient, disclosures, persons) for the log's bar chart."""
    require(actor, Permission.VIEW_DISCLOSURES)
    month = month_of(Disclosure.disclosed_at).label("month")
    query = log_filter.apply(
        select(month, Recipient.name, func.count(), func.sum(Disclosure.person_count))
        .join(Recipient, Recipient.id == Disclosure.recipient_id)
        .group_by(month, Recipient.name)
        .order_by(month, Recipient.name)
    )
    return [(m, name, n, int(persons or 0)) for m, name, n, persons in session.execute(query)]


def persons_by_country(
    session: Session, actor: Actor, log_filter: DisclosureFilter
) -> list[tuple[str, int]]:
    """(destination country, persons disclosed there) for the world map.

    A person counts once per disclosure: summed from the disclosures' fixed person counts,
    so the map costs one pass over the disclosure table, not over a million per-person rows.
    """
    require(actor, Permission.VIEW_DISCLOSURES)
    query = log_filter.apply(
        select(Recipient.country, func.sum(Disclosure.person_count))
        .join(Recipient, Recipient.id == Disclosure.recipient_id)
        .group_by(Recipient.country)
        .order_by(Recipient.country)
    )
    return [(country, int(n or 0)) for country, n in session.execute(query)]


@dataclass(frozen=True)
class Kpis:
    disclosures_last_30_days: int
    persons_to_third_countries: int  # distinct persons, ever
    recipients_with_problem: int  # active recipients whose transfer basis fails today
    active_recipients: int


def kpis(session: Session, actor: Actor, today: dt.date | None = None) -> Kpis:
    require(actor, Permission.VIEW_DISCLOSURES)
    today = today or deadlines.today()
    since = _helsinki_midnight(today - dt.timedelta(days=29))
    recent = session.scalar(
        select(func.count()).select_from(Disclosure).where(Disclosure.disclosed_at >= since)
    )
    third = select(Disclosure.id).where(
        Disclosure.recipient_id.in_(
            select(Recipient.id).where(Recipient.country.not_in(sorted(EEA)))
        )
    )
    # A semi-join from the person side: on PostgreSQL about three times faster than
    # COUNT(DISTINCT) over the per-person rows, which sorts them all.
    persons = session.scalar(
        select(func.count())
        .select_from(Person)
        .where(
            exists().where(
                DisclosedPerson.person_id == Person.id, DisclosedPerson.disclosure_id.in_(third)
            )
        )
    )
    active = list(session.scalars(select(Recipient).where(Recipient.active)))
    counts = disclosure_counts(session)
    return Kpis(
        disclosures_last_30_days=recent or 0,
        persons_to_third_countries=persons or 0,
        recipients_with_problem=sum(1 for r in active if status_of(r, today, counts.get(r.id, 0))),
        active_recipients=len(active),
    )


@dataclass(frozen=True)
class FilterOptions:
    recipients: list[tuple[int, str]]
    countries: list[str]
    purposes: list[str]
    recorders: list[tuple[int, str]]


def filter_options(session: Session, actor: Actor) -> FilterOptions:
    """What the log's filter drop-downs offer: only values that occur."""
    require(actor, Permission.VIEW_DISCLOSURES)
    used = select(Disclosure.recipient_id).distinct()
    recipients = session.execute(
        select(Recipient.id, Recipient.name).where(Recipient.id.in_(used)).order_by(Recipient.name)
    ).all()
    countries = session.scalars(
        select(Recipient.country)
        .where(Recipient.id.in_(used))
        .distinct()
        .order_by(Recipient.country)
    )
    purposes = session.scalars(select(Disclosure.purpose).distinct().order_by(Disclosure.purpose))
    recorders = session.execute(
        select(AppUser.id, AppUser.display_name)
        .where(AppUser.id.in_(select(Disclosure.recorded_by).distinct()))
        .order_by(AppUser.display_name)
    ).all()
    return FilterOptions(
        [(i, n) for i, n in recipients],
        list(countries),
        list(purposes),
        [(i, n) for i, n in recorders],
    )
