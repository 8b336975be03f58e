"""Marketing segments: built-in and saved segments, their sizes, composition and members.

A segment is a definition (registry.filters): filters that all hold. Built-in segments are
derived from the registry (lifecycle, order value, geography, engagement, industry,
position); saved ones live in the `segment` table with their owner.

A segment built on orders or behaviour is profiling ("purchasing, transaction and location
information ... used for profiling", the notice): persons who withdrew from or objected to
profiling are left out of it, its counts and its exports at once (Art. 21(3), Art. 7(3)).
A member is targetable on a channel when their current consent for the channel's purpose is
a grant and the registry holds the contact detail the channel sends to. Consent is read only
through registry.consent.

Counting a million persons reads consent_state in one hash join per statement, never a probe
per person: a count of "granted" rows joined to the members, grouped by purpose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry import audit, consent, deadlines, regions, settings, validation
from registry.derived_values import customer_status, engaged, reachable, value_band
from registry.errors import ConflictError, NotFound, ValidationError
from registry.filters import (
    CUSTOMER_STATUSES,
    ENGAGEMENT,
    VALUE_BANDS,
    Definition,
    parse_definition,
)
from registry.models import Organisation, Person, PersonMetrics, Segment, utcnow
from registry.permissions import Actor, Permission, require
from registry.sqlfunctions import month_of
from registry.vocabulary import CHANNEL_PURPOSE, Channel, ConsentStatus, Purpose, Relationship

PROFILING_REFUSALS = (ConsentStatus.WITHDRAWN.value, ConsentStatus.OBJECTED.value)
CHANNEL_OF_PURPOSE: dict[str, Channel] = {p.value: c for c, p in CHANNEL_PURPOSE.items()}


# --- the persons of a segment, in SQL ---------------------------------------------------


def _from_persons(*columns: Any) -> Select[Any]:
    # Left joins on unique keys: the database drops them when no column of theirs is used.
    return (
        select(*columns)
        .select_from(Person)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(PersonMetrics, PersonMetrics.person_id == Person.id)
    )


def refused_profiling() -> ColumnElement[bool]:
    """SQL: the person withdrew from or objected to profiling."""
    return consent.status_is(Purpose.PROFILING, PROFILING_REFUSALS, Person.id)


def matching_query(definition: Definition, today: dt.date, *columns: Any) -> Select[Any]:
    """Persons matching the filters, before profiling refusals are left out (exports say why)."""
    return _from_persons(*columns).where(*definition.conditions(today))


def members_query(definition: Definition, today: dt.date, *columns: Any) -> Select[Any]:
    """SELECT columns FROM the segment's members: profiling refusals left out if it profiles."""
    query = matching_query(definition, today, *columns)
    return query.where(~refused_profiling()) if definition.profiling else query


def _granted(query: Select[Any], person_id: Any = Person.id) -> tuple[Select[Any], Any]:
    """The query joined to its persons' current grants for the channels' purposes: a row per
    (person, grant), one hash join. Returns the query and the grants (person_id, purpose)."""
    purposes = [p.value for p in CHANNEL_PURPOSE.values()]
    grants = consent.current_statuses(*purposes).subquery("grants")
    joined = query.join(
        grants,
        and_(grants.c.person_id == person_id, grants.c.status == ConsentStatus.GRANTED.value),
    )
    return joined, grants


def refusals_table() -> Any:
    """The persons who refused profiling, as a table to outer-join (one hash join)."""
    profiling = consent.current_statuses(Purpose.PROFILING)
    return profiling.where(profiling.selected_columns.status.in_(PROFILING_REFUSALS)).subquery(
        "refusals"
    )


def _reachable_by_purpose(purpose: Any) -> ColumnElement[int]:
    """1 if the person has the contact detail of the channel whose purpose this row grants."""
    return case(
        *((and_(purpose == p.value, reachable(c)), 1) for c, p in CHANNEL_PURPOSE.items()),
        else_=0,
    )


def analytic(session: Session) -> None:
    """Segment counts scan a million rows: let their hash joins and aggregates stay in memory,
    skip JIT compilation, which costs more than it saves here, and plan streamed results
    (exports read them to the end) for the whole result, not the first rows. PostgreSQL
    only; for the rest of the transaction."""
    if session.get_bind().dialect.name == "postgresql":
        for name, value in (
            ("work_mem", settings.SEGMENT_WORK_MEM),
            ("jit", "off"),
            ("cursor_tuple_fraction", "1"),
        ):
            session.execute(select(func.set_config(name, value, True)))


# --- built-in and saved segments --------------------------------------------------------


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
    return [position for position, _ in rows]


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


# --- saving, editing and deleting -------------------------------------------------------


def _checked(
    session: Session, name: str, description: str, definition: Any, segment_id: int | None
) -> tuple[str, str, Definition]:
    errors: dict[str, str] = {}
    checked_name = validation.optional_text(name, settings.MAX_NAME_LENGTH)
    if checked_name is None:
        errors["name"] = "Give the segment a name."
    elif isinstance(checked_name, validation.Invalid):
        errors["name"] = checked_name.message
    elif session.scalar(
        select(Segment.id).where(
            func.lower(Segment.name) == checked_name.lower(),
            Segment.id != (segment_id or 0),
        )
    ):
        errors["name"] = f"A segment named {checked_name!r} exists already; choose another name."
    checked_description = ""
    if description.strip():
        text = validation.free_text(description, settings.MAX_LONG_TEXT)
        if isinstance(text, validation.Invalid):
            errors["description"] = text.message
        else:
            checked_description = text
    try:
        parsed = parse_definition(definition)
    except ValidationError as e:
        errors.update(e.field_errors)
    else:
        if not parsed.filters:
            errors["definition"] = "Add at least one filter; everyone is a built-in segment."
    if errors:
        raise ValidationError(errors)
    assert isinstance(checked_name, str)
    return checked_name, checked_description, parsed


def save_segment(
    session: Session, actor: Actor, name: str, description: str, definition: Any
) -> Segment:
    """Save a new segment owned by the actor; one transaction with its audit event."""
    require(actor, Permission.MANAGE_SEGMENTS)
    if actor.user_id is None:
        raise ValidationError({"name": "Only a signed-in user can own a segment."})
    name, description, parsed = _checked(session, name, description, definition, None)
    now = utcnow()
    segment = Segment(
        name=name,
        description=description,
        definition=parsed.as_list(),
        owner_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(segment)
    try:
        session.flush()
    except IntegrityError as e:  # saved by someone else a moment ago
        session.rollback()
        raise ValidationError({"name": f"A segment named {name!r} exists already."}) from e
    audit.record(session, actor, "segment_saved", "segment", segment.id, parsed.sentence())
    session.commit()
    return segment


def _own(session: Session, actor: Actor, segment_id: int) -> Segment:
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(f"No saved segment with id {segment_id}.")
    if segment.owner_id != actor.user_id:
        raise ValidationError(
            {
                "segment": f"{segment.name!r} belongs to {segment.owner.display_name}; "
                "only its owner may change or delete it."
            }
        )
    return segment


def update_segment(
    session: Session,
    actor: Actor,
    segment_id: int,
    name: str,
    description: str,
    definition: Any,
    expected_updated_at: dt.datetime | None = None,
) -> Segment:
    """Change one of the actor's own segments; refused if someone changed it since it was read."""
    require(actor, Permission.MANAGE_SEGMENTS)
    segment = _own(session, actor, segment_id)
    if expected_updated_at is not None and segment.updated_at != expected_updated_at:
        raise ConflictError(
            f"{segment.name!r} was changed at {segment.updated_at:%Y-%m-%d %H:%M} UTC since you "
            "opened it. Reload it and make your change again."
        )
    name, description, parsed = _checked(session, name, description, definition, segment_id)
    changes = [
        what
        for what, old, new in (
            ("name", segment.name, name),
            ("description", segment.description, description),
            ("filters", segment.definition, parsed.as_list()),
        )
        if old != new
    ]
    segment.name, segment.description = name, description
    segment.definition = parsed.as_list()
    segment.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "segment_updated",
        "segment",
        segment.id,
        f"changed {', '.join(changes) or 'nothing'}: {parsed.sentence()}",
    )
    try:
        session.commit()
    except IntegrityError as e:
        session.rollback()
        raise ValidationError({"name": f"A segment named {name!r} exists already."}) from e
    return segment


def delete_segment(session: Session, actor: Actor, segment_id: int) -> None:
    """Delete one of the actor's own segments. Disclosures made from it keep their records."""
    require(actor, Permission.MANAGE_SEGMENTS)
    segment = _own(session, actor, segment_id)
    audit.record(session, actor, "segment_deleted", "segment", segment.id, segment.name)
    session.delete(segment)
    session.commit()


# --- counting ---------------------------------------------------------------------------

Groups = dict[str, list[tuple[tuple[str | None, ...], int]]]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _grouped_counts(
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
    for name, keys in groupings.items():
        columns = [cast(shared.c[k], String) for k in keys]
        columns += [cast(literal(None), String)] * (width - len(keys))
        parts.append(
            select(literal(name), *columns, _weight(shared)).group_by(*(shared.c[k] for k in keys))
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


def summary(
    session: Session, actor: Actor, definition: Any, today: dt.date | None = None
) -> Summary:
    """Members, and targetable members per channel: two statements, one consent join each."""
    require(actor, Permission.VIEW_SEGMENTS)
    parsed = parse_definition(definition)
    today = today or deadlines.today()
    analytic(session)
    if parsed.profiling:
        refusals = refusals_table()
        matched, refused = session.execute(
            matching_query(parsed, today, func.count(), func.count(refusals.c.person_id)).outerjoin(
                refusals, refusals.c.person_id == Person.id
            )
        ).one()
    else:
        matched, refused = session.scalar(matching_query(parsed, today, func.count())), 0
    query, grants = _granted(members_query(parsed, today))
    rows = session.execute(
        query.with_only_columns(
            grants.c.purpose, func.sum(_reachable_by_purpose(grants.c.purpose))
        ).group_by(grants.c.purpose)
    ).all()
    targetable = dict.fromkeys(Channel, 0)
    for purpose, n in rows:
        targetable[CHANNEL_OF_PURPOSE[purpose]] = int(n or 0)
    return Summary(int(matched or 0) - int(refused), int(refused), targetable)


@dataclass(frozen=True)
class BuiltinRow:
    segment: SegmentChoice
    members: int
    targetable: dict[Channel, int]


def _place_columns() -> list[Any]:
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
    "geography": ("country", "city", "postal_prefix"),
    "engagement": (*ENGAGEMENT, "refused"),
    "industry": ("industry",),
    "position": ("position",),
}


# Each channel as one bit of a person's "may contact and can reach" mask.
_CHANNEL_BITS: dict[Channel, int] = {c: 1 << i for i, c in enumerate(Channel)}


def _grant_masks() -> Any:
    """One row per person with any grant: the granted channels as bits, to outer-join."""
    grants = consent.current_statuses(*(p.value for p in CHANNEL_PURPOSE.values())).subquery(
        "grants"
    )
    bit = case(
        *((grants.c.purpose == CHANNEL_PURPOSE[c].value, b) for c, b in _CHANNEL_BITS.items()),
        else_=0,
    )
    return (
        select(grants.c.person_id, func.sum(bit).label("mask"))
        .where(grants.c.status == ConsentStatus.GRANTED.value)
        .group_by(grants.c.person_id)
        .subquery("masks")
    )


def _family_counts(session: Session, today: dt.date) -> Groups:
    """Persons per value of each family and per set of targetable channels, in one pass.

    Each person carries the channels they may be contacted on and reached by as a bitmask
    (their grants aggregated per person, so the join is one row per person), so one grouping
    counts both the members and, per channel, the targetable.
    """
    refusals = refusals_table()
    masks = _grant_masks()
    granted = func.coalesce(masks.c.mask, 0)
    channels = sum(
        (
            case((and_(granted.op("&")(bit) != 0, reachable(c)), bit), else_=0)
            for c, bit in _CHANNEL_BITS.items()
        ),
        start=literal(0),
    )
    facts = (
        _from_persons(
            Person.relationship.label("relationship"),
            customer_status(today).label("customer_status"),
            value_band(today).label("value_band"),
            *_place_columns(),
            Organisation.industry.label("industry"),
            Person.position.label("position"),
            *(case((engaged(k, today), 1), else_=0).label(k) for k in ENGAGEMENT),
            case((refusals.c.person_id.is_(None), 0), else_=1).label("refused"),
            channels.label("channels"),
        )
        .outerjoin(refusals, refusals.c.person_id == Person.id)
        .outerjoin(masks, masks.c.person_id == Person.id)
    )
    return _grouped_counts(
        session, facts, {name: (*keys, "channels") for name, keys in _FAMILIES.items()}
    )


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
            return "value", lambda k: k[0] in filters["value_band"] and k[1] == "0"
        case ["area"]:
            return "geography", lambda k: regions.area_of(k[0]) in filters["area"]
        case ["region"]:
            return "geography", lambda k: regions.region_of(*k[:3]) in filters["region"]
        case ["engagement"]:
            kinds = list(ENGAGEMENT)
            return (
                "engagement",
                lambda k: (
                    k[len(kinds)] == "0"
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


# --- composition ------------------------------------------------------------------------


@dataclass(frozen=True)
class Composition:
    """Who is in a segment, in aggregate: the page's charts."""

    members: int
    by_place: dict[str, int]  # Finnish regions, then the areas outside Finland
    by_country: dict[str, int]
    by_industry: dict[str, int]
    by_lifecycle: dict[tuple[str, str], int]  # (relationship, customer status) labels
    by_value_band: dict[str, int]
    consent: dict[Channel, dict[ConsentStatus, int]]  # current status of each channel
    added_per_month: list[tuple[str, int]]  # ("2025-03", members who joined that month)


_NO_ORGANISATION = "No organisation"
_REGION_UNKNOWN = "Finland, region unknown"
_COMPOSITION: dict[str, tuple[str, ...]] = {
    "place": ("country", "city", "postal_prefix"),
    "industry": ("industry",),
    "lifecycle": ("relationship", "customer_status"),
    "value": ("value_band",),
    "month": ("month",),
}


def composition(
    session: Session, actor: Actor, definition: Any, today: dt.date | None = None
) -> Composition:
    """The segment by region, industry, lifecycle, value band, consent and month joined."""
    require(actor, Permission.VIEW_SEGMENTS)
    parsed = parse_definition(definition)
    today = today or deadlines.today()
    analytic(session)
    members = members_query(
        parsed,
        today,
        *_place_columns(),
        func.coalesce(Organisation.industry, _NO_ORGANISATION).label("industry"),
        Person.relationship.label("relationship"),
        customer_status(today).label("customer_status"),
        value_band(today).label("value_band"),
        month_of(Person.created_at).label("month"),
    )
    grouped = _grouped_counts(session, members, _COMPOSITION)
    statuses = consent.current_statuses(*(p.value for p in CHANNEL_PURPOSE.values())).subquery(
        "statuses"
    )
    counted = (statuses.c.purpose, statuses.c.status, func.count())
    if parsed.filters:
        query = members_query(parsed, today, *counted).join(
            statuses, statuses.c.person_id == Person.id
        )
    else:  # everyone: every status row is a member's, no join needed
        query = select(*counted)
    consent_rows = session.execute(query.group_by(statuses.c.purpose, statuses.c.status)).all()
    return _composition_of(grouped, consent_rows)


def _add(counts: dict[Any, int], key: Any, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def _largest_first(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    return dict(sorted(pairs, key=lambda item: (-item[1], item[0])))


def _composition_of(grouped: Groups, consent_rows: Sequence[Any]) -> Composition:
    by_place: dict[str, int] = {}
    by_country: dict[str, int] = {}
    for (country, city, prefix), n in grouped["place"]:
        region = regions.region_of(country, city, prefix)
        if region is not None:
            _add(by_place, regions.region_label(region), n)
        elif country == regions.FINLAND:
            _add(by_place, _REGION_UNKNOWN, n)
        else:
            _add(by_place, regions.AREAS[regions.area_of(country or "")], n)
        _add(by_country, regions.country_label(country or ""), n)
    place_order = [names[0] for names in regions.REGIONS.values()]
    place_order += [_REGION_UNKNOWN, *list(regions.AREAS.values())[1:]]
    by_lifecycle: dict[tuple[str, str], int] = {}
    for (relationship, status), n in grouped["lifecycle"]:
        label = consent.RELATIONSHIP_LABELS.get(relationship or "", relationship or "")
        _add(by_lifecycle, (label, CUSTOMER_STATUSES[status or "none"]), n)
    bands = {band: n for (band,), n in grouped["value"]}
    members = sum(by_country.values())
    consent_counts: dict[Channel, dict[ConsentStatus, int]] = {
        c: dict.fromkeys(ConsentStatus, 0) for c in Channel
    }
    for purpose, status, n in consent_rows:
        consent_counts[CHANNEL_OF_PURPOSE[purpose]][ConsentStatus(status)] = int(n)
    for counts in consent_counts.values():
        counts[ConsentStatus.NEVER_ASKED] = members - sum(counts.values())
    return Composition(
        members=members,
        by_place={p: by_place[p] for p in place_order if p in by_place},
        by_country=_largest_first(by_country.items()),
        by_industry=_largest_first((k[0] or _NO_ORGANISATION, n) for k, n in grouped["industry"]),
        by_lifecycle=by_lifecycle,
        by_value_band={VALUE_BANDS[b]: bands[b] for b in VALUE_BANDS if b in bands},
        consent=consent_counts,
        added_per_month=sorted((k[0] or "", n) for k, n in grouped["month"]),
    )


# --- members ----------------------------------------------------------------------------

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
