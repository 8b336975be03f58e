"""Rectification of a person's data (GDPR Art. 16) and its history. The person's data as the
page shows it is in `registry.persons`; telling the recipients of it (Art. 19) is in
`registry.notifications`.

An amendment is one transaction: the person row, one append-only `amendment` row per changed
field (old value, new value, who, when, reason, linked request) and an audit event. The form
remembers the row version it was opened with (Person.version is SQLAlchemy's version_id_col);
if anyone changed the person meanwhile, the save is refused with what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from registry import audit, disclosures, settings, validation
from registry.errors import ConflictError, NotFound, ValidationError
from registry.models import (
    Amendment,
    AppUser,
    DataSubjectRequest,
    Organisation,
    Person,
    utcnow,
)
from registry.permissions import Actor, Permission, require
from registry.vocabulary import RequestKind

# The editable fields in form order, with the words the page and the history use.
FIELD_LABELS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "street_address": "Street address",
    "postal_code": "Postal code",
    "city": "City",
    "country": "Country",
    "position": "Position",
    "employer": "Employer",
    "gender": "Gender",
}
# The employer is the person's organisation; every other field is the column of its name.
_COLUMN = {f: ("organisation_id" if f == "employer" else f) for f in FIELD_LABELS}
FORM_ERROR = "form"  # the key of an error about the whole form, not one field

FormValue = str | int | None


@dataclass(frozen=True)
class OpenedForm:
    """The values the amendment form showed, and the row version they were read at.

    Text fields hold "" when empty; `employer` holds the organisation id or None.
    """

    person_id: int
    version: int
    values: dict[str, FormValue]


def opened_form(person: Person) -> OpenedForm:
    """The amendment form as it opens on the person's current data and row version."""
    values: dict[str, FormValue] = {f: getattr(person, _COLUMN[f]) or "" for f in FIELD_LABELS}
    values["employer"] = person.organisation_id
    return OpenedForm(person.id, person.version, values)


def employers(
    session: Session,
    actor: Actor,
    text: str = "",
    *,
    include: Iterable[int | None] = (),
    limit: int = settings.EMPLOYER_CHOICES,
) -> dict[int, str]:
    """Organisations for the employer picker: id -> "name (business ID)", by name.

    Those whose name contains `text` or whose business ID starts with it, at most `limit`,
    and always the ones in `include` (the employer the form shows), so a choice never vanishes.
    """
    require(actor, Permission.AMEND_PERSON)
    wanted = [i for i in include if i is not None]
    query = select(Organisation.id, Organisation.name, Organisation.business_id)
    if needle := " ".join(text.split()).lower()[: settings.MAX_SHORT_TEXT]:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(
                func.lower(Organisation.name).like(f"%{escaped}%", escape="\\"),
                Organisation.business_id.like(f"{escaped}%", escape="\\"),
            )
        )
    rows = list(session.execute(query.order_by(Organisation.name, Organisation.id).limit(limit)))
    if missing := set(wanted) - {i for i, _, _ in rows}:
        rows += session.execute(
            select(Organisation.id, Organisation.name, Organisation.business_id).where(
                Organisation.id.in_(missing)
            )
        ).all()
    return {i: f"{name} ({business_id})" for i, name, business_id in rows}


# --- amending ---


@dataclass(frozen=True)
class FieldConflict:
    """A field someone else changed after the form was opened."""

    field: str
    label: str
    opened: str  # as the form showed it
    current: str  # as it is stored now
    changed_by: str | None  # from the latest amendment of the field, if one exists
    changed_at: dt.datetime | None


class AmendmentConflict(ConflictError):
    """The person changed since the form was opened; nothing was saved."""

    def __init__(self, current: OpenedForm, fields: list[FieldConflict]) -> None:
        self.current = current
        self.fields = fields
        changed = ", ".join(f.label.lower() for f in fields) or "fields outside this form"
        super().__init__(
            f"Someone else changed this person after you opened the form ({changed}). "
            "Nothing was saved; your input is kept."
        )


@dataclass(frozen=True)
class AmendmentResult:
    change_id: int  # the first amendment row of the save
    amended_at: dt.datetime
    fields: list[str]
    version: int  # the person's row version after the save
    recipients_to_notify: int  # recipients who received the data before the change


def _display(session: Session, field_name: str, value: FormValue) -> str | None:
    """A value as the history keeps it: the employer by name and business ID."""
    if value is None or value == "":
        return None
    if field_name == "employer":
        org = session.get(Organisation, value)
        return f"{org.name} ({org.business_id})" if org else f"organisation #{value}"
    return str(value)


def _checked(
    session: Session, person: Person, touched: Mapping[str, FormValue]
) -> tuple[dict[str, FormValue], dict[str, str]]:
    """Normalised values of the fields the user changed, and the messages of refused ones."""
    values: dict[str, FormValue] = {}
    errors: dict[str, str] = {}

    def take(field_name: str, result: FormValue | validation.Invalid) -> None:
        if isinstance(result, validation.Invalid):
            errors[field_name] = result.message
        else:
            values[field_name] = result

    def text(field_name: str) -> str:
        value = touched[field_name]
        return "" if value is None else str(value)

    for field_name in touched:
        match field_name:
            case "first_name" | "last_name":
                take(field_name, validation.name(text(field_name)))
            case "email":
                take(field_name, validation.email(text(field_name)))
            case "phone":
                take(field_name, validation.phone(text(field_name)))
            case "street_address":
                take(
                    field_name, validation.optional_text(text(field_name), settings.MAX_SHORT_TEXT)
                )
            case "city" | "position":
                take(
                    field_name, validation.optional_text(text(field_name), settings.MAX_NAME_LENGTH)
                )
            case "gender":
                take(
                    field_name,
                    validation.optional_text(text(field_name), settings.MAX_GENDER_LENGTH),
                )
            case "country":
                take(field_name, validation.country(text(field_name)))
            case "employer":
                org_id = touched[field_name]
                if org_id is not None and session.get(Organisation, org_id) is None:
                    errors[field_name] = "No such organisation: choose one from the list."
                else:
                    values[field_name] = org_id
    # A postal code is read in the person's country, the new one if it changes; a stored
    # code that the new country does not accept must be corrected with it.
    if "country" not in errors:
        country = str(values.get("country", person.country))
        if "postal_code" in touched:
            take("postal_code", validation.postal_code(text("postal_code"), country))
        elif "country" in values and person.postal_code:
            result = validation.postal_code(person.postal_code, country)
            if isinstance(result, validation.Invalid):
                errors["postal_code"] = (
                    f"{person.postal_code} does not fit {country}: {result.message}"
                )
            elif result != person.postal_code:
                values["postal_code"] = result
    return values, errors


def _check_request(session: Session, person_id: int, request_id: int) -> str | None:
    request = session.get(DataSubjectRequest, request_id)
    if request is None:
        return f"There is no request #{request_id}."
    if request.kind != RequestKind.RECTIFICATION:
        return f"Request #{request_id} is not a rectification request (it is {request.kind})."
    if request.person_id not in (None, person_id):
        return f"Request #{request_id} is about another person."
    return None


def _conflict(session: Session, person: Person, opened: OpenedForm) -> AmendmentConflict:
    current = opened_form(person)
    fields = []
    for field_name, label in FIELD_LABELS.items():
        was, now = opened.values.get(field_name), current.values[field_name]
        if was == now:
            continue
        latest = session.execute(
            select(Amendment.amended_at, AppUser.display_name, AppUser.username)
            .join(AppUser, AppUser.id == Amendment.amended_by)
            .where(Amendment.person_id == person.id, Amendment.field == field_name)
            .order_by(Amendment.amended_at.desc(), Amendment.id.desc())
            .limit(1)
        ).first()
        fields.append(
            FieldConflict(
                field_name,
                label,
                _display(session, field_name, was) or "",
                _display(session, field_name, now) or "",
                (latest.display_name or latest.username) if latest else None,
                latest.amended_at if latest else None,
            )
        )
    return AmendmentConflict(current, fields)


def amend_person(
    session: Session,
    actor: Actor,
    opened: OpenedForm,
    submitted: Mapping[str, FormValue],
    reason: str,
    request_id: int | None = None,
) -> AmendmentResult:
    """Rectify the fields the user changed from what `opened` showed, in one transaction.

    Raises ValidationError (field -> message) when any value is refused, and
    AmendmentConflict when the person changed after the form was opened; then nothing is
    stored.
    """
    require(actor, Permission.AMEND_PERSON)
    if unknown := set(submitted) - set(FIELD_LABELS):
        raise ValueError(f"not amendable: {', '.join(sorted(unknown))}")
    person = session.get(Person, opened.person_id, populate_existing=True)
    if person is None:
        raise NotFound(f"No person with id {opened.person_id}.")
    if person.erased_at is not None:  # Art. 17: rectifying would put erased data back
        raise ValidationError({FORM_ERROR: "This person was erased: there is no data to amend."})
    touched = {f: v for f, v in submitted.items() if v != opened.values.get(f)}
    values, errors = _checked(session, person, touched)
    checked_reason = validation.free_text(reason)
    if isinstance(checked_reason, validation.Invalid):
        errors["reason"] = (
            "Say why the data is amended (the request, or what was wrong)."
            if not reason.strip()
            else checked_reason.message
        )
    if request_id is not None and (problem := _check_request(session, person.id, request_id)):
        errors["request"] = problem
    if errors:
        raise ValidationError(errors)
    if person.version != opened.version:
        raise _conflict(session, person, opened)
    changed = {f: v for f, v in values.items() if v != getattr(person, _COLUMN[f])}
    if not changed:
        raise ValidationError({FORM_ERROR: "Nothing to amend: the values are those stored."})
    assert isinstance(checked_reason, str)
    now = utcnow()
    try:
        rows = []
        for field_name, new in changed.items():
            old = getattr(person, _COLUMN[field_name])
            rows.append(
                Amendment(
                    person_id=person.id,
                    field=field_name,
                    old_value=_display(session, field_name, old),
                    new_value=_display(session, field_name, new),
                    reason=checked_reason,
                    request_id=request_id,
                    amended_by=actor.user_id,
                    amended_at=now,
                )
            )
            setattr(person, _COLUMN[field_name], new)
        session.add_all(rows)
        session.flush()  # the UPDATE checks the row version here
        labels = ", ".join(FIELD_LABELS[f].lower() for f in changed)
        linked = f" for request #{request_id}" if request_id else ""
        audit.record(
            session,
            actor,
            "amend_person",
            "person",
            person.id,
            f"amended {labels}{linked} (amendments {', '.join(str(r.id) for r in rows)})",
        )
        session.commit()
    except StaleDataError:
        # Another transaction committed a change between our read and our UPDATE.
        session.rollback()
        fresh = session.get(Person, opened.person_id, populate_existing=True)
        assert fresh is not None
        raise _conflict(session, fresh, opened) from None
    except BaseException:
        session.rollback()
        raise
    # Art. 19: only recipients that received a changed field are to be told.
    recipients = {
        d.recipient_id
        for d in disclosures.of_person(session, actor, person.id, now)
        if d.sent_any(changed)
    }
    return AmendmentResult(
        rows[0].id, now, [FIELD_LABELS[f] for f in changed], person.version, len(recipients)
    )


def rebase(
    opened: OpenedForm, current: OpenedForm, submitted: Mapping[str, FormValue]
) -> dict[str, FormValue]:
    """After a conflict: the form values to continue from, on top of the current version.

    A field the user changed keeps the user's input; every other field takes its current
    value, so saving again cannot silently undo someone else's amendment.
    """
    return {
        f: submitted[f] if submitted.get(f) != opened.values.get(f) else current.values[f]
        for f in FIELD_LABELS
        if f in submitted or f in current.values
    }


# --- history ---


@dataclass(frozen=True)
class AmendmentHistoryRow:
    """One amended field as the person page's history lists it."""

    id: int
    amended_at: dt.datetime
    amended_by: str
    field: str
    label: str
    old_value: str | None
    new_value: str | None
    reason: str
    request_id: int | None


@dataclass(frozen=True)
class HistoryPage:
    rows: list[AmendmentHistoryRow]
    total: int


def history(
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
) -> HistoryPage:
    """All amendments of the person, newest first, with who and why; one page of them."""
    require(actor, Permission.VIEW_PERSON)
    total = session.scalar(
        select(func.count()).select_from(Amendment).where(Amendment.person_id == person_id)
    )
    rows = session.execute(
        select(Amendment, AppUser.display_name, AppUser.username)
        .join(AppUser, AppUser.id == Amendment.amended_by)
        .where(Amendment.person_id == person_id)
        .order_by(Amendment.amended_at.desc(), Amendment.id)
        .limit(min(limit, settings.MAX_PAGE_SIZE))
        .offset(offset)
    ).all()
    return HistoryPage(
        [
            AmendmentHistoryRow(
                a.id,
                a.amended_at,
                display_name or username,
                a.field,
                FIELD_LABELS.get(a.field, a.field),
                a.old_value,
                a.new_value,
                a.reason,
                a.request_id,
            )
            for a, display_name, username in rows
        ],
        total or 0,
    )
