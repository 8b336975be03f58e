"""SQLite: the online backup API copies the database in one step and the rows are counted
in the copy; the copy is read back (integrity check, every table read through) before it is
called good. A restore goes into a private copy that is checked the same way, and only then
replaces the target file's content in one transaction."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from registry.backup.files import (
    UNTOUCHED,
    BackupCheck,
    CheckResult,
    Manifest,
    Progress,
    RestoreFailed,
    RestoreRefused,
    judge_counts,
    refuse_non_empty,
    row_counts,
    schema_revision,
)
from registry.models import utcnow

CHECK = "PRAGMA integrity_check"
# integrity_check stops after this many problems; the first few say enough.
MAX_PROBLEMS = 10


def copy(engine: Engine, partial: Path, report: Progress) -> tuple[dict[str, int], str | None, str]:
    copy = sqlite3.connect(partial)
    try:
        with engine.connect() as connection:
            source = connection.connection.driver_connection
            assert isinstance(source, sqlite3.Connection)
            report(0.05, "Copying the database")
            # One step: a single consistent read. Stepwise copying restarts whenever the app
            # writes, and could then never finish on a busy registry; WAL keeps writers going.
            source.backup(copy)
        # The file must stand alone: no -wal or -shm beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
    report(0.6, "Counting the rows in the copy")
    counted = create_engine(f"sqlite:///{partial}")
    try:
        with counted.connect() as connection:
            counts, revision = row_counts(connection), schema_revision(connection)
    finally:
        counted.dispose()
    return counts, revision, f"SQLite {sqlite3.sqlite_version} online backup API"


def check_target(target: URL, replace: bool) -> Path:
    """Refuse a target file holding rows; read it read-only, so a refusal changes nothing."""
    safe = target.render_as_string(hide_password=True)
    if not target.database or target.database == ":memory:":
        raise RestoreRefused(f"Restore into a database file, not {safe}. {UNTOUCHED}")
    path = Path(target.database).resolve()
    if not path.exists() or path.stat().st_size == 0:
        return path
    uri = f"{path.as_uri()}?mode=ro"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    try:
        with engine.connect() as connection:
            counts = row_counts(connection)
    except SQLAlchemyError as e:
        raise RestoreRefused(
            f"{path} is not a readable SQLite database: {getattr(e, 'orig', e)}"
        ) from e
    finally:
        engine.dispose()
    refuse_non_empty(counts, safe, replace)
    return path


def restore(file: Path, path: Path, manifest: Manifest, report: Progress) -> BackupCheck:
    """Restore into a private copy beside the target, check the copy, and only then replace
    the target's content with it in one transaction. A failed check or copy leaves the target
    as it was (and no file where there was none)."""
    existed = path.exists()
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.restoring-")
    os.close(fd)
    staged = Path(name)
    try:
        # immutable: the verified file is only read, never locked or journalled.
        source = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        copy = sqlite3.connect(staged)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as e:
            raise RestoreFailed(
                f"{file.name} did not pass its check (SQLite cannot read it: {e}). {UNTOUCHED}"
            ) from e
        finally:
            copy.close()
            source.close()
        report(0.4, "Checking the restored copy before it replaces the target")
        checked = check(staged, manifest.row_counts)
        if not checked.passed:
            raise RestoreFailed(
                f"{file.name} did not pass its check: restored into a private copy, "
                f"{checked.detail}. {UNTOUCHED}"
            )
        report(0.6, "Replacing the target's content with the checked copy")
        staged_db = sqlite3.connect(f"{staged.resolve().as_uri()}?mode=ro", uri=True)
        target = sqlite3.connect(path, timeout=30)
        try:
            # The backup API replaces the whole target in one transaction, triggers and all.
            staged_db.backup(target)
        except sqlite3.Error as e:
            raise RestoreFailed(f"SQLite could not restore into {path}: {e}. {UNTOUCHED}") from e
        finally:
            target.close()
            staged_db.close()
        return checked
    except BaseException:
        if not existed:
            path.unlink(missing_ok=True)  # sqlite3.connect created it: no 0-byte file stays
        raise
    finally:
        staged.unlink(missing_ok=True)


def check(file: Path, expected: dict[str, int]) -> BackupCheck:
    """Read a copy back: SQLite's integrity check (every page of every table and index), then
    every table read through row by row (NOT INDEXED: its own b-tree, not an index's
    count), held against the rows expected. A file SQLite cannot read fails the check."""
    connection = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        found = [row[0] for row in connection.execute(f"PRAGMA integrity_check({MAX_PROBLEMS})")]
        problems = [] if found == ["ok"] else [str(p) for p in found]
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        read: dict[str, int] = {}
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            # The names come from the file's own schema, never from input.
            read[name] = connection.execute(
                f"SELECT count(*) FROM {quoted} NOT INDEXED"  # noqa: S608
            ).fetchone()[0]
    except sqlite3.Error as e:
        return BackupCheck(
            CheckResult.FAILED, utcnow(), f"{CHECK} failed: SQLite cannot read it: {e}"
        )
    finally:
        connection.close()
    return judge_counts(expected, read, CHECK, problems)
