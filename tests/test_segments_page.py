"""The Segments page through AppTest, on SQLite and PostgreSQL: every tab draws, the builder
shows errors beside the fields and keeps the input, saving, editing and deleting, and the
export's check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import consent
from registry.marketing_basis import NO_BASIS_LABELS, basis_label
from registry.models import AuditEvent, Order, Organisation, Person, Recipient, Segment
from registry.vocabulary import ConsentSource, Purpose, Relationship, Role
from tests.conftest import demo_actor
from views.widgets import plain

PAGE = "pages/segments.py"


def button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def open_tab(at, name: str):  # type: ignore[no-untyped-def]
    at.session_state["segments_tab"] = name
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:  # type: ignore[no-untyped-def]
    """The page's text as a reader sees it (registry data is escaped for markdown)."""
    shown = " ".join(
        str(e.value) for kind in (at.markdown, at.caption, at.error, at.info) for e in kind
    )
    return shown.replace("\\", "").replace("\u2060", "")


def test_every_tab_draws_for_the_seeded_registry(seeded_url, seeded_session, app_test):
    actor = demo_actor(seeded_session, Role.MARKETING)
    at = app_test(seeded_url, actor, PAGE)
    assert not at.exception, at.exception
    assert at.title[0].value == "Segments"
    assert [m.label for m in at.metric] == [
        "Members",
        "Email",
        "Newsletter",
        "In-app",
        "Phone",
        "Post",
        "Events",
        "SMS",
    ]
    # Erased persons (the demo carries out its completed erasures) are in no segment.
    persons = seeded_session.scalar(
        select(func.count()).select_from(Person).where(Person.erased_at.is_(None))
    )
    assert at.metric[0].value == f"{persons:,}"
    assert "Everyone in the registry." in texts(at)
    table = at.dataframe[0].value  # the members tab is open first
    assert list(table.columns[:5]) == ["Name", "Organisation", "Position", "City", "Country"]
    assert len(table) == 50 and "Page 1 of" in texts(at)
    assert len(open_tab(at, "Composition").get("plotly_chart")) == 6
    assert open_tab(at, "Builder").button
    assert open_tab(at, "Export").selectbox
    overview = open_tab(at, "All segments").dataframe[0].value
    everyone = overview[overview["Segment"] == "Everyone"].iloc[0]
    assert everyone["Members"] == persons

    # A saved, profiling segment says so and how many it leaves out.
    at.selectbox(key="segments_selected").set_value(
        next(k for k in at.selectbox(key="segments_selected").options if "Active app users" in k)
    ).run()
    assert not at.exception
    assert "profiling" in " ".join(i.value for i in at.info)
    assert "whose days since the last app use is at most 90" in texts(at)


@pytest.fixture
def small_registry(session: Session, actors):  # type: ignore[no-untyped-def]
    compliance = actors[Role.COMPLIANCE]
    for i, relationship in enumerate(
        [Relationship.MARKETING_OPT_IN, Relationship.MARKETING_OPT_IN, Relationship.SERVICE_USER]
    ):
        person = Person(
            first_name=f"Person{i}",
            last_name="Testinen",
            email=f"p{i}@example.fi",
            country="FI",
            city="Turku",
            relationship=relationship,
            source="test",
        )
        session.add(person)
        session.commit()
        consent.record_consent(
            session,
            compliance,
            person.id,
            [Purpose.NEWSLETTER],
            "granted",
            ConsentSource.WEB_FORM,
            "ticked",
            dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        )
    session.add_all(
        [
            Recipient(
                name="Emerald Mailworks Ltd",
                kind="processor",
                service="Newsletter delivery",
                country="IE",
                transfer_mechanism="not_needed",
                delivers="mailing",
            ),
            Recipient(
                name="SurveyPeak LLC",
                kind="processor",
                service="Surveys",
                country="US",
                transfer_mechanism="privacy_shield",
            ),
        ]
    )
    session.commit()
    return actors[Role.MARKETING]


def count(session: Session, model: object) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_builder_shows_errors_beside_fields_and_saves_nothing(
    database_url, session, small_registry, app_test
):
    at = open_tab(app_test(database_url, small_registry, PAGE), "Builder")
    at.number_input(key="segments_builder_order_count_min_0").set_value(9)
    at.number_input(key="segments_builder_order_count_max_0").set_value(2)
    button(at, "Count").click().run()
    assert not at.exception
    assert "The minimum (9) is greater than the maximum (2)." in [e.value for e in at.error]
    assert at.number_input(key="segments_builder_order_count_min_0").value == 9  # kept

    at.multiselect(key="segments_builder_relationship_0").set_value(["marketing_opt_in"])
    at.number_input(key="segments_builder_order_count_min_0").set_value(None)
    at.number_input(key="segments_builder_order_count_max_0").set_value(None)
    button(at, "Count").click().run()
    assert not at.error
    assert "Persons whose relationship is marketing opt-in." in texts(at)
    counted = [m.value for m in at.metric if m.label == "Members"]
    assert counted[-1] == "2"

    before = (count(session, Segment), count(session, AuditEvent))
    for name, description, message in (
        ("", "", "Give the segment a name."),
        ("Opt-ins", "x" * 10_000, "Use at most 2000 characters (this has 10,000)."),
    ):
        at.text_input(key="segments_save_name_0").set_value(name)
        at.text_area(key="segments_save_description_0").set_value(description)
        button(at, "Save as a new segment").click().run()
        assert message in [e.value for e in at.error]
        assert at.text_input(key="segments_save_name_0").value == name
    assert (count(session, Segment), count(session, AuditEvent)) == before

    at.text_area(key="segments_save_description_0").set_value("Everyone who opted in.")
    button(at, "Save as a new segment").click().run()
    assert not at.exception and not at.error
    assert f"Saved the segment {plain('Opt-ins')}." in [s.value for s in at.success]
    saved = session.scalars(select(Segment)).one()
    assert saved.definition == [
        {"field": "relationship", "op": "in", "value": ["marketing_opt_in"]}
    ]
    assert at.selectbox(key="segments_selected").value == f"saved:{saved.id}"

    # The same name again is refused beside the name field.
    open_tab(at, "Builder")
    button(at, "Start a new segment").click().run()
    at.text_input(key="segments_save_name_1").set_value("opt-ins")
    button(at, "Save as a new segment").click().run()
    assert "A segment named 'opt-ins' exists already; choose another name." in [
        e.value for e in at.error
    ]
    assert count(session, Segment) == 1


def test_a_saved_segment_is_edited_and_deleted_by_its_owner(
    database_url, session, small_registry, app_test
):
    from registry.segments import saving

    segment = saving.save_segment(
        session,
        small_registry,
        "Service users",
        "",
        [{"field": "relationship", "op": "in", "value": ["service_user"]}],
    )
    at = app_test(database_url, small_registry, PAGE)
    at.selectbox(key="segments_selected").set_value(f"saved:{segment.id}").run()
    open_tab(at, "Builder")
    button(at, "Edit the selected segment").click().run()
    assert at.text_input(key="segments_save_name_1").value == "Service users"
    assert at.multiselect(key="segments_builder_relationship_1").value == ["service_user"]
    at.text_input(key="segments_save_name_1").set_value("App people")
    button(at, "Save changes").click().run()
    assert not at.exception and not at.error
    session.expire_all()
    assert session.get(Segment, segment.id).name == "App people"

    open_tab(at, "Builder")
    button(at, "Delete").click().run()
    assert "Tick “Delete it” to confirm." in [e.value for e in at.error]
    at.checkbox(key="segments_delete_1").check()
    button(at, "Delete").click().run()
    assert "Deleted the segment App people." in [s.value for s in at.success]
    assert count(session, Segment) == 0


def test_the_export_is_checked_before_the_download(database_url, session, small_registry, app_test):
    at = open_tab(app_test(database_url, small_registry, PAGE), "Export")
    recipients = {r.name: r.id for r in session.scalars(select(Recipient)) if r.name != "Nobody"}
    at.selectbox(key="segments_export_recipient").set_value(recipients["SurveyPeak LLC"])
    at.text_input(key="segments_export_purpose").set_value("Survey")
    button(at, "Check the list").click().run()
    assert any("Privacy Shield" in e.value for e in at.error)
    assert not at.get("download_button")

    at.selectbox(key="segments_export_recipient").set_value(recipients["Emerald Mailworks Ltd"])
    button(at, "Check the list").click().run()
    assert not at.error
    assert "**3** of 3 persons matching the segment" in texts(at)
    assert at.dataframe[0].value["Persons"].tolist() == [3]  # all on consent
    reasons = at.dataframe[1].value
    assert int(reasons["Persons"].sum()) == 0
    assert [b.label for b in at.get("download_button")] == [
        "Download the list (CSV)",
        "Download the list (XLSX)",
    ]
    assert "Downloading records a disclosure to Emerald Mailworks Ltd" in texts(at)


def test_the_preview_counts_each_basis_and_refuses_a_recipient_beside_its_field(
    database_url, session, small_registry, app_test
):
    today = dt.date.today()
    customer = Organisation(
        name="Asiakas Oy", business_id="1234567-8", industry="Retail", country="FI", city="Turku"
    )
    session.add(customer)
    session.flush()
    # s. 202: a work-role contact never asked; s. 200(2): a service user with a recent order.
    contact = Person(
        first_name="Kaisa",
        last_name="Testinen",
        email="kaisa@asiakas.fi",
        relationship=Relationship.CUSTOMER_CONTACT,
        organisation_id=customer.id,
        source="test",
    )
    buyer = Person(
        first_name="Otto",
        last_name="Testinen",
        email="otto@example.fi",
        relationship=Relationship.SERVICE_USER,
        source="test",
    )
    stranger = Person(  # never asked, no basis: left out
        first_name="Vieras",
        last_name="Testinen",
        email="vieras@example.fi",
        relationship=Relationship.OTHER_CONNECTION,
        source="test",
    )
    session.add_all([contact, buyer, stranger])
    session.flush()
    session.add(
        Order(
            person_id=buyer.id,
            ordered_on=today - dt.timedelta(days=40),
            product="Click2Contract Pro",
            amount_eur=Decimal("99.00"),
            status="paid",
        )
    )
    session.add(
        Recipient(
            name="Tallinn Dev Studio OÜ",
            kind="subcontractor",
            service="Software development",
            country="EE",
            transfer_mechanism="not_needed",
        )
    )
    session.commit()
    at = open_tab(app_test(database_url, small_registry, PAGE), "Export")
    recipients = {r.name: r.id for r in session.scalars(select(Recipient))}
    at.selectbox(key="segments_export_recipient").set_value(recipients["Tallinn Dev Studio OÜ"])
    at.text_input(key="segments_export_purpose").set_value("News")
    button(at, "Check the list").click().run()
    assert any("does not deliver newsletter messages" in e.value for e in at.error)
    assert not at.get("download_button")

    at.selectbox(key="segments_export_recipient").set_value(recipients["Emerald Mailworks Ltd"])
    button(at, "Check the list").click().run()
    assert not at.error
    assert "**5** of 6 persons matching the segment" in texts(at)
    bases = dict(at.dataframe[0].value.itertuples(index=False))
    assert bases == {
        basis_label("consent"): 3,
        basis_label("business_opt_out"): 1,
        basis_label("soft_opt_in"): 1,
    }
    left_out = dict(at.dataframe[1].value.itertuples(index=False))
    assert left_out == {NO_BASIS_LABELS["never_granted"]: 1}
