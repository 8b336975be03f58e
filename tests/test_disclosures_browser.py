"""Browser journey: a compliance officer adds a recipient, records a disclosure to it by hand
and finds it in the disclosure log, with its persons in the drill-down."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry import consent, db
from registry.models import AuditEvent, DisclosedPerson, Disclosure, Person, Segment
from registry.permissions import Actor
from registry.vocabulary import Role
from tests import factories
from tests.browser import settled, sign_in, visible, wait_idle
from tests.conftest import TEST_PASSWORD, make_user


@pytest.fixture
def journey_app(backend, database_factory, live_app_factory):
    url = database_factory(backend)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        make_user(s, Role.COMPLIANCE, "officer-journey")
        for first in ("Aino", "Eino", "Helmi"):
            email = f"{first.lower()}@example.com"
            factories.person(s, first, "Journey", email=email, country="FI", commit=False)
        s.commit()
    with live_app_factory(url) as app:
        yield app, engine
    engine.dispose()


def choose(page, label: str, option: str) -> None:
    box = visible(page.get_by_role("combobox", name=label, exact=True))
    box.click()
    # Long lists are virtualised: typing narrows them so the option is drawn.
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()


def test_add_recipient_record_disclosure_and_find_it(journey_app, page):
    app, engine = journey_app
    with db.make_sessionmaker(engine)() as s:
        ids = list(s.scalars(select(Person.id).order_by(Person.id)))

    sign_in(page, app, "officer-journey", TEST_PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Recipients").click()
    wait_idle(page)
    visible(page.get_by_label("Name")).fill("Kyoto Analytics KK")
    visible(page.get_by_label("Service provided")).fill("Website analytics")
    choose(page, "Country", "Japan (JP)")
    choose(page, "Transfer mechanism", "Adequacy decision")
    page.get_by_role("button", name="Add recipient").click()
    wait_idle(page)
    page.get_by_text("Saved Kyoto Analytics KK.").wait_for()

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Disclosures").click()
    wait_idle(page)
    page.get_by_role("tab", name="Record a disclosure").click()
    choose(page, "Recipient", "Kyoto Analytics KK (Japan)")
    visible(page.get_by_label("Purpose")).fill("Visitor statistics")
    choose(page, "Data categories", "Transactions and behaviour")
    page.keyboard.press("Escape")
    choose(page, "Legal basis", "Legitimate interests, Art. 6(1)(f)")
    visible(page.get_by_role("textbox", name="Persons (ids)", exact=True)).fill(
        f"{ids[0]}, {ids[2]}"
    )
    page.get_by_role("button", name="Record disclosure").click()
    wait_idle(page)
    page.get_by_text("2 persons to Kyoto Analytics KK").wait_for()

    with db.make_sessionmaker(engine)() as s:
        made = s.scalars(select(Disclosure)).one()
        assert (made.purpose, made.person_count) == ("Visitor statistics", 2)
        assert made.data_categories == ["transactions"]
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "disclosure_recorded"))

    page.get_by_role("tab", name="Log").click()
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for()
    # The log's grid draws on a canvas; its hidden accessible table holds the cells.
    for cell in ("Kyoto Analytics KK", "Visitor statistics", "Japan (JP)"):
        cells = grid.get_by_role("gridcell", name=cell, exact=True, include_hidden=True)
        cells.first.wait_for(state="attached")
    log = app.log_text()
    assert "Traceback" not in log, log


@pytest.fixture
def segment_app(backend, database_factory, live_app_factory):
    """Two other connections, one with an evidenced email grant, a saved segment of them and
    a mailing house that delivers email."""
    url = database_factory(backend)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        officer = make_user(s, Role.COMPLIANCE, "officer-lists")
        people = [
            factories.person(
                s,
                first,
                "Lists",
                email=f"{first.lower()}@example.com",
                relationship="other_connection",
            )
            for first in ("Aino", "Eino")
        ]
        consent.record_consent(
            s, Actor.of(officer), people[0].id, ["email_marketing"], "granted", "web_form", "ticked"
        )
        s.add(
            Segment(
                name="Other connections",
                definition=[{"field": "relationship", "op": "in", "value": ["other_connection"]}],
                owner_id=officer.id,
            )
        )
        factories.recipient(s, "Mailing Oy", delivers="mailing")
    with live_app_factory(url) as app:
        yield app, engine, people[0].id
    engine.dispose()


def test_a_segments_list_is_checked_then_recorded_by_hand(segment_app, page):
    app, engine, granted = segment_app
    sign_in(page, app, "officer-lists", TEST_PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Disclosures").click()
    wait_idle(page)
    page.get_by_role("tab", name="Record a disclosure").click()
    choose(page, "Recipient", "Mailing Oy (Finland)")
    visible(page.get_by_label("Purpose")).fill("Spring campaign")
    choose(page, "Data categories", "Basic information")
    page.keyboard.press("Escape")
    choose(page, "Or the current members of a saved segment", "Other connections")
    choose(page, "Channel of the segment's list", "Email")
    page.get_by_role("button", name="Record disclosure").click()
    wait_idle(page)
    # Checked first: who the list holds and who it leaves out, nothing recorded yet.
    record = page.get_by_role("button", name="Record the list of 1 persons")
    record.wait_for()
    page.get_by_text("1 of 2 exported").wait_for()
    with db.make_sessionmaker(engine)() as s:
        assert s.scalars(select(Disclosure)).first() is None
    record.click()
    settled(page, page.get_by_text("1 persons to Mailing Oy"))
    with db.make_sessionmaker(engine)() as s:
        made = s.scalars(select(Disclosure)).one()
        assert s.scalars(select(DisclosedPerson.person_id)).all() == [granted]
        assert made.legal_basis.startswith("Per person: consent")
    log = app.log_text()
    assert "Traceback" not in log, log
