"""The recipients register: dealers, subcontractors and processors, and whether each is fine.

A recipient's status is read from registry.transfers on the day asked: a third country
without a valid mechanism, Privacy Shield or old clauses relied on, the DPF claimed outside
the USA. The register is a few dozen rows, so it is read whole; the disclosure counts per
recipient are grouped in SQL.

Each recipient also has a role (processor under an Art. 28 agreement, or independent
controller) and a scope: whose data it holds. `recipients_covering` reads the scope for one
person, so that an access report names a hosting processor that holds everyone's data
although no disclosure row names it (Art. 4(9), Art. 15(1)(c), CJEU C-154/21).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import ColumnElement, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from registry import audit, deadlines, settings, validation
from registry.errors import NotFound, ValidationError
from registry.models import Activity, ConsentEvent, Disclosure, Order, Person, Recipient
from registry.permissions import Actor, Permission, require
from registry.recipient_safeguards import EARLIEST_AGREEMENT, checked_safeguard
from registry.transfers import (
    country_name,
    in_eea,
    is_country,
    mechanism_mismatch,
    recurring_derogation,
    safeguard_problem,
    transfer_problem,
)
from registry.vocabulary import (
    ActivityKind,
    DataCategory,
    DeliveryService,
    RecipientKind,
    RecipientRole,
    RecipientScope,
    Relationship,
    TransferMechanism,
)

# What a scope by categories may name: the notice's four data categories, and the kinds of
# activity within "transactions" where a recipient receives only one kind (website analytics
# receives website visits, not newsletter opens).
SCOPE_CATEGORY_LABELS: dict[str, str] = {
    DataCategory.BASIC: "Basic information (every person)",
    DataCategory.CUSTOMER_RELATIONSHIP: "Customer relationship (orders, permits, contacts)",
    DataCategory.SERVICE_USER: "Service user data",
    DataCategory.TRANSACTIONS: "Transaction and behaviour data (any activity)",
    ActivityKind.WEBSITE_VISIT: "Website visits",
    ActivityKind.NEWSLETTER_OPEN: "Newsletter opens",
    ActivityKind.NEWSLETTER_CLICK: "Newsletter clicks",
    ActivityKind.EVENT_PARTICIPATION: "Event participation",
    ActivityKind.CUSTOMER_SERVICE_CONTACT: "Customer service contacts",
    ActivityKind.APP_USE: "App use",
}
RELATIONSHIP_LABELS: dict[str, str] = {
    Relationship.CUSTOMER_CONTACT: "Customer contacts",
    Relationship.SERVICE_USER: "Service users",
    Relationship.OTHER_CONNECTION: "Other connections",
    Relationship.MARKETING_OPT_IN: "Marketing opt-ins",
}


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
    role: str | None = None  # None: by kind (dealers are controllers, the others processors)
    scope: str = RecipientScope.PER_DISCLOSURE
    scope_categories: tuple[str, ...] = ()
    scope_relationships: tuple[str, ...] = ()
    # The marketing messages a processor's service delivers (the only target lists it may
    # receive); None: none.
    delivers: str | None = None
    # What the safeguard needs on record (registry.transfers.safeguard_problem).
    dpf_checked_on: dt.date | None = None
    tia_on: dt.date | None = None
    bcr_reference: str | None = None


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
    role: str = RecipientRole.PROCESSOR
    scope: str = RecipientScope.PER_DISCLOSURE
    scope_categories: tuple[str, ...] = ()
    scope_relationships: tuple[str, ...] = ()
    delivers: str | None = None
    dpf_checked_on: dt.date | None = None
    tia_on: dt.date | None = None
    bcr_reference: str | None = None

    @property
    def status(self) -> str:
        return self.problem or "fine"


def status_of(recipient: Recipient, on: dt.date, disclosures: int = 0) -> str | None:
    """The recipient's transfer problem on `on`, in words; None when it is fine: the
    mechanism's validity, then what its safeguard lacks on record, then an Art. 49
    derogation relied on for `disclosures` (the recipient's count) more than once."""
    return (
        transfer_problem(
            recipient.country,
            recipient.transfer_mechanism,
            on,
            agreed_on=recipient.agreement_date,
        )
        or safeguard_problem(
            recipient.country,
            recipient.transfer_mechanism,
            on,
            dpf_checked_on=recipient.dpf_checked_on,
            tia_on=recipient.tia_on,
            bcr_reference=recipient.bcr_reference,
        )
        or recurring_derogation(recipient.country, recipient.transfer_mechanism, disclosures)
    )


def disclosure_counts(session: Session) -> dict[int, int]:
    """recipient id -> how many disclosures it has had (grouped in SQL)."""
    rows = session.execute(
        select(Disclosure.recipient_id, func.count()).group_by(Disclosure.recipient_id)
    )
    return {recipient_id: int(n) for recipient_id, n in rows}


def derogation_refusal(session: Session, recipient: Recipient) -> str | None:
    """Why a new disclosure to the recipient may not rest on an Art. 49 derogation: one
    to it was recorded already, so a further one would make the transfers recurring
    (Art. 49(1), EDPB Guidelines 2/2018). None when the derogation is not relied on or
    nothing was disclosed to it yet."""
    derogation = recipient.transfer_mechanism == TransferMechanism.ART49_DEROGATION
    if in_eea(recipient.country) or not derogation:
        return None
    earlier = session.scalar(
        select(func.count()).select_from(Disclosure).where(Disclosure.recipient_id == recipient.id)
    )
    if not earlier:
        return None
    return (
        f"{recipient.name} received data on an Art. 49 derogation already ({earlier} "
        "disclosure(s)); a derogation covers only an occasional transfer, not recurring ones "
        "(EDPB Guidelines 2/2018): agree SCCs or another Art. 46 safeguard first"
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
                problem=status_of(r, on, n or 0),
                disclosures=n or 0,
                last_disclosed_at=last,
                role=r.role,
                scope=r.scope,
                scope_categories=tuple(r.scope_categories or ()),
                scope_relationships=tuple(r.scope_relationships or ()),
                delivers=r.delivers,
                dpf_checked_on=r.dpf_checked_on,
                tia_on=r.tia_on,
                bcr_reference=r.bcr_reference,
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
    # First: a NUL must not reach the name-clash query (PostgreSQL refuses it).
    validation.refuse_hidden(errors, {"name": name, "service": service})
    if "name" in errors:
        pass
    elif not name:
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
    role = data.role or (
        RecipientRole.CONTROLLER if data.kind == RecipientKind.DEALER else RecipientRole.PROCESSOR
    )
    if role not in set(RecipientRole):
        errors["role"] = "Choose processor (Art. 28 agreement) or independent controller."
    categories = tuple(dict.fromkeys(data.scope_categories))
    relationships = tuple(dict.fromkeys(data.scope_relationships))
    if data.scope not in set(RecipientScope):
        errors["scope"] = "Choose all persons, some categories or relationships, or per disclosure."
    elif data.scope == RecipientScope.CATEGORIES:
        if unknown := [c for c in categories if c not in SCOPE_CATEGORY_LABELS]:
            errors["scope_categories"] = f"Unknown data category: {', '.join(unknown)}."
        if unknown := [r for r in relationships if r not in RELATIONSHIP_LABELS]:
            errors["scope_relationships"] = f"Unknown relationship: {', '.join(unknown)}."
        if not categories and not relationships:
            errors["scope_categories"] = (
                "Choose at least one data category or relationship whose persons it holds."
            )
    else:
        # A scope that is not by category must not carry categories it would ignore.
        if categories:
            errors["scope_categories"] = (
                "Data categories apply only to the scope by categories or relationships."
            )
        if relationships:
            errors["scope_relationships"] = (
                "Relationships apply only to the scope by categories or relationships."
            )
    delivers = data.delivers or None
    if delivers is not None:
        if delivers not in set(DeliveryService):
            errors["delivers"] = "Choose the kind of marketing messages it delivers, or none."
        elif role != RecipientRole.PROCESSOR:
            # An independent controller sends its own marketing, never ours (Art. 28).
            errors["delivers"] = "Only a processor delivers marketing messages on our behalf."
    safeguard = checked_safeguard(errors, data)
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
        str(role),
        data.scope,
        categories,
        relationships,
        delivers,
        *safeguard,
    )


def _values(clean: RecipientInput) -> dict[str, object]:
    """The validated input as column values (JSON columns hold lists)."""
    values = asdict(clean)
    values["scope_categories"] = list(clean.scope_categories)
    values["scope_relationships"] = list(clean.scope_relationships)
    return values


def add_recipient(session: Session, actor: Actor, data: RecipientInput) -> Recipient:
    require(actor, Permission.MANAGE_RECIPIENTS)
    clean = validate(session, data)
    recipient = Recipient(**_values(clean))
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
    for field, new in _values(clean).items():
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


# --- whose data a recipient holds (Art. 15(1)(c)) ---


def _category_condition(code: str) -> ColumnElement[bool]:
    """Persons with data of the category `code`, as a condition on Person."""
    if code == DataCategory.BASIC:
        return true()  # every person has a name and contact details
    if code == DataCategory.CUSTOMER_RELATIONSHIP:
        return or_(
            Person.relationship == Relationship.CUSTOMER_CONTACT,
            exists().where(Order.person_id == Person.id),
            exists().where(ConsentEvent.person_id == Person.id),
        )
    if code == DataCategory.SERVICE_USER:
        return or_(Person.relationship == Relationship.SERVICE_USER, Person.username.is_not(None))
    if code == DataCategory.TRANSACTIONS:
        return exists().where(Activity.person_id == Person.id)
    if code in set(ActivityKind):
        return exists().where(Activity.person_id == Person.id, Activity.kind == code)
    return false()  # an unknown code covers nobody; validation refuses it on the way in


def covered_persons_condition(recipient: Recipient) -> ColumnElement[bool]:
    """The persons whose data `recipient` holds by its scope, as a condition on Person.

    Per-disclosure recipients cover nobody by scope: their disclosure rows name the persons.
    A scope by categories covers a person in ANY of its categories or relationships: the
    reading that names a recipient rather than leave one out.
    """
    if recipient.scope == RecipientScope.ALL_PERSONS:
        return true()
    if recipient.scope != RecipientScope.CATEGORIES:
        return false()
    conditions = [_category_condition(c) for c in recipient.scope_categories or ()]
    if relationships := list(recipient.scope_relationships or ()):
        conditions.append(Person.relationship.in_(relationships))
    return or_(*conditions) if conditions else false()


def recipients_covering(
    session: Session, person_id: int, *, active_only: bool = False
) -> list[Recipient]:
    """Every recipient whose scope covers the person, by name.

    Inactive recipients are included unless `active_only`: one that held everyone's data
    may still hold the person's (the report says it is no longer used).
    """
    query = select(Recipient).where(Recipient.scope != RecipientScope.PER_DISCLOSURE)
    if active_only:
        query = query.where(Recipient.active)
    covering = []
    for recipient in session.scalars(query.order_by(Recipient.name)):
        if recipient.scope == RecipientScope.ALL_PERSONS:
            covering.append(recipient)
            continue
        holds = select(Person.id).where(
            Person.id == person_id, covered_persons_condition(recipient)
        )
        if session.scalar(holds) is not None:
            covering.append(recipient)
    return covering


def scope_matches(
    session: Session, recipient: Recipient, person_id: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which of a scope's categories and relationships the person falls in: why the
    recipient holds the person's data, as an access report says it."""
    if recipient.scope != RecipientScope.CATEGORIES:
        return (), ()
    categories = tuple(
        code
        for code in recipient.scope_categories or ()
        if session.scalar(
            select(Person.id).where(Person.id == person_id, _category_condition(code))
        )
        is not None
    )
    relationship = session.scalar(select(Person.relationship).where(Person.id == person_id))
    relationships = tuple(r for r in recipient.scope_relationships or () if r == relationship)
    return categories, relationships
