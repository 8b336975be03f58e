"""Backups of the whole registry and their restore.

The notice promises that "the filing system is backed up safely and can be restored as
needed". A backup is one file with two beside it: FILE.sha256 (a `sha256sum` line) and
FILE.json (the manifest: row counts per table, schema revision, engine, when, by whom).

PostgreSQL is dumped by pg_dump (custom format) inside a snapshot exported by a REPEATABLE
READ transaction, and the rows are counted in that same snapshot, so the manifest describes
exactly what the file holds while the app keeps writing. SQLite is copied with its online
backup API in one step and counted in the copy.

A restore verifies the checksum before it opens the target, refuses a target holding rows
unless told to replace it, restores in one transaction, then compares the row counts with
the manifest. Each backup and restore leaves a `backup` row and an audit event: a backup in
the database it copied, a restore in the database it filled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Connection, Engine, column, create_engine, func, inspect, select, table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from registry import audit, db, settings
from registry.auth import current_actor
from registry.errors import NotFound, PermissionDenied, RegistryError
from registry.models import AppUser, Backup, utcnow
from registry.permissions import Actor, Permission, require

Progress = Callable[[float, str], None]

MANIFEST_FORMAT = 1
SUFFIXES = {"postgresql": ".dump", "sqlite": ".sqlite3"}
VERSION_TABLE = "alembic_version"
UNTOUCHED = "Nothing was restored; the target database was not touched."


class BackupOperation(StrEnum):
    BACKUP = "backup"
    RESTORE = "restore"


class BackupResult(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class BackupFailed(RegistryError):
    """A backup could not be made; the attempt is recorded and the message says why."""


class RestoreRefused(RegistryError):
    """A restore did not start, so the target database was not touched."""


class RestoreFailed(RegistryError):
    """A restore ran but did not give a verified copy; the message says what differs."""


@dataclass(frozen=True)
class Manifest:
    """FILE.json: what a backup file holds, written when it is made, read before a restore."""

    file_name: str
    engine: str
    schema_revision: str | None
    created_at: dt.datetime
    size_bytes: int
    sha256: str
    row_counts: dict[str, int]
    made_by: str
    tool: str
    format: int = MANIFEST_FORMAT

    def to_json(self) -> str:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["created_at"] = dt.datetime.fromisoformat(data["created_at"])
            data["row_counts"] = {str(k): int(v) for k, v in data["row_counts"].items()}
            return cls(**data)
        except FileNotFoundError as e:
            raise RestoreRefused(
                f"{path.name} is missing beside the backup: without its row counts the restore "
                f"cannot be verified. {UNTOUCHED}"
            ) from e
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise RestoreRefused(
                f"{path.name} is not a readable manifest ({e}). {UNTOUCHED}"
            ) from e


@dataclass(frozen=True)
class MadeBackup:
    backup_id: int
    path: Path
    manifest: Manifest


@dataclass(frozen=True)
class RestoredBackup:
    backup_id: int
    manifest: Manifest
    target: str  # the target URL with any password masked
    schema_current: bool  # False: the backup predates the code, run `migrate` on the target


@dataclass(frozen=True)
class BackupEntry:
    """One row of the backups table as the page shows it."""

    id: int
    operation: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    actor_name: str
    file_path: str
    size_bytes: int | None
    sha256: str | None
    total_rows: int | None
    result: str
    message: str
    download_problem: str | None  # why it cannot be downloaded here; None if it can

    @property
    def file_name(self) -> str:
        return Path(self.file_path).name

    @property
    def download_name(self) -> str:
        return f"{self.file_name}.tar"


@dataclass(frozen=True)
class BackupsOverview:
    last_success: BackupEntry | None
    age: dt.timedelta | None  # of the newest successful backup
    stale: bool  # no successful backup, or the newest is older than BACKUP_MAX_AGE
    succeeded_recently: int  # in the last BACKUP_HISTORY_DAYS
    failed_recently: int
    recent_sizes: list[tuple[dt.datetime, int]]  # successful backups of those days, oldest first
    total: int  # rows in the backup table
    entries: list[BackupEntry]  # one page, newest first


def _silent(_fraction: float, _message: str) -> None:
    """The progress callback when nobody watches."""


# --- files ---


def checksum_path(file: Path) -> Path:
    return file.with_name(file.name + ".sha256")


def manifest_path(file: Path) -> Path:
    return file.with_name(file.name + ".json")


def backup_path(out: Path, engine_name: str, at: dt.datetime) -> Path:
    """Where a backup made at `at` goes; the name always carries the UTC time.

    `out` is a directory if it is one already or its name has no suffix; then the name is
    made (registry-postgresql-20260101T020000Z.dump). Otherwise `out` names the file and the
    time goes before its suffix, so a scheduled job never overwrites yesterday's backup.
    (A second backup in the same second gets -2 after the time; see _claim.)
    """
    stamp = at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = SUFFIXES[engine_name]
    if out.is_dir() or not out.suffix:
        return out / f"registry-{engine_name}-{stamp}{suffix}"
    return out.with_name(f"{out.stem}-{stamp}{out.suffix}")


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, SHA-256 hex digest) of a file, read in chunks."""
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
        return os.fstat(f.fileno()).st_size, digest


def _write_private(path: Path, content: str) -> None:
    """Backups hold personal data: only the owner may read them."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)


_SIZE_UNITS = ((1000**3, "GB"), (1000**2, "MB"), (1000, "kB"))


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    for factor, unit in _SIZE_UNITS:
        if size >= factor:
            return f"{size / factor:,.1f} {unit}"
    return f"{size} B"


def rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def describe_age(age: dt.timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"


# --- what a database holds ---


def row_counts(connection: Connection) -> dict[str, int]:
    """Rows per table, every table of the database (the migration bookkeeping too)."""
    names = sorted(inspect(connection).get_table_names())
    return {
        name: connection.scalar(select(func.count()).select_from(table(name))) or 0
        for name in names
    }


def schema_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.scalar(select(column("version_num")).select_from(table(VERSION_TABLE)))


def _count_differences(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    return [
        f"{name}: {expected.get(name, 'no table')} in the backup, "
        f"{actual.get(name, 'no table')} restored"
        for name in sorted(set(expected) | set(actual))
        if expected.get(name) != actual.get(name)
    ]


# --- PostgreSQL client tools ---


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore, with the password in the environment (never on
    the command line, where any user's `ps` shows it)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url._replace(drivername="postgresql", password=None)
    return conninfo.render_as_string(hide_password=False), env


def _client_tool(name: str, server_major: int, error: type[RegistryError]) -> tuple[str, str]:
    """(path, version line) of pg_dump or pg_restore, refused if older than the server."""
    path = shutil.which(name)
    if path is None:
        raise error(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    version = subprocess.run(
        [path, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    found = re.search(r"\)\s+(\d+)", version)
    if found is None or int(found.group(1)) < server_major:
        raise error(
            f"{version} cannot work with a PostgreSQL {server_major} server: install "
            f"postgresql-client-{server_major} or newer."
        )
    return path, version


def _run_tool(
    command: list[str],
    env: dict[str, str],
    marker: str,
    steps: int,
    span: tuple[float, float],
    report: Progress,
    error: type[RegistryError],
) -> None:
    """Run a PostgreSQL client tool with --verbose, turning its per-table lines into progress."""
    start, end = span
    done = 0
    lines: list[str] = []
    with subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if marker in line:
                done += 1
                table_name = line.split(marker, 1)[1].strip().strip('"')
                report(start + (end - start) * min(done / max(steps, 1), 1.0), table_name)
            else:
                lines.append(line.strip())
    if process.returncode != 0:
        errors = [line for line in lines if "error" in line.lower()] or lines
        tool = Path(command[0]).name
        raise error(f"{tool} failed (exit {process.returncode}): {' '.join(errors[-3:])}")


# --- making a backup ---


def make_backup(
    engine: Engine, actor: Actor, out: Path, *, progress: Progress | None = None
) -> MadeBackup:
    """Back up the database behind `engine` into `out` (a directory or a file name).

    Every attempt is recorded in the database backed up: a `backup` row and an audit event,
    failed attempts too, so a missing nightly backup shows on the Backups page.
    """
    require(actor, Permission.MANAGE_BACKUPS)
    report = progress or _silent
    started = utcnow()
    engine_name = engine.dialect.name
    if engine_name not in SUFFIXES:
        raise BackupFailed(f"Backups of {engine_name} databases are not supported.")
    path = backup_path(out, engine_name, started)
    partial: Path | None = None
    finished: list[Path] = []  # removed again if a later step fails
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path, partial = _claim(path)
        report(0.0, "Taking a consistent snapshot")
        if engine_name == "postgresql":
            counts, revision, tool = _dump_postgresql(engine, partial, report)
        else:
            counts, revision, tool = _copy_sqlite(engine, partial, report)
        if not counts:
            raise BackupFailed("The database holds no tables: there is nothing to back up.")
        report(0.85, "Computing the SHA-256 checksum")
        partial.chmod(0o600)
        size, digest = file_digest(partial)
        # The final name only ever names a complete file, and a link never replaces one.
        os.link(partial, path)
        finished.append(path)
        partial.unlink()
        manifest = Manifest(
            file_name=path.name,
            engine=engine_name,
            schema_revision=revision,
            created_at=started,
            size_bytes=size,
            sha256=digest,
            row_counts=counts,
            made_by=actor.username,
            tool=tool,
        )
        for companion, content in (
            (checksum_path(path), f"{digest}  {path.name}\n"),
            (manifest_path(path), manifest.to_json()),
        ):
            _write_private(companion, content)
            finished.append(companion)
    except Exception as e:  # whatever failed, the attempt is recorded before it is reported
        for leftover in [partial, *finished]:
            if leftover is not None and leftover.is_file():
                leftover.unlink()
        reason = str(e).strip() or type(e).__name__
        try:
            _record(engine, actor, BackupOperation.BACKUP, started, path, reason=reason)
        except SQLAlchemyError as recording:
            reason += f" (the failure could not be recorded either: {type(recording).__name__})"
        raise BackupFailed(f"The backup failed: {reason}") from e
    report(0.95, "Recording the backup")
    total = sum(counts.values())
    backup_id = _record(
        engine,
        actor,
        BackupOperation.BACKUP,
        started,
        path,
        manifest=manifest,
        detail=f"{path.name}: {human_size(size)}, {rows(total)} in {len(counts)} tables",
    )
    report(1.0, f"Backup made: {path.name}")
    return MadeBackup(backup_id, path, manifest)


def _claim(path: Path) -> tuple[Path, Path]:
    """A free name for the backup and its partial file, created here so no other backup
    started in the same second can take it (they get -2, -3, ...)."""
    for n in range(1, 100):
        candidate = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
        partial = candidate.with_name(candidate.name + ".partial")
        if candidate.exists():
            continue
        try:
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return candidate, partial
    raise BackupFailed(f"No free file name beside {path}: too many backups in one second.")


def _dump_postgresql(
    engine: Engine, partial: Path, report: Progress
) -> tuple[dict[str, int], str | None, str]:
    with engine.connect() as connection:
        # REPEATABLE READ: every statement of this transaction sees the snapshot that
        # pg_dump is handed, so the counts describe exactly the rows in the file.
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            server_major = int((engine.dialect.server_version_info or (0,))[0])
            pg_dump, version = _client_tool("pg_dump", server_major, BackupFailed)
            lock_wait_ms = int(settings.BACKUP_LOCK_WAIT_TIMEOUT.total_seconds() * 1000)
            # The counting waits for locks no longer than pg_dump will.
            connection.execute(select(func.set_config("lock_timeout", f"{lock_wait_ms}ms", True)))
            snapshot = connection.scalar(select(func.pg_export_snapshot()))
            try:
                counts = row_counts(connection)
            except OperationalError as e:
                raise BackupFailed(f"A table stayed locked: {str(e.orig).strip()}") from e
            revision = schema_revision(connection)
            report(0.05, "Dumping the tables")
            conninfo, env = _libpq(engine.url)
            command = [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--lock-wait-timeout={lock_wait_ms}",
                "--verbose",
                f"--file={partial}",
                f"--dbname={conninfo}",
            ]
            marker = "dumping contents of table "
            _run_tool(command, env, marker, len(counts), (0.05, 0.8), report, BackupFailed)
    return counts, revision, version


def _copy_sqlite(
    engine: Engine, partial: Path, report: Progress
) -> tuple[dict[str, int], str | None, str]:
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


def _record(
    engine: Engine,
    actor: Actor,
    operation: BackupOperation,
    started: dt.datetime,
    path: Path,
    *,
    manifest: Manifest | None = None,
    counts: dict[str, int] | None = None,
    reason: str = "",
    detail: str = "",
    note: str = "",
) -> int:
    """The `backup` row and its audit event, in one transaction. No manifest: it failed.

    The row's message is the failure, or a note the row's other columns do not already say.
    """
    failed = manifest is None or bool(reason)
    result = BackupResult.FAILED if failed else BackupResult.SUCCEEDED
    with db.make_sessionmaker(engine)() as session:
        row = Backup(
            operation=operation,
            started_at=started,
            finished_at=utcnow(),
            actor_name=actor.username[:100],
            file_path=str(path.resolve())[:500],
            size_bytes=manifest.size_bytes if manifest else None,
            sha256=manifest.sha256 if manifest else None,
            row_counts=counts or (manifest.row_counts if manifest else None),
            result=result,
            message=(reason or note)[: settings.MAX_LONG_TEXT],
        )
        session.add(row)
        session.flush()
        action = f"{operation}_{'failed' if failed else 'succeeded'}"
        audit.record(
            session,
            _known(session, actor),
            action,
            "backup",
            row.id,
            reason or detail,
            actor_name=actor.username,
        )
        session.commit()
        return row.id


def _known(session: Session, actor: Actor) -> Actor | None:
    """The actor if its account exists in this database (a restored one may lack it);
    otherwise the event names the actor without linking an account."""
    if actor.user_id is None:
        return None
    user = session.get(AppUser, actor.user_id)
    return actor if user is not None and user.username == actor.username else None


# --- restoring ---


def verify_backup(file: Path) -> Manifest:
    """The manifest of a backup file that matches its checksum; RestoreRefused otherwise.

    Reads only the backup's own files, so it can run before anything touches a target.
    """
    if not file.is_file():
        raise RestoreRefused(f"There is no backup file at {file}. {UNTOUCHED}")
    sums = checksum_path(file)
    try:
        expected = sums.read_text(encoding="utf-8").split()[0].lower()
    except (OSError, IndexError) as e:
        raise RestoreRefused(
            f"{sums.name} is missing or empty beside the backup: the file cannot be verified. "
            f"{UNTOUCHED}"
        ) from e
    manifest = Manifest.read(manifest_path(file))
    size, actual = file_digest(file)
    if actual != expected:
        if size < manifest.size_bytes:
            raise RestoreRefused(
                f"The backup file {file.name} is truncated: it has {size:,} of the "
                f"{manifest.size_bytes:,} bytes it had when it was made. {UNTOUCHED}"
            )
        raise RestoreRefused(
            f"The backup file {file.name} is corrupted: its SHA-256 is {actual}, but "
            f"{sums.name} says {expected}. {UNTOUCHED}"
        )
    if manifest.sha256 != expected:
        raise RestoreRefused(
            f"{sums.name} and {manifest_path(file).name} disagree about the checksum: they do "
            f"not belong to the same backup. {UNTOUCHED}"
        )
    return manifest


def restore_backup(
    actor: Actor,
    file: Path,
    into_url: str,
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> RestoredBackup:
    """Restore a verified backup into the database at `into_url`.

    Refused, untouched: a file that does not match its checksum, a target of the other
    engine, a target holding rows (unless `replace`). After restoring, the row counts are
    compared with the manifest; any difference raises RestoreFailed naming the tables.
    """
    require(actor, Permission.MANAGE_BACKUPS)
    report = progress or _silent
    started = utcnow()
    report(0.0, "Verifying the checksum")
    manifest = verify_backup(file)
    target = make_url(into_url)
    safe = target.render_as_string(hide_password=True)
    engine_name = target.get_backend_name()
    if engine_name != manifest.engine:
        raise RestoreRefused(
            f"{file.name} is a {manifest.engine} backup; it cannot be restored into the "
            f"{engine_name} database {safe}. {UNTOUCHED}"
        )
    report(0.1, "Checking that the target is empty")
    if engine_name == "postgresql":
        server_major = _check_postgresql_target(target, manifest, replace)
        pg_restore, _ = _client_tool("pg_restore", server_major, RestoreRefused)
        _restore_postgresql(pg_restore, file, target, manifest, report)
    else:
        path = _check_sqlite_target(target, replace)
        report(0.15, "Copying the backup into the target")
        _restore_sqlite(file, path)
    report(0.85, "Comparing the row counts with the manifest")
    engine = db.make_engine(into_url)
    try:
        with engine.connect() as connection:
            restored = row_counts(connection)
        differences = _count_differences(manifest.row_counts, restored)
        source = (
            f"{file.name} (made {manifest.created_at:%Y-%m-%d %H:%M} UTC by {manifest.made_by})"
        )
        if differences:
            reason = f"Row counts differ after restoring {source}: " + "; ".join(differences)
            _record(
                engine,
                actor,
                BackupOperation.RESTORE,
                started,
                file,
                manifest=manifest,
                counts=restored,
                reason=reason,
            )
            raise RestoreFailed(reason)
        report(0.95, "Recording the restore")
        backup_id = _record(
            engine,
            actor,
            BackupOperation.RESTORE,
            started,
            file,
            manifest=manifest,
            counts=restored,
            detail=f"Restored {source}; the row counts of all {len(restored)} tables match.",
            note=f"From {source}; row counts verified.",
        )
        current = db.schema_is_current(engine)
    finally:
        engine.dispose()
    report(1.0, "Restored and verified")
    return RestoredBackup(backup_id, manifest, safe, current)


def _refuse_non_empty(counts: dict[str, int], safe: str, replace: bool) -> None:
    holding = {t: n for t, n in counts.items() if n and t != VERSION_TABLE}
    if holding and not replace:
        biggest = sorted(holding.items(), key=lambda item: -item[1])[:3]
        listed = ", ".join(f"{t}: {rows(n)}" for t, n in biggest)
        raise RestoreRefused(
            f"The target database {safe} is not empty ({listed}"
            f"{', ...' if len(holding) > 3 else ''}). Restore into an empty database, or "
            f"replace its content on purpose (--replace). {UNTOUCHED}"
        )


def _check_postgresql_target(target: URL, manifest: Manifest, replace: bool) -> int:
    """Refuse a target holding rows, or tables the backup lacks; its server's major version."""
    safe = target.render_as_string(hide_password=True)
    engine = db.make_engine(target.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            counts = row_counts(connection)
        server_major = int((engine.dialect.server_version_info or (0,))[0])
    except SQLAlchemyError as e:
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        raise RestoreRefused(f"Cannot reach the target database {safe}: {reason}") from e
    finally:
        engine.dispose()
    _refuse_non_empty(counts, safe, replace)
    if extra := sorted(set(counts) - set(manifest.row_counts)):
        # pg_restore --clean drops only what the backup holds; these would outlive it.
        raise RestoreRefused(
            f"The target database {safe} has tables the backup does not ({', '.join(extra)}): "
            "its schema is newer. Restore into a new, empty database and run "
            f"`python -m registry migrate` there. {UNTOUCHED}"
        )
    return server_major


def _restore_postgresql(
    pg_restore: str, file: Path, target: URL, manifest: Manifest, report: Progress
) -> None:
    conninfo, env = _libpq(target)
    command = [
        pg_restore,
        # Drop and recreate the objects instead of deleting rows: audit_event refuses DELETE.
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-acl",
        # All or nothing: a failure leaves the target as it was.
        "--single-transaction",
        "--exit-on-error",
        "--verbose",
        f"--dbname={conninfo}",
        str(file),
    ]
    marker = "processing data for table "
    steps = len(manifest.row_counts)
    _run_tool(command, env, marker, steps, (0.15, 0.8), report, RestoreFailed)


def _check_sqlite_target(target: URL, replace: bool) -> Path:
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
    _refuse_non_empty(counts, safe, replace)
    return path


def _restore_sqlite(file: Path, path: Path) -> None:
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


# --- the Backups page ---


def _entry(row: Backup) -> BackupEntry:
    return BackupEntry(
        id=row.id,
        operation=row.operation,
        started_at=row.started_at,
        finished_at=row.finished_at,
        actor_name=row.actor_name,
        file_path=row.file_path,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        total_rows=sum(row.row_counts.values()) if row.row_counts else None,
        result=row.result,
        message=row.message,
        download_problem=_download_problem(row),
    )


def _download_problem(row: Backup) -> str | None:
    if row.operation != BackupOperation.BACKUP or row.result != BackupResult.SUCCEEDED:
        return "only a successful backup can be downloaded"
    path = Path(row.file_path)
    if not path.is_file():
        return "the file is not on this server"
    if not (checksum_path(path).is_file() and manifest_path(path).is_file()):
        return "its checksum or manifest file is missing beside it"
    if path.stat().st_size > settings.BACKUP_DOWNLOAD_MAX_BYTES:
        return (
            f"it is larger than {human_size(settings.BACKUP_DOWNLOAD_MAX_BYTES)}: copy it from "
            f"the server ({path})"
        )
    return None


def overview(
    session: Session,
    actor: Actor,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> BackupsOverview:
    """The Backups page: the newest successful backup and its age, recent figures, one page."""
    require(actor, Permission.MANAGE_BACKUPS)
    now = now or utcnow()
    succeeded = (Backup.operation == BackupOperation.BACKUP) & (
        Backup.result == BackupResult.SUCCEEDED
    )
    newest = session.scalars(
        select(Backup).where(succeeded).order_by(Backup.started_at.desc(), Backup.id.desc())
    ).first()
    since = now - dt.timedelta(days=settings.BACKUP_HISTORY_DAYS)
    recent = (Backup.operation == BackupOperation.BACKUP) & (Backup.started_at >= since)
    by_result = dict(
        session.execute(
            select(Backup.result, func.count()).where(recent).group_by(Backup.result)
        ).all()
    )
    sizes = session.execute(
        select(Backup.started_at, Backup.size_bytes)
        .where(recent & succeeded)
        .order_by(Backup.started_at)
        .limit(settings.MAX_PAGE_SIZE)
    ).all()
    page = session.scalars(
        select(Backup)
        .order_by(Backup.started_at.desc(), Backup.id.desc())
        .limit(limit)
        .offset(offset)
    )
    age = now - newest.started_at if newest else None
    return BackupsOverview(
        last_success=_entry(newest) if newest else None,
        age=age,
        stale=age is None or age > settings.BACKUP_MAX_AGE,
        succeeded_recently=by_result.get(BackupResult.SUCCEEDED, 0),
        failed_recently=by_result.get(BackupResult.FAILED, 0),
        recent_sizes=[(at, size or 0) for at, size in sizes],
        total=session.scalar(select(func.count()).select_from(Backup)) or 0,
        entries=[_entry(row) for row in page],
    )


def download_backup(session: Session, actor: Actor, backup_id: int) -> bytes:
    """A backup with its checksum and manifest as one tar archive; the download is audited.

    The file is checked against the checksum recorded when it was made: a file changed on
    disk is not handed out as a backup. The page calls this when the button is clicked,
    outside a page run, so the account is read again here: a deactivation bites at once.
    """
    if actor.user_id is not None:
        current = current_actor(session, actor.user_id)
        if current is None:
            raise PermissionDenied("This account is no longer active.")
        actor = current
    require(actor, Permission.MANAGE_BACKUPS)
    row = session.get(Backup, backup_id)
    if row is None:
        raise NotFound(f"No backup with id {backup_id}.")
    if problem := _download_problem(row):
        raise NotFound(f"Backup {backup_id} cannot be downloaded: {problem}.")
    path = Path(row.file_path)
    size, digest = file_digest(path)
    if digest != row.sha256:
        raise RegistryError(
            f"{path.name} no longer matches the checksum taken when it was made: it was "
            "changed or damaged on disk, so it is not handed out."
        )
    bundle = io.BytesIO()
    with tarfile.open(fileobj=bundle, mode="w") as tar:
        for member in (path, checksum_path(path), manifest_path(path)):
            info = tar.gettarinfo(str(member), arcname=member.name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with member.open("rb") as f:
                tar.addfile(info, f)
    audit.record(
        session, actor, "backup_downloaded", "backup", row.id, f"{path.name} ({human_size(size)})"
    )
    session.commit()
    return bundle.getvalue()
