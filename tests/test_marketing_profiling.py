"""Profiling that stops (Art. 21(2)-(3), Art. 7(3)): the declared profiling filters include
location; persons who refused profiling have no figures and are in no profiling segment;
where the declared basis is consent, persons never asked are not profiled either."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from registry import consent, export, metrics, notice
from registry.filters import parse_definition
from registry.models import Order, PersonMetrics
from registry.segments import counting, membership
from registry.vocabulary import ConsentSource, Purpose, Relationship, Role
from tests import factories

TODAY = dt.date(2026, 6, 15)
FINLAND = [{"field": "country", "op": "in", "value": ["FI"]}]
BUYERS = [{"field": "order_count", "op": "gte", "value": 1}]


def test_location_orders_and_behaviour_filters_are_profiling_as_declared():
    assert parse_definition(FINLAND).profiling
    assert parse_definition(BUYERS).profiling
    assert parse_definition([{"field": "last_app_use_days", "op": "lte", "value": 9}]).profiling
    assert not parse_definition(
        [{"field": "relationship", "op": "in", "value": ["service_user"]}]
    ).profiling


@pytest.fixture
def buyers(session, actors):  # type: ignore[no-untyped-def]
    """Three Finnish buyers with figures: one who will refuse profiling, one never asked, one
    who granted it."""
    made = []
    for name in ("Refuser", "Unasked", "Granter"):
        person = factories.person(
            session, name, relationship=Relationship.SERVICE_USER, country="FI", commit=False
        )
        session.flush()
        session.add(
            Order(
                person_id=person.id,
                ordered_on=TODAY - dt.timedelta(days=30),
                product="Click2Contract Pro",
                amount_eur=Decimal("50.00"),
                status="paid",
            )
        )
        made.append(person)
    session.commit()
    consent.record_consent(
        session,
        actors[Role.COMPLIANCE],
        made[2].id,
        [Purpose.PROFILING],
        "granted",
        ConsentSource.WEB_FORM,
        "ticked",
    )
    metrics.refresh_metrics(session)
    session.commit()
    return made


def figures(session) -> set[int]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return set(session.scalars(select(PersonMetrics.person_id)))


def test_a_refusal_deletes_the_figures_and_leaves_every_profiling_segment(session, actors, buyers):
    refuser, unasked, granter = buyers
    assert figures(session) == {p.id for p in buyers}
    consent.record_objection(session, actors[Role.COMPLIANCE], refuser.id, "letter", "letter")
    assert refuser.id not in figures(session)  # deleted with the objection
    metrics.refresh_metrics(session)  # and never written again
    session.commit()
    assert figures(session) == {unasked.id, granter.id}
    marketing = actors[Role.MARKETING]
    summary = counting.summary(session, marketing, FINLAND, TODAY)
    assert (summary.members, summary.refused_profiling) == (2, 1)
    # Without figures the refuser matches no order filter at all.
    assert counting.summary(session, marketing, BUYERS, TODAY).members == 2
    shown = export.preview(session, marketing, FINLAND, "post", TODAY)
    assert shown.left_out[export.LeftOut.REFUSED_PROFILING] == 1
    # A segment that profiles nobody keeps the refuser.
    everyone = [{"field": "relationship", "op": "in", "value": ["service_user"]}]
    assert counting.summary(session, marketing, everyone, TODAY).members == 3


def test_on_consent_only_persons_who_granted_profiling_are_profiled(
    session, actors, buyers, monkeypatch
):
    granter = buyers[2]
    shipped = notice.declaration()
    on_consent = dataclasses.replace(
        shipped,
        marketing=dataclasses.replace(shipped.marketing, profiling_basis="consent"),
    )
    monkeypatch.setattr(membership, "declaration", lambda: on_consent)
    metrics.refresh_metrics(session)
    session.commit()
    assert figures(session) == {granter.id}
    summary = counting.summary(session, actors[Role.MARKETING], FINLAND, TODAY)
    assert (summary.members, summary.refused_profiling) == (1, 2)
