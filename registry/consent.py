"""Direct-marketing permits and prohibitions: append-only events and the current status.

The current status of a (person, purpose) is its winning event: the latest `occurred_at`;
at an equal timestamp the more protective status wins (objected > withdrawn > granted), and
then the later-recorded event (higher id). So a grant never silently beats an objection made
at the same moment, and after an objection only an explicit new grant makes a person
contactable again (Art. 21(3), Art. 7(3)).

The winner is kept in `consent_state`, written in the same transaction as each event, so
counts and exports read one row per person and purpose instead of the whole history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Session

from registry import audit, settings, validation
from registry.errors import NotFound, ValidationError
from registry.models import ConsentEvent, ConsentState, Person, PersonMetrics, utcnow
from registry.permissions import Actor, Permission, require
from registry.vocabulary import (
    CONSENT_PRECEDENCE,
    ConsentSource,
    ConsentStatus,
    Purpose,
    Relationship,
)

# An objection to direct marketing (Art. 21(2)) covers every channel and the profiling
# done for it.
ALL_DIRECT_MARKETING: tuple[Purpose, ...] = tuple(Purpose)


def precedence(occurred_at: dt.datetime, status: str, event_id: int) -> tuple[object, ...]:
    """Sort key of an event: the greatest key is the current status."""
    return (occurred_at, CONSENT_PRECEDENCE[status], event_id)


# The same order in SQL, so a listed history shows the winning event first at a tie.
_precedence_rank = case(
    {str(k): v for k, v in CONSENT_PRECEDENCE.items()}, value=ConsentEvent.status
)


def _apply(session: Session, event: ConsentEvent) -> None:
    """Make `event` the current status of its (person, purpose) if it wins."""
    state = session.get(ConsentState, (event.person_id, event.purpose), with_for_update=True)
    has_evidence = bool(event.evidence and event.evidence.strip())
    if state is None:
        session.add(
            ConsentState(
                person_id=event.person_id,
                purpose=event.purpose,
                status=event.status,
                event_id=event.id,
                occurred_at=event.occurred_at,
                has_evidence=has_evidence,
            )
        )
        _stop_profiling(session, event)
        return
    current = session.get(ConsentEvent, state.event_id)
    assert current is not None
    if precedence(event.occurred_at, event.status, event.id) > precedence(
        current.occurred_at, current.status, current.id
    ):
        state.status, state.event_id = event.status, event.id
        state.occurred_at, state.has_evidence = event.occurred_at, has_evidence
    else:
        return
    _stop_profiling(session, event)


def _stop_profiling(session: Session, event: ConsentEvent) -> None:
    """A withdrawal of or objection to profiling that became current deletes the person's
    derived order and behaviour figures in the same transaction (Art. 21(2)-(3), Art. 7(3)):
    nothing profiles them from then on."""
    if event.purpose == Purpose.PROFILING and event.status in (
        ConsentStatus.WITHDRAWN,
        ConsentStatus.OBJECTED,
    ):
        session.execute(delete(PersonMetrics).where(PersonMetrics.person_id == event.person_id))


def validate_event(
    purposes: Sequence[str],
    status: str,
    source: str,
    evidence: str,
    occurred_at: dt.datetime,
    now: dt.datetime,
) -> dict[str, str]:
    """Field errors of a consent event form; empty when it may be recorded."""
    errors: dict[str, str] = {}
    if not purposes:
        errors["purposes"] = "Choose at least one purpose."
    elif bad := [p for p in purposes if p not in Purpose.__members__.values()]:
        errors["purposes"] = f"Unknown purpose: {', '.join(map(str, bad))}."
    if status not in (ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN, ConsentStatus.OBJECTED):
        errors["status"] = "Choose grant, withdraw or object."
    if source not in ConsentSource.__members__.values():
        errors["source"] = "Choose how the person told us."
    if status == ConsentStatus.GRANTED and not evidence.strip():
        # Art. 7(1): the controller must be able to demonstrate consent.
        errors["evidence"] = "A grant needs evidence (what the person signed, sent or ticked)."
    if len(evidence) > settings.MAX_LONG_TEXT:
        errors["evidence"] = f"Keep the evidence under {settings.MAX_LONG_TEXT} characters."
    validation.refuse_hidden(errors, {"evidence": evidence}, allowed=validation.MULTILINE)
    if occurred_at.tzinfo is None:
        errors["occurred_at"] = "The date needs a time zone."
    elif occurred_at > now:
        errors["occurred_at"] = "The date cannot be in the future."
    elif occurred_at.year < 2000:
        errors["occurred_at"] = "The date is too far in the past."
    return errors


# Art. 21(3): after an objection, a new grant must come from the person themself, in a form
# that leaves evidence of it (not a call or a word at an event that staff note down).
SOURCES_FROM_THE_PERSON: tuple[ConsentSource, ...] = (
    ConsentSource.LETTER,
    ConsentSource.EMAIL,
    ConsentSource.WEB_FORM,
    ConsentSource.APP,
)


def last_objection(session: Session, person_id: int, purposes: Sequence[str]) -> dt.datetime | None:
    """When the person last objected for any of the purposes, or None if they never did."""
    return session.scalar(
        select(func.max(ConsentEvent.occurred_at)).where(
            ConsentEvent.person_id == person_id,
            ConsentEvent.purpose.in_(list(purposes)),
            ConsentEvent.status == ConsentStatus.OBJECTED,
        )
    )


def objection_override_errors(
    actor: Actor, objected_at: dt.datetime, source: str, override: bool
) -> dict[str, str]:
    """Why a grant after an objection may not be recorded as given; empty when it may.

    Only the compliance role may record it, only from a source that comes from the person,
    and only once the user has confirmed the warning (the evidence is required of every grant).
    """
    day = objected_at.astimezone(settings.REGISTRY_TZ).strftime("%-d.%-m.%Y")
    if not actor.may(Permission.GRANT_AFTER_OBJECTION):
        return {
            "status": f"This person objected to direct marketing on {day} (Art. 21(3)). Only "
            "the compliance officer may record a new grant, from the person's own letter, "
            "email, web form or app, with its evidence."
        }
    errors: dict[str, str] = {}
    if source not in SOURCES_FROM_THE_PERSON:
        errors["source"] = (
            "After an objection a new grant must come from the person: a letter, an email, "
            "a web form or the app."
        )
    if not override:
        errors["override_objection"] = (
            f"This person objected to direct marketing on {day}. Confirm that the person "
            "themself asked for marketing again: the grant overrides the objection."
        )
    return errors


def add_consent(
    session: Session,
    actor: Actor,
    person_id: int,
    purposes: Sequence[str],
    status: str,
    source: str,
    evidence: str = "",
    occurred_at: dt.datetime | None = None,
    *,
    override_objection: bool = False,
) -> list[ConsentEvent]:
    """record_consent without the commit, for a caller whose own write must land with it."""
    require(actor, Permission.RECORD_CONSENT)
    now = utcnow()
    occurred_at = occurred_at or now
    evidence = evidence.strip()
    if errors := validate_event(purposes, status, source, evidence, occurred_at, now):
        raise ValidationError(errors)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    if person.erased_at is not None:
        raise ValidationError({"status": f"Person {person_id} was erased (Art. 17)."})
    if status == ConsentStatus.GRANTED:
        from registry import suppression

        # Art. 17, 21(3): an erased or objecting person's email or phone is not granted again.
        suppression.refuse_if_suppressed(
            session,
            email=person.email,
            phone=person.phone,
            what="granted consent again",
            field="status",
        )
    objected_at = None
    if status == ConsentStatus.GRANTED and (
        objected_at := last_objection(session, person_id, purposes)
    ):
        if errors := objection_override_errors(actor, objected_at, source, override_objection):
            raise ValidationError(errors)
    events = []
    for purpose in dict.fromkeys(purposes):
        event = ConsentEvent(
            person_id=person_id,
            purpose=purpose,
            status=status,
            occurred_at=occurred_at,
            source=source,
            evidence=evidence or None,
            recorded_by=actor.user_id,
            recorded_at=now,
        )
        session.add(event)
        session.flush()  # the id is part of the precedence key
        _apply(session, event)
        events.append(event)
    audit.record(
        session,
        actor,
        f"consent_{status}",
        "person",
        person_id,
        f"{', '.join(purposes)} via {source}"
        + ("; overrides an objection (Art. 21(3)), confirmed" if objected_at else ""),
    )
    return events


def record_consent(
    session: Session,
    actor: Actor,
    person_id: int,
    purposes: Sequence[str],
    status: str,
    source: str,
    evidence: str = "",
    occurred_at: dt.datetime | None = None,
    *,
    override_objection: bool = False,
) -> list[ConsentEvent]:
    """Record a grant, withdrawal or objection for one or more purposes, in one transaction.

    Takes effect at once: counts and exports read `consent_state`, updated here. A grant
    after an objection needs the compliance role, a source from the person, evidence and
    `override_objection` (the user confirmed the warning).
    """
    events = add_consent(
        session,
        actor,
        person_id,
        purposes,
        status,
        source,
        evidence,
        occurred_at,
        override_objection=override_objection,
    )
    session.commit()
    return events


def record_objection(
    session: Session,
    actor: Actor,
    person_id: int,
    source: str,
    evidence: str = "",
    occurred_at: dt.datetime | None = None,
) -> list[ConsentEvent]:
    """Art. 21(2): an objection to all direct marketing, including the profiling for it."""
    events = add_objection(session, actor, person_id, source, evidence, occurred_at)
    session.commit()
    return events


def add_objection(
    session: Session,
    actor: Actor,
    person_id: int,
    source: str,
    evidence: str = "",
    occurred_at: dt.datetime | None = None,
) -> list[ConsentEvent]:
    """record_objection without the commit: completing an objection request records it."""
    return add_consent(
        session,
        actor,
        person_id,
        ALL_DIRECT_MARKETING,
        ConsentStatus.OBJECTED,
        source,
        evidence,
        occurred_at,
    )


def current_status(session: Session, person_id: int) -> dict[Purpose, ConsentStatus]:
    """The status of every purpose for one person; purposes with no event are NEVER_ASKED."""
    rows = session.execute(
        select(ConsentState.purpose, ConsentState.status).where(ConsentState.person_id == person_id)
    ).all()
    status = {Purpose(p): ConsentStatus(s) for p, s in rows}
    return {p: status.get(p, ConsentStatus.NEVER_ASKED) for p in Purpose}


def history(session: Session, actor: Actor, person_id: int) -> list[ConsentEvent]:
    """The person's whole consent history, newest first (by the precedence order)."""
    require(actor, Permission.VIEW_CONSENT)
    return list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.person_id == person_id)
            .order_by(
                ConsentEvent.occurred_at.desc(), _precedence_rank.desc(), ConsentEvent.id.desc()
            )
        )
    )


def status_is(purpose: str, statuses: Iterable[str], person_id: SQLColumnExpression[int]):  # type: ignore[no-untyped-def]
    """SQL: the person's current status for `purpose` is one of `statuses`."""
    return (
        select(ConsentState.person_id)
        .where(
            ConsentState.person_id == person_id,
            ConsentState.purpose == purpose,
            ConsentState.status.in_(list(statuses)),
        )
        .exists()
    )


def granted_with_evidence(purpose: str, person_id: SQLColumnExpression[int]):  # type: ignore[no-untyped-def]
    """SQL: the person's current status for `purpose` is a grant the controller can
    demonstrate (Art. 7(1))."""
    return (
        select(ConsentState.person_id)
        .where(
            ConsentState.person_id == person_id,
            ConsentState.purpose == purpose,
            ConsentState.status == ConsentStatus.GRANTED,
            ConsentState.has_evidence,
        )
        .exists()
    )


def may_contact(purpose: str, person_id: ColumnElement[int]):  # type: ignore[no-untyped-def]
    """SQL: the person may be contacted for `purpose`: the current status is a grant."""
    return status_is(purpose, [ConsentStatus.GRANTED], person_id)


def current_statuses(*purposes: str) -> Select[int, str, str]:
    """SQL: (person_id, purpose, status) of every current status for the purposes, to join
    onto persons when counting many at once (one hash join, not a probe per person). A person
    never asked for a purpose has no row for it."""
    return select(ConsentState.person_id, ConsentState.purpose, ConsentState.status).where(
        ConsentState.purpose.in_(purposes)
    )


def current_states(*purposes: str) -> Select[int, str, str, bool]:
    """current_statuses with whether the winning event carries evidence (Art. 7(1))."""
    return select(
        ConsentState.person_id,
        ConsentState.purpose,
        ConsentState.status,
        ConsentState.has_evidence,
    ).where(ConsentState.purpose.in_(purposes))


def status_counts(session: Session) -> dict[Purpose, dict[ConsentStatus, int]]:
    """Persons per purpose and current status; aggregate counts, no personal data."""
    persons = session.scalar(select(func.count()).select_from(Person)) or 0
    rows = session.execute(
        select(ConsentState.purpose, ConsentState.status, func.count()).group_by(
            ConsentState.purpose, ConsentState.status
        )
    ).all()
    counts: dict[Purpose, dict[ConsentStatus, int]] = {
        p: dict.fromkeys(ConsentStatus, 0) for p in Purpose
    }
    for purpose, status, n in rows:
        counts[Purpose(purpose)][ConsentStatus(status)] = n
    for purpose in Purpose:
        asked = sum(counts[purpose].values())
        counts[purpose][ConsentStatus.NEVER_ASKED] = persons - asked
    return counts


def granted_without_evidence(purpose: str | None = None) -> ColumnElement[bool]:
    """SQL condition on ConsentState: a grant whose winning event carries no evidence."""
    condition = and_(ConsentState.status == ConsentStatus.GRANTED, ~ConsentState.has_evidence)
    return condition if purpose is None else and_(condition, ConsentState.purpose == purpose)


# --- labels, the sources staff record, and the dating of an event by its day ---

PURPOSE_LABELS: dict[str, str] = {
    Purpose.NEWSLETTER: "Newsletter",
    Purpose.EMAIL_MARKETING: "Email marketing",
    Purpose.IN_APP_MESSAGES: "In-app messages",
    Purpose.EVENTS: "Events",
    Purpose.PHONE: "Phone",
    Purpose.POST: "Post",
    Purpose.PROFILING: "Profiling for targeting",
    Purpose.SMS: "SMS",
    Purpose.SHARING_WITH_DEALERS: "Sharing with dealers",
}

STATUS_LABELS: dict[str, str] = {
    ConsentStatus.GRANTED: "Granted",
    ConsentStatus.WITHDRAWN: "Withdrawn",
    ConsentStatus.OBJECTED: "Objected",
    ConsentStatus.NEVER_ASKED: "Never asked",
}

SOURCE_LABELS: dict[str, str] = {
    ConsentSource.LETTER: "Letter",
    ConsentSource.EMAIL: "Email",
    ConsentSource.WEB_FORM: "Web form",
    ConsentSource.PHONE: "Phone",
    ConsentSource.IN_PERSON: "In person",
    ConsentSource.APP: "App",
    ConsentSource.EVENT: "Event",
}

RELATIONSHIP_LABELS: dict[str, str] = {
    Relationship.CUSTOMER_CONTACT: "Customer contact",
    Relationship.SERVICE_USER: "Service user",
    Relationship.OTHER_CONNECTION: "Other connection",
    Relationship.MARKETING_OPT_IN: "Marketing opt-in",
}

# How a person tells staff directly; the app and events record their own consents.
STAFF_SOURCES: tuple[ConsentSource, ...] = (
    ConsentSource.LETTER,
    ConsentSource.EMAIL,
    ConsentSource.WEB_FORM,
    ConsentSource.PHONE,
    ConsentSource.IN_PERSON,
)

OPT_OUTS = (ConsentStatus.WITHDRAWN, ConsentStatus.OBJECTED)


def moment_of(day: dt.date, status: str, now: dt.datetime | None = None) -> dt.datetime:
    """The timestamp of an event that a user dated by its Helsinki day.

    Today means now. An earlier day has no time of day, so it is read the protective way:
    a grant at the day's first moment, a withdrawal or objection at its last, so a dated
    grant never overrides an opt-out made on the same day. A future day stays in the future
    and is refused by the validation.
    """
    now = now or utcnow()
    today = now.astimezone(settings.REGISTRY_TZ).date()
    if day == today:
        return now
    if status in OPT_OUTS and day < today:
        return dt.datetime.combine(day, dt.time.max, settings.REGISTRY_TZ).astimezone(dt.UTC)
    return dt.datetime.combine(day, dt.time(), settings.REGISTRY_TZ).astimezone(dt.UTC)
