"""Reading the breach register, and the breaches an access report lists (Art. 15)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.breaches import affected
from registry.breaches.clock import Clock, clock_of, reference
from registry.errors import NotFound
from registry.models import AppUser, Breach, BreachChange, Recipient, utcnow
from registry.permissions import Actor, Permission, require
from registry.vocabulary import (
    BreachSource,
)

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

    now = now or utcnow()
    found = []
    for breach in session.scalars(select(Breach).order_by(Breach.occurred_at, Breach.id)):
        if affected.concerns(session, breach, person_id, now):
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
