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
    false,
    func,
    select,
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
    # Art. 14: when data on the person last came from a third party (an import from a source
    # that is not the person), and when the person was told of it and by whom.
    third_party_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    informed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    informed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # The import that added the person, if one did (issue 19).
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))

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
    # An imported order: the source it came from and that source's own id for it (issue 19).
    source: Mapped[str | None] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_customer_order_person_ordered_on", "person_id", "ordered_on"),
        Index("ix_customer_order_source_external_id", "source", "external_id", unique=True),
    )


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
    # An imported activity: the source it came from and that source's own id for it.
    source: Mapped[str | None] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_activity_person_kind", "person_id", "kind", "occurred_at"),
        Index("ix_activity_kind_occurred_at", "kind", "occurred_at"),
        Index("ix_activity_source_external_id", "source", "external_id", unique=True),
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


class ImportRun(Base):
    """One import of a file from one of the notice's regular sources (issue 19), with its counts.

    A completed run wrote its rows in the same transaction as this row; a refused or failed
    one wrote nothing of the file, and is recorded afterwards so the attempt is on record.
    """

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # ImportKind
    source: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(200))  # as detected, in words
    file_sha256: Mapped[str] = mapped_column(String(64))
    skip_invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))  # ImportStatus
    rows: Mapped[int] = mapped_column(Integer, default=0)
    new_rows: Mapped[int] = mapped_column(Integer, default=0)
    updated_rows: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_rows: Mapped[int] = mapped_column(Integer, default=0)
    rejected_rows: Mapped[int] = mapped_column(Integer, default=0)
    actor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    message: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_import_run_started_at", "started_at"),)
