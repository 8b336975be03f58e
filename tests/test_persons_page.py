"""The Persons page: find, view (audited once), amend with errors beside fields, conflicts,
history and the Art. 19 ticks; AppTest on both backends and a browser journey."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry import amendments, db, persons
from registry.disclosures import add_disclosure
from registry.models import (
    Amendment,
    AuditEvent,
    Organisation,
    Person,
    RecipientNotification,
    utcnow,
)
from registry.vocabulary import Role
from tests import factories
from tests.browser import sign_in, wait_idle
from tests.conftest import TEST_PASSWORD, make_user
from views import widgets

PAGE = "pages/persons.py"
SAVE = "FormSubmitter:persons_amend_form-Save amendment"
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$c2VjcmV0LWhhc2g"


def build(session, officer, *, first_name="Anna", last_name="Virtanen"):  # type: ignore[no-untyped-def]
    """A person with an employer, a password hash and one disclosure to a dealer."""
    org = Organisation(
        name="Asiakas Oy", business_id="1234567-8", industry="Retail", country="FI", city="Turku"
    )
    session.add(org)
    dealer = factories.recipient(
        session, "Jälleenmyyjä Oy", kind="dealer", service="resale", commit=False
    )
    person = factories.person(
        session,
        first_name,
        last_name,
        email="anna.virtanen@asiakas.fi",
        phone="+358401234567",
        street_address="Tykistökatu 4",
        postal_code="20520",
        city="Turku",
        country="FI",
        organisation_id=org.id,
        gender="female",
        username="avirtanen",
        password_hash=HASH,
        relationship="service_user",
        source="Click2Contract service",
    )
    add_disclosure(
        session,
        officer,
        dealer.id,
        "resale",
        ["basic"],
        "contract",
        [person.id],
        disclosed_at=utcnow() - dt.timedelta(days=3),
    )
    session.commit()
    return person, dealer


def rectification(session, person_id: int) -> int:  # type: ignore[no-untyped-def]
    return factories.request_row(
        session,
        "rectification",
        channel="letter",
        requester_contact="Tykistökatu 4, Turku",
        person_id=person_id,
    ).id


def open_person(app_test, url, actor, person_id):  # type: ignore[no-untyped-def]
    """The page with the person chosen the way the requests page links to it."""
    at = app_test(url, actor, PAGE)
    at.session_state["persons_selected_id"] = person_id
    at.run()
    assert not at.exception, at.exception
    return at


def errors(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.value for e in at.error]


def views(engine, person_id: int) -> int:  # type: ignore[no-untyped-def]
    with db.make_sessionmaker(engine)() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "view_person", AuditEvent.record_id == str(person_id))
            )
            or 0
        )


def stored(engine, person_id: int) -> Person:  # type: ignore[no-untyped-def]
    with db.make_sessionmaker(engine)() as s:
        person = s.get(Person, person_id)
        assert person is not None
        return person


def test_search_then_view_groups_the_data_and_audits_once(
    database_url, engine, session, actors, app_test
):
    officer = actors[Role.COMPLIANCE]
    person, _ = build(session, officer)
    at = app_test(database_url, officer, PAGE)
    assert not at.exception, at.exception
    assert at.title[0].value == "Persons"
    at.text_input(key="persons_search_text").input("virt").run()
    at.selectbox(key="persons_pick").set_value(person.id).run()
    assert not at.exception, at.exception
    assert at.header[0].value == "Anna Virtanen"
    assert [s.value for s in at.subheader][:4] == [
        "Basic information",
        "Service-user data",
        "Customer relationship",
        "Transactions and behaviour",
    ]
    text = "\n".join(m.value for m in at.markdown)
    assert "**Phone:** \\+358 40 1234567" in text
    assert "**Password:** " + widgets.plain("stored as a one-way hash") in text
    assert HASH not in text and "argon2" not in text
    # Reruns (a tab switch, a tick) do not audit the view again.
    at.run()
    at.run()
    assert views(engine, person.id) == 1
    assert at.query_params["person"] == str(person.id)  # the URL names the person shown


def test_a_link_by_url_or_session_preselects_person_and_request(
    database_url, session, actors, app_test
):
    officer = actors[Role.COMPLIANCE]
    person, _ = build(session, officer)
    request_id = rectification(session, person.id)
    at = app_test(database_url, officer, PAGE)
    at.query_params["person"] = str(person.id)
    at.query_params["request"] = str(request_id)
    at.run()
    assert not at.exception, at.exception
    assert at.header[0].value == "Anna Virtanen"
    assert at.selectbox(key="persons_form_request").value == request_id
    assert at.session_state["persons_tab"] == "Amend"  # a request link opens the form

    at = app_test(database_url, officer, PAGE)
    at.session_state["persons_selected_id"] = person.id
    at.session_state["persons_request_id"] = request_id
    at.run()
    assert at.header[0].value == "Anna Virtanen"
    assert at.selectbox(key="persons_form_request").value == request_id


def test_errors_show_beside_their_fields_and_input_is_kept(
    database_url, engine, session, actors, app_test
):
    officer = actors[Role.COMPLIANCE]
    person, _ = build(session, officer)
    at = open_person(app_test, database_url, officer, person.id)
    at.text_input(key="persons_form_email").input("anna at asiakas")
    at.text_input(key="persons_form_postal_code").input("2052")
    at.text_input(key="persons_form_city").input("Helsinki")
    at.button(key=SAVE).click().run()
    assert not at.exception, at.exception
    shown = errors(at)
    assert any("@-sign" in e for e in shown), shown
    assert "Not a postal code of FI: write it like 20520." in shown
    assert "Say why the data is amended (the request, or what was wrong)." in shown
    # What the user typed stays in the form; nothing was stored.
    assert at.text_input(key="persons_form_email").value == "anna at asiakas"
    assert at.text_input(key="persons_form_city").value == "Helsinki"
    assert stored(engine, person.id).city == "Turku"


def test_save_shows_history_and_a_tick_is_stored(database_url, engine, session, actors, app_test):
    officer = actors[Role.COMPLIANCE]
    person, dealer = build(session, officer)
    request_id = rectification(session, person.id)
    at = open_person(app_test, database_url, officer, person.id)
    at.text_input(key="persons_form_email").input(" Anna.V@Uusi.fi ")
    at.text_area(key="persons_form_reason").input("Letter of 3 May: the email is wrong.")
    at.selectbox(key="persons_form_request").set_value(request_id)
    at.button(key=SAVE).click().run()
    assert not at.exception, at.exception
    assert errors(at) == []
    assert at.session_state["persons_tab"] == "History and follow-up"
    assert "1 recipient received this person's data before the change" in at.success[0].value
    assert stored(engine, person.id).email == "Anna.V@uusi.fi"
    history = at.dataframe[-1].value
    assert list(history["Field"]) == ["Email"]
    assert list(history["Old value"]) == ["anna.virtanen@asiakas.fi"]
    assert list(history["New value"]) == ["Anna.V@uusi.fi"]
    assert list(history["Request"]) == [f"#{request_id}"]
    # The form was refilled from the new version, ready for the next amendment.
    assert at.text_input(key="persons_form_email").value == "Anna.V@uusi.fi"
    assert at.text_area(key="persons_form_reason").value == ""

    [tick] = at.checkbox
    assert tick.label == f"Told {dealer.name}" and not tick.value
    tick.check().run()
    assert not at.exception, at.exception
    assert f"Recorded that {dealer.name} was told of the change." in at.success[0].value
    [tick] = at.checkbox
    assert tick.value and tick.disabled
    with db.make_sessionmaker(engine)() as s:
        assert s.scalar(select(func.count()).select_from(RecipientNotification)) == 1
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "notify_recipient")
            )
            == 1
        )


def test_a_conflict_shows_what_changed_and_keeps_the_input(
    database_url, engine, session, actors, app_test
):
    officer = actors[Role.COMPLIANCE]
    person, _ = build(session, officer)
    at = open_person(app_test, database_url, officer, person.id)
    # A colleague amends the phone after this form was opened.
    with db.make_sessionmaker(engine)() as other:
        opened = persons.person_detail(other, officer, person.id, record_view=False).form
        amendments.amend_person(other, officer, opened, {"phone": "050 765 4321"}, "their fix")
    at.text_input(key="persons_form_city").input("Helsinki")
    at.text_area(key="persons_form_reason").input("moved")
    at.button(key=SAVE).click().run()
    assert not at.exception, at.exception
    assert "Someone else changed this person after you opened the form (phone)" in (
        at.warning[0].value
    )
    conflict = next(d.value for d in at.dataframe if "Changed by" in d.value.columns)
    assert list(conflict["Field"]) == ["Phone"]
    assert list(conflict["Now"]) == ["+358507654321"]
    assert list(conflict["Changed by"]) == ["Test compliance"]
    assert at.text_input(key="persons_form_city").value == "Helsinki"
    assert at.text_input(key="persons_form_phone").value == "+358401234567"
    assert stored(engine, person.id).city == "Turku"

    [resume] = [b for b in at.button if b.label == "Continue from the current version"]
    resume.click().run()
    assert at.text_input(key="persons_form_city").value == "Helsinki"  # mine, kept
    assert at.text_input(key="persons_form_phone").value == "+358507654321"  # theirs, taken
    at.button(key=SAVE).click().run()
    assert not at.exception and errors(at) == [], errors(at)
    now = stored(engine, person.id)
    assert (now.city, now.phone, now.version) == ("Helsinki", "+358507654321", 3)


def test_hostile_text_is_stored_and_shown_literally(
    database_url, engine, session, actors, app_test
):
    officer = actors[Role.COMPLIANCE]
    person, _ = build(session, officer)
    at = open_person(app_test, database_url, officer, person.id)
    at.text_input(key="persons_form_first_name").input("<script>alert(1)</script>")
    at.text_input(key="persons_form_last_name").input("'; DROP TABLE person; --")
    at.text_area(key="persons_form_reason").input("*bold* [link](http://x) :red[x] $x$")
    at.button(key=SAVE).click().run()
    assert not at.exception and errors(at) == [], errors(at)
    name = "<script>alert(1)</script> '; DROP TABLE person; --"
    assert stored(engine, person.id).first_name == "<script>alert(1)</script>"
    # Markdown shows the escaped text, which renders as exactly these characters.
    assert at.header[0].value == widgets.plain(name)
    history = at.dataframe[-1].value
    assert list(history["Reason"]) == ["*bold* [link](http://x) :red[x] $x$"] * 2
    with db.make_sessionmaker(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Amendment)) == 2


def test_the_page_refuses_roles_without_the_right(database_url, session, actors, app_test):
    officer = actors[Role.COMPLIANCE]
    person, _ = build(session, officer)
    for role in (Role.MARKETING, Role.ADMINISTRATOR):
        # Not in their navigation, so not reachable by URL either.
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app_test(database_url, actors[role], PAGE)
    at = open_person(app_test, database_url, officer, person.id)
    assert [t.label for t in at.tabs] == ["Data", "Amend", "History and follow-up"]


# --- the browser journey: a server on a database of its own ---


@pytest.fixture(scope="module")
def persons_app(backend, database_factory, live_app_factory):  # type: ignore[no-untyped-def]
    """The journey amends a person, which tests on the shared seeded database may count."""
    from registry.auth import Actor

    url = database_factory(backend)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        officer = Actor.of(make_user(s, Role.COMPLIANCE, "officer"))
        person, dealer = build(s, officer, first_name="Ilmari", last_name="<b>Koski</b> --")
        ids = (person.id, dealer.name)
    engine.dispose()
    with live_app_factory(url) as app:
        yield app, ids


def test_amend_an_email_see_the_history_and_tick_a_recipient(persons_app, page):
    from playwright.sync_api import expect

    app, (person_id, dealer) = persons_app
    sign_in(page, app, "officer", TEST_PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Persons").click()
    wait_idle(page)
    page.get_by_label("Find a person").fill("ilmari")
    page.get_by_label("Find a person").press("Enter")
    wait_idle(page)
    page.get_by_label("1 matching persons").click()
    page.get_by_role("option").first.click()
    wait_idle(page)
    # The name is shown as typed: no HTML, no dash for --, only invisible word joiners added.
    heading = page.get_by_role("heading").filter(has_text="Ilmari").first
    assert heading.inner_text().replace("\u2060", "") == "Ilmari <b>Koski</b> --"
    assert page.get_by_text("stored as a one-way hash").is_visible()

    page.get_by_role("tab", name="Amend").click()
    wait_idle(page)
    email = page.get_by_label("Email", exact=True)
    email.fill("ilmari.koski@uusi.fi")
    page.get_by_label("Reason for the amendment").fill("The person wrote that the email changed.")
    page.get_by_role("button", name="Save amendment").click()
    wait_idle(page)
    assert page.get_by_text("Amended: email.").is_visible()
    assert page.get_by_role("tab", name="History and follow-up", selected=True).is_visible()
    # The grid draws on a canvas; its accessible table holds the cell texts.
    history = page.get_by_test_id("stDataFrame").filter(visible=True).first
    for text in ["ilmari.koski@uusi.fi", "The person wrote that the email changed."]:
        expect(history.locator("td").filter(has_text=text)).to_have_count(1)

    tick = page.get_by_label(f"Told {dealer}")
    tick.check(force=True)
    wait_idle(page)
    assert page.get_by_text(f"Recorded that {dealer} was told of the change.").is_visible()
    assert page.get_by_label(f"Told {dealer}").is_checked()
    assert page.get_by_label(f"Told {dealer}").is_disabled()
    with db.make_sessionmaker(db.make_engine(app.database_url))() as s:
        assert s.get(Person, person_id).email == "ilmari.koski@uusi.fi"  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(RecipientNotification)) == 1
