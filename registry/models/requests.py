"""Data-subject requests, their transitions, and amendments (Art. 16)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

# Person has a column named "relationship" (how the person is connected), hence the alias.
from sqlalchemy.orm import relationship as orm_relationship

from registry.models.accounts import AppUser
from registry.models.base import Base, BigId, UTCDateTime, utcnow
from registry.models.persons import Person


class DataSubjectRequest(Base):
    """An access, rectification, objection, erasure or restriction request, received in writing."""

    __tablename__ = "data_subject_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    received_on: Mapped[dt.date] = mapped_column(Date)  # the receipt date in Europe/Helsinki
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_contact: Mapped[str] = mapped_column(String(254))
    details: Mapped[str] = mapped_column(Text, default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    status: Mapped[str] = mapped_column(String(20), default="received")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    identity_method: Mapped[str | None] = mapped_column(String(100))
    identity_note: Mapped[str | None] = mapped_column(Text)
    identity_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    report_generated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The language of every letter on the request: fi, sv or en (registry.report.language).
    reply_language: Mapped[str] = mapped_column(String(2), default="fi", server_default="fi")
    # Art. 12(3): when and how the person was told of the extension and its reasons.
    extension_told_on: Mapped[dt.date | None] = mapped_column(Date)
    extension_told_channel: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person | None] = orm_relationship(lazy="joined")
    assignee: Mapped[AppUser | None] = orm_relationship(foreign_keys=[assignee_id], lazy="joined")

    __table_args__ = (
        Index("ix_data_subject_request_status_due_on", "status", "due_on"),
        Index("ix_data_subject_request_person_id", "person_id"),
    )


class RequestTransition(Base):
    """Append-only history of a request's workflow: who did what, when."""

    __tablename__ = "request_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_subject_request.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_request_transition_request_id", "request_id"),)


class Amendment(Base):
    """Append-only rectification of one field (Art. 16): the old value is kept."""

    __tablename__ = "amendment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    field: Mapped[str] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("data_subject_request.id"))
    amended_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    amended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_amendment_person_id", "person_id", "amended_at"),)
