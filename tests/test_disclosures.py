"""The disclosure log: recording by hand, filters and paging in SQL, drill-down, charts, KPIs."""

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from registry import deadlines, disclosure_by_hand, disclosure_log, disclosures, settings
from registry.disclosure_by_hand import DisclosureInput
from registry.disclosure_log import DisclosureFilter
from registry.errors import PermissionDenied, ValidationError
from registry.models import AuditEvent, DisclosedPerson, Disclosure, Recipient, Segment
from registry.vocabulary import Role
from tests import factories

UTC = dt.UTC


def make_persons(session, n):
    people = factories.persons(
        session, n, last_name="Last{i}", email="p{i}@example.com", country="FI"
    )
    return [p.id for p in people]


def make_recipient(session, name, country, mechanism, kind="processor", active=True):
    return factories.recipient(
        session, name, kind=kind, country=country, transfer_mechanism=mechanism, active=active
    )


@pytest.fixture
def world(session, actors):
    """Three recipients and four disclosures at known times, by two users."""
    ids = make_persons(session, 10)
    mailer = make_recipient(session, "Mailer Oy", "FI", "not_needed")
    cloud = make_recipient(session, "Cloud Inc", "US", "privacy_shield")
    dealer = make_recipient(session, "Dealer AB", "SE", "not_needed", kind="dealer")
    compliance, other = actors[Role.COMPLIANCE], actors[Role.MARKETING]
    rows = [
        (mailer, "Newsletter", ["basic"], ids[:4], dt.datetime(2026, 1, 10, 8, tzinfo=UTC), other),
        (
            cloud,
            "Hosting",
            ["basic", "transactions"],
            ids[2:8],
            dt.datetime(2026, 2, 3, tzinfo=UTC),
            compliance,
        ),
        (
            cloud,
            "Hosting",
            ["service_user"],
            ids[6:10],
            dt.datetime(2026, 2, 20, tzinfo=UTC),
            compliance,
        ),
        # 22:30 UTC on 28 Feb is 00:30 on 1 March in Helsinki.
        (
            dealer,
            "Resale",
            ["customer_relationship"],
            ids[:2],
            dt.datetime(2026, 2, 28, 22, 30, tzinfo=UTC),
            compliance,
        ),
    ]
    made = []
    for recipient, purpose, categories, persons, at, actor in rows:
        made.append(
            disclosures.add_disclosure(
                session,
                actor,
                recipient.id,
                purpose,
                categories,
                "contract",
                persons,
                disclosed_at=at,
            )
        )
    session.commit()
    return {"ids": ids, "mailer": mailer, "cloud": cloud, "dealer": dealer, "disclosures": made}


def form(recipient, ids, **change):
    data = DisclosureInput(
        recipient_id=recipient,
        purpose=" Payroll   processing ",
        data_categories=("basic", "service_user"),
        legal_basis="contract",
        persons=ids,
        disclosed_on=dt.date(2026, 1, 5),
        note=" by courier ",
    )
    return dataclasses.replace(data, **change)


def test_record_by_hand_stores_persons_and_audit_in_one_go(session, actors, world):
    ids = world["ids"]
    text = f"{ids[0]}, {ids[1]}\n{ids[1]} {ids[5]}"
    d = disclosure_by_hand.record_disclosure(
        session, actors[Role.COMPLIANCE], form(world["dealer"].id, text)
    )
    assert (d.purpose, d.note, d.person_count, d.legal_basis) == (
        "Payroll processing",
        "by courier",
        3,
        "contract",
    )
    assert d.data_categories == ["basic", "service_user"]
    # Noon in Helsinki (UTC+2 in January) on the day given.
    assert d.disclosed_at == dt.datetime(2026, 1, 5, 10, tzinfo=UTC)
    stored = session.scalars(
        select(DisclosedPerson.person_id).where(DisclosedPerson.disclosure_id == d.id)
    )
    assert sorted(stored) == sorted([ids[0], ids[1], ids[5]])
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "disclosure_recorded")
    ).one()
    assert event.record_id == str(d.id) and "3 persons to Dealer AB" in event.detail


@pytest.mark.parametrize(
    ("change", "field", "phrase"),
    [
        ({"recipient_id": None}, "recipient", "Choose"),
        ({"purpose": "  "}, "purpose", "why"),
        ({"data_categories": ()}, "data_categories", "one or more"),
        ({"data_categories": ("basic", "health")}, "data_categories", "one or more"),
        ({"legal_basis": "because"}, "legal_basis", "legal basis"),
        ({"disclosed_on": dt.date(2999, 1, 1)}, "disclosed_on", "before it is made"),
        ({"disclosed_on": None}, "disclosed_on", "Enter"),
        ({"note": "x" * (settings.MAX_LONG_TEXT + 1)}, "note", "at most"),
        ({"persons": ""}, "persons", "Enter the ids"),
        ({"persons": "12, abc"}, "persons", "Not a person id: abc"),
        ({"persons": "999999"}, "persons", "No person with id 999999"),
    ],
)
def test_record_by_hand_refuses_bad_input_and_stores_nothing(
    session, actors, world, change, field, phrase
):
    before = session.scalar(select(func.count()).select_from(Disclosure))
    with pytest.raises(ValidationError) as e:
        disclosure_by_hand.record_disclosure(
            session,
            actors[Role.COMPLIANCE],
            form(world["dealer"].id, str(world["ids"][0]), **change),
        )
    assert phrase in e.value.field_errors[field]
    assert session.scalar(select(func.count()).select_from(Disclosure)) == before
    assert not session.scalar(
        select(func.count()).where(AuditEvent.action == "disclosure_recorded")
    )


def test_record_by_hand_refuses_an_inactive_recipient_and_other_roles(session, actors, world):
    gone = make_recipient(session, "Gone Ltd", "FI", "not_needed", active=False)
    with pytest.raises(ValidationError) as e:
        disclosure_by_hand.record_disclosure(session, actors[Role.COMPLIANCE], form(gone.id, "1"))
    assert "no longer active" in e.value.field_errors["recipient"]
    for role in (Role.MARKETING, Role.ADMINISTRATOR):
        with pytest.raises(PermissionDenied):
            disclosure_by_hand.record_disclosure(session, actors[role], form(gone.id, "1"))
        with pytest.raises(PermissionDenied):
            disclosure_log.log(session, actors[role], DisclosureFilter())


def test_per_person_lookup_newest_first_and_before(session, actors, world):
    ids, compliance = world["ids"], actors[Role.COMPLIANCE]
    found = disclosures.of_person(session, compliance, ids[6])
    assert [(x.recipient_name, x.disclosed_at.day) for x in found] == [
        ("Cloud Inc", 20),
        ("Cloud Inc", 3),
    ]
    assert found[0].third_country and found[0].data_categories == ["service_user"]
    before = disclosures.of_person(
        session, compliance, ids[6], before=dt.datetime(2026, 2, 10, tzinfo=UTC)
    )
    assert [x.disclosed_at.day for x in before] == [3]
    assert [x.recipient_name for x in disclosures.of_person(session, compliance, ids[0])] == [
        "Dealer AB",
        "Mailer Oy",
    ]
    assert disclosures.of_person(session, compliance, 10**9) == []


@pytest.mark.parametrize(
    ("log_filter", "expected"),
    [
        ({}, ["Resale", "Hosting", "Hosting", "Newsletter"]),
        ({"third_country": True}, ["Hosting", "Hosting"]),
        ({"third_country": False}, ["Resale", "Newsletter"]),
        ({"country": "se"}, ["Resale"]),
        ({"purpose": "Newsletter"}, ["Newsletter"]),
        ({"data_category": "transactions"}, ["Hosting"]),
        ({"data_category": "basic"}, ["Hosting", "Newsletter"]),
        # Helsinki dates: the 22:30 UTC disclosure of 28 Feb belongs to 1 March.
        ({"since": dt.date(2026, 3, 1)}, ["Resale"]),
        ({"until": dt.date(2026, 2, 28)}, ["Hosting", "Hosting", "Newsletter"]),
        ({"since": dt.date(2026, 2, 1), "until": dt.date(2026, 2, 10)}, ["Hosting"]),
    ],
)
def test_log_filters_in_sql(session, actors, world, log_filter, expected):
    compliance = actors[Role.COMPLIANCE]
    f = DisclosureFilter(**log_filter)
    rows = disclosure_log.log(session, compliance, f)
    assert [r.purpose for r in rows] == expected
    assert disclosure_log.count(session, compliance, f) == len(expected)


def test_log_filters_by_recipient_and_recorder_and_pages(session, actors, world):
    compliance = actors[Role.COMPLIANCE]
    by_cloud = DisclosureFilter(recipient_id=world["cloud"].id)
    assert [r.persons for r in disclosure_log.log(session, compliance, by_cloud)] == [4, 6]
    mine = DisclosureFilter(recorded_by=actors[Role.MARKETING].user_id)
    [row] = disclosure_log.log(session, compliance, mine)
    assert row.recorded_by == "Test marketing" and row.recipient_name == "Mailer Oy"
    page1 = disclosure_log.log(session, compliance, DisclosureFilter(), limit=3)
    page2 = disclosure_log.log(session, compliance, DisclosureFilter(), limit=3, offset=3)
    assert len(page1) == 3 and [r.purpose for r in page2] == ["Newsletter"]
    options = disclosure_log.filter_options(session, compliance)
    assert [n for _, n in options.recipients] == ["Cloud Inc", "Dealer AB", "Mailer Oy"]
    assert options.countries == ["FI", "SE", "US"]
    assert options.purposes == ["Hosting", "Newsletter", "Resale"]


def test_drill_down_pages_persons_and_audits_once(session, actors, world):
    compliance = actors[Role.COMPLIANCE]
    hosting = world["disclosures"][1]
    first = disclosure_log.persons_of(session, compliance, hosting.id, limit=4, audit_view=True)
    rest = disclosure_log.persons_of(session, compliance, hosting.id, limit=4, offset=4)
    assert [p.id for p in first + rest] == world["ids"][2:8]
    assert first[0].name == "First2 Last2" and first[0].email == "p2@example.com"
    views = session.scalars(
        select(AuditEvent.record_id).where(AuditEvent.action == "disclosure_persons_viewed")
    ).all()
    assert views == [str(hosting.id)]


def test_chart_data_and_kpis(session, actors, world):
    compliance = actors[Role.COMPLIANCE]
    months = disclosure_log.per_month_by_recipient(session, compliance, DisclosureFilter())
    assert months == [
        ("2026-01", "Mailer Oy", 1, 4),
        ("2026-02", "Cloud Inc", 2, 10),
        ("2026-02", "Dealer AB", 1, 2),
    ]
    # The map counts a person once per disclosure: ids[6] and ids[7] went to the US twice.
    by_country = disclosure_log.persons_by_country(session, compliance, DisclosureFilter())
    assert by_country == [("FI", 4), ("SE", 2), ("US", 10)]
    third = disclosure_log.persons_by_country(
        session, compliance, DisclosureFilter(third_country=True)
    )
    assert third == [("US", 10)]
    k = disclosure_log.kpis(session, compliance, today=dt.date(2026, 3, 1))
    assert k.disclosures_last_30_days == 3  # 3 Feb to 1 Mar (Helsinki): not 10 Jan
    assert k.persons_to_third_countries == 8  # distinct persons: ids[2] to ids[9]
    assert (k.recipients_with_problem, k.active_recipients) == (1, 3)


def test_add_disclosure_inserts_in_batches(session, actors, monkeypatch):
    monkeypatch.setattr(settings, "EXPORT_BATCH_ROWS", 3)
    ids = make_persons(session, 8)
    r = make_recipient(session, "Mailer Oy", "FI", "not_needed")
    d = disclosures.add_disclosure(
        session,
        actors[Role.MARKETING],
        r.id,
        "Newsletter",
        ["basic"],
        "consent",
        ids + ids[:2],
        disclosed_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
    )
    session.commit()
    assert d.person_count == 8
    assert session.scalar(select(func.count()).select_from(DisclosedPerson)) == 8


def test_record_by_hand_by_segment_is_checked_first_and_never_with_ids(session, actors, world):
    """A segment's list is made as the export makes it (tests/test_disclosure_lists.py has
    the rules); here: the ids and the segment exclude each other, and it is checked first."""
    compliance = actors[Role.COMPLIANCE]
    finland = Segment(
        name="Finland",
        definition=[{"field": "country", "op": "in", "value": ["FI"]}],
        owner_id=actors[Role.MARKETING].user_id,
    )
    session.add(finland)
    session.commit()
    assert disclosure_by_hand.segment_choices(session, compliance) == [(finland.id, "Finland")]
    both = form(world["mailer"].id, "1", segment_id=finland.id, channel="email")
    with pytest.raises(ValidationError) as e:
        disclosure_by_hand.record_disclosure(session, compliance, both)
    assert "not both" in e.value.field_errors["persons"]
    mailing = factories.recipient(session, "Mailing Oy", delivers="mailing")
    unchecked = form(
        mailing.id, "", segment_id=finland.id, channel="email", disclosed_on=deadlines.today()
    )
    with pytest.raises(ValidationError) as e:
        disclosure_by_hand.record_disclosure(session, compliance, unchecked)
    assert "Check the list" in e.value.field_errors["persons"]


def test_a_disclosure_keeps_the_basis_it_relied_on_when_made(session, actors, world):
    """Art. 15(2): the safeguard of a transfer is the one it was made on, not today's."""
    cloud = session.scalars(select(Recipient).where(Recipient.name == "Cloud Inc")).one()
    cloud.agreement_date = dt.date(2019, 1, 2)
    session.commit()
    made = disclosure_by_hand.record_disclosure(
        session,
        actors[Role.COMPLIANCE],
        form(cloud.id, str(world["ids"][0])),
    )
    cloud.transfer_mechanism, cloud.agreement_date = "scc_2021", dt.date(2024, 5, 6)
    session.commit()
    session.expire_all()
    stored = session.get(Disclosure, made.id)
    assert (stored.transfer_mechanism, stored.agreement_date, stored.basis_from_register) == (
        "privacy_shield",
        dt.date(2019, 1, 2),
        False,
    )
    [row] = [
        r
        for r in disclosure_log.log(session, actors[Role.COMPLIANCE], DisclosureFilter())
        if r.id == made.id
    ]
    assert (row.transfer_mechanism, row.agreement_date) == ("privacy_shield", dt.date(2019, 1, 2))
    # A row written outside add_disclosure takes the register's basis at that moment.
    direct = Disclosure(
        recipient_id=cloud.id,
        disclosed_at=dt.datetime(2026, 2, 1, tzinfo=UTC),
        purpose="Direct",
        data_categories=["basic"],
        legal_basis="contract",
    )
    session.add(direct)
    session.commit()
    assert (direct.transfer_mechanism, direct.agreement_date) == ("scc_2021", dt.date(2024, 5, 6))


def test_the_migration_copies_the_registers_basis_and_says_so(backend, database_factory):
    """Disclosures made before revision 0007 get the register's basis, marked as such."""
    from alembic import command
    from sqlalchemy import text

    from registry import db

    url = database_factory(backend)
    engine = db.make_engine(url)
    try:
        config = db._alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005_recipients_scope")
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO recipient (id, name, kind, service, country, transfer_mechanism,"
                    " agreement_date, active) VALUES (1, 'Cloud', 'processor', 'Hosting', 'US',"
                    " 'dpf', '2023-09-01', :t)"
                ),
                {"t": True},
            )
            c.execute(
                text(
                    "INSERT INTO disclosure (id, recipient_id, disclosed_at, purpose,"
                    " data_categories, legal_basis, note, person_count) VALUES (1, 1,"
                    " :at, 'Hosting', '[\"basic\"]', 'contract', '', 0)"
                ),
                {"at": dt.datetime(2024, 1, 1, tzinfo=UTC)},
            )
        db.migrate(engine)
        with db.make_sessionmaker(engine)() as s:
            d = s.get(Disclosure, 1)
            assert (d.transfer_mechanism, d.agreement_date, d.basis_from_register) == (
                "dpf",
                dt.date(2023, 9, 1),
                True,
            )
    finally:
        engine.dispose()
