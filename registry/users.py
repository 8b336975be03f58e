"""Dashboard accounts: who may sign in, with which role (administrators only)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import audit, settings
from registry.auth import Actor, Permission, check_new_password, hash_password, require
from registry.errors import NotFound, RegistryError, ValidationError
from registry.models import AppUser
from registry.vocabulary import Role

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,49}$")


def list_users(session: Session, actor: Actor) -> list[AppUser]:
    require(actor, Permission.MANAGE_USERS)
    return list(session.scalars(select(AppUser).order_by(AppUser.username)))


def _validate(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    email: str | None,
    password: str | None,
    user_id: int | None = None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not USERNAME_PATTERN.match(username):
        errors["username"] = "Use 2-50 lower-case letters, digits, dots, dashes or underscores."
    elif session.scalar(
        select(AppUser.id).where(AppUser.username == username, AppUser.id != (user_id or -1))
    ):
        errors["username"] = f"The username {username!r} is taken."
    if not display_name or len(display_name) > settings.MAX_SHORT_TEXT:
        errors["display_name"] = f"Give a name of 1-{settings.MAX_SHORT_TEXT} characters."
    if role not in Role.__members__.values():
        errors["role"] = "Choose a role."
    if email:
        if "@" not in email or len(email) > 254:
            errors["email"] = "Give a valid email address, or leave it empty."
        elif session.scalar(
            select(AppUser.id).where(
                func.lower(AppUser.email) == email.lower(), AppUser.id != (user_id or -1)
            )
        ):
            errors["email"] = "Another account has this email address."
    if password is not None and (message := check_new_password(password)):
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
) -> AppUser:
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
    session.flush()
    audit.record(session, actor, "user_created", "app_user", user.id, f"role {role}")
    session.commit()
    return user


def _get(session: Session, user_id: int) -> AppUser:
    user = session.get(AppUser, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"No dashboard user with id {user_id}.")
    return user


def _other_active_administrators(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AppUser)
            .where(AppUser.role == Role.ADMINISTRATOR, AppUser.active, AppUser.id != user_id)
        )
        or 0
    )


def _keep_an_administrator(session: Session, user: AppUser) -> None:
    if user.role == Role.ADMINISTRATOR and user.active:
        if _other_active_administrators(session, user.id) == 0:
            raise RegistryError(
                f"{user.username} is the last active administrator; "
                "make another administrator first."
            )


def change_role(session: Session, actor: Actor, user_id: int, role: str) -> AppUser:
    require(actor, Permission.MANAGE_USERS)
    if role not in Role.__members__.values():
        raise ValidationError({"role": "Choose a role."})
    user = _get(session, user_id)
    if role != user.role:
        _keep_an_administrator(session, user)
        audit.record(
            session, actor, "user_role_changed", "app_user", user.id, f"{user.role} -> {role}"
        )
        user.role = role
    session.commit()
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> AppUser:
    require(actor, Permission.MANAGE_USERS)
    user = _get(session, user_id)
    if user.active and not active:
        _keep_an_administrator(session, user)
    if user.active != active:
        user.active = active
        audit.record(
            session, actor, "user_activated" if active else "user_deactivated", "app_user", user.id
        )
    session.commit()
    return user


def reset_password(session: Session, actor: Actor, user_id: int, password: str) -> AppUser:
    """Set a new password; it also lifts a lock-out."""
    require(actor, Permission.MANAGE_USERS)
    if message := check_new_password(password):
        raise ValidationError({"password": message})
    user = _get(session, user_id)
    user.password_hash = hash_password(password)
    user.failed_sign_ins, user.locked_until = 0, None
    audit.record(session, actor, "user_password_reset", "app_user", user.id)
    session.commit()
    return user
