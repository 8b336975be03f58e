"""Restriction (Art. 18) on SQLite and PostgreSQL: completing a restriction request restricts
the person in its transaction; a restricted person is left out of segments, their counts and
exports, metrics refreshes and disclosure recording, and marked where shown; lifting needs a
reason and the day the person was told (Art. 18(3)); the recipients to tell (Art. 19)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from registry import disclosure_by_hand, export, metrics, persons, restrictions
from registry.errors import PermissionDenied, ValidationError
from registry.models import (
    AuditEvent,
    DisclosedPerson,
    Disclosure,
    Order,
    PersonMetrics,
    RequestTransition,
    Restriction,
    RestrictionNotification,
)
from registry.requests import request_view, transitions
from registry.segments import counting, member_list
from registry.vocabulary import (
    Channel,
    ConsentSource,
    Purpose,
    RequestKind,
    RequestStatus,
    RestrictionGround,
    Role,
)
from tests import factories
from tests.test_segments_export import choice_of, exported_rows, recipient

OPT_INS = [{"field": "relationship", "op": "in", "value": ["marketing_opt_in"]}]
T0 = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)


def opt_in(session, first: str, **columns):  # type: ignore[no-untyped-def]
    return factories.person(
        session,
        first,
        "Virtanen",
        relationship="marketing_opt_in",
        email=f"{first.lower()}@example.fi",
        **columns,
    )


def granted(session, actor, person) -> None:  # type: ignore[no-untyped-def]
    from registry import consent

    consent.record_consent(
        session, actor, person.id, [Purpose.NEWSLETTER], "granted", ConsentSource.WEB_FORM, "box"
    )


def verified_request(session, person_id, kind=RequestKind.RESTRICTION):  # type: ignore[no-untyped-def]
    return factories.request_row(
        session,
        kind,
        person_id=person_id,
        status=RequestStatus.VERIFIED,
        identity_method="Strong electronic identification",
    )


def count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def world(session, actors):  # type: ignore[no-untyped-def]
    """Two opted-in persons with a newsletter grant; Aino is restricted by a request."""
    compliance = actors[Role.COMPLIANCE]
    aino, eino = opt_in(session, "Aino"), opt_in(session, "Eino")
    for p in (aino, eino):
        granted(session, compliance, p)
    request = verified_request(session, aino.id)
    transitions.complete(
        session,
        compliance,
        request.id,
        "Restricted while the address is checked",
        RestrictionGround.UNLAWFUL,
    )
    return aino, eino, request


def test_completing_a_restriction_request_restricts_in_its_transaction(session, actors, world):
    aino, _eino, request = world
    restriction = session.scalars(select(Restriction)).one()
    assert (restriction.person_id, restriction.request_id, restriction.ground) == (
        aino.id,
        request.id,
        RestrictionGround.UNLAWFUL,
    )
    assert restriction.restricted_by == actors[Role.COMPLIANCE].user_id
    assert restriction.lifted_at is None
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"restriction_applied", "request_complete"} <= actions
    note = session.scalars(
        select(RequestTransition.note).where(RequestTransition.action == "complete")
    ).one()
    assert "Processing restricted" in note


def test_a_restriction_request_needs_a_ground_and_a_person_and_leaves_nothing(session, actors):
    compliance = actors[Role.COMPLIANCE]
    person = opt_in(session, "Aino")
    request = verified_request(session, person.id)
    with pytest.raises(ValidationError) as e:
        transitions.complete(session, compliance, request.id, "Done")
    assert "ground" in e.value.field_errors
    unmatched = verified_request(session, None)
    with pytest.raises(ValidationError, match="no one to restrict"):
        transitions.complete(session, compliance, unmatched.id, "Done", RestrictionGround.UNLAWFUL)
    assert count(session, Restriction) == 0
    assert session.get(type(request), request.id).status == RequestStatus.VERIFIED


def test_contested_accuracy_restricts_on_art_18_1_a(session, actors):
    compliance = actors[Role.COMPLIANCE]
    person = opt_in(session, "Aino")
    request = verified_request(session, person.id, RequestKind.CONTESTED_ACCURACY)
    transitions.complete(session, compliance, request.id, "Address being checked")
    assert session.scalars(select(Restriction.ground)).one() == RestrictionGround.ACCURACY_CONTESTED


def test_a_second_restriction_request_keeps_the_restriction_in_force(session, actors, world):
    aino, _eino, _request = world
    again = verified_request(session, aino.id)
    transitions.complete(
        session, actors[Role.COMPLIANCE], again.id, "Again", RestrictionGround.LEGAL_CLAIMS
    )
    assert count(session, Restriction) == 1
    note = session.scalars(
        select(RequestTransition.note).where(RequestTransition.request_id == again.id)
    ).one()
    assert "already restricted" in note


def test_a_restricted_person_is_left_out_of_segments_and_counted_apart(session, actors, world):
    _aino, eino, _ = world
    marketing = actors[Role.MARKETING]
    summary = counting.summary(session, marketing, OPT_INS)
    assert (summary.members, summary.restricted) == (1, 1)
    assert summary.targetable[Channel.NEWSLETTER] == 1
    page = member_list.members(session, marketing, OPT_INS)
    assert [m.person_id for m in page.members] == [eino.id] and page.total == 1
    everyone = next(
        r for r in counting.builtin_overview(session, marketing) if not r.segment.definition.filters
    )
    assert everyone.members == 1 and everyone.targetable[Channel.NEWSLETTER] == 1


def test_a_restricted_person_is_left_out_of_exports_with_the_reason(session, actors, world):
    _aino, eino, _ = world
    marketing = actors[Role.MARKETING]
    shown = export.preview(session, marketing, OPT_INS, Channel.NEWSLETTER)
    assert (shown.matched, shown.exported) == (2, 1)
    assert shown.left_out[export.LeftOut.RESTRICTED] == 1
    assert "processing restricted (Art. 18): 1" in shown.sentence()
    out = io.StringIO()
    result = export.export_target_list(
        session, marketing, choice_of(OPT_INS), Channel.NEWSLETTER, recipient(session).id, "N", out
    )
    assert [r["email"] for r in exported_rows(out)] == [eino.email]
    held = session.scalars(
        select(DisclosedPerson.person_id).where(
            DisclosedPerson.disclosure_id == result.disclosure_id
        )
    ).all()
    assert held == [eino.id]


def test_a_disclosure_by_hand_of_a_restricted_person_is_refused(session, actors, world):
    aino, eino, _ = world
    compliance = actors[Role.COMPLIANCE]
    to = factories.recipient(session, "Dealer Oy", kind="dealer")
    data = disclosure_by_hand.DisclosureInput(
        to.id, "Price list", ("basic",), "contract", f"{eino.id}, {aino.id}", dt.date.today()
    )
    with pytest.raises(ValidationError) as e:
        disclosure_by_hand.record_disclosure(session, compliance, data)
    assert f"person {aino.id}" in e.value.field_errors["persons"]
    assert count(session, Disclosure) == 0 and count(session, DisclosedPerson) == 0
    # A disclosure made before the restriction is a fact and may be recorded.
    before = dt.date.today() - dt.timedelta(days=3)
    made = disclosure_by_hand.record_disclosure(
        session,
        compliance,
        disclosure_by_hand.DisclosureInput(
            to.id, "Price list", ("basic",), "contract", str(aino.id), before
        ),
    )
    assert made.person_count == 1


def test_metrics_are_not_refreshed_for_a_restricted_person(session, actors, world):
    aino, eino, _ = world
    for p in (aino, eino):
        session.add(
            Order(
                person_id=p.id,
                ordered_on=dt.date(2025, 1, 5),
                product="Licence",
                amount_eur=100,
                status="paid",
            )
        )
    session.commit()
    metrics.refresh_metrics(session)
    session.commit()
    rows = dict(session.execute(select(PersonMetrics.person_id, PersonMetrics.order_count)).all())
    assert rows == {eino.id: 1}  # Aino had no figures before and gets none while restricted
    # Lifting brings the person's figures up to date in the same transaction.
    restrictions.lift(
        session, actors[Role.COMPLIANCE], aino.id, "Address confirmed", dt.date.today(), "Letter"
    )
    rows = dict(session.execute(select(PersonMetrics.person_id, PersonMetrics.order_count)).all())
    assert rows == {eino.id: 1, aino.id: 1}


def test_a_restricted_person_is_marked_where_shown(session, actors, world):
    aino, eino, request = world
    compliance = actors[Role.COMPLIANCE]
    found = {m.id: m for m in persons.search(session, compliance, "virtanen")}
    assert found[aino.id].restricted and "RESTRICTED" in found[aino.id].label
    assert not found[eino.id].restricted
    assert persons.person_detail(session, compliance, aino.id, record_view=False).restricted
    assert request_view.detail(session, compliance, request.id).person_restricted
    assert persons.person_consent(session, compliance, aino.id).person.restricted


@pytest.mark.parametrize(
    ("reason", "told_on", "how", "field", "message"),
    [
        ("", 0, "Letter", "reason", "why the restriction is lifted"),
        ("Checked", None, "Letter", "told_on", "Art. 18(3)"),
        ("Checked", -1, "Letter", "told_on", "future"),
        ("Checked", 30, "Letter", "told_on", "before the restriction began"),
        ("Checked", 0, "Carrier pigeon", "told_how", "how the person was told"),
    ],
)
def test_lifting_needs_a_reason_and_the_person_told_beforehand(
    session, actors, world, reason, told_on, how, field, message
):
    aino = world[0]
    today = dt.date.today()
    day = None if told_on is None else today - dt.timedelta(days=told_on)
    with pytest.raises(ValidationError) as e:
        restrictions.lift(session, actors[Role.COMPLIANCE], aino.id, reason, day, how)
    assert message in e.value.field_errors[field]
    assert session.scalars(select(Restriction.lifted_at)).one() is None
    assert "restriction_lifted" not in set(session.scalars(select(AuditEvent.action)))


def test_lifting_returns_the_person_to_segments_and_keeps_the_history(session, actors, world):
    aino, _eino, _ = world
    compliance = actors[Role.COMPLIANCE]
    with pytest.raises(PermissionDenied):
        restrictions.lift(session, actors[Role.MARKETING], aino.id, "x", dt.date.today(), "Letter")
    restrictions.lift(session, compliance, aino.id, "Address confirmed", dt.date.today(), "Email")
    assert counting.summary(session, actors[Role.MARKETING], OPT_INS).members == 2
    (view,) = restrictions.history(session, compliance, aino.id)
    assert view.lifted_at is not None and view.lift_reason == "Address confirmed"
    assert (view.person_told_on, view.person_told_how) == (dt.date.today(), "Email")
    assert restrictions.current(session, compliance, aino.id) is None
    with pytest.raises(ValidationError, match="not restricted"):
        restrictions.lift(session, compliance, aino.id, "Again", dt.date.today(), "Email")


def test_the_recipients_who_had_the_data_are_listed_to_be_told(session, actors):
    compliance = actors[Role.COMPLIANCE]
    aino = opt_in(session, "Aino")
    dealer = factories.recipient(session, "Dealer Oy", kind="dealer")
    later = factories.recipient(session, "Later Oy")
    factories.disclosure(session, compliance, dealer.id, [aino.id], disclosed_at=T0)
    request = verified_request(session, aino.id)
    transitions.complete(session, compliance, request.id, "Done", RestrictionGround.LEGAL_CLAIMS)
    restriction = session.scalars(select(Restriction)).one()
    (follow_up,) = restrictions.follow_ups(session, compliance, aino.id)
    assert [r.name for r in follow_up.recipients] == ["Dealer Oy"] and follow_up.pending == 1
    with pytest.raises(ValidationError):
        restrictions.mark_notified(session, compliance, restriction.id, later.id)
    assert restrictions.mark_notified(session, compliance, restriction.id, dealer.id)
    assert not restrictions.mark_notified(session, compliance, restriction.id, dealer.id)
    (follow_up,) = restrictions.follow_ups(session, compliance, aino.id)
    assert follow_up.pending == 0 and follow_up.recipients[0].notified_by
    assert count(session, RestrictionNotification) == 1


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("fi", "Käsittelyn rajoittaminen"),
        ("sv", "Begränsning av behandling"),
        ("en", "Restriction of processing"),
    ],
)
def test_the_access_report_shows_the_restriction_in_each_language(
    session, actors, world, language, heading
):
    from registry import report

    aino, _eino, request = world
    made = report.generate_for_person(session, actors[Role.COMPLIANCE], aino.id, language)
    (shown,) = made.report.restrictions
    assert (shown.ground, shown.request_id, shown.lifted_at) == (
        RestrictionGround.UNLAWFUL,
        request.id,
        None,
    )
    assert heading in made.html
