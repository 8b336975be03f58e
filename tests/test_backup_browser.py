"""Browser journey: an administrator makes a backup on the Backups page and downloads it."""

from __future__ import annotations

import hashlib
import tarfile

import pytest
from sqlalchemy import select

from registry import db
from registry.models import AuditEvent, Backup
from registry.vocabulary import Role
from tests.browser import sign_in, wait_idle
from tests.conftest import TEST_PASSWORD, make_user


@pytest.fixture
def backups_app(backend, database_factory, live_app_factory, tmp_path):
    url = database_factory(backend)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        make_user(s, Role.ADMINISTRATOR, "admin-journey")
    with live_app_factory(url, env={"REGISTRY_BACKUP_DIR": str(tmp_path / "backups")}) as app:
        yield app, engine, tmp_path
    engine.dispose()


def test_administrator_makes_and_downloads_a_backup(backups_app, page):
    app, engine, tmp_path = backups_app
    # A fresh server's first run (imports, first connection) can pass 30 s on a busy machine.
    page.set_default_timeout(90_000)
    sign_in(page, app, "admin-journey", TEST_PASSWORD)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Backups").click()
    wait_idle(page)
    page.get_by_text("No successful backup of this database is recorded").wait_for()

    page.get_by_role("button", name="Make a backup now").click()
    wait_idle(page)
    page.get_by_text("Backup made and checked:").wait_for()
    assert page.get_by_text("No successful backup of this database is recorded").count() == 0

    with db.make_sessionmaker(engine)() as s:
        made = s.scalars(select(Backup)).one()
    assert made.result == "succeeded"
    assert made.file_path.startswith(str(tmp_path / "backups"))

    with page.expect_download() as download:
        page.get_by_role("button", name="Download backup").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    with tarfile.open(saved) as tar:
        names = tar.getnames()
        data = tar.extractfile(names[0]).read()
    name = made.file_path.rsplit("/", 1)[1]
    assert names == [name, f"{name}.sha256", f"{name}.json"]
    assert hashlib.sha256(data).hexdigest() == made.sha256

    with db.make_sessionmaker(engine)() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "backup_downloaded")).one()
    assert event.actor_name == "admin-journey" and event.record_id == str(made.id)
    log = app.log_text()
    assert "Traceback" not in log and "missing ScriptRunContext" not in log, log
