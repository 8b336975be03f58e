"""Registry text is shown as text: a name made of Markdown renders as the characters typed,
never as an image fetched from elsewhere, a link or bold text, on any page of any role."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from registry import audit
from registry.models import AppUser, Backup, utcnow
from registry.requests.queue import QueueFilter
from registry.vocabulary import Role
from tests import factories
from views.consent import common as consent_common
from views.consent.common import PERSON_KEY
from views.persons import common as persons_common
from views.requests.common import FILTER

HOSTILE = "![b](http://host/x.png) [Click me](http://host/phish) **bold**"
# What would survive in the Markdown source if the text were not escaped.
MARKUP = ("![b]", "](http://host", "**bold**")


def shown_markdown(at) -> list[str]:  # type: ignore[no-untyped-def]
    """Every piece of the page that Streamlit renders as Markdown, with its source."""
    texts: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "toast"):
        texts += [str(e.value) for e in getattr(at, kind)]
    for kind in ("title", "header", "subheader"):
        texts += [str(e.value) for e in getattr(at, kind)]
    texts += [m.label for m in at.metric]
    texts += [e.label for e in at.expander]
    texts += [b.label for b in at.button]
    texts += [t.label for t in at.tabs]
    return texts


def assert_shown_as_text(at, where: str) -> None:  # type: ignore[no-untyped-def]
    assert not at.exception, at.exception
    texts = shown_markdown(at)
    leaked = [t for t in texts if any(m in t for m in MARKUP)]
    assert not leaked, f"{where}: Markdown from data rendered: {leaked}"


@pytest.fixture
def hostile(session, actors):  # type: ignore[no-untyped-def]
    """A registry with the hostile text in every kind of name the pages show."""
    compliance = actors[Role.COMPLIANCE]
    # A third-country recipient without a valid basis: listed on Overview and Recipients.
    recipient = factories.recipient(
        session, HOSTILE, country="US", transfer_mechanism="privacy_shield"
    )
    person = factories.person(session, HOSTILE, HOSTILE, email="aino@example.fi")
    factories.disclosure(session, compliance, recipient.id, [person.id], note=HOSTILE)
    # A username typed at sign-in (no such account) lands in the audit trail as typed.
    audit.record(session, None, "sign_in_failed", "app_user", None, "", actor_name=HOSTILE)
    session.execute(
        update(AppUser).where(AppUser.id == compliance.user_id).values(display_name=HOSTILE)
    )
    factories.request_row(
        session, requester_name=HOSTILE, person_id=person.id, assignee_id=compliance.user_id
    )
    # `backup --job NAME` records NAME as who made the backup.
    session.add(
        Backup(
            operation="backup",
            started_at=utcnow() - dt.timedelta(minutes=5),
            finished_at=utcnow(),
            actor_name=HOSTILE[:100],
            file_path=f"/tmp/{HOSTILE.replace('/', '_')}.db",
            size_bytes=1000,
            sha256="0" * 64,
            row_counts={"person": 1},
            result="succeeded",
            message="",
        )
    )
    session.commit()
    return person


@pytest.mark.parametrize("role", list(Role))
def test_overview_shows_hostile_names_as_text(role, database_url, actors, hostile, app_test):
    at = app_test(database_url, actors[role])
    assert_shown_as_text(at, f"Overview as {role}")


PAGES = [
    ("pages/recipients.py", Role.COMPLIANCE),
    ("pages/disclosures.py", Role.COMPLIANCE),
    ("pages/persons.py", Role.COMPLIANCE),
    ("pages/requests.py", Role.COMPLIANCE),
    ("pages/backups.py", Role.ADMINISTRATOR),
    ("pages/audit.py", Role.COMPLIANCE),
    ("pages/administration.py", Role.ADMINISTRATOR),
    ("pages/segments.py", Role.MARKETING),
]


@pytest.mark.parametrize(("page", "role"), PAGES)
def test_pages_show_hostile_names_as_text(page, role, database_url, actors, hostile, app_test):
    at = app_test(database_url, actors[role], page)
    assert_shown_as_text(at, page)


def test_consent_shows_a_hostile_person_as_text(database_url, actors, hostile, app_test):
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/consent.py")
    at.session_state[PERSON_KEY] = hostile.id
    at.session_state[consent_common.TAB_KEY] = "Find a person"
    at.run()
    assert_shown_as_text(at, "Consent")
    assert any("Click me" in t for t in shown_markdown(at)), "the person is not shown"


def test_persons_shows_a_hostile_person_as_text(database_url, actors, hostile, app_test):
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/persons.py")
    at.session_state[persons_common.SELECTED] = hostile.id
    for tab in persons_common.AMEND_TABS:
        at.session_state[persons_common.TAB] = tab
        at.run()
        assert_shown_as_text(at, f"Persons › {tab}")


def test_audit_caption_shows_a_typed_username_as_text(database_url, actors, hostile, app_test):
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/audit.py")
    at.selectbox(key="audit_user").select(HOSTILE)
    next(b for b in at.button if b.label == "Apply").click().run()
    assert_shown_as_text(at, "Audit filtered by the typed username")
    assert any("Click me" in c.value for c in at.caption)


def test_requests_caption_shows_an_assignee_as_text(database_url, actors, hostile, app_test):
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/requests.py")
    at.session_state[FILTER] = QueueFilter(assignee_id=actors[Role.COMPLIANCE].user_id)
    at.run()
    assert_shown_as_text(at, "Requests filtered by assignee")
    assert any("Click me" in c.value for c in at.caption)


def test_backups_shows_a_job_name_as_text(database_url, actors, hostile, app_test):
    at = app_test(database_url, actors[Role.ADMINISTRATOR], "pages/backups.py")
    assert_shown_as_text(at, "Backups")
    assert any("Click me" in c.value for c in at.caption)
