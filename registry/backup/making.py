"""Making a backup: a file with its checksum and manifest under a name no other backup
takes, every attempt recorded, failed ones too."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from registry.backup import postgresql, sqlite
from registry.backup.files import (
    SUFFIXES,
    BackupFailed,
    BackupOperation,
    MadeBackup,
    Manifest,
    Progress,
    backup_path,
    checksum_path,
    file_digest,
    human_size,
    manifest_path,
    rows,
    silent,
    write_private,
)
from registry.backup.records import record_operation
from registry.models import utcnow
from registry.permissions import Actor, Permission, require


def make_backup(
    engine: Engine, actor: Actor, out: Path, *, progress: Progress | None = None
) -> MadeBackup:
    """Back up the database behind `engine` into `out` (a directory or a file name).

    Every attempt is recorded in the database backed up: a `backup` row and an audit event,
    failed attempts too, so a missing nightly backup shows on the Backups page.
    """
    require(actor, Permission.MANAGE_BACKUPS)
    report = progress or silent
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
            counts, revision, tool = postgresql.dump(engine, partial, report)
        else:
            counts, revision, tool = sqlite.copy(engine, partial, report)
        if not counts:
            raise BackupFailed("The database holds no tables: there is nothing to back up.")
        # The copy is read back before it is called good (issue 18): a copy of a damaged
        # database, or one damaged on its way to the disk, must not pass as a backup.
        report(0.8, "Reading the copy back to check it")
        if engine_name == "postgresql":
            checked = postgresql.check_backup(engine, partial, counts)
        else:
            checked = sqlite.check(partial, counts)
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
            check_result=checked.result,
            checked_at=checked.checked_at,
            check_detail=checked.detail,
        )
        for companion, content in (
            (checksum_path(path), f"{digest}  {path.name}\n"),
            (manifest_path(path), manifest.to_json()),
        ):
            write_private(companion, content)
            finished.append(companion)
    except Exception as e:  # whatever failed, the attempt is recorded before it is reported
        for leftover in [partial, *finished]:
            if leftover is not None and leftover.is_file():
                leftover.unlink()
        # A database error's own words, without SQLAlchemy's wrapping and link.
        reason = str(getattr(e, "orig", None) or e).strip() or type(e).__name__
        try:
            record_operation(engine, actor, BackupOperation.BACKUP, started, path, reason=reason)
        except SQLAlchemyError as recording:
            reason += f" (the failure could not be recorded either: {type(recording).__name__})"
        raise BackupFailed(f"The backup failed: {reason}") from e
    total = sum(counts.values())
    if not checked.passed:
        # Kept, with its checksum and manifest, for whoever investigates: it may be the only
        # copy there is. It is recorded and reported as failed, never as a backup.
        reason = (
            f"The copy failed its check ({checked.detail}). {path.name} is kept for "
            "inspection but is not a good backup: check the database itself "
            "(PRAGMA integrity_check on SQLite, the server log on PostgreSQL)."
        )
        record_operation(
            engine,
            actor,
            BackupOperation.BACKUP,
            started,
            path,
            manifest=manifest,
            check=checked,
            reason=reason,
        )
        raise BackupFailed(f"The backup failed: {reason}")
    report(0.95, "Recording the backup")
    backup_id = record_operation(
        engine,
        actor,
        BackupOperation.BACKUP,
        started,
        path,
        manifest=manifest,
        check=checked,
        detail=f"{path.name}: {human_size(size)}, {rows(total)} in {len(counts)} tables; "
        f"checked: {checked.detail}",
    )
    report(1.0, f"Backup made and checked: {path.name}")
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
