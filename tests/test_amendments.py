"""Amendments (Art. 16) and recipient follow-up (Art. 19), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from registry import amendments, consent, db, notifications, persons, validation
from registry.amendments import AmendmentConflict, OpenedForm
from registry.disclosures import add_disclosure
from registry.errors import NotFound, PermissionDenied, ValidationError
from registry.models import (
    Activity,
    Amendment,
    AuditEvent,
    Order,
    Organisation,
    Person,
    Recipient,
    RecipientNotification,
    utcnow,
)
from registry.notifications import FollowUp
from registry.vocabulary import ConsentStatus, Purpose, RequestKind, Role
from tests import factories

NOW = utcnow()


def make_org(session: Session, name: str, business_id: str) -> Organisation:
    org = Organisation(
        name=name, business_id=business_id, industry="Software", country="FI", city="Turku"
    )
    session.add(org)
    session.commit()
    return org


def make_person(session: Session, **overrides: object) -> Person:
    values: dict[str, object] = {
        "first_name": "Anna",
        "last_name": "Virtanen",
        "email": "anna.virtanen@yritys.fi",
        "phone": "+358401234567",
        "street_address": "Tykistökatu 4",
        "postal_code": "20520",
        "city": "Turku",
        "country": "FI",
        "relationship": "customer_contact",
        "source": "customer data system",
        "username": "avirtanen",
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    }
    values.update(overrides)
    return factories.person(session, **values)  # type: ignore[arg-type]


def make_recipient(session: Session, name: str, country: str = "FI") -> Recipient:
    mechanism = "not_needed" if country == "FI" else "scc_2021"
    return factories.recipient(
        session,
        name,
        kind="dealer",
        service="resale",
        country=country,
        transfer_mechanism=mechanism,
    )


def disclose(session, actor, recipient, person, at, categories=("basic",)):  # type: ignore[no-untyped-def]
    add_disclosure(
        session,
        actor,
        recipient.id,
        "resale of licences",
        list(categories),
        "legitimate interest",
        [person.id],
        disclosed_at=at,
    )
    session.commit()


def opened_form(session: Session, actor, person_id: int) -> OpenedForm:  # type: ignore[no-untyped-def]
    return persons.person_detail(session, actor, person_id, record_view=False).form


def fresh(engine, person_id: int) -> Person:  # type: ignore[no-untyped-def]
    """The person as stored, read by a new session (nothing cached)."""
    with db.make_sessionmaker(engine)() as s:
        person = s.get(Person, person_id)
        assert person is not None
        return person


def count(engine, model) -> int:  # type: ignore[no-untyped-def]
    with db.make_sessionmaker(engine)() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def officer(actors):  # type: ignore[no-untyped-def]
    return actors[Role.COMPLIANCE]


@pytest.fixture
def anna(session):  # type: ignore[no-untyped-def]
    return make_person(session)


# --- one transaction per amendment ---


def test_amendment_changes_the_person_and_keeps_old_values(session, engine, officer, anna):
    opened = opened_form(session, officer, anna.id)
    result = amendments.amend_person(
        session,
        officer,
        opened,
        {**opened.values, "email": " Anna.V@Uusi.FI ", "phone": "050 765 4321"},
        "Letter of 3 May: email and phone were wrong.",
    )
    assert result.fields == ["Email", "Phone"] and result.version == opened.version + 1
    stored = fresh(engine, anna.id)
    assert (stored.email, stored.phone, stored.version) == ("Anna.V@uusi.fi", "+358507654321", 2)
    with db.make_sessionmaker(engine)() as s:
        rows = s.scalars(select(Amendment).order_by(Amendment.id)).all()
        assert [(a.field, a.old_value, a.new_value) for a in rows] == [
            ("email", "anna.virtanen@yritys.fi", "Anna.V@uusi.fi"),
            ("phone", "+358401234567", "+358507654321"),
        ]
        assert {a.reason for a in rows} == {"Letter of 3 May: email and phone were wrong."}
        assert {a.amended_by for a in rows} == {officer.user_id}
        assert rows[0].id == result.change_id
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "amend_person")).all()
        assert [(e.record_type, e.record_id, e.actor_name) for e in events] == [
            ("person", str(anna.id), officer.username)
        ]
        assert "email, phone" in events[0].detail


def test_invalid_field_stores_nothing_and_names_every_bad_field(session, engine, officer, anna):
    opened = opened_form(session, officer, anna.id)
    with pytest.raises(ValidationError) as refused:
        amendments.amend_person(
            session,
            officer,
            opened,
            {
                **opened.values,
                "first_name": "Anne",
                "email": "not-an-email",
                "postal_code": "2052",
                "last_name": "x" * 5_000,
            },
            "",
        )
    assert set(refused.value.field_errors) == {"email", "postal_code", "last_name", "reason"}
    assert fresh(engine, anna.id).first_name == "Anna"
    assert count(engine, Amendment) == 0


def test_a_failure_after_the_person_update_leaves_nothing_changed(
    session, engine, officer, anna, monkeypatch
):
    opened = opened_form(session, officer, anna.id)
    flushed: list[int] = []

    def failing_audit(s, *args, **kwargs):  # type: ignore[no-untyped-def]
        # The UPDATE and the amendment rows have reached the database by now.
        flushed.append(s.scalar(select(func.count()).select_from(Amendment)))
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(amendments.audit, "record", failing_audit)
    with pytest.raises(RuntimeError, match="audit trail unavailable"):
        amendments.amend_person(
            session, officer, opened, {**opened.values, "city": "Helsinki"}, "moved"
        )
    assert flushed == [1]
    stored = fresh(engine, anna.id)
    assert (stored.city, stored.version) == ("Turku", 1)
    assert count(engine, Amendment) == 0
    assert count(engine, AuditEvent) == 0


def test_untouched_fields_are_not_rechecked_but_nothing_changed_is_refused(session, officer):
    # A value stored before validation existed does not block amending another field.
    legacy = make_person(session, phone="0401234567", username=None)
    opened = opened_form(session, officer, legacy.id)
    amendments.amend_person(session, officer, opened, {**opened.values, "city": "Espoo"}, "moved")
    opened = opened_form(session, officer, legacy.id)
    with pytest.raises(ValidationError) as refused:
        amendments.amend_person(
            session, officer, opened, {**opened.values, "city": " Espoo "}, "again"
        )
    assert refused.value.field_errors == {"form": "Nothing to amend: the values are those stored."}


def test_employer_is_amended_by_organisation(session, engine, officer):
    old = make_org(session, "Vanha Oy", "1234567-8")
    new = make_org(session, "Uusi Oy", "8765432-1")
    person = make_person(session, organisation_id=old.id)
    opened = opened_form(session, officer, person.id)
    with pytest.raises(ValidationError) as refused:
        amendments.amend_person(session, officer, opened, {"employer": 99_999}, "new job")
    assert set(refused.value.field_errors) == {"employer"}
    amendments.amend_person(session, officer, opened, {"employer": new.id}, "new job")
    assert fresh(engine, person.id).organisation_id == new.id
    page = amendments.history(session, officer, person.id)
    assert [(r.label, r.old_value, r.new_value) for r in page.rows] == [
        ("Employer", "Vanha Oy (1234567-8)", "Uusi Oy (8765432-1)")
    ]


def test_employer_picker_filters_in_sql_and_keeps_the_shown_one(session, officer):
    asiakas = make_org(session, "Asiakas Oy", "1111111-1")
    toinen = make_org(session, "Toinen 100% Ab", "2222222-2")
    kolmas = make_org(session, "Kolmas Oy", "3333333-3")
    assert list(amendments.employers(session, officer)) == [asiakas.id, kolmas.id, toinen.id]
    assert amendments.employers(session, officer, " SIAK ") == {
        asiakas.id: "Asiakas Oy (1111111-1)"
    }
    assert list(amendments.employers(session, officer, "2222")) == [toinen.id]
    assert list(amendments.employers(session, officer, "0%")) == [toinen.id]  # % is literal
    assert list(amendments.employers(session, officer, "n_n")) == []  # so is _
    shown = amendments.employers(session, officer, "asiakas", include=[toinen.id, None])
    assert list(shown) == [asiakas.id, toinen.id]
    assert list(amendments.employers(session, officer, "", limit=1, include=[toinen.id])) == [
        asiakas.id,
        toinen.id,
    ]


def test_new_country_rechecks_the_postal_code(session, engine, officer):
    person = make_person(session, postal_code="11455", country="FI", username=None)
    opened = opened_form(session, officer, person.id)
    with pytest.raises(ValidationError) as refused:
        amendments.amend_person(session, officer, opened, {"country": "NO"}, "moved")
    assert refused.value.field_errors["postal_code"].startswith("11455 does not fit NO")
    # Sweden writes the same code as "114 55": the stored code is normalised with the move.
    amendments.amend_person(session, officer, opened, {"country": "se"}, "moved to Stockholm")
    stored = fresh(engine, person.id)
    assert (stored.country, stored.postal_code) == ("SE", "114 55")


def test_linked_request_must_be_this_persons_rectification(session, engine, officer, anna):
    other = make_person(session, email="other@yritys.fi", username="other")

    def request(kind: str, person_id: int | None) -> int:
        return factories.request_row(session, kind, person_id=person_id).id

    access = request(RequestKind.ACCESS, anna.id)
    others = request(RequestKind.RECTIFICATION, other.id)
    right = request(RequestKind.RECTIFICATION, anna.id)
    opened = opened_form(session, officer, anna.id)
    change = {"city": "Espoo"}
    for wrong, message in [
        (access, "is not a rectification request (it is access)"),
        (others, "is about another person"),
        (99_999, "There is no request #99999"),
    ]:
        with pytest.raises(ValidationError) as refused:
            amendments.amend_person(session, officer, opened, change, "moved", wrong)
        assert message in refused.value.field_errors["request"]
    amendments.amend_person(session, officer, opened, change, "moved", right)
    assert amendments.history(session, officer, anna.id).rows[0].request_id == right


# --- concurrent edits ---


def test_a_stale_form_is_refused_with_what_changed(session, engine, officer, anna, actors):
    mine = opened_form(session, officer, anna.id)
    # A colleague amends the email first, from another session.
    with db.make_sessionmaker(engine)() as other:
        theirs = opened_form(other, officer, anna.id)
        amendments.amend_person(
            other, officer, theirs, {"email": "anna@toinen.fi"}, "colleague's fix"
        )
    my_input = {**mine.values, "phone": "050 765 4321"}
    with pytest.raises(AmendmentConflict) as conflict:
        amendments.amend_person(session, officer, mine, my_input, "my fix")
    assert conflict.value.current.version == 2
    [changed] = conflict.value.fields
    assert (changed.field, changed.opened, changed.current) == (
        "email",
        "anna.virtanen@yritys.fi",
        "anna@toinen.fi",
    )
    assert changed.changed_by == "Test compliance" and changed.changed_at is not None
    assert fresh(engine, anna.id).phone == "+358401234567"
    assert count(engine, Amendment) == 1

    # Continuing keeps my phone and takes the colleague's email, so saving cannot undo it.
    rebased = amendments.rebase(mine, conflict.value.current, my_input)
    assert rebased["phone"] == "050 765 4321" and rebased["email"] == "anna@toinen.fi"
    amendments.amend_person(session, officer, conflict.value.current, rebased, "my fix")
    stored = fresh(engine, anna.id)
    assert (stored.email, stored.phone, stored.version) == ("anna@toinen.fi", "+358507654321", 3)


def test_a_change_committed_between_read_and_update_is_a_conflict(session, engine, officer, anna):
    opened = opened_form(session, officer, anna.id)

    def colleague_commits_first(s, flush_context, instances):  # type: ignore[no-untyped-def]
        if s.info.setdefault("colleague_done", False):
            return
        s.info["colleague_done"] = True
        with engine.begin() as c:
            c.execute(
                update(Person)
                .where(Person.id == anna.id)
                .values(city="Oulu", version=Person.version + 1)
            )

    event.listen(session, "before_flush", colleague_commits_first)
    with pytest.raises(AmendmentConflict) as conflict:
        amendments.amend_person(session, officer, opened, {"phone": "050 765 4321"}, "fix")
    assert [f.field for f in conflict.value.fields] == ["city"]
    assert conflict.value.fields[0].changed_by is None  # not changed by an amendment
    stored = fresh(engine, anna.id)
    assert (stored.city, stored.phone, stored.version) == ("Oulu", "+358401234567", 2)
    assert count(engine, Amendment) == 0


# --- history and the Art. 19 follow-up ---


def test_history_is_newest_first_with_who_and_why(session, officer, anna):
    for city, reason in [("Espoo", "first move"), ("Vantaa", "second move")]:
        opened = opened_form(session, officer, anna.id)
        amendments.amend_person(session, officer, opened, {"city": city}, reason)
    opened = opened_form(session, officer, anna.id)
    amendments.amend_person(
        session, officer, opened, {"first_name": "Anne", "last_name": "Koski"}, "married"
    )
    page = amendments.history(session, officer, anna.id)
    assert page.total == 4
    assert [(r.label, r.old_value, r.new_value, r.reason) for r in page.rows] == [
        ("First name", "Anna", "Anne", "married"),
        ("Last name", "Virtanen", "Koski", "married"),
        ("City", "Espoo", "Vantaa", "second move"),
        ("City", "Turku", "Espoo", "first move"),
    ]
    assert {r.amended_by for r in page.rows} == {"Test compliance"}
    second = amendments.history(session, officer, anna.id, limit=3, offset=3)
    assert [r.reason for r in second.rows] == ["first move"] and second.total == 4


def test_recipients_before_the_change_are_listed_and_ticked(session, engine, officer, anna):
    dealer = make_recipient(session, "Jälleenmyyjä Oy")
    cloud = make_recipient(session, "Cloud Inc.", country="US")
    late = make_recipient(session, "Myöhäinen Oy")
    never = make_recipient(session, "Never Oy")
    disclose(session, officer, dealer, anna, NOW - dt.timedelta(days=40))
    disclose(session, officer, dealer, anna, NOW - dt.timedelta(days=10), ["transactions"])
    disclose(session, officer, cloud, anna, NOW - dt.timedelta(days=5))
    someone_else = make_person(session, email="x@yritys.fi", username="x")
    disclose(session, officer, never, someone_else, NOW - dt.timedelta(days=5))

    opened = opened_form(session, officer, anna.id)
    result = amendments.amend_person(
        session, officer, opened, {"email": "anna@uusi.fi", "city": "Espoo"}, "request"
    )
    assert result.recipients_to_notify == 2
    # Disclosed after the amendment: this recipient already got the corrected data.
    disclose(session, officer, late, anna, utcnow() + dt.timedelta(seconds=1))

    [follow_up] = notifications.follow_ups(session, officer, anna.id)
    assert (follow_up.change_id, follow_up.fields) == (result.change_id, ["Email", "City"])
    assert [
        (r.name, r.third_country, r.disclosures, r.data_categories) for r in follow_up.recipients
    ] == [
        ("Cloud Inc.", True, 1, ["basic"]),
        ("Jälleenmyyjä Oy", False, 2, ["basic", "transactions"]),
    ]
    assert follow_up.pending == 2

    assert notifications.mark_notified(session, officer, result.change_id, dealer.id) == 2
    assert notifications.mark_notified(session, officer, result.change_id, dealer.id) == 0
    with pytest.raises(ValidationError):
        notifications.mark_notified(session, officer, result.change_id, late.id)

    [follow_up] = notifications.follow_ups(session, officer, anna.id)
    ticked = {r.name: (r.notified_at is not None, r.notified_by) for r in follow_up.recipients}
    assert ticked == {"Cloud Inc.": (False, None), "Jälleenmyyjä Oy": (True, "Test compliance")}
    assert follow_up.pending == 1
    # One notification row per amended field; one audit event for the tick.
    assert count(engine, RecipientNotification) == 2
    with db.make_sessionmaker(engine)() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "notify_recipient"))
        assert [(e.record_type, e.record_id) for e in events] == [
            ("amendment", str(result.change_id))
        ]


def test_each_save_has_its_own_follow_up(session, officer, anna):
    dealer = make_recipient(session, "Jälleenmyyjä Oy")
    opened = opened_form(session, officer, anna.id)
    first = amendments.amend_person(session, officer, opened, {"city": "Espoo"}, "one")
    # Disclosed just after the first save, so before the second one only.
    disclose(session, officer, dealer, anna, first.amended_at + dt.timedelta(microseconds=1))
    opened = opened_form(session, officer, anna.id)
    second = amendments.amend_person(session, officer, opened, {"city": "Vantaa"}, "two")
    follow_ups: list[FollowUp] = notifications.follow_ups(session, officer, anna.id)
    assert [f.change_id for f in follow_ups] == [second.change_id, first.change_id]
    assert [f.reason for f in follow_ups] == ["two", "one"]
    assert [[r.name for r in f.recipients] for f in follow_ups] == [["Jälleenmyyjä Oy"], []]


# --- the person's data ---


def test_person_detail_groups_the_data_and_audits_a_view(session, engine, officer, anna):
    org = make_org(session, "Asiakas Oy", "1111111-1")
    session.execute(update(Person).where(Person.id == anna.id).values(organisation_id=org.id))
    session.add_all(
        [
            Order(
                person_id=anna.id,
                organisation_id=org.id,
                ordered_on=dt.date(2026, 1, 5),
                product="Contracts Pro",
                amount_eur=Decimal("1200.00"),
                status="paid",
            ),
            Order(
                person_id=anna.id,
                organisation_id=org.id,
                ordered_on=dt.date(2026, 3, 5),
                product="Contracts Lite",
                amount_eur=Decimal("300.50"),
                status="in_recovery",
            ),
            Activity(person_id=anna.id, kind="website_visit", occurred_at=NOW, detail="/pricing"),
            Activity(person_id=anna.id, kind="app_use", occurred_at=NOW, city="Turku"),
            Activity(
                person_id=anna.id,
                kind="website_visit",
                occurred_at=NOW - dt.timedelta(days=1),
            ),
        ]
    )
    session.commit()
    consent.record_consent(
        session, officer, anna.id, [Purpose.NEWSLETTER], "granted", "web_form", "ticked the box"
    )
    detail = persons.person_detail(session, officer, anna.id, record_view=False)
    assert detail.organisation is not None and detail.organisation.name == "Asiakas Oy"
    assert (detail.orders.count, detail.orders.total_eur, detail.orders.in_recovery) == (
        2,
        Decimal("1500.50"),
        1,
    )
    assert [o.product for o in detail.recent_orders] == ["Contracts Lite", "Contracts Pro"]
    assert detail.activity_counts == {"app_use": 1, "website_visit": 2}
    assert detail.recent_activities[-1].occurred_at < detail.recent_activities[0].occurred_at
    assert detail.consent[Purpose.NEWSLETTER] == ConsentStatus.GRANTED
    assert detail.consent[Purpose.PHONE] == ConsentStatus.NEVER_ASKED
    assert detail.has_password and not hasattr(detail, "password_hash")
    assert "argon2" not in repr(detail)
    views = select(AuditEvent).where(AuditEvent.action == "view_person")
    with db.make_sessionmaker(engine)() as s:
        assert s.scalars(views).all() == []
    persons.person_detail(session, officer, anna.id)
    with db.make_sessionmaker(engine)() as s:
        [view] = s.scalars(views).all()
        assert view.record_id == str(anna.id)
    with pytest.raises(NotFound):
        persons.person_detail(session, officer, 99_999)


@pytest.mark.parametrize("role", [Role.MARKETING, Role.ADMINISTRATOR])
def test_roles_without_the_right_are_refused_by_the_domain(session, engine, actors, anna, role):
    officer, actor = actors[Role.COMPLIANCE], actors[role]
    opened = opened_form(session, officer, anna.id)
    dealer = make_recipient(session, "Jälleenmyyjä Oy")
    disclose(session, officer, dealer, anna, NOW - dt.timedelta(days=1))
    result = amendments.amend_person(session, officer, opened, {"city": "Espoo"}, "moved")
    opened = opened_form(session, officer, anna.id)
    calls = [
        lambda: amendments.amend_person(session, actor, opened, {"city": "Oulu"}, "x"),
        lambda: notifications.mark_notified(session, actor, result.change_id, dealer.id),
        lambda: persons.person_detail(session, actor, anna.id),
        lambda: amendments.history(session, actor, anna.id),
        lambda: notifications.follow_ups(session, actor, anna.id),
        lambda: amendments.employers(session, actor),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert fresh(engine, anna.id).city == "Espoo"
    assert count(engine, RecipientNotification) == 0


# --- property: whatever is typed is stored normalised, or refused and nothing stored ---

FIELD_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=120),
    st.sampled_from(
        [
            "'; DROP TABLE person; --",
            "<script>alert(1)</script>",
            "x" * 5_000,
            "Robert'); DROP TABLE amendment;--",
            " Äänekoski ",
            "anna@example.fi",
            "+46 70 123 45 67",
            "00100",
        ]
    ),
)
TEXT_FIELDS = [f for f in amendments.FIELD_LABELS if f != "employer"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(field_name=st.sampled_from(TEXT_FIELDS), text=FIELD_TEXT)
def test_any_input_is_stored_normalised_or_refused(
    session, engine, officer, anna, field_name, text
):
    opened = opened_form(session, officer, anna.id)
    before = fresh(engine, anna.id)
    try:
        amendments.amend_person(session, officer, opened, {field_name: text}, "property test")
    except ValidationError as refused:
        assert set(refused.field_errors) <= {field_name, "postal_code", "form"}
        assert fresh(engine, anna.id).version == before.version
        return
    stored = getattr(fresh(engine, anna.id), field_name)
    expected = {
        "email": validation.email,
        "phone": validation.phone,
        "country": validation.country,
        "postal_code": lambda t: validation.postal_code(t, before.country),
        "first_name": validation.name,
        "last_name": validation.name,
        "street_address": lambda t: validation.optional_text(t, 200),
        "city": lambda t: validation.optional_text(t, 100),
        "position": lambda t: validation.optional_text(t, 100),
        "gender": lambda t: validation.optional_text(t, 20),
    }[field_name](text)
    assert stored == expected  # exactly the validator's normalised value, kept literally
