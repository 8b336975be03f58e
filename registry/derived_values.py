"""A person's derived values as SQL expressions, for segment filters and built-in segments:
customer status, order value band, engagement, region and area, and whether a channel can
reach the person. "N days ago" is counted in Helsinki calendar days; thresholds are settings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_

from registry import regions, settings
from registry.models import Organisation, Person, PersonMetrics
from registry.vocabulary import Channel, OrganisationKind

# --- when: "N days ago" is counted in Helsinki calendar days ----------------------------


def day_start(today: dt.date, days_ago: int) -> dt.datetime:
    """The first moment (Helsinki time) of the day `days_ago` days before `today`."""
    day = today - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(), settings.REGISTRY_TZ)


def since(column: Any, days: int, today: dt.date, is_date: bool) -> ColumnElement[bool]:
    """The column falls on `today - days` or later (at most `days` days ago)."""
    bound = today - dt.timedelta(days=days) if is_date else day_start(today, days)
    return column >= bound


def before(column: Any, days: int, today: dt.date, is_date: bool) -> ColumnElement[bool]:
    """The column falls on `today - days` or earlier (at least `days` days ago)."""
    bound = today - dt.timedelta(days=days - 1) if is_date else day_start(today, days - 1)
    return column < bound


# --- derived values, as SQL expressions -------------------------------------------------


def customer_status(today: dt.date) -> ColumnElement[str]:
    """Current, past or no customer relationship, from the person's organisation."""
    is_customer = Organisation.kind == OrganisationKind.CUSTOMER
    return case(
        (
            and_(
                is_customer,
                Organisation.customer_since <= today,
                or_(Organisation.customer_until.is_(None), Organisation.customer_until >= today),
            ),
            "current",
        ),
        (and_(is_customer, Organisation.customer_until < today), "past"),
        else_="none",
    )


def value_band(today: dt.date) -> ColumnElement[str]:
    """The person's order value band (filters.VALUE_BANDS), from person_metrics."""
    orders = func.coalesce(PersonMetrics.order_count, 0)
    total = func.coalesce(PersonMetrics.order_total_eur, 0)
    last = PersonMetrics.last_order_on

    def within(days: int) -> ColumnElement[bool]:
        return since(last, days, today, is_date=True)

    return case(
        (orders == 0, "no_orders"),
        (since(PersonMetrics.first_order_on, settings.VALUE_NEW_DAYS, today, True), "new"),
        (
            and_(
                within(settings.VALUE_CHAMPION_DAYS),
                orders >= settings.VALUE_CHAMPION_ORDERS,
                total >= settings.VALUE_CHAMPION_EUR,
            ),
            "champions",
        ),
        (and_(within(settings.VALUE_ACTIVE_DAYS), orders >= settings.VALUE_LOYAL_ORDERS), "loyal"),
        (within(settings.VALUE_ACTIVE_DAYS), "occasional"),
        (
            and_(within(settings.VALUE_AT_RISK_DAYS), orders >= settings.VALUE_LOYAL_ORDERS),
            "at_risk",
        ),
        else_="lapsed",
    )


def engaged(kind: str, today: dt.date) -> ColumnElement[bool]:
    """The person is a newsletter reader, an event attendee or an active app user."""
    column, days = {
        "newsletter_reader": (
            PersonMetrics.last_newsletter_open_at,
            settings.NEWSLETTER_READER_DAYS,
        ),
        "event_attendee": (PersonMetrics.last_event_at, settings.EVENT_ATTENDEE_DAYS),
        "app_user": (PersonMetrics.last_app_use_at, settings.ACTIVE_APP_USER_DAYS),
    }[kind]
    return since(column, days, today, is_date=False)


def region_condition(region: str) -> ColumnElement[bool]:
    cities = [c for c, r in regions.CITY_REGION.items() if r == region]
    prefixes = [p for p, r in regions.POSTAL_PREFIX_REGION.items() if r == region]
    city_unknown = or_(Person.city.is_(None), Person.city.not_in(list(regions.CITY_REGION)))
    return and_(
        Person.country == regions.FINLAND,
        or_(
            Person.city.in_(cities),
            and_(city_unknown, func.substr(Person.postal_code, 1, 2).in_(prefixes)),
        ),
    )


def area_condition(area: str) -> ColumnElement[bool]:
    countries = regions.countries_of_area(area)
    if countries is None:
        return Person.country.not_in(sorted(regions.EEA))
    return Person.country.in_(sorted(countries))


# What each channel needs besides consent: somewhere to send the message.
def reachable(channel: Channel) -> ColumnElement[bool]:
    """SQL: the person has the contact detail the channel sends to."""
    match channel:
        case Channel.PHONE | Channel.SMS:
            return Person.phone.is_not(None)
        case Channel.POST:
            return and_(Person.street_address.is_not(None), Person.postal_code.is_not(None))
        case Channel.IN_APP:
            return Person.username.is_not(None)
        case _:
            return Person.email.is_not(None)
