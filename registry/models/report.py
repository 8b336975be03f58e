"""The access report's redactions and the documents sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

# Person has a column named "relationship" (how the person is connected), hence the alias.
from registry.models.base import Base, UTCDateTime, utcnow


class ReportRedaction(Base):
    """A passage withheld from an access report to protect others (Art. 15(4)).

    Names the field of the record it is taken from; withdrawn, not deleted, when undone.
    """

    __tablename__ = "report_redaction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_subject_request.id"))
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[str] = mapped_column(String(50))
    field: Mapped[str] = mapped_column(String(30))
    passage: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    redacted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    redacted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_report_redaction_request_id", "request_id"),)


class SentDocument(Base):
    """What was sent on a request, kept exactly: a letter's HTML and the report's JSON."""

    __tablename__ = "sent_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_subject_request.id"))
    kind: Mapped[str] = mapped_column(String(30))  # access_report, extension, refusal
    language: Mapped[str] = mapped_column(String(2))
    html: Mapped[str] = mapped_column(Text)
    html_sha256: Mapped[str] = mapped_column(String(64))
    json: Mapped[str | None] = mapped_column(Text)
    json_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_sent_document_request_id", "request_id", "created_at"),)
