"""Browser journey: the compliance officer logs a restriction request for a person who is on
the newsletter list, verifies and completes it with its ground, and sees the person marked on
the Persons page; marketing then checks and downloads the newsletter list of everyone, and
the person is not on it. On its own copy of the seeded database, SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from demo.data.accounts import DEMO_ACCOUNTS
from registry import db
from registry.models import ConsentState, DisclosedPerson, Disclosure, Person, Restriction
from registry.restricted import not_restricted
from tests import factories
from tests.browser import screenshot, sign_in, visible, wait_idle

OFFICER, OFFICER_PASSWORD = next((a[0], a[3]) for a in DEMO_ACCOUNTS if a[2] == "compliance")
MARKETER, MARKETER_PASSWORD = next((a[0], a[3]) for a in DEMO_ACCOUNTS if a[2] == "marketing")


@pytest.fixture
def journey_app(seeded_copy, live_app_factory):  # type: ignore[no-untyped-def]
    url = seeded_copy()
    engine = db.make_engine(url)
    with live_app_factory(url) as app:
        yield app, engine
    engine.dispose()


def shoot(page, backend: str, state: str) -> None:  # type: ignore[no-untyped-def]
    screenshot(page, backend, f"restriction-{state}")


def choose(page, key: str, option: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(f".st-key-{key}").get_by_role("combobox").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_restrict_a_person_by_request_and_see_them_gone_from_an_export(
    journey_app, page, backend, tmp_path
):
    app, engine = journey_app
    with db.make_sessionmaker(engine)() as s:
        # On the newsletter list today: a grant, an email address, not restricted.
        person = s.scalars(
            select(Person)
            .join(ConsentState, ConsentState.person_id == Person.id)
            .where(
                ConsentState.purpose == "newsletter",
                ConsentState.status == "granted",
                Person.email.is_not(None),
                not_restricted(),
            )
            .order_by(Person.id)
        ).first()
    assert person is not None
    page.set_viewport_size({"width": 1400, "height": 2000})
    page.set_default_timeout(90_000)

    sign_in(page, app, OFFICER, OFFICER_PASSWORD)
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_role("link", name="Requests").click()
    wait_idle(page)
    page.get_by_role("tab", name="Log a request").click()
    search = visible(page.get_by_role("textbox", name="Find the person in the registry"))
    search.fill(person.email)
    search.press("Enter")
    wait_idle(page)
    visible(page.get_by_role("combobox", name="Matched person")).click()
    page.get_by_role("option", name=person.email).first.click()
    wait_idle(page)
    choose(page, "requests_log_kind", "Restriction (Art. 18)")
    choose(page, "requests_log_channel", "Phone")
    visible(page.get_by_label("What the request says")).fill("Stop using my data for now.")
    page.get_by_role("button", name="Log the request").click()
    wait_idle(page)
    page.get_by_text("logged: due").first.wait_for()
    page.get_by_role("button", name="Mark the identity verified").click()
    wait_idle(page)
    page.get_by_text("Identity verified.", exact=True).wait_for()
    # Complete is the open step now: its section is expanded.
    choose(
        page,
        "requests_complete_ground",
        "Art. 18(1)(b): unlawful processing, the person opposes erasure",
    )
    visible(page.get_by_role("textbox", name="Outcome")).fill("Processing restricted.")
    page.get_by_role("button", name="Complete the request").click()
    wait_idle(page)
    page.get_by_text("completed.").first.wait_for()
    shoot(page, backend, "request-completed")
    with db.make_sessionmaker(engine)() as s:
        restriction = s.scalars(select(Restriction).where(Restriction.person_id == person.id)).one()
        assert restriction.lifted_at is None

    nav.get_by_role("link", name="Persons").click()
    wait_idle(page)
    page.get_by_label("Find a person").fill(person.email)
    page.get_by_label("Find a person").press("Enter")
    wait_idle(page)
    page.get_by_label("1 matching persons").click()
    # The finder marks the person in its list too.
    page.get_by_role("option").filter(has_text="RESTRICTED").first.click()
    wait_idle(page)
    page.get_by_text("Processing restricted").first.wait_for()
    shoot(page, backend, "person-marked")

    sign_in(page, app, MARKETER, MARKETER_PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Segments").click()
    wait_idle(page)
    page.get_by_role("tab", name="Export").click()
    wait_idle(page)
    choose(page, "segments_export_recipient", "Emerald Mailworks Ltd (Newsletter delivery, IE)")
    page.locator(".st-key-segments_export_purpose input").fill("Newsletter, December")
    page.get_by_role("button", name="Check the list").click()
    wait_idle(page)
    page.get_by_text("persons matching the segment go on the newsletter").first.wait_for()
    shoot(page, backend, "export-checked")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the list (CSV)").click()
    path = Path(tmp_path / "list.csv")
    download.value.save_as(path)
    emails = {r["email"] for r in factories.csv_rows(path.read_bytes())}
    assert emails and person.email not in emails
    with db.make_sessionmaker(engine)() as s:
        latest = s.scalars(select(Disclosure).order_by(Disclosure.id.desc())).first()
        held = s.scalars(
            select(DisclosedPerson.person_id).where(
                DisclosedPerson.disclosure_id == latest.id, DisclosedPerson.person_id == person.id
            )
        ).all()
        assert held == [] and latest.person_count == len(emails)
