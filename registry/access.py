"""The Art. 15 access report: every record on the person, and what Art. 15(1)-(2) require.

Built from the database and the registry declaration (registry.notice), as a typed
structure that renders to JSON (machine-readable, Art. 15(3)) and to a letter in the
Finnish business-letter layout (SFS 2487: sender and document details on top, recipient
block, subject line, body, closing, company footer). The password is never read: the
report says only whether one is "stored as a one-way hash".

Generating a report is a step of the request workflow: audited, recorded in the request's
history, and it sets report_generated_at, which completing an access request needs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import amendments, consent, disclosures, requests, settings
from registry.models import (
    Activity,
    Amendment,
    AppUser,
    DataSubjectRequest,
    Order,
    Person,
    PersonMetrics,
    Recipient,
    RecipientNotification,
    utcnow,
)
from registry.notice import Declaration, Party, declaration
from registry.permissions import Actor, Permission, require
from registry.vocabulary import (
    ActivityKind,
    ConsentStatus,
    DataCategory,
    Purpose,
    TransferMechanism,
)

PASSWORD_STORED = "stored as a one-way hash"
PASSWORD_NONE = "none stored"

PURPOSE_LABELS: dict[str, str] = {
    Purpose.NEWSLETTER: "Newsletter",
    Purpose.EMAIL_MARKETING: "Email marketing",
    Purpose.IN_APP_MESSAGES: "In-app messages",
    Purpose.EVENTS: "Event invitations",
    Purpose.PHONE: "Phone marketing",
    Purpose.POST: "Marketing by post",
    Purpose.PROFILING: "Profiling for targeted marketing",
}
CONSENT_STATUS_LABELS: dict[str, str] = {
    ConsentStatus.GRANTED: "Permitted",
    ConsentStatus.WITHDRAWN: "Permission withdrawn",
    ConsentStatus.OBJECTED: "Prohibited (objection)",
    ConsentStatus.NEVER_ASKED: "Nothing recorded",
}
ACTIVITY_LABELS: dict[str, str] = {
    ActivityKind.WEBSITE_VISIT: "Website visit",
    ActivityKind.NEWSLETTER_OPEN: "Newsletter opened",
    ActivityKind.NEWSLETTER_CLICK: "Newsletter link clicked",
    ActivityKind.EVENT_PARTICIPATION: "Event participation",
    ActivityKind.CUSTOMER_SERVICE_CONTACT: "Customer service contact",
    ActivityKind.APP_USE: "Click2Contract app use",
}
ORDER_STATUS_LABELS: dict[str, str] = {
    "paid": "Paid",
    "invoiced": "Invoiced",
    "in_recovery": "In recovery",
}
CATEGORY_LABELS: dict[str, str] = {
    DataCategory.BASIC: "Basic information",
    DataCategory.CUSTOMER_RELATIONSHIP: "Customer relationship",
    DataCategory.SERVICE_USER: "Click2Contract service user data",
    DataCategory.TRANSACTIONS: "Transactions and behaviour",
}
SAFEGUARD_LABELS: dict[str, str] = {
    TransferMechanism.NOT_NEEDED: "None needed: inside the EU/EEA",
    TransferMechanism.ADEQUACY: "European Commission adequacy decision (Art. 45)",
    TransferMechanism.DPF: "EU-US Data Privacy Framework (adequacy decision of 10 July 2023)",
    TransferMechanism.SCC_2021: "Standard Contractual Clauses (Commission Decision 2021/914)",
    TransferMechanism.BCR: "Binding corporate rules (Art. 47)",
    TransferMechanism.ART49_DEROGATION: "Derogation for a specific situation (Art. 49)",
    TransferMechanism.PRIVACY_SHIELD: "EU-US Privacy Shield (invalid since 16 July 2020)",
    TransferMechanism.SCC_PRE_2021: "Pre-2021 Standard Contractual Clauses (expired 27.12.2022)",
    TransferMechanism.NONE: "No safeguard recorded",
}


def _label(labels: Mapping[str, str], value: str) -> str:
    return labels.get(value, value.replace("_", " "))


# --- the typed report ------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One labelled value of a record shown as a list (the person row, the organisation)."""

    label: str
    value: str


@dataclass(frozen=True)
class ConsentNow:
    purpose: str
    status: str
    since: dt.datetime | None

    COLUMNS: ClassVar = (
        ("purpose", "Purpose", PURPOSE_LABELS),
        ("status", "Status", CONSENT_STATUS_LABELS),
        ("since", "Since", None),
    )


@dataclass(frozen=True)
class ConsentRecord:
    occurred_at: dt.datetime
    purpose: str
    status: str
    source: str
    evidence: str

    COLUMNS: ClassVar = (
        ("occurred_at", "When", None),
        ("purpose", "Purpose", PURPOSE_LABELS),
        ("status", "Event", CONSENT_STATUS_LABELS),
        ("source", "How", consent.SOURCE_LABELS),
        ("evidence", "Evidence", None),
    )


@dataclass(frozen=True)
class OrderRecord:
    ordered_on: dt.date
    product: str
    amount_eur: Decimal
    status: str

    COLUMNS: ClassVar = (
        ("ordered_on", "Date", None),
        ("product", "Product", None),
        ("amount_eur", "Amount (EUR)", None),
        ("status", "Status", ORDER_STATUS_LABELS),
    )


@dataclass(frozen=True)
class ActivityRecord:
    occurred_at: dt.datetime
    kind: str
    detail: str
    city: str

    COLUMNS: ClassVar = (
        ("occurred_at", "When", None),
        ("kind", "What", ACTIVITY_LABELS),
        ("detail", "Detail", None),
        ("city", "Location", None),
    )


@dataclass(frozen=True)
class RequestRecord:
    id: int
    kind: str
    channel: str
    received_on: dt.date
    status: str
    closed_at: dt.datetime | None

    COLUMNS: ClassVar = (
        ("id", "Request", None),
        ("kind", "Kind", requests.KIND_LABELS),
        ("channel", "Sent by", requests.CHANNEL_LABELS),
        ("received_on", "Received", None),
        ("status", "Status", requests.STATUS_LABELS),
        ("closed_at", "Closed", None),
    )


@dataclass(frozen=True)
class AmendmentRecord:
    amended_at: dt.datetime
    field: str
    old_value: str
    new_value: str
    reason: str
    recipients_told: tuple[str, ...]

    COLUMNS: ClassVar = (
        ("amended_at", "When", None),
        ("field", "Data", amendments.FIELD_LABELS),
        ("old_value", "Before", None),
        ("new_value", "After", None),
        ("reason", "Reason", None),
        ("recipients_told", "Recipients told (Art. 19)", None),
    )


@dataclass(frozen=True)
class DisclosureRecord:
    disclosed_at: dt.datetime
    recipient: str
    country: str
    outside_eea: bool
    safeguard: str
    purpose: str
    data_categories: tuple[str, ...]

    COLUMNS: ClassVar = (
        ("disclosed_at", "When", None),
        ("recipient", "Recipient", None),
        ("country", "Country", None),
        ("outside_eea", "Outside the EU/EEA", None),
        ("safeguard", "Transfer safeguard", SAFEGUARD_LABELS),
        ("purpose", "Purpose", None),
        ("data_categories", "Data", CATEGORY_LABELS),
    )


@dataclass(frozen=True)
class CategoryHeld:
    key: str
    text: str
    held: bool


@dataclass(frozen=True)
class RecipientInfo:
    name: str
    country: str
    outside_eea: bool
    safeguard: str


@dataclass(frozen=True)
class Right:
    title: str
    article: str
    text: str


@dataclass(frozen=True)
class Art15Items:
    """Art. 15(1)(a)-(h) and Art. 15(2), from the declaration and the person's records."""

    purposes: tuple[str, ...]  # (a)
    data_categories: tuple[CategoryHeld, ...]  # (b)
    recipients: tuple[RecipientInfo, ...]  # (c) by name, third countries marked
    recipient_categories: tuple[str, ...]  # (c) whom the registry may disclose to
    retention: str  # (d)
    rights: tuple[Right, ...]  # (e)
    how_to_exercise: str  # (e)
    complaint: str  # (f)
    source_of_your_data: str  # (g)
    regular_sources: tuple[str, ...]  # (g)
    profiling: tuple[str, ...]  # (h) the profiling done and its logic
    your_profiling_status: str  # (h)
    safeguards: tuple[RecipientInfo, ...]  # Art. 15(2): third-country recipients only
    declared_third_countries: tuple[str, ...]  # Art. 15(2)


@dataclass(frozen=True)
class AccessReport:
    reference: str
    generated_at: dt.datetime
    generated_by: str
    request_id: int
    received_on: dt.date
    requester_name: str
    requester_contact: str
    registry_name: str
    controller: Party
    contact: Party
    holds_data: bool
    statement: str
    person: tuple[Item, ...]
    organisation: tuple[Item, ...]
    consent_now: tuple[ConsentNow, ...]
    consent_history: tuple[ConsentRecord, ...]
    orders: tuple[OrderRecord, ...]
    activities: tuple[ActivityRecord, ...]
    profile: tuple[Item, ...]
    requests: tuple[RequestRecord, ...]
    amendments: tuple[AmendmentRecord, ...]
    disclosures: tuple[DisclosureRecord, ...]
    art15: Art15Items | None  # None when the registry holds nothing on the person

    @property
    def record_count(self) -> int:
        return sum(
            len(rows)
            for rows in (
                self.consent_history,
                self.orders,
                self.activities,
                self.requests,
                self.amendments,
                self.disclosures,
            )
        ) + (1 if self.person else 0)


# --- building it -----------------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _person_items(p: Person, decl: Declaration) -> tuple[Item, ...]:
    relationships = {e.key: e.text for e in decl.data_subjects}
    location = (
        f"{p.latitude:.5f}, {p.longitude:.5f}"
        if p.latitude is not None and p.longitude is not None
        else ""
    )
    return (
        Item("First name", p.first_name),
        Item("Last name", p.last_name),
        Item("Email address", _text(p.email)),
        Item("Telephone number", _text(p.phone)),
        Item("Street address", _text(p.street_address)),
        Item("Postal code", _text(p.postal_code)),
        Item("City", _text(p.city)),
        Item("Country", p.country),
        Item("Location given by the app", location),
        Item("Position", _text(p.position)),
        Item("Employer", p.organisation.name if p.organisation else ""),
        Item("Gender", _text(p.gender)),
        Item("Username", _text(p.username)),
        Item("Password", PASSWORD_STORED if p.password_hash else PASSWORD_NONE),
        Item("How you are connected to us", relationships.get(p.relationship, p.relationship)),
        Item("Where the data came from", p.source),
        Item("Added to the registry", _when(p.created_at)),
        Item("Last changed", _when(p.updated_at)),
    )


def _organisation_items(p: Person) -> tuple[Item, ...]:
    o = p.organisation
    if o is None:
        return ()
    return (
        Item("Name", o.name),
        Item("Business ID", o.business_id),
        Item("Kind", o.kind),
        Item("Industry", o.industry),
        Item("Country", o.country),
        Item("City", o.city),
        Item("Customer since", _day(o.customer_since)),
        Item("Customer until", _day(o.customer_until)),
    )


def _profile_items(m: PersonMetrics | None) -> tuple[Item, ...]:
    if m is None:
        return ()
    return (
        Item("Orders", str(m.order_count)),
        Item("Orders in total (EUR)", str(m.order_total_eur)),
        Item("First order", _day(m.first_order_on)),
        Item("Latest order", _day(m.last_order_on)),
        Item("Latest website visit", _when(m.last_website_visit_at)),
        Item("Latest newsletter opened", _when(m.last_newsletter_open_at)),
        Item("Latest event", _when(m.last_event_at)),
        Item("Latest app use", _when(m.last_app_use_at)),
        Item("Figures computed", _when(m.refreshed_at)),
    )


RIGHTS: tuple[Right, ...] = (
    Right(
        "Rectification",
        "Art. 16",
        "You may have incorrect data on you corrected and incomplete data completed.",
    ),
    Right(
        "Erasure",
        "Art. 17",
        "You may have your data erased, for example when it is no longer needed for the "
        "purposes it was collected for, or when you withdraw the consent it rests on.",
    ),
    Right(
        "Restriction of processing",
        "Art. 18",
        "You may have the processing of your data restricted, for example while the "
        "accuracy of the data is being checked.",
    ),
    Right(
        "Objection",
        "Art. 21",
        "You may object to processing based on our legitimate interests, and at any time to "
        "direct marketing and the profiling done for it; your data is then no longer used "
        "for direct marketing.",
    ),
    Right(
        "Withdrawal of consent",
        "Art. 7(3)",
        "You may withdraw any marketing permission at any time; this does not affect "
        "processing before the withdrawal.",
    ),
)


def _retention(decl: Declaration) -> str:
    parts = [t for t in (decl.retention_period, decl.retention_criteria) if t.strip()]
    if parts:
        return " ".join(parts)
    return (
        "The registry's declaration does not yet state a retention period or the criteria "
        "used to set one. You may ask the contact person below how long your data will be "
        "kept, and you may ask for its erasure at any time (see (e))."
    )


def _complaint(decl: Declaration) -> str:
    authority = decl.supervisory_authority
    return (
        f"You have the right to lodge a complaint with a supervisory authority: in Finland the "
        f"{authority.name}, {authority.address}, {decl.supervisory_authority_website}."
    )


def _profiling_status(status: ConsentStatus) -> str:
    return {
        ConsentStatus.GRANTED: "You have allowed profiling for targeted marketing.",
        ConsentStatus.WITHDRAWN: "You have withdrawn your permission for profiling: "
        "your data is not used for it.",
        ConsentStatus.OBJECTED: "You have objected to profiling for direct marketing: "
        "your data is not used for it.",
        ConsentStatus.NEVER_ASKED: "No permission or prohibition for profiling is recorded on you.",
    }[status]


def _art15(
    decl: Declaration,
    person: Person,
    held: set[str],
    disclosed: Sequence[DisclosureRecord],
    profiling: ConsentStatus,
) -> Art15Items:
    recipients: dict[str, RecipientInfo] = {}
    for d in disclosed:  # newest first: the latest safeguard of each recipient is kept
        recipients.setdefault(
            d.recipient, RecipientInfo(d.recipient, d.country, d.outside_eea, d.safeguard)
        )
    return Art15Items(
        purposes=tuple(p.text for p in decl.purposes),
        data_categories=tuple(
            CategoryHeld(c.key, c.text, c.key in held) for c in decl.data_categories
        ),
        recipients=tuple(sorted(recipients.values(), key=lambda r: r.name)),
        recipient_categories=tuple(c.text for c in decl.recipient_categories),
        retention=_retention(decl),
        rights=RIGHTS,
        how_to_exercise=f"{decl.request_form}: {decl.contact.name}, {decl.contact.email}, "
        f"{decl.controller.name}, {decl.controller.address}.",
        complaint=_complaint(decl),
        source_of_your_data=person.source,
        regular_sources=decl.sources,
        profiling=tuple(f"{p.text} {p.profiling_logic}".strip() for p in decl.profiling_purposes),
        your_profiling_status=_profiling_status(profiling),
        safeguards=tuple(
            r for r in sorted(recipients.values(), key=lambda r: r.name) if r.outside_eea
        ),
        declared_third_countries=decl.third_countries,
    )


def _held_categories(report: dict[str, Any], person: Person) -> set[str]:
    """Which of the notice's categories the records on the person fall in."""
    held = {DataCategory.BASIC.value}
    if person.organisation or report["orders"] or report["consent_history"] or report["requests"]:
        held.add(DataCategory.CUSTOMER_RELATIONSHIP)
    if person.username or person.password_hash or person.latitude is not None:
        held.add(DataCategory.SERVICE_USER)
    if report["activities"]:
        held.add(DataCategory.TRANSACTIONS)
    return held


def _records(session: Session, actor: Actor, person: Person) -> dict[str, Any]:
    pid = person.id
    now = consent.current_status(session, pid)
    history = consent.history(session, actor, pid)
    since: dict[str, dt.datetime] = {}
    for event in history:  # in precedence order: the first of each purpose is its status
        since.setdefault(event.purpose, event.occurred_at)
    notified = session.execute(
        select(RecipientNotification.amendment_id, Recipient.name)
        .join(Recipient, Recipient.id == RecipientNotification.recipient_id)
        .join(Amendment, Amendment.id == RecipientNotification.amendment_id)
        .where(Amendment.person_id == pid)
        .order_by(Recipient.name)
    ).all()
    told: dict[int, list[str]] = {}
    for amendment_id, name in notified:
        told.setdefault(amendment_id, []).append(name)
    return {
        "consent_now": tuple(
            ConsentNow(p, s, since.get(p) if s != ConsentStatus.NEVER_ASKED else None)
            for p, s in now.items()
        ),
        "consent_history": tuple(
            ConsentRecord(e.occurred_at, e.purpose, e.status, e.source, _text(e.evidence))
            for e in history
        ),
        "orders": tuple(
            OrderRecord(o.ordered_on, o.product, o.amount_eur, o.status)
            for o in session.scalars(
                select(Order).where(Order.person_id == pid).order_by(Order.ordered_on, Order.id)
            )
        ),
        "activities": tuple(
            ActivityRecord(a.occurred_at, a.kind, _text(a.detail), _text(a.city))
            for a in session.scalars(
                select(Activity)
                .where(Activity.person_id == pid)
                .order_by(Activity.occurred_at, Activity.id)
            )
        ),
        "requests": tuple(
            RequestRecord(r.id, r.kind, r.channel, r.received_on, r.status, r.closed_at)
            for r in session.scalars(
                select(DataSubjectRequest)
                .where(DataSubjectRequest.person_id == pid)
                .order_by(DataSubjectRequest.received_on, DataSubjectRequest.id)
            )
        ),
        "amendments": tuple(
            AmendmentRecord(
                a.amended_at,
                a.field,
                _text(a.old_value),
                _text(a.new_value),
                a.reason,
                tuple(told.get(a.id, ())),
            )
            for a in session.scalars(
                select(Amendment)
                .where(Amendment.person_id == pid)
                .order_by(Amendment.amended_at, Amendment.id)
            )
        ),
        "disclosures": tuple(
            DisclosureRecord(
                d.disclosed_at,
                d.recipient_name,
                d.country,
                d.third_country,
                d.transfer_mechanism,
                d.purpose,
                tuple(d.data_categories),
            )
            for d in disclosures.of_person(session, actor, pid)
        ),
        "profile": _profile_items(session.get(PersonMetrics, pid)),
        "profiling": now[Purpose.PROFILING],
    }


def build(
    session: Session, actor: Actor, request: DataSubjectRequest, now: dt.datetime
) -> AccessReport:
    """The report for a request, read in the caller's transaction (no audit, no commit)."""
    require(actor, Permission.GENERATE_ACCESS_REPORT)
    decl = declaration()
    handler = session.get(AppUser, actor.user_id) if actor.user_id is not None else None
    common: dict[str, Any] = {
        "reference": reference(request.id),
        "generated_at": now,
        "generated_by": handler.display_name if handler else actor.display_name or actor.username,
        "request_id": request.id,
        "received_on": request.received_on,
        "requester_name": request.requester_name,
        "requester_contact": request.requester_contact,
        "registry_name": decl.registry_name,
        "controller": decl.controller,
        "contact": decl.contact,
    }
    person = session.get(Person, request.person_id) if request.person_id is not None else None
    if person is None:
        return AccessReport(
            **common,
            holds_data=False,
            statement=(
                f"We have searched {decl.registry_name} for personal data on you with the "
                f"details you gave ({request.requester_name}, {request.requester_contact}). "
                "The registry holds no personal data on you."
            ),
            person=(),
            organisation=(),
            consent_now=(),
            consent_history=(),
            orders=(),
            activities=(),
            profile=(),
            requests=(),
            amendments=(),
            disclosures=(),
            art15=None,
        )
    records = _records(session, actor, person)
    profiling = records.pop("profiling")
    held = _held_categories(records, person)
    return AccessReport(
        **common,
        holds_data=True,
        statement=(
            f"This report lists every record that {decl.registry_name} holds on you on "
            f"{_day(now.astimezone(settings.REGISTRY_TZ).date())}, and the information "
            "GDPR Art. 15 entitles you to. "
            "It is your copy of the data (Art. 15(3)); the JSON file sent with it holds the "
            "same data in a machine-readable form."
        ),
        person=_person_items(person, decl),
        organisation=_organisation_items(person),
        art15=_art15(decl, person, held, records["disclosures"], profiling),
        **records,
    )


def reference(request_id: int) -> str:
    return f"DSR-{request_id:06d}"


def generate(
    session: Session, actor: Actor, request_id: int, now: dt.datetime | None = None
) -> AccessReport:
    """Generate the report for an access request whose requester's identity is verified.

    Audited and recorded in the request's history in one commit; sets report_generated_at.
    """
    require(actor, Permission.GENERATE_ACCESS_REPORT)
    now = now or utcnow()
    made: list[AccessReport] = []

    def change(request: DataSubjectRequest) -> str:
        report = build(session, actor, request, now)
        request.report_generated_at = now
        made.append(report)
        if not report.holds_data:
            return "no personal data held on the requester"
        return f"person {request.person_id}: {report.record_count} records"

    requests.step(session, actor, request_id, requests.Action.REPORT, change)
    return made[0]


# --- JSON ------------------------------------------------------------------------------


def _json_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot put {type(value).__name__} in the report's JSON")


def to_json(report: AccessReport) -> str:
    """Machine-readable: codes as stored, timestamps in UTC (ISO 8601)."""
    body = {"format": "click2contract-access-report/1", **dataclasses.asdict(report)}
    return json.dumps(body, default=_json_value, ensure_ascii=False, indent=2)


# --- the letter ------------------------------------------------------------------------


def _day(value: dt.date | None) -> str:
    """Finnish style: 5.3.2026."""
    return "" if value is None else requests.finnish_date(value)


def _when(value: dt.datetime | None) -> str:
    """Helsinki time, Finnish style: 5.3.2026 14.05."""
    if value is None:
        return ""
    local = value.astimezone(settings.REGISTRY_TZ)
    return f"{_day(local.date())} {local:%H.%M}"


def _cell(value: object, labels: Mapping[str, str] | None) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return _when(value)
    if isinstance(value, dt.date):
        return _day(value)
    if isinstance(value, tuple):
        return ", ".join(_cell(v, labels) for v in value)
    if value is None:
        return ""
    return _label(labels, str(value)) if labels else str(value)


_esc = html.escape

_NONE = '<p class="none">None held.</p>'


def _items_html(items: Sequence[Item]) -> str:
    if not items:
        return _NONE
    rows = "".join(
        f"<tr><th>{_esc(i.label)}</th><td>{_esc(i.value) or '–'}</td></tr>" for i in items
    )
    return f'<table class="items">{rows}</table>'


def _table_html(records: Sequence[Any]) -> str:
    if not records:
        return _NONE
    columns = type(records[0]).COLUMNS
    head = "".join(f"<th>{_esc(title)}</th>" for _, title, _ in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{_esc(_cell(getattr(r, name), labels))}</td>" for name, _, labels in columns
        )
        + "</tr>"
        for r in records
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _list_html(texts: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{_esc(t)}</li>" for t in texts) + "</ul>"


def _recipients_html(recipients: Sequence[RecipientInfo], empty: str) -> str:
    if not recipients:
        return f"<p>{_esc(empty)}</p>"
    return _list_html(
        [
            f"{r.name} ({r.country}"
            + (", outside the EU/EEA" if r.outside_eea else "")
            + f"): {_label(SAFEGUARD_LABELS, r.safeguard)}"
            for r in recipients
        ]
    )


def _art15_html(a: Art15Items) -> str:
    categories = _list_html(
        [f"{c.text} — {'held on you' if c.held else 'none held on you'}" for c in a.data_categories]
    )
    rights = _list_html([f"{r.title} ({r.article}): {r.text}" for r in a.rights])
    third = ", ".join(a.declared_third_countries) or "none"
    return f"""
<h2>Information on the processing (GDPR Art. 15(1) and (2))</h2>
<h3>(a) Purposes of the processing</h3>{_list_html(a.purposes)}
<h3>(b) Categories of personal data</h3>{categories}
<h3>(c) Recipients of your data</h3>
{_recipients_html(a.recipients, "Your data has not been disclosed to any recipient.")}
<p>The registry may disclose data to:</p>{_list_html(a.recipient_categories)}
<h3>(d) How long your data is kept</h3><p>{_esc(a.retention)}</p>
<h3>(e) Your rights</h3>{rights}<p>To use them: {_esc(a.how_to_exercise)}</p>
<h3>(f) Complaint</h3><p>{_esc(a.complaint)}</p>
<h3>(g) Where your data came from</h3>
<p>The data on you came from: {_esc(a.source_of_your_data)}.</p>
<p>The registry's regular sources are:</p>{_list_html(a.regular_sources)}
<h3>(h) Profiling for marketing, and its logic</h3>{_list_html(a.profiling)}
<p>{_esc(a.your_profiling_status)}</p>
<h3>Transfers outside the EU/EEA (Art. 15(2))</h3>
{_recipients_html(a.safeguards, "None of your data has been transferred outside the EU/EEA.")}
<p>Countries outside the EU/EEA the registry declares transfers to: {_esc(third)}.</p>
"""


_STYLE = """
@page { size: A4; margin: 20mm 20mm 20mm 25mm; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 10.5pt; color: #1a1a1a;
       max-width: 170mm; margin: 12mm auto; line-height: 1.4; }
.letterhead { display: flex; justify-content: space-between; border-bottom: 1px solid #999;
              padding-bottom: 4mm; }
.docinfo { text-align: left; min-width: 70mm; }
.doctype { font-weight: bold; letter-spacing: 0.05em; }
.recipient { margin: 12mm 0 10mm; font-style: normal; }
h1 { font-size: 12pt; margin: 0 0 5mm; }
h2 { font-size: 11pt; margin: 8mm 0 2mm; border-bottom: 1px solid #ccc; }
h3 { font-size: 10.5pt; margin: 4mm 0 1mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; font-size: 9pt; }
th, td { border: 1px solid #ccc; padding: 1mm 2mm; text-align: left; vertical-align: top; }
thead th { background: #f0f0f0; }
table.items th { width: 55mm; font-weight: normal; color: #555; }
.none { color: #555; font-style: italic; }
.closing { margin-top: 10mm; }
footer { margin-top: 12mm; border-top: 1px solid #999; padding-top: 2mm; font-size: 8.5pt;
         color: #555; }
"""


def to_html(report: AccessReport) -> str:
    """A readable letter to the person, in the Finnish business-letter layout."""
    c, ct = report.controller, report.contact
    sections = ""
    if report.holds_data:
        numbered = (
            ("Your personal data", _items_html(report.person)),
            ("Your organisation", _items_html(report.organisation)),
            (
                "Direct marketing permits and prohibitions",
                "<h3>Now</h3>"
                + _table_html(report.consent_now)
                + "<h3>History</h3>"
                + _table_html(report.consent_history),
            ),
            ("Orders", _table_html(report.orders)),
            (
                "Website, newsletter, event, customer service and app activity",
                _table_html(report.activities),
            ),
            (
                "Figures computed from your orders and activity for targeting",
                _items_html(report.profile),
            ),
            ("Your requests to us", _table_html(report.requests)),
            ("Corrections made to your data", _table_html(report.amendments)),
            ("Disclosures of your data", _table_html(report.disclosures)),
        )
        sections = "".join(
            f"<h2>{n}. {_esc(title)}</h2>{body}" for n, (title, body) in enumerate(numbered, 1)
        )
        assert report.art15 is not None
        sections += _art15_html(report.art15)
    else:
        sections = (
            "<p>If you think the registry should hold data on you, or you want to complain, "
            "please contact us at the address below.</p>"
            f"<p>{_esc(_complaint(declaration()))}</p>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_esc(report.reference)} Access report</title><style>{_STYLE}</style></head>
<body>
<header class="letterhead">
  <div class="sender"><strong>{_esc(c.name)}</strong><br>{_esc(c.address)}<br>{_esc(c.email)}</div>
  <div class="docinfo">
    <div class="doctype">ACCESS REPORT</div>
    <div>GDPR Art. 15</div>
    <div>{_day(report.generated_at.astimezone(settings.REGISTRY_TZ).date())}</div>
    <div>Our reference {_esc(report.reference)}</div>
    <div>Your request {_day(report.received_on)}</div>
  </div>
</header>
<address class="recipient">{_esc(report.requester_name)}<br>
{_esc(report.requester_contact)}</address>
<h1>Your request to check the data held on you</h1>
<p>Dear {_esc(report.requester_name)},</p>
<p>We received your request on {_day(report.received_on)}. {_esc(report.statement)}</p>
{sections}
<p class="closing">Yours sincerely,<br><br>{_esc(c.name)}<br><br>{_esc(report.generated_by)}<br>
Contact person for the registry: {_esc(ct.name)}, {_esc(ct.email)}</p>
<footer>{_esc(c.name)} · {_esc(c.address)} · {_esc(c.email)} · {_esc(report.registry_name)}</footer>
</body></html>
"""
