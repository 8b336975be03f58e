"""Passwords and sign-in: argon2id hashes, sign-in and sign-out, throttling and idle expiry.

Who may do what (roles, permissions, the acting user) is in `registry.permissions`.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import audit, passwords, settings, throttle, validation
from registry.errors import SignInRefused
from registry.models import AppUser, utcnow
from registry.permissions import OPEN_TO_ALL_ROLES, Actor, require_any

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, username: str = "") -> str | None:
    """The message to show next to a new password field, or None if it is acceptable
    (registry.passwords: NIST SP 800-63B)."""
    return passwords.problem(password, username)


# One answer for every refused password sign-in: an unknown or inactive username, a wrong
# password and an attempt held back by throttling read the same, so the answer never tells
# whether a username exists (issue 18).
REFUSED = (
    "Wrong username or password, or too many failed attempts. "
    "Check both and try again in a few minutes."
)


@cache
def _decoy_hash() -> str:
    return _hasher.hash("decoy password for unknown accounts")


def sign_in(
    session: Session,
    username: str,
    password: str,
    now: dt.datetime | None = None,
    client: str | None = None,
) -> Actor:
    """Check a password sign-in and record it; raises SignInRefused with REFUSED.

    `client` is the client's address when the server knows it: failures are throttled per
    typed username and per client (registry.throttle), never by locking an account. Each
    attempt is audited, failed ones too, with the address but never the typed password, and
    committed here.
    """
    now = now or utcnow()
    typed = username.strip()
    # No username holds a control or invisible character, and PostgreSQL cannot even compare
    # a NUL: such a name is an unknown account, audited with the characters spelled out.
    shown = (validation.shown_safely(typed) or "(empty)")[:100]
    refused = validation.refused_character(typed) is not None
    attempt = throttle.keys(shown if refused else typed, client)
    user = (
        None
        if refused
        else session.scalar(select(AppUser).where(AppUser.username == typed.lower()))
    )
    account_id = user.id if user is not None else None
    where = f" from {client}" if client else ""
    if held := throttle.waiting(session, attempt, now):
        key, until = held
        # The same argon2 time as a real check: the answer's speed tells nothing either.
        password_matches(_decoy_hash(), password)
        _refuse(
            session,
            user.username if user is not None else shown,
            account_id,
            f"refused unchecked{where}: too many failed attempts for this {key.scope} "
            f"(until {until.isoformat(timespec='seconds')})",
        )
    if user is None or not user.active:
        password_matches(_decoy_hash(), password)
        throttle.record_failure(session, attempt, now)
        _refuse(session, shown, None, f"unknown or inactive account{where}")
    if not password_matches(user.password_hash, password):
        throttle.record_failure(session, attempt, now)
        _refuse(session, user.username, user.id, f"wrong password{where}")
    if _hasher.check_needs_rehash(user.password_hash or ""):
        # Parameters were raised since this hash was made: store a hash made with today's.
        user.password_hash = hash_password(password)
    throttle.clear_username(session, user.username)
    user.last_sign_in_at = now
    actor = Actor.of(user)
    audit.record(session, actor, "sign_in", "app_user", user.id, f"from {client}" if client else "")
    session.commit()
    return actor


def _refuse(session: Session, tried: str, account_id: int | None, detail: str) -> NoReturn:
    """A refused password sign-in: on record (committed) with what was tried as the name,
    then the one answer."""
    audit.record(session, None, "sign_in_failed", "app_user", account_id, detail, actor_name=tried)
    session.commit()
    raise SignInRefused(REFUSED)


def _no_account(session: Session, tried: str, detail: str, message: str) -> NoReturn:
    """A sign-in with no active account behind it: on record (committed), then refused."""
    audit.record(session, None, "sign_in_failed", "app_user", None, detail, actor_name=tried)
    session.commit()
    raise SignInRefused(message)


def sign_in_external(session: Session, email: str) -> Actor:
    """OpenID Connect: the identity provider vouched for the email; the role is ours."""
    user = session.scalar(select(AppUser).where(func.lower(AppUser.email) == email.strip().lower()))
    if user is None or not user.active:
        _no_account(
            session,
            email,
            "no active dashboard account for this identity",
            f"{email} has no active account in the registry dashboard. Ask an administrator.",
        )
    user.last_sign_in_at = utcnow()
    actor = Actor.of(user)
    audit.record(session, actor, "sign_in", "app_user", user.id, "OpenID Connect")
    session.commit()
    return actor


def sign_out(session: Session, actor: Actor, reason: str = "") -> None:
    """Record the end of a dashboard session: the user's own choice, idle expiry or a
    deactivated account (the reason says which), committed here as sign-in is."""
    # Every role may sign out; OPEN_TO_ALL_ROLES is how a guarded function says so.
    require_any(actor, *OPEN_TO_ALL_ROLES)
    audit.record(session, actor, "sign_out", "app_user", actor.user_id, reason)
    session.commit()


def session_expired(last_activity: dt.datetime, now: dt.datetime | None = None) -> bool:
    """A dashboard session ends after IDLE_TIMEOUT without activity."""
    return (now or utcnow()) - last_activity > settings.IDLE_TIMEOUT


def current_actor(session: Session, user_id: int) -> Actor | None:
    """Re-read the account on each page run, so a deactivation or role change bites at once."""
    user = session.get(AppUser, user_id)
    if user is None or not user.active:
        return None
    return Actor.of(user)
