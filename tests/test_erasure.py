"""Erasure (Art. 17) that erases, on SQLite and PostgreSQL: the preview, the one transaction,
legal holds, refusals, the suppression list, Art. 19 follow-ups, and a dump afterwards."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry import consent, erasure, erasure_follow_up, export, suppression
from registry.errors import ConflictError, ValidationError
from registry.models import (
    Activity,
    AuditEvent,
    Base,
    ConsentEvent,
    ConsentState,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    ErasureFollowUp,
    ErasureJournal,
    Order,
    Person,
    PersonMetrics,
    Suppression,
)
from registry.notice import LegalHold
from registry.requests import transitions
from registry.vocabulary import Channel, ConsentSource, Purpose, RequestStatus, Role
from tests import factories
from tests.test_imports import do_import, person_row, rejects_of, write
from tests.test_segments_export import choice_of, exported_rows, recipient

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
NAME = ("Erkki", "Poistettava")
EMAIL = "erkki.poistettava@yritys.example.fi"
PHONE = "+358401112223"


def _world(session, actors):  # type: ignore[no-untyped-def]
    """A person with every kind of data, a verified erasure request, and a disclosure."""
    officer = actors[Role.COMPLIANCE]
    person = factories.person(
        session,
        *NAME,
        email=EMAIL,
        phone=PHONE,
        street_address="Poistokatu 1",
        postal_code="00100",
        city="Helsinki",
        username="erkki.p",
        password_hash="argon2-hash",
        position="Ostaja",
        gender="male",
    )
    consent.record_consent(
        session, officer, person.id, [Purpose.NEWSLETTER], "granted", ConsentSource.EMAIL, "form"
    )
    session.add_all(
        [
            Activity(person_id=person.id, kind="website_visit", occurred_at=NOW),
            PersonMetrics(person_id=person.id, order_count=3, order_total_eur=Decimal("30")),
            # Old voucher (hold ended 2024-12-31), recent voucher, claim in recovery.
            Order(person_id=person.id, ordered_on=dt.date(2018, 3, 1), product="A",
                  amount_eur=Decimal("10"), status="paid"),
            Order(person_id=person.id, ordered_on=dt.date(2024, 5, 1), product="B",
                  amount_eur=Decimal("10"), status="paid"),
            Order(person_id=person.id, ordered_on=dt.date(2015, 1, 1), product="C",
                  amount_eur=Decimal("10"), status="in_recovery"),
        ]
    )  # fmt: skip
    session.commit()
    mailer = recipient(session, "Emerald Mailworks Ltd")
    sent = factories.disclosure(
        session, officer, mailer.id, [person.id], disclosed_at=NOW - dt.timedelta(days=30)
    )
    request = factories.request_row(
        session,
        "erasure",
        person_id=person.id,
        status=RequestStatus.VERIFIED,
        identity_verified_at=NOW - dt.timedelta(days=1),
        identity_method="Strong electronic identification",
        requester_name=" ".join(NAME),
        requester_contact=EMAIL,
        details=f"Please erase {' '.join(NAME)}",
    )
    return officer, person.id, request.id, sent.id, mailer.id


def count(session, model, *where) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_voucher_hold_ends_six_years_after_the_year_the_financial_year_ended():
    calendar = LegalHold()
    assert erasure.voucher_hold_end(dt.date(2024, 5, 1), calendar) == dt.date(2030, 12, 31)
    assert erasure.voucher_hold_end(dt.date(2024, 12, 31), calendar) == dt.date(2030, 12, 31)
    june = LegalHold(financial_year_end_month=6)  # a year from July to June
    assert erasure.voucher_hold_end(dt.date(2024, 6, 30), june) == dt.date(2030, 12, 31)
    assert erasure.voucher_hold_end(dt.date(2024, 7, 1), june) == dt.date(2031, 12, 31)


def test_the_preview_says_per_table_what_goes_and_what_is_kept_until_when(session, actors):
    officer, person_id, request_id, _, _ = _world(session, actors)
    shown = erasure.preview(session, officer, request_id, today=dt.date(2026, 3, 10))
    by = {(e.table, e.what): e for e in shown.effects}
    assert by[("consent_event", "deleted")].rows == 1
    assert by[("consent_state", "deleted")].rows == 1
    assert by[("activity", "deleted")].rows == 1
    assert by[("disclosed_person", "deleted")].rows == 1
    assert by[("customer_order", "deleted")].rows == 1
    kept = [e for e in shown.effects if e.table == "customer_order" and e.what == "kept"]
    assert sorted((e.rows, e.until or dt.date.max) for e in kept) == [
        (1, dt.date(2030, 12, 31)),
        (1, dt.date.max),  # the claim in recovery, kept until settled
    ]
    assert shown.exceptions == ["accounting_act", "legal_claims"]
    assert count(session, ConsentEvent, ConsentEvent.person_id == person_id) == 1  # no write


def test_completing_an_erasure_erases_in_one_transaction(session, actors):
    officer, person_id, request_id, disclosure_id, mailer_id = _world(session, actors)
    hosting = factories.recipient(session, "Polder Hosting B.V.", scope="all_persons")
    applied = erasure.erase_for_request(
        session, officer, request_id, ["consent_withdrawn"], "Erased; billing kept", now=NOW
    )
    person = session.get(Person, person_id)
    assert person.erased_at == NOW
    assert (person.first_name, person.last_name, person.email, person.phone) == ("", "", None, None)
    assert person.username is None and person.password_hash is None and person.city is None
    for model in (ConsentEvent, ConsentState, Activity, PersonMetrics, DisclosedPerson):
        assert count(session, model, model.person_id == person_id) == 0, model
    assert session.get(Disclosure, disclosure_id).person_count == 1  # a pseudonymous count
    held = session.execute(
        select(Order.ordered_on, Order.held_until, Order.hold_reason)
        .where(Order.person_id == person_id)
        .order_by(Order.ordered_on)
    ).all()
    assert [(o, u) for o, u, _ in held] == [
        (dt.date(2015, 1, 1), None),
        (dt.date(2024, 5, 1), dt.date(2030, 12, 31)),
    ]
    assert "Art. 17(3)(e)" in held[0][2] and "1336/1997" in held[1][2]
    request = session.get(DataSubjectRequest, request_id)
    assert request.status == RequestStatus.COMPLETED
    assert request.erasure_grounds == ["consent_withdrawn"]
    assert request.erasure_exceptions == ["accounting_act", "legal_claims"]
    assert (request.requester_name, request.requester_contact, request.details) == (
        erasure.ERASED, erasure.ERASED, ""
    )  # fmt: skip
    journal = session.scalar(select(ErasureJournal).where(ErasureJournal.person_id == person_id))
    assert journal.id == applied.journal_id and journal.request_id == request_id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "person_erased"))
    assert event.record_id == str(person_id) and f"request #{request_id}" in event.detail
    assert count(session, Suppression) == 1
    assert suppression.is_suppressed(session, email=EMAIL.upper())
    assert suppression.is_suppressed(session, phone="040 111 2223")  # normalised to E.164
    # Art. 19: the recipient that had the person's data is listed to be told.
    found = erasure_follow_up.of_request(session, officer, request_id)
    # The hosting processor holds everyone's data: listed by its scope, with no disclosures.
    assert [(r.recipient_id, r.disclosures, r.notified_at) for r in found.recipients] == [
        (mailer_id, 1, None),
        (hosting.id, 0, None),
    ]
    assert erasure_follow_up.mark_notified(session, officer, found.journal_id, mailer_id)
    assert not erasure_follow_up.mark_notified(session, officer, found.journal_id, mailer_id)
    assert erasure_follow_up.of_request(session, officer, request_id).pending == 1


def test_a_dump_after_the_erasure_holds_no_name_email_or_phone(session, actors):
    officer, _, request_id, _, _ = _world(session, actors)
    transitions.assign(session, officer, request_id, officer.user_id)
    erasure.erase_for_request(session, officer, request_id, ["objected"], "Done", now=NOW)
    needles = [*NAME, EMAIL, PHONE, "Poistokatu", "erkki.p"]
    found = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            text = " ".join(str(v) for v in row)
            found += [(table.name, n) for n in needles if n.lower() in text.lower()]
    assert found == []


def test_an_unverified_or_unmatched_erasure_is_refused_with_the_reason(session, actors):
    officer = actors[Role.COMPLIANCE]
    person = factories.person(session, "Ulla", "Vahvistamaton", email="ulla@example.fi")
    unverified = factories.request_row(session, "erasure", person_id=person.id)
    with pytest.raises(ValidationError, match="not verified"):
        erasure.erase_for_request(session, officer, unverified.id, ["objected"], "x")
    unmatched = factories.request_row(
        session, "erasure", status=RequestStatus.VERIFIED, identity_verified_at=NOW
    )
    with pytest.raises(ValidationError, match="Not matched"):
        erasure.preview(session, officer, unmatched.id)
    with pytest.raises(ValidationError) as refused:
        erasure.erase_for_request(session, officer, unverified.id, [], "")
    assert set(refused.value.field_errors) == {"grounds", "outcome"}
    verified = factories.request_row(
        session, "erasure", person_id=person.id, status=RequestStatus.VERIFIED,
        identity_verified_at=NOW,
    )  # fmt: skip
    # The plain completion does not pretend: an erasure request is completed by erasing.
    with pytest.raises(ValidationError, match="preview"):
        transitions.complete(session, officer, verified.id, "Erased")
    closed = factories.request_row(
        session, "erasure", person_id=person.id, status=RequestStatus.REJECTED,
        identity_verified_at=NOW,
    )  # fmt: skip
    with pytest.raises(ConflictError):
        erasure.erase_for_request(session, officer, closed.id, ["objected"], "x")
    assert session.get(Person, person.id).erased_at is None


def test_a_batch_erases_each_person_as_alone_and_no_one_else(session, actors):
    """apply_many (a retention batch): each table changed once over the batch's ids, yet the
    holds, the journal, the follow-ups and the scrubbing stay each person's own."""
    officer, first, request_id, _, mailer_id = _world(session, actors)
    second = factories.person(session, "Sanna", "Toinen", email="sanna@toinen.example.fi")
    bystander = factories.person(session, "Olli", "Ohikulkija", email="olli@example.fi")
    session.add_all(
        [Activity(person_id=p.id, kind="app_use", occurred_at=NOW) for p in (second, bystander)]
    )
    session.commit()
    analytics = recipient(session, "Rhein Analytics GmbH")
    # The same recipient as the first person's, with other categories: kept apart per person.
    factories.disclosure(
        session, officer, mailer_id, [second.id, bystander.id], categories=("transactions",)
    )
    done = erasure.apply_many(
        session,
        [first, second.id, first],  # a repeated id is erased once
        now=NOW,
        secret=b"k" * 32,
        request_ids={first: request_id},
        covering={second.id: [analytics.id, mailer_id]},
    )
    session.commit()
    assert set(done.journal_ids) == {first, second.id}
    assert done.exceptions == {first: ["accounting_act", "legal_claims"], second.id: []}
    assert done.recipients == {first: 1, second.id: 2}  # the analytics firm by its scope
    follow_ups = {
        (j.person_id, f.recipient_id): f.data_categories
        for f, j in session.execute(
            select(ErasureFollowUp, ErasureJournal).join(
                ErasureJournal, ErasureJournal.id == ErasureFollowUp.journal_id
            )
        ).all()
    }
    assert follow_ups == {
        (first, mailer_id): ["basic"],
        (second.id, mailer_id): ["transactions"],  # by disclosure, so not again by scope
        (second.id, analytics.id): [],
    }
    journal = {j.person_id: j.request_id for j in session.scalars(select(ErasureJournal))}
    assert journal == {first: request_id, second.id: None}
    assert count(session, Order, Order.person_id == first) == 2  # the held ones
    assert count(session, Activity, Activity.person_id.in_([first, second.id])) == 0
    assert count(session, Suppression) == 2
    session.expire_all()
    for pid in (first, second.id):
        assert session.get(Person, pid).erased_at is not None
        assert session.get(Person, pid).email is None
    assert session.get(Person, bystander.id).erased_at is None
    assert session.get(Person, bystander.id).email == "olli@example.fi"
    assert count(session, Activity, Activity.person_id == bystander.id) == 1
    assert count(session, DisclosedPerson, DisclosedPerson.person_id == bystander.id) == 1
    request = session.get(DataSubjectRequest, request_id)
    assert request.requester_name == erasure.ERASED and request.details == ""


def test_a_failure_halfway_leaves_nothing_erased(session, actors, monkeypatch):
    officer, person_id, request_id, _, _ = _world(session, actors)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(suppression, "add_many", broken)
    with pytest.raises(RuntimeError):
        erasure.erase_for_request(session, officer, request_id, ["objected"], "x", now=NOW)
    session.expire_all()
    assert session.get(Person, person_id).email == EMAIL
    assert count(session, ConsentEvent, ConsentEvent.person_id == person_id) == 1
    assert count(session, Order, Order.person_id == person_id) == 3
    assert session.get(DataSubjectRequest, request_id).status == RequestStatus.VERIFIED
    assert count(session, ErasureJournal) == 0


def test_a_suppressed_email_is_not_granted_exported_or_imported_again(session, actors, tmp_path):
    officer, _, request_id, _, _ = _world(session, actors)
    erasure.erase_for_request(session, officer, request_id, ["objected"], "x", now=NOW)
    # Someone adds the same address again by hand, granted through an import of old events.
    again = factories.person(session, "Erkki", "Uudelleen", email=EMAIL.upper(), position="again")
    with pytest.raises(ValidationError, match="granted consent again"):
        consent.record_consent(
            session, officer, again.id, [Purpose.NEWSLETTER], "granted", "email", "form"
        )
    factories.imported_consent(session, again.id, Purpose.NEWSLETTER, "granted", NOW, "app", "x")
    out = io.StringIO()
    result = export.export_target_list(
        session,
        actors[Role.MARKETING],
        choice_of([{"field": "position", "op": "in", "value": ["again"]}]),
        Channel.NEWSLETTER,
        recipient(session).id,
        "News",
        out,
    )
    assert exported_rows(out) == [] and result.rows == 0
    assert result.preview.left_out[export.LeftOut.SUPPRESSED] == 1
    path = write(
        tmp_path / "persons.csv",
        [person_row(email=EMAIL, phone=""), person_row(email="", phone="040 111 2223")],
    )
    imported = do_import(session, officer, "persons", path, skip_invalid=True)
    assert imported.rejected == 2
    assert all("suppression list" in r[3] for r in rejects_of(path))


def test_an_erased_person_is_in_no_segment_and_no_metrics(session, actors):
    from registry import metrics
    from registry.segments import membership

    officer, person_id, request_id, _, _ = _world(session, actors)
    erasure.erase_for_request(session, officer, request_id, ["objected"], "x", now=NOW)
    metrics.refresh_metrics(session, now=NOW)
    session.commit()
    assert count(session, PersonMetrics, PersonMetrics.person_id == person_id) == 0
    members = session.scalars(membership.from_persons(Person.id)).all()
    assert person_id not in members
    assert count(session, ErasureFollowUp) == 1


def test_an_erased_person_is_not_counted_on_the_overview(session, actors):
    from registry import overview

    officer, _, request_id, _, _ = _world(session, actors)
    before = overview.overview(session, officer).persons
    erasure.erase_for_request(session, officer, request_id, ["objected"], "x", now=NOW)
    shown = overview.overview(session, officer)
    assert shown.persons == before - 1
    assert sum(n for _, n in shown.persons_added_per_month) == shown.persons
