"""Who may do what: roles' permissions, the acting user, and the checks every domain function
makes before it reads personal data in bulk or writes anything.

"Access to information requires adequate rights" (the notice). Every domain function that
reads personal data in bulk or writes anything takes the acting user and calls `require`,
so a page bug cannot leak or change data. Passwords and sign-in are in `registry.auth`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from registry.errors import PermissionDenied
from registry.models import AppUser
from registry.vocabulary import Role


class Permission(StrEnum):
    """What a role may do; the value completes the sentence "may not ..."."""

    VIEW_OVERVIEW = "view the overview"
    VIEW_NOTICE = "view the registry notice"
    VIEW_SEGMENTS = "view marketing segments"
    MANAGE_SEGMENTS = "save or delete segments"
    EXPORT_TARGET_LIST = "export target lists"
    VIEW_CONSENT = "view consent status"
    RECORD_CONSENT = "record consent events"
    # Art. 21(3): a grant after the person objected to direct marketing.
    GRANT_AFTER_OBJECTION = "record a new grant after an objection"
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
    IMPORT_DATA = "import data from the registry's sources"
    VIEW_RETENTION = "view what the retention schedule has due"
    APPLY_RETENTION = "apply the retention schedule"


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
            Permission.GRANT_AFTER_OBJECTION,
            Permission.VIEW_PERSON,
            Permission.AMEND_PERSON,
            Permission.HANDLE_REQUESTS,
            Permission.GENERATE_ACCESS_REPORT,
            Permission.VIEW_DISCLOSURES,
            Permission.RECORD_DISCLOSURE,
            Permission.MANAGE_RECIPIENTS,
            Permission.MANAGE_BREACHES,
            Permission.VIEW_AUDIT,
            Permission.IMPORT_DATA,
            Permission.VIEW_RETENTION,
            Permission.APPLY_RETENTION,
        }
    ),
    Role.ADMINISTRATOR: frozenset(
        OPEN_TO_ALL_ROLES
        | {
            Permission.MANAGE_USERS,
            Permission.VIEW_AUDIT,
            Permission.MANAGE_BACKUPS,
            Permission.IMPORT_DATA,
            Permission.VIEW_RETENTION,
            Permission.APPLY_RETENTION,
        }
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
