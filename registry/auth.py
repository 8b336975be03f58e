"""Who may do what: roles, permissions, sign-in with argon2id, lockout and idle expiry.

"Access to information requires adequate rights" (the notice). Every domain function that
reads personal data in bulk or writes anything takes the acting user and calls `require`,
so a page bug cannot leak or change data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import settings
from registry.errors import PermissionDenied, SignInRefused
from registry.models import AppUser, utcnow
from registry.vocabulary import Role

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()


class Permission(StrEnum):
    """What a role may do; the value completes the sentence "may not ..."."""

    VIEW_OVERVIEW = "view the overview"
    VIEW_NOTICE = "view the registry notice"
    VIEW_SEGMENTS = "view marketing segments"
    MANAGE_SEGMENTS = "save or delete segments"
    EXPORT_TARGET_LIST = "export target lists"
    VIEW_CONSENT = "view consent status"
    RECORD_CONSENT = "record consent events"
    VIEW_PERSON = "view a person's data"
    AMEND_PERSON = "amend a person's data"
    HANDLE_REQUESTS = "handle data-subject requests"
    GENERATE_ACCESS_REPORT = "generate access reports"
    VIEW_DISCLOSURES = "view disclosures"
    RECORD_DISCLOSURE = "record disclosures"
    MANAGE_RECIPIENTS = "manage recipients"
    MANAGE_BREACHES = "manage personal data breaches"
    VIEW_AUDIT = "view the audit trail"
    MANAGE_USERS = "manage dashboard users"
    MANAGE_BACKUPS = "make or restore backups"


# Every role holds these: a domain function that requires one of them is open to all roles.
OPEN_TO_ALL_ROLES = frozenset({Permission.VIEW_OVERVIEW, Permission.VIEW_NOTICE})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MARKETING: frozenset(
        OPEN_TO_ALL_ROLES
        | {
            Permission.VIEW_SEGMENTS,
            Permission.MANAGE_SEGMENTS,
            Permission.EXPORT_TARGET_LIST,
            Permission.VIEW_CONSENT,
            Permission.RECORD_CONSENT,
        }
    ),
    Role.COMPLIANCE: frozenset(
        OPEN_TO_ALL_ROLES
        | {
            Permission.VIEW_CONSENT,
            Permission.RECORD_CONSENT,
            Permission.VIEW_PERSON,
            Permission.AMEND_PERSON,
            Permission.HANDLE_REQUESTS,
            Permission.GENERATE_ACCESS_REPORT,
            Permission.VIEW_DISCLOSURES,
            Permission.RECORD_DISCLOSURE,
            Permission.MANAGE_RECIPIENTS,
            Permission.MANAGE_BREACHES,
            Permission.VIEW_AUDIT,
        }
    ),
    Role.ADMINISTRATOR: frozenset(
        OPEN_TO_ALL_ROLES
        | {Permission.MANAGE_USERS, Permission.VIEW_AUDIT, Permission.MANAGE_BACKUPS}
    ),
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user (or a command-line job) on whose behalf the domain acts."""

    user_id: int | None
    username: str
    role: Role
    display_name: str = ""

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @classmethod
    def of(cls, user: AppUser) -> Actor:
        return cls(user.id, user.username, Role(user.role), user.display_name)

    @classmethod
    def command_line(cls, job: str = "cli") -> Actor:
        """The command line runs as an administrator-like job with no account of its own."""
        return cls(None, job, Role.ADMINISTRATOR, "command line")


def require(actor: Actor, permission: Permission) -> None:
    if not actor.may(permission):
        raise PermissionDenied(f"The {actor.role} role may not {permission}.")


def require_any(actor: Actor, *permissions: Permission) -> None:
    """For what several jobs share (finding a person, recording a disclosure)."""
    if not any([actor.may(p) for p in permissions]):  # a list: every permission is asked
        raise PermissionDenied(f"The {actor.role} role may not {' or '.join(permissions)}.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> str | None:
    """The message to show next to a new password field, or None if it is acceptable."""
    if len(password) < settings.MIN_PASSWORD_LENGTH:
        return f"Use at least {settings.MIN_PASSWORD_LENGTH} characters."
    if len(password) > 200:
        return "Use at most 200 characters."
    return None


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
    from registry import audit  # audit imports this module

    now = now or utcnow()
    typed = username.strip()
    # Usernames are stored in lower case. The row lock keeps concurrent wrong guesses
    # from losing a count on PostgreSQL.
    user = session.scalar(
        select(AppUser).where(AppUser.username == typed.lower()).with_for_update()
    )
    if user is None or not user.active:
        # Spend the same argon2 time as a real check, so timing does not reveal accounts.
        password_matches(_decoy_hash(), password)
        audit.record(
            session,
            None,
            "sign_in_failed",
            "app_user",
            None,
            "unknown or inactive account",
            actor_name=typed or "(empty)",  # as typed: the trail keeps what was tried
        )
        session.commit()
        raise SignInRefused(_WRONG_CREDENTIALS)
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


def sign_in_external(session: Session, email: str) -> Actor:
    """OpenID Connect: the identity provider vouched for the email; the role is ours."""
    from registry import audit

    user = session.scalar(select(AppUser).where(func.lower(AppUser.email) == email.strip().lower()))
    if user is None or not user.active:
        audit.record(
            session,
            None,
            "sign_in_failed",
            "app_user",
            None,
            "no active dashboard account for this identity",
            actor_name=email,
        )
        session.commit()
        raise SignInRefused(
            f"{email} has no active account in the registry dashboard. Ask an administrator."
        )
    user.last_sign_in_at = utcnow()
    actor = Actor.of(user)
    audit.record(session, actor, "sign_in", "app_user", user.id, "OpenID Connect")
    session.commit()
    return actor


def session_expired(last_activity: dt.datetime, now: dt.datetime | None = None) -> bool:
    """A dashboard session ends after IDLE_TIMEOUT without activity."""
    return (now or utcnow()) - last_activity > settings.IDLE_TIMEOUT


def current_actor(session: Session, user_id: int) -> Actor | None:
    """Re-read the account on each page run, so a deactivation or role change bites at once."""
    user = session.get(AppUser, user_id)
    if user is None or not user.active:
        return None
    return Actor.of(user)
