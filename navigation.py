"""Which pages exist, in which section, and which permission each needs.

dashboard.py hands st.navigation only the pages the signed-in role may use.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from registry.permissions import Actor, Permission


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    section: str
    permission: Permission


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "pages/overview.py",
        "Overview",
        ":material/dashboard:",
        "Registry",
        Permission.VIEW_OVERVIEW,
    ),
    PageSpec(
        "pages/notice.py",
        "Registry notice",
        ":material/policy:",
        "Registry",
        Permission.VIEW_NOTICE,
    ),
    PageSpec(
        "pages/segments.py", "Segments", ":material/groups:", "Marketing", Permission.VIEW_SEGMENTS
    ),
    PageSpec(
        "pages/consent.py", "Consent", ":material/how_to_reg:", "Marketing", Permission.VIEW_CONSENT
    ),
    PageSpec(
        "pages/requests.py",
        "Requests",
        ":material/inbox:",
        "Compliance",
        Permission.HANDLE_REQUESTS,
    ),
    PageSpec(
        "pages/persons.py",
        "Persons",
        ":material/person_search:",
        "Compliance",
        Permission.VIEW_PERSON,
    ),
    PageSpec(
        "pages/disclosures.py",
        "Disclosures",
        ":material/share:",
        "Compliance",
        Permission.VIEW_DISCLOSURES,
    ),
    PageSpec(
        "pages/recipients.py",
        "Recipients",
        ":material/domain:",
        "Compliance",
        Permission.MANAGE_RECIPIENTS,
    ),
    PageSpec(
        "pages/breaches.py",
        "Breaches",
        ":material/gpp_bad:",
        "Compliance",
        Permission.MANAGE_BREACHES,
    ),
    PageSpec(
        "pages/retention.py",
        "Retention",
        ":material/auto_delete:",
        "Compliance",
        Permission.VIEW_RETENTION,
    ),
    PageSpec(
        "pages/imports.py",
        "Import",
        ":material/upload_file:",
        "Administration",
        Permission.IMPORT_DATA,
    ),
    PageSpec(
        "pages/audit.py",
        "Audit trail",
        ":material/history:",
        "Administration",
        Permission.VIEW_AUDIT,
    ),
    PageSpec(
        "pages/administration.py",
        "Users",
        ":material/admin_panel_settings:",
        "Administration",
        Permission.MANAGE_USERS,
    ),
    PageSpec(
        "pages/backups.py",
        "Backups",
        ":material/backup:",
        "Administration",
        Permission.MANAGE_BACKUPS,
    ),
)


def pages_for(actor: Actor) -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        if actor.may(spec.permission):
            sections.setdefault(spec.section, []).append(
                st.Page(spec.path, title=spec.title, icon=spec.icon)
            )
    return sections
