"""The Art. 15 access report as typed data: every record on the person, and Art. 15(1)-(2).

Codes stay codes (purpose, status, country...): the letter puts them into words in its
language (registry.report.language), the JSON keeps them as stored. Texts quoted from the
declaration are already in the report's language. Free text that the officer withheld to
protect others (Art. 15(4)) is already replaced by its numbered marker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from registry.breaches import BreachConcerning
from registry.notice import Party


@dataclass(frozen=True)
class Field:
    """One labelled value: `key` names its label in the language's words, `kind` says how
    the value is written (text, date, moment, country, a code of some group...)."""

    key: str
    value: object
    kind: str = "text"


@dataclass(frozen=True)
class ConsentNow:
    purpose: str
    status: str
    since: dt.datetime | None


@dataclass(frozen=True)
class ConsentRecord:
    id: int
    occurred_at: dt.datetime
    purpose: str
    status: str
    source: str
    evidence: str


@dataclass(frozen=True)
class OrderRecord:
    ordered_on: dt.date
    product: str
    amount_eur: Decimal
    status: str


@dataclass(frozen=True)
class ActivityRecord:
    id: int
    occurred_at: dt.datetime
    kind: str
    detail: str
    city: str


@dataclass(frozen=True)
class SegmentMembership:
    name: str
    profiling: bool


@dataclass(frozen=True)
class Profile:
    """Derived data: the person_metrics figures, and the groups the segments define."""

    figures: tuple[Field, ...]
    value_band: str | None  # None: no figures computed
    engagement: tuple[str, ...]
    segments: tuple[SegmentMembership, ...]


@dataclass(frozen=True)
class DocumentSent:
    kind: str  # access_report, extension, refusal
    created_at: dt.datetime


@dataclass(frozen=True)
class RequestRecord:
    id: int
    kind: str
    channel: str
    received_on: dt.date
    due_on: dt.date
    extended: bool
    status: str
    closed_at: dt.datetime | None
    details: str
    outcome: str
    documents: tuple[DocumentSent, ...]


@dataclass(frozen=True)
class RestrictionRecord:
    """A restriction of processing of the person's data (Art. 18), lifted or in force."""

    id: int
    since: dt.datetime
    ground: str
    request_id: int | None
    lifted_at: dt.datetime | None
    lift_reason: str
    person_told_on: dt.date | None
    recipients_told: tuple[str, ...]  # Art. 19


@dataclass(frozen=True)
class AmendmentRecord:
    id: int
    amended_at: dt.datetime
    field: str
    old_value: str
    new_value: str
    reason: str
    recipients_told: tuple[str, ...]


@dataclass(frozen=True)
class DisclosureRecord:
    disclosed_at: dt.datetime
    recipient: str
    country: str
    outside_eea: bool
    # The transfer basis the disclosure relied on when made; None: not recorded.
    transfer_mechanism: str | None
    agreement_date: dt.date | None
    basis_from_register: bool  # copied from the register, not recorded at the time
    purpose: str
    data_categories: tuple[str, ...]


@dataclass(frozen=True)
class NamedRecipient:
    """A recipient that holds or received the person's data (Art. 15(1)(c)), and why."""

    name: str
    role: str
    country: str
    outside_eea: bool
    active: bool
    # Its scope covers the person: "all_persons", or the categories / relationships matched.
    scope: str | None
    scope_matches: tuple[str, ...]
    relationship_matches: tuple[str, ...]
    # The register's basis today, which a recipient holding the data relies on now.
    transfer_mechanism: str
    agreement_date: dt.date | None
    disclosed_on: tuple[dt.datetime, ...]  # the person's disclosures to it, oldest first


@dataclass(frozen=True)
class Transfer:
    """One transfer outside the EU/EEA (Art. 15(2)): held there now, or disclosed once."""

    recipient: str
    country: str
    transfer_mechanism: str | None
    agreement_date: dt.date | None
    basis_from_register: bool
    disclosed_at: dt.datetime | None  # None: the recipient holds the data by its scope


@dataclass(frozen=True)
class Consultation:
    """The person's record consulted (CJEU C-579/21): when and why, not by whom."""

    at: dt.datetime
    purpose: str  # the audit action, put into words by the letter


@dataclass(frozen=True)
class RedactionNote:
    number: int
    reason: str


@dataclass(frozen=True)
class CategoryHeld:
    key: str
    text: str
    held: bool


@dataclass(frozen=True)
class Art15Items:
    """Art. 15(1)(a)-(h) and Art. 15(2), from the declaration and the person's records."""

    purposes: tuple[str, ...]  # (a)
    data_categories: tuple[CategoryHeld, ...]  # (b)
    recipient_categories: tuple[str, ...]  # (c) whom the registry may disclose to
    retention: tuple[str, ...]  # (d): the schedule's rules; empty: the declaration states none
    how_to_exercise: str  # (e)
    supervisory_authority: Party  # (f)
    supervisory_authority_name: str
    supervisory_authority_website: str
    source_of_your_data: str  # (g) the person's own source, in words
    added_on: dt.datetime
    regular_sources: tuple[str, ...]
    profiling: tuple[str, ...]  # (h) the profiling done and its logic
    profiling_status: str  # (h) the person's consent status for profiling
    declared_third_countries: tuple[str, ...]  # Art. 15(2)


@dataclass(frozen=True)
class AccessReport:
    reference: str
    language: str
    final: bool  # False: a draft for review, never sent
    generated_at: dt.datetime
    generated_by: str
    request_id: int | None  # None: made for a person on the command line
    received_on: dt.date | None
    requester_name: str
    requester_contact: str
    address_lines: tuple[str, ...]  # the postal address block; empty when there is none
    email_to: str | None  # where an emailed letter goes, said outside the address block
    registry_name: str
    controller: Party
    contact: Party
    holds_data: bool
    person: tuple[Field, ...]
    organisation: tuple[Field, ...]
    consent_now: tuple[ConsentNow, ...]
    consent_history: tuple[ConsentRecord, ...]
    orders: tuple[OrderRecord, ...]
    activities: tuple[ActivityRecord, ...]
    profile: Profile | None
    requests: tuple[RequestRecord, ...]
    amendments: tuple[AmendmentRecord, ...]
    disclosures: tuple[DisclosureRecord, ...]
    recipients: tuple[NamedRecipient, ...]
    transfers: tuple[Transfer, ...]
    consultations: tuple[Consultation, ...]
    breaches: tuple[BreachConcerning, ...]  # personal data breaches that concerned them
    redactions: tuple[RedactionNote, ...]
    art15: Art15Items | None  # None when the registry holds nothing on the person
    restrictions: tuple[RestrictionRecord, ...] = ()

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
                self.restrictions,
                self.disclosures,
                self.consultations,
            )
        ) + (1 if self.person else 0)
