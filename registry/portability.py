"""Data portability (GDPR Art. 20): the data the person provided, in a structured, commonly
used and machine-readable form: JSON and CSV.

"Provided" is read as the Article 29 Working Party's guidelines on portability (WP 242 rev.01)
read it: what the person gave actively (their contact and service-user details, what they
told us of direct marketing) and what they gave by using the service (orders under the
contract, website, newsletter, event and app activity). Not what the registry derived from
it (order and engagement figures, segments), and never the password hash.

Generating it is a step of a verified portability request (`Action.PORTABLE`): recorded on
the request (data_exported_at) with its transition and audit event, in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import notice, spreadsheet
from registry.errors import ValidationError
from registry.models import Activity, ConsentEvent, DataSubjectRequest, Order, Person, utcnow
from registry.permissions import Actor, Permission, require
from registry.requests.rules import Action
from registry.requests.transitions import step

# The person's own fields, in the order the file lists them.
PERSON_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "street_address",
    "postal_code",
    "city",
    "country",
    "position",
    "gender",
    "username",
    "latitude",
    "longitude",
)


@dataclass(frozen=True)
class PortableData:
    request_id: int
    person_id: int
    json: str
    csv: str
    records: int  # rows of the CSV below its header
    xlsx: bytes


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def gather(session: Session, person_id: int) -> dict[str, Any]:
    """The person's provided data as one document (no permission check: callers make it)."""
    person = session.get(Person, person_id)
    if person is None:
        raise ValidationError({"person_id": "The matched person is no longer in the registry."})
    details: dict[str, Any] = {f: _value(getattr(person, f)) for f in PERSON_FIELDS}
    details["employer"] = person.organisation.name if person.organisation else None
    events = session.execute(
        select(
            ConsentEvent.purpose,
            ConsentEvent.status,
            ConsentEvent.occurred_at,
            ConsentEvent.source,
            ConsentEvent.evidence,
        )
        .where(ConsentEvent.person_id == person_id)
        .order_by(ConsentEvent.occurred_at, ConsentEvent.id)
    ).all()
    orders = session.execute(
        select(Order.ordered_on, Order.product, Order.amount_eur, Order.status)
        .where(Order.person_id == person_id)
        .order_by(Order.ordered_on, Order.id)
    ).all()
    activities = session.execute(
        select(Activity.occurred_at, Activity.kind, Activity.detail, Activity.city)
        .where(Activity.person_id == person_id)
        .order_by(Activity.occurred_at, Activity.id)
    ).all()

    def rows(result: Any) -> list[dict[str, Any]]:
        return [{k: _value(v) for k, v in row._mapping.items()} for row in result]

    return {
        "controller": notice.declaration().controller.name,
        "generated_at": utcnow().isoformat(),
        "person": details,
        "direct_marketing": rows(events),
        "orders": rows(orders),
        "activities": rows(activities),
    }


PORTABLE_COLUMNS = ("record", "number", "field", "value")


def _records(document: dict[str, Any]) -> Iterator[tuple[str, int, str, Any]]:
    """One long table: record, number, field, value; every section of the JSON in it."""
    for field, value in document["person"].items():
        yield "person", 1, field, value
    for section in ("direct_marketing", "orders", "activities"):
        for number, row in enumerate(document[section], start=1):
            for field, value in row.items():
                yield section, number, field, value


def as_csv(document: dict[str, Any]) -> tuple[str, int]:
    """The long table as CSV (comma-separated, for the machine that reads it, Art. 20(1))."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PORTABLE_COLUMNS)
    count = 0
    for record, number, field, value in _records(document):
        # A spreadsheet would run such text as a formula (CSV injection): registry.spreadsheet.
        writer.writerow([record, number, field, spreadsheet.neutralised(value)])
        count += 1
    return out.getvalue(), count


def as_xlsx(document: dict[str, Any]) -> bytes:
    """The same long table as an XLSX workbook, for the person who opens it in Excel."""
    return spreadsheet.table(
        spreadsheet.FileFormat.XLSX, PORTABLE_COLUMNS, _records(document), "data"
    )


def generate(session: Session, actor: Actor, request_id: int) -> PortableData:
    """The person's portable data for a verified portability request, recorded as a step."""
    require(actor, Permission.HANDLE_REQUESTS)
    made: dict[str, Any] = {}

    def change(request: DataSubjectRequest) -> str:
        if request.person_id is None:
            raise ValidationError(
                {
                    "portable": "Not matched to a person: there is no data to give. If the "
                    "registry holds nothing on the requester, reject the request with that reason."
                }
            )
        document = gather(session, request.person_id)
        text = json.dumps(document, ensure_ascii=False, indent=2)
        table, records = as_csv(document)
        request.data_exported_at = utcnow()
        made.update(
            person_id=request.person_id,
            json=text,
            csv=table,
            records=records,
            xlsx=as_xlsx(document),
        )
        return (
            f"person {request.person_id}: {len(document['direct_marketing'])} consent events, "
            f"{len(document['orders'])} orders, {len(document['activities'])} activities"
        )

    step(session, actor, request_id, Action.PORTABLE, change)
    return PortableData(request_id, **made)
