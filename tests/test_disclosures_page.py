"""AppTest of the Disclosures page: KPIs, filters, log, drill-down, recording, per person."""

import datetime as dt
import urllib.parse

from sqlalchemy import func, select

from registry import consent, disclosures
from registry.models import AuditEvent, Disclosure, Segment
from registry.vocabulary import ConsentSource, Role
from tests import factories

PAGE = "pages/disclosures.py"


def build(session, actor):
    people = factories.persons(
        session, 3, first_name="Aino{i}", email="aino{i}@example.com", country="FI", commit=False
    )
    mailer = factories.recipient(session, "Mailer Oy", service="Mail", commit=False)
    shield = factories.recipient(
        session,
        "SurveyPeak LLC",
        service="Surveys",
        country="US",
        transfer_mechanism="privacy_shield",
    )
    now = dt.datetime.now(dt.UTC)
    disclosures.add_disclosure(
        session,
        actor,
        mailer.id,
        "Newsletter",
        ["basic"],
        "consent",
        [people[0].id],
        disclosed_at=now - dt.timedelta(days=40),
    )
    disclosures.add_disclosure(
        session,
        actor,
        shield.id,
        "Survey",
        ["basic", "transactions"],
        "legitimate_interests",
        [p.id for p in people],
        disclosed_at=now - dt.timedelta(days=2),
    )
    session.commit()
    return people, mailer, shield


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_kpis_log_and_filters(database_url, session, actors, app_test):
    compliance = actors[Role.COMPLIANCE]
    build(session, compliance)
    at = app_test(database_url, compliance, PAGE)
    assert not at.exception, at.exception
    assert at.title[0].value == "Disclosures"
    assert metric(at, "Disclosures in the last 30 days") == "1"
    assert metric(at, "Persons disclosed to third countries") == "3"
    assert metric(at, "Recipients with a problem") == "1 of 2"
    log = at.dataframe[0].value
    assert list(log["Recipient"]) == ["SurveyPeak LLC", "Mailer Oy"]
    assert list(log["EU/EEA"]) == ["Outside", "Inside"]
    assert log["Data categories"][0] == "Basic information, Transactions and behaviour"
    assert log["Legal basis"][0] == "Legitimate interests, Art. 6(1)(f)"
    # Filter to the EU/EEA only.
    inside = next(s for s in at.selectbox if s.label == "Inside or outside the EU/EEA")
    inside.set_value(False)
    next(b for b in at.button if b.label == "Apply filters").click()
    at.run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["Recipient"]) == ["Mailer Oy"]


def test_record_a_disclosure_by_hand(database_url, session, actors, app_test):
    compliance = actors[Role.COMPLIANCE]
    people, mailer, _ = build(session, compliance)
    at = app_test(database_url, compliance, PAGE)
    submit = next(b for b in at.button if b.label == "Record disclosure")
    # Nothing filled in: each field says what is missing, and nothing is stored.
    submit.click()
    at.run()
    assert not at.exception, at.exception
    shown = [e.value for e in at.error]
    assert "Choose the recipient from the register." in shown
    assert "Enter the ids of the persons whose data was disclosed." in shown
    assert session.scalar(select(func.count()).select_from(Disclosure)) == 2
    # The log's filter has a "Recipient" box too; the record form's is the last one.
    record = [s for s in at.selectbox if s.label == "Recipient"][-1]
    record.set_value(mailer.id)
    next(t for t in at.text_input if t.label == "Purpose").input("Event catering")
    next(m for m in at.multiselect if m.label == "Data categories").set_value(["basic"])
    next(s for s in at.selectbox if s.label == "Legal basis").set_value("contract")
    next(t for t in at.text_area if t.label == "Persons (ids)").input(
        f"{people[1].id}, {people[2].id}"
    )
    next(b for b in at.button if b.label == "Record disclosure").click()
    at.run()
    assert not at.exception, at.exception
    assert any("2 persons to Mailer Oy" in s.value for s in at.success)
    session.expire_all()
    made = session.scalars(select(Disclosure).order_by(Disclosure.id.desc())).first()
    assert (made.purpose, made.person_count) == ("Event catering", 2)
    assert metric(at, "Disclosures in the last 30 days") == "2"


def test_per_person_lists_the_persons_disclosures(database_url, session, actors, app_test):
    compliance = actors[Role.COMPLIANCE]
    build(session, compliance)
    at = app_test(database_url, compliance, PAGE)
    at.text_input(key="disclosures_person_q").input("aino0@")
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value
    assert list(table["Recipient"]) == ["SurveyPeak LLC", "Mailer Oy"]
    assert list(table["Country"]) == ["United States of America", "Finland"]


def test_drill_down_is_audited(database_url, session, actors, app_test):
    compliance = actors[Role.COMPLIANCE]
    build(session, compliance)
    at = app_test(database_url, compliance, PAGE)
    # AppTest cannot click a dataframe row; the selection state is what a click sets.
    at.session_state["disclosures_table_0"] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()
    assert not at.exception, at.exception
    persons = at.dataframe[1].value
    # Each name links to the person's page and shows the name (the text after the #).
    shown = [urllib.parse.unquote(link.split("#", 1)[1]) for link in persons["Name"]]
    assert shown == ["Aino0 Virtanen", "Aino1 Virtanen", "Aino2 Virtanen"]
    assert all(link.startswith("persons?person=") for link in persons["Name"])
    at.run()
    views = session.scalar(
        select(func.count()).where(AuditEvent.action == "disclosure_persons_viewed")
    )
    assert views == 1


def test_the_per_person_view_is_audited_once_per_choice(database_url, session, actors, app_test):
    """A look at one person's disclosures is a view of their data (by id, like the others)."""
    compliance = actors[Role.COMPLIANCE]
    build(session, compliance)
    at = app_test(database_url, compliance, PAGE)
    at.text_input(key="disclosures_person_q").input("aino0@")
    at.run()
    at.run()  # a rerun of the same view is not another view
    assert not at.exception, at.exception
    views = session.scalars(
        select(AuditEvent.record_id).where(AuditEvent.action == "view_person_disclosures")
    ).all()
    chosen = at.session_state["disclosures_person_id"]
    assert views == [str(chosen)]


def test_a_list_by_segment_is_checked_then_recorded(database_url, session, actors, app_test):
    """The segment's list shows its counts per basis and per reason left out first; the
    record button records exactly those persons."""
    compliance = actors[Role.COMPLIANCE]
    people = factories.persons(
        session,
        3,
        first_name="Aino{i}",
        email="aino{i}@example.com",
        relationship="other_connection",
    )
    consent.record_consent(
        session,
        compliance,
        people[0].id,
        ["email_marketing"],
        "granted",
        ConsentSource.WEB_FORM,
        "ticked",
    )
    segment = Segment(
        name="Others",
        definition=[{"field": "relationship", "op": "in", "value": ["other_connection"]}],
        owner_id=actors[Role.MARKETING].user_id,
    )
    mailer = factories.recipient(session, "Mailing Oy", delivers="mailing", commit=False)
    session.add(segment)
    session.commit()
    at = app_test(database_url, compliance, PAGE)
    [s for s in at.selectbox if s.label == "Recipient"][-1].set_value(mailer.id)
    next(t for t in at.text_input if t.label == "Purpose").input("Spring campaign")
    next(m for m in at.multiselect if m.label == "Data categories").set_value(["basic"])
    next(s for s in at.selectbox if s.label.startswith("Or the current members")).set_value(
        segment.id
    )
    next(s for s in at.selectbox if s.label == "Channel of the segment's list").set_value("email")
    next(b for b in at.button if b.label == "Record disclosure").click()
    at.run()
    assert not at.exception, at.exception
    # Checked, not recorded yet: the counts are shown with the button that records them.
    assert session.scalar(select(func.count()).select_from(Disclosure)) == 0
    table = at.table[0].value
    assert list(table["Persons"]) == ["1", "2"]
    assert "Never granted" in table.iloc[1, 0]
    next(b for b in at.button if b.label == "Record the list of 1 persons").click()
    at.run()
    assert not at.exception, at.exception
    assert any("1 persons to Mailing Oy" in s.value for s in at.success)
    session.expire_all()
    made = session.scalars(select(Disclosure)).one()
    assert (made.person_count, made.segment_id) == (1, segment.id)
