"""The letters list for a mailing processor: the affected persons' names and addresses as
CSV or XLSX, recorded as a disclosure to that processor (Art. 34; Act 917/2014)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, deadlines, spreadsheet
from registry.breaches import affected
from registry.breaches.affected import LetterRow
from registry.breaches.clock import reference
from registry.breaches.documents import letter_language
from registry.breaches.recording import _history_line
from registry.disclosures import LEGAL_BASES, add_disclosure
from registry.errors import NotFound, ValidationError
from registry.models import Breach, Recipient, utcnow
from registry.permissions import Actor, Permission, require
from registry.recipients import status_of
from registry.vocabulary import (
    DataCategory,
    RecipientRole,
)

# --- the letters list for a mailing processor ----------------------------------------------


FileFormat = spreadsheet.FileFormat
FILE_FORMATS = {FileFormat.CSV: "CSV (UTF-8)", FileFormat.XLSX: "Excel workbook (XLSX)"}
LETTER_COLUMNS = (
    "letter_reference",
    "language",
    "first_name",
    "last_name",
    "email",
    "street_address",
    "postal_code",
    "city",
    "country",
)


def has_address(row: LetterRow) -> bool:
    """A letter can reach the person: by email, or by post to a full address."""
    return bool(row.email) or bool(row.street_address and row.postal_code and row.city)


@dataclass(frozen=True)
class LettersList:
    disclosure_id: int
    rows: int
    without_address: int  # affected persons left out: no email and no full postal address
    by_language: dict[str, int]
    recipient: str
    file_name: str


def _mailing_recipient(session: Session, recipient_id: int | None) -> Recipient:
    recipient = session.get(Recipient, recipient_id) if recipient_id is not None else None
    if recipient is None or not recipient.active:
        raise ValidationError(
            {"recipient": "Choose an active mailing processor from the register."}
        )
    # Lists go to delivery processors (DESIGN.md, Act 917/2014 rules of the registry).
    if recipient.role != RecipientRole.PROCESSOR:
        raise ValidationError(
            {"recipient": f"{recipient.name} is an independent controller: choose a processor."}
        )
    if problem := status_of(recipient, deadlines.today()):
        raise ValidationError(
            {"recipient": f"{recipient.name} may not receive personal data: {problem}."}
        )
    return recipient


def mailing_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """(id, "name (country)") of the recipients a letters list may go to today."""
    require(actor, Permission.MANAGE_BREACHES)
    query = (
        select(Recipient)
        .where(Recipient.active, Recipient.role == RecipientRole.PROCESSOR)
        .order_by(Recipient.name)
    )
    today = deadlines.today()
    return [
        (r.id, f"{r.name} ({r.country})")
        for r in session.scalars(query)
        if status_of(r, today) is None
    ]


def letters_list(
    session: Session,
    actor: Actor,
    breach_id: int,
    recipient_id: int | None,
    file_format: str,
    out: BinaryIO,
    now: dt.datetime | None = None,
) -> LettersList:
    """Write the letters list to `out` and record it as a disclosure to the mailing processor.

    One transaction: the disclosure with its per-person rows, the audit event and the line
    in the breach's history. The persons are told only when the letters are sent: that is
    recorded as the persons decision, not here.
    """
    require(actor, Permission.MANAGE_BREACHES)
    now = now or utcnow()
    errors: dict[str, str] = {}
    if file_format not in FILE_FORMATS:
        errors["file_format"] = "Choose CSV or XLSX."
    try:
        recipient = _mailing_recipient(session, recipient_id)
    except ValidationError as e:
        errors.update(e.field_errors)
    if errors:
        raise ValidationError(errors)
    breach = session.get(Breach, breach_id)
    if breach is None:
        raise NotFound(f"Breach {breach_id} is not in the register.")
    ref = reference(breach.id)
    sheet = spreadsheet.sheet(file_format, out, "letters")
    sheet.writerow(LETTER_COLUMNS)
    languages: Counter[str] = Counter()
    left_out = 0

    def listed_ids() -> Iterator[int]:
        nonlocal left_out
        for row in affected.letter_rows(session, breach, now):
            if not has_address(row):
                left_out += 1
                continue
            language = letter_language(row.country)
            languages[language] += 1
            sheet.writerow(
                (
                    f"{ref}-{row.id}",
                    language,
                    row.first_name,
                    row.last_name,
                    row.email,
                    row.street_address,
                    row.postal_code,
                    row.city,
                    row.country,
                )
            )
            yield row.id

    try:
        disclosure = add_disclosure(
            session,
            actor,
            recipient.id,
            f"Art. 34 letters on the personal data breach {ref}",
            [DataCategory.BASIC.value],
            LEGAL_BASES["legal_obligation"],
            listed_ids(),
            disclosed_at=now,
            # The person fields of the list (the reference and language are the letter's).
            fields=[
                "first_name",
                "last_name",
                "email",
                "street_address",
                "postal_code",
                "city",
                "country",
            ],
        )
        rows = sum(languages.values())
        if rows == 0:
            raise ValidationError(
                {
                    "letters": "No affected person has an email or postal address: there is "
                    "nobody to send a letter to. Consider a public communication "
                    "(Art. 34(3)(c))."
                }
            )
        per_language = ", ".join(f"{k} {v}" for k, v in sorted(languages.items()))
        disclosure.note = (
            f"Letters list for breach {ref}: {rows} persons ({per_language}); "
            f"{left_out} affected persons without an email or postal address left out."
        )
        audit.record(
            session,
            actor,
            "breach_letters_exported",
            "disclosure",
            disclosure.id,
            f"breach {breach.id}: {rows} persons to recipient {recipient.id}, "
            f"{left_out} without an address",
        )
        _history_line(
            session,
            actor,
            breach.id,
            "letters_listed",
            {},
            f"disclosure {disclosure.id}: {rows} letters to {recipient.name} "
            f"({per_language}); {left_out} persons without an address",
        )
        sheet.close()
        session.commit()
    except Exception:
        session.rollback()
        raise
    return LettersList(
        disclosure.id,
        rows,
        left_out,
        dict(sorted(languages.items())),
        recipient.name,
        f"{ref.lower()}-letters-{deadlines.today().isoformat()}.{file_format}",
    )
