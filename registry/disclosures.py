"""Disclosures: what went to which recipient, when, why, and whose data (per-person rows).

Recorded by the target-list export, a breach letters list or by hand
(`registry.disclosure_by_hand`), all through `add_disclosure`; the log page's reads are in
`registry.disclosure_log`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from registry import audit, settings
from registry.errors import NotFound, ValidationError
from registry.models import (
    DisclosedPerson,
    Disclosure,
    Recipient,
)
from registry.permissions import Actor, Permission, require_any
from registry.recipients import derogation_refusal
from registry.restricted import restricted_at
from registry.transfers import in_eea
from registry.vocabulary import DataCategory

# The notice's four information categories, as the pages name them.
CATEGORY_LABELS: dict[str, str] = {
    DataCategory.BASIC: "Basic information",
    DataCategory.CUSTOMER_RELATIONSHIP: "Customer relationship",
    DataCategory.SERVICE_USER: "Service-user data",
    DataCategory.TRANSACTIONS: "Transactions and behaviour",
}

# The lawful bases of Art. 6(1) a disclosure by hand may rest on.
LEGAL_BASES: dict[str, str] = {
    "consent": "Consent, Art. 6(1)(a)",
    "contract": "Contract, Art. 6(1)(b)",
    "legal_obligation": "Legal obligation, Art. 6(1)(c)",
    "vital_interests": "Vital interests, Art. 6(1)(d)",
    "public_task": "Public task, Art. 6(1)(e)",
    "legitimate_interests": "Legitimate interests, Art. 6(1)(f)",
}


def batched(items: Iterable[int], size: int) -> Iterator[tuple[int, ...]]:
    """itertools.batched, which Python 3.11 does not have yet."""
    it = iter(items)
    while batch := tuple(islice(it, size)):
        yield batch


def add_disclosure(
    session: Session,
    actor: Actor,
    recipient_id: int,
    purpose: str,
    data_categories: list[str],
    legal_basis: str,
    person_ids: Iterable[int] | Iterable[tuple[int, str]],
    *,
    disclosed_at: dt.datetime,
    note: str = "",
    segment_id: int | None = None,
    fields: list[str] | None = None,
    made_by_registry: bool = True,
) -> Disclosure:
    """Add a disclosure and its per-person rows to the caller's transaction (no commit).

    Recorded by hand (compliance) or by a target-list export (marketing), which passes
    (person id, basis) pairs: the basis its list relied on for each person. `fields` are
    the person fields sent (None: not known, read as every field). `made_by_registry`: the
    list is made here and handed over after this record (an export, a list by segment), so
    a transfer the law does not allow is refused; a disclosure already made outside the
    registry is recorded as it happened, its problem stated by the caller.
    """
    require_any(actor, Permission.RECORD_DISCLOSURE, Permission.EXPORT_TARGET_LIST)
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound(f"Recipient {recipient_id} is not in the register.")
    if made_by_registry and (refusal := derogation_refusal(session, recipient)):
        raise ValidationError({"recipient": f"{refusal}."})
    disclosure = Disclosure(
        recipient_id=recipient_id,
        # Art. 15(2): the basis relied on now, kept even if the register changes later.
        transfer_mechanism=recipient.transfer_mechanism,
        agreement_date=recipient.agreement_date,
        disclosed_at=disclosed_at,
        purpose=purpose,
        data_categories=data_categories,
        legal_basis=legal_basis,
        note=note,
        segment_id=segment_id,
        recorded_by=actor.user_id,
        fields=fields,
    )
    session.add(disclosure)
    session.flush()
    unique_ids: dict[int, str | None] = {}
    for item in person_ids:
        pid, basis = item if isinstance(item, tuple) else (item, None)
        unique_ids.setdefault(pid, basis)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY, in the session's own transaction: a 100,000-person export spent half its
        # time in batched INSERTs.
        with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(
                "COPY disclosed_person (disclosure_id, person_id, basis) FROM STDIN"
            ) as copy:
                for pid, basis in unique_ids.items():
                    copy.write_row((disclosure.id, pid, basis))
    else:
        for batch in batched(unique_ids, settings.EXPORT_BATCH_ROWS):
            session.execute(
                insert(DisclosedPerson),
                [
                    {"disclosure_id": disclosure.id, "person_id": pid, "basis": unique_ids[pid]}
                    for pid in batch
                ],
            )
    disclosure.person_count = len(unique_ids)
    # Art. 18(2): a restricted person's data is not disclosed. Exports and segments leave them
    # out already; this is the last guard for every path, ids typed by hand included.
    held = session.scalars(
        select(DisclosedPerson.person_id)
        .where(
            DisclosedPerson.disclosure_id == disclosure.id,
            restricted_at(DisclosedPerson.person_id, disclosed_at),
        )
        .order_by(DisclosedPerson.person_id)
        .limit(6)
    ).all()
    if held:
        shown = ", ".join(str(i) for i in held[:5]) + (" and others" if len(held) > 5 else "")
        raise ValidationError(
            {
                "persons": f"Processing of person {shown} was restricted at that time "
                "(Art. 18): their data may not be disclosed. Leave them out."
            }
        )
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
    transfer_mechanism: str | None  # the basis relied on when made; None: not recorded
    purpose: str
    data_categories: list[str]
    agreement_date: dt.date | None = None
    basis_from_register: bool = False  # copied from the register by revision 0007
    # The person fields sent; None: not recorded (before 0019_transfers), every field assumed.
    fields: list[str] | None = None

    def sent_any(self, changed: Iterable[str]) -> bool:
        """Whether the disclosure sent any of the `changed` fields (Art. 19)."""
        return self.fields is None or not set(self.fields).isdisjoint(changed)


def view_of_person(session: Session, actor: Actor, person_id: int) -> list[PersonDisclosure]:
    """`of_person` for a user looking at one person's disclosures: a view of one person's data,
    so it is audited like the person and consent pages (by id only)."""
    found = of_person(session, actor, person_id)
    audit.record(session, actor, "view_person_disclosures", "person", person_id)
    session.commit()
    return found


def of_person(
    session: Session, actor: Actor, person_id: int, before: dt.datetime | None = None
) -> list[PersonDisclosure]:
    """Every disclosure of the person's data, newest first; optionally only those before."""
    require_any(actor, Permission.VIEW_DISCLOSURES, Permission.VIEW_PERSON)
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
            d.transfer_mechanism,
            d.purpose,
            list(d.data_categories),
            d.agreement_date,
            d.basis_from_register,
            None if d.fields is None else list(d.fields),
        )
        for d, r in session.execute(query).unique()
    ]
