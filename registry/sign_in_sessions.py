"""Staying signed in across reloads and links (issue 21): a server-side session that a
browser cookie names.

Streamlit starts a new session on every reload, so without this a reload or an opened link
asks for the password again. The cookie holds a random 256-bit token; the database keeps
only its SHA-256, so a copy of the table (a backup) signs nobody in. A session ends at
sign-out (revoked), after IDLE_TIMEOUT without activity, or when the account is deactivated;
resuming one is audited like a sign-in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from registry import audit, settings
from registry.models import AppUser, SignInSession, utcnow
from registry.permissions import OPEN_TO_ALL_ROLES, Actor, require_any

COOKIE = "registry_session"
TOKEN_BYTES = 32
# Activity moves a session's last-seen time at most this often: a page run writes nothing.
TOUCH_EVERY = dt.timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, actor: Actor, now: dt.datetime | None = None) -> str:
    """A new session for the signed-in actor; returns the token for the cookie."""
    require_any(actor, *OPEN_TO_ALL_ROLES)  # every role may stay signed in
    now = now or utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    # Ended sessions are of no further use: they go as new ones start.
    session.execute(
        delete(SignInSession).where(
            or_(
                SignInSession.revoked_at.is_not(None),
                SignInSession.last_seen_at < now - settings.IDLE_TIMEOUT,
            )
        )
    )
    session.add(
        SignInSession(
            token_hash=_digest(token), user_id=actor.user_id, created_at=now, last_seen_at=now
        )
    )
    audit.record(session, actor, "sign_in_session_opened", "app_user", actor.user_id)
    session.commit()
    return token


def resume(session: Session, token: str, now: dt.datetime | None = None) -> Actor | None:
    """The actor whose live session the token names, or None (unknown, ended, idle too long,
    or the account deactivated)."""
    now = now or utcnow()
    row = session.scalar(
        select(SignInSession).where(
            SignInSession.token_hash == _digest(token), SignInSession.revoked_at.is_(None)
        )
    )
    if row is None or now - row.last_seen_at > settings.IDLE_TIMEOUT:
        return None
    user = session.get(AppUser, row.user_id)
    if user is None or not user.active:
        return None
    actor = Actor.of(user)
    row.last_seen_at = now
    audit.record(session, actor, "sign_in_resumed", "app_user", user.id)
    session.commit()
    return actor


def live(session: Session, token: str, now: dt.datetime | None = None) -> bool:
    """Whether the token's session still stands: a sign-out in another tab ends this one too."""
    last_seen = session.scalar(
        select(SignInSession.last_seen_at).where(
            SignInSession.token_hash == _digest(token), SignInSession.revoked_at.is_(None)
        )
    )
    return last_seen is not None and (now or utcnow()) - last_seen <= settings.IDLE_TIMEOUT


def touch(session: Session, token: str, now: dt.datetime | None = None) -> None:
    """Activity in a signed-in browser: the session's idle clock starts again. Not audited:
    it is the session's own clock, as the last-activity time kept in Streamlit is."""
    now = now or utcnow()
    session.execute(
        update(SignInSession)
        .where(SignInSession.token_hash == _digest(token), SignInSession.revoked_at.is_(None))
        .values(last_seen_at=now)
    )
    session.commit()


def revoke(session: Session, token: str, now: dt.datetime | None = None) -> None:
    """End the session the token names, in the caller's transaction (sign-out commits it)."""
    session.execute(
        update(SignInSession)
        .where(SignInSession.token_hash == _digest(token), SignInSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def end_all(session: Session, user_id: int, now: dt.datetime | None = None) -> None:
    """End every session of the account, in the caller's transaction: a new password must
    also shut out whoever signed in with the old one."""
    session.execute(
        update(SignInSession)
        .where(SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
