"""The `backup` table: each backup and restore recorded with its audit event, and what the
Backups page reads (the overview and a download)."""

from __future__ import annotations

import datetime as dt
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from registry import audit, db, settings
from registry.auth import current_actor
from registry.backup.files import (
    BackupCheck,
    BackupOperation,
    BackupResult,
    CheckResult,
    Manifest,
    checksum_path,
    file_digest,
    human_size,
    manifest_path,
)
from registry.errors import NotFound, PermissionDenied, RegistryError
from registry.models import AppUser, Backup, utcnow
from registry.permissions import Actor, Permission, require


def record_operation(
    engine: Engine,
    actor: Actor,
    operation: BackupOperation,
    started: dt.datetime,
    path: Path,
    *,
    manifest: Manifest | None = None,
    check: BackupCheck | None = None,
    counts: dict[str, int] | None = None,
    reason: str = "",
    detail: str = "",
    note: str = "",
) -> int:
    """The `backup` row and its audit event, in one transaction. No manifest: it failed.
    No check: the copy was never read back, and the row says so (check_result NULL).

    The row's message is the failure, or a note the row's other columns do not already say.
    """
    require(actor, Permission.MANAGE_BACKUPS)
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
            check_result=check.result if check else None,
            checked_at=check.checked_at if check else None,
            check_detail=check.detail[: settings.MAX_LONG_TEXT] if check else "",
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
    check_result: str | None  # passed, failed, or None: never read back
    checked_at: dt.datetime | None
    check_detail: str
    download_problem: str | None  # why it cannot be downloaded here; None if it can

    @property
    def file_name(self) -> str:
        return Path(self.file_path).name

    @property
    def checked(self) -> bool:
        """Called checked only where the read-back check passed."""
        return self.check_result == CheckResult.PASSED

    @property
    def check_label(self) -> str:
        return check_label(self.check_result)

    @property
    def download_name(self) -> str:
        """A file that did not pass its check says so in its own name."""
        if self.checked:
            return f"{self.file_name}.tar"
        marker = "CHECK-FAILED" if self.check_result == CheckResult.FAILED else "NOT-CHECKED"
        return f"{self.file_name}.{marker}.tar"


def check_label(check_result: str | None) -> str:
    if check_result == CheckResult.PASSED:
        return "Checked"
    if check_result == CheckResult.FAILED:
        return "Check failed"
    return "Not checked"


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
        check_result=row.check_result,
        checked_at=row.checked_at,
        check_detail=row.check_detail or "",
        download_problem=_download_problem(row),
    )


def _download_problem(row: Backup) -> str | None:
    """Why a row's file cannot be downloaded. A file whose check failed can be, marked as
    such: it may be the only copy of a damaged database there is."""
    written = row.result == BackupResult.SUCCEEDED or row.check_result == CheckResult.FAILED
    if row.operation != BackupOperation.BACKUP or not written:
        return "only a backup whose file was written can be downloaded"
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
        session,
        actor,
        "backup_downloaded",
        "backup",
        row.id,
        f"{path.name} ({human_size(size)}; {check_label(row.check_result).lower()})",
    )
    session.commit()
    return bundle.getvalue()
