"""The erasure journal (issue 14): erasures must survive a restore.

Each erasure is written, after its transaction commits, as one line of a JSON Lines file
outside the database (ids and time, no personal data): the environment variable
REGISTRY_ERASURE_JOURNAL names it, else data/erasure-journal.jsonl. Keep it beside the
backups, not on the database's disk. A restore (registry.backup.restoring) re-applies every
journalled erasure newer than the backup it restored, so that an erasure done after the
backup was made is not undone by it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from registry import audit, settings, suppression
from registry.models import Person

ENV_VAR = "REGISTRY_ERASURE_JOURNAL"


def journal_path() -> Path:
    return Path(os.environ.get(ENV_VAR) or settings.DATA_DIR / "erasure-journal.jsonl")


@dataclass(frozen=True)
class Entry:
    person_id: int
    request_id: int | None
    erased_at: dt.datetime


def write(entry: Entry, path: Path | None = None) -> None:
    """Append one erasure to the journal and flush it to disk."""
    write_many([entry], path)


def write_many(entries: list[Entry], path: Path | None = None) -> None:
    """Append erasures to the journal and flush them to disk once (a retention batch)."""
    if not entries:
        return
    path = path or journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(
        json.dumps(
            {
                "person_id": entry.person_id,
                "request_id": entry.request_id,
                "erased_at": entry.erased_at.astimezone(dt.UTC).isoformat(),
            }
        )
        + "\n"
        for entry in entries
    )
    with path.open("a", encoding="utf-8") as f:
        f.write(lines)
        f.flush()
        os.fsync(f.fileno())


def read(path: Path | None = None) -> list[Entry]:
    path = path or journal_path()
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            entries.append(
                Entry(
                    int(data["person_id"]),
                    data.get("request_id"),
                    dt.datetime.fromisoformat(data["erased_at"]),
                )
            )
    return entries


def reapply(engine: Engine, since: dt.datetime, path: Path | None = None) -> int:
    """Erase again, in one transaction, every journalled person erased after `since` whom
    the database still holds unerased; returns how many were re-applied."""
    from registry import erasure

    newer = [e for e in read(path) if e.erased_at > since]
    if not newer:
        return 0
    done = 0
    with Session(engine) as session:
        try:
            for entry in newer:
                erased_at = session.scalar(
                    select(Person.erased_at).where(Person.id == entry.person_id)
                )
                if erased_at is not None or session.get(Person, entry.person_id) is None:
                    continue  # erased already, or not in this backup at all
                erasure.apply(
                    session,
                    entry.person_id,
                    now=entry.erased_at,
                    secret=suppression.key(),
                    request_id=entry.request_id,
                )
                done += 1
            audit.record(
                session,
                None,
                "erasures_reapplied",
                "erasure_journal",
                None,
                f"{done} of {len(newer)} journalled erasures newer than {since.isoformat()} "
                "re-applied after a restore",
                actor_name="restore",
            )
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return done
