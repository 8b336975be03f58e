"""The recipients register: validation, add and edit with audit, status per recipient."""

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select, text

from registry import db, recipients
from registry.errors import PermissionDenied, ValidationError
from registry.models import Activity, AuditEvent, Order, Person, Recipient
from registry.recipients import RecipientInput
from registry.vocabulary import Role

CLOUD = RecipientInput(
    name="  Northwind   Cloud Inc. ",
    kind="processor",
    service="Hosting",
    country="us",
    transfer_mechanism="dpf",
    agreement_date=dt.date(2024, 2, 1),
    dpf_checked_on=dt.date(2025, 6, 1),
)


def audit_count(session, action):
    return session.scalar(select(func.count()).where(AuditEvent.action == action))


def test_add_normalises_and_audits(session, actors):
    r = recipients.add_recipient(session, actors[Role.COMPLIANCE], CLOUD)
    assert (r.name, r.country, r.active) == ("Northwind Cloud Inc.", "US", True)
    assert audit_count(session, "recipient_added") == 1
    rows = recipients.register(session, actors[Role.COMPLIANCE], dt.date(2026, 1, 1))
    assert [(x.name, x.status, x.inside_eea, x.disclosures) for x in rows] == [
        ("Northwind Cloud Inc.", "fine", False, 0)
    ]


@pytest.mark.parametrize(
    ("change", "field", "phrase"),
    [
        ({"name": " "}, "name", "Enter"),
        ({"name": "x" * 201}, "name", "at most"),
        ({"kind": "friend"}, "kind", "dealer, subcontractor or processor"),
        ({"service": ""}, "service", "service"),
        ({"country": "XX"}, "country", "ISO 3166"),
        ({"country": "USA"}, "country", "ISO 3166"),
        ({"transfer_mechanism": "handshake"}, "transfer_mechanism", "from the list"),
        ({"country": "SE"}, "transfer_mechanism", "inside the EU/EEA"),
        ({"country": "GB"}, "transfer_mechanism", "only organisations in the USA"),
        ({"transfer_mechanism": "not_needed"}, "transfer_mechanism", "outside the EU/EEA"),
        ({"agreement_date": dt.date(2999, 1, 1)}, "agreement_date", "future"),
        ({"agreement_date": dt.date(1990, 1, 1)}, "agreement_date", "before"),
        ({"role": "friend"}, "role", "independent controller"),
        ({"scope": "everyone"}, "scope", "per disclosure"),
        ({"scope": "categories"}, "scope_categories", "at least one"),
        (
            {"scope": "categories", "scope_categories": ("gossip",)},
            "scope_categories",
            "Unknown data category: gossip",
        ),
        (
            {"scope": "categories", "scope_relationships": ("cousin",)},
            "scope_relationships",
            "Unknown relationship: cousin",
        ),
        (
            {"scope": "all_persons", "scope_categories": ("basic",)},
            "scope_categories",
            "only to the scope by categories",
        ),
        (
            {"scope": "per_disclosure", "scope_relationships": ("service_user",)},
            "scope_relationships",
            "only to the scope by categories",
        ),
    ],
)
def test_validation_names_the_field(session, actors, change, field, phrase):
    with pytest.raises(ValidationError) as e:
        recipients.add_recipient(
            session, actors[Role.COMPLIANCE], dataclasses.replace(CLOUD, **change)
        )
    assert field in e.value.field_errors and phrase in e.value.field_errors[field]
    assert session.scalar(select(func.count()).select_from(Recipient)) == 0
    assert audit_count(session, "recipient_added") == 0


def test_names_are_unique_ignoring_case(session, actors):
    compliance = actors[Role.COMPLIANCE]
    recipients.add_recipient(session, compliance, CLOUD)
    with pytest.raises(ValidationError) as e:
        recipients.add_recipient(
            session, compliance, dataclasses.replace(CLOUD, name="northwind cloud inc.")
        )
    assert "already" in e.value.field_errors["name"]


def test_edit_records_old_and_new_and_changes_the_status(session, actors):
    compliance = actors[Role.COMPLIANCE]
    r = recipients.add_recipient(session, compliance, CLOUD)
    changed = dataclasses.replace(CLOUD, transfer_mechanism="privacy_shield", dpf_checked_on=None)
    recipients.update_recipient(session, compliance, r.id, changed)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "recipient_changed")
    ).one()
    assert "transfer_mechanism: dpf -> privacy_shield" in event.detail
    [row] = recipients.register(session, compliance, dt.date(2026, 1, 1))
    assert "invalid since 16 July 2020" in row.status
    # Saving the same values again changes nothing and records nothing.
    recipients.update_recipient(session, compliance, r.id, changed)
    assert audit_count(session, "recipient_changed") == 1
    # The same name is allowed for the recipient itself.
    recipients.update_recipient(
        session, compliance, r.id, dataclasses.replace(changed, active=False)
    )
    assert recipients.register(session, compliance, active_only=True) == []


def test_only_compliance_manages_recipients(session, actors):
    for role in (Role.MARKETING, Role.ADMINISTRATOR):
        with pytest.raises(PermissionDenied):
            recipients.add_recipient(session, actors[role], CLOUD)
        with pytest.raises(PermissionDenied):
            recipients.register(session, actors[role])


def test_role_defaults_by_kind_and_scope_is_saved_and_audited(session, actors):
    compliance = actors[Role.COMPLIANCE]
    dealer = recipients.add_recipient(
        session,
        compliance,
        RecipientInput("Nordic Resale Oy", "dealer", "Reseller", "FI", "not_needed"),
    )
    assert (dealer.role, dealer.scope, dealer.scope_categories) == (
        "controller",
        "per_disclosure",
        [],
    )
    cloud = recipients.add_recipient(
        session, compliance, dataclasses.replace(CLOUD, scope="all_persons")
    )
    assert (cloud.role, cloud.scope) == ("processor", "all_persons")
    recipients.update_recipient(
        session,
        compliance,
        cloud.id,
        dataclasses.replace(
            CLOUD,
            scope="categories",
            scope_categories=("website_visit", "website_visit"),
            scope_relationships=("service_user",),
        ),
    )
    session.expire_all()
    saved = session.get(Recipient, cloud.id)
    assert (saved.scope, saved.scope_categories, saved.scope_relationships) == (
        "categories",
        ["website_visit"],
        ["service_user"],
    )
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "recipient_changed")
    ).one()
    assert "scope: all_persons -> categories" in event.detail
    assert "scope_categories: [] -> ['website_visit']" in event.detail
    rows = {r.name: r for r in recipients.register(session, compliance)}
    assert rows["Northwind Cloud Inc."].scope_categories == ("website_visit",)
    assert rows["Nordic Resale Oy"].role == "controller"


def _person(session, first_name, relationship="customer_contact", username=None):
    person = Person(
        first_name=first_name,
        last_name="Example",
        email=f"{first_name.lower()}@example.invalid",
        country="FI",
        relationship=relationship,
        source="Information provided by the customer",
        username=username,
    )
    session.add(person)
    session.flush()
    return person


def _recipient(session, name, scope, categories=(), relationships=(), active=True):
    r = Recipient(
        name=name,
        kind="processor",
        service="Service",
        country="FI",
        transfer_mechanism="not_needed",
        scope=scope,
        scope_categories=list(categories),
        scope_relationships=list(relationships),
        active=active,
    )
    session.add(r)
    return r


def test_recipients_covering_reads_each_scope(session):
    visitor = _person(session, "Visitor")
    reader = _person(session, "Reader", relationship="marketing_opt_in")
    user = _person(session, "User", relationship="other_connection", username="user1")
    at = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    session.add(Activity(person_id=visitor.id, kind="website_visit", occurred_at=at))
    session.add(Activity(person_id=reader.id, kind="newsletter_open", occurred_at=at))
    session.add(
        Order(
            person_id=user.id,
            ordered_on=dt.date(2026, 1, 2),
            product="Licence",
            amount_eur=100,
            status="paid",
        )
    )
    _recipient(session, "Hosting", "all_persons")
    _recipient(session, "Old Hosting", "all_persons", active=False)
    _recipient(session, "Analytics", "categories", ["website_visit"])
    _recipient(session, "Behaviour", "categories", ["transactions"])
    _recipient(session, "Accounts", "categories", ["service_user"])
    _recipient(session, "Billing", "categories", ["customer_relationship"])
    _recipient(session, "Mailer", "categories", relationships=["marketing_opt_in"])
    _recipient(session, "Reseller", "per_disclosure")
    session.commit()

    def names(person, **kw):
        return [r.name for r in recipients.recipients_covering(session, person.id, **kw)]

    assert names(visitor) == ["Analytics", "Behaviour", "Billing", "Hosting", "Old Hosting"]
    assert names(visitor, active_only=True) == ["Analytics", "Behaviour", "Billing", "Hosting"]
    assert names(reader) == ["Behaviour", "Hosting", "Mailer", "Old Hosting"]
    assert names(user) == ["Accounts", "Billing", "Hosting", "Old Hosting"]
    # The same condition counts the persons in SQL (what a breach assessment reads).
    analytics = session.scalars(select(Recipient).where(Recipient.name == "Analytics")).one()
    covered = session.scalars(
        select(Person.first_name).where(recipients.covered_persons_condition(analytics))
    ).all()
    assert covered == ["Visitor"]
    reseller = session.scalars(select(Recipient).where(Recipient.name == "Reseller")).one()
    assert (
        session.scalars(
            select(Person.id).where(recipients.covered_persons_condition(reseller))
        ).all()
        == []
    )


def test_demo_recipients_have_their_role_and_scope(seeded_session):
    demo = {r.name: r for r in seeded_session.scalars(select(Recipient))}
    assert (demo["CloudHost Inc."].role, demo["CloudHost Inc."].scope) == (
        "processor",
        "all_persons",
    )
    assert demo["CloudHost Inc."].country == "US"
    assert demo["Polder Hosting B.V."].scope == "all_persons"
    analytics = demo["Rhein Analytics GmbH"]
    assert (analytics.role, analytics.scope, analytics.scope_categories) == (
        "processor",
        "categories",
        ["website_visit"],
    )
    dealers = [r for r in demo.values() if r.kind == "dealer"]
    assert dealers and {(r.role, r.scope) for r in dealers} == {("controller", "per_disclosure")}
    # A demo person with website visits is covered by the analytics processor; one without is not.
    visitor = seeded_session.scalar(
        select(Activity.person_id).where(Activity.kind == "website_visit").limit(1)
    )
    assert "Rhein Analytics GmbH" in [
        r.name for r in recipients.recipients_covering(seeded_session, visitor)
    ]
    never = seeded_session.scalar(
        select(Person.id)
        .where(
            ~select(Activity.id)
            .where(Activity.person_id == Person.id, Activity.kind == "website_visit")
            .exists()
        )
        .limit(1)
    )
    covering = [r.name for r in recipients.recipients_covering(seeded_session, never)]
    assert "Rhein Analytics GmbH" not in covering
    assert {"CloudHost Inc.", "Polder Hosting B.V."} <= set(covering)


def test_migration_gives_existing_recipients_a_role_and_scope(backend, database_factory):
    """Rows made before revision 0005 get their role and scope from kind and service."""
    from alembic import command

    url = database_factory(backend)
    engine = db.make_engine(url)
    try:
        config = db._alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        rows = [
            ("Resale Oy", "dealer", "Reseller in Finland", "FI", "not_needed"),
            ("Cloud Inc.", "processor", "Application hosting", "US", "dpf"),
            ("Polder", "processor", "Backup storage", "NL", "not_needed"),
            ("Stats GmbH", "processor", "Website Analytics", "DE", "not_needed"),
            ("Printer", "subcontractor", "Printing and posting", "DE", "not_needed"),
        ]
        with engine.begin() as connection:
            for name, kind, service, country, mechanism in rows:
                connection.execute(
                    text(
                        "INSERT INTO recipient (name, kind, service, country, "
                        "transfer_mechanism, active) VALUES (:n, :k, :s, :c, :m, :a)"
                    ),
                    {"n": name, "k": kind, "s": service, "c": country, "m": mechanism, "a": True},
                )
        db.migrate(engine)
        with db.make_sessionmaker(engine)() as s:
            got = {
                r.name: (r.role, r.scope, r.scope_categories, r.scope_relationships)
                for r in s.scalars(select(Recipient))
            }
    finally:
        engine.dispose()
    assert got == {
        "Resale Oy": ("controller", "per_disclosure", [], []),
        "Cloud Inc.": ("processor", "all_persons", [], []),
        "Polder": ("processor", "all_persons", [], []),
        "Stats GmbH": ("processor", "categories", ["website_visit"], []),
        "Printer": ("processor", "per_disclosure", [], []),
    }
