"""The registry's tables as SQLAlchemy 2 typed models.

Every table comes from a sentence of the privacy notice; see DESIGN.md "Data model".
Timestamps are stored in UTC and come back timezone-aware on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Person has a column named "relationship" (how the person is connected), hence the alias.
from sqlalchemy.orm import relationship as orm_relationship

# Big tables get BIGINT keys on PostgreSQL; SQLite needs plain INTEGER for rowid aliasing.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC; naive input is refused so no local time slips in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the registry stores timezone-aware timestamps")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Organisation(Base):
    """Current and past customer organisations, dealers and partners."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    business_id: Mapped[str] = mapped_column(String(20), unique=True)  # Finnish Y-tunnus
    kind: Mapped[str] = mapped_column(String(20), default="customer")
    industry: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    city: Mapped[str] = mapped_column(String(100))
    customer_since: Mapped[dt.date | None] = mapped_column(Date)
    customer_until: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_organisation_industry", "industry"),)


class Person(Base):
    """The data subject."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    street_address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(12))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="FI")
    latitude: Mapped[float | None] = mapped_column(Float)  # only where the app gave it
    longitude: Mapped[float | None] = mapped_column(Float)
    position: Mapped[str | None] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    gender: Mapped[str | None] = mapped_column(String(20))
    username: Mapped[str | None] = mapped_column(String(100), unique=True)
    # Never a password, never shown: reported as "stored as a one-way hash".
    password_hash: Mapped[str | None] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic concurrency for amendments (issue 7).
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped[Organisation | None] = orm_relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read by SQLAlchemy
    __table_args__ = (
        # Prefix search by email / name / username; text_pattern_ops lets LIKE 'x%' use them.
        Index(
            "ix_person_email_lower",
            func.lower(email),
            postgresql_ops={"lower_1": "text_pattern_ops"},
        ),
        Index(
            "ix_person_last_name_lower",
            func.lower(last_name),
            postgresql_ops={"lower_1": "text_pattern_ops"},
        ),
        Index(
            "ix_person_first_name_lower",
            func.lower(first_name),
            postgresql_ops={"lower_1": "text_pattern_ops"},
        ),
        Index("ix_person_organisation_id", "organisation_id"),
        Index("ix_person_country_city", "country", "city"),
        Index("ix_person_relationship", "relationship"),
        Index("ix_person_phone", "phone"),
        Index("ix_person_created_at", "created_at"),
        # Prefix search by username and phone on PostgreSQL (revision 0003); SQLite's LIKE
        # cannot use such an index, so it has none.
        Index(
            "ix_person_username_pattern",
            "username",
            postgresql_ops={"username": "text_pattern_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_person_phone_pattern",
            "phone",
            postgresql_ops={"phone": "text_pattern_ops"},
        ).ddl_if(dialect="postgresql"),
    )


class ConsentEvent(Base):
    """Append-only: a grant, withdrawal or objection, with how and the evidence (Art. 7(1))."""

    __tablename__ = "consent_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    purpose: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(30))
    evidence: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_consent_event_person_purpose", "person_id", "purpose", "occurred_at"),
        Index("ix_consent_event_occurred_at", "occurred_at"),
    )


class ConsentState(Base):
    """The current status per person and purpose: the winning event, kept in step with it.

    Written in the same transaction as every consent event, so counts never scan the history.
    """

    __tablename__ = "consent_state"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[int] = mapped_column(ForeignKey("consent_event.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    has_evidence: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (Index("ix_consent_state_purpose_status", "purpose", "status", "person_id"),)


class Order(Base):
    """Billing: what a person's organisation bought, through that person."""

    __tablename__ = "customer_order"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    ordered_on: Mapped[dt.date] = mapped_column(Date)
    product: Mapped[str] = mapped_column(String(100))
    amount_eur: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(20))  # paid, invoiced, in_recovery

    __table_args__ = (Index("ix_customer_order_person_ordered_on", "person_id", "ordered_on"),)


class Activity(Base):
    """Website visits, newsletter opens and clicks, events, customer-service contacts, app use."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(String(200))
    # Where the app gave a location with the event.
    city: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_activity_person_kind", "person_id", "kind", "occurred_at"),
        Index("ix_activity_kind_occurred_at", "kind", "occurred_at"),
    )


class PersonMetrics(Base):
    """Per-person order and engagement figures that segments filter on.

    Derived from orders and activities by registry.metrics.refresh_metrics, so that a
    segment count over a million persons reads one narrow table instead of aggregating.
    """

    __tablename__ = "person_metrics"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    order_total_eur: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    first_order_on: Mapped[dt.date | None] = mapped_column(Date)
    last_order_on: Mapped[dt.date | None] = mapped_column(Date)
    last_website_visit_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_newsletter_open_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_event_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_app_use_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


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


class Segment(Base):
    """A saved segment definition: a list of (field, operator, value) filters as JSON."""

    __tablename__ = "segment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[AppUser] = orm_relationship(lazy="joined")


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


class RecipientNotification(Base):
    """Art. 19: a recipient told of a rectification of data it had received."""

    __tablename__ = "recipient_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amendment_id: Mapped[int] = mapped_column(ForeignKey("amendment.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id"))
    notified_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    notified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("amendment_id", "recipient_id"),)


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

    recipient: Mapped[Recipient] = orm_relationship(lazy="joined")

    __table_args__ = (
        Index("ix_disclosure_disclosed_at", "disclosed_at"),
        Index("ix_disclosure_recipient_id", "recipient_id", "disclosed_at"),
    )


class DisclosedPerson(Base):
    """Per-person rows of a disclosure, so an access report can name the recipients."""

    __tablename__ = "disclosed_person"

    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosure.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)

    __table_args__ = (Index("ix_disclosed_person_person_id", "person_id"),)


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
