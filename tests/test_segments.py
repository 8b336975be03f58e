"""Segments on SQLite and PostgreSQL: filters that count and describe themselves, counts checked
against an independent computation, saving with its validation, members paging and sorting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import deadlines, filters, marketing_basis, regions, settings
from registry.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from registry.models import (
    AuditEvent,
    ConsentEvent,
    Disclosure,
    Order,
    Organisation,
    Person,
    PersonMetrics,
    Recipient,
    Segment,
)
from registry.permissions import Actor
from registry.segments import catalogue, composition, counting, member_list, membership, saving
from registry.vocabulary import (
    CHANNEL_PURPOSE,
    CONSENT_PRECEDENCE,
    Channel,
    ConsentStatus,
    Purpose,
    Role,
)
from tests import marketing_model
from tests.conftest import demo_actor

SEED_DEFINITIONS = [
    [{"field": "country", "op": "in", "value": ["FI"]}],
    [
        {"field": "relationship", "op": "in", "value": ["service_user"]},
        {"field": "last_app_use_days", "op": "lte", "value": 90},
    ],
]


# --- filters: one object, a condition and a sentence -----------------------------------


def test_the_seeds_definitions_parse_and_read_as_sentences():
    finland, app_users = (filters.parse_definition(d) for d in SEED_DEFINITIONS)
    assert finland.sentence() == "Persons whose country is Finland."
    assert app_users.sentence() == (
        "Persons whose relationship is service user, and whose days since the last app use "
        "is at most 90."
    )
    # Location is profiling as declared (data/registry.toml [marketing.profiling]).
    assert finland.profiling and app_users.profiling
    assert [filters.parse_definition(d).as_list() for d in SEED_DEFINITIONS] == SEED_DEFINITIONS


def test_sentences_name_values_by_their_labels():
    definition = filters.parse_definition(
        [
            {"field": "region", "op": "in", "value": ["uusimaa", "pirkanmaa"]},
            {"field": "order_total_eur", "op": "between", "value": [1000, 25000.5]},
            {"field": "consent_email", "op": "not_in", "value": ["objected", "withdrawn"]},
            {"field": "value_band", "op": "in", "value": ["at_risk"]},
        ]
    )
    assert definition.sentence() == (
        "Persons whose region is Uusimaa or Pirkanmaa, and whose order total is between "
        "€1,000 and €25,000, and whose email consent is neither objected nor withdrawn, and "
        "whose order value band is at risk."
    )
    assert definition.as_list()[1]["value"] == [1000, 25000.5]


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"field": "shoe_size", "op": "in", "value": ["42"]}, "definition", "Unknown field"),
        ({"field": "country", "op": "gte", "value": 3}, "country", "takes in, not_in"),
        ({"field": "relationship", "op": "in", "value": []}, "relationship", "at least one"),
        ({"field": "relationship", "op": "in", "value": ["friend"]}, "relationship", "Unknown"),
        ({"field": "order_count", "op": "gte", "value": -1}, "order_count", "zero or more"),
        ({"field": "order_count", "op": "gte", "value": 1.5}, "order_count", "whole number"),
        ({"field": "order_count", "op": "gte", "value": "many"}, "order_count", "a number"),
        ({"field": "order_count", "op": "gte", "value": True}, "order_count", "a number"),
        (
            {"field": "order_total_eur", "op": "between", "value": [5000, 100]},
            "order_total_eur",
            "The minimum (€5,000) is greater than the maximum (€100).",
        ),
        ({"field": "last_order_days", "op": "between", "value": [1]}, "last_order_days", "and"),
        ({"field": "country", "op": "in"}, "definition", "exactly"),
    ],
)
def test_bad_filters_are_refused_with_the_field_named(raw, field, message):
    with pytest.raises(ValidationError) as refused:
        filters.parse_definition([raw])
    assert message in refused.value.field_errors[field]


def test_a_range_of_two_inputs_becomes_one_filter():
    assert filters.range_filter("order_count", None, None) is None
    assert filters.range_filter("order_count", 2, None)["op"] == "gte"
    assert filters.range_filter("order_count", None, 5)["op"] == "lte"
    assert filters.range_filter("order_count", 2, 5) == {
        "field": "order_count",
        "op": "between",
        "value": [2, 5],
    }


def test_every_municipality_faker_knows_has_a_region():
    from faker.providers.address.fi_FI import Provider

    assert [c for c in Provider.cities if c not in regions.CITY_REGION] == []
    assert set(regions.CITY_REGION.values()) == set(regions.REGIONS)
    assert regions.region_of("FI", "Espoo", None) == "uusimaa"
    assert regions.region_of("FI", None, "33100") == "pirkanmaa"
    assert regions.region_of("FI", "Atlantis", "20100") == "varsinais_suomi"
    assert regions.region_of("SE", "Espoo", "02100") is None


# --- an independent computation of who is in a segment ---------------------------------

HELSINKI = settings.REGISTRY_TZ


@dataclass
class Facts:
    """One person as plain Python values, read with the ORM, not through segments' SQL."""

    person: Person
    organisation: Organisation | None
    metrics: PersonMetrics | None
    status: dict[str, str]  # purpose -> current status, from the event history
    evidenced: dict[str, bool]  # purpose -> whether the winning event carries evidence
    last_own_order: dt.date | None  # the person's own latest order


def _winners(events: list[ConsentEvent]) -> dict[str, ConsentEvent]:
    winners: dict[str, ConsentEvent] = {}
    for e in events:
        key = (e.occurred_at, CONSENT_PRECEDENCE[e.status], e.id)
        best = winners.get(e.purpose)
        if best is None or key > (best.occurred_at, CONSENT_PRECEDENCE[best.status], best.id):
            winners[e.purpose] = e
    return winners


def load_facts(session: Session) -> list[Facts]:
    organisations = {o.id: o for o in session.scalars(select(Organisation))}
    metrics = {m.person_id: m for m in session.scalars(select(PersonMetrics))}
    history: dict[int, list[ConsentEvent]] = {}
    for e in session.scalars(select(ConsentEvent)):
        history.setdefault(e.person_id, []).append(e)
    last_order: dict[int, dt.date] = {}
    for o in session.scalars(select(Order)):
        last_order[o.person_id] = max(o.ordered_on, last_order.get(o.person_id, o.ordered_on))
    facts = []
    # An erased person (Art. 17) is in no segment: the emptied row is not a data subject.
    for p in session.scalars(select(Person).where(Person.erased_at.is_(None))).unique():
        winners = _winners(history.get(p.id, []))
        facts.append(
            Facts(
                p,
                organisations.get(p.organisation_id) if p.organisation_id else None,
                metrics.get(p.id),
                {k: e.status for k, e in winners.items()},
                {k: bool(e.evidence and e.evidence.strip()) for k, e in winners.items()},
                last_order.get(p.id),
            )
        )
    return facts


def days_ago(value: dt.date | dt.datetime | None, today: dt.date) -> int | None:
    if value is None:
        return None
    day = value.astimezone(HELSINKI).date() if isinstance(value, dt.datetime) else value
    return (today - day).days


def customer_status_of(f: Facts, today: dt.date) -> str:
    o = f.organisation
    if o is None or o.kind != "customer":
        return "none"
    if o.customer_since and o.customer_since <= today:
        if o.customer_until is None or o.customer_until >= today:
            return "current"
    if o.customer_until and o.customer_until < today:
        return "past"
    return "none"


def value_band_of(f: Facts, today: dt.date) -> str:
    m = f.metrics
    orders = m.order_count if m else 0
    if not orders:
        return "no_orders"
    total = m.order_total_eur
    last = days_ago(m.last_order_on, today)
    first = days_ago(m.first_order_on, today)
    if first is not None and first <= settings.VALUE_NEW_DAYS:
        return "new"
    if (
        last is not None
        and last <= settings.VALUE_CHAMPION_DAYS
        and orders >= settings.VALUE_CHAMPION_ORDERS
        and total >= settings.VALUE_CHAMPION_EUR
    ):
        return "champions"
    if last is not None and last <= settings.VALUE_ACTIVE_DAYS:
        return "loyal" if orders >= settings.VALUE_LOYAL_ORDERS else "occasional"
    if last is not None and last <= settings.VALUE_AT_RISK_DAYS:
        if orders >= settings.VALUE_LOYAL_ORDERS:
            return "at_risk"
    return "lapsed"


def engagement_of(f: Facts, today: dt.date) -> set[str]:
    m = f.metrics
    if m is None:
        return set()
    windows = {
        "newsletter_reader": (m.last_newsletter_open_at, settings.NEWSLETTER_READER_DAYS),
        "event_attendee": (m.last_event_at, settings.EVENT_ATTENDEE_DAYS),
        "app_user": (m.last_app_use_at, settings.ACTIVE_APP_USER_DAYS),
    }
    return {
        k
        for k, (at, days) in windows.items()
        if (d := days_ago(at, today)) is not None and d <= days
    }


DAYS = {
    "last_order_days": lambda m: m.last_order_on,
    "last_app_use_days": lambda m: m.last_app_use_at,
    "last_newsletter_open_days": lambda m: m.last_newsletter_open_at,
    "last_event_days": lambda m: m.last_event_at,
    "last_website_visit_days": lambda m: m.last_website_visit_at,
}


def value_of(f: Facts, field: str, today: dt.date) -> Any:
    p = f.person
    match field:
        case "relationship" | "country" | "position":
            return getattr(p, field)
        case "customer_status":
            return customer_status_of(f, today)
        case "industry":
            return f.organisation.industry if f.organisation else None
        case "area":
            return regions.area_of(p.country)
        case "region":
            return regions.region_of(p.country, p.city, p.postal_code)
        case "value_band":
            return value_band_of(f, today)
        case "engagement":
            return engagement_of(f, today)
        case "order_count":
            return f.metrics.order_count if f.metrics else 0
        case "order_total_eur":
            return f.metrics.order_total_eur if f.metrics else Decimal(0)
        case _ if field in DAYS:
            return days_ago(DAYS[field](f.metrics), today) if f.metrics else None
        case _:
            channel = Channel(field.removeprefix("consent_"))
            return f.status.get(CHANNEL_PURPOSE[channel].value, ConsentStatus.NEVER_ASKED.value)


def matches(f: Facts, item: dict[str, Any], today: dt.date) -> bool:
    value = value_of(f, item["field"], today)
    op, wanted = item["op"], item["value"]
    if op in ("in", "not_in"):
        inside = bool(value & set(wanted)) if isinstance(value, set) else value in wanted
        return inside if op == "in" else not inside
    if value is None:
        return False
    low, high = {"gte": (wanted, None), "lte": (None, wanted)}.get(op) or tuple(wanted)
    return (low is None or value >= Decimal(str(low))) and (
        high is None or value <= Decimal(str(high))
    )


def refused_profiling(f: Facts) -> bool:
    return f.status.get(Purpose.PROFILING.value) in ("withdrawn", "objected")


REACHABLE = {
    Channel.EMAIL: lambda p: p.email is not None,
    Channel.NEWSLETTER: lambda p: p.email is not None,
    Channel.EVENTS: lambda p: p.email is not None,
    Channel.PHONE: lambda p: p.phone is not None,
    Channel.SMS: lambda p: p.phone is not None,
    Channel.POST: lambda p: p.street_address is not None and p.postal_code is not None,
    Channel.IN_APP: lambda p: p.username is not None,
}


def expected(facts: list[Facts], definition: list[dict[str, Any]], today: dt.date):  # type: ignore[no-untyped-def]
    parsed = filters.parse_definition(definition)
    members = [
        f
        for f in facts
        if all(matches(f, item, today) for item in definition)
        and not (parsed.profiling and refused_profiling(f))
    ]
    targetable = {
        c: sum(
            1
            for f in members
            if marketing_model.outcome(
                f.person.relationship,
                c.value,
                f.status.get(CHANNEL_PURPOSE[c].value),
                f.evidenced.get(CHANNEL_PURPOSE[c].value, False),
                organisation=f.person.organisation_id is not None,
                last_own_order=f.last_own_order,
                reachable=REACHABLE[c](f.person),
                today=today,
            )
            in marketing_basis.BASES
        )
        for c in Channel
    }
    return members, targetable


@pytest.fixture
def seeded(seeded_session):  # type: ignore[no-untyped-def]
    return seeded_session, demo_actor(seeded_session, Role.MARKETING), load_facts(seeded_session)


def test_builtin_and_saved_segment_counts_match_an_independent_computation(seeded):
    session, actor, facts = seeded
    today = deadlines.today()
    overview = counting.builtin_overview(session, actor, today)
    assert len(overview) > 40
    nonempty = 0
    for row in overview:
        definition = row.segment.definition.as_list()
        members, targetable = expected(facts, definition, today)
        assert (row.members, row.targetable) == (len(members), targetable), row.segment.label
        summary = counting.summary(session, actor, definition, today)
        assert (summary.members, summary.targetable) == (len(members), targetable)
        nonempty += bool(members)
    assert nonempty > 30  # the seeded registry fills most built-in segments
    saved = catalogue.saved_segments(session, actor)
    assert [s.definition.as_list() for s in saved[:2]] == [SEED_DEFINITIONS[1], SEED_DEFINITIONS[0]]
    for choice in saved:
        members, targetable = expected(facts, choice.definition.as_list(), today)
        summary = counting.summary(session, actor, choice.definition.as_list(), today)
        assert (summary.members, summary.targetable) == (len(members), targetable)


def test_a_profiling_segment_leaves_out_and_counts_profiling_refusals(seeded):
    session, actor, facts = seeded
    today = deadlines.today()
    # Finland: location profiles; refusers have no figures, so no order or behaviour
    # filter would match them at all.
    definition = SEED_DEFINITIONS[0]
    matching = [f for f in facts if all(matches(f, item, today) for item in definition)]
    refused = [f for f in matching if refused_profiling(f)]
    assert refused, "the seed has Finns who refused profiling"
    summary = counting.summary(session, actor, definition, today)
    assert summary.refused_profiling == len(refused)
    assert summary.members == len(matching) - len(refused)
    query = membership.members_query(filters.parse_definition(definition), today, Person.id)
    ids = set(session.scalars(query))
    assert ids == {f.person.id for f in matching} - {f.person.id for f in refused}


definitions = st.lists(
    st.one_of(
        st.builds(
            lambda v: {"field": "relationship", "op": "in", "value": v},
            st.lists(
                st.sampled_from(["customer_contact", "service_user", "marketing_opt_in"]),
                min_size=1,
                max_size=2,
                unique=True,
            ),
        ),
        st.builds(
            lambda op, v: {"field": "area", "op": op, "value": v},
            st.sampled_from(["in", "not_in"]),
            st.lists(st.sampled_from(list(regions.AREAS)), min_size=1, max_size=2, unique=True),
        ),
        st.builds(
            lambda v: {"field": "region", "op": "in", "value": v},
            st.lists(st.sampled_from(list(regions.REGIONS)), min_size=1, max_size=3, unique=True),
        ),
        st.builds(
            lambda op, v: {"field": "value_band", "op": op, "value": v},
            st.sampled_from(["in", "not_in"]),
            st.lists(
                st.sampled_from(list(filters.VALUE_BANDS)), min_size=1, max_size=3, unique=True
            ),
        ),
        st.builds(
            lambda f, lo, span: filters.range_filter(f, lo, lo + span),
            st.sampled_from(list(DAYS)),
            st.integers(0, 400),
            st.integers(0, 800),
        ),
        st.builds(
            lambda lo, hi: filters.range_filter("order_count", lo, hi),
            st.none() | st.integers(0, 4),
            st.none() | st.integers(4, 9),
        ).filter(bool),
        st.builds(
            lambda lo: {"field": "order_total_eur", "op": "gte", "value": lo},
            st.integers(0, 40_000),
        ),
        st.builds(
            lambda c, v: {"field": f"consent_{c}", "op": "in", "value": v},
            st.sampled_from([c.value for c in Channel]),
            st.lists(
                st.sampled_from([s.value for s in ConsentStatus]),
                min_size=1,
                max_size=2,
                unique=True,
            ),
        ),
        st.builds(
            lambda v: {"field": "engagement", "op": "in", "value": v},
            st.lists(
                st.sampled_from(list(filters.ENGAGEMENT)), min_size=1, max_size=2, unique=True
            ),
        ),
        st.builds(
            lambda v: {"field": "customer_status", "op": "not_in", "value": v},
            st.lists(st.sampled_from(list(filters.CUSTOMER_STATUSES)), min_size=1, max_size=1),
        ),
    ),
    max_size=3,
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(definition=definitions)
def test_any_definition_counts_what_the_independent_computation_counts(seeded, definition):
    session, actor, facts = seeded
    today = deadlines.today()
    members, targetable = expected(facts, definition, today)
    summary = counting.summary(session, actor, definition, today)
    assert (summary.members, summary.targetable) == (len(members), targetable)


@pytest.mark.parametrize(
    "definition",
    [[], [{"field": "area", "op": "in", "value": ["finland", "nordics"]}], SEED_DEFINITIONS[1]],
)
def test_composition_adds_up_to_the_segment(seeded, definition):
    session, actor, facts = seeded
    today = deadlines.today()
    members, _ = expected(facts, definition, today)
    c = composition.composition(session, actor, definition, today)
    assert c.members == len(members)
    for counts in (c.by_place, c.by_country, c.by_industry, c.by_lifecycle, c.by_value_band):
        assert sum(counts.values()) == len(members)
    assert sum(n for _, n in c.added_per_month) == len(members)
    uusimaa = sum(1 for f in members if value_of(f, "region", today) == "uusimaa")
    assert c.by_place.get("Uusimaa", 0) == uusimaa
    champions = sum(1 for f in members if value_band_of(f, today) == "champions")
    assert c.by_value_band.get("Champions", 0) == champions
    for channel in Channel:
        purpose = CHANNEL_PURPOSE[channel].value
        for status in ConsentStatus:
            assert c.consent[channel][status] == sum(
                1 for f in members if f.status.get(purpose, "never_asked") == status
            ), (channel, status)


def test_members_are_paged_and_sorted_in_sql(seeded):
    session, actor, facts = seeded
    today = deadlines.today()
    definition = [{"field": "country", "op": "in", "value": ["FI"]}]
    members, _ = expected(facts, definition, today)
    first = member_list.members(session, actor, definition, sort="name", limit=25, today=today)
    assert first.total == len(members) and len(first.members) == 25
    seen = []
    for offset in range(0, len(members), 40):
        page = member_list.members(
            session, actor, definition, sort="name", limit=40, offset=offset, today=today
        )
        seen += page.members
    assert sorted(m.person_id for m in seen) == sorted(f.person.id for f in members)
    keys = [(m.name.split(" ", 1)[1].lower(), m.name.split(" ", 1)[0].lower()) for m in seen]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    newest = member_list.members(session, actor, definition, sort="city", descending=True)
    cities = [(m.city or "").lower() for m in newest.members]
    assert cities == sorted(cities, reverse=True)
    someone = members[0].person
    found = member_list.members(session, actor, definition, search=someone.last_name.upper())
    assert someone.id in {m.person_id for m in found.members}
    assert all(
        someone.last_name.lower() in m.name.lower() or m.organisation or m.city
        for m in found.members
    )
    row = next(m for m in found.members if m.person_id == someone.id)
    statuses = next(f.status for f in facts if f.person.id == someone.id)
    for channel in Channel:
        assert row.consent[channel] == statuses.get(
            CHANNEL_PURPOSE[channel].value, ConsentStatus.NEVER_ASKED
        )
    # The caller's known size stands for the total unless a search narrows the members.
    assert member_list.members(session, actor, definition, size=len(members)).total == len(members)
    narrowed = member_list.members(session, actor, definition, search="zzzz", size=len(members))
    assert narrowed.total == 0
    with pytest.raises(ValidationError):
        member_list.members(session, actor, definition, sort="salary")


def test_search_text_is_matched_literally(seeded):
    session, actor, _ = seeded
    for text in ("%", "_", "' OR 1=1 --", "\\"):
        page = member_list.members(session, actor, [], search=text)
        assert page.total == 0, text


# --- saving: validation, ownership, one transaction with its audit event ---------------


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_saved_segment_keeps_its_definition_owner_and_audit_event(session, actors):
    actor = actors[Role.MARKETING]
    segment = saving.save_segment(
        session, actor, "  Finnish app users ", "Service users in Finland.", SEED_DEFINITIONS[0]
    )
    assert segment.name == "Finnish app users" and segment.owner_id == actor.user_id
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "segment_saved")).one()
    assert event.record_id == str(segment.id) and "Finland" in event.detail
    choice = catalogue.find_segment(session, actor, segment.name)
    assert choice.owner == "Test marketing" and choice.definition.as_list() == SEED_DEFINITIONS[0]


@pytest.mark.parametrize(
    ("name", "description", "definition", "field", "message"),
    [
        ("", "", SEED_DEFINITIONS[0], "name", "Give the segment a name."),
        ("   ", "", SEED_DEFINITIONS[0], "name", "Give the segment a name."),
        ("Taken", "", SEED_DEFINITIONS[0], "name", "exists already"),
        ("TAKEN", "", SEED_DEFINITIONS[0], "name", "exists already"),
        ("x" * 101, "", SEED_DEFINITIONS[0], "name", "at most 100"),
        ("Long", "d" * 10_000, SEED_DEFINITIONS[0], "description", "at most 2000 characters"),
        (
            "Range",
            "",
            [{"field": "order_count", "op": "between", "value": [9, 2]}],
            "order_count",
            "The minimum (9) is greater than the maximum (2).",
        ),
        ("Nothing", "", [], "definition", "at least one filter"),
        ("Bell\x07", "", SEED_DEFINITIONS[0], "name", "control character"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(
    session, actors, name, description, definition, field, message
):
    actor = actors[Role.MARKETING]
    saving.save_segment(session, actor, "Taken", "", SEED_DEFINITIONS[0])
    before = (count(session, Segment), count(session, AuditEvent))
    with pytest.raises(ValidationError) as refused:
        saving.save_segment(session, actor, name, description, definition)
    assert message in refused.value.field_errors[field]
    session.rollback()
    assert (count(session, Segment), count(session, AuditEvent)) == before


def test_only_the_owner_changes_or_deletes_a_segment(session, actors):
    owner = actors[Role.MARKETING]
    from tests.conftest import make_user

    colleague = Actor.of(make_user(session, Role.MARKETING, "colleague"))
    segment = saving.save_segment(session, owner, "Mine", "", SEED_DEFINITIONS[0])
    with pytest.raises(ValidationError, match="only its owner"):
        saving.update_segment(session, colleague, segment.id, "Theirs", "", SEED_DEFINITIONS[0])
    with pytest.raises(ValidationError, match="only its owner"):
        saving.delete_segment(session, colleague, segment.id)
    read_at = segment.updated_at
    saving.update_segment(
        session,
        owner,
        segment.id,
        "Mine, renamed",
        "now described",
        SEED_DEFINITIONS[1],
        expected_updated_at=read_at,
    )
    with pytest.raises(ConflictError, match="since you opened it"):
        saving.update_segment(
            session,
            owner,
            segment.id,
            "Stale",
            "",
            SEED_DEFINITIONS[0],
            expected_updated_at=read_at,
        )
    changed = session.get(Segment, segment.id)
    assert (changed.name, changed.definition) == ("Mine, renamed", SEED_DEFINITIONS[1])
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "segment_updated")).one()
    assert "changed name, description, filters" in event.detail


def test_may_change_names_the_owner_of_a_saved_segment_only(session, actors):
    owner = actors[Role.MARKETING]
    from tests.conftest import make_user

    colleague = Actor.of(make_user(session, Role.MARKETING, "colleague"))
    saved = saving.save_segment(session, owner, "Mine", "", SEED_DEFINITIONS[0])
    choice = next(c for c in catalogue.saved_segments(session, owner) if c.segment_id == saved.id)
    assert saving.may_change(owner, choice)
    assert not saving.may_change(colleague, choice)
    assert not saving.may_change(Actor.command_line(), choice)
    builtin = catalogue.builtin_segments(session, owner)[0]
    assert builtin.segment_id is None and not saving.may_change(owner, builtin)


def test_deleting_a_segment_keeps_the_disclosures_made_from_it(session, actors):
    owner = actors[Role.MARKETING]
    segment = saving.save_segment(session, owner, "Gone soon", "", SEED_DEFINITIONS[0])
    recipient = Recipient(
        name="Emerald",
        kind="processor",
        service="Newsletter",
        country="IE",
        transfer_mechanism="not_needed",
    )
    session.add(recipient)
    session.flush()
    session.add(
        Disclosure(
            recipient_id=recipient.id,
            disclosed_at=dt.datetime.now(dt.UTC),
            purpose="News",
            data_categories=["basic"],
            legal_basis="consent",
            segment_id=segment.id,
        )
    )
    session.commit()
    saving.delete_segment(session, owner, segment.id)
    session.expire_all()
    assert session.get(Segment, segment.id) is None
    assert session.scalars(select(Disclosure)).one().segment_id is None
    assert (
        session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "segment_deleted")
        ).one()
        == "Gone soon"
    )
    with pytest.raises(NotFound):
        saving.delete_segment(session, owner, segment.id)


def test_roles_without_segment_rights_are_refused(session, actors):
    compliance, admin = actors[Role.COMPLIANCE], actors[Role.ADMINISTRATOR]
    with pytest.raises(PermissionDenied):
        saving.save_segment(session, compliance, "No", "", SEED_DEFINITIONS[0])
    for call in (
        lambda a: counting.summary(session, a, []),
        lambda a: counting.builtin_overview(session, a),
        lambda a: member_list.members(session, a, []),
        lambda a: composition.composition(session, a, []),
    ):
        with pytest.raises(PermissionDenied):
            call(compliance)
        with pytest.raises(PermissionDenied):
            call(admin)


def test_segment_statements_run_in_one_process_for_the_transaction(session: Session) -> None:
    """Each parallel worker would build the consent masks again (settings.
    SEGMENT_PARALLEL_WORKERS); the setting holds for the transaction, not the connection."""
    if session.get_bind().dialect.name != "postgresql":
        membership.analytic(session)  # SQLite has no planner setting: nothing to set, no error
        return
    setting = select(func.current_setting("max_parallel_workers_per_gather"))
    before = session.scalar(setting)
    membership.analytic(session)
    assert session.scalar(setting) == str(settings.SEGMENT_PARALLEL_WORKERS)
    session.rollback()
    assert session.scalar(setting) == before
