"""Backup and restore on SQLite and PostgreSQL: the round trip, refusals, and the records."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
import tarfile
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, column, inspect, select, table, text
from sqlalchemy.orm import Session

from registry import audit, db, settings
from registry.backup import files, making, records, restoring
from registry.backup.files import BackupOperation, BackupResult, RestoreFailed, RestoreRefused
from registry.errors import NotFound, PermissionDenied, RegistryError
from registry.models import (
    Activity,
    Amendment,
    AppUser,
    AuditEvent,
    Backup,
    Base,
    Breach,
    BreachChange,
    ConsentEvent,
    ConsentState,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    ErasureFollowUp,
    ErasureJournal,
    ImportRun,
    Order,
    Organisation,
    Person,
    PersonMetrics,
    Recipient,
    RecipientNotification,
    ReportRedaction,
    RequestTransition,
    Restriction,
    RestrictionNotification,
    RetentionGuard,
    RetentionRun,
    Segment,
    SentDocument,
    SignInSession,
    SignInThrottle,
    Suppression,
    utcnow,
)
from registry.permissions import Actor
from registry.vocabulary import Role
from tests.conftest import make_user

AT = dt.datetime(2026, 3, 5, 9, 30, 15, 123456, tzinfo=dt.UTC)


def fill_registry(session: Session, actors: dict[Role, Actor]) -> None:
    """At least one row in every table, with the awkward values: NULLs, decimals, floats,
    JSON, dates, microseconds, non-ASCII text."""
    compliance = actors[Role.COMPLIANCE].user_id
    org = Organisation(
        name="Äänekosken Ohjelmisto Oy",
        business_id="1234567-8",
        kind="customer",
        industry="Software",
        country="FI",
        city="Äänekoski",
        customer_since=dt.date(2019, 1, 31),
        customer_until=None,
    )
    session.add(org)
    session.flush()
    people = [
        Person(
            first_name=first,
            last_name="Järvinen",
            email=f"{first.lower()}@example.fi" if i else None,
            phone="+358401234567" if i else None,
            city="Turku",
            country="FI",
            latitude=60.4518 + i / 1e6 if i else None,
            longitude=22.2666 if i else None,
            organisation_id=org.id if i % 2 else None,
            username=f"user{i}" if i else None,
            password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA" if i else None,
            relationship="customer_contact",
            source="customer data system",
            created_at=AT,
            updated_at=AT + dt.timedelta(days=i),
        )
        for i, first in enumerate(["Åsa", "Pekka", "Zoë", "Jyrki"])
    ]
    session.add_all(people)
    session.flush()
    p0, p1 = people[0].id, people[1].id
    event = ConsentEvent(
        person_id=p1,
        purpose="newsletter",
        status="granted",
        occurred_at=AT,
        source="web_form",
        evidence="ticked the box on 5.3.2026",
        recorded_by=compliance,
        recorded_at=AT,
    )
    session.add(event)
    session.flush()
    session.add(
        ConsentState(
            person_id=p1,
            purpose="newsletter",
            status="granted",
            event_id=event.id,
            occurred_at=AT,
            has_evidence=True,
        )
    )
    session.add(
        Order(
            person_id=p1,
            organisation_id=org.id,
            ordered_on=dt.date(2025, 12, 31),
            product="Click2Contract Pro",
            amount_eur=Decimal("1234.56"),
            status="paid",
        )
    )
    session.add(
        Activity(person_id=p0, kind="website_visit", occurred_at=AT, detail=None, city=None)
    )
    session.add(
        PersonMetrics(
            person_id=p1,
            order_count=1,
            order_total_eur=Decimal("1234.56"),
            first_order_on=dt.date(2025, 12, 31),
            last_order_on=dt.date(2025, 12, 31),
            refreshed_at=AT,
        )
    )
    segment = Segment(
        name="Turku customers",
        description="",
        definition=[{"field": "city", "operator": "exact", "value": "Turku"}],
        owner_id=actors[Role.MARKETING].user_id,
        created_at=AT,
        updated_at=AT,
    )
    session.add(segment)
    request = DataSubjectRequest(
        kind="access",
        channel="letter",
        received_on=dt.date(2026, 3, 5),
        requester_name="Pekka Järvinen",
        requester_contact="pekka@example.fi",
        person_id=p1,
        status="received",
        due_on=dt.date(2026, 4, 7),
        created_by=compliance,
        created_at=AT,
    )
    session.add(request)
    session.flush()
    session.add(
        RequestTransition(
            request_id=request.id, action="receive", to_status="received", actor_id=compliance
        )
    )
    amendment = Amendment(
        person_id=p1,
        field="city",
        old_value="Turku",
        new_value="Åbo",
        reason="the person asked",
        request_id=request.id,
        amended_by=compliance,
        amended_at=AT,
    )
    recipient = Recipient(
        name="Cloud Processor Inc.",
        kind="processor",
        service="hosting",
        country="US",
        transfer_mechanism="scc_2021",
        agreement_date=dt.date(2023, 7, 10),
    )
    session.add_all([amendment, recipient])
    session.flush()
    disclosure = Disclosure(
        recipient_id=recipient.id,
        disclosed_at=AT,
        purpose="hosting",
        data_categories=["basic", "service_user"],
        legal_basis="Art. 28",
        segment_id=segment.id,
        recorded_by=compliance,
        person_count=1,
    )
    session.add(disclosure)
    session.flush()
    session.add(DisclosedPerson(disclosure_id=disclosure.id, person_id=p1))
    session.add(
        RecipientNotification(
            amendment_id=amendment.id, recipient_id=recipient.id, notified_by=compliance
        )
    )
    # A restriction (Art. 18), lifted, and the recipient told of it (Art. 19).
    restriction = Restriction(
        person_id=p1,
        ground="accuracy_contested",
        reason="Osoite tarkistetaan",
        request_id=request.id,
        since=AT,
        restricted_by=compliance,
        lifted_at=AT,
        lifted_by=compliance,
        lift_reason="Osoite vahvistettu",
        person_told_on=AT.date(),
        person_told_how="Letter",
    )
    session.add(restriction)
    session.flush()
    session.add(
        RestrictionNotification(
            restriction_id=restriction.id, recipient_id=recipient.id, notified_by=compliance
        )
    )
    # What was sent on the request, and a passage withheld from its report (Art. 15(4)).
    session.add(
        SentDocument(
            request_id=request.id,
            kind="access_report",
            language="fi",
            html="<p>Hyvä Åsa</p>",
            html_sha256="0" * 64,
            json='{"a": "ä"}',
            json_sha256="1" * 64,
            created_by=compliance,
            created_at=AT,
        )
    )
    session.add(
        ReportRedaction(
            request_id=request.id,
            record_type="activity",
            record_id="1",
            field="detail",
            passage="Otto",
            reason="another person",
            redacted_by=compliance,
            redacted_at=AT,
        )
    )
    breach = Breach(
        summary="Lähetyspalvelun tunnukset vuotivat",
        description="Kirjautumistiedot päätyivät väärille",
        occurred_at=AT,
        aware_at=AT,
        source="internal_system",
        data_categories=["basic"],
        relationships=[],
        recorded_by=compliance,
    )
    session.add(breach)
    session.flush()
    session.add(
        BreachChange(
            breach_id=breach.id, actor_id=compliance, actor_name="c", action="recorded", at=AT
        )
    )
    session.add(
        ImportRun(
            kind="persons",
            source="Customer data system and billing database",
            file_name="asiakkaat.csv",
            file_format="CSV, UTF-8, semicolons",
            file_sha256="0" * 64,
            status="completed",
            rows=1,
            new_rows=1,
            actor_id=compliance,
            actor_name="c",
            started_at=AT,
            finished_at=AT,
        )
    )
    journal = ErasureJournal(person_id=people[3].id, request_id=None, erased_at=AT)
    session.add_all([journal, Suppression(email_hmac="a" * 64, phone_hmac=None, reason="erasure")])
    session.flush()
    session.add(
        ErasureFollowUp(
            journal_id=journal.id,
            recipient_id=recipient.id,
            disclosures=2,
            last_disclosed_at=AT,
            data_categories=["basic"],
        )
    )
    session.add_all(
        [
            RetentionRun(
                started_at=AT,
                finished_at=AT,
                actor_name="c",
                status="completed",
                persons_erased=1,
                rows_deleted=2,
                counts={"website_behaviour": {"persons": 0, "rows": 2}},
            ),
            RetentionGuard(id=1, audit_keep_days=1825),
            SignInThrottle(
                scope="client", key="192.0.2.1", failures=3, last_failure_at=AT, wait_until=None
            ),
            SignInSession(
                token_hash="0" * 64,
                user_id=actors[Role.COMPLIANCE].user_id,
                created_at=AT,
                last_seen_at=AT,
            ),
        ]
    )
    audit.record(session, actors[Role.COMPLIANCE], "test_fill", "person", p1, "rivit ä ö å")
    session.commit()


def table_names(engine: Engine) -> list[str]:
    with engine.connect() as c:
        return sorted(inspect(c).get_table_names())


def all_rows(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, as the ORM types read them."""
    rows: dict[str, list[tuple]] = {}
    with engine.connect() as c:
        for t in Base.metadata.sorted_tables:
            rows[t.name] = [tuple(r) for r in c.execute(select(t).order_by(*t.primary_key))]
        rows["alembic_version"] = [
            tuple(r) for r in c.execute(select(table("alembic_version", column("version_num"))))
        ]
    return rows


def other_backend(backend: str) -> str:
    return "postgresql" if backend == "sqlite" else "sqlite"


def target_state(url: str) -> dict[str, list[tuple]] | bytes:
    """What must not change when a restore is refused: a SQLite file's bytes, else all rows."""
    if url.startswith("sqlite"):
        return Path(url.removeprefix("sqlite:///")).read_bytes()
    engine = db.make_engine(url)
    try:
        return all_rows(engine)
    finally:
        engine.dispose()


@pytest.fixture
def filled(session: Session, actors: dict[Role, Actor]) -> dict[Role, Actor]:
    fill_registry(session, actors)
    return actors


@pytest.fixture
def admin(filled: dict[Role, Actor]) -> Actor:
    return filled[Role.ADMINISTRATOR]


@pytest.fixture
def made(engine: Engine, admin: Actor, tmp_path: Path) -> files.MadeBackup:
    return making.make_backup(engine, admin, tmp_path / "backups")


@pytest.fixture
def nonempty_target(backend, database_factory, actors) -> str:
    """A second database holding rows of its own."""
    url = database_factory(backend)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        s.add(
            Recipient(
                name="Target-only dealer",
                kind="dealer",
                service="resale",
                country="SE",
                transfer_mechanism="not_needed",
            )
        )
        audit.record(s, None, "target_only", actor_name="someone")
        s.commit()
    engine.dispose()
    return url


def test_round_trip_restores_every_row_of_every_table(
    engine, admin, tmp_path, backend, database_factory
):
    # A first backup, so the backup table itself holds a row in the second one.
    making.make_backup(engine, admin, tmp_path / "first")
    before = all_rows(engine)
    assert all(before[name] for name in before), [n for n in before if not before[n]]

    made = making.make_backup(engine, admin, tmp_path / "backups")

    stamp = made.manifest.created_at.strftime("%Y%m%dT%H%M%SZ")
    assert made.path.name == f"registry-{backend}-{stamp}{files.SUFFIXES[backend]}"
    assert made.manifest.row_counts == {name: len(rows) for name, rows in before.items()}
    assert made.manifest.schema_revision == before["alembic_version"][0][0]
    check = subprocess.run(
        ["sha256sum", "--check", made.path.name + ".sha256"],
        cwd=made.path.parent,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and check.stdout.strip().endswith(": OK"), check
    on_disk = json.loads(files.manifest_path(made.path).read_text())
    assert on_disk["engine"] == backend and on_disk["sha256"] == made.manifest.sha256
    assert on_disk["size_bytes"] == made.path.stat().st_size

    target_url = database_factory(backend)
    restored = restoring.restore_backup(admin, made.path, target_url)
    assert restored.schema_current

    target = db.make_engine(target_url)
    try:
        after = all_rows(target)
        # Exactly the source's rows, plus the restore's own record at the end.
        for name, rows in before.items():
            if name == "data_version":  # the restore's record is a write: it moved once
                assert after[name] == [(1, rows[0][1] + 1)], name
                continue
            extra = 1 if name in ("backup", "audit_event") else 0
            assert len(after[name]) == len(rows) + extra, name
            assert after[name][: len(rows)] == rows, name
        with db.make_sessionmaker(target)() as s:
            record = s.scalars(select(Backup).order_by(Backup.id.desc())).first()
            assert record is not None and record.id == restored.backup_id
            assert record.operation == BackupOperation.RESTORE
            assert record.result == BackupResult.SUCCEEDED
            assert record.sha256 == made.manifest.sha256
            assert record.row_counts == made.manifest.row_counts
            assert record.actor_name == admin.username
            assert record.message.startswith(f"From {made.path.name} (made ")
            event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
            assert event is not None and event.action == "restore_succeeded"
            assert event.record_id == str(record.id)
            # Sequences came back too: new rows do not collide with restored ones.
            s.add(
                Person(
                    first_name="New",
                    last_name="Person",
                    relationship="other_connection",
                    source="test",
                )
            )
            s.commit()
    finally:
        target.dispose()


def test_round_trip_of_a_seeded_registry(backend, database_factory, tmp_path):
    from demo import seeder

    source = db.make_engine(database_factory(backend))
    target = db.make_engine(database_factory(backend))
    job = Actor.command_line("nightly-cron")
    try:
        seeder.seed(source, persons=200, random_seed=11, demo_accounts=True)
        before = all_rows(source)
        made = making.make_backup(source, job, tmp_path)
        restoring.restore_backup(job, made.path, target.url.render_as_string(hide_password=False))
        after = all_rows(target)
    finally:
        source.dispose()
        target.dispose()
    assert len(before["person"]) == 200 and before["consent_event"] and before["activity"]
    for name, rows in before.items():
        if name == "data_version":  # the restore's record is a write: it moved once
            assert after[name] == [(1, rows[0][1] + 1)], name
            continue
        extra = 1 if name in ("backup", "audit_event") else 0
        assert len(after[name]) == len(rows) + extra, name
        assert after[name][: len(rows)] == rows, name


def test_backup_is_recorded_in_the_database_it_copied(engine, admin, made):
    with db.make_sessionmaker(engine)() as s:
        row = s.get(Backup, made.backup_id)
        assert row is not None
        assert row.operation == BackupOperation.BACKUP
        assert row.result == BackupResult.SUCCEEDED
        assert row.actor_name == admin.username
        assert row.file_path == str(made.path)
        assert row.size_bytes == made.path.stat().st_size
        assert row.sha256 == hashlib.sha256(made.path.read_bytes()).hexdigest()
        assert row.row_counts == made.manifest.row_counts
        assert row.finished_at is not None and row.finished_at >= row.started_at
        event = s.scalars(select(AuditEvent).where(AuditEvent.record_type == "backup")).one()
        assert (event.action, event.actor_id) == ("backup_succeeded", admin.user_id)
        assert event.record_id == str(row.id)


def test_backup_files_are_private(made):
    for path in (made.path, files.checksum_path(made.path), files.manifest_path(made.path)):
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_a_file_name_for_out_gets_the_time_inserted(engine, admin, tmp_path, backend):
    made = making.make_backup(engine, admin, tmp_path / "nightly.bak")
    stamp = made.manifest.created_at.strftime("%Y%m%dT%H%M%SZ")
    assert made.path == tmp_path / f"nightly-{stamp}.bak"


def test_backups_in_the_same_second_never_overwrite_each_other(
    engine, admin, tmp_path, backend, monkeypatch
):
    monkeypatch.setattr(making, "utcnow", lambda: AT)
    first = making.make_backup(engine, admin, tmp_path)
    second = making.make_backup(engine, admin, tmp_path)
    suffix = files.SUFFIXES[backend]
    assert first.path.name == f"registry-{backend}-20260305T093015Z{suffix}"
    assert second.path.name == f"registry-{backend}-20260305T093015Z-2{suffix}"
    for made in (first, second):
        assert files.verify_backup(made.path) == made.manifest
    assert not list(tmp_path.glob("*.partial"))


def test_a_backup_failing_late_leaves_no_file_behind(engine, admin, tmp_path, backend, monkeypatch):
    monkeypatch.setattr(making, "utcnow", lambda: AT)
    name = f"registry-{backend}-20260305T093015Z{files.SUFFIXES[backend]}"
    out = tmp_path / "out"
    out.mkdir()
    stale = out / f"{name}.sha256"
    stale.write_text("left by someone else\n")
    with pytest.raises(files.BackupFailed, match="File exists"):
        making.make_backup(engine, admin, out)
    assert sorted(p.name for p in out.iterdir()) == [stale.name]
    assert stale.read_text() == "left by someone else\n"


def test_failed_backup_is_recorded_and_explained(engine, admin, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the backup directory should be")
    with pytest.raises(files.BackupFailed, match="The backup failed"):
        making.make_backup(engine, admin, blocker / "backups")
    with db.make_sessionmaker(engine)() as s:
        row = s.scalars(select(Backup)).one()
        assert row.result == BackupResult.FAILED
        assert row.sha256 is None and row.size_bytes is None
        assert row.message
        event = s.scalars(select(AuditEvent).where(AuditEvent.record_type == "backup")).one()
        assert event.action == "backup_failed"
    assert not list(tmp_path.rglob("*.partial"))


@pytest.mark.postgres
def test_a_locked_table_fails_the_backup_instead_of_hanging(
    database_factory, tmp_path, monkeypatch
):
    """PostgreSQL: a table held by a migration makes a nightly job fail, not wait forever."""
    monkeypatch.setattr(settings, "BACKUP_LOCK_WAIT_TIMEOUT", dt.timedelta(milliseconds=300))
    engine = db.make_engine(database_factory("postgresql"))
    try:
        with engine.connect() as holder:
            holder.execute(text("LOCK TABLE segment IN ACCESS EXCLUSIVE MODE"))
            with pytest.raises(files.BackupFailed, match="lock timeout"):
                making.make_backup(engine, Actor.command_line("nightly-cron"), tmp_path)
            holder.rollback()
        with db.make_sessionmaker(engine)() as s:
            assert s.scalars(select(Backup.result)).one() == BackupResult.FAILED
    finally:
        engine.dispose()
    assert not list(tmp_path.iterdir())


def test_backup_is_consistent_while_the_registry_is_written(
    engine, admin, tmp_path, backend, database_factory
):
    """Rows land throughout the backup; the manifest still counts exactly what the file holds."""
    stop = threading.Event()
    written = 0

    def keep_writing() -> None:
        nonlocal written
        with db.make_sessionmaker(engine)() as s:
            while not stop.is_set():
                audit.record(s, None, "busy_app", actor_name="load")
                s.commit()
                written += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        for _ in range(500):
            if written >= 20 or not writer.is_alive():
                break
            stop.wait(0.01)
        at_start = written
        made = making.make_backup(engine, admin, tmp_path)
        at_end = written
    finally:
        stop.set()
        writer.join()
    assert at_end > at_start, "the app wrote nothing while the backup ran"
    target_url = database_factory(backend)
    restoring.restore_backup(admin, made.path, target_url)  # raises if the counts differ
    target = db.make_engine(target_url)
    try:
        with target.connect() as c:
            assert files.row_counts(c)["audit_event"] == made.manifest.row_counts["audit_event"] + 1
    finally:
        target.dispose()


def test_non_empty_target_is_refused_unless_replaced(admin, made, nonempty_target, engine):
    before = target_state(nonempty_target)
    with pytest.raises(RestoreRefused) as refused:
        restoring.restore_backup(admin, made.path, nonempty_target)
    message = str(refused.value)
    assert "is not empty" in message and "recipient: 1 row" in message
    assert "--replace" in message and "not touched" in message
    assert target_state(nonempty_target) == before

    restoring.restore_backup(admin, made.path, nonempty_target, replace=True)
    source, target = all_rows(engine), db.make_engine(nonempty_target)
    try:
        after = all_rows(target)
    finally:
        target.dispose()
    assert [r[1] for r in after["recipient"]] == ["Cloud Processor Inc."]
    assert after["person"] == source["person"]
    assert [e[4] for e in after["audit_event"]][-1] == "restore_succeeded"


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (corrupt, r"is corrupted: its SHA-256 is [0-9a-f]{64}, but .*\.sha256 says"),
        (truncate, r"is truncated: it has [\d,]+ of the [\d,]+ bytes"),
    ],
)
def test_damaged_file_is_refused_and_the_target_untouched(
    damage, expected, admin, made, nonempty_target
):
    damage(made.path)
    before = target_state(nonempty_target)
    with pytest.raises(RestoreRefused, match=expected) as refused:
        restoring.restore_backup(admin, made.path, nonempty_target, replace=True)
    assert "the target database was not touched" in str(refused.value)
    assert target_state(nonempty_target) == before


def test_missing_checksum_is_refused(admin, made, database_factory, backend):
    files.checksum_path(made.path).unlink()
    target = database_factory(backend)
    before = target_state(target)
    with pytest.raises(RestoreRefused, match=r"\.sha256 is missing"):
        restoring.restore_backup(admin, made.path, target)
    assert target_state(target) == before


@pytest.mark.postgres  # the other engine of the SQLite case is PostgreSQL
def test_backup_of_the_other_engine_is_refused(admin, made, database_factory, backend):
    target = database_factory(other_backend(backend))
    before = target_state(target)
    with pytest.raises(RestoreRefused, match=f"is a {backend} backup"):
        restoring.restore_backup(admin, made.path, target)
    assert target_state(target) == before


def test_row_count_difference_names_the_table_and_both_counts_and_touches_nothing(
    admin, made, database_factory, backend
):
    """The backup is read back against its manifest before the target changes."""
    manifest = files.manifest_path(made.path)
    data = json.loads(manifest.read_text())
    data["row_counts"]["person"] = 999
    manifest.write_text(json.dumps(data))
    target_url = database_factory(backend)
    before = target_state(target_url)
    with pytest.raises(RestoreFailed, match="did not pass its check") as failed:
        restoring.restore_backup(admin, made.path, target_url)
    assert "person: 999 expected, 4 read" in str(failed.value)
    assert "the target database was not touched" in str(failed.value)
    assert target_state(target_url) == before


def test_overview_warns_when_the_newest_success_is_too_old(session, admin):
    def add(started: dt.datetime, result: str, operation: str = "backup") -> None:
        session.add(
            Backup(
                operation=operation,
                started_at=started,
                finished_at=started + dt.timedelta(seconds=5),
                actor_name="nightly",
                file_path=f"/nowhere/{started:%H%M%S}.dump",
                size_bytes=1_000_000,
                sha256="0" * 64,
                row_counts={"person": 3},
                result=result,
                message="",
            )
        )
        session.commit()

    now = utcnow()
    empty = records.overview(session, admin, now=now)
    assert empty.last_success is None and empty.stale and empty.total == 0

    add(now - dt.timedelta(hours=30), "succeeded")
    add(now - dt.timedelta(hours=2), "failed")  # a failure never counts as a backup
    add(now - dt.timedelta(hours=1), "succeeded", operation="restore")
    stale = records.overview(session, admin, now=now)
    assert stale.stale and stale.age == dt.timedelta(hours=30)
    assert (stale.succeeded_recently, stale.failed_recently, stale.total) == (1, 1, 3)
    assert stale.entries[0].operation == "restore"
    assert stale.entries[-1].download_problem == "the file is not on this server"

    add(now - dt.timedelta(hours=23), "succeeded")
    fresh = records.overview(session, admin, now=now)
    assert not fresh.stale and fresh.age == dt.timedelta(hours=23)
    assert fresh.last_success is not None and fresh.last_success.total_rows == 3
    assert [e.started_at for e in records.overview(session, admin, now=now, limit=2).entries] == [
        now - dt.timedelta(hours=1),
        now - dt.timedelta(hours=2),
    ]


def test_download_is_a_tar_of_the_three_files_and_is_audited(session, admin, made):
    data = records.download_backup(session, admin, made.backup_id)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        contents = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    assert contents == {
        made.path.name: made.path.read_bytes(),
        made.path.name + ".sha256": files.checksum_path(made.path).read_bytes(),
        made.path.name + ".json": files.manifest_path(made.path).read_bytes(),
    }
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "backup_downloaded")
    ).one()
    assert (event.actor_id, event.record_id) == (admin.user_id, str(made.backup_id))


def test_download_refuses_a_file_changed_on_disk(session, admin, made):
    corrupt(made.path)
    with pytest.raises(RegistryError, match="no longer matches the checksum"):
        records.download_backup(session, admin, made.backup_id)
    made.path.unlink()
    with pytest.raises(NotFound, match="not on this server"):
        records.download_backup(session, admin, made.backup_id)
    assert not session.scalars(
        select(AuditEvent).where(AuditEvent.action == "backup_downloaded")
    ).all()


def test_download_rereads_the_account(session, admin, made):
    """The download runs when clicked, outside a page run: a change of account bites at once."""
    user = session.get(AppUser, admin.user_id)
    user.role = Role.MARKETING
    session.commit()
    with pytest.raises(PermissionDenied):
        records.download_backup(session, admin, made.backup_id)
    user.role, user.active = Role.ADMINISTRATOR, False
    session.commit()
    with pytest.raises(PermissionDenied, match="no longer active"):
        records.download_backup(session, admin, made.backup_id)


def test_a_database_without_tables_is_not_backed_up(tmp_path):
    empty = db.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(files.BackupFailed, match="holds no tables"):
            making.make_backup(empty, Actor.command_line(), tmp_path / "out")
    finally:
        empty.dispose()
    assert not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("role", [Role.MARKETING, Role.COMPLIANCE])
def test_only_administrators_back_up_restore_or_download(
    role, filled, engine, session, made, tmp_path, database_factory, backend
):
    actor = filled[role]
    with pytest.raises(PermissionDenied):
        making.make_backup(engine, actor, tmp_path)
    with pytest.raises(PermissionDenied):
        restoring.restore_backup(actor, made.path, f"sqlite:///{tmp_path / 'never.db'}")
    with pytest.raises(PermissionDenied):
        records.overview(session, actor)
    with pytest.raises(PermissionDenied):
        records.download_backup(session, actor, made.backup_id)
    assert not (tmp_path / "never.db").exists()


def test_command_line_backup_and_restore(
    engine, filled, database_url, database_factory, backend, tmp_path, monkeypatch, capsys
):
    from registry.__main__ import main

    monkeypatch.setenv(db.ENV_VAR, database_url)
    assert main(["backup", "--out", str(tmp_path), "--job", "nightly-cron"]) == 0
    (made,) = [p for p in tmp_path.iterdir() if p.suffix == files.SUFFIXES[backend]]
    assert str(made) in capsys.readouterr().out
    with db.make_sessionmaker(engine)() as s:
        assert s.scalars(select(Backup.actor_name)).one() == "nightly-cron"

    target = database_factory(backend)
    assert main(["restore", str(made), "--into", target]) == 0
    assert "row counts of all" in capsys.readouterr().out

    assert main(["restore", str(made), "--into", target]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert main(["restore", str(made), "--into", target, "--replace"]) == 0


@pytest.fixture
def sqlite_backup(database_factory, tmp_path) -> tuple[files.MadeBackup, Actor]:
    """A backup of a filled SQLite database, for what only SQLite has: files and WAL."""
    engine = db.make_engine(database_factory("sqlite"))
    try:
        with db.make_sessionmaker(engine)() as s:
            actors = {role: Actor.of(make_user(s, role)) for role in Role}
            fill_registry(s, actors)
        admin = actors[Role.ADMINISTRATOR]
        return making.make_backup(engine, admin, tmp_path / "backups"), admin
    finally:
        engine.dispose()


def test_damaged_file_never_creates_a_new_sqlite_target(sqlite_backup, tmp_path):
    made, admin = sqlite_backup
    truncate(made.path)
    target = tmp_path / "new.db"
    with pytest.raises(RestoreRefused, match="truncated"):
        restoring.restore_backup(admin, made.path, f"sqlite:///{target}")
    assert not target.exists()


def test_restore_into_a_live_sqlite_database_in_wal_mode(sqlite_backup, tmp_path):
    made, admin = sqlite_backup
    url = f"sqlite:///{tmp_path / 'live.db'}"
    app = db.make_engine(url)  # the app's engine: WAL, foreign keys on
    try:
        with app.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        restoring.restore_backup(admin, made.path, url)
        with db.make_sessionmaker(app)() as s:
            assert len(s.scalars(select(Person)).all()) == 4
            assert s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()[-1] == (
                "restore_succeeded"
            )
    finally:
        app.dispose()
