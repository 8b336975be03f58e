"""SQLite: the online backup API copies the database in one step and the rows are counted
in the copy; a restore replaces the target file's content in one transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from registry.backup.files import (
    UNTOUCHED,
    Progress,
    RestoreFailed,
    RestoreRefused,
    refuse_non_empty,
    row_counts,
    schema_revision,
)


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


def restore(file: Path, path: Path) -> None:
    # immutable: the verified file is only read, never locked or journalled.
    source = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    target = sqlite3.connect(path, timeout=30)
    try:
        # The backup API replaces the whole target in one transaction, triggers and all.
        source.backup(target)
    except sqlite3.Error as e:
        raise RestoreFailed(f"SQLite could not restore into {path}: {e}") from e
    finally:
        target.close()
        source.close()
