"""Restoring a verified backup into an empty database (or one replaced on purpose), then
comparing the row counts with the manifest."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from registry import db, erasure_journal
from registry.backup import postgresql, sqlite
from registry.backup.files import (
    UNTOUCHED,
    BackupCheck,
    BackupOperation,
    CheckResult,
    Progress,
    RestoredBackup,
    RestoreFailed,
    RestoreRefused,
    count_differences,
    row_counts,
    silent,
    verify_backup,
)
from registry.backup.records import record_operation
from registry.models import utcnow
from registry.permissions import Actor, Permission, require


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
    engine, a target holding rows (unless `replace`). Failed, untouched: a backup that does
    not pass its read-back check (a damaged file whose checksum was taken after the damage).
    After restoring, the row counts are compared with the manifest; any difference raises
    RestoreFailed naming the tables.
    """
    require(actor, Permission.MANAGE_BACKUPS)
    report = progress or silent
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
    # The backup is read back before the target changes (issue 18): a damaged file whose
    # checksum was taken after the damage must fail here, with the target as it was.
    if engine_name == "postgresql":
        server_major = postgresql.check_target(target, manifest, replace)
        pg_restore, _ = postgresql.client_tool("pg_restore", server_major, RestoreRefused)
        report(0.12, "Reading the dump back before it touches the target")
        checked = postgresql.check_dump(pg_restore, file, manifest.row_counts)
        if not checked.passed:
            raise RestoreFailed(
                f"{file.name} did not pass its check ({checked.detail}). {UNTOUCHED}"
            )
        # --single-transaction: a failure inside pg_restore leaves the target as it was.
        postgresql.restore(pg_restore, file, target, manifest, report)
    else:
        path = sqlite.check_target(target, replace)
        report(0.15, "Restoring into a private copy beside the target")
        checked = sqlite.restore(file, path, manifest, report)
    report(0.85, "Comparing the row counts with the manifest")
    engine = db.make_engine(into_url)
    try:
        with engine.connect() as connection:
            restored = row_counts(connection)
        differences = count_differences(manifest.row_counts, restored)
        source = (
            f"{file.name} (made {manifest.created_at:%Y-%m-%d %H:%M} UTC by {manifest.made_by})"
        )
        if differences:
            reason = f"Row counts differ after restoring {source}: " + "; ".join(differences)
            record_operation(
                engine,
                actor,
                BackupOperation.RESTORE,
                started,
                file,
                manifest=manifest,
                check=BackupCheck(CheckResult.FAILED, utcnow(), reason),
                counts=restored,
                reason=reason,
            )
            raise RestoreFailed(reason)
        report(0.95, "Recording the restore")
        backup_id = record_operation(
            engine,
            actor,
            BackupOperation.RESTORE,
            started,
            file,
            manifest=manifest,
            check=BackupCheck(
                CheckResult.PASSED,
                utcnow(),
                f"{checked.detail}; after the restore the row counts of all "
                f"{len(restored)} tables match the manifest",
            ),
            counts=restored,
            detail=f"Restored {source}; checked before it replaced the target, and the row "
            f"counts of all {len(restored)} tables match.",
            note=f"From {source}; checked, row counts verified.",
        )
        current = db.schema_is_current(engine)
        # Erasures made after the backup must not come back with it (Art. 17).
        reapplied = pending = 0
        if current:
            report(0.97, "Re-applying the journalled erasures newer than the backup")
            reapplied = erasure_journal.reapply(engine, manifest.created_at)
        else:
            pending = sum(1 for e in erasure_journal.read() if e.erased_at > manifest.created_at)
    finally:
        engine.dispose()
    report(1.0, "Restored and checked")
    return RestoredBackup(backup_id, manifest, safe, current, reapplied, pending)
