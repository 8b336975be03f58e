"""Browser journey: the compliance officer logs an access request, verifies the requester,
extends the deadline (the notice of extension is kept) and records that the person was told,
generates the Art. 15 report and downloads it, byte for byte the stored copy, also after
completing the request, and exports the queue as CSV.

Runs on its own copy of the seeded database (it writes), on SQLite and PostgreSQL; the SQLite
run's screenshots are requests-*.png (see tests/browser.py for where they go).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from demo.data.accounts import DEMO_ACCOUNTS
from registry import db, deadlines
from registry.formats import finnish_date
from registry.models import (
    AuditEvent,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    Person,
    SentDocument,
)
from tests.browser import click_until_shown, screenshot, settled, sign_in, visible, wait_idle
from tests.factories import csv_rows

OFFICER, PASSWORD = next((a[0], a[3]) for a in DEMO_ACCOUNTS if a[2] == "compliance")


@pytest.fixture
def journey_app(seeded_copy, live_app_factory):
    url = seeded_copy()
    engine = db.make_engine(url)
    with live_app_factory(url) as app:
        yield app, engine
    engine.dispose()


def shoot(page, backend: str, state: str) -> None:  # type: ignore[no-untyped-def]
    screenshot(page, backend, f"requests-{state}")


def test_log_verify_extend_report_complete_and_export(journey_app, page, backend):
    app, engine = journey_app
    with db.make_sessionmaker(engine)() as s:
        # Someone with data disclosed to a recipient, so the report has something to show.
        person = s.scalars(
            select(Person)
            .join(DisclosedPerson, DisclosedPerson.person_id == Person.id)
            .where(Person.email.is_not(None))
            .order_by(Person.id)
        ).first()
        recipient = s.scalar(
            select(Disclosure)
            .join(DisclosedPerson, DisclosedPerson.disclosure_id == Disclosure.id)
            .where(DisclosedPerson.person_id == person.id)
        ).recipient.name
        requests_before = s.scalar(select(func.count()).select_from(DataSubjectRequest))
    name = f"{person.first_name} {person.last_name}"
    today = deadlines.today()

    page.set_viewport_size({"width": 1400, "height": 2000})  # the page scrolls inside
    # Two cores shared with other test runs: a step can take a while, a download too.
    page.set_default_timeout(90_000)
    sign_in(page, app, OFFICER, PASSWORD)
    nav = page.get_by_test_id("stSidebarNav")
    nav.wait_for()
    nav.get_by_role("link", name="Requests").click()
    wait_idle(page)
    page.get_by_test_id("stMetric").first.wait_for()
    page.get_by_test_id("stPlotlyChart").first.wait_for()
    shoot(page, backend, "queue")

    # An empty form is refused with the errors beside its fields.
    page.get_by_role("tab", name="Log a request").click()
    page.get_by_role("button", name="Log the request").click()
    wait_idle(page)
    page.get_by_text("Enter the name.").wait_for()
    page.get_by_text("Enter a contact.").wait_for()
    shoot(page, backend, "log-errors")

    # Log a request received today, matched by searching the person's email; picking the
    # person fills in the requester's name and email.
    search = visible(page.get_by_role("textbox", name="Find the person in the registry"))
    search.fill(person.email[:12])
    search.press("Enter")
    wait_idle(page)
    visible(page.get_by_role("combobox", name="Matched person")).click()
    page.get_by_role("option", name=person.email).first.click()
    wait_idle(page)
    assert visible(page.get_by_label("Requester's name")).input_value() == name
    contact = visible(page.get_by_role("textbox", name="Requester's email or postal address"))
    assert contact.input_value() == person.email
    visible(page.get_by_label("What the request says")).fill("Please send me all my data.")
    shoot(page, backend, "log")
    page.get_by_role("button", name="Log the request").click()
    wait_idle(page)
    with db.make_sessionmaker(engine)() as s:
        logged = s.scalars(
            select(DataSubjectRequest).order_by(DataSubjectRequest.id.desc())
        ).first()
    assert logged.person_id == person.id and logged.received_on == today
    page.get_by_text(f"Request #{logged.id} logged").wait_for()
    page.get_by_role("heading", name=f"Request #{logged.id} · Access (Art. 15)").wait_for()
    shoot(page, backend, "detail-received")

    # Verify the identity (the open step), then extend with a reason.
    page.get_by_role("button", name="Mark the identity verified").click()
    wait_idle(page)
    settled(page, page.get_by_text("Identity verified.", exact=True))
    page.get_by_text("Extend the deadline").click()
    new_due = finnish_date(deadlines.due_date(today, extended=True))
    page.get_by_text(f"New due date {new_due}").wait_for()
    reason = visible(page.get_by_role("textbox", name="Reason for the extension"))
    reason.wait_for()
    click_until_shown(
        page,
        page.get_by_role("button", name="Extend", exact=True),
        page.get_by_text("Give the reason for the extension: the person must be told it."),
    )
    shoot(page, backend, "detail-extend-error")
    reason.fill("Many requests at once")
    page.get_by_role("button", name="Extend", exact=True).click()
    wait_idle(page)
    settled(page, page.get_by_text(f"Extended: now due {new_due}."))
    page.get_by_role("heading", name="Letters sent").wait_for()
    # Telling the person of the extension is a step of its own (Art. 12(3)).
    page.get_by_text("Record that the person was told of the extension").click()
    click_until_shown(
        page,
        page.get_by_role("button", name="Record that the person was told"),
        page.get_by_text("Recorded: the person was told of the extension."),
    )

    # Generate the final report and download both files: the stored copy, byte for byte.
    page.get_by_role("button", name="Generate the final report").click()
    wait_idle(page)
    settled(page, page.get_by_text("Final report generated and kept").first)
    with db.make_sessionmaker(engine)() as s:
        stored = s.scalars(
            select(SentDocument).where(
                SentDocument.request_id == logged.id, SentDocument.kind == "access_report"
            )
        ).one()
        kinds = s.scalars(
            select(SentDocument.kind).where(SentDocument.request_id == logged.id)
        ).all()
    assert sorted(kinds) == ["access_report", "extension"]
    with page.expect_download() as got:
        page.get_by_role("button", name="Download the data (JSON)").click()
    data = got.value.path().read_bytes()
    assert data == stored.json.encode("utf-8")
    report = json.loads(data)
    assert report["holds_data"] is True and report["request_id"] == logged.id
    assert report["language"] == "en"  # the request was written in English
    assert {"key": "email", "value": person.email, "kind": "text"} in report["person"]
    assert recipient in {d["recipient"] for d in report["disclosures"]}
    assert "CloudHost Inc." in {r["name"] for r in report["recipients"]}
    with page.expect_download() as got:
        page.get_by_role("button", name="Download the letter (HTML)").last.click()
    letter_bytes = got.value.path().read_bytes()
    assert letter_bytes == stored.html.encode("utf-8")
    letter = letter_bytes.decode("utf-8")
    assert "ACCESS REPORT" in letter and name in letter
    if person.password_hash:
        assert "stored as a one-way hash" in letter and person.password_hash not in letter
    else:
        assert "none stored" in letter
    shoot(page, backend, "detail-report")

    # Complete it: with the report made, completing is the step that stands open.
    visible(page.get_by_role("textbox", name="Outcome")).fill("Report sent by email")
    page.get_by_role("button", name="Complete the request").click()
    wait_idle(page)
    settled(page, page.get_by_text("The request is closed: no further steps."))
    # Closed, what was sent can still be downloaded, and it is the same bytes.
    with page.expect_download() as got:
        page.get_by_role("button", name="Download the letter (HTML)").last.click()
    assert got.value.path().read_bytes() == letter_bytes
    shoot(page, backend, "detail-completed")
    with db.make_sessionmaker(engine)() as s:
        done = s.get(DataSubjectRequest, logged.id)
        assert (done.status, done.outcome) == ("completed", "Report sent by email")
        assert done.report_generated_at is not None and done.extension_reason
        actions = set(
            s.scalars(select(AuditEvent.action).where(AuditEvent.record_id == str(logged.id)))
        )
        assert {
            "request_receive",
            "request_viewed",
            "request_verify_identity",
            "request_extend",
            "request_tell_extension",
            "request_report",
            "sent_document_downloaded",
            "request_complete",
        } <= actions

    # Back in the queue, the CSV export of every request (the filter's statuses cleared).
    page.get_by_role("button", name="Back to the queue").click()
    wait_idle(page)
    status = page.get_by_test_id("stMultiSelect").filter(has=page.get_by_text("Status"))
    visible(status).get_by_role("button", name="Clear all").click()
    page.get_by_role("button", name="Apply filters").click()
    wait_idle(page)
    page.get_by_text(
        f"All requests: {requests_before + 1}, open first, soonest due first."
    ).wait_for()
    shoot(page, backend, "queue-all")
    with page.expect_download() as got:
        page.get_by_role("button", name="Download the filtered queue (CSV)").click()
    rows = csv_rows(got.value.path().read_bytes())
    assert len(rows) == requests_before + 1
    assert any(r["request"] == str(logged.id) and r["status"] == "completed" for r in rows)
    with db.make_sessionmaker(engine)() as s:
        exported = s.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "requests_exported")
        ).one()
    assert exported.startswith(f"{requests_before + 1} rows as CSV: All requests")
    log = app.log_text()
    assert "Traceback" not in log, log
