"""The synthetic seed: deterministic, consistent with the domain's rules, on both backends.

Every check recomputes the expected value independently in Python from the raw rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from demo import seeder
from demo.data.accounts import DEMO_ACCOUNTS
from demo.organisations import y_tunnus_check_digit
from demo.requests import SEEDED_CHANNELS, SEEDED_KINDS
from registry import db, deadlines, transfers
from registry.auth import password_matches
from registry.consent import precedence
from registry.errors import RegistryError
from registry.models import (
    Activity,
    Amendment,
    AppUser,
    AuditEvent,
    ConsentEvent,
    ConsentState,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    ErasureFollowUp,
    Order,
    Organisation,
    Person,
    PersonMetrics,
    Recipient,
    RequestTransition,
    Segment,
)
from registry.vocabulary import (
    OPEN_REQUEST_STATUSES,
    ActivityKind,
    ConsentStatus,
    Purpose,
    Relationship,
    RequestStatus,
    Role,
)

TODAY = dt.date(2026, 3, 16)
PERSONS = 300
RANDOM_SEED = 11


@pytest.fixture
def seed_db_url(backend: str, database_factory: Callable[[str], str]) -> str:
    """A fresh, empty, migrated database per test (tests/conftest.py makes and drops it)."""
    return database_factory(backend)


@dataclass
class Seeded:
    engine: Engine
    counts: dict[str, int]


@pytest.fixture(scope="module")
def seeded(backend: str, database_factory: Callable[[str], str]) -> Iterator[Seeded]:
    """One seeded database per backend, read (never written) by most tests below."""
    engine = db.make_engine(database_factory(backend))
    counts = seeder.seed(engine, PERSONS, RANDOM_SEED, demo_accounts=True, today=TODAY)
    yield Seeded(engine, counts)
    engine.dispose()


def _session(engine: Engine) -> Session:
    return db.make_sessionmaker(engine)()


def _person_rows(engine: Engine) -> list[tuple[object, ...]]:
    """Person rows; each argon2 hash (random salt) replaced by its order of first use."""
    labels: dict[str, int] = {}
    rows = []
    with engine.connect() as c:
        for row in c.execute(select(Person.__table__).order_by(Person.id)):
            values = row._asdict()
            if values["password_hash"] is not None:
                values["password_hash"] = labels.setdefault(values["password_hash"], len(labels))
            rows.append(tuple(values.values()))
    return rows


def _rows(engine: Engine, table: str, order: str = "id") -> list[tuple[object, ...]]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))]  # noqa: S608


# --- determinism and refusal ---


def test_the_same_seed_gives_the_same_rows(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    engines = [db.make_engine(database_factory(backend)) for _ in range(3)]
    try:
        counts = [
            seeder.seed(e, 120, s, today=TODAY, demo_accounts=True)
            for e, s in zip(engines, (5, 5, 6), strict=True)
        ]
        assert counts[0] == counts[1]
        assert _person_rows(engines[0]) == _person_rows(engines[1])
        for table in ("consent_event", "consent_state", "customer_order", "activity"):
            order = "person_id, purpose" if table == "consent_state" else "id"
            assert _rows(engines[0], table, order) == _rows(engines[1], table, order), table
        assert _rows(engines[0], "data_subject_request") == _rows(
            engines[1], "data_subject_request"
        )
        # Another seed, other people.
        names = {(r[1], r[2]) for r in _person_rows(engines[0])}
        other = {(r[1], r[2]) for r in _person_rows(engines[2])}
        assert names != other
    finally:
        for e in engines:
            e.dispose()


@pytest.mark.postgres
def test_both_backends_get_the_same_persons(database_factory: Callable[[str], str]) -> None:
    sqlite = db.make_engine(database_factory("sqlite"))
    postgresql = db.make_engine(database_factory("postgresql"))  # skips without a server
    try:
        counts = [seeder.seed(e, 80, 3, today=TODAY) for e in (sqlite, postgresql)]
        assert counts[0] == counts[1]
        assert _person_rows(sqlite) == _person_rows(postgresql)
        with sqlite.connect() as a, postgresql.connect() as b:
            query = select(Order.id, Order.ordered_on, Order.amount_eur).order_by(Order.id)
            assert a.execute(query).all() == b.execute(query).all()
    finally:
        sqlite.dispose()
        postgresql.dispose()


def test_a_database_with_persons_is_refused(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        before = s.scalar(select(func.count()).select_from(Person))
    with pytest.raises(RegistryError, match="already has 300 persons"):
        seeder.seed(seeded.engine, 10, 1, today=TODAY)
    with _session(seeded.engine) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == before


def test_counts_are_the_rows_written(seeded: Seeded) -> None:
    counts = seeded.counts
    assert counts["person"] == PERSONS
    with seeded.engine.connect() as c:
        for table, n in counts.items():
            assert c.scalar(text(f"SELECT count(*) FROM {table}")) == n, table  # noqa: S608


def test_sequences_continue_after_the_seed(seed_db_url: str) -> None:
    engine = db.make_engine(seed_db_url)
    try:
        seeder.seed(engine, 40, 2, today=TODAY)
        with _session(engine) as s:
            last = s.scalar(select(func.max(Organisation.id)))
            org = Organisation(
                name="Added Later Oy",
                business_id="0000001-9",
                industry="IT",
                country="FI",
                city="Turku",
            )
            s.add(org)
            s.flush()
            assert org.id == last + 1
            person = Person(
                first_name="Uusi",
                last_name="Henkilö",
                relationship=Relationship.OTHER_CONNECTION,
                source="Information provided by the customer",
            )
            s.add(person)
            s.flush()
            assert person.id == 41
            s.rollback()
    finally:
        engine.dispose()


# --- consent ---


def _events_by_key(s: Session) -> dict[tuple[int, str], list[ConsentEvent]]:
    events: dict[tuple[int, str], list[ConsentEvent]] = defaultdict(list)
    for e in s.scalars(select(ConsentEvent)):
        events[(e.person_id, e.purpose)].append(e)
    return events


def test_consent_state_is_the_winner_of_each_history(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        events = _events_by_key(s)
        states = {(c.person_id, c.purpose): c for c in s.scalars(select(ConsentState))}
    assert states.keys() == events.keys()
    for key, history in events.items():
        winner = max(history, key=lambda e: precedence(e.occurred_at, e.status, e.id))
        state = states[key]
        assert (state.status, state.event_id, state.occurred_at) == (
            winner.status,
            winner.id,
            winner.occurred_at,
        ), key
        assert state.has_evidence == bool(winner.evidence and winner.evidence.strip())


def test_consent_histories_hold_the_cases_that_matter(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        events = _events_by_key(s)
        persons = set(s.scalars(select(Person.id)))
        states = {(c.person_id, c.purpose): c.status for c in s.scalars(select(ConsentState))}
    by_person: dict[int, list[ConsentEvent]] = defaultdict(list)
    for (person_id, _purpose), history in events.items():
        by_person[person_id] += history

    objected_all = [
        p
        for p, history in by_person.items()
        if any(
            {
                e.purpose
                for e in history
                if e.status == "objected" and e.occurred_at == o.occurred_at
            }
            == set(Purpose)
            for o in history
            if o.status == "objected"
        )
    ]
    assert objected_all, "some persons object to all direct marketing at once"
    regranted = [
        p
        for p in objected_all
        if any(status == ConsentStatus.GRANTED for (q, _), status in states.items() if q == p)
    ]
    assert regranted, "some grant a purpose again after objecting"
    assert persons - by_person.keys(), "some were never asked"
    # A same-moment tie where the later-recorded grant loses to the more protective event.
    ties = [
        key
        for key, history in events.items()
        for a in history
        for b in history
        if a.occurred_at == b.occurred_at and a.id > b.id and a.status == "granted" != b.status
    ]
    assert ties
    assert all(states[key] != ConsentStatus.GRANTED for key in ties if len(events[key]) == 2)
    grants = [e for h in events.values() for e in h if e.status == "granted"]
    assert any(e.evidence is None for e in grants), "some grants lack evidence"
    assert sum(e.evidence is None for e in grants) < len(grants) * 0.1


# --- requests ---


def test_requests_cover_every_status_kind_and_channel(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        requests = list(s.scalars(select(DataSubjectRequest)))
        compliance = s.scalar(select(AppUser.id).where(AppUser.username == "compliance"))
    assert {r.status for r in requests} == set(RequestStatus)
    assert {r.kind for r in requests} == set(SEEDED_KINDS)
    assert {r.channel for r in requests} == set(SEEDED_CHANNELS)
    assert {(r.kind, r.status) for r in requests} == {
        (k, st) for k in SEEDED_KINDS for st in RequestStatus
    }
    assert any(r.person_id is None for r in requests)
    assert sum(r.person_id is not None for r in requests) > len(requests) / 2
    assert all(r.assignee_id == compliance and r.created_by == compliance for r in requests)
    for r in requests:
        if r.status == RequestStatus.EXTENDED:
            assert r.extension_reason and r.extended_at
        if r.status in (RequestStatus.COMPLETED, RequestStatus.REJECTED):
            assert r.outcome and r.closed_at and r.closed_at >= r.created_at
        else:
            assert r.closed_at is None and r.outcome is None


def test_due_dates_are_the_legal_deadlines(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        requests = list(s.scalars(select(DataSubjectRequest)))
    for r in requests:
        extended = r.extended_at is not None
        assert r.due_on == deadlines.due_date(r.received_on, extended=extended), r.id
        if extended:  # told within the first month
            first_due = deadlines.due_date(r.received_on)
            assert r.extended_at.date() <= first_due
    open_ = [r for r in requests if r.status in OPEN_REQUEST_STATUSES]
    assert any(r.due_on < TODAY for r in open_), "some are overdue"
    assert any(0 <= (r.due_on - TODAY).days <= 7 for r in open_), "some are due within a week"
    assert all(r.received_on < TODAY for r in requests)


def test_each_step_of_a_request_has_a_transition(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        requests = {r.id: r for r in s.scalars(select(DataSubjectRequest))}
        steps: dict[int, list[RequestTransition]] = defaultdict(list)
        for t in s.scalars(select(RequestTransition).order_by(RequestTransition.id)):
            steps[t.request_id].append(t)
    assert steps.keys() == requests.keys()
    for request_id, chain in steps.items():
        assert chain[0].action == "receive" and chain[0].from_status is None
        for before, after in itertools.pairwise(chain):
            assert after.from_status == before.to_status
            assert after.at >= before.at
        assert chain[-1].to_status == requests[request_id].status


# --- recipients and disclosures ---


def test_recipients_in_the_usa_rely_on_three_different_mechanisms(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        recipients = list(s.scalars(select(Recipient)))
    us = {r.transfer_mechanism: r for r in recipients if r.country == "US"}
    assert len([r for r in recipients if r.country == "US"]) == 3
    assert set(us) == {"dpf", "scc_2021", "privacy_shield"}
    flagged = {m for m, r in us.items() if transfers.transfer_problem("US", m, TODAY)}
    assert flagged == {"privacy_shield"}
    for r in recipients:
        if r.kind in ("dealer", "subcontractor"):
            assert transfers.in_eea(r.country)
        if r.kind == "processor" and r.country != "US":
            assert r.country in {"IE", "NL", "DE", "FI"}
        assert r.agreement_date is not None


def test_disclosures_name_their_persons_and_respect_consent(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        disclosures = list(s.scalars(select(Disclosure)))
        members: dict[int, set[int]] = defaultdict(set)
        for d_id, p_id in s.execute(
            select(DisclosedPerson.disclosure_id, DisclosedPerson.person_id)
        ):
            members[d_id].add(p_id)
        events = _events_by_key(s)
        created = {pid: at for pid, at in s.execute(select(Person.id, Person.created_at))}
    assert disclosures
    since = dt.datetime.combine(TODAY, dt.time(), dt.UTC) - dt.timedelta(days=560)
    assert all(
        since <= d.disclosed_at < dt.datetime.combine(TODAY, dt.time(), dt.UTC) for d in disclosures
    )
    # The seed erased the persons of its completed erasure requests: their per-person rows
    # went, the counts stayed (pseudonymous), one per disclosure the erasure's follow-ups count.
    with _session(seeded.engine) as s:
        erased_pairs = s.scalar(select(func.coalesce(func.sum(ErasureFollowUp.disclosures), 0)))
    assert sum(d.person_count - len(members[d.id]) for d in disclosures) == erased_pairs
    for d in disclosures:
        assert d.person_count >= len(members[d.id])
        for person_id in members[d.id]:
            assert created[person_id] <= d.disclosed_at
    newsletter_lists = [d for d in disclosures if d.purpose == "Newsletter mailing list"]
    assert sum(d.person_count for d in newsletter_lists) > 0
    for d in newsletter_lists:
        for person_id in members[d.id]:
            earlier = [
                e
                for e in events[(person_id, Purpose.NEWSLETTER)]
                if e.occurred_at <= d.disclosed_at
            ]
            winner = max(earlier, key=lambda e: precedence(e.occurred_at, e.status, e.id))
            assert winner.status == ConsentStatus.GRANTED, (d.id, person_id)


# --- person metrics ---


def test_person_metrics_match_orders_and_activities(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        persons = list(s.scalars(select(Person.id).where(Person.erased_at.is_(None))))
        # An erased person's orders kept under a legal hold make no metrics (Art. 17).
        orders = list(s.scalars(select(Order).where(Order.hold_reason.is_(None))))
        activities = list(s.scalars(select(Activity)))
        rows = {m.person_id: m for m in s.scalars(select(PersonMetrics))}
        # Nobody who refused profiling has figures (Art. 21(2)-(3), Art. 7(3)).
        refused = set(
            s.scalars(
                select(ConsentState.person_id).where(
                    ConsentState.purpose == "profiling",
                    ConsentState.status.in_(["withdrawn", "objected"]),
                )
            )
        )
    assert orders and activities and refused
    persons = [p for p in persons if p not in refused]
    expected: dict[int, dict[str, object]] = {
        p: {
            "order_count": 0,
            "order_total_eur": Decimal("0.00"),
            "first_order_on": None,
            "last_order_on": None,
        }
        for p in persons
    }
    for o in orders:
        if o.person_id in refused:
            continue
        e = expected[o.person_id]
        e["order_count"] += 1  # type: ignore[operator]
        e["order_total_eur"] += o.amount_eur  # type: ignore[operator]
        e["first_order_on"] = min(filter(None, [e["first_order_on"], o.ordered_on]))  # type: ignore[type-var]
        e["last_order_on"] = max(filter(None, [e["last_order_on"], o.ordered_on]))  # type: ignore[type-var]
    columns = {
        ActivityKind.WEBSITE_VISIT: "last_website_visit_at",
        ActivityKind.NEWSLETTER_OPEN: "last_newsletter_open_at",
        ActivityKind.EVENT_PARTICIPATION: "last_event_at",
        ActivityKind.APP_USE: "last_app_use_at",
    }
    for a in activities:
        if a.kind in columns and a.person_id not in refused:
            e = expected[a.person_id]
            current = e.get(columns[a.kind])
            e[columns[a.kind]] = a.occurred_at if current is None else max(current, a.occurred_at)  # type: ignore[type-var]
    assert rows.keys() == set(persons)
    for person_id, e in expected.items():
        m = rows[person_id]
        for column in (
            "order_count",
            "order_total_eur",
            "first_order_on",
            "last_order_on",
            *columns.values(),
        ):
            assert getattr(m, column) == e.get(column), (person_id, column)


def test_orders_and_activities_fit_the_persons(seeded: Seeded) -> None:
    today_start = dt.datetime.combine(TODAY, dt.time(), dt.UTC)
    with _session(seeded.engine) as s:
        persons = {p.id: p for p in s.scalars(select(Person))}
        orders = list(s.scalars(select(Order)))
        activities = list(s.scalars(select(Activity)))
    assert {persons[o.person_id].relationship for o in orders} == {Relationship.CUSTOMER_CONTACT}
    assert all(o.status in {"paid", "invoiced", "in_recovery"} for o in orders)
    assert all(TODAY - dt.timedelta(days=4 * 366) <= o.ordered_on < TODAY for o in orders)
    assert all(o.amount_eur > 0 for o in orders)
    assert all(persons[a.person_id].created_at <= a.occurred_at < today_start for a in activities)
    app = [a for a in activities if a.kind == ActivityKind.APP_USE]
    assert app and all(persons[a.person_id].relationship == Relationship.SERVICE_USER for a in app)
    recent = [a for a in activities if a.occurred_at >= today_start - dt.timedelta(days=731)]
    assert len(recent) > 0.7 * len(activities)


# --- the persons themselves ---


def test_persons_and_organisations_look_real_but_are_synthetic(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        persons = list(s.scalars(select(Person).where(Person.erased_at.is_(None))))
        erased = list(s.scalars(select(Person).where(Person.erased_at.is_not(None))))
        organisations = list(s.scalars(select(Organisation)))
    assert erased, "the seed carries out its completed erasure requests"
    for p in erased:  # emptied (registry.erasure): ids, relationship, source and dates only
        emptied = (p.first_name, p.last_name, p.email, p.phone, p.username)
        assert emptied == ("", "", None, None, None)
    assert {p.relationship for p in persons} == set(Relationship)
    assert {p.country for p in persons} >= {"FI", "SE"}
    assert sum(p.country == "FI" for p in persons) > 0.6 * len(persons)
    for p in persons:
        if p.email is not None:
            assert p.email == p.email.lower()
            assert re.fullmatch(r"[a-z0-9.-]+@([a-z0-9-]+\.)*example\.(fi|com|net|org)", p.email), (
                p.email
            )
        if p.phone is not None:
            assert re.fullmatch(r"\+[1-9]\d{7,14}", p.phone), p.phone
        service_user = p.relationship == Relationship.SERVICE_USER
        assert (p.username is not None) == service_user
        assert (p.password_hash or "$argon2id$").startswith("$argon2id$")
        assert (p.password_hash is not None) == service_user
        if p.latitude is not None:
            assert service_user and 30 < p.latitude < 70
        assert p.created_at <= p.updated_at and p.version == 1
        assert p.created_at.tzinfo is not None
    usernames = [p.username for p in persons if p.username]
    assert len(usernames) == len(set(usernames))
    assert any(p.latitude is not None for p in persons)
    ids = [o.business_id for o in organisations]
    assert len(ids) == len(set(ids))
    for business_id in ids:
        digits, check = business_id.split("-")
        assert len(digits) == 7 and y_tunnus_check_digit(int(digits)) == int(check)
    assert {o.kind for o in organisations} == {"customer", "dealer", "partner"}
    assert any(o.customer_until for o in organisations)


def test_y_tunnus_check_digit() -> None:
    assert y_tunnus_check_digit(112038) == 9  # 0112038-9, a well-known company's ID
    assert y_tunnus_check_digit(1572860) == 0  # remainder 0: check digit 0
    assert y_tunnus_check_digit(1) == 9
    assert y_tunnus_check_digit(6) is None  # remainder 1: never issued


# --- the demo accounts ---


def test_demo_accounts_segments_and_sign_ins(seeded: Seeded) -> None:
    with _session(seeded.engine) as s:
        users = {u.username: u for u in s.scalars(select(AppUser))}
        segments = list(s.scalars(select(Segment)))
        sign_ins = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in")))
        disclosures = list(s.scalars(select(Disclosure)))
        amendments = list(s.scalars(select(Amendment)))
    assert {(u, users[u].role) for u in users} == {(a[0], a[2]) for a in DEMO_ACCOUNTS}
    assert {users[a[0]].role for a in DEMO_ACCOUNTS} == set(Role)
    marketing = users["marketing"]
    assert marketing.email == "marketing@click2contract.example"
    assert password_matches(marketing.password_hash, "marketing-demo-2026")
    assert len(segments) == 2 and all(g.owner_id == marketing.id for g in segments)
    assert all(
        isinstance(g.definition, list) and {"field", "op", "value"} <= g.definition[0].keys()
        for g in segments
    )
    assert {e.actor_name for e in sign_ins} == set(users)
    compliance = users["compliance"].id
    assert all(d.recorded_by == compliance for d in disclosures)
    assert amendments and all(a.amended_by == compliance and a.reason for a in amendments)
    assert any(a.request_id is not None for a in amendments)


def test_without_demo_accounts_nothing_points_at_a_user(seed_db_url: str) -> None:
    engine = db.make_engine(seed_db_url)
    try:
        counts = seeder.seed(engine, 60, 4, today=TODAY)
        assert "app_user" not in counts
        with _session(engine) as s:
            assert s.scalar(select(func.count()).select_from(AppUser)) == 0
            assert (
                s.scalar(select(func.count()).where(DataSubjectRequest.assignee_id.is_not(None)))
                == 0
            )
            assert s.scalar(select(func.count()).where(ConsentEvent.recorded_by.is_not(None))) == 0
    finally:
        engine.dispose()


def test_progress_is_reported_up_to_done(seed_db_url: str) -> None:
    engine = db.make_engine(seed_db_url)
    reports: list[tuple[float, str]] = []
    try:
        seeder.seed(engine, 30, 4, today=TODAY, progress=lambda f, m: reports.append((f, m)))
    finally:
        engine.dispose()
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(reports) >= 5


def test_a_single_person_is_enough(seed_db_url: str) -> None:
    engine = db.make_engine(seed_db_url)
    try:
        counts = seeder.seed(engine, 1, 3, today=TODAY)
        assert counts["person"] == 1
        # Unless its completed erasure request erased it, the one person has its metrics.
        assert counts["person_metrics"] + counts.get("erasure_journal", 0) == 1
        assert counts["data_subject_request"] >= len(RequestStatus) * len(SEEDED_KINDS)
    finally:
        engine.dispose()


def test_seeding_a_configured_database_asks_for_the_suppression_key_first(
    database_url, engine, monkeypatch, capsys
):
    """Without the key the seed would fail after minutes, at the demo's erasures: it is
    refused at once, in one line, and nothing is seeded."""
    from registry import __main__ as cli
    from registry import suppression
    from registry.models import Person

    monkeypatch.setenv(db.ENV_VAR, database_url)
    monkeypatch.delenv(suppression.ENV_VAR)
    assert cli.main(["seed", "--persons", "50"]) == 2
    assert "No suppression key" in capsys.readouterr().err
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(Person)) == 0
