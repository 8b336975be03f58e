"""Consent rules on SQLite and PostgreSQL: the latest event wins, the tie-break, objections,
and the figures the consent page reads."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import consent, consent_review, persons, settings
from registry.errors import NotFound, PermissionDenied, ValidationError
from registry.models import AuditEvent, ConsentEvent, ConsentState, Person
from registry.permissions import Actor
from registry.vocabulary import (
    CONSENT_PRECEDENCE,
    ConsentSource,
    ConsentStatus,
    Purpose,
    Relationship,
    Role,
)
from tests import factories

GRANTED, WITHDRAWN, OBJECTED = (
    ConsentStatus.GRANTED,
    ConsentStatus.WITHDRAWN,
    ConsentStatus.OBJECTED,
)
NEVER_ASKED = ConsentStatus.NEVER_ASKED
T0 = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def add_person(
    session: Session,
    first: str = "Aino",
    last: str = "Virtanen",
    relationship: str = Relationship.CUSTOMER_CONTACT,
) -> Person:
    email = f"{first}.{last}@example.fi".lower()
    return factories.person(
        session, first, last, email=email, relationship=relationship, source="customer data system"
    )


def grant(session, actor, person, purposes, when, source=ConsentSource.WEB_FORM, override=False):  # type: ignore[no-untyped-def]
    return consent.record_consent(
        session,
        actor,
        person.id,
        purposes,
        GRANTED,
        source,
        "ticked the box",
        when,
        override_objection=override,
    )


def import_event(
    session: Session,
    person: Person,
    purpose: str,
    status: str,
    when: dt.datetime,
    source: str = ConsentSource.APP,
    evidence: str | None = None,
) -> ConsentEvent:
    """An event from an import (as the seed writes them): no evidence check, no audit."""
    return factories.imported_consent(session, person.id, purpose, status, when, source, evidence)


def state_of(session: Session, person: Person, purpose: str) -> ConsentState:
    state = session.get(ConsentState, (person.id, purpose))
    assert state is not None
    session.refresh(state)
    return state


@pytest.fixture
def marketing(actors: dict[Role, Actor]) -> Actor:
    return actors[Role.MARKETING]


# --- the precedence rule ---


def test_a_person_never_asked_has_no_status_for_any_purpose(session, marketing):
    person = add_person(session)
    assert consent.current_status(session, person.id) == dict.fromkeys(Purpose, NEVER_ASKED)


def test_the_latest_event_wins_whatever_order_it_was_recorded_in(session, marketing):
    person = add_person(session)
    grant(session, marketing, person, [Purpose.NEWSLETTER], at(0))
    consent.record_consent(
        session,
        marketing,
        person.id,
        [Purpose.NEWSLETTER],
        WITHDRAWN,
        ConsentSource.EMAIL,
        "",
        at(2),
    )
    # A grant dated between the two, recorded later (a letter that arrived late), loses.
    grant(session, marketing, person, [Purpose.NEWSLETTER], at(1), ConsentSource.LETTER)
    assert consent.current_status(session, person.id)[Purpose.NEWSLETTER] == WITHDRAWN
    grant(session, marketing, person, [Purpose.NEWSLETTER], at(3))
    status = consent.current_status(session, person.id)
    assert status[Purpose.NEWSLETTER] == GRANTED
    assert status[Purpose.EMAIL_MARKETING] == NEVER_ASKED


@pytest.mark.parametrize("grant_first", [True, False])
def test_at_the_same_timestamp_a_withdrawal_beats_a_grant(session, marketing, grant_first):
    person = add_person(session)
    withdraw = lambda: consent.record_consent(  # noqa: E731
        session, marketing, person.id, [Purpose.EVENTS], WITHDRAWN, ConsentSource.PHONE, "", at(0)
    )
    if grant_first:
        grant(session, marketing, person, [Purpose.EVENTS], at(0))
        withdraw()
    else:
        withdraw()
        grant(session, marketing, person, [Purpose.EVENTS], at(0))
    assert consent.current_status(session, person.id)[Purpose.EVENTS] == WITHDRAWN
    # The history lists the winner first at a tie, whatever the recording order.
    newest = consent.history(session, marketing, person.id)[0]
    assert newest.status == WITHDRAWN


def test_at_the_same_timestamp_an_objection_beats_a_withdrawal_and_a_grant(
    session, marketing, actors
):
    person = add_person(session)
    consent.record_objection(session, marketing, person.id, ConsentSource.LETTER, "", at(0))
    grant(session, actors[Role.COMPLIANCE], person, [Purpose.PHONE], at(0), override=True)
    consent.record_consent(
        session, marketing, person.id, [Purpose.PHONE], WITHDRAWN, ConsentSource.PHONE, "", at(0)
    )
    assert consent.current_status(session, person.id)[Purpose.PHONE] == OBJECTED


def test_two_equal_events_at_the_same_timestamp_the_later_recorded_is_in_effect(session, marketing):
    person = add_person(session)
    (first,) = grant(session, marketing, person, [Purpose.POST], at(0), ConsentSource.LETTER)
    (second,) = grant(session, marketing, person, [Purpose.POST], at(0), ConsentSource.EMAIL)
    state = state_of(session, person, Purpose.POST)
    assert (state.status, state.event_id) == (GRANTED, second.id)
    assert first.id < second.id


def test_an_objection_overrides_every_grant_and_covers_profiling(session, marketing):
    person = add_person(session)
    grant(session, marketing, person, list(Purpose), at(0))
    events = consent.record_objection(
        session, marketing, person.id, ConsentSource.LETTER, "letter of 10 March", at(1)
    )
    assert {e.purpose for e in events} == set(Purpose)
    assert consent.current_status(session, person.id) == dict.fromkeys(Purpose, OBJECTED)
    targetable = session.scalar(
        select(func.count())
        .select_from(Person)
        .where(Person.id == person.id, consent.may_contact(Purpose.NEWSLETTER, Person.id))
    )
    assert targetable == 0


def test_after_an_objection_only_an_explicit_new_grant_makes_a_person_contactable(
    session, marketing, actors
):
    compliance = actors[Role.COMPLIANCE]
    person = add_person(session)
    consent.record_objection(session, marketing, person.id, ConsentSource.LETTER, "", at(5))
    # A grant dated before the objection (an old form found later) does not revive consent.
    grant(session, compliance, person, [Purpose.NEWSLETTER], at(1), override=True)
    # Neither does a later withdrawal: it is not a grant.
    consent.record_consent(
        session, marketing, person.id, [Purpose.EVENTS], WITHDRAWN, ConsentSource.EMAIL, "", at(6)
    )
    status = consent.current_status(session, person.id)
    assert status[Purpose.NEWSLETTER] == OBJECTED
    assert status[Purpose.EVENTS] == WITHDRAWN
    grant(session, compliance, person, [Purpose.NEWSLETTER], at(7), override=True)
    status = consent.current_status(session, person.id)
    assert status[Purpose.NEWSLETTER] == GRANTED
    assert {p for p, s in status.items() if s == OBJECTED} == set(Purpose) - {
        Purpose.NEWSLETTER,
        Purpose.EVENTS,
    }


statuses = st.sampled_from([GRANTED, WITHDRAWN, OBJECTED])
event_lists = st.lists(
    st.tuples(st.sampled_from([Purpose.NEWSLETTER, Purpose.PHONE]), statuses, st.integers(0, 3)),
    min_size=1,
    max_size=8,
)


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=event_lists)
def test_the_kept_status_is_the_greatest_event_of_the_history(session, actors, events):
    """consent_state, written event by event, always equals the rule applied to the history."""
    actor = actors[Role.COMPLIANCE]
    person = add_person(session)
    recorded = []
    for purpose, status, hour in events:
        recorded += consent.record_consent(
            session,
            actor,
            person.id,
            [purpose],
            status,
            ConsentSource.EMAIL,
            "signed",
            at(hour),
            override_objection=True,
        )
    current = consent.current_status(session, person.id)
    for purpose in (Purpose.NEWSLETTER, Purpose.PHONE):
        mine = [e for e in recorded if e.purpose == purpose]
        if not mine:
            assert current[purpose] == NEVER_ASKED
            continue
        winner = max(mine, key=lambda e: (e.occurred_at, CONSENT_PRECEDENCE[e.status], e.id))
        assert current[purpose] == winner.status
        assert state_of(session, person, purpose).event_id == winner.id
        listed = [e for e in consent.history(session, actor, person.id) if e.purpose == purpose]
        assert listed[0].id == winner.id


# --- recording: validation, permissions, one transaction with its audit event ---


def count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_recording_stores_new_events_and_one_audit_event(session, marketing):
    person = add_person(session)
    grant(session, marketing, person, [Purpose.NEWSLETTER], at(0))
    consent.record_consent(
        session,
        marketing,
        person.id,
        [Purpose.NEWSLETTER, Purpose.EVENTS],
        WITHDRAWN,
        ConsentSource.PHONE,
        "called customer service",
        at(1),
    )
    events = consent.history(session, marketing, person.id)
    # Newest first; the two withdrawals share a timestamp, so the later-recorded comes first.
    assert [(e.purpose, e.status) for e in events] == [
        (Purpose.EVENTS, WITHDRAWN),
        (Purpose.NEWSLETTER, WITHDRAWN),
        (Purpose.NEWSLETTER, GRANTED),
    ]
    assert all(e.recorded_by == marketing.user_id for e in events)
    audits = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(a.action, a.record_type, a.record_id) for a in audits] == [
        ("consent_granted", "person", str(person.id)),
        ("consent_withdrawn", "person", str(person.id)),
    ]
    assert audits[1].actor_name == marketing.username
    assert "newsletter" in audits[1].detail and "phone" in audits[1].detail


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purposes": []}, "purposes"),
        ({"purposes": ["telepathy"]}, "purposes"),
        ({"status": "never_asked"}, "status"),
        ({"source": "carrier pigeon"}, "source"),
        ({"evidence": "   "}, "evidence"),
        ({"evidence": "x" * (settings.MAX_LONG_TEXT + 1)}, "evidence"),
        ({"occurred_at": dt.datetime(2999, 1, 1, tzinfo=dt.UTC)}, "occurred_at"),
        ({"occurred_at": dt.datetime(1999, 12, 31, tzinfo=dt.UTC)}, "occurred_at"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_stored(
    session, marketing, change, field
):
    person = add_person(session)
    args = {
        "purposes": [Purpose.NEWSLETTER],
        "status": GRANTED,
        "source": ConsentSource.LETTER,
        "evidence": "signed form",
        "occurred_at": at(0),
    } | change
    with pytest.raises(ValidationError) as e:
        consent.record_consent(session, marketing, person.id, **args)
    assert field in e.value.field_errors
    session.rollback()
    assert count(session, ConsentEvent) == 0
    assert count(session, ConsentState) == 0
    assert count(session, AuditEvent) == 0


def test_a_withdrawal_needs_no_evidence_but_a_grant_does(session, marketing):
    person = add_person(session)
    with pytest.raises(ValidationError, match="evidence"):
        consent.record_consent(
            session, marketing, person.id, [Purpose.POST], GRANTED, ConsentSource.PHONE, ""
        )
    consent.record_consent(
        session, marketing, person.id, [Purpose.POST], WITHDRAWN, ConsentSource.PHONE, ""
    )
    assert consent.current_status(session, person.id)[Purpose.POST] == WITHDRAWN


def test_the_administrator_may_not_record_consent_or_read_history(session, actors):
    person = add_person(session)
    admin = actors[Role.ADMINISTRATOR]
    with pytest.raises(PermissionDenied):
        consent.record_objection(session, admin, person.id, ConsentSource.LETTER)
    with pytest.raises(PermissionDenied):
        persons.open_person(session, admin, person.id)
    with pytest.raises(PermissionDenied):
        consent_review.persons_missing_evidence(session, admin)
    session.rollback()
    assert count(session, ConsentEvent) == 0
    assert count(session, AuditEvent) == 0


def test_an_unknown_person_is_refused_and_nothing_is_stored(session, marketing):
    with pytest.raises(NotFound):
        consent.record_objection(session, marketing, 424242, ConsentSource.LETTER)
    session.rollback()
    assert count(session, ConsentEvent) == 0
    assert count(session, AuditEvent) == 0


# --- a date entered by day ---


def test_a_dated_event_is_read_the_protective_way():
    now = dt.datetime(2026, 6, 15, 10, 30, tzinfo=dt.UTC)  # 13:30 in Helsinki (EEST)
    today = dt.date(2026, 6, 15)
    assert consent.moment_of(today, GRANTED, now) == now
    assert consent.moment_of(today, WITHDRAWN, now) == now
    day = dt.date(2026, 6, 1)
    # Helsinki midnight is 21:00 UTC the day before in summer.
    assert consent.moment_of(day, GRANTED, now) == dt.datetime(2026, 5, 31, 21, tzinfo=dt.UTC)
    end = consent.moment_of(day, OBJECTED, now)
    assert end.astimezone(settings.REGISTRY_TZ).date() == day
    assert end > dt.datetime(2026, 6, 1, 20, 59, 59, tzinfo=dt.UTC)
    assert consent.moment_of(dt.date(2026, 6, 16), WITHDRAWN, now) > now


def test_a_grant_dated_the_same_day_as_a_timed_withdrawal_does_not_override_it(session, marketing):
    person = add_person(session)
    withdrawn_at = dt.datetime(2025, 2, 3, 12, tzinfo=dt.UTC)
    import_event(session, person, Purpose.NEWSLETTER, WITHDRAWN, withdrawn_at, ConsentSource.APP)
    letter_day = withdrawn_at.astimezone(settings.REGISTRY_TZ).date()
    grant(session, marketing, person, [Purpose.NEWSLETTER], consent.moment_of(letter_day, GRANTED))
    assert consent.current_status(session, person.id)[Purpose.NEWSLETTER] == WITHDRAWN


# --- the page's figures ---


def test_status_counts_and_breakdowns_count_every_person(session, marketing):
    aino = add_person(session, "Aino", "Virtanen", Relationship.CUSTOMER_CONTACT)
    eero = add_person(session, "Eero", "Korhonen", Relationship.SERVICE_USER)
    liisa = add_person(session, "Liisa", "Mäkinen", Relationship.SERVICE_USER)
    add_person(session, "Otto", "Nieminen", Relationship.MARKETING_OPT_IN)
    grant(session, marketing, aino, [Purpose.NEWSLETTER], at(0), ConsentSource.WEB_FORM)
    grant(session, marketing, eero, [Purpose.NEWSLETTER], at(0), ConsentSource.EVENT)
    consent.record_consent(
        session, marketing, eero.id, [Purpose.NEWSLETTER], WITHDRAWN, ConsentSource.EMAIL, "", at(1)
    )
    consent.record_objection(session, marketing, liisa.id, ConsentSource.LETTER, "", at(2))

    counts = consent.status_counts(session)
    assert counts[Purpose.NEWSLETTER] == {
        GRANTED: 1,
        WITHDRAWN: 1,
        OBJECTED: 1,
        NEVER_ASKED: 1,
    }
    assert counts[Purpose.PHONE] == {GRANTED: 0, WITHDRAWN: 0, OBJECTED: 1, NEVER_ASKED: 3}

    by_source = consent_review.status_by_source(session, marketing, Purpose.NEWSLETTER)
    assert by_source == {
        ConsentSource.WEB_FORM: {GRANTED: 1},
        ConsentSource.EMAIL: {WITHDRAWN: 1},
        ConsentSource.LETTER: {OBJECTED: 1},
    }
    by_relationship = consent_review.status_by_relationship(session, marketing, Purpose.NEWSLETTER)
    assert by_relationship == {
        Relationship.CUSTOMER_CONTACT: {GRANTED: 1, WITHDRAWN: 0, OBJECTED: 0, NEVER_ASKED: 0},
        Relationship.SERVICE_USER: {GRANTED: 0, WITHDRAWN: 1, OBJECTED: 1, NEVER_ASKED: 0},
        Relationship.MARKETING_OPT_IN: {GRANTED: 0, WITHDRAWN: 0, OBJECTED: 0, NEVER_ASKED: 1},
    }


def test_changes_per_month_count_events_by_utc_month_and_fill_empty_months(session, marketing):
    person = add_person(session)
    other = add_person(session, "Eero", "Korhonen")
    jan, mar = dt.datetime(2025, 1, 31, 23, tzinfo=dt.UTC), dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    grant(session, marketing, person, [Purpose.NEWSLETTER, Purpose.EVENTS], jan)
    grant(session, marketing, other, [Purpose.NEWSLETTER], mar)
    consent.record_objection(session, marketing, person.id, ConsentSource.LETTER, "", mar)
    consent.record_consent(
        session, marketing, other.id, [Purpose.NEWSLETTER], WITHDRAWN, ConsentSource.EMAIL, "", mar
    )
    # Outside the window: the month before it.
    grant(session, marketing, other, [Purpose.POST], dt.datetime(2024, 12, 31, tzinfo=dt.UTC))

    months = consent_review.changes_per_month(
        session, marketing, months=3, today=dt.date(2025, 3, 20)
    )
    assert [(m.month, m.granted, m.withdrawn, m.objected) for m in months] == [
        ("2025-01", 2, 0, 0),
        ("2025-02", 0, 0, 0),
        ("2025-03", 1, 1, len(Purpose)),
    ]
    assert months[-1].opt_outs == 1 + len(Purpose)
    newsletter = consent_review.changes_per_month(
        session, marketing, Purpose.NEWSLETTER, months=3, today=dt.date(2025, 3, 20)
    )
    assert [(m.granted, m.withdrawn, m.objected) for m in newsletter] == [
        (1, 0, 0),
        (0, 0, 0),
        (1, 1, 1),
    ]


def test_persons_missing_evidence_are_listed_by_name_one_page_at_a_time(session, marketing):
    names = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen"]
    persons = [add_person(session, "Testi", last) for last in names]
    for person in persons:
        import_event(session, person, Purpose.NEWSLETTER, GRANTED, at(0), ConsentSource.APP)
    import_event(session, persons[0], Purpose.EVENTS, GRANTED, at(0), ConsentSource.EVENT)
    # Evidence recorded later makes the newer grant the one in effect: no longer missing.
    grant(session, marketing, persons[1], [Purpose.NEWSLETTER], at(1))
    # A withdrawal needs no evidence.
    consent.record_consent(
        session,
        marketing,
        persons[2].id,
        [Purpose.NEWSLETTER],
        WITHDRAWN,
        ConsentSource.EMAIL,
        "",
        at(1),
    )

    counts = consent_review.missing_evidence_counts(session, marketing)
    assert counts[Purpose.NEWSLETTER] == 3 and counts[Purpose.EVENTS] == 1
    assert sum(counts.values()) == 4

    first = consent_review.persons_missing_evidence(session, marketing, limit=2, offset=0)
    second = consent_review.persons_missing_evidence(session, marketing, limit=2, offset=2)
    assert first.total == second.total == 3
    listed = [r.person.name for r in first.rows + second.rows]
    assert listed == ["Testi Hämäläinen", "Testi Nieminen", "Testi Virtanen"]
    virtanen = (first.rows + second.rows)[2]
    assert [(g.purpose, g.source) for g in virtanen.grants] == [
        (Purpose.EVENTS, ConsentSource.EVENT),
        (Purpose.NEWSLETTER, ConsentSource.APP),
    ]
    only_events = consent_review.persons_missing_evidence(session, marketing, Purpose.EVENTS)
    assert only_events.total == 1
    assert [g.purpose for g in only_events.rows[0].grants] == [Purpose.EVENTS]


def test_opening_a_person_audits_the_view_and_shows_the_history(session, actors):
    compliance, marketing = actors[Role.COMPLIANCE], actors[Role.MARKETING]
    person = add_person(session)
    import_event(session, person, Purpose.PROFILING, GRANTED, at(0), ConsentSource.APP)
    grant(session, marketing, person, [Purpose.NEWSLETTER], at(1))
    consent.record_consent(
        session,
        marketing,
        person.id,
        [Purpose.NEWSLETTER],
        WITHDRAWN,
        ConsentSource.PHONE,
        "",
        at(2),
    )
    before = count(session, AuditEvent)

    detail = persons.open_person(session, compliance, person.id)
    assert detail.person.id == person.id and detail.person.name == "Aino Virtanen"
    assert detail.status[Purpose.NEWSLETTER] == WITHDRAWN
    assert detail.status[Purpose.PROFILING] == GRANTED
    assert [(h.purpose, h.status, h.in_effect) for h in detail.history] == [
        (Purpose.NEWSLETTER, WITHDRAWN, True),
        (Purpose.NEWSLETTER, GRANTED, False),
        (Purpose.PROFILING, GRANTED, True),
    ]
    assert detail.history[1].recorded_by == "Test marketing"
    assert detail.history[1].evidence == "ticked the box"
    assert detail.history[2].recorded_by is None  # imported, not recorded by a user

    views = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "view_consent_history")
    ).all()
    assert count(session, AuditEvent) == before + 1
    assert [(v.actor_name, v.record_id) for v in views] == [(compliance.username, str(person.id))]
    # Re-reading (a page rerun) is not another view.
    persons.person_consent(session, compliance, person.id)
    assert count(session, AuditEvent) == before + 1
    with pytest.raises(NotFound):
        persons.open_person(session, compliance, 424242)


def test_every_status_source_and_purpose_has_a_label():
    assert set(consent.PURPOSE_LABELS) == set(Purpose)
    assert set(consent.STATUS_LABELS) == set(ConsentStatus)
    assert set(consent.SOURCE_LABELS) == set(ConsentSource)
    assert set(consent.RELATIONSHIP_LABELS) == set(Relationship)
    assert len(set(consent.PURPOSE_LABELS.values())) == len(Purpose)
