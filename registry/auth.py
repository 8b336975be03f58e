"""Passwords and sign-in: argon2id hashes, sign-in and sign-out, lockout and idle expiry.

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

from registry import audit, passwords, settings, validation
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


_WRONG_CREDENTIALS = "Wrong username or password."


@cache
def _decoy_hash() -> str:
    return _hasher.hash("decoy password for unknown accounts")


def _locked_message(locked_until: dt.datetime) -> str:
    until = locked_until.astimezone(settings.REGISTRY_TZ).strftime("%H:%M")
    return (
        f"This account is locked after {settings.MAX_FAILED_SIGN_INS} failed sign-ins. "
        f"Try again after {until} (Helsinki time) or ask an administrator."
    )


def sign_in(
    session: Session, username: str, password: str, now: dt.datetime | None = None
) -> Actor:
    """Check a password sign-in and record it; raises SignInRefused with the reason to show.

    Five failures in a row lock the account for 15 minutes (settings). Each attempt is
    audited, failed ones too, and committed here.
    """
    now = now or utcnow()
    typed = username.strip()
    # No username holds a control or invisible character, and PostgreSQL cannot even compare
    # a NUL: such a name is an unknown account, audited with the characters spelled out.
    refused = validation.refused_character(typed) is not None
    # Usernames are stored in lower case. The row lock keeps concurrent wrong guesses
    # from losing a count on PostgreSQL.
    user = (
        None
        if refused
        else session.scalar(
            select(AppUser).where(AppUser.username == typed.lower()).with_for_update()
        )
    )
    if user is None or not user.active:
        # Spend the same argon2 time as a real check, so timing does not reveal accounts.
        password_matches(_decoy_hash(), password)
        # As typed: the trail keeps what was tried (cut to the column's length).
        _no_account(
            session,
            (validation.shown_safely(typed) or "(empty)")[:100],
            "unknown or inactive account",
            _WRONG_CREDENTIALS,
        )
    if user.locked_until and user.locked_until > now:
        audit.record(
            session,
            None,
            "sign_in_failed",
            "app_user",
            user.id,
            "account locked",
            actor_name=user.username,
        )
        session.commit()
        raise SignInRefused(_locked_message(user.locked_until))
    if not password_matches(user.password_hash, password):
        user.failed_sign_ins += 1
        detail = f"wrong password ({user.failed_sign_ins} in a row)"
        locked = user.failed_sign_ins >= settings.MAX_FAILED_SIGN_INS
        if locked:
            user.locked_until = now + settings.LOCKOUT_PERIOD
            user.failed_sign_ins = 0
            detail += "; account locked"
        audit.record(
            session, None, "sign_in_failed", "app_user", user.id, detail, actor_name=user.username
        )
        session.commit()
        if locked:
            raise SignInRefused(
                f"{_WRONG_CREDENTIALS} {_locked_message(now + settings.LOCKOUT_PERIOD)}"
            )
        raise SignInRefused(_WRONG_CREDENTIALS)
    if _hasher.check_needs_rehash(user.password_hash or ""):
        # Parameters were raised since this hash was made: store a hash made with today's.
        user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    actor = Actor.of(user)
    audit.record(session, actor, "sign_in", "app_user", user.id)
    session.commit()
    return actor


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
