"""Browser journey (issue 14): the compliance officer logs an erasure request for a person on
the newsletter, matches and verifies it, sees the preview, erases; the marketing user then
finds the person in no segment and in no export.

Runs on its own copy of the seeded database (it writes), on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from demo.data.accounts import DEMO_ACCOUNTS
from registry import db
from registry.models import ConsentState, DataSubjectRequest, Person
from registry.vocabulary import ConsentStatus, Purpose
from tests.browser import screenshot, settled, sign_in, visible, wait_idle
from tests.factories import csv_rows

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
    screenshot(page, backend, f"erasure-{state}")


def test_log_preview_erase_and_the_person_is_gone_from_segments_and_exports(
    journey_app, page, backend
):
    app, engine = journey_app
    with db.make_sessionmaker(engine)() as s:
        person = s.scalars(
            select(Person)
            .join(ConsentState, ConsentState.person_id == Person.id)
            .where(
                ConsentState.purpose == Purpose.NEWSLETTER,
                ConsentState.status == ConsentStatus.GRANTED,
                Person.email.is_not(None),
                Person.erased_at.is_(None),
            )
            .order_by(Person.id)
        ).first()
    email, name = person.email, f"{person.first_name} {person.last_name}"

    page.set_viewport_size({"width": 1400, "height": 2200})
    page.set_default_timeout(90_000)
    sign_in(page, app, OFFICER, OFFICER_PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Requests").click()
    wait_idle(page)
    page.get_by_role("tab", name="Log a request").click()
    visible(page.locator(".st-key-requests_log_kind").get_by_role("combobox")).click()
    page.get_by_role("option", name="Erasure (Art. 17)").click()
    search = visible(page.get_by_role("textbox", name="Find the person in the registry"))
    search.fill(email[:14])
    search.press("Enter")
    wait_idle(page)
    visible(page.get_by_role("combobox", name="Matched person")).click()
    page.get_by_role("option", name=email).first.click()
    wait_idle(page)
    visible(page.get_by_label("What the request says")).fill("Please erase all my data.")
    page.get_by_role("button", name="Log the request").click()
    wait_idle(page)
    with db.make_sessionmaker(engine)() as s:
        logged = s.scalars(
            select(DataSubjectRequest).order_by(DataSubjectRequest.id.desc())
        ).first()
    assert logged.kind == "erasure" and logged.person_id == person.id
    settled(page, page.get_by_role("heading", name=f"Request #{logged.id} · Erasure (Art. 17)"))

    page.get_by_role("button", name="Mark the identity verified").click()
    wait_idle(page)
    settled(page, page.get_by_text("Identity verified.", exact=True))
    # The preview, table by table, opens with the completion step.
    page.get_by_text("What the erasure will do").wait_for()
    preview = page.get_by_test_id("stDataFrame").filter(has_text="consent_event")
    visible(preview)
    shoot(page, backend, "preview")
    grounds = page.locator(".st-key-requests_erasure_grounds").get_by_role("combobox")
    grounds.click()
    page.get_by_role("option", name=re.compile(r"^\(b\) consent withdrawn")).click()
    page.keyboard.press("Escape")
    visible(page.locator(".st-key-requests_erasure_outcome textarea")).fill(
        "Erased; the person was told by email."
    )
    page.get_by_role("button", name="Erase and complete the request").click()
    wait_idle(page)
    settled(page, page.get_by_text(f"Request #{logged.id} completed: person {person.id} erased."))
    page.get_by_text("The request is closed: no further steps.").wait_for()
    shoot(page, backend, "done")
    with db.make_sessionmaker(engine)() as s:
        erased = s.get(Person, person.id)
        assert erased.erased_at is not None and erased.email is None
        done = s.get(DataSubjectRequest, logged.id)
        assert done.status == "completed" and done.erasure_grounds == ["consent_withdrawn"]

    # Marketing: the person is in no segment's members and on no exported list.
    page.context.clear_cookies()
    sign_in(page, app, MARKETER, MARKETER_PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Segments").click()
    wait_idle(page)
    page.get_by_role("heading", name="Segments").wait_for()
    members = visible(page.get_by_role("textbox", name="Find by name, organisation or city"))
    members.fill(person.last_name)
    page.get_by_role("button", name="Show", exact=True).click()
    wait_idle(page)
    assert page.get_by_text(name, exact=True).count() == 0
    # The export opens on "Everyone": before the erasure the person, with a newsletter grant
    # and an email, was on this list.
    page.get_by_role("tab", name="Export").click()
    wait_idle(page)
    page.locator(".st-key-segments_export_recipient").get_by_role("combobox").click()
    page.get_by_role("option", name="Emerald Mailworks Ltd (Newsletter delivery, IE)").click()
    page.locator(".st-key-segments_export_purpose input").fill("Newsletter after an erasure")
    page.get_by_role("button", name="Check the list").click()
    wait_idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the list (CSV)").click()
    data = download.value.path().read_bytes()
    listed = data.decode("utf-8-sig")
    rows = csv_rows(data)
    assert rows and email not in listed and person.last_name not in {r["last_name"] for r in rows}
    shoot(page, backend, "export")
    assert "Traceback" not in app.log_text()
