"""Sign-in, lock-out, idle expiry, accounts, the append-only audit trail, and the rule that
every domain function taking an actor refuses every role lacking its permission."""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import datetime as dt
import importlib
import inspect
import io
import pkgutil
import types
import typing
from collections.abc import Callable, Iterator

import openpyxl
import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

import registry
from registry import __main__ as cli
from registry import audit, auth, commands, db, settings, throttle, users
from registry.errors import NotFound, PermissionDenied, SignInRefused, ValidationError
from registry.models import AppUser, AuditEvent, SignInThrottle, utcnow
from registry.permissions import OPEN_TO_ALL_ROLES, ROLE_PERMISSIONS, Actor, Permission
from registry.vocabulary import Role
from tests.conftest import TEST_PASSWORD

T0 = dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.UTC)
NEW_PASSWORD = "a-new-long-password-2026"


def _audit_rows(session: Session, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query))


def _audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


# --- sign-in and lock-out ---


def test_sign_in_returns_the_actor_and_is_audited(session, actors):
    marketing = actors[Role.MARKETING]
    actor = auth.sign_in(session, "  Marketing-User ", TEST_PASSWORD, now=T0)
    assert actor == marketing
    user = session.get(AppUser, marketing.user_id)
    assert user.last_sign_in_at == T0
    [event] = _audit_rows(session, "sign_in")
    assert (event.actor_id, event.actor_name, event.record_id) == (
        marketing.user_id,
        "marketing-user",
        str(marketing.user_id),
    )


def _fail(session: Session, username: str, now: dt.datetime, client: str | None = None) -> None:
    with pytest.raises(SignInRefused) as refused:
        auth.sign_in(session, username, "not the password", now=now, client=client)
    assert str(refused.value) == auth.REFUSED


def _throttle(session: Session, scope: str, key: str) -> SignInThrottle | None:
    return session.scalars(
        select(SignInThrottle)
        .where(SignInThrottle.scope == scope, SignInThrottle.key == key)
        .execution_options(populate_existing=True)
    ).one_or_none()


def test_failures_past_the_free_ones_make_the_next_attempt_wait_longer(session, actors):
    username = actors[Role.COMPLIANCE].username
    free = settings.SIGN_IN_USERNAME_FREE_FAILURES
    for _ in range(free):
        _fail(session, username, T0)
    # The free failures never hold the right password back.
    assert auth.sign_in(session, username, TEST_PASSWORD, now=T0).role == Role.COMPLIANCE
    assert _throttle(session, throttle.USERNAME, username) is None  # a success clears it
    for _ in range(free + 1):
        _fail(session, username, T0)
    first = settings.SIGN_IN_FIRST_WAIT
    assert _throttle(session, throttle.USERNAME, username).wait_until == T0 + first
    # Inside the wait even the right password gets the same answer, and is not counted.
    with pytest.raises(SignInRefused, match=r"^Wrong username or password, or too many"):
        auth.sign_in(session, username, TEST_PASSWORD, now=T0 + first - dt.timedelta(seconds=1))
    assert _throttle(session, throttle.USERNAME, username).failures == free + 1
    # After it, one more failure doubles the wait.
    _fail(session, username, T0 + first)
    assert _throttle(session, throttle.USERNAME, username).wait_until == T0 + 3 * first
    actor = auth.sign_in(session, username, TEST_PASSWORD, now=T0 + 3 * first)
    assert actor.role == Role.COMPLIANCE
    details = [e.detail for e in _audit_rows(session, "sign_in_failed")]
    assert details[-3:] == [
        "wrong password",
        "refused unchecked: too many failed attempts for this username "
        f"(until {(T0 + first).isoformat(timespec='seconds')})",
        "wrong password",
    ]
    # No hard lock is kept on the account any more.
    user = session.get(AppUser, actors[Role.COMPLIANCE].user_id)
    assert (user.failed_sign_ins, user.locked_until) == (0, None)


def test_the_wait_is_capped_and_the_count_forgotten(session, actors):
    username = actors[Role.MARKETING].username
    assert throttle.wait_after(throttle.USERNAME, 10_000) == settings.SIGN_IN_MAX_WAIT
    assert throttle.wait_after(throttle.USERNAME, settings.SIGN_IN_USERNAME_FREE_FAILURES) == (
        dt.timedelta(0)
    )
    now = T0
    for _ in range(40):
        _fail(session, username, now)
        now = _throttle(session, throttle.USERNAME, username).wait_until or now
    # Forty guesses by someone else delay the real user by at most the ceiling: no lock.
    row = _throttle(session, throttle.USERNAME, username)
    assert row.wait_until - row.last_failure_at == settings.SIGN_IN_MAX_WAIT
    assert auth.sign_in(session, username, TEST_PASSWORD, now=row.wait_until)
    # A count with no failure for SIGN_IN_FORGET_AFTER starts again from one.
    _fail(session, username, now)
    later = now + settings.SIGN_IN_FORGET_AFTER + dt.timedelta(seconds=1)
    _fail(session, "someone-else", later)
    # The stale count is not kept at all once any failure comes after its hour.
    assert _throttle(session, throttle.USERNAME, username) is None
    _fail(session, username, later)
    assert _throttle(session, throttle.USERNAME, username).failures == 1


def test_unknown_and_real_usernames_are_throttled_alike(session, actors):
    """Nothing in the answers tells whether an account has the name."""

    def answers(username: str) -> list[str]:
        said = []
        for i in range(settings.SIGN_IN_USERNAME_FREE_FAILURES + 2):
            with pytest.raises(SignInRefused) as refused:
                auth.sign_in(session, username, "guess", now=T0 + dt.timedelta(seconds=i))
            said.append(str(refused.value))
        return said

    real = answers(actors[Role.MARKETING].username)
    unknown = answers("no-such-user")
    assert real == unknown == [auth.REFUSED] * len(real)
    for name in (actors[Role.MARKETING].username, "no-such-user"):
        row = _throttle(session, throttle.USERNAME, name)
        assert row.wait_until is not None
    unknown_details = [
        e.detail for e in _audit_rows(session, "sign_in_failed") if e.actor_name == "no-such-user"
    ]
    assert unknown_details[-1].startswith("refused unchecked: too many failed attempts")


def test_one_client_guessing_many_usernames_is_throttled_by_address(session, actors):
    guesser, other = "203.0.113.9", "198.51.100.4"
    for i in range(settings.SIGN_IN_CLIENT_FREE_FAILURES + 1):
        _fail(session, f"guess-{i}", T0, client=guesser)  # one try per name: no username waits
    with pytest.raises(SignInRefused, match=r"^Wrong username or password, or too many"):
        auth.sign_in(session, "compliance-user", TEST_PASSWORD, now=T0, client=guesser)
    [last] = _audit_rows(session, "sign_in_failed")[-1:]
    assert last.detail.startswith(
        "refused unchecked from 203.0.113.9: too many failed attempts for this client"
    )
    # The same account from another address is not held back by the guesser.
    actor = auth.sign_in(session, "compliance-user", TEST_PASSWORD, now=T0, client=other)
    assert actor.role == Role.COMPLIANCE
    [event] = _audit_rows(session, "sign_in")
    assert event.detail == "from 198.51.100.4"


def test_failed_attempts_are_audited_without_the_typed_password(session, actors):
    typed = "Tulip-Harbour-Secret-42"
    for username in ("marketing-user", "nobody-here"):
        with pytest.raises(SignInRefused):
            auth.sign_in(session, username, typed, now=T0, client="192.0.2.7")
    rows = _audit_rows(session, "sign_in_failed")
    assert [(e.actor_name, e.detail) for e in rows] == [
        ("marketing-user", "wrong password from 192.0.2.7"),
        ("nobody-here", "unknown or inactive account from 192.0.2.7"),
    ]
    stored = session.execute(text("SELECT actor_name, detail FROM audit_event")).all()
    assert all(typed.lower() not in " ".join(r).lower() for r in stored)


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "expected"),
    [
        ("203.0.113.9", None, ("127.0.0.1", "::1"), "203.0.113.9"),
        # The proxy on this machine: Streamlit gives no peer for loopback.
        (None, "198.51.100.1, 203.0.113.9", ("127.0.0.1", "::1"), "203.0.113.9"),
        # A header from a client that is not a trusted proxy is the client's own claim.
        ("203.0.113.9", "10.0.0.1", ("127.0.0.1", "::1"), "203.0.113.9"),
        ("10.1.1.1", "203.0.113.9", ("10.1.1.1",), "203.0.113.9"),
        (None, "203.0.113.9", ("10.1.1.1",), None),
        (None, "not an address", ("127.0.0.1",), None),
        (None, None, ("127.0.0.1",), None),
    ],
)
def test_the_client_address(peer, forwarded, proxies, expected, monkeypatch):
    monkeypatch.setattr(settings, "TRUSTED_PROXIES", proxies)
    assert throttle.client_address(peer, forwarded) == expected


def test_a_success_resets_the_failure_count(session, actors):
    username = actors[Role.MARKETING].username
    for _ in range(settings.SIGN_IN_USERNAME_FREE_FAILURES):
        _fail(session, username, T0)
    auth.sign_in(session, username, TEST_PASSWORD, now=T0)
    for _ in range(settings.SIGN_IN_USERNAME_FREE_FAILURES):
        _fail(session, username, T0)
    assert _throttle(session, throttle.USERNAME, username).wait_until is None


def test_unknown_and_inactive_accounts_get_the_same_answer(session, actors):
    marketing = session.get(AppUser, actors[Role.MARKETING].user_id)
    marketing.active = False
    session.commit()
    for username in ("nobody", "marketing-user", ""):
        with pytest.raises(SignInRefused) as refused:
            auth.sign_in(session, username, TEST_PASSWORD, now=T0)
        assert str(refused.value) == auth.REFUSED
    details = [(e.actor_name, e.detail) for e in _audit_rows(session, "sign_in_failed")]
    assert details == [
        ("nobody", "unknown or inactive account"),
        ("marketing-user", "unknown or inactive account"),
        ("(empty)", "unknown or inactive account"),
    ]


def test_an_outdated_hash_is_replaced_at_sign_in(session, actors):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(TEST_PASSWORD)
    user = session.get(AppUser, actors[Role.ADMINISTRATOR].user_id)
    user.password_hash = weak
    session.commit()
    auth.sign_in(session, user.username, TEST_PASSWORD, now=T0)
    session.refresh(user)
    assert user.password_hash != weak
    assert user.password_hash.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert auth.password_matches(user.password_hash, TEST_PASSWORD)


def test_a_current_hash_is_kept(session, actors):
    user = session.get(AppUser, actors[Role.ADMINISTRATOR].user_id)
    before = user.password_hash
    auth.sign_in(session, user.username, TEST_PASSWORD, now=T0)
    session.refresh(user)
    assert user.password_hash == before


def test_password_checks():
    assert not auth.password_matches(None, TEST_PASSWORD)
    assert not auth.password_matches("not a hash", TEST_PASSWORD)
    assert auth.check_new_password("x" * (settings.MIN_PASSWORD_LENGTH - 1))
    assert auth.check_new_password("x" * settings.MIN_PASSWORD_LENGTH)  # a repetition
    assert auth.check_new_password("tulip-harbour-9") is None


def test_external_sign_in_takes_the_role_from_the_account(session, actors):
    actor = auth.sign_in_external(session, " COMPLIANCE@click2contract.example ")
    assert actor == actors[Role.COMPLIANCE]
    with pytest.raises(SignInRefused, match="has no active account"):
        auth.sign_in_external(session, "stranger@example.org")
    assert [e.action for e in _audit_rows(session)] == ["sign_in", "sign_in_failed"]


# --- sessions ---


def test_a_session_ends_after_thirty_idle_minutes():
    last = T0
    assert not auth.session_expired(last, now=last + settings.IDLE_TIMEOUT)
    assert auth.session_expired(last, now=last + settings.IDLE_TIMEOUT + dt.timedelta(seconds=1))
    assert settings.IDLE_TIMEOUT == dt.timedelta(minutes=30)


def test_each_page_run_rereads_the_account(session, actors):
    marketing = actors[Role.MARKETING]
    admin = actors[Role.ADMINISTRATOR]
    users.change_role(session, admin, marketing.user_id, Role.COMPLIANCE)
    assert auth.current_actor(session, marketing.user_id).role == Role.COMPLIANCE
    users.set_active(session, admin, marketing.user_id, False)
    assert auth.current_actor(session, marketing.user_id) is None
    assert auth.current_actor(session, 999_999) is None


def test_sign_out_is_audited_and_committed(session, actors):
    compliance = actors[Role.COMPLIANCE]
    auth.sign_out(session, compliance, "signed out by the user")
    session.rollback()  # committed by sign_out: a rollback here loses nothing
    [event] = _audit_rows(session, "sign_out")
    assert (event.actor_id, event.record_id, event.detail) == (
        compliance.user_id,
        str(compliance.user_id),
        "signed out by the user",
    )


def _dashboard_run(database_url, monkeypatch, actor: Actor, last_activity: dt.datetime):  # type: ignore[no-untyped-def]
    """One run of dashboard.py for a session that signed in earlier (the first AppTest run
    always goes through dashboard.py, which is what is checked here)."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(db.ENV_VAR, database_url)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["auth_user_id"] = actor.user_id
    at.session_state["auth_actor"] = actor
    at.session_state["auth_last_activity"] = last_activity
    return at.run()


def test_the_dashboard_ends_an_idle_session(database_url, monkeypatch, session, actors):
    idle = utcnow() - settings.IDLE_TIMEOUT - dt.timedelta(seconds=5)
    at = _dashboard_run(database_url, monkeypatch, actors[Role.COMPLIANCE], idle)
    assert not at.exception, at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert at.info[0].value == "You were signed out after 30 minutes without activity."
    assert "auth_actor" not in at.session_state
    [event] = _audit_rows(session, "sign_out")
    assert (event.actor_name, event.detail) == ("compliance-user", at.info[0].value)


def test_the_dashboard_keeps_an_active_session(database_url, monkeypatch, actors):
    recent = utcnow() - settings.IDLE_TIMEOUT + dt.timedelta(minutes=1)
    at = _dashboard_run(database_url, monkeypatch, actors[Role.COMPLIANCE], recent)
    assert not at.exception, at.exception
    assert at.title[0].value == "Overview"
    assert at.session_state["auth_last_activity"] > recent


def test_the_dashboard_ends_the_session_of_a_deactivated_account(
    database_url, monkeypatch, session, actors
):
    users.set_active(session, actors[Role.ADMINISTRATOR], actors[Role.MARKETING].user_id, False)
    at = _dashboard_run(database_url, monkeypatch, actors[Role.MARKETING], utcnow())
    assert not at.exception, at.exception
    assert at.info[0].value == "Your account is no longer active."
    assert "auth_actor" not in at.session_state


OIDC_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "registry",
    "client_secret": "test-client-secret",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


def _oidc_run(database_url, monkeypatch, user: dict[str, object]):  # type: ignore[no-untyped-def]
    """dashboard.py where `[auth]` is configured, with st.user as the identity provider left it."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(db.ENV_VAR, database_url)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets["auth"] = OIDC_SECRETS
    at.user = user
    return at.run()


def test_with_openid_connect_there_is_no_password_form(database_url, monkeypatch, actors):
    at = _oidc_run(database_url, monkeypatch, {"is_logged_in": False})
    assert not at.exception, at.exception
    assert not at.text_input
    assert [b.label for b in at.button] == ["Sign in with your organisation account"]


def test_openid_connect_takes_the_role_from_the_account_with_that_email(
    database_url, monkeypatch, session, actors
):
    identity = {"is_logged_in": True, "email": "Compliance@Click2Contract.example"}
    at = _oidc_run(database_url, monkeypatch, identity)
    assert not at.exception, at.exception
    assert at.session_state["auth_actor"] == actors[Role.COMPLIANCE]
    assert at.title[0].value == "Overview"
    [event] = _audit_rows(session, "sign_in")
    assert (event.actor_name, event.detail) == ("compliance-user", "OpenID Connect")


def test_openid_connect_refuses_an_identity_without_an_account(database_url, monkeypatch, actors):
    identity = {"is_logged_in": True, "email": "stranger@example.org"}
    at = _oidc_run(database_url, monkeypatch, identity)
    assert not at.exception, at.exception
    assert "auth_actor" not in at.session_state
    assert "stranger@example.org has no active account" in at.error[0].value
    assert [b.label for b in at.button] == ["Sign out"]


def test_with_openid_connect_an_idle_session_is_not_signed_straight_in_again(
    database_url, monkeypatch, actors
):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(db.ENV_VAR, database_url)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets["auth"] = OIDC_SECRETS
    at.user = {"is_logged_in": True, "email": "compliance@click2contract.example"}
    compliance = actors[Role.COMPLIANCE]
    at.session_state["auth_user_id"] = compliance.user_id
    at.session_state["auth_actor"] = compliance
    at.session_state["auth_last_activity"] = utcnow() - 2 * settings.IDLE_TIMEOUT
    at.run()
    assert not at.exception, at.exception
    assert "auth_actor" not in at.session_state
    assert [b.label for b in at.button] == ["Sign in with your organisation account"]


def test_streamlit_settings_suit_personal_data():
    import tomllib

    from tests.conftest import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    # No tracebacks (they can carry values) and no table download that skips the audit.
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["disableDataExport"] is True
    assert config["server"]["enableXsrfProtection"] is True
    assert config["browser"]["gatherUsageStats"] is False


# --- the audit trail is append-only ---


@pytest.fixture
def one_event(session: Session, actors) -> int:
    event = audit.record(session, actors[Role.ADMINISTRATOR], "test_event", "app_user", 1, "kept")
    session.commit()
    return event.id


@pytest.mark.parametrize(
    "statement",
    [
        text("UPDATE audit_event SET detail = 'changed'"),
        text("DELETE FROM audit_event"),
        update(AuditEvent).values(actor_name="someone else"),
        delete(AuditEvent),
    ],
    ids=["sql-update", "sql-delete", "orm-update", "orm-delete"],
)
def test_the_audit_table_refuses_update_and_delete(session, one_event, statement):
    with pytest.raises(DBAPIError, match="audit_event is append-only"):
        session.execute(statement)
        session.commit()
    session.rollback()
    kept = session.get(AuditEvent, one_event)
    assert (kept.detail, kept.action) == ("kept", "test_event")


def test_the_audit_table_refuses_a_change_through_the_orm(session, one_event):
    session.get(AuditEvent, one_event).detail = "rewritten"
    with pytest.raises(DBAPIError, match="append-only"):
        session.commit()
    session.rollback()
    session.delete(session.get(AuditEvent, one_event))
    with pytest.raises(DBAPIError, match="append-only"):
        session.commit()
    session.rollback()
    session.expire_all()
    assert session.get(AuditEvent, one_event).detail == "kept"


def _event(session: Session, at: dt.datetime, name: str, action: str = "test_event", **kw):  # type: ignore[no-untyped-def]
    session.add(AuditEvent(at=at, actor_name=name, action=action, detail="", **kw))


def test_the_date_filter_reads_helsinki_dates(session, actors):
    admin = actors[Role.ADMINISTRATOR]
    for hour, minute in ((21, 59), (22, 0)):  # 23:59 and 00:00 in Helsinki (EET, UTC+2)
        _event(session, dt.datetime(2026, 3, 4, hour, minute, tzinfo=dt.UTC), f"a{hour}")
        _event(session, dt.datetime(2026, 3, 5, hour, minute, tzinfo=dt.UTC), f"b{hour}")
    session.commit()
    march_5 = audit.AuditFilter(since=dt.date(2026, 3, 5), until=dt.date(2026, 3, 5))
    assert [e.actor_name for e in audit.events(session, admin, march_5)] == ["b21", "a22"]
    assert audit.count(session, admin, march_5) == 2


def test_actions_per_day_are_helsinki_days_across_summer_time(session, actors):
    # Summer time starts 2026-03-29 at 01:00 UTC: Helsinki moves from UTC+2 to UTC+3.
    for at, name in (
        (dt.datetime(2026, 3, 28, 21, 30, tzinfo=dt.UTC), "aino"),  # 03-28 23:30 EET
        (dt.datetime(2026, 3, 28, 22, 30, tzinfo=dt.UTC), "aino"),  # 03-29 00:30 EET
        (dt.datetime(2026, 3, 29, 20, 30, tzinfo=dt.UTC), "aino"),  # 03-29 23:30 EEST
        (dt.datetime(2026, 3, 29, 20, 45, tzinfo=dt.UTC), "ville"),  # 03-29 23:45 EEST
        (dt.datetime(2026, 3, 29, 21, 30, tzinfo=dt.UTC), "ville"),  # 03-30 00:30 EEST
    ):
        _event(session, at, name)
    session.commit()
    rows = audit.actions_per_day(session, actors[Role.COMPLIANCE], audit.AuditFilter())
    assert rows == [
        (dt.date(2026, 3, 28), "aino", 1),
        (dt.date(2026, 3, 29), "aino", 2),
        (dt.date(2026, 3, 29), "ville", 1),
        (dt.date(2026, 3, 30), "ville", 1),
    ]
    only_ville = audit.AuditFilter(actor_name="ville", since=dt.date(2026, 3, 30))
    assert audit.actions_per_day(session, actors[Role.COMPLIANCE], only_ville) == [
        (dt.date(2026, 3, 30), "ville", 1)
    ]


def test_the_chart_keeps_the_most_active_names_and_sums_the_rest(session, actors):
    for name, times in (("aino", 3), ("ville", 2), ("guess-1", 1), ("guess-2", 1)):
        for i in range(times):
            _event(session, T0 + dt.timedelta(minutes=i), name)
    session.commit()
    compliance = actors[Role.COMPLIANCE]
    rows = audit.actions_per_day(session, compliance, audit.AuditFilter(), top=2)
    day = dt.date(2026, 3, 5)
    assert rows == [(day, audit.OTHER_NAMES, 2), (day, "aino", 3), (day, "ville", 2)]
    assert audit.actor_count(session, compliance, audit.AuditFilter()) == 4
    assert audit.actor_count(session, compliance, audit.AuditFilter(action="other")) == 0


def test_events_are_paged_newest_first_and_filtered_exactly(session, actors):
    admin = actors[Role.ADMINISTRATOR]
    for i in range(7):
        _event(session, T0 + dt.timedelta(minutes=i), f"user{i % 2}", record_type="person",
               record_id=str(i))  # fmt: skip
    session.commit()
    everything = audit.AuditFilter()
    page = audit.events(session, admin, everything, limit=3, offset=3)
    assert [e.record_id for e in page] == ["3", "2", "1"]
    assert audit.count(session, admin, everything) == 7
    assert audit.count(session, admin, audit.AuditFilter(actor_name="user1")) == 3
    assert audit.count(session, admin, audit.AuditFilter(actor_name="user")) == 0
    assert audit.count(session, admin, audit.AuditFilter(record_type="person", record_id="4")) == 1
    assert audit.distinct_values(session, admin, "actor_name") == ["user0", "user1"]
    assert audit.distinct_values(session, admin, "record_type") == ["person"]


def test_filter_errors_and_description():
    bad = audit.AuditFilter(
        record_id="x" * 51, since=dt.date(2026, 3, 5), until=dt.date(2026, 3, 4)
    )
    assert bad.errors() == {
        "record_id": "Record ids have at most 50 characters.",
        "until": "The end date is before the start date.",
    }
    assert audit.AuditFilter().describe() == "all events"
    assert (
        audit.AuditFilter(actor_name="aino", action="sign_in", since=dt.date(2026, 3, 1)).describe()
        == "events from 2026-03-01 where user = 'aino' and action = 'sign_in'"
    )


def test_the_csv_export_is_audited_and_keeps_cells_as_text(session, actors):
    compliance = actors[Role.COMPLIANCE]
    _event(session, T0, "aino", "sign_in", record_type="app_user", record_id="1")
    _event(session, T0 + dt.timedelta(hours=1), '=HYPERLINK("http://x")', "sign_in_failed")
    session.commit()
    with pytest.raises(ValidationError):
        audit.export_csv(
            session,
            compliance,
            audit.AuditFilter(since=T0.date(), until=T0.date() - dt.timedelta(1)),
        )
    lines = list(audit.export_csv(session, compliance, audit.AuditFilter(since=T0.date())))
    # The BOM and semicolons: Excel set to Finnish opens it in columns (registry.spreadsheet).
    assert lines[0] == "\ufeffid;at_utc;at_helsinki;user;action;record_type;record_id;detail\r\n"
    first = lines[1].rstrip("\r\n").split(";")
    assert first[1:] == [
        "2026-03-05T10:00:00+00:00",
        "2026-03-05 12:00:00",
        "aino",
        "sign_in",
        "app_user",
        "1",
        "",
    ]
    assert lines[2].split(";")[3] == '"\'=HYPERLINK(""http://x"")"'
    # The file holds the events before the export; the export is an event of its own.
    assert len(lines) == 3
    [export] = _audit_rows(session, "audit_exported")
    assert (export.actor_id, export.record_type) == (compliance.user_id, "audit_event")
    assert export.detail == "2 events as CSV; events from 2026-03-05"

    # The workbook: the same events, the Helsinki time a real date, the formula text neutralised.
    book = audit.export_xlsx(session, compliance, audit.AuditFilter(since=T0.date()))
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(book)).active.rows]
    assert rows[0] == list(audit.CSV_COLUMNS)
    assert rows[1][2] == dt.datetime(2026, 3, 5, 12, 0)
    assert rows[2][3] == '\'=HYPERLINK("http://x")'
    assert len(rows) == 4  # the CSV export before it is an event in this file
    assert _audit_rows(session, "audit_exported")[-1].detail.startswith("3 events as XLSX;")


# --- accounts and the last administrator ---


def test_create_user(session, actors):
    admin = actors[Role.ADMINISTRATOR]
    account = users.create_user(
        session, admin, " Aino.Virtanen ", " Aino Virtanen ", "compliance", NEW_PASSWORD,
        email=" Aino.Virtanen@Click2Contract.example ",
    )  # fmt: skip
    assert (account.username, account.display_name, account.email, account.role) == (
        "aino.virtanen",
        "Aino Virtanen",
        "aino.virtanen@click2contract.example",
        Role.COMPLIANCE,
    )
    assert account.active and account.has_password
    assert not hasattr(account, "password_hash")
    stored = session.get(AppUser, account.id)
    assert stored.password_hash.startswith("$argon2id$")
    assert auth.sign_in(session, "aino.virtanen", NEW_PASSWORD).role == Role.COMPLIANCE
    [event] = _audit_rows(session, "user_created")
    assert (event.actor_id, event.record_id, event.detail) == (
        admin.user_id,
        str(account.id),
        "role compliance",
    )


@pytest.mark.parametrize(
    ("username", "display_name", "role", "password", "email", "field", "message"),
    [
        ("a", "A", "marketing", NEW_PASSWORD, None, "username", "2-50 lower-case"),
        ("bad name", "A", "marketing", NEW_PASSWORD, None, "username", "2-50 lower-case"),
        ("'; drop table", "A", "marketing", NEW_PASSWORD, None, "username", "2-50"),
        ("marketing-user", "A", "marketing", NEW_PASSWORD, None, "username", "is taken"),
        ("new-user", "  ", "marketing", NEW_PASSWORD, None, "display_name", "1-200"),
        ("new-user", "A" * 201, "marketing", NEW_PASSWORD, None, "display_name", "1-200"),
        ("new-user", "A", "superuser", NEW_PASSWORD, None, "role", "Choose a role"),
        ("new-user", "A", "marketing", "short", None, "password", "at least 12"),
        ("new-user", "A", "marketing", NEW_PASSWORD, "no-at-sign", "email", "valid email"),
        (
            "new-user",
            "A",
            "marketing",
            NEW_PASSWORD,
            "Compliance@Click2Contract.example",
            "email",
            "Another account",
        ),
    ],
)
def test_create_user_refuses_bad_input_and_stores_nothing(
    session, actors, username, display_name, role, password, email, field, message
):
    before = (session.scalar(select(func.count()).select_from(AppUser)), _audit_count(session))
    with pytest.raises(ValidationError) as refused:
        users.create_user(
            session, actors[Role.ADMINISTRATOR], username, display_name, role, password, email
        )
    assert list(refused.value.field_errors) == [field]
    assert message in refused.value.field_errors[field]
    after = (session.scalar(select(func.count()).select_from(AppUser)), _audit_count(session))
    assert after == before


def test_the_last_administrator_cannot_be_removed(session, actors):
    admin = actors[Role.ADMINISTRATOR]
    with pytest.raises(ValidationError) as refused:
        users.change_role(session, admin, admin.user_id, Role.MARKETING)
    assert "last active administrator" in refused.value.field_errors["role"]
    with pytest.raises(ValidationError) as refused:
        users.set_active(session, admin, admin.user_id, False)
    assert "last active administrator" in refused.value.field_errors["active"]
    session.expire_all()
    stored = session.get(AppUser, admin.user_id)
    assert (stored.role, stored.active) == (Role.ADMINISTRATOR, True)
    assert _audit_count(session) == 0

    # An inactive administrator does not count: promoting one does not help.
    second = users.create_user(
        session, admin, "second-admin", "Second", "administrator", NEW_PASSWORD
    )
    users.set_active(session, admin, second.id, False)
    with pytest.raises(ValidationError):
        users.change_role(session, admin, admin.user_id, Role.COMPLIANCE)
    # With a second active administrator the first may step down.
    users.set_active(session, admin, second.id, True)
    assert users.change_role(session, admin, admin.user_id, Role.COMPLIANCE).role == "compliance"
    with pytest.raises(ValidationError):
        users.set_active(session, admin, second.id, False)
    actions = [e.action for e in _audit_rows(session)]
    assert actions == [
        "user_created",
        "user_deactivated",
        "user_activated",
        "user_role_changed",
    ]
    assert _audit_rows(session, "user_role_changed")[0].detail == "administrator -> compliance"


def test_role_changes_and_deactivation(session, actors):
    admin = actors[Role.ADMINISTRATOR]
    marketing = actors[Role.MARKETING].user_id
    assert users.change_role(session, admin, marketing, "administrator").role == "administrator"
    with pytest.raises(ValidationError, match="Choose a role"):
        users.change_role(session, admin, marketing, "root")
    # Unchanged role and unchanged state write nothing.
    users.change_role(session, admin, marketing, "administrator")
    users.set_active(session, admin, marketing, True)
    assert [e.action for e in _audit_rows(session)] == ["user_role_changed"]
    with pytest.raises(NotFound):
        users.set_active(session, admin, 999_999, False)


def test_reset_password_clears_the_failed_attempts(session, actors, monkeypatch):
    # A wait that a slow, loaded machine cannot outlast between the failures and the reading.
    monkeypatch.setattr(settings, "SIGN_IN_FIRST_WAIT", dt.timedelta(minutes=5))
    admin = actors[Role.ADMINISTRATOR]
    compliance = actors[Role.COMPLIANCE]
    now = utcnow()  # the Users page reads the pauses in force now
    for _ in range(settings.SIGN_IN_USERNAME_FREE_FAILURES + 1):
        _fail(session, compliance.username, now)
    assert users.list_users(session, admin)[1].paused(now)
    with pytest.raises(ValidationError, match="at least 12"):
        users.reset_password(session, admin, compliance.user_id, "short")
    account = users.reset_password(session, admin, compliance.user_id, NEW_PASSWORD)
    assert not account.paused(now)
    assert _throttle(session, throttle.USERNAME, compliance.username) is None
    with pytest.raises(SignInRefused, match=r"^Wrong username"):
        auth.sign_in(session, compliance.username, TEST_PASSWORD, now=now)
    assert auth.sign_in(session, compliance.username, NEW_PASSWORD, now=now) == compliance
    assert len(_audit_rows(session, "user_password_reset")) == 1


def test_list_users_shows_no_hash(session, actors):
    accounts = users.list_users(session, actors[Role.ADMINISTRATOR])
    assert [a.username for a in accounts] == [
        "administrator-user",
        "compliance-user",
        "marketing-user",
    ]
    assert all(a.has_password for a in accounts)
    assert "password_hash" not in {f.name for f in dataclasses.fields(users.Account)}


# --- the command line ---


def test_cli_users_add_and_list(database_url, monkeypatch, capsys):
    monkeypatch.setenv(db.ENV_VAR, database_url)
    monkeypatch.setattr(commands.getpass, "getuser", lambda: "ops")
    argv = ["users", "add", "First.Admin", "--role", "administrator", "--name", "First Admin"]
    assert cli.main([*argv, "--password", NEW_PASSWORD]) == 0
    assert "Created first.admin (administrator)." in capsys.readouterr().out

    # Without --password the password is asked without echo.
    monkeypatch.setattr(commands.getpass, "getpass", lambda prompt: NEW_PASSWORD)
    assert cli.main(["users", "add", "analyst", "--role", "marketing"]) == 0

    assert cli.main(["users", "add", "weak", "--role", "marketing", "--password", "short"]) == 2
    assert "password: Use at least 12 characters." in capsys.readouterr().err
    argv = ["users", "add", "analyst", "--role", "compliance", "--password", NEW_PASSWORD]
    assert cli.main(argv) == 2
    assert "username: The username 'analyst' is taken." in capsys.readouterr().err
    assert cli.main(["users", "add", "x", "--role", "root", "--password", NEW_PASSWORD]) == 2
    assert "argument --role: invalid choice: 'root'" in capsys.readouterr().err

    assert cli.main(["users", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["analyst", "marketing", "active"],
        ["first.admin", "administrator", "active"],
    ]
    engine = db.make_engine(database_url)
    with db.make_sessionmaker(engine)() as s:
        created = _audit_rows(s, "user_created")
        assert [(e.actor_name, e.actor_id) for e in created] == [("cli:ops", None)] * 2
        assert auth.sign_in(s, "first.admin", NEW_PASSWORD).role == Role.ADMINISTRATOR
    engine.dispose()


# --- every guarded domain function refuses the roles lacking its permission ---


def _functions_taking_an_actor() -> tuple[list[Callable[..., object]], dict[str, str]]:
    """Public functions of registry modules (those of its packages too) whose second
    parameter is `actor: Actor`, and the modules that failed to import.

    Discovered, not listed, so that functions added later are covered as well.
    """
    found, broken = [], {}
    for info in pkgutil.walk_packages(registry.__path__, "registry."):
        if info.ispkg or any(part.startswith("_") for part in info.name.split(".")):
            continue
        if info.name.startswith("registry.migrations"):
            continue  # Alembic's revisions run only inside a migration context
        try:
            module = importlib.import_module(info.name)
        except Exception as e:  # reported by its own test, so the others still run
            broken[info.name] = f"{type(e).__name__}: {e}"
            continue
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            parameters = list(inspect.signature(function).parameters.values())
            if (
                len(parameters) >= 2
                and parameters[1].name == "actor"
                and parameters[1].annotation in ("Actor", Actor)
            ):
                found.append(function)
    return found, broken


GUARDED, UNIMPORTABLE = _functions_taking_an_actor()


def _name(function: Callable[..., object]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def _placeholder(annotation: object) -> object:
    """A harmless value of the annotated type; the permission check comes before any use."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _placeholder(options[0]) if options else None
    if origin is not None:
        if origin in (dict, cabc.Mapping):
            return {}
        if isinstance(origin, type) and issubclass(origin, (list, tuple, set, cabc.Iterable)):
            return []
        return None
    simple: dict[object, object] = {
        int: 1,
        str: "placeholder",
        bool: True,
        float: 1.0,
        dt.date: dt.date(2026, 3, 5),
        dt.datetime: utcnow(),
    }
    if annotation in simple:
        return simple[annotation]
    if isinstance(annotation, type):
        try:
            return annotation()
        except Exception:
            return None
    return None


def _call(function: Callable[..., object], session: Session, actor: Actor) -> None:
    try:
        hints = typing.get_type_hints(function)
    except Exception:
        hints = {}
    args, kwargs = [], {}
    for parameter in list(inspect.signature(function).parameters.values())[2:]:
        if parameter.default is not inspect.Parameter.empty:
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        value = _placeholder(hints.get(parameter.name, parameter.annotation))
        if parameter.kind is parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    result = function(session, actor, *args, **kwargs)
    if isinstance(result, Iterator):  # a generator checks only when it is first read
        next(result, None)


@dataclasses.dataclass(frozen=True)
class _Probe(Actor):
    """An actor that holds no permission and notes every permission it is asked for."""

    asked: list[Permission] = dataclasses.field(default_factory=list, compare=False, hash=False)

    def may(self, permission: Permission) -> bool:
        self.asked.append(permission)
        return False


def test_every_registry_module_imports():
    assert not UNIMPORTABLE, "cannot check modules that do not import: " + str(UNIMPORTABLE)


def test_discovery_finds_the_guarded_functions():
    names = {_name(f) for f in GUARDED}
    assert {
        "registry.audit.events",
        "registry.audit.export_csv",
        "registry.users.create_user",
        "registry.users.list_users",
        "registry.consent.record_consent",
        "registry.overview.overview",
    } <= names
    # audit.record accepts no actor at all (failed sign-ins), so it is not a guarded function.
    assert "registry.audit.record" not in names


def test_open_to_all_roles_means_every_role():
    for permissions in ROLE_PERMISSIONS.values():
        assert OPEN_TO_ALL_ROLES <= permissions


@pytest.mark.parametrize("function", GUARDED, ids=_name)
def test_guarded_function_refuses_every_role_lacking_its_permission(function, session, actors):
    name = _name(function)
    # No account behind the probe: a function that re-reads the account from the database
    # (as a download run outside a page run does) must still ask the probe.
    probe = _Probe(None, "probe", Role.MARKETING)
    try:
        _call(function, session, probe)
    except PermissionDenied:
        pass
    except Exception as e:
        pytest.fail(
            f"{name} raised {type(e).__name__} ({e}) before refusing an actor without "
            "permissions: check the permission first, with registry.permissions.require"
        )
    else:
        pytest.fail(f"{name} takes an actor but acted for one without any permission")
    session.rollback()

    asked = set(probe.asked)
    assert asked, f"{name} refused without naming a permission: use registry.permissions.require"
    if asked & OPEN_TO_ALL_ROLES:
        return  # open to all roles: it requires a permission every role holds
    lacking = [role for role in Role if not asked & ROLE_PERMISSIONS[role]]
    assert lacking, (
        f"{name} refuses no role (it asks for {sorted(asked)}); require a narrower permission, "
        "or one of OPEN_TO_ALL_ROLES if every role may do it"
    )
    before = _audit_count(session)
    for role in lacking:
        with pytest.raises(PermissionDenied, match=f"^The {role} role may not "):
            _call(function, session, actors[role])
        session.rollback()
    assert _audit_count(session) == before, f"{name} wrote an audit event before refusing"
