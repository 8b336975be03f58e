"""Disclosures recorded by hand on the Disclosures page: by person ids, as they happened, or
a saved segment's list for a channel, made by the export's rules (registry.export) and
checked before exactly the persons checked are recorded (registry.disclosures keeps them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, deadlines, export, filters, labels, settings, validation
from registry.disclosures import CATEGORY_LABELS, LEGAL_BASES, add_disclosure, batched
from registry.errors import ValidationError
from registry.export import ExportPreview
from registry.models import Disclosure, Person, Recipient, Segment, utcnow
from registry.permissions import Actor, Permission, require
from registry.recipients import disclosure_counts, status_of
from registry.vocabulary import Channel, DataCategory, RecipientRole


@dataclass(frozen=True)
class DisclosureInput:
    """The record form as typed: persons are ids separated by commas, spaces or lines, or
    the current members of a saved segment."""

    recipient_id: int | None
    purpose: str
    data_categories: tuple[str, ...]
    legal_basis: str
    persons: str
    disclosed_on: dt.date | None
    note: str = ""
    segment_id: int | None = None
    channel: str | None = None  # by segment: the channel the list was for


def segment_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the saved segments a disclosure by hand may name as its persons."""
    require(actor, Permission.RECORD_DISCLOSURE)
    return [
        (i, n) for i, n in session.execute(select(Segment.id, Segment.name).order_by(Segment.name))
    ]


def _segment(session: Session, segment_id: int) -> tuple[filters.Definition | None, str | None]:
    """The saved segment's definition, or the message to show."""
    segment = session.get(Segment, segment_id)
    if segment is None:
        return None, "Choose a saved segment."
    try:
        return filters.parse_definition(segment.definition), None
    except ValidationError:
        return None, f"The definition of the segment {segment.name} cannot be read."


_ID_SEPARATORS = re.compile(r"[\s,;]+")


def _person_ids(session: Session, text: str) -> tuple[list[int], str | None]:
    """The ids typed, in order and without repeats, or the message to show."""
    tokens = [t for t in _ID_SEPARATORS.split(text.strip()) if t]
    if not tokens:
        return [], "Enter the ids of the persons whose data was disclosed."
    bad = [t for t in tokens if not t.isdigit()]
    if bad:
        return [], f"Not a person id: {', '.join(bad[:5])}."
    ids = list(dict.fromkeys(int(t) for t in tokens))
    if len(ids) > settings.MANUAL_DISCLOSURE_MAX_PERSONS:
        return [], f"At most {settings.MANUAL_DISCLOSURE_MAX_PERSONS:,} persons at a time."
    missing: list[int] = []
    for batch in batched(ids, settings.EXPORT_BATCH_ROWS):
        found = set(session.scalars(select(Person.id).where(Person.id.in_(batch))))
        missing.extend(i for i in batch if i not in found)
    if missing:
        shown = ", ".join(str(i) for i in missing[:5])
        return [], f"No person with id {shown}{' and others' if len(missing) > 5 else ''}."
    return ids, None


# The person fields each of the notice's categories holds (amendments.FIELD_LABELS' names).
# A disclosure recorded by hand keeps every field of the categories chosen: which of them
# went is not known, and telling a recipient too many of a change protects the person.
CATEGORY_FIELDS: dict[str, tuple[str, ...]] = {
    DataCategory.BASIC: (
        "first_name",
        "last_name",
        "email",
        "phone",
        "street_address",
        "postal_code",
        "city",
        "country",
        "position",
        "employer",
        "gender",
    ),
    DataCategory.CUSTOMER_RELATIONSHIP: ("position", "employer"),
    DataCategory.SERVICE_USER: ("username",),
    DataCategory.TRANSACTIONS: (),
}


@dataclass(frozen=True)
class _Checked:
    """The record form's input once every field is valid."""

    recipient: Recipient
    purpose: str
    categories: list[str]
    disclosed_on: dt.date
    note: str
    ids: list[int]  # by person ids
    definition: filters.Definition | None  # by segment
    channel: Channel | None
    sharing: bool

    @property
    def fields(self) -> list[str]:
        return sorted({f for c in self.categories for f in CATEGORY_FIELDS[c]})


def _check(session: Session, data: DisclosureInput) -> _Checked:
    """Every field of the form checked; raises ValidationError naming each bad one."""
    errors: dict[str, str] = {}
    recipient = session.get(Recipient, data.recipient_id) if data.recipient_id else None
    if recipient is None:
        errors["recipient"] = "Choose the recipient from the register."
    elif not recipient.active:
        errors["recipient"] = f"{recipient.name} is no longer active in the register."
    purpose = " ".join(data.purpose.split())
    if not purpose:
        errors["purpose"] = "Say why the data was disclosed."
    elif len(purpose) > settings.MAX_SHORT_TEXT:
        errors["purpose"] = f"Use at most {settings.MAX_SHORT_TEXT} characters."
    categories = [c for c in CATEGORY_LABELS if c in data.data_categories]
    if not categories or len(categories) != len(set(data.data_categories)):
        errors["data_categories"] = "Choose one or more of the notice's data categories."
    by_segment = data.segment_id is not None
    if not by_segment and data.legal_basis not in LEGAL_BASES:
        errors["legal_basis"] = "Choose the legal basis of the disclosure."
    today = deadlines.today()
    if data.disclosed_on is None:
        errors["disclosed_on"] = "Enter the date of the disclosure."
    elif data.disclosed_on > today:
        errors["disclosed_on"] = "A disclosure cannot be recorded before it is made."
    elif by_segment and data.disclosed_on != today:
        # The list is the segment's list of today; who was sent on an earlier day is not
        # known from it, so an earlier disclosure is recorded by the ids of those sent.
        errors["disclosed_on"] = (
            "A list by segment is made today: record an earlier disclosure by the ids of "
            "the persons sent."
        )
    note = data.note.strip()
    if len(note) > settings.MAX_LONG_TEXT:
        errors["note"] = f"Use at most {settings.MAX_LONG_TEXT:,} characters."
    validation.refuse_hidden(errors, {"purpose": purpose})
    validation.refuse_hidden(errors, {"note": note}, allowed=validation.MULTILINE)
    ids: list[int] = []
    definition: filters.Definition | None = None
    channel: Channel | None = None
    if data.segment_id is None:
        if data.channel:
            errors["channel"] = "A channel applies only to a list by segment."
        ids, persons_error = _person_ids(session, data.persons)
    elif data.persons.strip():
        persons_error = "Give person ids or a segment, not both."
    else:
        definition, persons_error = _segment(session, data.segment_id)
        try:
            channel = Channel(data.channel or "")
        except ValueError:
            errors["channel"] = "Choose the channel the list was for."
    if persons_error:
        errors["persons"] = persons_error
    if channel is not None and recipient is not None and "recipient" not in errors:
        # The same rules as the export: the transfer, then the recipient's role.
        try:
            export.checked_recipient(session, recipient.id, today, channel)
        except ValidationError as e:
            errors.update(e.field_errors)
    if errors:
        raise ValidationError(errors)
    assert recipient is not None and data.disclosed_on is not None
    return _Checked(
        recipient,
        purpose,
        categories,
        data.disclosed_on,
        note,
        ids,
        definition,
        channel,
        recipient.role == RecipientRole.CONTROLLER,
    )


def check_list(session: Session, actor: Actor, data: DisclosureInput) -> ExportPreview:
    """Before a disclosure by segment is recorded: how many persons the list holds, per
    basis, and how many it leaves out and why, as the export counts them."""
    require(actor, Permission.RECORD_DISCLOSURE)
    checked = _check(session, data)
    if checked.definition is None or checked.channel is None:
        raise ValidationError({"persons": "Choose a saved segment and its channel."})
    return export.list_preview(
        session, checked.definition, checked.channel, deadlines.today(), checked.sharing
    )


def record_disclosure(
    session: Session,
    actor: Actor,
    data: DisclosureInput,
    shown: ExportPreview | None = None,
) -> Disclosure:
    """Record by hand a disclosure that was made; one transaction with its audit event.

    By person ids: those persons. By segment: the list the export would make today, each
    person with the basis relied on and the persons without one left out; `shown` is the
    check the user saw (`check_list`), and the record is refused if the list is not that one
    any more, so exactly the persons shown as sent are recorded.
    """
    require(actor, Permission.RECORD_DISCLOSURE)
    checked = _check(session, data)
    today = deadlines.today()
    if checked.definition is not None and shown is None:
        raise ValidationError({"persons": "Check the list before recording it."})
    # Today's disclosure is stamped now; an earlier one at noon of its Helsinki day.
    when = (
        utcnow()
        if checked.disclosed_on == today
        else dt.datetime.combine(checked.disclosed_on, dt.time(12), settings.REGISTRY_TZ)
    )
    recipient = checked.recipient
    reasons: Counter[str] = Counter()
    persons: Iterable[int] | Iterable[tuple[int, str]] = checked.ids
    if checked.definition is not None and checked.channel is not None:
        persons = (
            (person_id, basis)
            for person_id, basis, _values in export.listed_persons(
                session, checked.definition, checked.channel, today, checked.sharing, reasons
            )
        )
    try:
        disclosure = add_disclosure(
            session,
            actor,
            recipient.id,
            checked.purpose,
            checked.categories,
            data.legal_basis,  # by segment: the bases per person, set below
            persons,
            disclosed_at=when.astimezone(dt.UTC),
            note=checked.note,
            segment_id=data.segment_id,
            fields=checked.fields,
            made_by_registry=checked.definition is not None,
        )
        summary = f"{disclosure.person_count} persons"
        if checked.channel is not None and shown is not None:
            made = export.counted(checked.channel, reasons)
            if _unsent(made) != _unsent(shown):
                raise ValidationError(
                    {
                        "persons": "The list changed since it was checked (consent, objections "
                        f"or members): checked {shown.sentence()} Now {made.sentence()} "
                        "Check it again."
                    }
                )
            disclosure.legal_basis = made.legal_basis()[:200]
            summary = f"{labels.of(Channel, checked.channel).lower()} list: {made.sentence()}"
        problem = status_of(
            recipient, checked.disclosed_on, disclosure_counts(session).get(recipient.id, 0)
        )
        audit.record(
            session,
            actor,
            "disclosure_recorded",
            "disclosure",
            disclosure.id,
            f"{summary} to {recipient.name} ({recipient.country}) for {checked.purpose}"
            + (f"; transfer problem: {problem}" if problem else ""),
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return disclosure


def _unsent(preview: ExportPreview) -> tuple[int, dict[Any, int]]:
    """What a check and a recording must agree on: the matched persons and every reason
    for leaving one out except the suppression list, which is held against each row only
    as it is written (a suppressed person was counted as listed by the check)."""
    left = {r: n for r, n in preview.left_out.items() if n and r != "suppressed"}
    return preview.matched, left
