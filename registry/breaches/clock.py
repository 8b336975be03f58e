"""A breach's reference, Helsinki wall time and the 72-hour clock (Art. 33(1))."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum

from registry import settings
from registry.formats import helsinki_text
from registry.models import Breach, utcnow
from registry.vocabulary import (
    AuthorityDecision,
)

# Art. 33(1): notified "where feasible, not later than 72 hours after having become aware".
# Hours as they pass, weekends and holidays included (WP29 guidelines WP250, II.A).
NOTIFICATION_HOURS = 72


def reference(breach_id: int) -> str:
    return f"BR-{breach_id:04d}"


# --- Helsinki wall time ---------------------------------------------------------------


class NonexistentTime(ValueError):
    """A Helsinki wall time skipped when the clocks go forward (e.g. 29.3.2026 03.30)."""


def from_helsinki(value: dt.datetime) -> dt.datetime:
    """A naive Helsinki wall time (or an aware time) as UTC.

    A time that happens twice when the clocks go back is read as the first of the two: for
    awareness that starts the clock an hour sooner, the reading that protects the person.
    """
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    local = value.replace(tzinfo=settings.REGISTRY_TZ, fold=0)
    utc = local.astimezone(dt.UTC)
    if utc.astimezone(settings.REGISTRY_TZ).replace(tzinfo=None) != value:
        raise NonexistentTime(value)
    return utc


# --- the clock (Art. 33(1)) -----------------------------------------------------------


class ClockState(StrEnum):
    RUNNING = "running"  # more than BREACH_CLOCK_AMBER_HOURS left
    AMBER = "amber"  # under BREACH_CLOCK_AMBER_HOURS left
    PASSED = "passed"  # the deadline passed without a decision
    NOTIFIED = "notified"  # notified within the 72 hours
    NOTIFIED_LATE = "notified_late"  # notified after them
    NOT_NOTIFIED = "not_notified"  # decided not to notify (no risk), with the reason


CLOCK_COLOURS: dict[ClockState, str] = {
    ClockState.RUNNING: "green",
    ClockState.AMBER: "orange",
    ClockState.PASSED: "red",
    ClockState.NOTIFIED: "gray",
    ClockState.NOTIFIED_LATE: "gray",
    ClockState.NOT_NOTIFIED: "gray",
}


@dataclass(frozen=True)
class Clock:
    """Where a breach stands against the 72 hours, at `now` or at its notification."""

    aware_at: dt.datetime
    deadline: dt.datetime  # UTC
    hours_left: float  # negative once passed; for a notification, its margin
    state: ClockState

    @property
    def is_open(self) -> bool:
        return self.state in (ClockState.RUNNING, ClockState.AMBER, ClockState.PASSED)

    @property
    def colour(self) -> str:
        return CLOCK_COLOURS[self.state]

    @property
    def deadline_text(self) -> str:
        return helsinki_text(self.deadline)

    @property
    def text(self) -> str:
        """ "31 h left", "5 h overdue", "notified 3 h before the deadline"..."""
        h = self.hours_left
        if self.state in (ClockState.RUNNING, ClockState.AMBER):
            return f"{math.floor(h)} h left"
        if self.state == ClockState.PASSED:
            return f"{math.ceil(-h)} h overdue"
        if self.state == ClockState.NOTIFIED:
            return "notified in time"
        if self.state == ClockState.NOTIFIED_LATE:
            return f"notified {math.ceil(-h)} h late"
        return "not notified (no risk)"


def deadline_of(aware_at: dt.datetime) -> dt.datetime:
    """Awareness + 72 hours, counted in UTC."""
    return aware_at.astimezone(dt.UTC) + dt.timedelta(hours=NOTIFICATION_HOURS)


def clock(
    aware_at: dt.datetime,
    now: dt.datetime,
    authority_decision: str | None = None,
    notified_at: dt.datetime | None = None,
) -> Clock:
    deadline = deadline_of(aware_at)
    if authority_decision == AuthorityDecision.NOTIFIED and notified_at is not None:
        left = (deadline - notified_at).total_seconds() / 3600
        state = ClockState.NOTIFIED if left >= 0 else ClockState.NOTIFIED_LATE
        return Clock(aware_at, deadline, left, state)
    if authority_decision == AuthorityDecision.NOT_NOTIFIED:
        return Clock(
            aware_at, deadline, (deadline - now).total_seconds() / 3600, ClockState.NOT_NOTIFIED
        )
    left = (deadline - now).total_seconds() / 3600
    if left < 0:
        state = ClockState.PASSED
    elif left < settings.BREACH_CLOCK_AMBER_HOURS:
        state = ClockState.AMBER
    else:
        state = ClockState.RUNNING
    return Clock(aware_at, deadline, left, state)


def clock_of(breach: Breach, now: dt.datetime | None = None) -> Clock:
    return clock(
        breach.aware_at,
        now or utcnow(),
        breach.authority_decision,
        breach.authority_notified_at,
    )
