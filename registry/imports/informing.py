"""Art. 14: persons whose data came from a third party, until they have been told.

Data not obtained from the person must be told to the person within a reasonable period,
at the latest within one month of obtaining it (Art. 14(3)(a)). A person counts as obtained
from a third party when an import from such a source added or changed them
(person.third_party_at), or when their recorded source is not one the declaration names as
the person's own (data/registry.toml, sources.from_the_person; then from created_at). They
are listed, oldest first, with the date by which they must be told, until that is recorded.
The list says only what the data shows: a person is off it once `informed_at` is recorded
after the data came in, not before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from registry import audit, deadlines, notice, settings
from registry.errors import NotFound, ValidationError
from registry.models import Person, utcnow
from registry.permissions import Actor, Permission, require, require_any


def obtained_at() -> ColumnElement[dt.datetime]:
    """When the person's data last came from a third party (or the person was added)."""
    return func.coalesce(Person.third_party_at, Person.created_at)


def awaiting() -> ColumnElement[bool]:
    """SQL: the person's data came from a third party and they have not been told since."""
    own = list(notice.declaration().sources_from_the_person)
    from_third_party = or_(
        Person.third_party_at.is_not(None),
        Person.source.not_in(own) if own else true(),
    )
    return and_(
        from_third_party,
        or_(Person.informed_at.is_(None), Person.informed_at < obtained_at()),
    )


def inform_by(obtained: dt.datetime) -> dt.date:
    """The last day to tell the person: one month after the Helsinki day the data came in.

    Not moved to the next working day: telling early is always allowed, so the earlier end
    protects the person.
    """
    day = obtained.astimezone(settings.REGISTRY_TZ).date()
    return deadlines.add_months(day, settings.INFORM_WITHIN_MONTHS)


def _earliest_on_time(today: dt.date) -> dt.date:
    """The first day whose data may still be told on time today (inform_by(day) >= today)."""
    day = deadlines.add_months(today, -settings.INFORM_WITHIN_MONTHS) - dt.timedelta(days=3)
    while deadlines.add_months(day, settings.INFORM_WITHIN_MONTHS) < today:
        day += dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class ToInform:
    person_id: int
    name: str
    source: str
    obtained_at: dt.datetime
    inform_by: dt.date
    import_run_id: int | None

    def overdue(self, today: dt.date) -> bool:
        return self.inform_by < today


@dataclass(frozen=True)
class InformingSummary:
    awaiting: int
    overdue: int


def summary(session: Session, actor: Actor, today: dt.date | None = None) -> InformingSummary:
    """How many persons await being told, and how many of them are past the month; counts
    only, no personal data."""
    require_any(actor, Permission.IMPORT_DATA, Permission.VIEW_PERSON)
    today = today or deadlines.today()
    cutoff = dt.datetime.combine(_earliest_on_time(today), dt.time(), settings.REGISTRY_TZ)
    total, late = session.execute(
        select(func.count(), func.count().filter(obtained_at() < cutoff.astimezone(dt.UTC)))
        .select_from(Person)
        .where(awaiting())
    ).one()
    return InformingSummary(int(total), int(late))


def persons_to_inform(
    session: Session,
    actor: Actor,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
) -> list[ToInform]:
    """One page of the persons awaiting being told, the longest waiting first."""
    require(actor, Permission.VIEW_PERSON)
    rows = session.execute(
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.source,
            obtained_at().label("obtained"),
            Person.import_run_id,
        )
        .where(awaiting())
        .order_by(obtained_at(), Person.id)
        .limit(min(limit, settings.MAX_PAGE_SIZE))
        .offset(offset)
    ).all()
    return [
        ToInform(
            pid,
            f"{first} {last}",
            source,
            _aware(obtained),
            inform_by(_aware(obtained)),
            run_id,
        )
        for pid, first, last, source, obtained, run_id in rows
    ]


def _aware(moment: dt.datetime) -> dt.datetime:
    # coalesce() loses the column type on SQLite: the text comes back naive UTC.
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def record_informed(
    session: Session, actor: Actor, person_id: int, informed_on: dt.date | None = None
) -> dt.datetime:
    """Record that the person was told of the data obtained from a third party (Art. 14),
    on `informed_on` (a Helsinki day; today if None); audited. Returns the moment stored.

    A past day is stored as its last moment (or now, if earlier), so that telling on the
    day the data came in counts; a day in the future, or before the data came in, is refused.
    """
    require(actor, Permission.AMEND_PERSON)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    now = utcnow()
    today = now.astimezone(settings.REGISTRY_TZ).date()
    day = informed_on or today
    obtained = person.third_party_at or person.created_at
    if day > today:
        raise ValidationError({"informed_on": "The day cannot be in the future."})
    if day < obtained.astimezone(settings.REGISTRY_TZ).date():
        raise ValidationError(
            {"informed_on": "The person cannot have been told before the data came in."}
        )
    end_of_day = dt.datetime.combine(day, dt.time.max, settings.REGISTRY_TZ).astimezone(dt.UTC)
    moment = min(end_of_day, now)
    try:
        person.informed_at = moment
        person.informed_by = actor.user_id
        session.flush()
        audit.record(
            session,
            actor,
            "person_informed",
            "person",
            person.id,
            f"told of data from a third party (Art. 14) on {day.isoformat()}",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return moment
