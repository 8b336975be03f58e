"""Personal data breaches and their history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

# Person has a column named "relationship" (how the person is connected), hence the alias.
from registry.models.base import Base, UTCDateTime, utcnow


class Breach(Base):
    """A personal data breach (Art. 33(5): every breach is documented, notified or not).

    Changed only through registry.breaches, each change with a row in breach_change;
    the database refuses DELETE (migration 0008).
    """

    __tablename__ = "breach"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    summary: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # When it was contained; None while it goes on or its end is not known.
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Art. 33(1): the 72 hours run from here.
    aware_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(30))
    source_recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipient.id"))
    source_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # A recorded list (disclosure) that was on the lost device or in the internal system.
    source_disclosure_id: Mapped[int | None] = mapped_column(ForeignKey("disclosure.id"))
    source_detail: Mapped[str] = mapped_column(String(200), default="")
    data_categories: Mapped[list[str]] = mapped_column(JSON)
    relationships: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: all
    consequences: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    risk: Mapped[str | None] = mapped_column(String(20))  # None: not assessed yet
    risk_reasoning: Mapped[str] = mapped_column(Text, default="")
    authority_decision: Mapped[str | None] = mapped_column(String(20))
    authority_notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    authority_reference: Mapped[str] = mapped_column(String(100), default="")
    authority_reason: Mapped[str] = mapped_column(Text, default="")
    delay_reasons: Mapped[str] = mapped_column(Text, default="")
    persons_decision: Mapped[str | None] = mapped_column(String(20))
    persons_told_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    persons_how: Mapped[str] = mapped_column(String(200), default="")
    persons_exemption: Mapped[str | None] = mapped_column(String(20))
    persons_reason: Mapped[str] = mapped_column(Text, default="")
    # The last count of who was affected, and when it was made (registry.breach_persons).
    affected_persons: Mapped[int | None] = mapped_column(Integer)
    affected_records: Mapped[int | None] = mapped_column(Integer)
    affected_counted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read by SQLAlchemy
    __table_args__ = (Index("ix_breach_aware_at", "aware_at"),)


class BreachChange(Base):
    """Append-only: who recorded or changed a breach, when, and each field as old -> new."""

    __tablename__ = "breach_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))
    # {field: [old, new]} as text; empty for an action without field changes.
    changes: Mapped[dict[str, list[str | None]]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_breach_change_breach_id", "breach_id", "at"),)
