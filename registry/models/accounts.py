"""The dashboard's accounts, the audit trail and the backups made."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

# Person has a column named "relationship" (how the person is connected), hence the alias.
from registry.models.base import Base, BigId, UTCDateTime, utcnow


class AppUser(Base):
    """Who may sign in to the dashboard, and with which role."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # for OpenID Connect
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2id
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Append-only: who did what, on which record, when. UPDATE and DELETE are refused."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    record_type: Mapped[str | None] = mapped_column(String(50))
    record_id: Mapped[str | None] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_actor_at", "actor_name", "at"),
        Index("ix_audit_event_action_at", "action", "at"),
        Index("ix_audit_event_record", "record_type", "record_id"),
    )


class Backup(Base):
    """A backup made or restored, with its checksum and row counts (issue 10)."""

    __tablename__ = "backup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation: Mapped[str] = mapped_column(String(10))  # backup or restore
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    actor_name: Mapped[str] = mapped_column(String(100))
    file_path: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    row_counts: Mapped[dict[str, int] | None] = mapped_column(JSON)
    result: Mapped[str] = mapped_column(String(20))  # succeeded, failed, running
    message: Mapped[str] = mapped_column(Text, default="")
    # The read-back check of the copy (issue 18): passed, failed, or NULL where none was made
    # (rows from before checks existed). A backup is called good only when it passed.
    check_result: Mapped[str | None] = mapped_column(String(10))
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    check_detail: Mapped[str] = mapped_column(Text, default="", server_default="")
