"""Counting segments: a segment's members and targetable members per channel, and every
built-in segment's in one statement, grouped in SQL (GROUPING SETS on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from registry import deadlines, regions, settings
from registry.derived_values import customer_status, engaged, value_band
from registry.filters import ENGAGEMENT, parse_definition
from registry.marketing_basis import Classifier
from registry.models import Organisation, Person
from registry.permissions import Actor, Permission, require
from registry.restricted import not_restricted, restricted_table
from registry.segments.catalogue import SegmentChoice, builtin_segments
from registry.segments.membership import (
    analytic,
    from_persons,
    matching_query,
    members_query,
    refusals_table,
)
from registry.vocabulary import Channel

Groups = dict[str, list[tuple[tuple[str | None, ...], int]]]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def grouped_counts(
    session: Session, facts: Select[Any], groupings: Mapping[str, Sequence[str]]
) -> Groups:
    """Rows of `facts` counted per value of each grouping's columns, in one statement.

    A row counts as its "weight" column if `facts` has one, else as 1. PostgreSQL groups all
    sets in one pass (GROUPING SETS); elsewhere each grouping scans the facts once more. Keys
    come back as text (or None), in the grouping's column order.
    """
    table = facts.subquery("facts")
    result: Groups = {name: [] for name in groupings}
    if session.get_bind().dialect.name == "postgresql":
        columns = list(dict.fromkeys(k for keys in groupings.values() for k in keys))
        position = {k: i for i, k in enumerate(columns)}
        # GROUPING() sets bit (n - 1 - i) for each column i the row's set leaves out.
        absent = {
            sum(1 << (len(columns) - 1 - position[k]) for k in columns if k not in keys): name
            for name, keys in groupings.items()
        }
        statement = select(
            func.grouping(*(table.c[k] for k in columns)),
            *(table.c[k] for k in columns),
            _weight(table),
        ).group_by(
            func.grouping_sets(
                *(tuple_(*(table.c[k] for k in keys)) for keys in groupings.values())
            )
        )
        # The planner cannot tell how few groups the CASE expressions make (it guesses
        # millions) and would sort a million rows to disk for the sets it thinks too big to
        # hash. The real hash tables hold a few hundred groups; let the planner hash them all.
        session.execute(select(func.set_config("work_mem", settings.SEGMENT_GROUPING_MEM, True)))
        rows = session.execute(statement).all()
        session.execute(select(func.set_config("work_mem", settings.SEGMENT_WORK_MEM, True)))
        for row in rows:
            name = absent[row[0]]
            keys = tuple(_text(row[1 + position[k]]) for k in groupings[name])
            result[name].append((keys, int(row[-1] or 0)))
        return result
    shared = facts.cte("facts")
    width = max(len(keys) for keys in groupings.values())
    parts = []
    for name, group_keys in groupings.items():
        texts = [cast(shared.c[k], String) for k in group_keys]
        texts += [cast(literal(None), String)] * (width - len(group_keys))
        parts.append(
            select(literal(name), *texts, _weight(shared)).group_by(
                *(shared.c[k] for k in group_keys)
            )
        )
    for row in session.execute(union_all(*parts)):
        name = row[0]
        result[name].append((tuple(row[1 : 1 + len(groupings[name])]), int(row[-1] or 0)))
    return result


def _weight(table: Any) -> ColumnElement[int]:
    return func.sum(table.c.weight) if "weight" in table.c else func.count()


@dataclass(frozen=True)
class Summary:
    """A segment's size and, per channel, how many of its members may be contacted there."""

    members: int
    refused_profiling: int  # matched the filters but are left out: they refused profiling
    targetable: dict[Channel, int]
    restricted: int = 0  # matched the filters but are left out: restricted (Art. 18)


def summary(
    session: Session, actor: Actor, definition: Any, today: dt.date | None = None
) -> Summary:
    """Members, and targetable members per channel: two statements, one consent join each."""
    require(actor, Permission.VIEW_SEGMENTS)
    parsed = parse_definition(definition)
    today = today or deadlines.today()
    analytic(session)
    # A restricted person counts as restricted, not under any later reason.
    held = restricted_table()
    restricted = func.count(held.c.person_id)
    matching = matching_query(parsed, today).outerjoin(held, held.c.person_id == Person.id)
    if parsed.profiling:
        refusals = refusals_table()
        refused_free = func.count(case((held.c.person_id.is_(None), refusals.c.person_id)))
        matched, restricted_n, refused = session.execute(
            matching.outerjoin(refusals, refusals.c.person_id == Person.id).with_only_columns(
                func.count(), restricted, refused_free
            )
        ).one()
    else:
        matched, restricted_n = session.execute(
            matching.with_only_columns(func.count(), restricted)
        ).one()
        refused = 0
    # Targetable: the channel has a declared basis for the person (registry.marketing_basis);
    # members_query already leaves restricted persons out.
    bases = Classifier.for_channels(Channel, today)
    counts = session.execute(
        bases.join(members_query(parsed, today)).with_only_columns(
            *(func.sum(case((bases.allowed(c), 1), else_=0)) for c in Channel)
        )
    ).one()
    targetable = {c: int(n or 0) for c, n in zip(Channel, counts, strict=True)}
    return Summary(
        int(matched or 0) - int(refused) - int(restricted_n or 0),
        int(refused),
        targetable,
        int(restricted_n or 0),
    )


@dataclass(frozen=True)
class BuiltinRow:
    segment: SegmentChoice
    members: int
    targetable: dict[Channel, int]


def place_columns() -> list[Any]:
    """Country, and the Finnish city or (when the city is unknown) postal code prefix."""
    unknown_city = or_(Person.city.is_(None), Person.city.not_in(list(regions.CITY_REGION)))
    in_finland = Person.country == regions.FINLAND
    return [
        Person.country.label("country"),
        case((in_finland, Person.city), else_=None).label("city"),
        case(
            (and_(in_finland, unknown_city), func.substr(Person.postal_code, 1, 2)), else_=None
        ).label("postal_prefix"),
    ]


# The families of built-in segments and the values each groups the persons by; the profiling
# families also by whether the person refused profiling (then not a member).
_FAMILIES: dict[str, tuple[str, ...]] = {
    "lifecycle": ("relationship", "customer_status"),
    "value": ("value_band", "refused"),
    "geography": ("country", "city", "postal_prefix", "refused"),
    "engagement": (*ENGAGEMENT, "refused"),
    "industry": ("industry",),
    "position": ("position",),
}


# Each channel as one bit of a person's "may contact and can reach" mask.
_CHANNEL_BITS: dict[Channel, int] = {c: 1 << i for i, c in enumerate(Channel)}


def _family_counts(session: Session, today: dt.date) -> Groups:
    """Persons per value of each family and per set of targetable channels, in one pass.

    Each person carries the channels they may be contacted on and reached by as a bitmask
    (their grants aggregated per person, so the join is one row per person), so one grouping
    counts both the members and, per channel, the targetable.
    """
    refusals = refusals_table()
    bases = Classifier.for_channels(Channel, today)
    channels = sum(
        (case((bases.allowed(c), bit), else_=0) for c, bit in _CHANNEL_BITS.items()),
        start=literal(0),
    )
    facts = bases.join(
        from_persons(
            Person.relationship.label("relationship"),
            customer_status(today).label("customer_status"),
            value_band(today).label("value_band"),
            *place_columns(),
            Organisation.industry.label("industry"),
            Person.position.label("position"),
            *(case((engaged(k, today), 1), else_=0).label(k) for k in ENGAGEMENT),
            case((refusals.c.person_id.is_(None), 0), else_=1).label("refused"),
            channels.label("channels"),
        )
        .outerjoin(refusals, refusals.c.person_id == Person.id)
        .where(not_restricted())
    )
    return grouped_counts(
        session, facts, {name: (*keys, "channels") for name, keys in _FAMILIES.items()}
    )


def _allowed_in(choice: SegmentChoice) -> Callable[[Any], bool]:
    """Whether a group's "refused" key may count in the segment: not if it profiles."""
    if choice.definition.profiling:
        return lambda refused: refused == "0"
    return lambda refused: True


def _builtin_match(choice: SegmentChoice) -> tuple[str, Callable[[tuple], bool]]:
    """Which family's groups make up a built-in segment, and which of its groups count."""
    filters = {f.field: f.value for f in choice.definition.filters}
    match sorted(filters):
        case []:
            return "lifecycle", lambda k: True
        case ["relationship"] | ["customer_status", "relationship"]:
            statuses = filters.get("customer_status")
            return (
                "lifecycle",
                lambda k: (
                    k[0] in filters["relationship"] and (statuses is None or k[1] in statuses)
                ),
            )
        case ["value_band"]:
            allowed = _allowed_in(choice)
            return "value", lambda k: k[0] in filters["value_band"] and allowed(k[1])
        case ["area"]:
            allowed = _allowed_in(choice)
            return "geography", lambda k: regions.area_of(k[0]) in filters["area"] and allowed(k[3])
        case ["region"]:
            allowed = _allowed_in(choice)
            return (
                "geography",
                lambda k: regions.region_of(*k[:3]) in filters["region"] and allowed(k[3]),
            )
        case ["engagement"]:
            kinds, allowed = list(ENGAGEMENT), _allowed_in(choice)
            return (
                "engagement",
                lambda k: (
                    allowed(k[len(kinds)])
                    and any(k[kinds.index(kind)] == "1" for kind in filters["engagement"])
                ),
            )
        case ["industry"] | ["position"] as names:
            return names[0], lambda k: k[0] in filters[names[0]]
    raise ValueError(f"no family counts {choice.key}")


def builtin_overview(
    session: Session, actor: Actor, today: dt.date | None = None
) -> list[BuiltinRow]:
    """Every built-in segment's size and targetable size per channel, in one statement."""
    require(actor, Permission.VIEW_SEGMENTS)
    today = today or deadlines.today()
    choices = builtin_segments(session, actor)
    analytic(session)
    counts = _family_counts(session, today)
    rows = []
    for choice in choices:
        family, wanted = _builtin_match(choice)
        members, targetable = 0, dict.fromkeys(Channel, 0)
        for keys, n in counts[family]:
            if wanted(keys[:-1]):
                members += n
                mask = int(keys[-1] or 0)
                for channel, bit in _CHANNEL_BITS.items():
                    targetable[channel] += n if mask & bit else 0
        rows.append(BuiltinRow(choice, members, targetable))
    return rows
