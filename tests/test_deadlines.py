"""Art. 12(3) due dates, checked against cases worked out by hand from Regulation 1182/71.

Art. 3(2)(c): a period in months ends on the same date of the last month as the day of
receipt, or on that month's last day if it has no such date. Art. 3(4): a period ending on
a Saturday, Sunday or public holiday ends on the next working day. The holidays are the
Finnish ones; Christmas Eve and Midsummer Eve are treated as working days (DESIGN.md).

The table below was derived from a calendar, not from registry.deadlines; a property test
then compares due_date with an independent statement of the Finnish calendar for a century.
"""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry import deadlines
from registry.deadlines import describe_days_left, due_date

D = dt.date

# (received, extended, due, why)
CASES = [
    # DESIGN.md's examples
    (D(2026, 3, 5), False, D(2026, 4, 7), "5 Apr 2026 is Easter Sunday, 6 Apr Easter Monday"),
    (D(2025, 8, 31), False, D(2025, 9, 30), "September has no 31st: its last day"),
    (D(2028, 1, 31), False, D(2028, 2, 29), "leap year: 29 Feb, a Tuesday"),
    # month ends
    (D(2026, 1, 31), False, D(2026, 3, 2), "28 Feb 2026 (non-leap) is a Saturday"),
    (D(2027, 1, 31), False, D(2027, 3, 1), "28 Feb 2027 is a Sunday"),
    (D(2025, 1, 31), False, D(2025, 2, 28), "28 Feb 2025 is a Friday"),
    (D(2025, 1, 29), False, D(2025, 2, 28), "no 29 Feb in 2025"),
    (D(2024, 1, 30), False, D(2024, 2, 29), "no 30 Feb: leap-year 29 Feb, a Thursday"),
    (D(2024, 1, 29), False, D(2024, 2, 29), "29 Feb exists in 2024"),
    (D(2026, 3, 31), False, D(2026, 4, 30), "April has no 31st"),
    (D(2025, 10, 31), False, D(2025, 12, 1), "30 Nov 2025 is a Sunday"),
    (D(2026, 12, 31), False, D(2027, 2, 1), "across the year end; 31 Jan 2027 is a Sunday"),
    (D(2026, 2, 28), False, D(2026, 3, 30), "same date, not the month's last day: 28 Mar is Sat"),
    # movable holidays
    (D(2026, 3, 3), False, D(2026, 4, 7), "Good Friday 3 Apr 2026, then Easter"),
    (D(2026, 3, 6), False, D(2026, 4, 7), "Easter Monday 6 Apr 2026"),
    (D(2025, 3, 18), False, D(2025, 4, 22), "Good Friday 18 Apr 2025 to Easter Monday 21 Apr"),
    (D(2027, 2, 26), False, D(2027, 3, 30), "Good Friday 26 Mar 2027"),
    (D(2027, 2, 28), False, D(2027, 3, 30), "Easter Sunday 28 Mar 2027, Easter Monday 29 Mar"),
    (D(2028, 3, 17), False, D(2028, 4, 18), "Easter Monday 17 Apr 2028"),
    (D(2026, 4, 14), False, D(2026, 5, 15), "Ascension Day Thursday 14 May 2026"),
    (D(2025, 4, 29), False, D(2025, 5, 30), "Ascension Day Thursday 29 May 2025"),
    (D(2028, 4, 25), False, D(2028, 5, 26), "Ascension Day Thursday 25 May 2028"),
    (D(2026, 4, 24), False, D(2026, 5, 25), "Whit Sunday 24 May; Whit Monday is a working day"),
    (D(2026, 5, 20), False, D(2026, 6, 22), "Midsummer Day Saturday 20 Jun 2026"),
    (D(2027, 5, 26), False, D(2027, 6, 28), "Midsummer Day Saturday 26 Jun 2027"),
    (D(2025, 10, 1), False, D(2025, 11, 3), "All Saints' Day Saturday 1 Nov 2025"),
    (D(2027, 10, 6), False, D(2027, 11, 8), "All Saints' Day Saturday 6 Nov 2027"),
    # fixed holidays
    (D(2025, 12, 1), False, D(2026, 1, 2), "New Year's Day Thursday 1 Jan 2026"),
    (D(2025, 12, 6), False, D(2026, 1, 7), "Epiphany Tuesday 6 Jan 2026"),
    (D(2026, 4, 1), False, D(2026, 5, 4), "May Day Friday 1 May 2026, then the weekend"),
    (D(2028, 4, 1), False, D(2028, 5, 2), "May Day Monday 1 May 2028"),
    (D(2027, 11, 6), False, D(2027, 12, 7), "Independence Day Monday 6 Dec 2027"),
    (D(2026, 11, 25), False, D(2026, 12, 28), "Christmas Day Fri 25 Dec 2026, then weekend"),
    (D(2025, 11, 26), False, D(2025, 12, 29), "St Stephen's Day Friday 26 Dec 2025"),
    (D(2028, 11, 25), False, D(2028, 12, 27), "Christmas Day Mon, St Stephen's Day Tue 2028"),
    # the eves are working days
    (D(2026, 11, 24), False, D(2026, 12, 24), "Christmas Eve Thursday 2026 is a working day"),
    (D(2027, 11, 24), False, D(2027, 12, 24), "Christmas Eve Friday 2027 is a working day"),
    (D(2026, 5, 19), False, D(2026, 6, 19), "Midsummer Eve Friday 19 Jun 2026: a working day"),
    (D(2027, 5, 25), False, D(2027, 6, 25), "Midsummer Eve Friday 25 Jun 2027: a working day"),
    # received on a weekend or holiday: the receipt date still counts as the start
    (D(2026, 3, 7), False, D(2026, 4, 7), "received Saturday; 7 Apr is a Tuesday"),
    (D(2026, 4, 5), False, D(2026, 5, 5), "received on Easter Sunday"),
    (D(2025, 12, 25), False, D(2026, 1, 26), "received on Christmas Day; 25 Jan is a Sunday"),
    (D(2025, 11, 1), False, D(2025, 12, 1), "received on All Saints' Day"),
    # extensions: receipt + 3 months by the same rule
    (D(2026, 3, 5), True, D(2026, 6, 5), "a Friday"),
    (D(2025, 11, 30), True, D(2026, 3, 2), "28 Feb 2026 is a Saturday"),
    (D(2027, 11, 30), True, D(2028, 2, 29), "leap-year month end"),
    (D(2026, 3, 20), True, D(2026, 6, 22), "Midsummer Day Saturday 20 Jun 2026"),
    (D(2026, 1, 3), True, D(2026, 4, 7), "Good Friday 3 Apr 2026, then Easter"),
    (D(2026, 2, 14), True, D(2026, 5, 15), "Ascension Day 14 May 2026"),
    (D(2025, 9, 24), True, D(2025, 12, 24), "Christmas Eve is a working day"),
    (D(2026, 7, 31), True, D(2026, 11, 2), "All Saints' Day Saturday 31 Oct 2026"),
    (D(2026, 10, 6), True, D(2027, 1, 7), "Epiphany Wednesday 6 Jan 2027 is a working day"),
]


@pytest.mark.parametrize(
    ("received", "extended", "due", "why"),
    CASES,
    ids=[f"{c[0]}{'+ext' if c[1] else ''}" for c in CASES],
)
def test_due_date_table(received, extended, due, why):
    assert due_date(received, extended=extended) == due, why


def _easter(year: int) -> dt.date:
    """Easter Sunday by the anonymous Gregorian computus (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def _saturday_between(first: dt.date) -> dt.date:
    return first + dt.timedelta(days=(5 - first.weekday()) % 7)


def _finnish_public_holidays(year: int) -> set[dt.date]:
    """The Finnish public holidays (Christmas Eve and Midsummer Eve left out on purpose)."""
    easter = _easter(year)
    return {
        D(year, 1, 1),
        D(year, 1, 6),
        easter - dt.timedelta(days=2),
        easter,
        easter + dt.timedelta(days=1),
        D(year, 5, 1),
        easter + dt.timedelta(days=39),  # Ascension Day
        easter + dt.timedelta(days=49),  # Whit Sunday
        _saturday_between(D(year, 6, 20)),  # Midsummer Day: the Saturday of 20-26 June
        _saturday_between(D(year, 10, 31)),  # All Saints' Day: the Saturday of 31 Oct-6 Nov
        D(year, 12, 6),
        D(year, 12, 25),
        D(year, 12, 26),
    }


def test_computus_matches_known_easters():
    assert [_easter(y) for y in (2024, 2025, 2026, 2027, 2028)] == [
        D(2024, 3, 31),
        D(2025, 4, 20),
        D(2026, 4, 5),
        D(2027, 3, 28),
        D(2028, 4, 16),
    ]


def _working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _finnish_public_holidays(day.year)


@given(
    received=st.dates(min_value=D(2018, 5, 25), max_value=D(2099, 9, 30)),
    extended=st.booleans(),
)
def test_due_date_against_an_independent_calendar(received, extended):
    months = 3 if extended else 1
    index = received.month - 1 + months
    year, month = received.year + index // 12, index % 12 + 1
    day = received.day
    while True:
        try:
            nominal = D(year, month, day)
            break
        except ValueError:
            day -= 1
    expected = nominal
    while not _working(expected):
        expected += dt.timedelta(days=1)
    assert due_date(received, extended=extended) == expected


@pytest.mark.parametrize(
    ("due", "on", "text"),
    [
        (D(2026, 4, 10), D(2026, 4, 7), "3 days left"),
        (D(2026, 4, 8), D(2026, 4, 7), "1 day left"),
        (D(2026, 4, 7), D(2026, 4, 7), "due today"),
        (D(2026, 4, 6), D(2026, 4, 7), "1 day overdue"),
        (D(2026, 4, 2), D(2026, 4, 7), "5 days overdue"),
    ],
)
def test_describe_days_left(due, on, text):
    assert describe_days_left(due, on) == text


def test_today_is_read_in_helsinki(monkeypatch):
    # 22:30 UTC on 31 Dec is already 1 Jan in Helsinki (UTC+2 in winter).
    late = dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC)

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return late.astimezone(tz) if tz else late.replace(tzinfo=None)

    monkeypatch.setattr(deadlines.dt, "datetime", Clock)
    assert deadlines.today() == D(2027, 1, 1)
