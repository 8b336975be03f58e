"""The dashboard's accounts and their sign-in sessions, the audit trail, the data version
and the backups made."""

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
    # Unused since 0018_roles (the hard lock-out): sign_in_throttle counts failures instead.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SignInThrottle(Base):
    """Failed sign-ins per typed username or per client address (scope), counted whether or
    not an account has that name, and the time before which the next attempt is refused
    unchecked (registry.throttle)."""

    __tablename__ = "sign_in_throttle"

    scope: Mapped[str] = mapped_column(String(10), primary_key=True)  # username or client
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    wait_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


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


class SignInSession(Base):
    """A browser that stays signed in across reloads (registry/sign_in_sessions.py): the
    SHA-256 of the random token its cookie holds, never the token itself."""

    __tablename__ = "sign_in_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DataVersion(Base):
    """One row: a number that every committed write moves (registry/data_version.py), so
    that the caches of every app server see that their results are stale."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    version: Mapped[int] = mapped_column(BigInteger, default=0)


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
