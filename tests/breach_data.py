"""A small synthetic registry for the breach tests, and who a breach affected computed
independently of registry.breaches.scope: plain Python over every row, no SQL conditions.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import consent, disclosures
from registry.models import (
    Activity,
    Amendment,
    AppUser,
    AuditEvent,
    Breach,
    ConsentState,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    Order,
    Person,
    Recipient,
)
from registry.permissions import Actor
from registry.vocabulary import ActivityKind, Role
from tests.conftest import make_user

UTC = dt.UTC
# Everything happens in 2026, well before "now" (validation refuses future times).
T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
WINDOW_START = dt.datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
WINDOW_END = dt.datetime(2026, 6, 5, 8, 0, tzinfo=UTC)
AWARE = dt.datetime(2026, 6, 5, 10, 0, tzinfo=UTC)

RELATIONSHIPS = ["customer_contact", "service_user", "other_connection", "marketing_opt_in"]
COUNTRIES = ["FI", "FI", "FI", "SE", "AX", "DE", "US"]


@dataclass
class Registry:
    officer: Actor
    suspect: AppUser  # the dashboard account whose misuse is a breach
    other: AppUser
    everyone: Recipient  # a hosting processor holding every person's data
    mailer: Recipient  # a per-disclosure processor
    analytics: Recipient  # website visits, or marketing opt-ins
    dealer: Recipient  # an independent controller
    disclosure_ids: dict[str, int] = field(default_factory=dict)


def build(session: Session, persons: int = 90, seed: int = 22) -> Registry:
    rng = random.Random(seed)
    officer = Actor.of(make_user(session, Role.COMPLIANCE, "officer"))
    suspect = make_user(session, Role.COMPLIANCE, "suspect")
    other = make_user(session, Role.MARKETING, "other")
    people = []
    for i in range(persons):
        created = T0 + dt.timedelta(days=rng.randint(0, 50), hours=rng.randint(0, 23))
        people.append(
            Person(
                first_name=f"Etu{i}",
                last_name=f"Suku{i}",
                email=None if i % 11 == 0 else f"person{i}@example.com",
                street_address=None if i % 7 == 0 else f"Katu {i}",
                postal_code=None if i % 7 == 0 else f"{20000 + i}",
                city=None if i % 7 == 0 else "Turku",
                country=rng.choice(COUNTRIES),
                relationship=RELATIONSHIPS[i % 4],
                username=f"user{i}" if i % 5 == 0 else None,
                source="test",
                created_at=created,
                updated_at=created,
            )
        )
    session.add_all(people)
    session.flush()
    for p in people:
        for _ in range(rng.choice([0, 0, 1, 3])):
            kind = rng.choice(list(ActivityKind))
            session.add(
                Activity(
                    person_id=p.id,
                    kind=kind.value,
                    occurred_at=T0 + dt.timedelta(days=rng.randint(0, 60)),
                )
            )
        if rng.random() < 0.3:
            session.add(
                Order(
                    person_id=p.id,
                    ordered_on=dt.date(2026, 5, rng.randint(1, 28)),
                    product="Contract service",
                    amount_eur=100,
                    status="paid",
                )
            )
    session.commit()
    for p in people:
        if rng.random() < 0.3:
            consent.record_consent(
                session, officer, p.id, ["newsletter"], "granted", "web_form", "form 1", T0
            )

    def recipient(name: str, scope: str, role: str = "processor", **kw: object) -> Recipient:
        r = Recipient(
            name=name,
            kind="processor" if role == "processor" else "dealer",
            service=name,
            country="FI",
            transfer_mechanism="not_needed",
            role=role,
            scope=scope,
            **kw,
        )
        session.add(r)
        session.flush()
        return r

    registry = Registry(
        officer,
        suspect,
        other,
        everyone=recipient("Everyone Hosting Oy", "all_persons"),
        mailer=recipient("Mail House Oy", "per_disclosure"),
        analytics=recipient(
            "Analytics Oy",
            "categories",
            scope_categories=["website_visit"],
            scope_relationships=["marketing_opt_in"],
        ),
        dealer=recipient("Dealer Oy", "per_disclosure", role="controller"),
    )
    ids = [p.id for p in people]
    # (name, recipient, when, categories, persons)
    plans = [
        (
            "mailer-before",
            registry.mailer,
            T0 + dt.timedelta(days=3),
            ["basic"],
            rng.sample(ids, 25),
        ),
        (
            "mailer-in-window",
            registry.mailer,
            WINDOW_START + dt.timedelta(days=1),
            ["basic", "transactions"],
            rng.sample(ids, 20),
        ),
        (
            "mailer-after",  # after the window's end: not held in the window
            registry.mailer,
            WINDOW_END + dt.timedelta(days=2),
            ["basic"],
            rng.sample(ids, 20),
        ),
        (
            "mailer-relationship-only",
            registry.mailer,
            T0 + dt.timedelta(days=10),
            ["customer_relationship"],
            rng.sample(ids, 15),
        ),
        (
            "analytics",
            registry.analytics,
            T0 + dt.timedelta(days=5),
            ["transactions"],
            rng.sample(ids, 10),
        ),
        ("dealer", registry.dealer, T0 + dt.timedelta(days=5), ["basic"], rng.sample(ids, 12)),
        (
            "export",
            registry.mailer,
            WINDOW_START + dt.timedelta(hours=5),
            ["basic"],
            rng.sample(ids, 9),
        ),
        ("viewed-list", registry.dealer, T0 + dt.timedelta(days=2), ["basic"], rng.sample(ids, 7)),
    ]
    for name, r, when, categories, persons_ in plans:
        d = disclosures.add_disclosure(
            session, officer, r.id, name, categories, "contract", persons_, disclosed_at=when
        )
        registry.disclosure_ids[name] = d.id
    session.commit()

    # The suspect account's trail, inside and outside the window, and another account's.
    request = DataSubjectRequest(
        kind="access",
        channel="email",
        received_on=dt.date(2026, 5, 20),
        requester_name="Requester",
        requester_contact="r@example.com",
        person_id=ids[3],
        due_on=dt.date(2026, 6, 22),
    )
    session.add(request)
    session.flush()
    amendment = Amendment(
        person_id=ids[4],
        field="city",
        old_value="Turku",
        new_value="Espoo",
        reason="moved",
        amended_by=officer.user_id,
        amended_at=T0,
    )
    session.add(amendment)
    session.flush()
    inside = WINDOW_START + dt.timedelta(hours=2)
    outside = WINDOW_END + dt.timedelta(hours=2)
    trail = [
        (suspect, inside, "view_person", "person", ids[0]),
        (suspect, inside, "view_consent_history", "person", ids[1]),
        (suspect, inside, "amend_person", "person", ids[2]),
        (suspect, inside, "request_viewed", "data_subject_request", request.id),
        (suspect, inside, "notify_recipient", "amendment", amendment.id),
        (suspect, inside, "target_list_exported", "disclosure", registry.disclosure_ids["export"]),
        (
            suspect,
            inside,
            "disclosure_persons_viewed",
            "disclosure",
            registry.disclosure_ids["viewed-list"],
        ),
        (suspect, inside, "sign_in", "app_user", suspect.id),
        (suspect, inside, "audit_exported", "audit_event", None),
        (suspect, outside, "view_person", "person", ids[5]),  # after the window
        (suspect, WINDOW_START - dt.timedelta(hours=1), "view_person", "person", ids[6]),
        (other, inside, "view_person", "person", ids[7]),  # another account
    ]
    for user, at, action, record_type, record_id in trail:
        session.add(
            AuditEvent(
                at=at,
                actor_id=user.id,
                actor_name=user.username,
                action=action,
                record_type=record_type,
                record_id=None if record_id is None else str(record_id),
                detail="",
            )
        )
    session.commit()
    return registry


# --- the independent computation ----------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    ids: list[int]
    by_category: dict[str, int]
    by_relationship: dict[str, int]
    by_country: dict[str, int]


def expected(session: Session, breach: Breach, now: dt.datetime) -> Expected:
    """Who the breach affected, from the rows as plain Python objects."""
    start, end = breach.occurred_at, breach.ended_at or now
    people = {p.id: p for p in session.scalars(select(Person))}
    activity_kinds: dict[int, set[str]] = {}
    for a in session.scalars(select(Activity)):
        activity_kinds.setdefault(a.person_id, set()).add(a.kind)
    ordered = {o.person_id for o in session.scalars(select(Order))}
    consented = {c.person_id for c in session.scalars(select(ConsentState))}
    all_disclosures = {d.id: d for d in session.scalars(select(Disclosure))}
    rows: dict[int, set[int]] = {}
    for dp in session.scalars(select(DisclosedPerson)):
        rows.setdefault(dp.disclosure_id, set()).add(dp.person_id)

    def holds(p: Person, code: str) -> bool:
        return {
            "basic": True,
            "customer_relationship": p.relationship == "customer_contact"
            or p.id in ordered
            or p.id in consented,
            "service_user": p.relationship == "service_user" or p.username is not None,
            "transactions": p.id in activity_kinds,
        }[code]

    categories = list(breach.data_categories)
    flags: dict[int, set[str]] = {}

    def flag(pid: int, code: str) -> None:
        flags.setdefault(pid, set()).add(code)

    def disclosed(disclosure_ids: list[int], only: set[str] | None = None) -> None:
        for d_id in disclosure_ids:
            d = all_disclosures[d_id]
            for code in categories:
                if code in d.data_categories and (only is None or code in only):
                    for pid in rows.get(d_id, ()):
                        flag(pid, code)

    def everyone(until: dt.datetime, covered=lambda p: True) -> None:
        for p in people.values():
            if p.created_at <= until and covered(p):
                for code in categories:
                    if holds(p, code):
                        flag(p.id, code)

    if breach.source == "recipient":
        r = session.get(Recipient, breach.source_recipient_id)
        disclosed(
            [
                d.id
                for d in all_disclosures.values()
                if d.recipient_id == r.id and d.disclosed_at <= end
            ]
        )
        if r.scope == "all_persons":
            everyone(end)
        elif r.scope == "categories":

            def covered(p: Person) -> bool:
                by_kind = any(k in activity_kinds.get(p.id, set()) for k in r.scope_categories)
                by_category = any(
                    holds(p, c) for c in r.scope_categories if c not in set(ActivityKind)
                )
                return by_kind or by_category or p.relationship in r.scope_relationships

            everyone(end, covered)
    elif breach.source == "dashboard_account":
        user = session.get(AppUser, breach.source_user_id)
        events = [
            e
            for e in session.scalars(select(AuditEvent))
            if e.actor_id == user.id and start <= e.at <= end
        ]
        viewed: set[int] = set()
        for e in events:
            if e.record_type == "person":
                viewed.add(int(e.record_id))
            elif e.record_type == "data_subject_request":
                pid = session.get(DataSubjectRequest, int(e.record_id)).person_id
                if pid:
                    viewed.add(pid)
            elif e.record_type == "amendment":
                viewed.add(session.get(Amendment, int(e.record_id)).person_id)
        for pid in viewed:
            for code in categories:
                if holds(people[pid], code):
                    flag(pid, code)
        disclosed(
            [
                int(e.record_id)
                for e in events
                if e.record_type == "disclosure" and e.action == "target_list_exported"
            ]
        )
        for e in events:
            if e.record_type == "disclosure" and e.action == "disclosure_persons_viewed":
                if "basic" in categories:
                    for pid in rows.get(int(e.record_id), ()):
                        flag(pid, "basic")
        downloads = [e.at for e in events if e.action == "backup_downloaded"]
        if downloads:
            everyone(max(downloads))
    elif breach.source_disclosure_id is not None:
        disclosed([breach.source_disclosure_id])
    else:
        everyone(end)

    affected = sorted(
        pid
        for pid in flags
        if not breach.relationships or people[pid].relationship in breach.relationships
    )
    return Expected(
        affected,
        {c: sum(1 for pid in affected if c in flags[pid]) for c in categories},
        dict(Counter(people[pid].relationship for pid in affected)),
        dict(Counter(people[pid].country for pid in affected)),
    )
