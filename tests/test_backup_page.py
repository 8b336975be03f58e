"""The Backups page (AppTest) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registry import settings
from registry.models import AuditEvent, Backup, utcnow
from registry.vocabulary import Role

PAGE = "pages/backups.py"


@pytest.fixture
def backup_dir(tmp_path, monkeypatch):
    path = tmp_path / "backups"
    monkeypatch.setattr(settings, "BACKUP_DIR", path)
    return path


def add_backup(session, hours_ago: float, result: str = "succeeded") -> None:
    started = utcnow() - dt.timedelta(hours=hours_ago)
    session.add(
        Backup(
            operation="backup",
            started_at=started,
            finished_at=started + dt.timedelta(seconds=42),
            actor_name="nightly-cron",
            file_path="/srv/elsewhere/registry-postgresql-20260101T020000Z.dump",
            size_bytes=12_345_678,
            sha256="ab" * 32,
            row_counts={"person": 1000, "audit_event": 234},
            result=result,
            message="",
        )
    )
    session.commit()


def test_no_backup_at_all_is_an_error(database_url, actors, app_test, backup_dir):
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    assert not at.exception, at.exception
    assert "No successful backup of this database is recorded" in at.error[0].value
    assert "No backup or restore has been recorded" in at.info[0].value
    assert not at.selectbox


def test_stale_backup_is_warned_about(database_url, session, actors, app_test, backup_dir):
    add_backup(session, hours_ago=30)
    add_backup(session, hours_ago=2, result="failed")
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    assert not at.exception, at.exception
    assert not at.error
    warning = at.warning[0].value
    assert "The newest successful backup is 30 h 0 min old" in warning
    assert f"{int(settings.BACKUP_MAX_AGE.total_seconds() // 3600)} hours allowed" in warning
    table = at.dataframe[0].value
    assert list(table["Result"]) == ["Failed", "Succeeded"]
    assert list(table["Operation"]) == ["Backup", "Backup"]
    assert table["Size"].iloc[1] == "12.3 MB"
    metrics = {m.label: m for m in at.metric}
    assert metrics["Backups in the last 30 days"].value == "1"
    # The file is on another machine: nothing to download here.
    assert not at.selectbox


def test_recent_backup_shows_no_warning(database_url, session, actors, app_test, backup_dir):
    add_backup(session, hours_ago=1)
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    assert not at.exception, at.exception
    assert not at.warning and not at.error
    last = {m.label: m for m in at.metric}["Last successful backup (Helsinki time)"]
    expected = (utcnow() - dt.timedelta(hours=1)).astimezone(settings.REGISTRY_TZ)
    assert last.value in {
        expected.strftime("%Y-%m-%d %H:%M"),
        (expected - dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M"),
    }


def test_making_a_backup_from_the_page(database_url, session, actors, app_test, backup_dir):
    admin = actors[Role.ADMINISTRATOR]
    at = app_test(database_url, admin, PAGE)
    at.button(key="backups_make").click().run()
    assert not at.exception, at.exception
    assert not at.error
    (made,) = [p for p in backup_dir.iterdir() if p.suffix in (".dump", ".sqlite3")]
    assert any(f"SHA-256 `{made.with_name(made.name + '.sha256').read_text()[:64]}`" in m.value
               for m in at.markdown)  # fmt: skip
    table = at.dataframe[0].value
    assert list(table["File"]) == [made.name]
    assert list(table["Result"]) == ["Succeeded"]
    assert list(table["Check"]) == ["Checked"]
    assert table["Check detail"].iloc[0].endswith("as expected")
    assert any("SHA-256" in m.value and "\nChecked: " in m.value for m in at.markdown)
    assert list(table["By"]) == [admin.username]
    choice = at.selectbox(key="backups_download_choice")
    assert made.name in choice.format_func(choice.value)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "backup_succeeded"))
    assert event.one().actor_id == admin.user_id


def test_a_failed_backup_is_shown_and_listed(database_url, actors, app_test, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setattr(settings, "BACKUP_DIR", blocker / "backups")
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    at.button(key="backups_make").click().run()
    assert not at.exception, at.exception
    assert any("The backup failed" in e.value for e in at.error)
    assert list(at.dataframe[0].value["Result"]) == ["Failed"]


def add_file_backup(session, folder, check_result: str | None) -> str:
    """A backup row with its file, checksum and manifest on this server."""
    from registry.backup import files

    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "registry-sqlite-20260101T020000Z.sqlite3"
    file.write_bytes(b"the copy")
    size, digest = files.file_digest(file)
    files.checksum_path(file).write_text(f"{digest}  {file.name}\n")
    files.manifest_path(file).write_text("{}")
    failed = check_result == "failed"
    session.add(
        Backup(
            operation="backup",
            started_at=utcnow() - dt.timedelta(hours=1),
            finished_at=utcnow(),
            actor_name="nightly-cron",
            file_path=str(file),
            size_bytes=size,
            sha256=digest,
            row_counts={"person": 10},
            result="failed" if failed else "succeeded",
            message="The copy failed its check (see the check)." if failed else "",
            check_result=check_result,
            checked_at=utcnow() if check_result else None,
            check_detail="PRAGMA integrity_check failed: row 3 missing from index ix_person_phone"
            if failed
            else "",
        )
    )
    session.commit()
    return file.name


def test_a_failed_check_is_shown_plainly_and_its_download_marked(
    database_url, session, actors, app_test, backup_dir
):
    name = add_file_backup(session, backup_dir, "failed")
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["Result"]) == ["Failed"] and list(table["Check"]) == ["Check failed"]
    assert "row 3 missing from index" in table["Check detail"].iloc[0]
    # No good backup is recorded: the health check says so.
    assert "No successful backup of this database is recorded" in at.error[0].value
    choice = at.selectbox(key="backups_download_choice")
    assert choice.format_func(choice.value).endswith(f"{name} · 8 B · check failed")
    assert any(e.value.startswith("This backup failed its check") for e in at.error)
    assert [b.label for b in at.get("download_button")] == ["Download backup (check failed)"]


def test_an_unchecked_backup_is_never_shown_as_checked(
    database_url, session, actors, app_test, backup_dir
):
    add_file_backup(session, backup_dir, None)
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["Check"]) == ["Not checked"]
    assert any("never read back" in w.value for w in at.warning)
    assert [b.label for b in at.get("download_button")] == ["Download backup (not checked)"]
    assert any(c.value.endswith("· not checked") for c in at.caption)
