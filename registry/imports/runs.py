"""The import runs listed, newest first, and one run."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import settings
from registry.errors import NotFound
from registry.models import ImportRun
from registry.permissions import Actor, Permission, require

# --- the runs listed ---


@dataclass(frozen=True)
class RunRow:
    id: int
    kind: str
    source: str | None
    file_name: str
    file_format: str
    status: str
    rows: int
    new: int
    updated: int
    unchanged: int
    rejected: int
    actor_name: str
    started_at: object
    finished_at: object
    message: str


def recent_runs(
    session: Session, actor: Actor, *, limit: int = settings.IMPORT_RECENT_RUNS
) -> list[RunRow]:
    """The latest imports, newest first, with their counts."""
    require(actor, Permission.IMPORT_DATA)
    runs = session.scalars(
        select(ImportRun).order_by(ImportRun.started_at.desc(), ImportRun.id.desc()).limit(limit)
    )
    return [
        RunRow(
            r.id,
            r.kind,
            r.source,
            r.file_name,
            r.file_format,
            r.status,
            r.rows,
            r.new_rows,
            r.updated_rows,
            r.unchanged_rows,
            r.rejected_rows,
            r.actor_name,
            r.started_at,
            r.finished_at,
            r.message,
        )
        for r in runs
    ]


def run_count(session: Session, actor: Actor) -> int:
    require(actor, Permission.IMPORT_DATA)
    return session.scalar(select(func.count()).select_from(ImportRun)) or 0


def get_run(session: Session, actor: Actor, run_id: int) -> ImportRun:
    require(actor, Permission.IMPORT_DATA)
    run = session.get(ImportRun, run_id)
    if run is None:
        raise NotFound(f"No import with id {run_id}.")
    return run
