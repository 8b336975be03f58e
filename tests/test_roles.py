"""Two database roles (issue 18): the owner migrates; the application role reads and writes
the registry but can only insert into the append-only tables, and cannot empty, alter or
unguard them, nor change the schema. On SQLite there are no roles, and the commands say so.

Each PostgreSQL case makes its own database and its own uniquely named role, and drops both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from registry import __main__ as cli
from registry import amendments, audit, auth, db, erasure_apply, guards, roles, users
from registry.backup import making
from registry.errors import SignInRefused
from registry.models import (
    Amendment,
    AuditEvent,
    Person,
    RetentionGuard,
    SignInThrottle,
    utcnow,
)
from registry.permissions import Actor
from registry.vocabulary import Role
from tests import factories, test_imports
from tests.conftest import TEST_PASSWORD, make_user


@dataclass
class TwoRoles:
    url: str
    owner: Engine
    app: Engine
    app_role: str
    app_url: str


@pytest.fixture
def two_roles(backend: str, database_factory) -> Iterator[TwoRoles]:  # type: ignore[no-untyped-def]
    if backend != "postgresql":
        pytest.skip("SQLite has no database roles (test_sqlite_says_why_there_are_no_roles)")
    url = database_factory(backend)
    name = f"registry_app_roles_{uuid.uuid4().hex[:8]}"
    owner = db.make_engine(url)
    with owner.begin() as c:
        roles.grant_application_role(c, name)
    app_url = make_url(url).set(username=name, password=None).render_as_string(False)
    app = db.make_engine(app_url)
    try:
        yield TwoRoles(url, owner, app, name, app_url)
    finally:
        app.dispose()
        with owner.begin() as c:
            c.execute(text(f'DROP OWNED BY "{name}"'))
            c.execute(text(f'DROP ROLE "{name}"'))
        owner.dispose()


def _refused(engine: Engine, statement: str, reason: str) -> None:
    with pytest.raises(DBAPIError, match=reason), engine.begin() as c:
        c.execute(text(statement))


def test_the_application_role_gets_insert_only_on_the_append_only_tables(two_roles):
    with two_roles.owner.begin() as c:
        first = roles.table_privileges(c, two_roles.app_role)
        # A second run (after a migration, say) ends in the same state.
        again = roles.grant_application_role(c, two_roles.app_role)
        second = roles.table_privileges(c, two_roles.app_role)
    assert first == second
    assert not any(s.startswith("CREATE ROLE") for s in again)
    for table in roles.APPEND_ONLY_TABLES:
        assert first[table] == {"SELECT", "INSERT"}, table
    assert first["alembic_version"] == {"SELECT"}
    assert first["person"] == first["consent_event"] == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert first["sign_in_throttle"] == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert not set().union(*first.values()) & {"TRUNCATE", "TRIGGER", "REFERENCES"}
    with two_roles.owner.connect() as c:
        owners = c.scalars(
            text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema()")
        ).all()
    assert two_roles.app_role not in owners
    # The owner's delete functions: the application role may call them, nobody else.
    with two_roles.owner.connect() as c:
        acls = c.scalars(
            text(
                "SELECT proacl::text FROM pg_proc WHERE proname IN "
                "('erase_person_amendments', 'delete_expired_audit_events')"
            )
        ).all()
    assert len(acls) == 2
    for acl in acls:
        assert f"{two_roles.app_role}=X/" in acl and not acl.startswith("{=X")
        assert ",=X/" not in acl


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("UPDATE audit_event SET detail = 'changed'", "permission denied"),
        ("DELETE FROM audit_event", "permission denied"),
        ("TRUNCATE audit_event", "permission denied"),
        ("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only", "must be owner"),
        ("ALTER TABLE audit_event DISABLE TRIGGER ALL", "must be owner"),
        ("DROP TRIGGER audit_event_no_truncate ON audit_event", "must be owner"),
        ("SET session_replication_role = replica", "permission denied"),
        ("UPDATE amendment SET old_value = 'Helsinki'", "permission denied"),
        ("DELETE FROM amendment", "permission denied"),
        ("TRUNCATE amendment CASCADE", "permission denied"),
        ("ALTER TABLE amendment DISABLE TRIGGER amendment_append_only", "must be owner"),
        ("DELETE FROM erasure_journal", "permission denied"),
        ("CREATE TABLE shadow (id integer)", "permission denied for schema"),
        ("ALTER TABLE person ADD COLUMN shadow integer", "must be owner"),
        ("DROP TABLE segment", "must be owner"),
        ("CREATE FUNCTION shadow() RETURNS integer LANGUAGE sql AS 'SELECT 1'", "permission"),
    ],
)
def test_the_application_role_cannot_alter_the_evidence_or_the_schema(statement, reason, two_roles):
    with db.make_sessionmaker(two_roles.owner)() as s:
        officer = make_user(s, Role.COMPLIANCE)
        person = factories.person(s)
        audit.record(s, None, "view_person", "person", person.id, actor_name="owner")
        s.add(
            Amendment(
                person_id=person.id,
                field="city",
                old_value="Turku",
                new_value="Espoo",
                reason="moved",
                amended_by=officer.id,
            )
        )
        s.commit()
    _refused(two_roles.app, statement, reason)
    with two_roles.owner.connect() as c:
        assert c.scalar(select(func.count()).select_from(AuditEvent)) == 1
        assert c.scalar(select(Amendment.old_value)) == "Turku"
        assert guards.missing_guards(c) == []


def test_the_app_works_as_the_application_role(two_roles, tmp_path):
    with db.make_sessionmaker(two_roles.owner)() as s:
        admin = Actor.of(make_user(s, Role.ADMINISTRATOR))
        officer = Actor.of(make_user(s, Role.COMPLIANCE))
        person = factories.person(s, city="Turku")
    with db.make_sessionmaker(two_roles.app)() as s:
        assert s.scalar(text("SELECT current_user")) == two_roles.app_role
        # Sign-in, a failed one (the throttle's upsert) and a successful one, both audited.
        with pytest.raises(SignInRefused):
            auth.sign_in(s, officer.username, "a wrong guess", client="192.0.2.1")
        assert auth.sign_in(s, officer.username, TEST_PASSWORD) == officer
        # The success cleared the username's count; the address keeps its own.
        assert s.scalars(select(SignInThrottle.scope)).all() == ["client"]
        users.create_user(s, admin, "new-officer", "New Officer", "compliance", TEST_PASSWORD)
        # A rectification: the person row, the append-only amendment, the audit event.
        stored = s.get(Person, person.id)
        opened = amendments.opened_form(stored)
        amendments.amend_person(s, officer, opened, {**opened.values, "city": "Espoo"}, "moved")
        assert s.scalar(select(Amendment.new_value)) == "Espoo"
        # An erasure removes the person's amendments through the owner's function only.
        applied = erasure_apply.apply(s, person.id, now=utcnow(), secret=b"k", actor_id=None)
        s.commit()
        assert applied.deleted["amendment"] == 1
        assert s.scalar(select(func.count()).select_from(Amendment)) == 0
        # An import: a temporary staging table, COPY and a set-based upsert.
        path = test_imports.write(tmp_path / "persons.csv", [test_imports.person_row()])
        result = test_imports.do_import(s, officer, "persons", path)
        assert (result.new, result.rejected) == (1, 0)
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == [
        "sign_in_failed",
        "sign_in",
        "user_created",
        "amend_person",
        "import_completed",
    ]


def test_old_audit_events_go_only_past_the_period_as_the_application_role(two_roles):
    long_ago = utcnow() - dt.timedelta(days=3 * 365)
    with db.make_sessionmaker(two_roles.owner)() as s:
        s.add(RetentionGuard(id=1, audit_keep_days=2 * 365))
        s.add_all(
            [
                AuditEvent(at=long_ago, actor_name="old", action="view_person", detail=""),
                AuditEvent(at=utcnow(), actor_name="new", action="view_person", detail=""),
            ]
        )
        s.commit()
        old_id, new_id = s.scalars(select(AuditEvent.id).order_by(AuditEvent.at)).all()
    with db.make_sessionmaker(two_roles.app)() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            guards.delete_audit_events(s, [new_id])
        s.rollback()
        assert guards.delete_audit_events(s, [old_id]) == 1
        s.commit()
        assert s.scalars(select(AuditEvent.actor_name)).all() == ["new"]


def test_migrate_says_which_role_it_runs_as(two_roles, monkeypatch, capsys):
    monkeypatch.setenv(db.ENV_VAR, two_roles.url)
    assert cli.main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert "Running as database role postgres (a superuser), the owner of the registry's " in out
    # The application role may not migrate: said before anything is tried.
    monkeypatch.setenv(db.ENV_VAR, two_roles.app_url)
    assert cli.main(["migrate"]) == 2
    said = capsys.readouterr()
    assert f"Running as database role {two_roles.app_role}; the registry's tables are owned" in (
        said.out
    )
    assert "Run migrate as postgres, the owner" in said.err


def test_the_roles_command_and_its_refusals(two_roles, monkeypatch, capsys):
    monkeypatch.setenv(db.ENV_VAR, two_roles.url)
    assert cli.main(["roles", "--app-role", two_roles.app_role]) == 0
    out = capsys.readouterr().out
    assert "only SELECT, INSERT on amendment, audit_event, breach_change, erasure_journal" in out
    assert cli.main(["roles", "--app-role", "postgres"]) == 2
    assert "the application needs its own" in capsys.readouterr().err
    assert cli.main(["roles", "--app-role", "Robert'); DROP"]) == 2
    assert "lower-case letters" in capsys.readouterr().err


def test_sqlite_says_why_there_are_no_roles(tmp_path, monkeypatch, capsys):
    """SQLite only (the PostgreSQL cases are the ones above): a file of its own."""
    monkeypatch.setenv(db.ENV_VAR, f"sqlite:///{tmp_path / 'registry.db'}")
    assert cli.main(["migrate"]) == 0
    assert roles.SQLITE_HAS_NO_ROLES in capsys.readouterr().out
    assert cli.main(["roles", "--app-role", "registry_app"]) == 2
    assert "SQLite has no database roles" in capsys.readouterr().err


def test_a_backup_works_as_the_application_role(two_roles, tmp_path):
    """The Backups page runs pg_dump with the dashboard's connection: SELECT is enough."""
    with db.make_sessionmaker(two_roles.owner)() as s:
        admin = Actor.of(make_user(s, Role.ADMINISTRATOR))
        factories.person(s)
    made = making.make_backup(two_roles.app, admin, tmp_path / "backups")
    assert made.path.exists() and made.manifest.row_counts["person"] == 1


def test_the_dashboard_signs_in_and_opens_a_page_as_the_application_role(two_roles, app_test):
    with db.make_sessionmaker(two_roles.owner)() as s:
        make_user(s, Role.COMPLIANCE)
    at = app_test(two_roles.app_url, None)
    at.text_input[0].input("compliance-user")
    at.text_input[1].input(TEST_PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert at.session_state["auth_actor"].username == "compliance-user"
    at.switch_page("pages/audit.py").run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    with two_roles.owner.connect() as c:
        assert "sign_in" in c.scalars(select(AuditEvent.action)).all()
