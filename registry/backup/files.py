"""What every part of a backup shares: its files (the backup, FILE.sha256 and the FILE.json
manifest), their names and checksums, what a database holds, and the check of a backup
against its checksum before anything touches a restore target."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Connection, column, func, inspect, select, table

from registry.errors import RegistryError
from registry.models import utcnow

Progress = Callable[[float, str], None]

MANIFEST_FORMAT = 1
SUFFIXES = {"postgresql": ".dump", "sqlite": ".sqlite3"}
VERSION_TABLE = "alembic_version"
# Tables whose rows the migrations write: an empty, migrated target holds them.
MIGRATION_ROWS = frozenset({VERSION_TABLE, "data_version"})
UNTOUCHED = "Nothing was restored; the target database was not touched."


class BackupOperation(StrEnum):
    BACKUP = "backup"
    RESTORE = "restore"


class BackupResult(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class CheckResult(StrEnum):
    """The read-back check of a copy. A row without one (NULL) was never checked."""

    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class BackupCheck:
    """A copy read back after it was written: the integrity check and every table read
    through, its rows counted and held against the rows expected."""

    result: CheckResult
    checked_at: dt.datetime
    detail: str  # what was checked, or what failed

    @property
    def passed(self) -> bool:
        return self.result == CheckResult.PASSED


def judge_counts(
    expected: dict[str, int], read: dict[str, int], how: str, problems: list[str]
) -> BackupCheck:
    """The check's verdict: `problems` found by the engine's own check, and every table's
    rows read back against the rows expected."""
    differences = [
        f"{name}: {expected.get(name, 'no table')} expected, {read.get(name, 'no table')} read"
        for name in sorted(set(expected) | set(read))
        if expected.get(name) != read.get(name)
    ]
    if problems or differences:
        found = "; ".join([*problems[:3], *differences[:5]])
        more = len(problems) + len(differences) - min(len(problems), 3) - min(len(differences), 5)
        return BackupCheck(
            CheckResult.FAILED,
            utcnow(),
            f"{how} failed: {found}{f' (and {more} more)' if more > 0 else ''}",
        )
    total = sum(read.values())
    return BackupCheck(
        CheckResult.PASSED,
        utcnow(),
        f"{how}: every one of the {len(read)} tables read back, {rows(total)}, as expected",
    )


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
    # The read-back check of the file, so a copied backup carries its own verdict. None in
    # manifests written before checks existed: such a backup was never checked.
    check_result: str | None = None
    checked_at: dt.datetime | None = None
    check_detail: str = ""

    def to_json(self) -> str:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["checked_at"] = self.checked_at.isoformat() if self.checked_at else None
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["created_at"] = dt.datetime.fromisoformat(data["created_at"])
            if data.get("checked_at"):
                data["checked_at"] = dt.datetime.fromisoformat(data["checked_at"])
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
    # Journalled erasures newer than the backup (registry.erasure_journal): re-applied, and
    # those that could not be because the schema predates the code.
    reapplied: int = 0
    not_reapplied: int = 0


def silent(_fraction: float, _message: str) -> None:
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


def write_private(path: Path, content: str) -> None:
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


def count_differences(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    return [
        f"{name}: {expected.get(name, 'no table')} in the backup, "
        f"{actual.get(name, 'no table')} restored"
        for name in sorted(set(expected) | set(actual))
        if expected.get(name) != actual.get(name)
    ]


def refuse_non_empty(counts: dict[str, int], safe: str, replace: bool) -> None:
    holding = {t: n for t, n in counts.items() if n and t not in MIGRATION_ROWS}
    if holding and not replace:
        biggest = sorted(holding.items(), key=lambda item: -item[1])[:3]
        listed = ", ".join(f"{t}: {rows(n)}" for t, n in biggest)
        raise RestoreRefused(
            f"The target database {safe} is not empty ({listed}"
            f"{', ...' if len(holding) > 3 else ''}). Restore into an empty database, or "
            f"replace its content on purpose (--replace). {UNTOUCHED}"
        )


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
