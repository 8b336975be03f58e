"""Which pages exist, in which section, and which permission each needs.

dashboard.py hands st.navigation only the pages the signed-in role may use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from registry.permissions import Actor, Permission


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    section: str
    permission: Permission

    @property
    def url_path(self) -> str:
        """The page's address, as st.Page derives it from the file name (/requests)."""
        return Path(self.path).stem


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


def signed_out_pages(sign_in: Callable[[], None]) -> list[st.Page]:
    """Signed out: the sign-in form, at its own address and at every page's address.

    A bookmarked or reloaded link (/requests?request=12) then shows the sign-in form rather
    than "Page not found", and the address stays; after sign-in the rerun resolves the same
    address to the real page (a page's identity is its address), query included.
    """
    held = [
        st.Page(sign_in, title=spec.title, url_path=spec.url_path, icon=spec.icon) for spec in PAGES
    ]
    return [st.Page(sign_in, title="Sign in", url_path="sign-in", default=True), *held]
