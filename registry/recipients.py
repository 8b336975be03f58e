"""The recipients register: dealers, subcontractors and processors, and whether each is fine.

A recipient's status is read from registry.transfers on the day asked: a third country
without a valid mechanism, Privacy Shield or old clauses relied on, the DPF claimed outside
the USA. The register is a few dozen rows, so it is read whole; the disclosure counts per
recipient are grouped in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import audit, deadlines, settings
from registry.auth import Actor, Permission, require
from registry.errors import NotFound, ValidationError
from registry.models import Disclosure, Recipient
from registry.transfers import (
    country_name,
    in_eea,
    is_country,
    mechanism_mismatch,
    transfer_problem,
)
from registry.vocabulary import RecipientKind, TransferMechanism

# The earliest agreement date accepted: the Data Protection Directive (95/46/EC).
EARLIEST_AGREEMENT = dt.date(1995, 10, 24)


@dataclass(frozen=True)
class RecipientInput:
    """What the add and edit forms send; text as typed, validated by `validate`."""

    name: str
    kind: str
    service: str
    country: str
    transfer_mechanism: str
    agreement_date: dt.date | None = None
    active: bool = True


@dataclass(frozen=True)
class RecipientRow:
    """One line of the register, with its status on the day asked."""

    id: int
    name: str
    kind: str
    service: str
    country: str
    country_name: str
    inside_eea: bool
    transfer_mechanism: str
    agreement_date: dt.date | None
    active: bool
    problem: str | None  # None: fine
    disclosures: int
    last_disclosed_at: dt.datetime | None

    @property
    def status(self) -> str:
        return self.problem or "fine"


def status_of(recipient: Recipient, on: dt.date) -> str | None:
    """The recipient's transfer problem on `on`, in words; None when it is fine."""
    return transfer_problem(
        recipient.country,
        recipient.transfer_mechanism,
        on,
        agreed_on=recipient.agreement_date,
    )


def _may_read(actor: Actor) -> None:
    # The disclosure log names recipients too; either permission may read the register.
    if not actor.may(Permission.VIEW_DISCLOSURES):
        require(actor, Permission.MANAGE_RECIPIENTS)


def register(
    session: Session, actor: Actor, on: dt.date | None = None, *, active_only: bool = False
) -> list[RecipientRow]:
    """Every recipient by name, with its status on `on` (default: today in Helsinki)."""
    _may_read(actor)
    on = on or deadlines.today()
    counts = (
        select(
            Disclosure.recipient_id,
            func.count().label("n"),
            func.max(Disclosure.disclosed_at).label("last"),
        )
        .group_by(Disclosure.recipient_id)
        .subquery()
    )
    query = (
        select(Recipient, counts.c.n, counts.c.last)
        .outerjoin(counts, counts.c.recipient_id == Recipient.id)
        .order_by(Recipient.name)
    )
    if active_only:
        query = query.where(Recipient.active)
    rows = []
    for r, n, last in session.execute(query):
        rows.append(
            RecipientRow(
                id=r.id,
                name=r.name,
                kind=r.kind,
                service=r.service,
                country=r.country,
                country_name=country_name(r.country),
                inside_eea=in_eea(r.country),
                transfer_mechanism=r.transfer_mechanism,
                agreement_date=r.agreement_date,
                active=r.active,
                problem=status_of(r, on),
                disclosures=n or 0,
                last_disclosed_at=last,
            )
        )
    return rows


def validate(
    session: Session, data: RecipientInput, recipient_id: int | None = None
) -> RecipientInput:
    """The input trimmed and normalised; raises ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    service = " ".join(data.service.split())
    country = data.country.strip().upper()
    if not name:
        errors["name"] = "Enter the recipient's name."
    elif len(name) > settings.MAX_SHORT_TEXT:
        errors["name"] = f"Use at most {settings.MAX_SHORT_TEXT} characters."
    else:
        clash = session.scalar(
            select(Recipient.id).where(
                func.lower(Recipient.name) == name.lower(),
                Recipient.id != (recipient_id or 0),
            )
        )
        if clash is not None:
            errors["name"] = f"A recipient named {name} is already in the register."
    if data.kind not in set(RecipientKind):
        errors["kind"] = "Choose dealer, subcontractor or processor."
    if not service:
        errors["service"] = "Say what service the recipient provides."
    elif len(service) > settings.MAX_SHORT_TEXT:
        errors["service"] = f"Use at most {settings.MAX_SHORT_TEXT} characters."
    if not is_country(country):
        errors["country"] = "Enter an ISO 3166 country code of two letters, such as FI or US."
    if data.transfer_mechanism not in set(TransferMechanism):
        errors["transfer_mechanism"] = "Choose a transfer mechanism from the list."
    elif "country" not in errors:
        if mismatch := mechanism_mismatch(country, data.transfer_mechanism):
            errors["transfer_mechanism"] = mismatch
    if data.agreement_date is not None:
        if data.agreement_date > deadlines.today():
            errors["agreement_date"] = "The agreement date cannot be in the future."
        elif data.agreement_date < EARLIEST_AGREEMENT:
            errors["agreement_date"] = "The agreement date is before data protection law existed."
    if errors:
        raise ValidationError(errors)
    return RecipientInput(
        name,
        data.kind,
        service,
        country,
        data.transfer_mechanism,
        data.agreement_date,
        data.active,
    )


def add_recipient(session: Session, actor: Actor, data: RecipientInput) -> Recipient:
    require(actor, Permission.MANAGE_RECIPIENTS)
    clean = validate(session, data)
    recipient = Recipient(**asdict(clean))
    session.add(recipient)
    session.flush()
    problem = status_of(recipient, deadlines.today())
    audit.record(
        session,
        actor,
        "recipient_added",
        "recipient",
        recipient.id,
        f"{clean.name} ({clean.country}, {clean.transfer_mechanism})"
        + (f"; {problem}" if problem else ""),
    )
    session.commit()
    return recipient


def update_recipient(
    session: Session, actor: Actor, recipient_id: int, data: RecipientInput
) -> Recipient:
    """Change a recipient; the audit event lists each changed field as old -> new."""
    require(actor, Permission.MANAGE_RECIPIENTS)
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound(f"Recipient {recipient_id} is not in the register.")
    clean = validate(session, data, recipient_id)
    changes = []
    for field, new in asdict(clean).items():
        old = getattr(recipient, field)
        if old != new:
            changes.append(f"{field}: {old} -> {new}")
            setattr(recipient, field, new)
    if not changes:
        return recipient
    audit.record(session, actor, "recipient_changed", "recipient", recipient.id, "; ".join(changes))
    session.commit()
    return recipient


def get(session: Session, actor: Actor, recipient_id: int) -> Recipient:
    _may_read(actor)
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound(f"Recipient {recipient_id} is not in the register.")
    return recipient
