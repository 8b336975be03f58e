"""The retention schedule's runs, and the guard the audit trigger reads (issue 15)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, UTCDateTime, utcnow


class RetentionRun(Base):
    """One application of the retention schedule (registry.retention): who ran it, when, and
    what each rule erased or deleted. Its counts are written in each batch's transaction, so
    they say what was committed even when a later batch failed."""

    __tablename__ = "retention_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    actor_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # running, completed, failed
    persons_erased: Mapped[int] = mapped_column(Integer, default=0)
    rows_deleted: Mapped[int] = mapped_column(Integer, default=0)
    # rule key -> {"persons": n, "rows": n}
    counts: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_retention_run_started_at", "started_at"),)


class RetentionGuard(Base):
    """The one row the append-only audit trigger reads (migration 0014): audit events older
    than `audit_keep_days` may be deleted, no others. Written from the declared schedule by
    each retention run; never below a year."""

    __tablename__ = "retention_guard"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_keep_days: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("id = 1", name="one_row"),
        CheckConstraint("audit_keep_days >= 365", name="at_least_a_year"),
    )
