"""Applying the retention schedule (Art. 5(1)(e)): erase the persons due, delete the rows due.

Persons go through the erasure path an erasure request uses (registry.erasure.apply_many,
which registry.erasure.apply runs for one person), a batch at a time: each table is changed
by one statement over the batch's ids; the legal holds keep what the Accounting Act keeps,
the suppression list and the Art. 19 follow-ups are written, and each erasure is journalled
so a restore re-applies it. Rows are deleted by id. Each batch is one transaction with its
audit event and the run's counts; a batch that fails is rolled back whole, so no person is
left half-erased, and the run is recorded as failed with the reason. Run again at once, the
schedule finds nothing due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, desc, func, select, update
from sqlalchemy.orm import Session

from registry import (
    audit,
    erasure,
    erasure_journal,
    guards,
    retention,
    settings,
    suppression,
)
from registry.errors import RegistryError
from registry.models import (
    Activity,
    Person,
    PersonMetrics,
    ReportRedaction,
    RequestTransition,
    RetentionGuard,
    RetentionRun,
    SentDocument,
    utcnow,
)
from registry.notice import PERSON_RULES
from registry.permissions import Actor, Permission, require

# Persons per transaction: each table is changed by one statement over the batch's ids.
BATCH_PERSONS = 1_000
BATCH_ROWS = 5_000
Progress = Callable[[float, str], None]


class RetentionFailed(RegistryError):
    """A batch failed and was rolled back; the run says what was committed before it."""


@dataclass
class RunSummary:
    run_id: int
    persons_erased: int = 0
    rows_deleted: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    recipients_to_tell: int = 0


def _no_progress(fraction: float, message: str) -> None:
    return None


def _guard_days(c: retention.Clock, today: dt.date) -> int:
    # The days from the cutoff to today: every event older than the cutoff is older than
    # the guard's "now minus these days" too (the database's trigger checks it).
    return (today - c.cutoff).days


def _batch_done(
    session: Session, run: RetentionRun, summary: RunSummary, key: str, persons: int, rows: int
) -> None:
    counts = {k: dict(v) for k, v in (run.counts or {}).items()}
    entry = counts.setdefault(key, {"persons": 0, "rows": 0})
    entry["persons"] += persons
    entry["rows"] += rows
    run.counts = counts
    run.persons_erased += persons
    run.rows_deleted += rows
    summary.counts = counts
    summary.persons_erased = run.persons_erased
    summary.rows_deleted = run.rows_deleted


def apply(
    engine: Engine,
    actor: Actor,
    *,
    now: dt.datetime | None = None,
    progress: Progress = _no_progress,
    batch_persons: int = BATCH_PERSONS,
    batch_rows: int = BATCH_ROWS,
    max_persons: int | None = None,
    rules: Collection[str] | None = None,
) -> RunSummary:
    """Erase and delete everything the schedule has due; returns what was done.

    `max_persons` bounds the erasures of one run (a run that must end within a window) and
    `rules` limits it to some rules; the rest stays due for the next run.

    Raises RetentionFailed when a batch fails: that batch is rolled back, the earlier ones
    stay committed, and the run row records both."""
    require(actor, Permission.APPLY_RETENTION)
    now = now or utcnow()
    today = now.astimezone(settings.REGISTRY_TZ).date()
    secret = suppression.key()  # refused before anything is written when there is none
    with Session(engine) as session:
        due = retention.due_now(session, today, rules)  # the rules not run are not counted
        run = RetentionRun(
            started_at=now,
            actor_name=actor.username[:100],
            status="running",
            persons_erased=0,
            rows_deleted=0,
            counts={},
            message="",
        )
        session.add(run)
        session.commit()
        run_id = run.id
    total = sum(d.persons + d.rows for d in due) or 1
    summary = RunSummary(run_id)
    done = 0

    def batch(key: str, work: Callable[[Session, RetentionRun], tuple[int, int, str]]) -> int:
        """One transaction: the work, its audit event and the run's counts."""
        nonlocal done
        with Session(engine) as session:
            try:
                run = session.get(RetentionRun, run_id)
                assert run is not None
                persons, rows, detail = work(session, run)
                if persons or rows:
                    _batch_done(session, run, summary, key, persons, rows)
                    audit.record(session, actor, "retention_batch", "retention_run", run_id, detail)
                session.commit()
            except Exception as e:
                session.rollback()
                _failed(engine, actor, run_id, key, e)
                raise RetentionFailed(
                    f"The retention run stopped in rule {key}: {e}. That batch was rolled back "
                    f"(no person in it is erased); {summary.persons_erased} persons erased and "
                    f"{summary.rows_deleted} rows deleted before it stay so."
                ) from e
        done += persons + rows
        if persons or rows:
            progress(min(done / total, 0.99), f"{key}: {persons + rows:,} in this batch")
        return persons + rows

    erased: list[int] = []  # the persons of the batch being committed, for the journal

    def room() -> int:
        if max_persons is None:
            return batch_persons
        return max(0, min(batch_persons, max_persons - summary.persons_erased))

    for d in due:
        key, c = d.rule.key, d.clock
        if rules is not None and key not in rules:
            continue
        if key in PERSON_RULES:
            if not d.persons:
                continue

            after = [0]  # the last id of the batch before: the next batch starts after it

            def erase(
                session: Session,
                run: RetentionRun,
                c: Any = c,
                key: str = key,
                after: list[int] = after,
            ) -> Any:
                # Keyset paging: every due person up to the last batch's last id is erased
                # (or the run has stopped), so the search resumes after it, not from the start.
                ids = list(
                    session.scalars(
                        retention.due_persons(c).where(Person.id > after[0]).limit(room())
                    )
                )
                erased.clear()
                if not ids:
                    return 0, 0, ""
                applied = erasure.apply_many(
                    session, ids, now=now, secret=secret, actor_id=actor.user_id
                )
                recipients = sum(applied.recipients.values())
                summary.recipients_to_tell += recipients
                erased.extend(ids)
                after[0] = ids[-1]
                detail = (
                    f"rule {key} ({c.why}): {len(ids)} persons erased through the erasure "
                    f"path, ids {ids[0]}..{ids[-1]}; "
                    f"{recipients} recipients to tell (Art. 19)"
                )
                return len(ids), 0, detail

            while batch(key, erase):
                # Journalled once committed, as an erasure request's is, for a restore.
                erasure_journal.write_many(
                    [erasure_journal.Entry(person_id, None, now) for person_id in erased]
                )
        else:
            if not d.rows:
                continue

            def remove(session: Session, run: RetentionRun, c: Any = c, key: str = key) -> Any:
                table = retention.ROW_TABLES[key]
                if key == "audit_trail":
                    _set_guard(session, _guard_days(c, today))
                ids = list(session.scalars(retention.due_rows(c, table.id).limit(batch_rows)))
                if not ids:
                    return 0, 0, ""
                if key == "request_records":
                    for child in (RequestTransition, SentDocument, ReportRedaction):
                        session.execute(delete(child).where(child.request_id.in_(ids)))
                if key == "website_behaviour":
                    # The derived "last visit" must not outlive the visits it came from.
                    visitors = select(Activity.person_id).where(Activity.id.in_(ids))
                    session.execute(
                        update(PersonMetrics)
                        .where(
                            PersonMetrics.person_id.in_(visitors),
                            PersonMetrics.last_website_visit_at < c.since,
                        )
                        .values(last_website_visit_at=None)
                    )
                if key == "audit_trail":
                    # Through the owner's function: the application role may not DELETE.
                    guards.delete_audit_events(session, ids)
                else:
                    session.execute(delete(table).where(table.id.in_(ids)))
                return (
                    0,
                    len(ids),
                    f"rule {key} ({c.why}): {len(ids)} {table.__tablename__} rows deleted",
                )

            while batch(key, remove):
                pass

    with Session(engine) as session:
        finished = session.get(RetentionRun, run_id)
        assert finished is not None
        finished.status = "completed"
        finished.finished_at = utcnow()
        counts = ", ".join(
            f"{k} {v['persons'] or v['rows']}" for k, v in sorted(summary.counts.items())
        )
        audit.record(
            session,
            actor,
            "retention_applied",
            "retention_run",
            run_id,
            f"retention schedule applied: {summary.persons_erased} persons erased, "
            f"{summary.rows_deleted} rows deleted ({counts or 'nothing was due'}); "
            f"{summary.recipients_to_tell} recipients to tell (Art. 19)",
        )
        session.commit()
    progress(1.0, f"done: {summary.persons_erased:,} persons, {summary.rows_deleted:,} rows")
    return summary


def _set_guard(session: Session, days: int) -> None:
    guard = session.get(RetentionGuard, 1)
    if guard is None:
        session.add(RetentionGuard(id=1, audit_keep_days=days))
    else:
        guard.audit_keep_days = days
    session.flush()


def _failed(engine: Engine, actor: Actor, run_id: int, key: str, error: Exception) -> None:
    with Session(engine) as session:
        run = session.get(RetentionRun, run_id)
        if run is not None:
            run.status = "failed"
            run.finished_at = utcnow()
            run.message = f"rule {key}: {error}"[: settings.MAX_LONG_TEXT]
        audit.record(
            session,
            actor,
            "retention_failed",
            "retention_run",
            run_id,
            f"rule {key}: the batch was rolled back: {type(error).__name__}",
        )
        session.commit()


@dataclass(frozen=True)
class RunView:
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    actor_name: str
    status: str
    persons_erased: int
    rows_deleted: int
    counts: dict[str, dict[str, int]]
    message: str


def runs(session: Session, actor: Actor, limit: int, offset: int = 0) -> tuple[list[RunView], int]:
    """The retention runs, newest first, and how many there are."""
    require(actor, Permission.VIEW_RETENTION)
    total = session.scalar(select(func.count()).select_from(RetentionRun)) or 0
    rows = session.scalars(
        select(RetentionRun)
        .order_by(desc(RetentionRun.started_at), desc(RetentionRun.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        RunView(
            r.id,
            r.started_at,
            r.finished_at,
            r.actor_name,
            r.status,
            r.persons_erased,
            r.rows_deleted,
            dict(r.counts or {}),
            r.message,
        )
        for r in rows
    ], total
