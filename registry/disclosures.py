"""Disclosures: what went to which recipient, when, why, and whose data (per-person rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import batched

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from registry import settings
from registry.auth import Actor, Permission, require
from registry.models import DisclosedPerson, Disclosure, Recipient
from registry.transfers import in_eea


def add_disclosure(
    session: Session,
    actor: Actor,
    recipient_id: int,
    purpose: str,
    data_categories: list[str],
    legal_basis: str,
    person_ids: Iterable[int],
    *,
    disclosed_at: dt.datetime,
    note: str = "",
    segment_id: int | None = None,
) -> Disclosure:
    """Add a disclosure and its per-person rows to the caller's transaction (no commit).

    The caller has checked its own permission (recording by hand, or a segment export).
    """
    disclosure = Disclosure(
        recipient_id=recipient_id,
        disclosed_at=disclosed_at,
        purpose=purpose,
        data_categories=data_categories,
        legal_basis=legal_basis,
        note=note,
        segment_id=segment_id,
        recorded_by=actor.user_id,
    )
    session.add(disclosure)
    session.flush()
    count = 0
    for batch in batched(dict.fromkeys(person_ids), settings.EXPORT_BATCH_ROWS):
        session.execute(
            insert(DisclosedPerson),
            [{"disclosure_id": disclosure.id, "person_id": pid} for pid in batch],
        )
        count += len(batch)
    disclosure.person_count = count
    return disclosure


@dataclass(frozen=True)
class PersonDisclosure:
    """One disclosure of one person's data, as the access report and Art. 19 need it."""

    disclosure_id: int
    disclosed_at: dt.datetime
    recipient_id: int
    recipient_name: str
    country: str
    third_country: bool
    transfer_mechanism: str
    purpose: str
    data_categories: list[str]


def of_person(
    session: Session, actor: Actor, person_id: int, before: dt.datetime | None = None
) -> list[PersonDisclosure]:
    """Every disclosure of the person's data, newest first; optionally only those before."""
    if not (actor.may(Permission.VIEW_DISCLOSURES) or actor.may(Permission.VIEW_PERSON)):
        require(actor, Permission.VIEW_DISCLOSURES)
    query = (
        select(Disclosure, Recipient)
        .join(DisclosedPerson, DisclosedPerson.disclosure_id == Disclosure.id)
        .join(Recipient, Recipient.id == Disclosure.recipient_id)
        .where(DisclosedPerson.person_id == person_id)
        .order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc())
    )
    if before is not None:
        query = query.where(Disclosure.disclosed_at < before)
    return [
        PersonDisclosure(
            d.id,
            d.disclosed_at,
            r.id,
            r.name,
            r.country,
            not in_eea(r.country),
            r.transfer_mechanism,
            d.purpose,
            list(d.data_categories),
        )
        for d, r in session.execute(query).unique()
    ]
