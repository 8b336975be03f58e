"""GDPR Art. 12(3) deadlines, computed per Regulation (EEC, Euratom) No 1182/71.

A month is counted from the day of receipt: the period ends on the same day-of-month one
month later (Art. 3(2)(c)), or on that month's last day if it has no such day. A period
ending on a Saturday, Sunday or public holiday ends on the next working day (Art. 3(4)).
Finnish public holidays come from the `holidays` package; Christmas Eve and Midsummer Eve,
which it lists, are treated as working days (the stricter reading, DESIGN.md).
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import cache

import holidays

from registry import settings

MONTHS_TO_ANSWER = 1
MONTHS_WITH_EXTENSION = 3  # Art. 12(3): extendable by two further months


@cache
def _finnish_holidays(year: int) -> frozenset[dt.date]:
    listed = holidays.Finland(years=year)
    return frozenset(day for day in listed if not _is_eve_that_counts_as_working_day(day))


def _is_eve_that_counts_as_working_day(day: dt.date) -> bool:
    christmas_eve = day.month == 12 and day.day == 24
    midsummer_eve = day.month == 6 and 19 <= day.day <= 25 and day.weekday() == 4
    return christmas_eve or midsummer_eve


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _finnish_holidays(day.year)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day-of-month `months` later, or that month's last day if it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_working_day(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def due_date(received: dt.date, extended: bool = False) -> dt.date:
    """The day by which a data-subject request must be answered."""
    months = MONTHS_WITH_EXTENSION if extended else MONTHS_TO_ANSWER
    return next_working_day(add_months(received, months))


def today() -> dt.date:
    """Today in Helsinki: the only "today" the deadlines are read against."""
    return dt.datetime.now(settings.REGISTRY_TZ).date()


def days_left(due: dt.date, on: dt.date) -> int:
    return (due - on).days


def describe_days_left(due: dt.date, on: dt.date) -> str:
    """ "3 days left", "due today", "5 days overdue"."""
    left = days_left(due, on)
    if left == 0:
        return "due today"
    if left > 0:
        return f"{left} day{'s' if left != 1 else ''} left"
    return f"{-left} day{'s' if left != -1 else ''} overdue"
