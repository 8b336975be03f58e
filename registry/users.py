"""Dashboard accounts: who may sign in, with which role (administrators only).

An administrator cannot remove the last active administrator: neither by changing that
account's role nor by deactivating it, so someone can always manage the accounts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry import audit, settings, sign_in_sessions, throttle, validation
from registry.auth import check_new_password, hash_password
from registry.errors import NotFound, ValidationError
from registry.models import AppUser, utcnow
from registry.permissions import Actor, Permission, require
from registry.vocabulary import Role

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,49}$")


@dataclass(frozen=True)
class Account:
    """An account as the administration page and the CLI show it: never the password hash."""

    id: int
    username: str
    display_name: str
    email: str | None
    role: Role
    active: bool
    has_password: bool
    # Until when a sign-in with this username is held back after failed attempts (throttle).
    paused_until: dt.datetime | None
    last_sign_in_at: dt.datetime | None
    created_at: dt.datetime

    def paused(self, now: dt.datetime | None = None) -> bool:
        return self.paused_until is not None and self.paused_until > (now or utcnow())


def _account(user: AppUser, paused_until: dt.datetime | None = None) -> Account:
    return Account(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        role=Role(user.role),
        active=user.active,
        has_password=bool(user.password_hash),
        paused_until=paused_until,
        last_sign_in_at=user.last_sign_in_at,
        created_at=user.created_at,
    )


def list_users(session: Session, actor: Actor) -> list[Account]:
    require(actor, Permission.MANAGE_USERS)
    paused = throttle.paused_usernames(session, utcnow())
    return [
        _account(u, paused.get(u.username))
        for u in session.scalars(select(AppUser).order_by(AppUser.username))
    ]


def _validate(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    email: str | None,
    password: str,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    # First: a NUL must not reach the email query (PostgreSQL refuses it).
    validation.refuse_hidden(errors, {"display_name": display_name, "email": email})
    if not USERNAME_PATTERN.match(username):
        errors["username"] = "Use 2-50 lower-case letters, digits, dots, dashes or underscores."
    elif session.scalar(select(AppUser.id).where(AppUser.username == username)):
        errors["username"] = f"The username {username!r} is taken."
    if "display_name" in errors:
        pass
    elif not display_name or len(display_name) > settings.MAX_SHORT_TEXT:
        errors["display_name"] = f"Give a name of 1-{settings.MAX_SHORT_TEXT} characters."
    if role not in Role.__members__.values():
        errors["role"] = "Choose a role."
    if email and "email" not in errors and (problem := validation.formula_email(email)):
        errors["email"] = problem
    elif email and "email" not in errors:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            errors["email"] = "Give a valid email address, or leave it empty."
        else:
            if session.scalar(select(AppUser.id).where(func.lower(AppUser.email) == email)):
                errors["email"] = "Another account has this email address."
    if message := check_new_password(password, username):
        errors["password"] = message
    return errors


def create_user(
    session: Session,
    actor: Actor,
    username: str,
    display_name: str,
    role: str,
    password: str,
    email: str | None = None,
) -> Account:
    require(actor, Permission.MANAGE_USERS)
    username, display_name = username.strip().lower(), display_name.strip()
    email = (email or "").strip().lower() or None
    if errors := _validate(session, username, display_name, role, email, password):
        raise ValidationError(errors)
    user = AppUser(
        username=username,
        display_name=display_name,
        role=role,
        email=email,
        password_hash=hash_password(password),
        active=True,
        failed_sign_ins=0,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # Another administrator took the name between the check and the insert.
        session.rollback()
        raise ValidationError({"username": f"The username {username!r} is taken."}) from None
    audit.record(session, actor, "user_created", "app_user", user.id, f"role {role}")
    session.commit()
    return _account(user)


def _get(session: Session, user_id: int) -> AppUser:
    # Lock the active administrators first, always in id order, so two administrators
    # removing each other at the same moment cannot both pass the last-administrator check.
    session.execute(
        select(AppUser.id)
        .where(AppUser.role == Role.ADMINISTRATOR, AppUser.active)
        .order_by(AppUser.id)
        .with_for_update()
    ).all()
    user = session.get(AppUser, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"No dashboard user with id {user_id}.")
    return user


def _is_last_administrator(session: Session, user: AppUser) -> bool:
    if user.role != Role.ADMINISTRATOR or not user.active:
        return False
    others = session.scalar(
        select(func.count())
        .select_from(AppUser)
        .where(AppUser.role == Role.ADMINISTRATOR, AppUser.active, AppUser.id != user.id)
    )
    return not others


def _last_administrator_message(user: AppUser) -> str:
    return (
        f"{user.username} is the last active administrator; "
        "make another account an administrator first."
    )


def change_role(session: Session, actor: Actor, user_id: int, role: str) -> Account:
    require(actor, Permission.MANAGE_USERS)
    if role not in Role.__members__.values():
        raise ValidationError({"role": "Choose a role."})
    user = _get(session, user_id)
    if role != user.role:
        if _is_last_administrator(session, user):
            session.rollback()
            raise ValidationError({"role": _last_administrator_message(user)})
        audit.record(
            session, actor, "user_role_changed", "app_user", user.id, f"{user.role} -> {role}"
        )
        user.role = role
    session.commit()
    return _account(user)


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> Account:
    """Deactivate (the account can no longer sign in; open sessions end) or reactivate."""
    require(actor, Permission.MANAGE_USERS)
    user = _get(session, user_id)
    if user.active and not active and _is_last_administrator(session, user):
        session.rollback()
        raise ValidationError({"active": _last_administrator_message(user)})
    if user.active != active:
        user.active = active
        audit.record(
            session, actor, "user_activated" if active else "user_deactivated", "app_user", user.id
        )
    session.commit()
    return _account(user)


def reset_password(session: Session, actor: Actor, user_id: int, password: str) -> Account:
    """Set a new password; the username's failed attempts and the account's sign-in sessions
    end with the old one."""
    require(actor, Permission.MANAGE_USERS)
    user = _get(session, user_id)
    if message := check_new_password(password, user.username):
        raise ValidationError({"password": message})
    user.password_hash = hash_password(password)
    throttle.clear_username(session, user.username)
    sign_in_sessions.end_all(session, user.id)
    audit.record(session, actor, "user_password_reset", "app_user", user.id)
    session.commit()
    return _account(user)
