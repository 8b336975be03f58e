"""The decisions on a breach: the Ombudsman notified or why not (Art. 33), the persons
told or why not (Art. 34)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from registry.breaches.clock import deadline_of
from registry.breaches.recording import _changes, _line, _locked, _log, _text, _when
from registry.errors import ValidationError
from registry.formats import helsinki_text
from registry.models import Breach, utcnow
from registry.permissions import Actor, Permission, require
from registry.vocabulary import (
    AuthorityDecision,
    BreachRisk,
    PersonsDecision,
    PersonsExemption,
)

# --- the decisions ----------------------------------------------------------------------


def _decide(
    session: Session,
    actor: Actor,
    breach_id: int,
    version: int | None,
    action: str,
    values_of: Callable[[Breach, dict[str, str]], dict[str, Any]],
) -> Breach:
    """One decision: the breach locked at its version, the values checked, and any change
    written with its history row and audit event in one transaction."""
    require(actor, Permission.MANAGE_BREACHES)
    try:
        breach = _locked(session, breach_id, version)
        errors: dict[str, str] = {}
        values = values_of(breach, errors)
        if errors:
            raise ValidationError(errors)
        changes = _changes(breach, values)
        if changes:
            _log(session, actor, breach, action, changes)
            session.commit()
        else:
            session.rollback()
    except Exception:
        session.rollback()
        raise
    return breach


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
    return _decide(
        session,
        actor,
        breach_id,
        version,
        "authority_decision",
        lambda breach, errors: _authority_decision_values(breach, data, now or utcnow(), errors),
    )


def _authority_decision_values(
    breach: Breach, data: AuthorityInput, now: dt.datetime, errors: dict[str, str]
) -> dict[str, Any]:
    """The decision's columns; a refusal goes in `errors`."""
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
    return values


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
    return _decide(
        session,
        actor,
        breach_id,
        version,
        "persons_decision",
        lambda breach, errors: _persons_decision_values(breach, data, now or utcnow(), errors),
    )


def _persons_decision_values(
    breach: Breach, data: PersonsInput, now: dt.datetime, errors: dict[str, str]
) -> dict[str, Any]:
    """The decision's columns; a refusal goes in `errors`."""
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
                "Assess the risk first: persons must be told of a high-risk breach (Art. 34(1))."
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
    return values
