"""The basis per person, relationship, channel, consent history and declaration, as the
export, its preview and the segment counts decide it in SQL; on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import uuid
from decimal import Decimal
from typing import NamedTuple

import pytest
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from registry import consent, export, notice
from registry.errors import ValidationError
from registry.marketing_basis import Classifier, months_before
from registry.models import (
    ConsentEvent,
    ConsentState,
    DisclosedPerson,
    Disclosure,
    Order,
    Organisation,
    Person,
    Recipient,
)
from registry.segments import catalogue, counting
from registry.vocabulary import Channel, ConsentStatus, Purpose, Role
from tests import factories
from tests.conftest import demo_actor

TODAY = dt.date(2026, 6, 15)
T0 = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)
SHIPPED = notice.load().marketing
STRICT = dataclasses.replace(
    SHIPPED, bases={key: ("consent",) for key in SHIPPED.bases}
)  # consent only: a stricter declaration is always allowed
NO_EMAIL_FOR_OTHERS = dataclasses.replace(
    SHIPPED, bases={k: v for k, v in SHIPPED.bases.items() if k != ("other_connection", "email")}
)
# (purpose, status, evidence) in time order
GRANT = ("granted", "signed form")
BARE = ("granted", None)  # a grant whose event carries no evidence
WITHDRAW = ("withdrawn", "email")
OBJECT = ("objected", "letter")


class Case(NamedTuple):
    relationship: str
    channel: Channel
    history: tuple[tuple[str, tuple[str, str | None]], ...]
    expected: str
    organisation: bool = False
    ordered_months_ago: int | None = None
    declaration: notice.Marketing = SHIPPED
    sharing: bool = False
    address: bool = True


E, P, SMS = Channel.EMAIL, Channel.POST, Channel.SMS
EM, SH = Purpose.EMAIL_MARKETING.value, Purpose.SHARING_WITH_DEALERS.value
CASES = {
    # s. 202: a work-role contact may get email unless they objected; consent tried first.
    "contact, email, never asked, in an organisation": Case(
        "customer_contact", E, (), "business_opt_out", organisation=True
    ),
    "contact, email, granted": Case("customer_contact", E, ((EM, GRANT),), "consent"),
    "contact, email, bare grant, in an organisation": Case(
        "customer_contact", E, ((EM, BARE),), "business_opt_out", organisation=True
    ),
    "contact, email, bare grant, no organisation": Case(
        "customer_contact", E, ((EM, BARE),), "no_evidence"
    ),
    "contact, email, never asked, no organisation": Case(
        "customer_contact", E, (), "never_granted"
    ),
    "contact, email, withdrawn, in an organisation": Case(
        "customer_contact", E, ((EM, GRANT), (EM, WITHDRAW)), "withdrawn", organisation=True
    ),
    "contact, email, objected, in an organisation": Case(
        "customer_contact", E, ((EM, OBJECT),), "objected", organisation=True
    ),
    "contact, email, regranted after withdrawing": Case(
        "customer_contact", E, ((EM, WITHDRAW), (EM, GRANT)), "consent"
    ),
    "contact, email, never asked, consent-only declaration": Case(
        "customer_contact", E, (), "never_granted", organisation=True, declaration=STRICT
    ),
    "contact, in-app, never asked": Case(
        "customer_contact", Channel.IN_APP, (), "never_granted", organisation=True
    ),
    # s. 200(2): own customers, similar products.
    "user, email, never asked, ordered 3 months ago": Case(
        "service_user", E, (), "soft_opt_in", ordered_months_ago=3
    ),
    "user, SMS, never asked, ordered 3 months ago": Case(
        "service_user", SMS, (), "soft_opt_in", ordered_months_ago=3
    ),
    "user, email, never asked, ordered 30 months ago": Case(
        "service_user", E, (), "never_granted", ordered_months_ago=30
    ),
    "user, events, never asked, ordered 3 months ago": Case(
        "service_user", Channel.EVENTS, (), "never_granted", ordered_months_ago=3
    ),
    "user, email, withdrawn, ordered 3 months ago": Case(
        "service_user", E, ((EM, GRANT), (EM, WITHDRAW)), "withdrawn", ordered_months_ago=3
    ),
    "user, email, never asked, consent-only declaration": Case(
        "service_user", E, (), "never_granted", ordered_months_ago=3, declaration=STRICT
    ),
    "user, SMS, granted": Case("service_user", SMS, ((Purpose.SMS.value, GRANT),), "consent"),
    # Post and person-made calls: legitimate interests with an opt-out.
    "other, post, never asked": Case("other_connection", P, (), "legitimate_interests"),
    "other, post, never asked, no address": Case(
        "other_connection", P, (), "no_contact", address=False
    ),
    "other, post, objected": Case(
        "other_connection", P, ((Purpose.POST.value, OBJECT),), "objected"
    ),
    "other, phone, never asked": Case(
        "other_connection", Channel.PHONE, (), "legitimate_interests"
    ),
    "other, email, nothing declared": Case(
        "other_connection", E, ((EM, GRANT),), "not_declared", declaration=NO_EMAIL_FOR_OTHERS
    ),
    "opt-in, phone, never asked": Case("marketing_opt_in", Channel.PHONE, (), "never_granted"),
    "opt-in, email, bare grant": Case("marketing_opt_in", E, ((EM, BARE),), "no_evidence"),
    "opt-in, post, consent-only declaration, granted": Case(
        "marketing_opt_in", P, ((Purpose.POST.value, GRANT),), "consent", declaration=STRICT
    ),
    # A dealer's list rests on the consent naming the sharing, never on the channel's.
    "dealer list, email granted, no sharing consent": Case(
        "marketing_opt_in", E, ((EM, GRANT),), "no_sharing_consent", sharing=True
    ),
    "dealer list, sharing granted": Case(
        "marketing_opt_in", E, ((SH, GRANT),), "sharing_consent", sharing=True
    ),
    "dealer list, sharing bare grant": Case(
        "marketing_opt_in", E, ((SH, BARE),), "no_evidence", sharing=True
    ),
    "dealer list, sharing granted, email objected": Case(
        "marketing_opt_in", E, ((SH, GRANT), (EM, OBJECT)), "objected", sharing=True
    ),
}


def make_person(session: Session, case: Case) -> Person:
    organisation = None
    if case.organisation:
        organisation = Organisation(
            name="Asiakas Oy",
            business_id=f"{uuid.uuid4().int % 10**7:07d}-1",
            industry="Retail",
            country="FI",
            city="Turku",
        )
        session.add(organisation)
        session.flush()
    person = factories.person(
        session,
        relationship=case.relationship,
        email="aino@example.fi",
        phone="+358401234567",
        username="aino",
        street_address="Aurakatu 1" if case.address else None,
        postal_code="20100" if case.address else None,
        organisation_id=organisation.id if organisation else None,
        commit=False,
    )
    session.flush()
    if case.ordered_months_ago is not None:
        session.add(
            Order(
                person_id=person.id,
                ordered_on=months_before(TODAY, case.ordered_months_ago),
                product="Click2Contract Pro",
                amount_eur=Decimal("120.00"),
                status="paid",
            )
        )
    session.commit()
    for hours, (purpose, (status, evidence)) in enumerate(case.history):
        factories.imported_consent(
            session, person.id, purpose, status, T0 + dt.timedelta(hours=hours), "email", evidence
        )
    return person


def outcome(session: Session, person: Person, case: Case) -> str:
    """What the export's CASE decides for the person: the basis, or why left out."""
    bases = Classifier.for_channels([case.channel], TODAY, case.declaration, sharing=case.sharing)
    reasons = bases.whens(case.channel, "objected", "withdrawn", "no_contact")
    query = bases.join(select(case_of(reasons, bases, case.channel)).select_from(Person))
    return session.scalar(query.where(Person.id == person.id))


def case_of(reasons, bases: Classifier, channel: Channel):  # type: ignore[no-untyped-def]
    return case(*reasons, else_=bases.basis(channel))


@pytest.mark.parametrize("name", list(CASES))
def test_the_basis_or_the_reason_per_case(session, actors, name):
    case = CASES[name]
    person = make_person(session, case)
    assert outcome(session, person, case) == case.expected
    if not case.sharing and case.declaration is SHIPPED:
        # The segment counts agree with the export: targetable exactly when a basis holds.
        summary = counting.summary(
            session,
            actors[Role.MARKETING],
            [{"field": "relationship", "op": "in", "value": [case.relationship]}],
            TODAY,
        )
        assert summary.targetable[case.channel] == (case.expected in export.marketing_basis.BASES)


# --- the seeded demo: dealers receive only persons whose consent names the sharing --------


@pytest.fixture
def demo_session(seeded_copy):  # type: ignore[no-untyped-def]
    from registry import db

    engine = db.make_engine(seeded_copy())
    with db.make_sessionmaker(engine)() as s:
        yield s
    engine.dispose()


def _sharing_granted_at(events: list[ConsentEvent], moment: dt.datetime) -> bool:
    before = [e for e in events if e.occurred_at <= moment]
    if not before:
        return False
    winner = max(before, key=lambda e: consent.precedence(e.occurred_at, e.status, e.id))
    return winner.status == ConsentStatus.GRANTED


def test_the_seeded_demo_gives_dealers_nobody_without_the_sharing_consent(demo_session):
    s = demo_session
    marketing = demo_actor(s, Role.MARKETING)
    dealers = list(s.scalars(select(Recipient).where(Recipient.kind == "dealer")))
    assert dealers and all(d.role == "controller" for d in dealers)
    sharing: dict[int, list[ConsentEvent]] = {}
    for e in s.scalars(select(ConsentEvent).where(ConsentEvent.purpose == SH)):
        sharing.setdefault(e.person_id, []).append(e)
    # The seeded history: every person a dealer received had the sharing consent then.
    rows = s.execute(
        select(DisclosedPerson.person_id, Disclosure.disclosed_at)
        .join(Disclosure, Disclosure.id == DisclosedPerson.disclosure_id)
        .where(Disclosure.recipient_id.in_([d.id for d in dealers]))
    ).all()
    assert all(_sharing_granted_at(sharing.get(pid, []), at) for pid, at in rows)
    # An export now: Everyone, by email, to a dealer the consent names.
    everyone = catalogue.find_segment(s, marketing, "Everyone")
    result = export.export_target_list(
        s, marketing, everyone, Channel.EMAIL, dealers[0].id, "Leads", io.StringIO()
    )
    listed = dict(
        s.execute(
            select(DisclosedPerson.person_id, DisclosedPerson.basis).where(
                DisclosedPerson.disclosure_id == result.disclosure_id
            )
        ).all()
    )
    assert set(listed.values()) <= {"sharing_consent"}
    for pid in listed:
        state = s.get(ConsentState, (pid, SH))
        assert state is not None and state.status == "granted" and state.has_evidence
        assert s.get(ConsentState, (pid, EM)) is None or s.get(
            ConsentState, (pid, EM)
        ).status not in ("withdrawn", "objected")
    with_sharing = s.scalar(
        select(func.count())
        .select_from(ConsentState)
        .join(Person, Person.id == ConsentState.person_id)
        .where(
            ConsentState.purpose == SH,
            ConsentState.status == "granted",
            ConsentState.has_evidence,
            Person.email.is_not(None),
        )
    )
    assert len(listed) <= with_sharing
    assert result.preview.left_out[export.LeftOut.NO_SHARING_CONSENT] > 0
    # A software subcontractor receives no target list at all.
    studio = s.scalar(select(Recipient).where(Recipient.name == "Tallinn Dev Studio OÜ"))
    with pytest.raises(ValidationError, match="does not deliver email messages"):
        export.export_target_list(
            s, marketing, everyone, Channel.EMAIL, studio.id, "Leads", io.StringIO()
        )
