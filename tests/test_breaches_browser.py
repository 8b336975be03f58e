"""Browser journey: a compliance officer records a breach at the newsletter provider, sees
its 72-hour clock, counts who was affected, lists them, and downloads the notification to
the Ombudsman and the letters list for the mailing processor."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from registry import db, settings
from registry.models import AuditEvent, Breach, Disclosure
from tests import breach_data
from tests.browser import screenshot, sign_in, visible, wait_idle
from tests.conftest import TEST_PASSWORD
from tests.factories import csv_rows


@pytest.fixture
def journey_app(backend, database_factory, live_app_factory, tmp_path):
    url = database_factory(backend)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        breach_data.build(s, persons=40)
    with live_app_factory(url) as app:
        yield app, engine, tmp_path
    engine.dispose()


def choose(page, label: str, option: str) -> None:
    box = visible(page.get_by_role("combobox", name=label, exact=True))
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).first.click()


def set_date(page, label: str, day: dt.date) -> None:
    # A segmented date field: day, month and year, each typed into its own part.
    field = visible(page.get_by_role("group", name=label, exact=True))
    field.get_by_role("spinbutton").first.click()
    page.keyboard.type(f"{day:%d%m%Y}")
    page.keyboard.press("Tab")


def set_time(page, label: str, time: dt.time) -> None:
    field = visible(page.get_by_role("group", name=label, exact=True))
    field.get_by_role("spinbutton").first.click()
    page.keyboard.type(f"{time:%H%M}")
    page.keyboard.press("Tab")


def test_record_a_breach_see_the_clock_count_and_download(journey_app, page, backend):
    app, engine, tmp_path = journey_app
    # Ten hours ago in Helsinki, on the form's five-minute grid.
    now = dt.datetime.now(settings.REGISTRY_TZ).replace(second=0, microsecond=0, tzinfo=None)
    aware = now - dt.timedelta(hours=10, minutes=now.minute % 5)
    sign_in(page, app, "officer", TEST_PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Breaches").click()
    wait_idle(page)
    page.get_by_role("tab", name="Record a breach").click()
    visible(page.get_by_label("What happened, in a line")).fill("Mailing database copied")
    visible(page.get_by_label("Description: the nature of the breach")).fill(
        "An attacker copied the provider's mailing database."
    )
    set_date(page, "Happened (or began): date", aware.date())
    set_time(page, "Happened (or began): time", aware.time())
    set_date(page, "Controller became aware: date", aware.date())
    set_time(page, "Controller became aware: time", aware.time())
    choose(page, "Recipient (for a recipient's breach)", "Everyone Hosting Oy (FI)")
    choose(page, "Data categories concerned", "Basic information")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Record breach").click()
    wait_idle(page)
    page.get_by_text("recorded. The clock runs from awareness.").wait_for()
    with db.make_sessionmaker(engine)() as s:
        breach = s.scalars(select(Breach)).one()
        reference = f"BR-{breach.id:04d}"
    # The clock: 72 hours from awareness, ten of them gone.
    page.get_by_text(f"{reference} · 61 h left").first.wait_for()
    grid = page.get_by_test_id("stDataFrame").first
    grid.get_by_role("gridcell", name="61 h left", include_hidden=True).first.wait_for(
        state="attached"
    )
    screenshot(page, backend, "breaches-register")

    # After a write moved the page to the Register tab, the browser can still send its old
    # tab for the next click and land on "Record a breach" again (a Streamlit tab-state race
    # seen under load; noted, not fixed): go back to the Register tab and try again.
    count = page.get_by_role("button", name="Count who was affected")
    for _ in range(3):
        page.get_by_role("tab", name="Who was affected").click()
        wait_idle(page)
        try:
            count.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            page.get_by_role("tab", name="Register").click()
            wait_idle(page)
    count.click()
    wait_idle(page)
    page.get_by_text("Persons affected").first.wait_for()
    page.get_by_role("button", name="Show the affected persons").click()
    wait_idle(page)
    page.get_by_text("Persons 1–").first.wait_for()
    with db.make_sessionmaker(engine)() as s:
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "breach_affected_viewed"))
        counted = s.get(Breach, breach.id).affected_persons
    assert counted and counted > 0
    screenshot(page, backend, "breaches-affected")

    page.get_by_role("tab", name="Documents").click()
    with page.expect_download() as notification:
        page.get_by_role("button", name="Notification (Finnish)").click()
    text = tmp_path / "notification.html"
    notification.value.save_as(text)
    html = text.read_text(encoding="utf-8")
    assert "Ilmoitus henkilötietojen tietoturvaloukkauksesta" in html
    assert f"{counted}" in html  # the count the officer saw

    choose(page, "Mailing processor", "Mail House Oy (FI)")
    page.get_by_role("button", name="Produce the letters list").click()
    wait_idle(page)
    page.get_by_text("recorded as disclosure").first.wait_for()
    with page.expect_download() as letters:
        page.get_by_role("button", name="Download the letters list").click()
    listed = tmp_path / "letters.csv"
    letters.value.save_as(listed)
    data = listed.read_bytes()
    rows = csv_rows(data)  # as Finnish Excel reads it: the BOM, the declared separator
    assert list(rows[0])[:2] == ["letter_reference", "language"]
    with db.make_sessionmaker(engine)() as s:
        [made] = s.scalars(select(Disclosure).where(Disclosure.purpose.like("Art. 34%")))
        assert made.person_count == len(rows)
    screenshot(page, backend, "breaches-documents")
    log = app.log_text()
    assert "Traceback" not in log, log
