"""Test data: the rows tests build again and again, each in one place.

Every factory adds its row and commits (with commit=False it only flushes, so the row has its
id inside the test's transaction), and takes any other column as a keyword, so that a test
states only the values it is about. Rows that go through the registry's own workflow (a
logged request, a recorded consent) are made with the domain functions instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.orm import Session

from registry import consent, disclosures
from registry.models import ConsentEvent, DataSubjectRequest, Disclosure, Person, Recipient
from registry.vocabulary import ConsentSource

if TYPE_CHECKING:
    from registry.permissions import Actor

Row = TypeVar("Row")


def _keep(session: Session, row: Row, commit: bool) -> Row:
    session.add(row)
    if commit:
        session.commit()
    else:
        session.flush()
    return row


def person(
    session: Session,
    first_name: str = "Aino",
    last_name: str = "Virtanen",
    *,
    relationship: str = "customer_contact",
    source: str = "test",
    commit: bool = True,
    **columns: object,
) -> Person:
    """A data subject; the country is Finland unless given."""
    row = Person(
        first_name=first_name,
        last_name=last_name,
        relationship=relationship,
        source=source,
        **columns,
    )
    return _keep(session, row, commit)


def persons(
    session: Session, count: int, *, first_name: str = "First{i}", commit: bool = True, **columns
) -> list[Person]:
    """COUNT persons; any string column may use {i} (0, 1, ...) to tell them apart."""
    made = [
        Person(
            **{
                "first_name": first_name.format(i=i),
                "last_name": "Virtanen",
                "relationship": "customer_contact",
                "source": "test",
                **{k: v.format(i=i) if isinstance(v, str) else v for k, v in columns.items()},
            }
        )
        for i in range(count)
    ]
    session.add_all(made)
    if commit:
        session.commit()
    else:
        session.flush()
    return made


def recipient(
    session: Session,
    name: str,
    *,
    kind: str = "processor",
    service: str = "IT",
    country: str = "FI",
    transfer_mechanism: str = "not_needed",
    commit: bool = True,
    **columns: object,
) -> Recipient:
    """A recipient of disclosures; inside the EEA unless given a country and mechanism."""
    row = Recipient(
        name=name,
        kind=kind,
        service=service,
        country=country,
        transfer_mechanism=transfer_mechanism,
        **columns,
    )
    return _keep(session, row, commit)


def request_row(
    session: Session,
    kind: str = "rectification",
    *,
    person_id: int | None = None,
    channel: str = "email",
    received_on: dt.date = dt.date(2026, 5, 3),
    due_on: dt.date = dt.date(2026, 6, 3),
    requester_name: str = "Anna Virtanen",
    requester_contact: str = "anna.virtanen@yritys.fi",
    commit: bool = True,
    **columns: object,
) -> DataSubjectRequest:
    """A data subject request row as it stands, without the workflow's history or audit
    (tests of the workflow log requests with registry.requests)."""
    row = DataSubjectRequest(
        kind=kind,
        channel=channel,
        received_on=received_on,
        due_on=due_on,
        requester_name=requester_name,
        requester_contact=requester_contact,
        person_id=person_id,
        **columns,
    )
    return _keep(session, row, commit)


def imported_consent(
    session: Session,
    person_id: int,
    purpose: str,
    status: str,
    occurred_at: dt.datetime,
    source: str = ConsentSource.APP,
    evidence: str | None = None,
) -> ConsentEvent:
    """A consent event from an import, as the seed writes them: no evidence check, no audit
    event; the person's current state follows it as it would a recorded one."""
    event = ConsentEvent(
        person_id=person_id,
        purpose=purpose,
        status=status,
        occurred_at=occurred_at,
        source=source,
        evidence=evidence,
    )
    session.add(event)
    session.flush()
    consent._apply(session, event)
    session.commit()
    return event


def disclosure(
    session: Session,
    actor: Actor,
    recipient_id: int,
    person_ids: Iterable[int],
    *,
    purpose: str = "Newsletter",
    categories: Iterable[str] = ("basic",),
    legal_basis: str = "consent",
    disclosed_at: dt.datetime | None = None,
    commit: bool = True,
    **keywords: object,
) -> Disclosure:
    """A disclosure recorded through the registry (with its per-person rows)."""
    made = disclosures.add_disclosure(
        session,
        actor,
        recipient_id,
        purpose,
        list(categories),
        legal_basis,
        list(person_ids),
        disclosed_at=disclosed_at or dt.datetime.now(dt.UTC),
        **keywords,  # type: ignore[arg-type]
    )
    if commit:
        session.commit()
    return made


def csv_rows(data: str | bytes) -> list[dict[str, str]]:
    """A downloaded CSV read as Excel set to Finnish would: it must start with the UTF-8 BOM
    and be separated by the declared separator (registry.spreadsheet)."""
    import csv
    import io

    from registry import spreadsheet

    text = data.decode("utf-8") if isinstance(data, bytes) else data
    assert text.startswith(spreadsheet.BOM), "no byte order mark: Excel would misread ä and ö"
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=spreadsheet.delimiter()))
