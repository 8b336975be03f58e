"""The data version: a number that every committed write moves.

Cached reads are keyed by it (views/widgets.py), so a write made through one app server is
seen by every other at its next script run, with no time-to-live needed for correctness
(issue 20). Every write records its audit event in its own transaction (registry/audit.py);
an event other than a mere view marks the session, and the version moves just before that
transaction commits, inside it. Moving it that late keeps PostgreSQL's lock on the one row
to the commit itself, so long writes (an import, a retention batch) do not queue others.
"""

from __future__ import annotations

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from registry.models import DataVersion

_CHANGED = "registry_data_changed"


def mark_changed(session: Session) -> None:
    """The session's transaction changes registry data: move the version when it commits."""
    session.info[_CHANGED] = True


def current(session: Session) -> int:
    """The version as committed now: one primary-key read."""
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0


@event.listens_for(Session, "before_commit")
def _move(session: Session) -> None:
    if not session.info.pop(_CHANGED, False):
        return
    moved = session.execute(
        update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1)
    )
    if moved.rowcount == 0:  # type: ignore[attr-defined]  # a schema made without migrations
        session.execute(insert(DataVersion).values(id=1, version=1))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)
