"""How the registry writes dates, times and numbers for people: one place for the views,
the breach documents and the report.

Dates are Finnish style (7.4.2026), times Helsinki wall time with a dot (14.05). The
report's own locale-aware formats (registry.report.language) use `finnish_date` for Finnish.
"""

from __future__ import annotations

import datetime as dt

from registry import settings


def finnish_date(day: dt.date) -> str:
    """How a Finnish reader writes a date: 7.4.2026."""
    return f"{day.day}.{day.month}.{day.year}"


def helsinki(moment: dt.datetime) -> dt.datetime:
    """A stored (UTC) moment as Helsinki wall time."""
    return moment.astimezone(settings.REGISTRY_TZ)


def helsinki_text(moment: dt.datetime | None, empty: str = "") -> str:
    """5.3.2026 14.05, Finnish style, in Helsinki time; `empty` for no moment."""
    if moment is None:
        return empty
    local = helsinki(moment)
    return f"{finnish_date(local.date())} {local:%H.%M}"


def grouped(n: int) -> str:
    """A count with its thousands grouped by a thin space, as Finnish, Swedish and English
    letters all accept: 12 345."""
    return f"{n:,}".replace(",", "\u202f")


# The pages not yet moved to the one style above still show these; each is kept as it was
# so that nothing a user reads changes with the move. One style for all is a later choice.


def helsinki_colon(moment: dt.datetime | None, empty: str = "") -> str:
    """5.3.2026 14:05 in Helsinki time (persons, imports)."""
    return helsinki(moment).strftime("%-d.%-m.%Y %H:%M") if moment else empty


def helsinki_padded(moment: dt.datetime) -> str:
    """05.03.2026 14:05 in Helsinki time (disclosures)."""
    return helsinki(moment).strftime("%d.%m.%Y %H:%M")


def helsinki_iso(moment: dt.datetime | None, empty: str = "") -> str:
    """2026-03-05 14:05 in Helsinki time (consent, accounts, backups)."""
    return helsinki(moment).strftime("%Y-%m-%d %H:%M") if moment else empty


def finnish_day_of(day: dt.date | None) -> str:
    """7.4.2026, or empty for no day."""
    return finnish_date(day) if day else ""
