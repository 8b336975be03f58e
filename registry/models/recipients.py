"""Recipients, the notifications sent to them (Art. 19) and the disclosures made to them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

# Person has a column named "relationship" (how the person is connected), hence the alias.
from sqlalchemy.orm import relationship as orm_relationship

from registry.models.base import Base, UTCDateTime, utcnow


def _default_role(context: Any) -> str:
    # A recipient added without a role: dealers resell for themselves, the others serve us.
    return "controller" if context.get_current_parameters().get("kind") == "dealer" else "processor"


class Recipient(Base):
    """Dealers, subcontractors and processors that receive registry data."""

    __tablename__ = "recipient"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    service: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    transfer_mechanism: Mapped[str] = mapped_column(String(30))
    agreement_date: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Processor (Art. 28) or independent controller; dealers act for themselves.
    role: Mapped[str] = mapped_column(String(20), default=_default_role, server_default="processor")
    # Whose data it holds (registry.recipients.recipients_covering): all persons, persons
    # with data in some categories or with some relationships, or per disclosure.
    scope: Mapped[str] = mapped_column(
        String(20), default="per_disclosure", server_default="per_disclosure"
    )
    scope_categories: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    scope_relationships: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    # The marketing messages a processor's service delivers (vocabulary.DeliveryService):
    # the only target lists it may receive. NULL: none.
    delivers: Mapped[str | None] = mapped_column(String(20))
    # What each safeguard needs on record (registry.transfers.safeguard_problem): the day a
    # DPF recipient's certification was last checked on the DPF list, the transfer impact
    # assessment of an SCC transfer (C-311/18), the approval of binding corporate rules
    # (Art. 47(1)). NULL: not recorded.
    dpf_checked_on: Mapped[dt.date | None] = mapped_column(Date)
    tia_on: Mapped[dt.date | None] = mapped_column(Date)
    bcr_reference: Mapped[str | None] = mapped_column(String(200))


class RecipientNotification(Base):
    """Art. 19: a recipient told of a rectification of data it had received."""

    __tablename__ = "recipient_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amendment_id: Mapped[int] = mapped_column(ForeignKey("amendment.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id"))
    notified_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    notified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("amendment_id", "recipient_id"),)


def _recipient_value(context: Any, column: str) -> Any:
    """The disclosure's recipient's `column` as the register holds it at the insert."""
    recipient_id = context.get_current_parameters().get("recipient_id")
    if recipient_id is None:
        return None
    table = Recipient.__table__
    return context.connection.scalar(select(table.c[column]).where(table.c.id == recipient_id))


class Disclosure(Base):
    """What went to which recipient, when, why, which data categories, by whom."""

    __tablename__ = "disclosure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id"))
    disclosed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    purpose: Mapped[str] = mapped_column(String(200))
    data_categories: Mapped[list[str]] = mapped_column(JSON)
    legal_basis: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segment.id", ondelete="SET NULL"))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    person_count: Mapped[int] = mapped_column(Integer, default=0)  # fixed at recording time
    # The transfer basis the disclosure relied on when made (Art. 15(2)), not the register's
    # value of today. Written by add_disclosure; any other insert takes the register's value
    # at that moment. NULL: not recorded. basis_from_register: copied from the register when
    # the columns were added (revision 0007), so not known to be the basis at the time.
    transfer_mechanism: Mapped[str | None] = mapped_column(
        String(30), default=lambda ctx: _recipient_value(ctx, "transfer_mechanism")
    )
    agreement_date: Mapped[dt.date | None] = mapped_column(
        Date, default=lambda ctx: _recipient_value(ctx, "agreement_date")
    )
    basis_from_register: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # The prepared target list this disclosure wrote (a random token made when the list was
    # checked): unique, so downloading the same list twice cannot record it twice.
    export_token: Mapped[str | None] = mapped_column(String(64))
    # The person fields the disclosure sent (amendments.FIELD_LABELS' names), so an Art. 19
    # follow-up names only recipients that received a changed field. NULL: not recorded
    # (disclosures before revision 0019_transfers), read as every field sent.
    fields: Mapped[list[str] | None] = mapped_column(JSON)

    recipient: Mapped[Recipient] = orm_relationship(lazy="joined")

    __table_args__ = (
        Index("ix_disclosure_disclosed_at", "disclosed_at"),
        Index("ix_disclosure_recipient_id", "recipient_id", "disclosed_at"),
        Index("ix_disclosure_export_token", "export_token", unique=True),
    )


class DisclosedPerson(Base):
    """Per-person rows of a disclosure, so an access report can name the recipients."""

    __tablename__ = "disclosed_person"

    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosure.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    # The basis a target list relied on for this person (vocabulary.MarketingBasis); NULL on
    # disclosures recorded by hand and on rows from before the basis was kept per person.
    basis: Mapped[str | None] = mapped_column(String(30))

    __table_args__ = (Index("ix_disclosed_person_person_id", "person_id"),)
