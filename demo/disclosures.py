"""Recipients, the disclosures made to them over 18 months, and who was in each: only persons
whose consent allowed it at that moment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection

from demo.arrays import DAY, SECOND, to_datetime
from demo.consent import Granted
from demo.data.places import COUNTRIES
from demo.data.rates import CC, EMAIL, NEWSLETTER, OPT, POST, SHARING
from demo.data.texts import (
    CRM,
    DELIVERY_SERVICES,
    DPF_CHECKED_DAYS_AGO,
    NEWSLETTER_PROVIDER,
    PRINTER,
    RECIPIENT_SCOPES,
    RECIPIENTS,
    SURVEYS,
    TIA_DATES,
)
from demo.persons import Chunk
from demo.sinks import Sink
from registry.models import (
    Disclosure,
    Recipient,
)
from registry.vocabulary import (
    DataCategory,
    RecipientKind,
    RecipientRole,
    RecipientScope,
    TransferMechanism,
)

if TYPE_CHECKING:
    from demo.seeder import Seeder


@dataclass(frozen=True)
class DisclosurePlan:
    id: int
    recipient: str
    at_us: int
    selector: str  # newsletter_full, newsletter_new, leads, crm, survey, print
    since_us: int = 0
    country: int = -1
    rate: float = 1.0


_BASIS = {r[0]: (r[4], r[5]) for r in RECIPIENTS}  # name -> (mechanism, agreement date)


def insert_recipients(seeder: Seeder, conn: Connection) -> None:
    first = seeder.ids.take("recipient", len(RECIPIENTS))
    seeder.recipient_ids = {r[0]: first + i for i, r in enumerate(RECIPIENTS)}
    rows = [
        {
            "id": first + i,
            "name": name,
            "kind": RecipientKind(kind).value,
            "service": service,
            "country": country,
            "transfer_mechanism": TransferMechanism(mechanism).value,
            "agreement_date": agreed,
            "active": active,
            "role": (
                RecipientRole.CONTROLLER if kind == "dealer" else RecipientRole.PROCESSOR
            ).value,
            "scope": RECIPIENT_SCOPES.get(name, (RecipientScope.PER_DISCLOSURE, []))[0].value,
            "scope_categories": RECIPIENT_SCOPES.get(name, (None, []))[1],
            "scope_relationships": [],
            "delivers": DELIVERY_SERVICES.get(name),
            "dpf_checked_on": (
                seeder.today - dt.timedelta(days=DPF_CHECKED_DAYS_AGO[name])
                if name in DPF_CHECKED_DAYS_AGO
                else None
            ),
            "tia_on": TIA_DATES.get(name),
            "bcr_reference": None,
        }
        for i, (name, kind, service, country, mechanism, agreed, active) in enumerate(RECIPIENTS)
    ]
    seeder.insert(conn, Recipient, rows)


def disclosure_plans(seeder: Seeder) -> list[DisclosurePlan]:
    """What went where over the last 18 months; the persons are drawn chunk by chunk."""
    start = seeder.ref - 548 * DAY + 5 * 3_600 * SECOND  # 05:00 UTC on a day 18 months ago
    month = 30 * DAY
    plans: list[tuple[str, int, str, int, int, float]] = [
        (NEWSLETTER_PROVIDER, start, "newsletter_full", 0, -1, 1.0)
    ]
    for k in range(1, 18):
        at = start + k * month
        plans.append((NEWSLETTER_PROVIDER, at, "newsletter_new", at - month, -1, 1.0))
    dealers = [r for r in RECIPIENTS if r[1] == "dealer"]
    for d, dealer in enumerate(dealers):
        for k in range(6):
            at = start + (k * 90 + 10 + 7 * d) * DAY
            plans.append((dealer[0], at, "leads", 0, COUNTRIES.index(dealer[3]), 0.05))
    plans += [
        (CRM, start + 40 * DAY, "crm", 0, -1, 1.0),
        (CRM, start + 300 * DAY, "crm", 0, -1, 1.0),
        (SURVEYS, start + 150 * DAY, "survey", 0, -1, 0.05),
        (SURVEYS, start + 450 * DAY, "survey", 0, -1, 0.05),
        (PRINTER, start + 100 * DAY, "print", 0, -1, 0.10),
        (PRINTER, start + 280 * DAY, "print", 0, -1, 0.10),
        (PRINTER, start + 460 * DAY, "print", 0, -1, 0.10),
    ]
    plans.sort(key=lambda p: (p[1], p[0]))
    first = seeder.ids.take("disclosure", len(plans))
    return [
        DisclosurePlan(first + i, recipient, at, selector, since, country, rate)
        for i, (recipient, at, selector, since, country, rate) in enumerate(plans)
    ]


def insert_disclosures(seeder: Seeder, conn: Connection) -> None:
    texts = {
        "newsletter_full": (
            "Newsletter mailing list",
            [DataCategory.BASIC],
            "Consent (Art. 6(1)(a)); processor agreement (Art. 28)",
            "Full list of newsletter subscribers.",
        ),
        "newsletter_new": (
            "Newsletter mailing list",
            [DataCategory.BASIC],
            "Consent (Art. 6(1)(a)); processor agreement (Art. 28)",
            "New subscribers since the previous upload.",
        ),
        "leads": (
            "Sales leads for the dealer's region",
            [DataCategory.BASIC, DataCategory.CUSTOMER_RELATIONSHIP],
            "Consent to sharing with the dealers (Art. 6(1)(a), Art. 7)",
            "Persons who allowed email marketing and its sharing with the dealers, in the "
            "dealer's country.",
        ),
        "crm": (
            "Synchronisation of customer contacts to the CRM",
            [
                DataCategory.BASIC,
                DataCategory.CUSTOMER_RELATIONSHIP,
                DataCategory.TRANSACTIONS,
            ],
            "Contract with the customer organisation; legitimate interests (Art. 6(1)(b), (f))",
            "All contacts of current customer organisations.",
        ),
        "survey": (
            "Customer satisfaction survey",
            [DataCategory.BASIC],
            "Legitimate interests (Art. 6(1)(f))",
            "A sample of customer contacts.",
        ),
        "print": (
            "Printed marketing letter",
            [DataCategory.BASIC],
            "Consent to marketing by post (Art. 6(1)(a))",
            "A sample of persons who allowed marketing by post.",
        ),
    }
    rows = []
    for plan in seeder.plans:
        purpose, categories, basis, note = texts[plan.selector]
        rows.append(
            {
                "id": plan.id,
                "recipient_id": seeder.recipient_ids[plan.recipient],
                "disclosed_at": to_datetime(plan.at_us),
                "purpose": purpose,
                "data_categories": [str(c) for c in categories],
                "legal_basis": basis,
                "note": note,
                "segment_id": None,
                "recorded_by": seeder.compliance_id,
                "person_count": 0,  # set once the persons are written
                # The basis relied on when made: the recipient's, as the register has it.
                "transfer_mechanism": _BASIS[plan.recipient][0],
                "agreement_date": _BASIS[plan.recipient][1],
                "basis_from_register": False,
            }
        )
        seeder.disclosed[plan.id] = 0
    seeder.insert(conn, Disclosure, rows)


def disclosed_chunk(
    seeder: Seeder, rng: np.random.Generator, chunk: Chunk, granted: dict[int, Granted], sink: Sink
) -> None:
    """Who was in each disclosure: only persons whose consent allowed it at that moment."""
    rel, created = chunk.rel, chunk.created_us
    ids: list[np.ndarray] = []
    persons: list[np.ndarray] = []
    orgs = seeder.orgs
    org = np.maximum(chunk.org, 0)
    for plan in seeder.plans:
        t = plan.at_us
        match plan.selector:
            case "newsletter_full":
                who = granted[NEWSLETTER].at(t)
            case "newsletter_new":
                g = granted[NEWSLETTER]
                new = (g.start > plan.since_us) & (g.start <= t) & (t < g.end)
                who = np.unique(g.person[new])
            case "leads":
                # Only persons whose consent names the sharing with the dealers (Art. 7).
                who = np.intersect1d(granted[EMAIL].at(t), granted[SHARING].at(t))
                fits = (chunk.country[who] == plan.country) & ((rel[who] == CC) | (rel[who] == OPT))
                who = who[fits & (rng.random(len(who)) < plan.rate)]
            case "crm":
                customer = (chunk.org >= 0) & (orgs.since_us[org] <= t) & (orgs.until_us[org] > t)
                who = np.flatnonzero((rel == CC) & (created <= t) & customer)
            case "survey":
                who = np.flatnonzero((rel == CC) & (created <= t))
                who = who[rng.random(len(who)) < plan.rate]
            case "print":
                who = granted[POST].at(t)
                who = who[chunk.has_address[who] & (rng.random(len(who)) < plan.rate)]
            case _:
                raise AssertionError(plan.selector)
        ids.append(np.full(len(who), plan.id, dtype=np.int32))
        persons.append(chunk.ids[who])
        seeder.disclosed[plan.id] += len(who)
    disclosure_id = np.concatenate(ids)
    sink.write(
        "disclosed_person",
        pa.table(
            {
                "disclosure_id": pa.array(disclosure_id),
                "person_id": pa.array(np.concatenate(persons)),
            }
        ),
    )
    seeder.count("disclosed_person", len(disclosure_id))
