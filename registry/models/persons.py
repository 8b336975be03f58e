"""The persons and organisations of the registry, their consent, orders, activity and the
metrics derived from them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

# Person has a column named "relationship" (how the person is connected), hence the alias.
from sqlalchemy.orm import relationship as orm_relationship

from registry.models.base import Base, BigId, UTCDateTime, utcnow


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
