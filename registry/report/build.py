"""Building the Art. 15 report for a request (or, on the command line, for a person).

The report is read in the caller's transaction and written in one language: the
declaration's texts in that language, the request's redactions applied. It names every
recipient whose scope covers the person as well as those in its disclosure rows, and the
transfers section follows from the same facts (Art. 15(1)(c), 15(2); CJEU C-154/21).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from decimal import Decimal

from sqlalchemy.orm import Session

from registry import breaches, consent, deadlines
from registry.errors import NotFound
from registry.models import AppUser, DataSubjectRequest, Person
from registry.notice import declaration
from registry.permissions import Actor, Permission, require
from registry.report import gather
from registry.report.contents import AccessReport, Art15Items, CategoryHeld, RedactionNote
from registry.report.declaration_text import DeclarationText, declaration_text
from registry.report.language import Words, words
from registry.report.letters import LetterHead, access_report_html
from registry.report.review import NO_REDACTIONS, Redactor, active_redactions
from registry.vocabulary import Purpose, RequestChannel

JSON_FORMAT = "click2contract-access-report/2"


def reference(request_id: int) -> str:
    return f"DSR-{request_id:06d}"


def person_reference(person_id: int) -> str:
    """A report made for a person on the command line, outside any request."""
    return f"PERSON-{person_id:06d}"


def _is_email(text: str) -> bool:
    return "@" in text and " " not in text.strip()


def address_block(
    name: str, person: Person | None, contact: str, channel: str | None, t: Words
) -> tuple[tuple[str, ...], str | None, bool]:
    """(postal address lines, email to send to, abroad): never an email in the block.

    The person's postal address where the registry has one; else the contact given, if it
    is a postal address. A request made by electronic means is answered by them where
    possible (Art. 12(3)): the letter names the email address outside the block.
    """
    controller_country = declaration().controller.country
    email_to = None
    if channel in (RequestChannel.EMAIL, RequestChannel.WEB_FORM):
        email_to = contact.strip() if _is_email(contact) else (person.email if person else None)
    if person is not None and person.street_address and (person.postal_code or person.city):
        abroad = bool(controller_country) and person.country != controller_country
        lines = [name, person.street_address, f"{person.postal_code or ''} {person.city or ''}"]
        if abroad:
            lines.append(t.country(person.country).upper())
        return tuple(line.strip() for line in lines), email_to, abroad
    if contact.strip() and not _is_email(contact):
        parts = [p.strip() for p in contact.split(",") if p.strip()]
        return (name, *parts), email_to, False
    return (), email_to, False


def _handler(session: Session, actor: Actor) -> str:
    user = session.get(AppUser, actor.user_id) if actor.user_id is not None else None
    return user.display_name if user else actor.display_name or actor.username


def _period(t: Words, years: int, months: int) -> str:
    if years:
        return t("text.retention_year" if years == 1 else "text.retention_years", n=years)
    return t("text.retention_month" if months == 1 else "text.retention_months", n=months)


def _art15(
    text: DeclarationText, t: Words, person: Person, held: set[str], profiling: str
) -> Art15Items:
    decl = declaration()
    controller, contact = decl.controller, decl.contact
    where = ", ".join(
        [controller.name, *controller.postal_address]
        + ([t.country(controller.country)] if controller.country else [])
    )
    # (d): each rule of the schedule with its concrete period, in the letter's language.
    retention = tuple(
        t(
            "text.retention_rule",
            what=text.retention[r.key][0],
            period=_period(
                t,
                decl.legal_hold.voucher_years if r.key == "orders" else r.years,
                0 if r.key == "orders" else r.months,
            ),
            starts=text.retention[r.key][1],
        )
        for r in decl.retention.rules
    )
    return Art15Items(
        purposes=tuple(text.purposes[p.key] for p in decl.purposes),
        data_categories=tuple(
            CategoryHeld(c.key, text.data_categories[c.key], c.key in held)
            for c in decl.data_categories
        ),
        recipient_categories=tuple(
            text.recipient_categories[c.key] for c in decl.recipient_categories
        ),
        retention=retention,
        how_to_exercise=f"{text.request_form}: {contact.name}, {contact.email}; {where}",
        supervisory_authority=decl.supervisory_authority,
        supervisory_authority_name=text.supervisory_authority,
        supervisory_authority_website=decl.supervisory_authority_website,
        source_of_your_data=text.source(person.source),
        added_on=person.created_at,
        regular_sources=tuple(text.source(s) for s in decl.sources),
        profiling=tuple(
            f"{text.purposes[p.key]} {text.profiling_logic.get(p.key, '')}".strip()
            for p in decl.profiling_purposes
        ),
        profiling_status=profiling,
        declared_third_countries=decl.third_countries,
    )


def _contents(
    session: Session,
    actor: Actor,
    person: Person,
    t: Words,
    text: DeclarationText,
    redact: Redactor,
    today: dt.date,
) -> dict[str, object]:
    """Every part of the report that comes from the person's records."""
    pid = person.id
    consent_now, consent_history = gather.consent_records(session, actor, pid, redact)
    orders = gather.orders(session, pid)
    activities = gather.activities(session, pid, redact)
    requests = gather.requests_of(session, pid, redact)
    disclosed = gather.disclosures_of(session, pid)
    named = gather.named_recipients(session, pid, disclosed)
    held = gather.held_categories(
        person,
        orders=len(orders),
        consent=len(consent_history),
        requests=len(requests),
        activities=len(activities),
    )
    profiling = consent.current_status(session, pid)[Purpose.PROFILING]
    return {
        "person": gather.person_fields(person, text),
        "organisation": gather.organisation_fields(person),
        "consent_now": consent_now,
        "consent_history": consent_history,
        "orders": orders,
        "activities": activities,
        "profile": gather.profile_of(session, pid, today),
        "requests": requests,
        "amendments": gather.amendments_of(session, pid, redact),
        "restrictions": gather.restrictions_of(session, pid),
        "disclosures": disclosed,
        "recipients": named,
        "transfers": gather.transfers_of(named, disclosed),
        "consultations": gather.consultations_of(session, pid),
        "breaches": tuple(breaches.breaches_concerning(session, pid)),
        "art15": _art15(text, t, person, held, str(profiling)),
    }


def _empty() -> dict[str, object]:
    return {
        key: ()
        for key in (
            "person organisation consent_now consent_history orders activities requests "
            "amendments restrictions disclosures recipients transfers consultations breaches"
        ).split()
    } | {"profile": None, "art15": None}


def build(
    session: Session,
    actor: Actor,
    request: DataSubjectRequest,
    now: dt.datetime,
    *,
    final: bool,
    language: str | None = None,
) -> tuple[AccessReport, LetterHead]:
    """The report for a request, in its reply language (no audit, no commit)."""
    require(actor, Permission.GENERATE_ACCESS_REPORT)
    language = language or request.reply_language
    t, text = words(language), declaration_text(language)
    redactions = active_redactions(session, request.id)
    redact = Redactor(redactions, lambda n: t("letter.redacted", n=n))
    person = session.get(Person, request.person_id) if request.person_id is not None else None
    lines, email_to, abroad = address_block(
        request.requester_name, person, request.requester_contact, request.channel, t
    )
    signer = _handler(session, actor)
    parts = (
        _contents(session, actor, person, t, text, redact, deadlines.today())
        if person
        else _empty()
    )
    report = AccessReport(
        reference=reference(request.id),
        language=language,
        final=final,
        generated_at=now,
        generated_by=signer,
        request_id=request.id,
        received_on=request.received_on,
        requester_name=request.requester_name,
        requester_contact=request.requester_contact,
        address_lines=lines,
        email_to=email_to,
        registry_name=text.registry_name,
        controller=declaration().controller,
        contact=declaration().contact,
        holds_data=person is not None,
        redactions=tuple(RedactionNote(n, r.reason) for n, r in enumerate(redactions, 1))
        if person
        else (),
        **parts,  # type: ignore[arg-type]
    )
    head = LetterHead(
        language,
        report.reference,
        now,
        request.received_on,
        request.requester_name,
        lines,
        email_to,
        signer,
        draft=not final,
        abroad=abroad,
    )
    return report, head


def build_for_person(
    session: Session, actor: Actor, person_id: int, now: dt.datetime, language: str
) -> tuple[AccessReport, LetterHead]:
    """The same report for a person, outside any request (the command line's)."""
    require(actor, Permission.GENERATE_ACCESS_REPORT)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person {person_id} in the registry.")
    t, text = words(language), declaration_text(language)
    name = f"{person.first_name} {person.last_name}"
    lines, email_to, abroad = address_block(name, person, person.email or "", None, t)
    signer = _handler(session, actor)
    report = AccessReport(
        reference=person_reference(person_id),
        language=language,
        final=True,
        generated_at=now,
        generated_by=signer,
        request_id=None,
        received_on=None,
        requester_name=name,
        requester_contact=person.email or "",
        address_lines=lines,
        email_to=email_to,
        registry_name=text.registry_name,
        controller=declaration().controller,
        contact=declaration().contact,
        holds_data=True,
        redactions=(),
        **_contents(session, actor, person, t, text, NO_REDACTIONS, deadlines.today()),  # type: ignore[arg-type]
    )
    head = LetterHead(
        language, report.reference, now, None, name, lines, email_to, signer, abroad=abroad
    )
    return report, head


def to_html(report: AccessReport, head: LetterHead) -> str:
    return access_report_html(report, head)


def _json_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot put {type(value).__name__} in the report's JSON")


def to_json(report: AccessReport) -> str:
    """Machine-readable (Art. 15(3)): codes as stored, timestamps in UTC (ISO 8601)."""
    body = {"format": JSON_FORMAT, **asdict(report)}
    return json.dumps(body, default=_json_value, ensure_ascii=False, indent=2)
