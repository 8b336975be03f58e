"""Browser journey: a compliance officer uploads a Windows-1252 semicolon CSV of persons,
sees how it is read and its first rows, checks every row, imports, and finds the import
listed with its counts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry import db
from registry.models import AuditEvent, ImportRun, Person
from registry.vocabulary import Role
from tests.browser import screenshot, sign_in, visible, wait_idle
from tests.conftest import TEST_PASSWORD, make_user

PARTNERS = "Partners and companies and authorities offering personal information services"
CSV = (
    "first_name;last_name;email;phone;relationship\r\n"
    "Äijä;Sjöström;aija@yritys.example.fi;040 123 4567;customer_contact\r\n"
    "Bertta;Öhman;bertta@yritys.example.fi;;other_connection\r\n"
    '"=HYPERLINK(""http://x.example"";""y"")";Nieminen;hyper@yritys.example.fi;;service_user\r\n'
).encode("cp1252")


@pytest.fixture
def journey_app(backend, database_factory, live_app_factory, tmp_path):
    url = database_factory(backend)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        make_user(s, Role.COMPLIANCE, "officer-import")
    with live_app_factory(url) as app:
        yield app, engine, tmp_path
    engine.dispose()


def test_upload_preview_check_import_and_see_the_run(journey_app, page, backend):
    app, engine, tmp_path = journey_app
    page.set_default_timeout(90_000)  # a fresh server's first run can be slow on a busy machine
    sign_in(page, app, "officer-import", TEST_PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Import").click()
    wait_idle(page)

    box = visible(page.get_by_role("combobox", name="Where it comes from"))
    box.click()
    page.get_by_role("option", name=PARTNERS, exact=True).click()
    wait_idle(page)
    upload = tmp_path / "asiakkaat.csv"
    upload.write_bytes(CSV)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(upload)
    wait_idle(page)
    page.get_by_text(
        "Read as CSV, Windows-1252, semicolon-delimited: 5 columns.", exact=True
    ).wait_for()
    preview = page.get_by_test_id("stDataFrame").first
    preview.wait_for()
    screenshot(page, backend, "import-preview")

    page.get_by_role("button", name="Check every row").click()
    wait_idle(page)
    page.get_by_text("What an import would do").wait_for()
    page.get_by_text("Dry run, nothing written: 3 new").wait_for()
    with db.make_sessionmaker(engine)() as s:
        assert s.scalars(select(Person)).all() == []

    page.get_by_role("button", name="Import", exact=True).click()
    wait_idle(page)
    page.get_by_text("done: 3 new, 0 updated, 0 unchanged, 0 rejected").first.wait_for()
    screenshot(page, backend, "import-done")

    page.get_by_role("tab", name="Imports made").click()
    wait_idle(page)
    runs = visible(page.get_by_test_id("stDataFrame"))
    runs.wait_for()
    with db.make_sessionmaker(engine)() as s:
        run = s.scalars(select(ImportRun)).one()
        names = sorted(s.scalars(select(Person.first_name)))
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "import_completed")).one()
    assert (run.status, run.new_rows, run.file_name) == ("completed", 3, "asiakkaat.csv")
    assert names == ['=HYPERLINK("http://x.example";"y")', "Bertta", "Äijä"]
    assert event.actor_name == "officer-import" and event.record_id == str(run.id)
    # The runs table draws on a canvas; its hidden accessible table holds the cells.
    for cell in ("#1", "Completed", "persons", "asiakkaat.csv"):
        found = runs.get_by_role("gridcell", name=cell, exact=True, include_hidden=True)
        found.first.wait_for(state="attached")

    page.get_by_role("tab", name="To be told (Art. 14)").click()
    wait_idle(page)
    screenshot(page, backend, "import-to-be-told")
    log = app.log_text()
    assert "Traceback" not in log and "missing ScriptRunContext" not in log, log
