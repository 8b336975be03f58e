"""Who a breach affected, computed in SQL, against an independent computation in plain Python
over every row (tests/breach_data.py): a processor of everyone, a per-disclosure recipient,
a recipient by categories, a dashboard account read from the audit trail, a lost device."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry import breaches
from registry.breaches import BreachInput, scope
from registry.breaches import affected as breach_persons
from registry.models import AuditEvent, Breach, BreachChange, Person, Recipient
from registry.recipients import covered_persons_condition
from registry.report import build as report_build
from tests import breach_data
from tests.breach_data import AWARE, WINDOW_END, WINDOW_START

NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def registry(session):
    return breach_data.build(session)


def record(session, registry, **values) -> Breach:
    base = {
        "summary": "Breach",
        "description": "What happened.",
        "occurred_at": WINDOW_START,
        "ended_at": WINDOW_END,
        "aware_at": AWARE,
        "source": "recipient",
        "data_categories": ("basic",),
    }
    return breaches.record_breach(session, registry.officer, BreachInput(**(base | values)))


def all_pages(session, actor, breach_id, size=7) -> list[int]:
    ids, offset = [], 0
    while page := breach_persons.affected_persons(
        session, actor, breach_id, limit=size, offset=offset, now=NOW
    ):
        ids += [p.id for p in page]
        offset += size
    return ids


def check(session, registry, breach: Breach) -> breach_persons.AffectedCounts:
    """The SQL computation equals the plain one: ids, and counts per category,
    relationship and country."""
    want = breach_data.expected(session, breach, NOW)
    counts = breach_persons.count_affected(session, registry.officer, breach.id, now=NOW)
    assert counts.persons == len(want.ids)
    assert counts.by_category == want.by_category
    assert counts.by_relationship == want.by_relationship
    assert counts.by_country == want.by_country
    assert counts.records == sum(want.by_category.values())
    assert all_pages(session, registry.officer, breach.id) == want.ids
    # Each person's membership, as the access report asks it, agrees too.
    members = set(want.ids)
    for pid in session.scalars(select(Person.id)):
        assert breach_persons.concerns(session, breach, pid, NOW) == (pid in members), pid
    return counts


def test_a_processor_of_everyone(session, registry):
    breach = record(
        session,
        registry,
        source_recipient_id=registry.everyone.id,
        data_categories=("basic", "service_user", "transactions"),
    )
    counts = check(session, registry, breach)
    # Everyone who existed by the window's end; nobody added after it.
    existed = session.scalar(
        select(func.count()).select_from(Person).where(Person.created_at <= WINDOW_END)
    )
    assert counts.persons == existed < session.scalar(select(func.count()).select_from(Person))
    assert counts.by_category["basic"] == existed
    assert 0 < counts.by_category["service_user"] < existed


def test_a_processor_of_everyone_narrowed_by_category_and_relationship(session, registry):
    breach = record(
        session,
        registry,
        source_recipient_id=registry.everyone.id,
        data_categories=("customer_relationship", "transactions"),
        relationships=("service_user", "marketing_opt_in"),
    )
    counts = check(session, registry, breach)
    assert set(counts.by_relationship) == {"service_user", "marketing_opt_in"}


def test_a_per_disclosure_recipient(session, registry):
    breach = record(
        session,
        registry,
        source_recipient_id=registry.mailer.id,
        data_categories=("basic", "transactions"),
    )
    counts = check(session, registry, breach)
    # Only the list sent in the window carried transactions; the list sent after the
    # window's end was not held in it.
    assert 0 < counts.by_category["transactions"] <= 20
    after = set(_persons_of(session, registry.disclosure_ids["mailer-after"]))
    earlier = set(_persons_of(session, registry.disclosure_ids["mailer-before"]))
    ids = set(all_pages(session, registry.officer, breach.id, size=100))
    assert earlier <= ids and after - earlier - ids


def _persons_of(session, disclosure_id: int) -> list[int]:
    from registry.models import DisclosedPerson

    return list(
        session.scalars(
            select(DisclosedPerson.person_id).where(DisclosedPerson.disclosure_id == disclosure_id)
        )
    )


def test_an_open_window_runs_to_now(session, registry):
    breach = record(session, registry, source_recipient_id=registry.mailer.id, ended_at=None)
    counts = check(session, registry, breach)
    closed = record(session, registry, source_recipient_id=registry.mailer.id)
    assert counts.window_open and counts.window_end == NOW
    closed_counts = breach_persons.count_affected(session, registry.officer, closed.id, now=NOW)
    assert not closed_counts.window_open
    # The list sent after the window's end counts only while the end is not recorded.
    assert counts.persons > closed_counts.persons


def test_a_recipient_by_categories_and_its_scope_condition(session, registry):
    breach = record(
        session,
        registry,
        source_recipient_id=registry.analytics.id,
        data_categories=("basic", "transactions"),
    )
    check(session, registry, breach)
    # The uncorrelated form holds the same persons as the recipients register's own condition.
    for r in session.scalars(select(Recipient)):
        ours = set(session.scalars(select(Person.id).where(scope.scope_condition(r))))
        theirs = set(session.scalars(select(Person.id).where(covered_persons_condition(r))))
        assert ours == theirs, r.name


def test_a_dashboard_account_from_the_audit_trail(session, registry):
    breach = record(
        session,
        registry,
        source="dashboard_account",
        source_user_id=registry.suspect.id,
        data_categories=("basic", "customer_relationship"),
    )
    counts = check(session, registry, breach)
    ids = set(all_pages(session, registry.officer, breach.id, size=100))
    persons = list(session.scalars(select(Person.id).order_by(Person.id)))
    # Viewed in the window: persons 0-2, the request's person 3, the amendment's person 4;
    # not 5 (after the window), 6 (before it) or 7 (another account's view).
    assert {persons[i] for i in range(5)} <= ids
    assert not {persons[5], persons[6], persons[7]} & (ids - _listed(session, registry))
    assert counts.persons == len(ids)


def _listed(session, registry) -> set[int]:
    from registry.models import DisclosedPerson

    lists = [registry.disclosure_ids["export"], registry.disclosure_ids["viewed-list"]]
    return set(
        session.scalars(
            select(DisclosedPerson.person_id).where(DisclosedPerson.disclosure_id.in_(lists))
        )
    )


def test_a_dashboard_account_that_downloaded_a_backup(session, registry):
    session.add(
        AuditEvent(
            at=WINDOW_START + dt.timedelta(hours=1),
            actor_id=registry.suspect.id,
            actor_name=registry.suspect.username,
            action="backup_downloaded",
            record_type="backup",
            record_id="1",
            detail="",
        )
    )
    session.commit()
    breach = record(
        session,
        registry,
        source="dashboard_account",
        source_user_id=registry.suspect.id,
        data_categories=("transactions",),
    )
    check(session, registry, breach)


def test_a_lost_device_with_a_list_on_it_and_an_internal_system(session, registry):
    device = record(
        session,
        registry,
        source="lost_device",
        source_detail="Laptop of the sales team",
        source_disclosure_id=registry.disclosure_ids["dealer"],
    )
    counts = check(session, registry, device)
    assert counts.persons == 12
    system = record(
        session,
        registry,
        source="internal_system",
        source_detail="CRM",
        data_categories=("service_user",),
    )
    check(session, registry, system)


def test_counting_keeps_the_totals_and_every_page_read_is_audited(session, registry):
    breach = record(session, registry, source_recipient_id=registry.mailer.id)
    version = breach.version
    counts = breach_persons.count_affected(session, registry.officer, breach.id, now=NOW)
    session.expire_all()
    stored = session.get(Breach, breach.id)
    assert (stored.affected_persons, stored.affected_records) == (counts.persons, counts.records)
    assert stored.affected_counted_at == NOW
    # A count is not an edit: an edit form opened before it can still be saved.
    assert stored.version == version
    [change] = session.scalars(
        select(BreachChange).where(BreachChange.action == "affected_counted")
    )
    assert change.changes["affected_persons"] == [None, str(counts.persons)]

    def viewed() -> list[str]:
        return list(
            session.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "breach_affected_viewed")
                .order_by(AuditEvent.id)
            )
        )

    breach_persons.affected_persons(session, registry.officer, breach.id, limit=10, now=NOW)
    breach_persons.affected_persons(
        session, registry.officer, breach.id, limit=10, offset=10, now=NOW
    )
    assert viewed() == ["rows 1-10", "rows 11-20"]
    names = {f"Etu{i}" for i in range(100)}
    details = session.scalars(select(AuditEvent.detail).where(AuditEvent.record_type == "breach"))
    assert not any(name in detail for detail in details for name in names)


def test_the_access_report_lists_the_breaches_that_concerned_the_person(session, registry):
    breach = record(
        session,
        registry,
        source="lost_device",
        source_detail="Laptop",
        source_disclosure_id=registry.disclosure_ids["dealer"],
    )
    inside = set(all_pages(session, registry.officer, breach.id, size=100))
    outsider = next(pid for pid in session.scalars(select(Person.id)) if pid not in inside)
    member = min(inside)
    [found] = breaches.breaches_concerning(session, member)
    assert (found.reference, found.summary) == (f"BR-{breach.id:04d}", "Breach")
    assert breaches.breaches_concerning(session, outsider) == []
    # The access report has a section for it.
    from registry.models import DataSubjectRequest

    request = DataSubjectRequest(
        kind="access",
        channel="email",
        received_on=dt.date(2026, 6, 20),
        requester_name="Etu",
        requester_contact="e@example.com",
        person_id=member,
        due_on=dt.date(2026, 7, 20),
    )
    session.add(request)
    session.commit()
    report, head = report_build.build(
        session, registry.officer, request, NOW, final=False, language="en"
    )
    assert [b.reference for b in report.breaches] == [found.reference]
    html = report_build.to_html(report, head)
    assert "Personal data breaches that concerned you" in html and found.reference in html
