"""Who is in a segment, in aggregate, for the page's charts: place, industry, lifecycle,
value band, consent per channel and month joined."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import consent, deadlines, regions
from registry.derived_values import customer_status, value_band
from registry.filters import CUSTOMER_STATUSES, VALUE_BANDS, parse_definition
from registry.models import Organisation, Person
from registry.permissions import Actor, Permission, require
from registry.segments.counting import Groups, grouped_counts, place_columns
from registry.segments.membership import CHANNEL_OF_PURPOSE, analytic, members_query
from registry.sqlfunctions import month_of
from registry.vocabulary import CHANNEL_PURPOSE, Channel, ConsentStatus


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
        *place_columns(),
        func.coalesce(Organisation.industry, _NO_ORGANISATION).label("industry"),
        Person.relationship.label("relationship"),
        customer_status(today).label("customer_status"),
        value_band(today).label("value_band"),
        month_of(Person.created_at).label("month"),
    )
    grouped = grouped_counts(session, members, _COMPOSITION)
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
