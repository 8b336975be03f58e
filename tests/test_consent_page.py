"""The consent page with AppTest, as Marketing and as Compliance, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry import consent
from registry.models import AuditEvent, ConsentEvent, Person
from registry.vocabulary import ConsentSource, ConsentStatus, Purpose, Relationship, Role
from tests import factories
from tests.browser import shown, sign_in, wait_idle

PAGE = "pages/consent.py"
GRANTED, WITHDRAWN, OBJECTED = (
    ConsentStatus.GRANTED,
    ConsentStatus.WITHDRAWN,
    ConsentStatus.OBJECTED,
)
T0 = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)


@pytest.fixture
def registry(session, actors):
    """Three persons: Aino granted the newsletter; Eero granted it without evidence
    (an import); Liisa never asked."""
    people = {}
    for first, last, relationship in [
        ("Aino", "Virtanen", Relationship.CUSTOMER_CONTACT),
        ("Eero", "Korhonen", Relationship.SERVICE_USER),
        ("Liisa", "Mäkinen", Relationship.MARKETING_OPT_IN),
    ]:
        people[first] = factories.person(
            session,
            first,
            last,
            email=f"{first}.{last}@example.fi".lower(),
            relationship=relationship,
            source="customer data system",
            commit=False,
        )
    session.commit()
    consent.record_consent(
        session,
        actors[Role.COMPLIANCE],
        people["Aino"].id,
        [Purpose.NEWSLETTER, Purpose.EMAIL_MARKETING],
        GRANTED,
        ConsentSource.WEB_FORM,
        "newsletter form, log 881",
        T0,
    )
    factories.imported_consent(
        session, people["Eero"].id, Purpose.NEWSLETTER, GRANTED, T0, ConsentSource.APP
    )
    return people


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def open_tab(at, name: str):  # type: ignore[no-untyped-def]
    at.session_state["consent_tab"] = name
    return at.run()


def open_person(at, text: str, person_id: int):  # type: ignore[no-untyped-def]
    if at.session_state["consent_tab"] != "Find a person":
        open_tab(at, "Find a person")
    at.text_input(key="consent_search").input(text).run()
    at.selectbox(key="consent_pick").set_value(person_id).run()
    return at


def audits(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("role", [Role.MARKETING, Role.COMPLIANCE])
def test_the_page_shows_status_counts_and_shares_to_both_roles(
    role, database_url, actors, registry, app_test
):
    at = app_test(database_url, actors[role], PAGE)
    assert not at.exception, at.exception
    assert at.title[0].value == "Consent"
    assert [t.label for t in at.tabs] == [
        "Current status",
        "Sources and relationships",
        "Opt-ins and opt-outs",
        "Missing evidence",
        "Find a person",
    ]
    # Newsletter is the first purpose: two grants, nobody withdrawn or objected, one never asked.
    assert metric(at, "Granted") == "2"
    assert metric(at, "Withdrawn") == "0"
    assert metric(at, "Never asked") == "1"
    assert "66.7% of 3 persons" in [c.value for c in at.caption]
    at.selectbox(key="consent_status_purpose").set_value(Purpose.EMAIL_MARKETING).run()
    assert metric(at, "Granted") == "1"
    assert metric(at, "Never asked") == "2"
    # Only the open tab runs: the person search is not drawn.
    assert not [t for t in at.text_input if t.key == "consent_search"]
    # The help text states the tie-break.
    rule = next(m.value for m in at.markdown if "Same moment" in m.value)
    assert "an objection beats a withdrawal, and a withdrawal beats a grant" in rule
    # The breakdown keeps the purpose chosen on the first tab.
    open_tab(at, "Sources and relationships")
    assert not at.exception, at.exception
    assert at.selectbox(key="consent_breakdown_purpose").value == Purpose.EMAIL_MARKETING
    assert [h.value for h in at.subheader] == ["By source", "By relationship"]
    # Three grants (Aino's two purposes, Eero's import) last month, no opt-outs.
    open_tab(at, "Opt-ins and opt-outs")
    assert metric(at, "Opt-ins, last 24 months") == "3"
    assert metric(at, "Opt-outs, last 24 months") == "0"


def test_missing_evidence_lists_the_imported_grant(database_url, actors, registry, app_test):
    at = open_tab(app_test(database_url, actors[Role.COMPLIANCE], PAGE), "Missing evidence")
    table = at.dataframe[-1].value
    assert list(table["Person"]) == ["Eero Korhonen"]
    assert list(table["Granted without evidence"]) == ["Newsletter"]
    assert list(table["Source"]) == ["App"]


def test_recording_a_withdrawal_changes_the_counts_at_once(
    session, database_url, actors, registry, app_test
):
    marketing = actors[Role.MARKETING]
    aino = registry["Aino"]
    at = app_test(database_url, marketing, PAGE)
    assert metric(at, "Granted") == "2"  # now cached

    open_person(at, "virt", aino.id)
    assert not at.exception, at.exception
    assert "Aino Virtanen" in [h.value for h in at.subheader]
    at.radio(key="consent_action").set_value(WITHDRAWN).run()
    at.multiselect(key="consent_purposes").set_value([Purpose.NEWSLETTER])
    at.selectbox(key="consent_source").set_value(ConsentSource.PHONE)
    button(at, "Record withdrawal").click().run()
    assert not at.exception, at.exception

    assert next(s.value for s in at.success).startswith("Recorded a withdrawal for Aino Virtanen")
    history = at.dataframe[-1].value
    assert list(history["Status"][:2]) == ["Withdrawn", "Granted"]
    assert list(history["In effect"][:1]) == ["yes"]
    # The form is empty again for the next event.
    assert at.multiselect(key="consent_purposes").value == []
    open_tab(at, "Current status")
    assert metric(at, "Granted") == "1"
    assert metric(at, "Withdrawn") == "1"
    session.expire_all()
    assert consent.current_status(session, aino.id)[Purpose.NEWSLETTER] == WITHDRAWN
    assert consent.current_status(session, aino.id)[Purpose.EMAIL_MARKETING] == GRANTED
    written = audits(session, "consent_withdrawn")
    assert [(a.actor_name, a.record_id) for a in written] == [(marketing.username, str(aino.id))]


def test_an_objection_covers_every_purpose(session, database_url, actors, registry, app_test):
    liisa = registry["Liisa"]
    at = open_person(app_test(database_url, actors[Role.COMPLIANCE], PAGE), "mäk", liisa.id)
    at.radio(key="consent_action").set_value(OBJECTED).run()
    assert not [m for m in at.multiselect if m.key == "consent_purposes"]
    at.selectbox(key="consent_source").set_value(ConsentSource.LETTER)
    at.text_area(key="consent_evidence").input("letter received 2 June")
    button(at, "Record objection").click().run()
    assert not at.exception, at.exception
    session.expire_all()
    assert consent.current_status(session, liisa.id) == dict.fromkeys(Purpose, OBJECTED)
    assert metric(open_tab(at, "Current status"), "Objected") == "1"


def test_a_grant_without_evidence_is_refused_next_to_the_field_and_keeps_the_input(
    session, database_url, actors, registry, app_test
):
    liisa = registry["Liisa"]
    at = open_person(app_test(database_url, actors[Role.MARKETING], PAGE), "liisa", liisa.id)
    at.multiselect(key="consent_purposes").set_value([Purpose.EVENTS, Purpose.POST])
    button(at, "Record grant").click().run()
    assert not at.exception, at.exception
    messages = [e.value for e in at.error]
    assert "A grant needs evidence (what the person signed, sent or ticked)." in messages
    assert "Choose how the person told us." in messages
    assert at.multiselect(key="consent_purposes").value == [Purpose.EVENTS, Purpose.POST]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ConsentEvent)) == 3
    assert len(audits(session, "consent_granted")) == 1  # the fixture's grant only

    # Correcting the input records it, and the errors go away.
    at.selectbox(key="consent_source").set_value(ConsentSource.IN_PERSON)
    at.text_area(key="consent_evidence").input("signed at the Turku event, form 17")
    button(at, "Record grant").click().run()
    assert not at.error
    session.expire_all()
    status = consent.current_status(session, liisa.id)
    assert (status[Purpose.EVENTS], status[Purpose.POST]) == (GRANTED, GRANTED)


def test_viewing_a_history_is_audited_once_per_selection(
    session, database_url, actors, registry, app_test
):
    compliance = actors[Role.COMPLIANCE]
    aino, eero = registry["Aino"], registry["Eero"]
    at = open_person(app_test(database_url, compliance, PAGE), "virt", aino.id)
    history = at.dataframe[-1].value
    assert list(history["Evidence"]) == ["newsletter form, log 881"] * 2
    # Reruns (another widget, the same person) are not new views; nor is coming back.
    at.radio(key="consent_action").set_value(WITHDRAWN).run()
    open_tab(at, "Current status")
    open_tab(at, "Find a person")
    at.run()
    assert [v.record_id for v in audits(session, "view_consent_history")] == [str(aino.id)]
    open_person(at, "kor", eero.id)
    open_person(at, "virt", aino.id)
    assert [v.record_id for v in audits(session, "view_consent_history")] == [
        str(aino.id),
        str(eero.id),
        str(aino.id),
    ]
    assert all(v.actor_name == compliance.username for v in audits(session, "view_consent_history"))


# --- the browser journey: a real server on its own seeded database, Debian's Chromium ---


@pytest.fixture(scope="module")
def consent_app(seeded_copy, live_app_factory):  # type: ignore[no-untyped-def]
    """A server of its own: the journey writes consent, which shared-database tests count."""
    with live_app_factory(seeded_copy()) as app:
        yield app


def metric_card(page, label: str):  # type: ignore[no-untyped-def]
    card = shown(page.get_by_test_id("stMetric")).filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return card.get_by_test_id("stMetricValue")


def choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    shown(page.get_by_label(label, exact=True)).click()
    page.get_by_role("option", name=option).first.click()
    wait_idle(page)


def test_a_withdrawal_recorded_in_the_browser_changes_the_count(consent_app, page):
    from playwright.sync_api import expect

    from demo.data.accounts import DEMO_ACCOUNTS
    from registry import db

    engine = db.make_engine(consent_app.database_url)
    with db.make_sessionmaker(engine)() as s:
        person = s.scalars(
            select(Person)
            .where(Person.email.is_not(None), consent.may_contact(Purpose.NEWSLETTER, Person.id))
            .order_by(Person.id)
            .limit(1)
        ).one()
    username, _, _, password = next(a for a in DEMO_ACCOUNTS if a[2] == Role.MARKETING)

    sign_in(page, consent_app, username, password)
    # The sidebar's link (the Overview's consent card links to the page too).
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Consent").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Consent")).to_be_visible()
    granted, withdrawn = (
        int(metric_card(page, label).inner_text().replace(",", ""))
        for label in ("Granted", "Withdrawn")
    )

    page.get_by_role("tab", name="Find a person").click()
    wait_idle(page)  # only the open tab is drawn: switching runs the page
    search = page.get_by_label("Search by name, email or username")
    search.fill(person.email or "")
    search.press("Enter")
    wait_idle(page)
    choose(page, "Person", f"{person.first_name} {person.last_name}")
    page.get_by_text("Withdraw consent", exact=True).click()
    wait_idle(page)
    # The form is drawn anew for a withdrawal: fill it only once that has happened.
    expect(page.get_by_role("button", name="Record withdrawal")).to_be_visible()
    choose(page, "Purposes", "Newsletter")
    page.keyboard.press("Escape")
    choose(page, "Source", "Phone")
    page.get_by_role("button", name="Record withdrawal").click()
    wait_idle(page)
    # expect() retries: the write's own rerun follows the submit's run.
    expect(page.get_by_text("Recorded a withdrawal for")).to_be_visible()

    page.get_by_role("tab", name="Current status").click()
    expect(metric_card(page, "Withdrawn")).to_have_text(f"{withdrawn + 1:,}")
    expect(metric_card(page, "Granted")).to_have_text(f"{granted - 1:,}")
    with db.make_sessionmaker(engine)() as s:
        assert consent.current_status(s, person.id)[Purpose.NEWSLETTER] == WITHDRAWN
    engine.dispose()
