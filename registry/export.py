"""Consent-clean target lists: a segment's targetable members for one channel, as CSV.

An export leaves out, in this order of reasons, everyone who
  0. is restricted: their data may only be stored (Art. 18(2)),
  1. refused profiling (withdrew or objected), when the segment is built on orders or
     behaviour (Art. 21(2), Art. 7(3)),
  2. objected to direct marketing for the channel's purpose (Art. 21(3)),
  3. withdrew their consent for it (Art. 7(3)),
  4. has no basis the declaration allows for their relationship on the channel
     (registry.marketing_basis: a grant without evidence is no consent, Art. 7(1)),
  5. has no contact detail for the channel (no email address, say),
and says how many it left out for each reason; each person counts once, under the first
reason that applies, so the reasons and the exported add up to the segment. Consent is read
only through registry.consent. Each listed person's basis is recorded with them.

An export is one transaction: the disclosure with its per-person rows (the recipient taken
from the recipients register), the audit event, and the CSV written from exactly those rows,
streamed in batches without holding them all. If anything fails, nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO, TextIO

from sqlalchemy import case, cast, func, literal, null, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry import (
    audit,
    deadlines,
    marketing_basis,
    settings,
    spreadsheet,
    suppression,
    validation,
)
from registry.disclosures import add_disclosure
from registry.errors import ConflictError, NotFound, ValidationError
from registry.filters import Definition, parse_definition
from registry.marketing_basis import NO_BASIS_LABELS, Classifier, NoBasis
from registry.models import Disclosure, Organisation, Person, Recipient, utcnow
from registry.permissions import Actor, Permission, require
from registry.recipients import derogation_refusal, disclosure_counts, status_of
from registry.restricted import restricted_table
from registry.segments.catalogue import SegmentChoice
from registry.segments.membership import analytic, matching_query, refusals_table
from registry.vocabulary import MARKETING_BASIS_SHORT, Channel, DataCategory, RecipientRole


class LeftOut(StrEnum):
    """Why a person matching the segment is not in the list, in the order it is decided."""

    RESTRICTED = "restricted"
    REFUSED_PROFILING = "refused_profiling"
    OBJECTED = "objected"
    WITHDRAWN = "withdrawn"
    NO_EVIDENCE = NoBasis.NO_EVIDENCE.value
    NEVER_GRANTED = NoBasis.NEVER_GRANTED.value
    CONDITIONS_NOT_MET = NoBasis.CONDITIONS_NOT_MET.value
    NOT_DECLARED = NoBasis.NOT_DECLARED.value
    NO_SHARING_CONSENT = NoBasis.NO_SHARING_CONSENT.value
    NO_CONTACT = "no_contact"
    # The last guard, checked row by row as the list is written: an email or phone on the
    # suppression list (erased or objected, Art. 17, 21(3)), whatever the row says.
    SUPPRESSED = "suppressed"


LEFT_OUT_LABELS: dict[LeftOut, str] = {
    LeftOut.RESTRICTED: "Processing restricted (Art. 18)",
    LeftOut.REFUSED_PROFILING: "Refused profiling (the segment profiles: orders, behaviour "
    "or location)",
    LeftOut.OBJECTED: "Objected to direct marketing (Art. 21)",
    LeftOut.WITHDRAWN: "Withdrew consent (Art. 7(3))",
    **{LeftOut(k): v for k, v in NO_BASIS_LABELS.items()},
    LeftOut.NO_CONTACT: "No contact detail for the channel",
    LeftOut.SUPPRESSED: "On the suppression list (erased or objected)",
}
CONTACT_DETAIL: dict[Channel, str] = {
    Channel.EMAIL: "email address",
    Channel.NEWSLETTER: "email address",
    Channel.EVENTS: "email address",
    Channel.PHONE: "phone number",
    Channel.SMS: "phone number",
    Channel.POST: "postal address",
    Channel.IN_APP: "app account",
}
_BASES = marketing_basis.BASES

# What each channel's list holds: only what the recipient needs to send the message.
_NAME = [("first_name", Person.first_name), ("last_name", Person.last_name)]
COLUMNS: dict[Channel, list[tuple[str, Any]]] = {
    **{
        channel: [*_NAME, ("email", Person.email), ("organisation", Organisation.name)]
        for channel in (Channel.EMAIL, Channel.NEWSLETTER, Channel.EVENTS)
    },
    **{
        channel: [*_NAME, ("phone", Person.phone), ("organisation", Organisation.name)]
        for channel in (Channel.PHONE, Channel.SMS)
    },
    Channel.POST: [
        *_NAME,
        ("organisation", Organisation.name),
        ("street_address", Person.street_address),
        ("postal_code", Person.postal_code),
        ("city", Person.city),
        ("country", Person.country),
    ],
    Channel.IN_APP: [("username", Person.username)],
}
# The person fields each channel's list sends (amendments.FIELD_LABELS' names; the
# organisation column is the person's employer), kept with the disclosure so that an Art. 19
# follow-up names only recipients that received a changed field.
SENT_FIELDS: dict[Channel, list[str]] = {
    channel: ["employer" if name == "organisation" else name for name, _ in columns]
    for channel, columns in COLUMNS.items()
}
# The app account is service-user data (the notice's third category); the rest is basic.
DATA_CATEGORIES: dict[Channel, list[str]] = {
    c: [DataCategory.SERVICE_USER.value if c == Channel.IN_APP else DataCategory.BASIC.value]
    for c in Channel
}


@dataclass(frozen=True)
class ExportPreview:
    """How many match the segment, how many are left out and why, and how many go out."""

    channel: Channel
    matched: int
    left_out: dict[LeftOut, int]
    by_basis: dict[str, int] = field(default_factory=dict)  # the exported, per basis

    @property
    def exported(self) -> int:
        return self.matched - sum(self.left_out.values())

    def legal_basis(self) -> str:
        """The bases relied on, with how many persons each (the disclosure's legal basis)."""
        parts = [f"{MARKETING_BASIS_SHORT[b]}: {n:,}" for b, n in self.by_basis.items() if n]
        return "Per person: " + ("; ".join(parts) if parts else "nobody listed")

    def label(self, reason: LeftOut) -> str:
        if reason == LeftOut.NO_CONTACT:
            return f"No {CONTACT_DETAIL[self.channel]}"
        return LEFT_OUT_LABELS[reason]

    def sentence(self) -> str:
        parts = [f"{_lower_first(self.label(r))}: {n:,}" for r, n in self.left_out.items() if n]
        left = "; ".join(parts) if parts else "nobody"
        return f"{self.exported:,} of {self.matched:,} exported; left out {left}."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@dataclass(frozen=True)
class ExportResult:
    disclosure_id: int
    preview: ExportPreview
    rows: int
    recipient: str


@dataclass(frozen=True)
class RecipientChoice:
    id: int
    name: str
    service: str
    country: str
    problem: str | None  # why a transfer to it is not lawful today; None if it is
    role: str = RecipientRole.PROCESSOR
    delivers: str | None = None

    def refusal(self, channel: Channel) -> str | None:
        """Why a list for the channel may not go to it (transfer first, then its role)."""
        if self.problem:
            return f"{self.name}: {self.problem}"
        return marketing_basis.recipient_refusal(self.name, self.role, self.delivers, channel)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.service}, {self.country})"


def _channel(value: Any) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise ValidationError({"channel": "Choose a channel."}) from None


def _classified(
    definition: Definition, channel: Channel, today: dt.date, sharing: bool = False
) -> tuple[Any, Any]:
    """The persons matching the filters, and the reason each is left out or, for those
    listed, the basis relied on (registry.marketing_basis). A restricted person is left out
    as restricted before any other reason (Art. 18(2))."""
    bases = Classifier.for_channels([channel], today, sharing=sharing)
    query = bases.join(matching_query(definition, today))
    held = restricted_table()
    query = query.outerjoin(held, held.c.person_id == Person.id)
    whens: list[Any] = [(held.c.person_id.is_not(None), LeftOut.RESTRICTED.value)]
    if definition.profiling:
        refusals = refusals_table()
        query = query.outerjoin(refusals, refusals.c.person_id == Person.id)
        whens.append((refusals.c.person_id.is_not(None), LeftOut.REFUSED_PROFILING.value))
    whens += bases.whens(
        channel, LeftOut.OBJECTED.value, LeftOut.WITHDRAWN.value, LeftOut.NO_CONTACT.value
    )
    return query, case(*whens, else_=bases.basis(channel))


def _counted(channel: Channel, counts: dict[str, int]) -> ExportPreview:
    return ExportPreview(
        channel,
        sum(counts.values()),
        {r: counts.get(r.value, 0) for r in LeftOut},
        {b.value: counts[b.value] for b in marketing_basis.MarketingBasis if counts.get(b.value)},
    )


def _preview(
    session: Session, definition: Definition, channel: Channel, today: dt.date, sharing: bool
) -> ExportPreview:
    query, reason = _classified(definition, channel, today, sharing)
    rows = session.execute(query.with_only_columns(reason, func.count()).group_by(reason)).all()
    return _counted(channel, {str(r): int(n) for r, n in rows})


def list_preview(
    session: Session, definition: Definition, channel: Channel, today: dt.date, sharing: bool
) -> ExportPreview:
    """`preview` for a caller that checked its own permission (a list recorded by hand)."""
    analytic(session)
    return _preview(session, definition, channel, today, sharing)


def preview(
    session: Session,
    actor: Actor,
    definition: Any,
    channel: Any,
    today: dt.date | None = None,
    recipient_id: int | None = None,
) -> ExportPreview:
    """What an export would leave out and why, and the bases of those it lists, before it is
    made (one statement). A list for an independent controller rests on the sharing consent."""
    require(actor, Permission.EXPORT_TARGET_LIST)
    parsed = parse_definition(definition)
    analytic(session)
    recipient = session.get(Recipient, recipient_id) if recipient_id is not None else None
    sharing = recipient is not None and recipient.role == RecipientRole.CONTROLLER
    return _preview(session, parsed, _channel(channel), today or deadlines.today(), sharing)


def recipients(
    session: Session, actor: Actor, today: dt.date | None = None
) -> list[RecipientChoice]:
    """The active recipients a list may go to, each with any problem of transferring to it."""
    require(actor, Permission.EXPORT_TARGET_LIST)
    today = today or deadlines.today()
    counts = disclosure_counts(session)
    return [
        RecipientChoice(
            r.id,
            r.name,
            r.service,
            r.country,
            status_of(r, today, counts.get(r.id, 0)) or derogation_refusal(session, r),
            r.role,
            r.delivers,
        )
        for r in session.scalars(select(Recipient).where(Recipient.active).order_by(Recipient.name))
    ]


def file_name(
    segment: SegmentChoice,
    channel: Any,
    today: dt.date | None = None,
    file_format: spreadsheet.FileFormat = spreadsheet.FileFormat.CSV,
) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", segment.title.lower()).strip("-") or "segment"
    day = (today or deadlines.today()).isoformat()
    return f"{slug[:60]}-{Channel(channel).value}-{day}.{file_format.value}"


def checked_recipient(
    session: Session, recipient_id: Any, today: dt.date, channel: Channel
) -> Recipient:
    recipient = session.get(Recipient, recipient_id) if isinstance(recipient_id, int) else None
    if recipient is None or not recipient.active:
        raise ValidationError({"recipient": "Choose an active recipient from the register."})
    if problem := status_of(recipient, today) or derogation_refusal(session, recipient):
        raise ValidationError(
            {"recipient": f"{recipient.name} may not receive personal data: {problem}."}
        )
    if refusal := marketing_basis.recipient_refusal(
        recipient.name, recipient.role, recipient.delivers, channel
    ):
        raise ValidationError({"recipient": f"{refusal}."})
    return recipient


def _list_statement(
    definition: Definition, channel: Channel, today: dt.date, sharing: bool = False
) -> Any:
    """One statement, one snapshot: each exported person's id, basis and list columns, then
    one row per other reason with how many it left out. Only the list crosses the wire."""
    query, reason = _classified(definition, channel, today, sharing)
    columns = [(name, column.label(name)) for name, column in COLUMNS[channel]]
    # The email and phone of every listed person ride along for the suppression guard only.
    classified = query.with_only_columns(
        Person.id.label("person_id"),
        reason.label("reason"),
        *(c for _, c in columns),
        Person.email.label("guard_email"),
        Person.phone.label("guard_phone"),
    ).cte("classified")
    listed = [classified.c[name] for name, _ in columns]
    guard = (classified.c.guard_email, classified.c.guard_phone)
    exported = select(
        classified.c.person_id, classified.c.reason, literal(1).label("n"), *listed, *guard
    ).where(classified.c.reason.in_(_BASES))
    left_out = (
        select(
            cast(null(), classified.c.person_id.type),
            classified.c.reason,
            func.count(),
            *(cast(null(), c.type) for c in listed),
            *(cast(null(), c.type) for c in guard),
        )
        .where(classified.c.reason.not_in(_BASES))
        .group_by(classified.c.reason)
    )
    return union_all(exported, left_out)


def listed_persons(
    session: Session,
    definition: Definition,
    channel: Channel,
    today: dt.date,
    sharing: bool,
    reasons: Counter[str],
) -> Iterator[tuple[int, str, list[Any]]]:
    """Each listed person's id, basis and list values as they stream from one statement;
    every person left out is counted in `reasons` under why (the suppression list is held
    against each listed row last). The export and a list recorded by hand both use it, so
    both leave out the same persons for the same reasons."""
    statement = _list_statement(definition, channel, today, sharing)
    guard = suppression.Guard(session)
    rows = session.execute(statement.execution_options(yield_per=settings.EXPORT_BATCH_ROWS))
    for person_id, why, n, *values in rows:
        *values, email, phone = values
        if why in _BASES and guard.holds(email, phone):
            why = LeftOut.SUPPRESSED.value
        reasons[why] += n
        if why in _BASES:
            yield person_id, why, values  # the basis relied on for this person


def counted(channel: Channel, reasons: Counter[str]) -> ExportPreview:
    """The counts of a streamed list (`listed_persons`) as a preview."""
    return _counted(channel, dict(reasons))


def export_target_list(
    session: Session,
    actor: Actor,
    segment: SegmentChoice,
    channel: Any,
    recipient_id: Any,
    purpose: str,
    out: TextIO,
    today: dt.date | None = None,
    complete: Callable[[], None] | None = None,
    token: str | None = None,
    xlsx: BinaryIO | None = None,
) -> ExportResult:
    """Write the segment's targetable members for the channel to `out` as CSV, and record the
    disclosure (per-person rows) and an audit event, in one transaction.

    `xlsx`, when given, receives the same rows as an Excel workbook from the same statement:
    one prepared list in two formats is one disclosure.

    `complete` (putting the written file in place) runs after the last row and before the
    commit: if it fails, nothing is recorded, as no list was handed over.
    `token` names the prepared list (prepared_list_token): a list already recorded under it
    is refused, so a second download of one prepared list never records a second disclosure.
    """
    require(actor, Permission.EXPORT_TARGET_LIST)
    if token is not None:
        _refuse_recorded(session, token)
    today = today or deadlines.today()
    channel = _channel(channel)
    errors: dict[str, str] = {}
    if segment.problem:
        errors["segment"] = segment.problem
    checked_purpose = validation.optional_text(purpose, settings.MAX_SHORT_TEXT)
    if checked_purpose is None:
        errors["purpose"] = "Say what the list is for, e.g. the newsletter of March."
    elif isinstance(checked_purpose, validation.Invalid):
        errors["purpose"] = checked_purpose.message
    try:
        recipient = checked_recipient(session, recipient_id, today, channel)
    except ValidationError as e:
        errors.update(e.field_errors)
    if errors:
        raise ValidationError(errors)
    assert isinstance(checked_purpose, str)
    analytic(session)
    # One statement: the list is written and its ids recorded as they stream by, and the
    # left-out counts come from the same snapshot, so they always add up.
    names = [name for name, _ in COLUMNS[channel]]
    sheets: list[spreadsheet.Sheet] = [spreadsheet.CsvSheet(out)]
    if xlsx is not None:
        sheets.append(spreadsheet.XlsxSheet(xlsx, "target list"))
    for sheet in sheets:
        sheet.writerow(names)
    reasons: Counter[str] = Counter()
    sharing = recipient.role == RecipientRole.CONTROLLER

    def exported_ids() -> Iterator[tuple[int, str]]:
        for person_id, basis, values in listed_persons(
            session, segment.definition, channel, today, sharing, reasons
        ):
            for sheet in sheets:  # every cell neutralised by the sheet (spreadsheet)
                sheet.writerow(values)
            yield person_id, basis

    disclosure = add_disclosure(
        session,
        actor,
        recipient.id,
        checked_purpose,
        DATA_CATEGORIES[channel],
        "Per person",  # the bases are counted as the rows stream; set below
        exported_ids(),
        disclosed_at=utcnow(),
        segment_id=segment.segment_id,
        fields=SENT_FIELDS[channel],
    )
    disclosure.export_token = token
    counted = _counted(channel, dict(reasons))
    disclosure.legal_basis = counted.legal_basis()[:200]
    disclosure.note = (
        f"{channel.label} list of the segment {segment.label}: "
        f"{segment.definition.sentence()} {counted.sentence()}"
    )[: settings.MAX_LONG_TEXT]
    audit.record(
        session,
        actor,
        "target_list_exported",
        "disclosure",
        disclosure.id,
        f"{segment.label}, {channel.label.lower()}, to {recipient.name}: {counted.sentence()}",
    )
    try:
        for sheet in sheets:
            sheet.close()
        if complete is not None:
            complete()
    except BaseException:
        session.rollback()
        raise
    try:
        session.commit()
    except IntegrityError:
        # The same prepared list recorded meanwhile (another click): the unique token wins.
        session.rollback()
        if token is not None:
            _refuse_recorded(session, token)
        raise
    return ExportResult(disclosure.id, counted, counted.exported, recipient.name)


def prepared_list_token() -> str:
    """A new prepared list's name: random, so two preparations never share one."""
    return secrets.token_hex(16)


def _refuse_recorded(session: Session, token: str) -> None:
    recorded = session.scalar(select(Disclosure.id).where(Disclosure.export_token == token))
    if recorded is not None:
        raise ConflictError(
            f"This list was already downloaded and recorded as disclosure {recorded}. "
            "Check the list again to prepare a new one."
        )


@dataclass(frozen=True)
class RecentExport:
    disclosure_id: int
    disclosed_at: dt.datetime
    recipient: str
    purpose: str
    persons: int


def recent_exports(session: Session, actor: Actor) -> list[RecentExport]:
    """The actor's own latest exports (disclosures they recorded), newest first."""
    require(actor, Permission.EXPORT_TARGET_LIST)
    rows = session.execute(
        select(Disclosure, Recipient.name)
        .join(Recipient, Recipient.id == Disclosure.recipient_id)
        .where(Disclosure.recorded_by == actor.user_id)
        .order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc())
        .limit(settings.SEGMENT_RECENT_EXPORTS)
    ).unique()
    return [RecentExport(d.id, d.disclosed_at, name, d.purpose, d.person_count) for d, name in rows]


def find_recipient(session: Session, actor: Actor, name: str) -> int:
    """A recipient's id by its name in the register (command line)."""
    require(actor, Permission.EXPORT_TARGET_LIST)
    recipient_id = session.scalar(select(Recipient.id).where(Recipient.name == name))
    if recipient_id is None:
        raise NotFound(f"No recipient named {name!r} in the register.")
    return recipient_id
