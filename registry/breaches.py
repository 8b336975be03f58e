"""Personal data breaches: the register, the 72-hour clock, and the decisions (issue 22).

Every breach is documented whether it is notified or not (Art. 33(5)): what happened, when
it happened and when the controller became aware, its source, the data categories and
relationships concerned, the likely consequences, the measures, the risk assessment, and the
decisions with their dates: notified to the Data Protection Ombudsman or why not (Art. 33),
persons told or why not (Art. 34). Each write is one transaction with a breach_change row
(who, when, each field old -> new) and an audit event that names ids only. Nothing is
deleted; the database refuses it (migration 0008).

Times are stored in UTC and entered and shown in Helsinki time. The clock runs on elapsed
hours (UTC), so 72 hours from an evening before a daylight-saving change ends at another
wall-clock hour than it began.

Who was affected is computed in registry.breach_persons; the documents (the notification,
the letters and the letters list) are made in registry.breach_documents.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, settings, validation
from registry.disclosures import CATEGORY_LABELS
from registry.errors import ConflictError, NotFound, ValidationError
from registry.models import AppUser, Breach, BreachChange, Disclosure, Recipient, utcnow
from registry.permissions import Actor, Permission, require
from registry.recipients import RELATIONSHIP_LABELS
from registry.vocabulary import (
    AuthorityDecision,
    BreachRisk,
    BreachSource,
    PersonsDecision,
    PersonsExemption,
)

# Art. 33(1): notified "where feasible, not later than 72 hours after having become aware".
# Hours as they pass, weekends and holidays included (WP29 guidelines WP250, II.A).
NOTIFICATION_HOURS = 72


def reference(breach_id: int) -> str:
    return f"BR-{breach_id:04d}"


# --- Helsinki wall time ---------------------------------------------------------------


class NonexistentTime(ValueError):
    """A Helsinki wall time skipped when the clocks go forward (e.g. 29.3.2026 03.30)."""


def from_helsinki(value: dt.datetime) -> dt.datetime:
    """A naive Helsinki wall time (or an aware time) as UTC.

    A time that happens twice when the clocks go back is read as the first of the two: for
    awareness that starts the clock an hour sooner, the reading that protects the person.
    """
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    local = value.replace(tzinfo=settings.REGISTRY_TZ, fold=0)
    utc = local.astimezone(dt.UTC)
    if utc.astimezone(settings.REGISTRY_TZ).replace(tzinfo=None) != value:
        raise NonexistentTime(value)
    return utc


def helsinki(value: dt.datetime) -> dt.datetime:
    return value.astimezone(settings.REGISTRY_TZ)


def helsinki_text(value: dt.datetime | None) -> str:
    """5.3.2026 14.05, Finnish style, in Helsinki time."""
    if value is None:
        return ""
    local = helsinki(value)
    return f"{local.day}.{local.month}.{local.year} {local:%H.%M}"


# --- the clock (Art. 33(1)) -----------------------------------------------------------


class ClockState(StrEnum):
    RUNNING = "running"  # more than BREACH_CLOCK_AMBER_HOURS left
    AMBER = "amber"  # under BREACH_CLOCK_AMBER_HOURS left
    PASSED = "passed"  # the deadline passed without a decision
    NOTIFIED = "notified"  # notified within the 72 hours
    NOTIFIED_LATE = "notified_late"  # notified after them
    NOT_NOTIFIED = "not_notified"  # decided not to notify (no risk), with the reason


CLOCK_COLOURS: dict[ClockState, str] = {
    ClockState.RUNNING: "green",
    ClockState.AMBER: "orange",
    ClockState.PASSED: "red",
    ClockState.NOTIFIED: "gray",
    ClockState.NOTIFIED_LATE: "gray",
    ClockState.NOT_NOTIFIED: "gray",
}


@dataclass(frozen=True)
class Clock:
    """Where a breach stands against the 72 hours, at `now` or at its notification."""

    aware_at: dt.datetime
    deadline: dt.datetime  # UTC
    hours_left: float  # negative once passed; for a notification, its margin
    state: ClockState

    @property
    def is_open(self) -> bool:
        return self.state in (ClockState.RUNNING, ClockState.AMBER, ClockState.PASSED)

    @property
    def colour(self) -> str:
        return CLOCK_COLOURS[self.state]

    @property
    def deadline_text(self) -> str:
        return helsinki_text(self.deadline)

    @property
    def text(self) -> str:
        """ "31 h left", "5 h overdue", "notified 3 h before the deadline"..."""
        h = self.hours_left
        if self.state in (ClockState.RUNNING, ClockState.AMBER):
            return f"{math.floor(h)} h left"
        if self.state == ClockState.PASSED:
            return f"{math.ceil(-h)} h overdue"
        if self.state == ClockState.NOTIFIED:
            return "notified in time"
        if self.state == ClockState.NOTIFIED_LATE:
            return f"notified {math.ceil(-h)} h late"
        return "not notified (no risk)"


def deadline_of(aware_at: dt.datetime) -> dt.datetime:
    """Awareness + 72 hours, counted in UTC."""
    return aware_at.astimezone(dt.UTC) + dt.timedelta(hours=NOTIFICATION_HOURS)


def clock(
    aware_at: dt.datetime,
    now: dt.datetime,
    authority_decision: str | None = None,
    notified_at: dt.datetime | None = None,
) -> Clock:
    deadline = deadline_of(aware_at)
    if authority_decision == AuthorityDecision.NOTIFIED and notified_at is not None:
        left = (deadline - notified_at).total_seconds() / 3600
        state = ClockState.NOTIFIED if left >= 0 else ClockState.NOTIFIED_LATE
        return Clock(aware_at, deadline, left, state)
    if authority_decision == AuthorityDecision.NOT_NOTIFIED:
        return Clock(
            aware_at, deadline, (deadline - now).total_seconds() / 3600, ClockState.NOT_NOTIFIED
        )
    left = (deadline - now).total_seconds() / 3600
    if left < 0:
        state = ClockState.PASSED
    elif left < settings.BREACH_CLOCK_AMBER_HOURS:
        state = ClockState.AMBER
    else:
        state = ClockState.RUNNING
    return Clock(aware_at, deadline, left, state)


def clock_of(breach: Breach, now: dt.datetime | None = None) -> Clock:
    return clock(
        breach.aware_at,
        now or utcnow(),
        breach.authority_decision,
        breach.authority_notified_at,
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
    session.add(
        BreachChange(
            breach_id=breach.id,
            at=utcnow(),
            actor_id=actor.user_id,
            actor_name=actor.username[:100],
            action=action,
            changes=changes,
            note=note,
        )
    )
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


# --- the decisions ----------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorityInput:
    """Notified to the Data Protection Ombudsman (when, their reference), or why not."""

    decision: str | None
    notified_at: dt.datetime | None = None  # Helsinki wall time, or aware
    reference: str = ""
    reason: str = ""
    delay_reasons: str = ""


def decide_authority(
    session: Session,
    actor: Actor,
    breach_id: int,
    data: AuthorityInput,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Breach:
    """Record whether the Ombudsman was notified (Art. 33); stops the clock."""
    require(actor, Permission.MANAGE_BREACHES)
    now = now or utcnow()
    try:
        breach = _locked(session, breach_id, version)
        errors: dict[str, str] = {}
        values: dict[str, Any] = {
            "authority_decision": data.decision,
            "authority_notified_at": None,
            "authority_reference": "",
            "authority_reason": "",
            "delay_reasons": "",
        }
        if data.decision == AuthorityDecision.NOTIFIED:
            notified = _when(
                errors,
                "notified_at",
                data.notified_at,
                now,
                required="Enter when the Ombudsman was notified.",
                future="A notification cannot be recorded before it is made.",
            )
            if notified is not None and notified < breach.aware_at:
                errors["notified_at"] = (
                    "The notification cannot come before the controller became aware of the "
                    f"breach ({helsinki_text(breach.aware_at)})."
                )
            values["authority_notified_at"] = notified
            values["authority_reference"] = _line(errors, "reference", data.reference, None)
            delay = _text(errors, "delay_reasons", data.delay_reasons, None)
            deadline = deadline_of(breach.aware_at)
            if notified is not None and notified > deadline and not delay:
                # Art. 33(1): "where the notification is not made within 72 hours, it shall
                # be accompanied by reasons for the delay".
                late = math.ceil((notified - deadline).total_seconds() / 3600)
                errors.setdefault(
                    "delay_reasons",
                    f"The notification came {late} h after the 72-hour deadline "
                    f"({helsinki_text(deadline)}): give the reasons for the delay "
                    "(Art. 33(1)).",
                )
            values["delay_reasons"] = delay if notified is None or notified > deadline else ""
        elif data.decision == AuthorityDecision.NOT_NOTIFIED:
            values["authority_reason"] = _text(
                errors, "reason", data.reason, "Say why the Ombudsman is not notified."
            )
            # Art. 33(1): only a breach "unlikely to result in a risk" goes unnotified.
            if breach.risk is None:
                errors["decision"] = (
                    "Assess the risk first: only a breach unlikely to result in a risk to "
                    "persons may go unnotified (Art. 33(1))."
                )
            elif breach.risk != BreachRisk.NO_RISK:
                errors["decision"] = (
                    "The risk assessment finds a risk: Art. 33(1) requires notifying the "
                    "Data Protection Ombudsman."
                )
        else:
            errors["decision"] = "Choose whether the Ombudsman was notified."
        if errors:
            raise ValidationError(errors)
        changes = _changes(breach, values)
        if changes:
            _log(session, actor, breach, "authority_decision", changes)
            session.commit()
        else:
            session.rollback()
    except Exception:
        session.rollback()
        raise
    return breach


@dataclass(frozen=True)
class PersonsInput:
    """Persons told (when, how), or why not (and for a high risk, the Art. 34(3) ground)."""

    decision: str | None
    told_at: dt.datetime | None = None  # Helsinki wall time, or aware
    how: str = ""
    exemption: str | None = None
    reason: str = ""


def decide_persons(
    session: Session,
    actor: Actor,
    breach_id: int,
    data: PersonsInput,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Breach:
    """Record whether the affected persons were told (Art. 34)."""
    require(actor, Permission.MANAGE_BREACHES)
    now = now or utcnow()
    try:
        breach = _locked(session, breach_id, version)
        errors: dict[str, str] = {}
        values: dict[str, Any] = {
            "persons_decision": data.decision,
            "persons_told_at": None,
            "persons_how": "",
            "persons_exemption": None,
            "persons_reason": "",
        }
        if data.decision == PersonsDecision.TOLD:
            told = _when(
                errors,
                "told_at",
                data.told_at,
                now,
                required="Enter when the persons were told.",
                future="Persons cannot be recorded as told before they are.",
            )
            if told is not None and told < breach.aware_at:
                errors["told_at"] = (
                    "The persons cannot have been told before the controller became aware of "
                    f"the breach ({helsinki_text(breach.aware_at)})."
                )
            values["persons_told_at"] = told
            values["persons_how"] = _line(
                errors, "how", data.how, "Say how they were told (e.g. letters by post)."
            )
        elif data.decision == PersonsDecision.NOT_TOLD:
            values["persons_reason"] = _text(
                errors, "reason", data.reason, "Say why the persons are not told."
            )
            if breach.risk is None:
                errors["decision"] = (
                    "Assess the risk first: persons must be told of a high-risk breach "
                    "(Art. 34(1))."
                )
            elif breach.risk == BreachRisk.HIGH_RISK:
                if data.exemption not in set(PersonsExemption):
                    errors["exemption"] = (
                        "A high-risk breach is told to each person unless a ground of "
                        "Art. 34(3) applies: choose it."
                    )
                values["persons_exemption"] = data.exemption
        else:
            errors["decision"] = "Choose whether the persons were told."
        if errors:
            raise ValidationError(errors)
        changes = _changes(breach, values)
        if changes:
            _log(session, actor, breach, "persons_decision", changes)
            session.commit()
        else:
            session.rollback()
    except Exception:
        session.rollback()
        raise
    return breach


# --- reading the register ---------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    """One breach in the register, with its clock at the time asked."""

    id: int
    reference: str
    summary: str
    source: str
    source_name: str  # the recipient, account, system or device
    occurred_at: dt.datetime
    aware_at: dt.datetime
    risk: str | None
    authority_decision: str | None
    authority_notified_at: dt.datetime | None
    persons_decision: str | None
    persons_told_at: dt.datetime | None
    affected_persons: int | None
    affected_counted_at: dt.datetime | None
    clock: Clock


def _source_names(session: Session, breaches: list[Breach]) -> dict[int, str]:
    recipient_ids = {b.source_recipient_id for b in breaches if b.source_recipient_id}
    user_ids = {b.source_user_id for b in breaches if b.source_user_id}
    recipients = dict(
        session.execute(
            select(Recipient.id, Recipient.name).where(Recipient.id.in_(recipient_ids))
        ).all()
    )
    users = dict(
        session.execute(select(AppUser.id, AppUser.username).where(AppUser.id.in_(user_ids))).all()
    )
    names = {}
    for b in breaches:
        if b.source == BreachSource.RECIPIENT:
            names[b.id] = recipients.get(b.source_recipient_id or 0, "")
        elif b.source == BreachSource.DASHBOARD_ACCOUNT:
            names[b.id] = users.get(b.source_user_id or 0, "")
        else:
            names[b.id] = b.source_detail
    return names


def _rows(session: Session, breaches: list[Breach], now: dt.datetime) -> list[RegisterRow]:
    names = _source_names(session, breaches)
    return [
        RegisterRow(
            b.id,
            reference(b.id),
            b.summary,
            b.source,
            names[b.id],
            b.occurred_at,
            b.aware_at,
            b.risk,
            b.authority_decision,
            b.authority_notified_at,
            b.persons_decision,
            b.persons_told_at,
            b.affected_persons,
            b.affected_counted_at,
            clock_of(b, now),
        )
        for b in breaches
    ]


def register(session: Session, actor: Actor, now: dt.datetime | None = None) -> list[RegisterRow]:
    """Every breach: open ones first, nearest deadline first; then the newest."""
    require(actor, Permission.MANAGE_BREACHES)
    query = select(Breach).order_by(Breach.aware_at.desc(), Breach.id.desc())
    rows = _rows(session, list(session.scalars(query)), now or utcnow())
    open_rows = sorted((r for r in rows if r.clock.is_open), key=lambda r: r.clock.deadline)
    return open_rows + [r for r in rows if not r.clock.is_open]


def open_clocks(
    session: Session, actor: Actor, now: dt.datetime | None = None
) -> list[RegisterRow]:
    """The breaches awaiting the Ombudsman decision, nearest deadline first (the Overview)."""
    require(actor, Permission.MANAGE_BREACHES)
    query = select(Breach).where(Breach.authority_decision.is_(None))
    rows = _rows(session, list(session.scalars(query)), now or utcnow())
    return sorted(rows, key=lambda r: r.clock.deadline)


def get(session: Session, actor: Actor, breach_id: int) -> Breach:
    require(actor, Permission.MANAGE_BREACHES)
    breach = session.get(Breach, breach_id)
    if breach is None:
        raise NotFound(f"Breach {breach_id} is not in the register.")
    return breach


def source_name(session: Session, actor: Actor, breach: Breach) -> str:
    require(actor, Permission.MANAGE_BREACHES)
    return _source_names(session, [breach])[breach.id]


@dataclass(frozen=True)
class ChangeRow:
    at: dt.datetime
    actor_name: str
    action: str
    changes: dict[str, list[str | None]]
    note: str


def history(session: Session, actor: Actor, breach_id: int) -> list[ChangeRow]:
    """Who recorded and changed the breach, when, and what; oldest first."""
    require(actor, Permission.MANAGE_BREACHES)
    query = (
        select(BreachChange)
        .where(BreachChange.breach_id == breach_id)
        .order_by(BreachChange.at, BreachChange.id)
    )
    return [
        ChangeRow(c.at, c.actor_name, c.action, dict(c.changes or {}), c.note)
        for c in session.scalars(query)
    ]


@dataclass(frozen=True)
class SourceChoices:
    recipients: list[tuple[int, str]]  # (id, "name (country)"), inactive ones too
    accounts: list[tuple[int, str]]  # (id, "username (role)")


def source_choices(session: Session, actor: Actor) -> SourceChoices:
    """What the form offers as a breach's source."""
    require(actor, Permission.MANAGE_BREACHES)
    recipients = session.execute(
        select(Recipient.id, Recipient.name, Recipient.country).order_by(Recipient.name)
    ).all()
    accounts = session.execute(
        select(AppUser.id, AppUser.username, AppUser.role).order_by(AppUser.username)
    ).all()
    return SourceChoices(
        [(i, f"{name} ({country})") for i, name, country in recipients],
        [(i, f"{name} ({role})") for i, name, role in accounts],
    )


# --- the access report (Art. 15) ----------------------------------------------------------


@dataclass(frozen=True)
class BreachConcerning:
    """A breach that concerned the person, as their access report lists it."""

    reference: str
    summary: str
    occurred_at: dt.datetime
    aware_at: dt.datetime
    data_categories: tuple[str, ...]
    persons_told_at: dt.datetime | None


def breaches_concerning(
    session: Session, person_id: int, now: dt.datetime | None = None
) -> list[BreachConcerning]:
    """The breaches whose affected persons include the person, oldest first.

    Read inside the access report's own permission check (registry.report.build). Each
    breach is tested with the same condition that counts its affected persons.
    """
    from registry import breach_persons  # it imports this module's neighbours, not this

    now = now or utcnow()
    found = []
    for breach in session.scalars(select(Breach).order_by(Breach.occurred_at, Breach.id)):
        if breach_persons.concerns(session, breach, person_id, now):
            found.append(
                BreachConcerning(
                    reference(breach.id),
                    breach.summary,
                    breach.occurred_at,
                    breach.aware_at,
                    tuple(breach.data_categories),
                    breach.persons_told_at,
                )
            )
    return found
