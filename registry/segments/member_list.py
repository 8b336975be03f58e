"""A segment's members, one page at a time: searched, sorted and paged in SQL, with no
contact details beyond where they are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.orm import Session

from registry import consent, deadlines, settings
from registry.errors import ValidationError
from registry.filters import parse_definition
from registry.models import Organisation, Person
from registry.permissions import Actor, Permission, require
from registry.segments.membership import members_query
from registry.vocabulary import CHANNEL_PURPOSE, Channel, ConsentStatus

MEMBER_SORTS: dict[str, tuple[str, Callable[[], list[Any]]]] = {
    "name": ("Name", lambda: [func.lower(Person.last_name), func.lower(Person.first_name)]),
    "organisation": ("Organisation", lambda: [func.lower(Organisation.name)]),
    "position": ("Position", lambda: [func.lower(Person.position)]),
    "city": ("City", lambda: [func.lower(Person.city)]),
    "country": ("Country", lambda: [Person.country]),
}


@dataclass(frozen=True)
class Member:
    """One member as marketing needs them: no contact details beyond where they are."""

    person_id: int
    name: str
    organisation: str | None
    position: str | None
    city: str | None
    country: str
    consent: dict[Channel, ConsentStatus] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberPage:
    members: list[Member]
    total: int  # members matching the search, on all pages


def _search_condition(text: str) -> ColumnElement[bool] | None:
    words = text.split()
    if not words:
        return None
    conditions = []
    for word in words[: settings.SEGMENT_MAX_SEARCH_WORDS]:
        needle = word.lower()
        conditions.append(
            or_(
                func.lower(Person.first_name).contains(needle, autoescape=True),
                func.lower(Person.last_name).contains(needle, autoescape=True),
                func.lower(Organisation.name).contains(needle, autoescape=True),
                func.lower(Person.city).contains(needle, autoescape=True),
            )
        )
    return and_(*conditions)


def members(
    session: Session,
    actor: Actor,
    definition: Any,
    *,
    sort: str = "name",
    descending: bool = False,
    search: str = "",
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
    today: dt.date | None = None,
    size: int | None = None,
) -> MemberPage:
    """One page of a segment's members, searched, sorted and paged in SQL.

    `size` is the segment's member count when the caller has it (summary): without a search
    it is the total, and a million rows need not be counted again."""
    require(actor, Permission.VIEW_SEGMENTS)
    parsed = parse_definition(definition)
    if sort not in MEMBER_SORTS:
        raise ValidationError({"sort": f"Sort by one of {', '.join(MEMBER_SORTS)}."})
    limit = max(1, min(limit, settings.MAX_PAGE_SIZE))
    offset = max(0, offset)
    today = today or deadlines.today()
    query = members_query(parsed, today)
    condition = _search_condition(search)
    if condition is not None:
        query = query.where(condition)
    if condition is None and size is not None:
        total = size
    else:
        total = session.scalar(query.with_only_columns(func.count())) or 0
    # Members without the value come last either way, on both databases.
    order = [(c.desc() if descending else c.asc()).nulls_last() for c in MEMBER_SORTS[sort][1]()]
    rows = session.execute(
        query.with_only_columns(
            Person.id,
            Person.first_name,
            Person.last_name,
            Organisation.name,
            Person.position,
            Person.city,
            Person.country,
        )
        .order_by(*order, Person.id.desc() if descending else Person.id)
        .limit(limit)
        .offset(offset)
    ).all()
    page = []
    for person_id, first, last, organisation, position, city, country in rows:
        statuses = consent.current_status(session, person_id)
        page.append(
            Member(
                person_id,
                f"{first} {last}",
                organisation,
                position,
                city,
                country,
                {c: statuses[CHANNEL_PURPOSE[c]] for c in Channel},
            )
        )
    return MemberPage(page, total)
