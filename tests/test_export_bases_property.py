"""The property over random persons, relationships, organisations, orders and consent
histories: no exported person lacks a basis the declaration allows, each listed person
carries the basis relied on, and the left-out counts add up; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from registry import consent, export, marketing_basis
from registry.marketing_basis import months_before
from registry.models import (
    ConsentEvent,
    ConsentState,
    DisclosedPerson,
    Disclosure,
    Order,
    Organisation,
    Person,
)
from registry.notice import declaration
from registry.vocabulary import (
    CHANNEL_PURPOSE,
    CONSENT_PRECEDENCE,
    Channel,
    ConsentSource,
    ConsentStatus,
    DeliveryService,
    Purpose,
    Relationship,
    Role,
)
from tests import marketing_model
from tests.test_segments_export import T0, choice_of, exported_rows, recipient

PROFILING = Purpose.PROFILING.value

# --- the property: over random consent histories ---------------------------------------

TODAY = dt.date(2026, 6, 15)
purposes = st.sampled_from(
    [
        Purpose.NEWSLETTER.value,
        Purpose.EMAIL_MARKETING.value,
        Purpose.PHONE.value,
        Purpose.SMS.value,
        Purpose.POST.value,
        PROFILING,
    ]
)
statuses = st.sampled_from(
    [ConsentStatus.GRANTED.value, ConsentStatus.WITHDRAWN.value, ConsentStatus.OBJECTED.value]
)
persons = st.lists(
    st.fixed_dictionaries(
        {
            "relationship": st.sampled_from([r.value for r in Relationship]),
            "has_email": st.booleans(),
            "has_phone": st.booleans(),
            "has_address": st.booleans(),
            "organisation": st.booleans(),
            "ordered_months_ago": st.sampled_from([None, 3, 30]),
            # (purpose, status, hour, evidence): hours collide on purpose, to exercise the
            # tie-break; a grant without evidence is no consent (Art. 7(1))
            "events": st.lists(
                st.tuples(purposes, statuses, st.integers(0, 5), st.booleans()), max_size=6
            ),
        }
    ),
    min_size=1,
    max_size=6,
)
DELIVERY = {
    Channel.NEWSLETTER: DeliveryService.MAILING,
    Channel.EMAIL: DeliveryService.MAILING,
    Channel.PHONE: DeliveryService.TELEMARKETING,
    Channel.SMS: DeliveryService.SMS,
    Channel.POST: DeliveryService.PRINT,
}


def current(events: list[tuple[str, str, int, bool]]) -> dict[str, tuple[str, bool]]:
    """The rule, independently: latest moment; at a tie objection > withdrawal > grant; then
    the later recorded. Each purpose's winning status and whether it carries evidence."""
    best: dict[str, tuple[int, int, int, str, bool]] = {}
    for order, (purpose, status, hour, evidence) in enumerate(events):
        key = (hour, CONSENT_PRECEDENCE[status], order, status, evidence)
        if purpose not in best or key > best[purpose]:
            best[purpose] = key
    return {purpose: (key[3], key[4]) for purpose, key in best.items()}


def expected_outcome(p: dict, channel: Channel, profiling: bool) -> str:
    """The declaration in force (data/registry.toml), applied independently of the SQL."""
    now = current(p["events"])
    status, evidenced = now.get(CHANNEL_PURPOSE[channel].value, (None, False))
    if profiling and now.get(PROFILING, ("",))[0] in ("withdrawn", "objected"):
        return "refused_profiling"
    reachable = {
        Channel.PHONE: p["has_phone"],
        Channel.SMS: p["has_phone"],
        Channel.POST: p["has_address"],
    }.get(channel, p["has_email"])
    ordered = p["ordered_months_ago"]
    return marketing_model.outcome(
        p["relationship"],
        channel.value,
        status,
        evidenced,
        organisation=p["organisation"],
        last_own_order=None if ordered is None else months_before(TODAY, ordered),
        reachable=reachable,
        today=TODAY,
    )


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    people=persons,
    channel=st.sampled_from(list(DELIVERY)),
    profiling=st.booleans(),
)
def test_no_exported_person_lacks_a_basis_under_the_declaration(
    session, actors, people, channel, profiling
):
    marketing = actors[Role.MARKETING]
    tag = uuid.uuid4().hex  # this example's persons share a position nobody else has
    expected: dict[int, str] = {}
    for i, p in enumerate(people):
        organisation = None
        if p["organisation"]:
            organisation = Organisation(
                name=f"Org {i}",
                business_id=f"{uuid.uuid4().int % 10**7:07d}-{i}",
                industry="Retail",
                country="FI",
                city="Turku",
            )
            session.add(organisation)
            session.flush()
        person = Person(
            first_name=f"P{i}",
            last_name=tag[:8],
            email=f"p{i}.{tag}@example.fi" if p["has_email"] else None,
            phone=f"+35840{i:07d}" if p["has_phone"] else None,
            street_address="Aurakatu 1" if p["has_address"] else None,
            postal_code="20100" if p["has_address"] else None,
            organisation_id=organisation.id if organisation else None,
            position=tag,
            relationship=p["relationship"],
            source="test",
        )
        session.add(person)
        session.flush()
        if p["ordered_months_ago"] is not None:
            session.add(
                Order(
                    person_id=person.id,
                    ordered_on=months_before(TODAY, p["ordered_months_ago"]),
                    product="Click2Contract Pro",
                    amount_eur=Decimal("120.00"),
                    status="paid",
                )
            )
        for purpose, status, hour, evidence in p["events"]:
            event = ConsentEvent(
                person_id=person.id,
                purpose=purpose,
                status=status,
                occurred_at=T0 + dt.timedelta(hours=hour),
                source=ConsentSource.EMAIL,
                evidence="signed form" if evidence else None,
            )
            session.add(event)
            session.flush()
            consent._apply(session, event)
        expected[person.id] = expected_outcome(p, channel, profiling)
    session.commit()
    definition = [{"field": "position", "op": "in", "value": [tag]}]
    if profiling:  # true of everyone, but built on orders: profiling refusals leave them out
        definition.append({"field": "order_count", "op": "gte", "value": 0})
    to = recipient(session, f"Delivery {DELIVERY[channel]}", delivers=DELIVERY[channel].value)
    out = io.StringIO()
    result = export.export_target_list(
        session, marketing, choice_of(definition), channel, to.id, "News", out, TODAY
    )

    disclosed = dict(
        session.execute(
            select(DisclosedPerson.person_id, DisclosedPerson.basis).where(
                DisclosedPerson.disclosure_id == result.disclosure_id
            )
        ).all()
    )
    wanted = {pid: why for pid, why in expected.items() if why in marketing_basis.BASES}
    assert disclosed == wanted  # each listed person with the basis relied on
    for pid, basis in disclosed.items():  # stated outright: a declared basis, no opt-out
        person = session.get(Person, pid)
        assert basis in declaration().marketing.bases_for(person.relationship, channel.value)
        statuses = consent.current_status(session, pid)
        assert statuses[CHANNEL_PURPOSE[channel]] not in (
            ConsentStatus.WITHDRAWN,
            ConsentStatus.OBJECTED,
        )
        if basis == "consent":
            assert session.get(ConsentState, (pid, CHANNEL_PURPOSE[channel].value)).has_evidence
    rows = exported_rows(out)
    assert result.rows == len(rows) == len(wanted)
    assert session.get(Disclosure, result.disclosure_id).person_count == len(wanted)
    preview = result.preview
    assert preview.matched == len(people)
    assert preview.exported + sum(preview.left_out.values()) == preview.matched
    assert preview.by_basis == {
        b: n for b in marketing_basis.BASES if (n := list(wanted.values()).count(b))
    }
    for reason in export.LeftOut:
        assert preview.left_out[reason] == list(expected.values()).count(reason.value), reason
