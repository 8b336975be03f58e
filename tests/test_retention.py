"""The retention schedule (Art. 5(1)(e)) on SQLite and PostgreSQL: each rule with a person or
row just inside and just outside its period; the listing changes nothing; applying twice
changes nothing the second time; legal holds; a failed batch; erased persons stay gone."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from registry import consent, erasure, export, retention, retention_apply, settings, suppression
from registry.errors import PermissionDenied
from registry.models import (
    Activity,
    AuditEvent,
    Base,
    ConsentEvent,
    ConsentState,
    DataSubjectRequest,
    ErasureJournal,
    Order,
    Organisation,
    Person,
    PersonMetrics,
    RequestTransition,
    RetentionRun,
    Suppression,
    utcnow,
)
from registry.notice import declaration
from registry.vocabulary import Channel, ConsentSource, Purpose, RequestStatus, Role
from tests import factories
from tests.test_segments_export import choice_of, exported_rows, recipient

HOUR = dt.timedelta(hours=1)


def today() -> dt.date:
    # The real day: the database's audit guard counts from its own clock.
    return dt.datetime.now(settings.REGISTRY_TZ).date()


def clock_of(key: str) -> retention.Clock:
    return retention.clock(declaration().retention.rule(key), today())


def due_of(session, actors, key: str) -> retention.Due:  # type: ignore[no-untyped-def]
    listed = retention.listing(session, actors[Role.COMPLIANCE])
    return next(d for d in listed if d.rule.key == key)


def run(engine, actors, **kwargs):  # type: ignore[no-untyped-def]
    return retention_apply.apply(engine, actors[Role.COMPLIANCE], **kwargs)


def old_person(session, name: str, relationship: str, **columns):  # type: ignore[no-untyped-def]
    created = utcnow() - dt.timedelta(days=20 * 365)
    return factories.person(
        session,
        name,
        "Vanha",
        relationship=relationship,
        email=f"{name.lower()}@example.fi",
        created_at=created,
        **columns,
    )


def erased(session, person_id: int) -> bool:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(Person, person_id).erased_at is not None


def organisation(session, name: str, until: dt.date) -> Organisation:  # type: ignore[no-untyped-def]
    org = Organisation(
        name=name,
        business_id=f"{abs(hash(name)) % 10_000_000:07d}-1",
        industry="Retail",
        country="FI",
        city="Turku",
        customer_until=until,
    )
    session.add(org)
    session.commit()
    return org


def test_past_customer_contacts_fall_due_the_day_after_their_period(session, engine, actors):
    c = clock_of("past_customer_contacts")
    inside = organisation(session, "Inside Oy", c.cutoff)
    outside = organisation(session, "Outside Oy", c.cutoff - dt.timedelta(days=1))
    current = organisation(session, "Current Oy", today())
    kept = old_person(session, "Kept", "customer_contact", organisation_id=inside.id)
    gone = old_person(session, "Gone", "customer_contact", organisation_id=outside.id)
    live = old_person(session, "Live", "customer_contact", organisation_id=current.id)
    assert due_of(session, actors, "past_customer_contacts").persons == 1
    summary = run(engine, actors)
    assert summary.counts["past_customer_contacts"]["persons"] == 1
    assert erased(session, gone.id)
    assert not erased(session, kept.id) and not erased(session, live.id)


def test_service_users_fall_due_after_their_last_app_use(session, engine, actors):
    c = clock_of("service_users")
    used_inside = old_person(session, "Recent", "service_user")
    used_outside = old_person(session, "Lapsed", "service_user")
    never_used = old_person(session, "Never", "service_user")
    app_today = old_person(session, "Active", "service_user")
    session.add_all(
        [
            PersonMetrics(person_id=used_inside.id, last_app_use_at=c.since + HOUR),
            PersonMetrics(person_id=used_outside.id, last_app_use_at=c.since - HOUR),
            # The activity counts even where the derived figure is not yet refreshed.
            Activity(person_id=app_today.id, kind="app_use", occurred_at=utcnow()),
        ]
    )
    session.commit()
    assert due_of(session, actors, "service_users").persons == 2
    run(engine, actors)
    assert erased(session, used_outside.id) and erased(session, never_used.id)
    assert not erased(session, used_inside.id) and not erased(session, app_today.id)


def test_marketing_opt_ins_fall_due_after_their_last_engagement_or_consent(session, engine, actors):
    c = clock_of("marketing_opt_ins")
    opened = old_person(session, "Opened", "marketing_opt_in")
    consented = old_person(session, "Consented", "marketing_opt_in")
    silent = old_person(session, "Silent", "marketing_opt_in")
    session.add_all(
        [
            Activity(person_id=opened.id, kind="newsletter_open", occurred_at=c.since + HOUR),
            Activity(person_id=silent.id, kind="newsletter_open", occurred_at=c.since - HOUR),
        ]
    )
    session.commit()
    factories.imported_consent(
        session, consented.id, Purpose.NEWSLETTER, "granted", c.since + HOUR, "web_form", "form"
    )
    assert due_of(session, actors, "marketing_opt_ins").persons == 1
    run(engine, actors)
    assert erased(session, silent.id)
    assert not erased(session, opened.id) and not erased(session, consented.id)


def test_other_connections_fall_due_after_they_were_added(session, engine, actors):
    c = clock_of("other_connections")
    recent = factories.person(
        session, "Uusi", "Tuttu", relationship="other_connection", created_at=c.since + HOUR
    )
    old = factories.person(
        session, "Vanha", "Tuttu", relationship="other_connection", created_at=c.since - HOUR
    )
    assert due_of(session, actors, "other_connections").persons == 1
    run(engine, actors)
    assert erased(session, old.id) and not erased(session, recent.id)


def test_website_visits_older_than_the_period_are_deleted(session, engine, actors):
    c = clock_of("website_behaviour")
    p = factories.person(session, created_at=utcnow())
    session.add_all(
        [
            Activity(person_id=p.id, kind="website_visit", occurred_at=c.since - HOUR),
            Activity(person_id=p.id, kind="website_visit", occurred_at=c.since + HOUR),
            Activity(person_id=p.id, kind="event_participation", occurred_at=c.since - HOUR),
            PersonMetrics(person_id=p.id, last_website_visit_at=c.since - HOUR),
        ]
    )
    session.commit()
    assert due_of(session, actors, "website_behaviour").rows == 1
    run(engine, actors)
    session.expire_all()
    kinds = session.execute(select(Activity.kind, Activity.occurred_at)).all()
    assert sorted(k for k, _ in kinds) == ["event_participation", "website_visit"]
    assert all(at > c.since for k, at in kinds if k == "website_visit")
    # The derived figure does not outlive the visit it came from.
    assert session.get(PersonMetrics, p.id).last_website_visit_at is None
    assert not erased(session, p.id)


def test_replaced_consent_evidence_goes_three_years_after_it_was_replaced(session, engine, actors):
    c = clock_of("consent_evidence")
    ancient = c.since - dt.timedelta(days=4000)
    people = {}
    for name, withdrawn_at in (("Replaced", c.since - HOUR), ("Recent", c.since + HOUR)):
        p = factories.person(session, name, "Suostuja", created_at=utcnow())
        for status, at in (("granted", ancient), ("withdrawn", withdrawn_at)):
            factories.imported_consent(
                session, p.id, Purpose.NEWSLETTER, status, at, "web_form", f"{status} form"
            )
        people[name] = p.id
    assert due_of(session, actors, "consent_evidence").rows == 1
    run(engine, actors)
    session.expire_all()

    def statuses(person_id: int) -> list[str]:
        return sorted(
            session.scalars(
                select(ConsentEvent.status).where(ConsentEvent.person_id == person_id)
            ).all()
        )

    assert statuses(people["Replaced"]) == ["withdrawn"]  # the current status stays
    assert statuses(people["Recent"]) == ["granted", "withdrawn"]
    state = session.get(ConsentState, (people["Replaced"], Purpose.NEWSLETTER))
    assert state is not None and state.status == "withdrawn"


def test_closed_requests_go_three_years_after_closing(session, engine, actors):
    c = clock_of("request_records")
    p = factories.person(session, created_at=utcnow())
    rows = {}
    for name, closed in (("old", c.since - HOUR), ("recent", c.since + HOUR)):
        r = factories.request_row(
            session, "access", person_id=p.id, status=RequestStatus.COMPLETED, closed_at=closed
        )
        session.add(
            RequestTransition(request_id=r.id, action="complete", to_status="completed", at=closed)
        )
        session.commit()
        rows[name] = r.id
    still_open = factories.request_row(session, "access", status=RequestStatus.RECEIVED)
    assert due_of(session, actors, "request_records").rows == 1
    run(engine, actors)
    session.expire_all()
    left = set(session.scalars(select(DataSubjectRequest.id)).all())
    assert left == {rows["recent"], still_open.id}
    assert session.scalar(select(func.count()).select_from(RequestTransition)) == 1


def test_a_person_on_a_legal_hold_keeps_only_the_held_orders(session, engine, actors):
    c = clock_of("past_customer_contacts")
    org = organisation(session, "Ended Oy", c.cutoff - dt.timedelta(days=1))
    p = old_person(
        session, "Held", "customer_contact", organisation_id=org.id, phone="+358401234567"
    )
    recent = dt.date(today().year - 1, 6, 1)
    session.add_all(
        [
            Order(person_id=p.id, ordered_on=dt.date(2010, 1, 5), product="Old",
                  amount_eur=Decimal("10"), status="paid"),
            Order(person_id=p.id, ordered_on=recent, product="Voucher",
                  amount_eur=Decimal("10"), status="paid"),
            Order(person_id=p.id, ordered_on=dt.date(2012, 1, 5), product="Claim",
                  amount_eur=Decimal("10"), status="in_recovery"),
            Activity(person_id=p.id, kind="newsletter_open", occurred_at=c.since - HOUR),
        ]
    )  # fmt: skip
    session.commit()
    consent.record_consent(
        session, actors[Role.COMPLIANCE], p.id, [Purpose.NEWSLETTER], "granted",
        ConsentSource.EMAIL, "form",
    )  # fmt: skip
    listed = due_of(session, actors, "past_customer_contacts")
    assert (listed.persons, listed.held) == (1, 2)
    run(engine, actors)
    session.expire_all()
    person = session.get(Person, p.id)
    assert person.erased_at is not None and person.email is None and person.first_name == ""
    kept = session.execute(
        select(Order.product, Order.held_until).where(Order.person_id == p.id).order_by(Order.id)
    ).all()
    assert [k for k, _ in kept] == ["Voucher", "Claim"]
    assert kept[0][1] == erasure.voucher_hold_end(recent, declaration().legal_hold)
    for model in (Activity, ConsentEvent, ConsentState):
        assert session.scalar(select(func.count()).where(model.person_id == p.id)) == 0
    # The same erasure path as a request: suppression entry and journal row.
    assert session.scalar(select(func.count()).select_from(Suppression)) == 1
    assert session.scalar(select(ErasureJournal.person_id)) == p.id


def test_held_orders_go_when_the_hold_ends_and_claims_in_recovery_stay(session, engine, actors):
    p = factories.person(session, created_at=utcnow(), erased_at=utcnow())
    session.add_all(
        [
            Order(person_id=p.id, ordered_on=dt.date(2015, 1, 1), product=name,
                  amount_eur=Decimal("1"), status=status, held_until=until)
            for name, status, until in (
                ("ended", "paid", today() - dt.timedelta(days=1)),
                ("last day", "paid", today()),
                ("claim", "in_recovery", None),
            )
        ]
    )  # fmt: skip
    session.commit()
    assert due_of(session, actors, "orders").rows == 1
    run(engine, actors)
    session.expire_all()
    assert sorted(session.scalars(select(Order.product)).all()) == ["claim", "last day"]


def test_audit_events_past_their_period_go_through_the_guard_and_no_others(session, engine, actors):
    c = clock_of("audit_trail")
    for at, action in ((c.since - dt.timedelta(days=2), "old"), (c.since + HOUR, "young")):
        session.add(AuditEvent(at=at, actor_name="t", action=action, detail=""))
    session.commit()
    assert due_of(session, actors, "audit_trail").rows == 1
    run(engine, actors)
    session.expire_all()
    actions = set(session.scalars(select(AuditEvent.action)).all())
    assert "young" in actions and "old" not in actions
    # Outside the period the trail stays append-only, whatever deletes it.
    session.add(AuditEvent(at=utcnow() - dt.timedelta(days=400), actor_name="t", action="x"))
    session.commit()
    with pytest.raises(Exception, match="append-only"):
        session.execute(text("DELETE FROM audit_event WHERE action IN ('young', 'x')"))
    session.rollback()
    with pytest.raises(Exception, match="append-only"):
        session.execute(text("UPDATE audit_event SET detail = 'x' WHERE action = 'x'"))
    session.rollback()
    if session.bind.dialect.name == "postgresql":
        with pytest.raises(Exception, match="append-only: TRUNCATE refused"):
            session.execute(text("TRUNCATE audit_event"))
        session.rollback()


def _table_counts(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        t.name: session.scalar(select(func.count()).select_from(t))
        for t in Base.metadata.sorted_tables
    }


def test_the_listing_changes_nothing_and_a_second_run_finds_nothing(session, engine, actors):
    c = clock_of("marketing_opt_ins")
    for i in range(3):
        old_person(session, f"Hiljainen{i}", "marketing_opt_in")
    session.add(AuditEvent(at=c.since - dt.timedelta(days=3000), actor_name="t", action="old"))
    session.commit()
    before = _table_counts(session)
    retention.listing(session, actors[Role.COMPLIANCE])
    assert _table_counts(session) == before
    first = run(engine, actors, batch_persons=2)  # two batches
    assert first.persons_erased == 3 and first.rows_deleted == 1
    second = run(engine, actors)
    assert (second.persons_erased, second.rows_deleted, second.counts) == (0, 0, {})
    listed = retention.listing(session, actors[Role.COMPLIANCE])
    assert all(d.persons == 0 and d.rows == 0 for d in listed)
    runs, total = retention_apply.runs(session, actors[Role.ADMINISTRATOR], limit=10)
    assert total == 2 and runs[1].persons_erased == 3 and runs[1].status == "completed"
    batches = session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "retention_batch")
    ).all()
    assert len(batches) == 3  # two of persons, one of audit events


def test_a_person_with_an_open_request_is_deferred(session, engine, actors):
    p = old_person(session, "Asking", "marketing_opt_in")
    factories.request_row(session, "access", person_id=p.id, status=RequestStatus.RECEIVED)
    listed = due_of(session, actors, "marketing_opt_ins")
    assert (listed.persons, listed.deferred) == (0, 1)
    run(engine, actors)
    assert not erased(session, p.id)


def test_a_failed_batch_leaves_no_person_half_erased(session, engine, actors, monkeypatch):
    people = [old_person(session, f"Kesken{i}", "marketing_opt_in") for i in range(2)]

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    # The batch's rows are deleted and its persons emptied by then; the journal is not written.
    monkeypatch.setattr(suppression, "add_many", failing)
    with pytest.raises(retention_apply.RetentionFailed, match="rolled back"):
        run(engine, actors)
    assert not any(erased(session, p.id) for p in people)  # the first went back too
    session.expire_all()
    for p in people:
        assert session.get(Person, p.id).email is not None
    assert session.scalar(select(func.count()).select_from(ErasureJournal)) == 0
    failed = session.scalar(select(RetentionRun))
    assert failed.status == "failed" and "disk full" in failed.message
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "retention_failed"))


def test_erased_persons_never_reappear_in_segments_or_exports(session, engine, actors):
    from registry import metrics
    from registry.segments import membership

    p = old_person(session, "Poissa", "marketing_opt_in", position="gone")
    factories.imported_consent(
        session, p.id, Purpose.NEWSLETTER, "granted", utcnow() - dt.timedelta(days=4000), "app", "x"
    )
    run(engine, actors)
    metrics.refresh_metrics(session, now=utcnow())
    session.commit()
    assert p.id not in session.scalars(membership.from_persons(Person.id)).all()
    out = io.StringIO()
    result = export.export_target_list(
        session,
        actors[Role.MARKETING],
        choice_of([{"field": "relationship", "op": "in", "value": ["marketing_opt_in"]}]),
        Channel.NEWSLETTER,
        recipient(session).id,
        "News",
        out,
    )
    assert exported_rows(out) == [] and result.rows == 0
    # Run again: the emptied row is never picked up again.
    assert run(engine, actors).persons_erased == 0


def test_marketing_may_not_list_or_apply(session, engine, actors):
    with pytest.raises(PermissionDenied):
        retention.listing(session, actors[Role.MARKETING])
    with pytest.raises(PermissionDenied):
        retention_apply.apply(engine, actors[Role.MARKETING])


def test_the_preview_names_the_rule_and_what_an_erasure_keeps(session, actors):
    c = clock_of("past_customer_contacts")
    org = organisation(session, "Ended Oy", c.cutoff - dt.timedelta(days=1))
    p = old_person(session, "Due", "customer_contact", organisation_id=org.id)
    shown = retention.person_due(session, actors[Role.ADMINISTRATOR], p.id)
    assert shown.clock is not None and shown.clock.rule.key == "past_customer_contacts"
    assert any(e.table == "person" and e.what == "anonymised" for e in shown.preview.effects)
    fresh = factories.person(session, "Uusi", "Asiakas", created_at=utcnow())
    assert retention.person_due(session, actors[Role.ADMINISTRATOR], fresh.id).clock is None


def test_on_the_demo_data_a_second_run_finds_nothing(seeded_copy):
    """All rules together on the seeded registry: what one rule deletes must not make
    another rule's persons due only on the next run."""
    from registry import db
    from tests.conftest import demo_actor

    engine = db.make_engine(seeded_copy())
    try:
        with db.make_sessionmaker(engine)() as s:
            officer = demo_actor(s, Role.COMPLIANCE)
            due = retention.listing(s, officer)
        assert sum(d.persons for d in due) > 0 and sum(d.rows for d in due) > 0
        first = retention_apply.apply(engine, officer)
        assert first.persons_erased == sum(d.persons for d in due)
        with db.make_sessionmaker(engine)() as s:
            after = retention.listing(s, officer)
            assert [(d.rule.key, d.persons, d.rows) for d in after if d.persons or d.rows] == []
            # Every person the run erased is emptied; none is in a segment.
            from registry.segments import membership

            members = set(s.scalars(membership.from_persons(Person.id)).all())
            gone = set(s.scalars(select(Person.id).where(Person.erased_at.is_not(None))).all())
            assert gone and not members & gone
    finally:
        engine.dispose()


def test_the_command_lists_without_changing_and_applies_with_progress(
    session, database_url, monkeypatch, capsys
):
    from registry import __main__ as cli
    from registry import db

    monkeypatch.setenv(db.ENV_VAR, database_url)
    p = old_person(session, "Komento", "marketing_opt_in")
    assert cli.main(["retention"]) == 0
    out = capsys.readouterr().out
    assert "marketing_opt_ins                1 persons" in out
    assert "Nothing was changed." in out and not erased(session, p.id)
    assert cli.main(["retention", "--apply", "--job", "nightly-cron"]) == 0
    done = capsys.readouterr()
    assert "1 persons erased" in done.out and "[100.0%] done" in done.err
    assert erased(session, p.id)
    assert session.scalar(select(RetentionRun.actor_name)) == "nightly-cron"
