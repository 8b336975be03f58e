"""Recording and editing a breach (Art. 33(5)): the form, its checks, the history row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.orm import Session

from registry import audit, settings, validation
from registry.breaches.clock import NonexistentTime, from_helsinki, reference
from registry.disclosures import CATEGORY_LABELS
from registry.errors import ConflictError, NotFound, ValidationError
from registry.formats import helsinki_text
from registry.models import AppUser, Breach, BreachChange, Disclosure, Recipient, utcnow
from registry.permissions import Actor, Permission, require
from registry.recipients import RELATIONSHIP_LABELS
from registry.vocabulary import (
    AuthorityDecision,
    BreachRisk,
    BreachSource,
    PersonsDecision,
)

# --- recording and editing a breach -----------------------------------------------------


@dataclass(frozen=True)
class BreachInput:
    """The record and edit form as typed. Times are Helsinki wall times (naive) or aware."""

    summary: str
    description: str
    occurred_at: dt.datetime | None
    aware_at: dt.datetime | None
    source: str
    ended_at: dt.datetime | None = None
    source_recipient_id: int | None = None
    source_user_id: int | None = None
    source_disclosure_id: int | None = None
    source_detail: str = ""
    data_categories: tuple[str, ...] = ()
    relationships: tuple[str, ...] = ()
    consequences: str = ""
    measures: str = ""
    risk: str | None = None
    risk_reasoning: str = ""


# The columns a BreachInput sets, in the order the history lists them.
_INPUT_COLUMNS = tuple(f.name for f in fields(BreachInput))


def _when(
    errors: dict[str, str],
    field: str,
    value: dt.datetime | None,
    now: dt.datetime,
    *,
    required: str | None,
    future: str,
) -> dt.datetime | None:
    """A time field read as Helsinki time, or None with the message put in `errors`."""
    if value is None:
        if required:
            errors[field] = required
        return None
    try:
        utc = from_helsinki(value)
    except NonexistentTime:
        errors[field] = (
            f"{value:%H.%M} does not exist on {value.day}.{value.month}.{value.year} in "
            "Helsinki: the clocks went forward an hour. Enter the time as the clocks showed it."
        )
        return None
    if utc > now:
        errors[field] = future
        return None
    return utc


def _line(errors: dict[str, str], field: str, text: str, required: str | None) -> str:
    value = validation.optional_text(text, settings.MAX_SHORT_TEXT)
    if isinstance(value, validation.Invalid):
        errors[field] = value.message
        return ""
    if value is None and required:
        errors[field] = required
    return value or ""


def _text(errors: dict[str, str], field: str, text: str, required: str | None) -> str:
    if not text.strip():
        if required:
            errors[field] = required
        return ""
    value = validation.free_text(text, settings.MAX_LONG_TEXT)
    if isinstance(value, validation.Invalid):
        errors[field] = value.message
        return ""
    return value


def validate(
    session: Session,
    data: BreachInput,
    now: dt.datetime | None = None,
    current: Breach | None = None,
) -> dict[str, Any]:
    """The input as column values; raises ValidationError naming each bad field."""
    now = now or utcnow()
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "summary": _line(errors, "summary", data.summary, "Say in a line what happened."),
        "description": _text(
            errors, "description", data.description, "Describe what happened (the nature of it)."
        ),
    }
    occurred = _when(
        errors,
        "occurred_at",
        data.occurred_at,
        now,
        required="Enter when the breach happened (or began).",
        future="A breach cannot be recorded before it happens.",
    )
    aware = _when(
        errors,
        "aware_at",
        data.aware_at,
        now,
        required="Enter when the controller became aware of the breach: the 72 hours start then.",
        future="Awareness cannot be in the future.",
    )
    ended = _when(
        errors,
        "ended_at",
        data.ended_at,
        now,
        required=None,
        future="The breach cannot have ended in the future; leave it empty while it goes on.",
    )
    if occurred and aware and aware < occurred:
        errors["aware_at"] = (
            "The controller cannot have become aware before the breach happened "
            f"({helsinki_text(occurred)})."
        )
    if occurred and ended and ended < occurred:
        errors["ended_at"] = f"The breach cannot end before it began ({helsinki_text(occurred)})."
    values.update(occurred_at=occurred, aware_at=aware, ended_at=ended)

    values.update(
        source=data.source,
        source_recipient_id=None,
        source_user_id=None,
        source_disclosure_id=None,
        source_detail="",
    )
    if data.source == BreachSource.RECIPIENT:
        if (
            data.source_recipient_id is None
            or session.get(Recipient, data.source_recipient_id) is None
        ):
            errors["source_recipient_id"] = "Choose the recipient from the register."
        values["source_recipient_id"] = data.source_recipient_id
    elif data.source == BreachSource.DASHBOARD_ACCOUNT:
        if data.source_user_id is None or session.get(AppUser, data.source_user_id) is None:
            errors["source_user_id"] = "Choose the dashboard account that was misused."
        values["source_user_id"] = data.source_user_id
    elif data.source in (BreachSource.INTERNAL_SYSTEM, BreachSource.LOST_DEVICE):
        what = "system" if data.source == BreachSource.INTERNAL_SYSTEM else "device"
        values["source_detail"] = _line(
            errors, "source_detail", data.source_detail, f"Name the {what}."
        )
        if data.source_disclosure_id is not None:
            if session.get(Disclosure, data.source_disclosure_id) is None:
                errors["source_disclosure_id"] = (
                    f"No disclosure {data.source_disclosure_id} in the log; leave it empty "
                    f"if the {what} held the whole registry."
                )
            values["source_disclosure_id"] = data.source_disclosure_id
    else:
        errors["source"] = "Choose where the breach happened."

    categories = tuple(dict.fromkeys(data.data_categories))
    if not categories:
        errors["data_categories"] = "Choose the data categories concerned (at least one)."
    elif unknown := [c for c in categories if c not in CATEGORY_LABELS]:
        errors["data_categories"] = f"Unknown data category: {', '.join(unknown)}."
    relationships = tuple(dict.fromkeys(data.relationships))
    if unknown := [r for r in relationships if r not in RELATIONSHIP_LABELS]:
        errors["relationships"] = f"Unknown relationship: {', '.join(unknown)}."
    # Kept in the notice's order, so an unchanged choice is never recorded as a change.
    values["data_categories"] = [c for c in CATEGORY_LABELS if c in categories]
    values["relationships"] = [r for r in RELATIONSHIP_LABELS if r in relationships]

    values["consequences"] = _text(errors, "consequences", data.consequences, None)
    values["measures"] = _text(errors, "measures", data.measures, None)
    reasoning = _text(errors, "risk_reasoning", data.risk_reasoning, None)
    risk = data.risk or None
    if risk is not None and risk not in set(BreachRisk):
        errors["risk"] = "Choose no risk, risk or high risk."
    elif risk is not None and not reasoning and "risk_reasoning" not in errors:
        # Art. 33(5): the documentation must let the Ombudsman verify the assessment.
        errors["risk_reasoning"] = "Give the reasoning behind the risk assessment."
    elif risk is None and reasoning:
        errors["risk"] = "Choose the risk level that the reasoning supports."
    elif (
        current is not None
        and current.authority_decision == AuthorityDecision.NOT_NOTIFIED
        and risk != BreachRisk.NO_RISK
    ):
        errors["risk"] = (
            "The decision not to notify the Ombudsman rests on the finding of no risk: "
            "change that decision first."
        )
    elif (
        current is not None
        and current.persons_decision == PersonsDecision.NOT_TOLD
        and risk == BreachRisk.HIGH_RISK
        and current.persons_exemption is None
    ):
        errors["risk"] = (
            "The persons were not told, without an Art. 34(3) ground: record that decision "
            "again with its ground first."
        )
    values["risk"] = risk
    values["risk_reasoning"] = reasoning
    if errors:
        raise ValidationError(errors)
    return values


def _shown(value: Any) -> str | None:
    """A column value as the history shows it."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _changes(breach: Breach, values: dict[str, Any]) -> dict[str, list[str | None]]:
    """Set the values on the breach; returns {field: [old, new]} of those that changed."""
    changed: dict[str, list[str | None]] = {}
    for field, new in values.items():
        old = getattr(breach, field)
        if _shown(old) != _shown(new):
            changed[field] = [_shown(old), _shown(new)]
            setattr(breach, field, new)
    return changed


def _history_line(
    session: Session,
    actor: Actor,
    breach_id: int,
    action: str,
    changes: dict[str, list[str | None]],
    note: str = "",
) -> None:
    """A line in the breach's history (breach_change): who, when, what; the caller commits."""
    session.add(
        BreachChange(
            breach_id=breach_id,
            at=utcnow(),
            actor_id=actor.user_id,
            actor_name=actor.username[:100],
            action=action,
            changes=changes,
            note=note,
        )
    )


def _log(
    session: Session,
    actor: Actor,
    breach: Breach,
    action: str,
    changes: dict[str, list[str | None]],
    note: str = "",
    audit_detail: str = "",
) -> None:
    """The history row and the audit event of a write; the caller commits."""
    _history_line(session, actor, breach.id, action, changes, note)
    # Audit details name ids and field names only: a breach's texts may name persons.
    audit.record(
        session,
        actor,
        f"breach_{action}",
        "breach",
        breach.id,
        audit_detail or (f"fields: {', '.join(changes)}" if changes else ""),
    )


def record_breach(
    session: Session, actor: Actor, data: BreachInput, now: dt.datetime | None = None
) -> Breach:
    """Document a breach (Art. 33(5)); one transaction with its history row and audit event."""
    require(actor, Permission.MANAGE_BREACHES)
    values = validate(session, data, now)
    try:
        breach = Breach(recorded_by=actor.user_id, recorded_at=utcnow(), **values)
        session.add(breach)
        session.flush()
        changes = {k: [None, _shown(v)] for k, v in values.items() if _shown(v) not in (None, "")}
        _log(
            session,
            actor,
            breach,
            "recorded",
            changes,
            audit_detail=f"source {breach.source}; aware {breach.aware_at.isoformat()}",
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return breach


def _locked(session: Session, breach_id: int, version: int | None) -> Breach:
    breach = session.get(Breach, breach_id, with_for_update=True)
    if breach is None:
        raise NotFound(f"Breach {breach_id} is not in the register.")
    if version is not None and breach.version != version:
        raise ConflictError(
            f"{reference(breach_id)} was changed by someone else since you opened it. "
            "Reload it to see the change, then make yours."
        )
    return breach


def update_breach(
    session: Session,
    actor: Actor,
    breach_id: int,
    data: BreachInput,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Breach:
    """Change a breach's record; the history keeps each field's old and new value.

    `version` is the row version the form was opened at: a change made meanwhile by
    someone else is refused rather than overwritten.
    """
    require(actor, Permission.MANAGE_BREACHES)
    try:
        breach = _locked(session, breach_id, version)
        values = validate(session, data, now, current=breach)
        if (
            breach.authority_notified_at is not None
            and values["aware_at"] is not None
            and breach.authority_notified_at < values["aware_at"]
        ):
            raise ValidationError(
                {"aware_at": "The Ombudsman was notified before this time: awareness came first."}
            )
        changes = _changes(breach, values)
        if not changes:
            session.rollback()
            return breach
        _log(session, actor, breach, "changed", changes)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return breach
