"""Staying signed in across reloads (registry/sign_in_sessions.py, dashboard.py): the token
stored only hashed, resumed while live, ended by sign-out, idleness or deactivation; and the
dashboard signing a reload in from its cookie. On SQLite and PostgreSQL; the browser journey
is in test_daily_browser.py."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from registry import settings, sign_in_sessions, users
from registry.models import AuditEvent, SignInSession, utcnow
from registry.vocabulary import Role
from views import widgets

NOW = utcnow()


def test_only_the_tokens_hash_is_stored_and_it_resumes_the_same_actor(session, actors):
    officer = actors[Role.COMPLIANCE]
    token = sign_in_sessions.open_session(session, officer, NOW)
    [row] = session.scalars(select(SignInSession)).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert len(token) >= 40  # 32 random bytes
    later = NOW + dt.timedelta(minutes=10)
    resumed = sign_in_sessions.resume(session, token, later)
    assert resumed is not None and resumed.user_id == officer.user_id
    assert resumed.role == Role.COMPLIANCE
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["sign_in_session_opened", "sign_in_resumed"]
    assert sign_in_sessions.resume(session, token + "x", later) is None


def test_a_session_ends_at_sign_out_after_idleness_and_with_the_account(session, actors):
    officer = actors[Role.COMPLIANCE]
    token = sign_in_sessions.open_session(session, officer, NOW)
    idle = NOW + settings.IDLE_TIMEOUT + dt.timedelta(seconds=1)
    assert not sign_in_sessions.live(session, token, idle)
    assert sign_in_sessions.resume(session, token, idle) is None
    # Activity restarts the idle clock.
    sign_in_sessions.touch(session, token, NOW + dt.timedelta(minutes=20))
    assert sign_in_sessions.live(session, token, idle)

    sign_in_sessions.revoke(session, token, NOW)
    session.commit()
    assert not sign_in_sessions.live(session, token, NOW)
    assert sign_in_sessions.resume(session, token, NOW) is None

    marketer = actors[Role.MARKETING]
    other = sign_in_sessions.open_session(session, marketer, NOW)
    users.set_active(session, actors[Role.ADMINISTRATOR], marketer.user_id, False)
    assert sign_in_sessions.resume(session, other, NOW) is None


def test_ended_sessions_are_deleted_as_new_ones_start(session, actors):
    officer = actors[Role.COMPLIANCE]
    old = sign_in_sessions.open_session(session, officer, NOW - dt.timedelta(days=2))
    ended = sign_in_sessions.open_session(session, officer, NOW)
    sign_in_sessions.revoke(session, ended, NOW)
    session.commit()
    sign_in_sessions.open_session(session, officer, NOW)
    assert len(session.scalars(select(SignInSession)).all()) == 1
    assert sign_in_sessions.resume(session, old, NOW) is None


def test_a_reload_with_a_live_cookie_is_signed_in_and_an_ended_one_is_not(
    session, database_url, actors, app_test, monkeypatch
):
    officer = actors[Role.COMPLIANCE]
    token = sign_in_sessions.open_session(session, officer)
    monkeypatch.setattr(widgets, "cookie_token", lambda: token)
    at = app_test(database_url, None)  # a new Streamlit session: nobody signed in yet
    assert not at.exception, at.exception
    assert at.title[0].value == "Overview"
    assert at.session_state["auth_user_id"] == officer.user_id

    sign_in_sessions.revoke(session, token)  # signed out in another tab
    session.commit()
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "another tab" in at.info[0].value

    again = app_test(database_url, None)
    assert [t.label for t in again.text_input] == ["Username", "Password"]


def test_a_new_password_ends_the_accounts_sessions(session, actors):
    marketer = actors[Role.MARKETING]
    token = sign_in_sessions.open_session(session, marketer, NOW)
    users.reset_password(
        session, actors[Role.ADMINISTRATOR], marketer.user_id, "a-new-long-passphrase-9"
    )
    assert not sign_in_sessions.live(session, token)
    assert sign_in_sessions.resume(session, token) is None
