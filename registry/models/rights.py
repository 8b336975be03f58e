"""What the rights leave behind: an erasure's suppression list, journal and Art. 19
follow-ups; a restriction and its Art. 19 notifications."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, UTCDateTime, utcnow


class Suppression(Base):
    """Who may not be re-added or re-granted (Art. 17, 21(3)): keyed hashes only.

    An HMAC of the normalised email and of the E.164 phone (registry.suppression), the
    reason and the date, and nothing else about the person.
    """

    __tablename__ = "suppression"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_hmac: Mapped[str | None] = mapped_column(String(64))
    phone_hmac: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(20))  # erasure or objection
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_suppression_email_hmac", "email_hmac"),
        Index("ix_suppression_phone_hmac", "phone_hmac"),
    )


class ErasureJournal(Base):
    """Each erasure done: ids and time, no personal data; re-applied after a restore."""

    __tablename__ = "erasure_journal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger)
    request_id: Mapped[int | None] = mapped_column(Integer)
    erased_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_erasure_journal_person_id", "person_id"),)


class ErasureFollowUp(Base):
    """Art. 19 after an erasure: a recipient that had received the person's data, to be told.

    Listed when the erasure runs (the per-person disclosure rows go with it)."""

    __tablename__ = "erasure_follow_up"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("erasure_journal.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id"))
    # 0 and None for a recipient whose scope covers the person (it holds everyone's data, or
    # a category or relationship of theirs) rather than per-disclosure rows.
    disclosures: Mapped[int] = mapped_column(Integer)
    last_disclosed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    data_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    notified_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    __table_args__ = (UniqueConstraint("journal_id", "recipient_id"),)


class Restriction(Base):
    """Art. 18: processing of a person's data restricted to storage, with its ground, who and
    since when; lifted (never deleted) with a reason, once the person was told (Art. 18(3))."""

    __tablename__ = "restriction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    ground: Mapped[str] = mapped_column(String(30))  # RestrictionGround
    reason: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("data_subject_request.id"))
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    restricted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    lift_reason: Mapped[str | None] = mapped_column(Text)
    # Art. 18(3): the person is told before the restriction is lifted: when and how.
    person_told_on: Mapped[dt.date | None] = mapped_column(Date)
    person_told_how: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_restriction_person_id", "person_id", "lifted_at"),)


class RestrictionNotification(Base):
    """Art. 19: a recipient told of a restriction of data it had received."""

    __tablename__ = "restriction_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    restriction_id: Mapped[int] = mapped_column(ForeignKey("restriction.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id"))
    notified_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    notified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("restriction_id", "recipient_id"),)
