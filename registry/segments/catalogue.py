"""The segments a page can show: built-in ones derived from the registry (lifecycle, order
value, geography, engagement, industry, position) and the saved ones with their owners."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import regions, settings
from registry.errors import NotFound, ValidationError
from registry.filters import ENGAGEMENT, VALUE_BANDS, Definition, parse_definition
from registry.models import Organisation, Person, Segment
from registry.permissions import Actor, Permission, require
from registry.vocabulary import Relationship


@dataclass(frozen=True)
class SegmentChoice:
    """A segment the page can show: built in (derived from the registry) or saved."""

    key: str  # "builtin:<name>" or "saved:<id>"
    group: str
    title: str
    definition: Definition
    description: str = ""
    segment_id: int | None = None
    owner_id: int | None = None
    owner: str = ""
    updated_at: dt.datetime | None = None
    problem: str = ""  # why a saved definition cannot be used

    @property
    def label(self) -> str:
        return f"{self.group} · {self.title}"


def _builtin(group: str, key: str, title: str, *filters: tuple[str, str, Any]) -> SegmentChoice:
    definition = parse_definition([{"field": f, "op": o, "value": v} for f, o, v in filters])
    return SegmentChoice(f"builtin:{key}", group, title, definition)


FIXED_BUILTINS: tuple[SegmentChoice, ...] = (
    _builtin("Registry", "everyone", "Everyone"),
    _builtin(
        "Lifecycle",
        "current_customer_contacts",
        "Current customer contacts",
        ("relationship", "in", [Relationship.CUSTOMER_CONTACT.value]),
        ("customer_status", "in", ["current"]),
    ),
    _builtin(
        "Lifecycle",
        "past_customer_contacts",
        "Past customer contacts",
        ("relationship", "in", [Relationship.CUSTOMER_CONTACT.value]),
        ("customer_status", "in", ["past"]),
    ),
    _builtin(
        "Lifecycle",
        "service_users",
        "Service users",
        ("relationship", "in", [Relationship.SERVICE_USER.value]),
    ),
    _builtin(
        "Lifecycle",
        "marketing_opt_ins",
        "Marketing opt-ins without a customer relationship",
        ("relationship", "in", [Relationship.MARKETING_OPT_IN.value]),
        ("customer_status", "in", ["none"]),
    ),
    *(
        _builtin("Order value", f"value_{band}", label, ("value_band", "in", [band]))
        for band, label in VALUE_BANDS.items()
        if band != "no_orders"
    ),
    *(
        _builtin("Geography", f"area_{area}", label, ("area", "in", [area]))
        for area, label in regions.AREAS.items()
    ),
    *(
        _builtin("Finnish regions", f"region_{key}", names[0], ("region", "in", [key]))
        for key, names in regions.REGIONS.items()
    ),
    *(
        _builtin("Engagement", f"engagement_{kind}", label + "s", ("engagement", "in", [kind]))
        for kind, label in ENGAGEMENT.items()
    ),
)


def _industries(session: Session) -> list[str]:
    return list(
        session.scalars(select(Organisation.industry).distinct().order_by(Organisation.industry))
    )


def _top_positions(session: Session) -> list[str]:
    count = func.count().label("n")
    rows = session.execute(
        select(Person.position, count)
        .where(Person.position.is_not(None))
        .group_by(Person.position)
        .order_by(count.desc(), Person.position)
        .limit(settings.SEGMENT_TOP_POSITIONS)
    )
    return [position for position, _ in rows if position is not None]  # none by the query


def builtin_segments(session: Session, actor: Actor) -> list[SegmentChoice]:
    """The built-in segments: fixed ones, one per industry and one per common position."""
    require(actor, Permission.VIEW_SEGMENTS)
    return [
        *FIXED_BUILTINS,
        *(
            _builtin("Industry", f"industry_{name}", name, ("industry", "in", [name]))
            for name in _industries(session)
        ),
        *(
            _builtin("Position", f"position_{name}", name, ("position", "in", [name]))
            for name in _top_positions(session)
        ),
    ]


def _saved_choice(segment: Segment) -> SegmentChoice:
    problem = ""
    try:
        definition = parse_definition(segment.definition)
    except ValidationError as e:
        # Listed so its owner can fix or delete it, but never counted as if it had no filters.
        definition, problem = Definition(), f"Its definition cannot be read: {e}"
    return SegmentChoice(
        key=f"saved:{segment.id}",
        group="Saved",
        title=segment.name,
        definition=definition,
        problem=problem,
        description=segment.description,
        segment_id=segment.id,
        owner_id=segment.owner_id,
        owner=segment.owner.display_name or segment.owner.username,
        updated_at=segment.updated_at,
    )


def saved_segments(session: Session, actor: Actor) -> list[SegmentChoice]:
    """Saved segments, by name, with their owners."""
    require(actor, Permission.VIEW_SEGMENTS)
    return [
        _saved_choice(s) for s in session.scalars(select(Segment).order_by(Segment.name)).unique()
    ]


def find_segment(session: Session, actor: Actor, name: str) -> SegmentChoice:
    """A saved segment by its name, or a built-in one by its title or key (command line)."""
    require(actor, Permission.VIEW_SEGMENTS)
    segment = session.scalar(select(Segment).where(Segment.name == name))
    if segment is not None:
        return _saved_choice(segment)
    for choice in builtin_segments(session, actor):
        if name in (choice.title, choice.key.removeprefix("builtin:"), choice.label):
            return choice
    raise NotFound(f"No segment named {name!r}.")
