"""Backups that never lie (issue 18): every copy is read back before it is called good, a
restore is checked before it replaces the target, and a damaged file is reported as failed,
never as verified, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from registry import db
from registry.backup import files, making, postgresql, records, restoring, sqlite
from registry.backup.files import (
    BackupFailed,
    BackupResult,
    CheckResult,
    RestoreFailed,
)
from registry.models import AuditEvent, Backup
from registry.permissions import Actor
from registry.vocabulary import Role
from tests.conftest import make_user
from tests.test_backup import fill_registry, target_state


@pytest.fixture
def admin(session, actors) -> Actor:
    fill_registry(session, actors)
    return actors[Role.ADMINISTRATOR]


def backups(engine: Engine) -> list[Backup]:
    with db.make_sessionmaker(engine)() as s:
        return list(s.scalars(select(Backup).order_by(Backup.id)))


def rehash(file: Path) -> None:
    """Make the checksum and manifest describe the file as it is now: damage that happened
    before the checksum was taken, which the checksum cannot see."""
    size, digest = files.file_digest(file)
    files.checksum_path(file).write_text(f"{digest}  {file.name}\n", encoding="utf-8")
    manifest = files.manifest_path(file)
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data.update(sha256=digest, size_bytes=size)
    manifest.write_text(json.dumps(data), encoding="utf-8")


def cut(file: Path) -> None:
    """Keep the first 60 %: a copy that stopped on its way to the disk."""
    data = file.read_bytes()
    file.write_bytes(data[: len(data) * 6 // 10])


def test_a_backup_is_read_back_and_the_check_is_recorded(engine, admin, tmp_path, backend):
    made = making.make_backup(engine, admin, tmp_path / "backups")
    assert made.manifest.check_result == CheckResult.PASSED
    assert made.manifest.checked_at is not None
    how = "PRAGMA integrity_check" if backend == "sqlite" else "pg_restore --list"
    assert made.manifest.check_detail.startswith(how)
    tables = len(made.manifest.row_counts)
    assert f"every one of the {tables} tables read back" in made.manifest.check_detail
    # The manifest beside the file carries the verdict too.
    written = files.Manifest.read(files.manifest_path(made.path))
    assert written.check_result == CheckResult.PASSED and written.checked_at is not None
    (row,) = backups(engine)
    assert row.result == BackupResult.SUCCEEDED and row.check_result == CheckResult.PASSED
    assert row.checked_at is not None and row.checked_at >= row.started_at
    assert row.check_detail == made.manifest.check_detail
    with db.make_sessionmaker(engine)() as s:
        entry = records.overview(s, admin).entries[0]
        assert entry.checked and entry.check_label == "Checked"
        assert entry.download_name == f"{made.path.name}.tar"
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "backup_succeeded"))
        assert "checked: " in event.one().detail


@pytest.fixture
def damaged_on_the_way(backend, monkeypatch):
    """The dump or copy is cut short after it was written, before it is read back."""
    module = postgresql if backend == "postgresql" else sqlite
    original = module.dump if backend == "postgresql" else module.copy

    def damaged(engine, partial, report):
        made = original(engine, partial, report)
        cut(partial)
        return made

    monkeypatch.setattr(module, "dump" if backend == "postgresql" else "copy", damaged)


def test_a_damaged_copy_is_recorded_as_failed_never_as_checked(
    engine, admin, tmp_path, damaged_on_the_way
):
    with pytest.raises(BackupFailed, match="failed its check") as failed:
        making.make_backup(engine, admin, tmp_path / "backups")
    assert "is not a good backup" in str(failed.value)
    (row,) = backups(engine)
    assert row.result == BackupResult.FAILED
    assert row.check_result == CheckResult.FAILED and row.checked_at is not None
    assert "failed" in row.check_detail and row.message.startswith("The copy failed its check")
    # Kept for whoever investigates, with a manifest that says it failed.
    kept = Path(row.file_path)
    assert kept.is_file()
    assert files.Manifest.read(files.manifest_path(kept)).check_result == CheckResult.FAILED
    with db.make_sessionmaker(engine)() as s:
        view = records.overview(s, admin)
        assert view.last_success is None and view.stale  # no good backup is recorded
        (entry,) = view.entries
        assert entry.check_label == "Check failed" and not entry.checked
        assert entry.download_problem is None  # downloadable, marked as failed
        assert entry.download_name == f"{kept.name}.CHECK-FAILED.tar"
        records.download_backup(s, admin, entry.id)
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "backup_downloaded"))
        assert "check failed" in event.one().detail


def damaged_after_its_checksum(made: files.MadeBackup) -> None:
    cut(made.path)
    rehash(made.path)
    files.verify_backup(made.path)  # the checksum alone cannot see this damage


def test_a_corrupted_backup_whose_checksum_matches_fails_and_touches_nothing(
    engine, admin, tmp_path, backend, database_factory
):
    made = making.make_backup(engine, admin, tmp_path / "backups")
    damaged_after_its_checksum(made)
    target = database_factory(backend)
    before = target_state(target)
    with pytest.raises(RestoreFailed, match="did not pass its check") as failed:
        restoring.restore_backup(admin, made.path, target)
    assert target_state(target) == before
    assert "the target database was not touched" in str(failed.value)
    assert "verified" not in str(failed.value)


def test_a_corrupted_sqlite_backup_creates_no_target_file(database_factory, tmp_path):
    engine = db.make_engine(database_factory("sqlite"))
    try:
        with db.make_sessionmaker(engine)() as s:
            actors = {role: Actor.of(make_user(s, role)) for role in Role}
            fill_registry(s, actors)
        made = making.make_backup(engine, actors[Role.ADMINISTRATOR], tmp_path / "backups")
    finally:
        engine.dispose()
    damaged_after_its_checksum(made)
    target_file = tmp_path / "new.db"
    with pytest.raises(RestoreFailed, match="did not pass its check"):
        restoring.restore_backup(actors[Role.ADMINISTRATOR], made.path, f"sqlite:///{target_file}")
    assert not target_file.exists()  # not even an empty file
    assert not list(tmp_path.glob(".new.db.restoring-*"))  # nor the private copy


def damage_an_index(url: str) -> None:
    """An index whose entries no longer match its table: the kind of damage that copies and
    counts fine but fails PRAGMA integrity_check."""
    path = make_url(url).database or ""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_schema SET sql = 'CREATE INDEX ix_person_relationship ON person "
            "(country)' WHERE name = 'ix_person_relationship'"
        )
        connection.commit()
    finally:
        connection.close()


def test_a_sqlite_database_with_a_damaged_index_never_backs_up_as_checked(
    database_factory, tmp_path
):
    url = database_factory("sqlite")
    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as s:
            actors = {role: Actor.of(make_user(s, role)) for role in Role}
            fill_registry(s, actors)
    finally:
        engine.dispose()
    damage_an_index(url)
    engine = db.make_engine(url)
    admin = actors[Role.ADMINISTRATOR]
    try:
        with pytest.raises(BackupFailed, match="PRAGMA integrity_check failed") as failed:
            making.make_backup(engine, admin, tmp_path / "backups")
        assert "ix_person_relationship" in str(failed.value)
        (row,) = backups(engine)
        assert row.check_result == CheckResult.FAILED and row.result == BackupResult.FAILED
        kept = Path(row.file_path)
    finally:
        engine.dispose()
    # Its checksum matches, yet restoring it fails the same check, the target untouched.
    target = database_factory("sqlite")
    before = target_state(target)
    with pytest.raises(RestoreFailed, match="ix_person_relationship"):
        restoring.restore_backup(admin, kept, target)
    assert target_state(target) == before


def test_a_restore_records_its_check(engine, admin, tmp_path, backend, database_factory):
    made = making.make_backup(engine, admin, tmp_path / "backups")
    target = database_factory(backend)
    restored = restoring.restore_backup(admin, made.path, target)
    target_engine = db.make_engine(target)
    try:
        with db.make_sessionmaker(target_engine)() as s:
            row = s.get(Backup, restored.backup_id)
            assert row is not None and row.operation == "restore"
            assert row.result == BackupResult.SUCCEEDED
            assert row.check_result == CheckResult.PASSED and row.checked_at is not None
            assert "match the manifest" in row.check_detail
    finally:
        target_engine.dispose()


def test_a_backup_made_before_checks_is_marked_not_checked(session, admin, tmp_path):
    file = tmp_path / "registry-sqlite-20250101T020000Z.sqlite3"
    file.write_bytes(b"old backup")
    size, digest = files.file_digest(file)
    files.checksum_path(file).write_text(f"{digest}  {file.name}\n")
    files.manifest_path(file).write_text("{}")
    session.add(
        Backup(
            operation="backup",
            actor_name="nightly-cron",
            file_path=str(file),
            size_bytes=size,
            sha256=digest,
            row_counts={"person": 1},
            result=BackupResult.SUCCEEDED,
            message="",
        )
    )
    session.commit()
    (entry,) = records.overview(session, admin).entries
    assert entry.check_result is None and not entry.checked
    assert entry.check_label == "Not checked"
    assert entry.download_name == f"{file.name}.NOT-CHECKED.tar"
