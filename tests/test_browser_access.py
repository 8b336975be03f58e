"""Browser journeys on a real server (Playwright and Debian's Chromium).

Each demo account sees exactly its role's pages in the navigation; a page of another role
cannot be reached by URL (its title never renders); wrong passwords pause a username, never
lock it, with the one answer every refused sign-in gets; the Users and Audit trail pages work
end to end, hostile text stays text, and the audit CSV download is itself audited.

The navigation checks use the shared read-only `live_app`; the journeys that write run on
a server of their own. Screenshots of the SQLite run: see tests/browser.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from demo.data.accounts import DEMO_ACCOUNTS
from navigation import PAGES
from registry import auth, db, settings, throttle
from registry.models import AppUser, AuditEvent, SignInThrottle, utcnow
from registry.permissions import ROLE_PERMISSIONS
from registry.vocabulary import Role
from tests.browser import LiveApp, screenshot, sign_in, wait_idle
from tests.factories import csv_rows

ACCOUNTS = {Role(role): (name, password) for name, _, role, password in DEMO_ACCOUNTS}
NAV_LINK = '[data-testid="stSidebarNavLink"]'
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_LINK = '<a href="https://example.org/">click</a>'

# Every h1 the page ever renders, so a title that flashes for a moment is caught too.
RECORD_TITLES = """
window.__titles = [];
new MutationObserver(() => {
  for (const h of document.querySelectorAll('h1')) window.__titles.push(h.innerText);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def role_titles(role: Role) -> list[str]:
    return [p.title for p in PAGES if p.permission in ROLE_PERMISSIONS[role]]


def page_path(title: str) -> str:
    """The URL path Streamlit gives a page: its file name."""
    [spec] = [p for p in PAGES if p.title == title]
    return spec.path.removeprefix("pages/").removesuffix(".py")


def nav_titles(page) -> list[str]:  # type: ignore[no-untyped-def]
    # Each link's text is the icon's ligature name, then the title.
    return [text.split("\n")[-1] for text in page.locator(NAV_LINK).all_inner_texts()]


def signed_in(page, app: LiveApp, role: Role) -> None:  # type: ignore[no-untyped-def]
    username, password = ACCOUNTS[role]
    sign_in(page, app, username, password)
    page.locator(NAV_LINK).first.wait_for()
    wait_idle(page)


def open_by_url(page, path: str) -> None:  # type: ignore[no-untyped-def]
    """Go to a URL inside the running session, as the browser's back and forward do.

    (A fresh page load starts a new, signed-out session, which proves nothing.)
    """
    page.evaluate(
        "path => { history.pushState({}, '', path);"
        " window.dispatchEvent(new PopStateEvent('popstate')); }",
        path,
    )
    page.wait_for_timeout(1_000)
    wait_idle(page)


def titles_seen(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate("window.__titles")


def shoot(page, backend: str, name: str) -> None:  # type: ignore[no-untyped-def]
    screenshot(page, backend, name)


# --- navigation and URLs, on the shared seeded server ---


@pytest.mark.parametrize("role", list(Role))
def test_navigation_lists_exactly_the_roles_pages(role, live_app, page):
    signed_in(page, live_app, role)
    assert nav_titles(page) == role_titles(role)
    [display_name] = [a[1] for a in DEMO_ACCOUNTS if a[0] == ACCOUNTS[role][0]]
    sidebar = page.get_by_test_id("stSidebar").inner_text()
    assert display_name in sidebar and role.capitalize() in sidebar


FOREIGN_PAGES = [
    (Role.MARKETING, "Requests"),
    (Role.MARKETING, "Users"),
    (Role.MARKETING, "Audit trail"),
    (Role.COMPLIANCE, "Users"),
    (Role.COMPLIANCE, "Segments"),
    (Role.COMPLIANCE, "Backups"),
    (Role.ADMINISTRATOR, "Persons"),
    (Role.ADMINISTRATOR, "Consent"),
]


@pytest.mark.parametrize(("role", "title"), FOREIGN_PAGES)
def test_a_page_of_another_role_is_refused_by_url(role, title, live_app, page):
    assert title not in role_titles(role)
    page.add_init_script(RECORD_TITLES)
    signed_in(page, live_app, role)
    open_by_url(page, f"/{page_path(title)}")
    assert page.locator("h1").first.inner_text() == "Overview"
    assert title not in titles_seen(page)
    assert title not in nav_titles(page)


@pytest.mark.parametrize(
    ("role", "title"),
    [
        (Role.MARKETING, "Segments"),
        (Role.COMPLIANCE, "Requests"),
        (Role.COMPLIANCE, "Audit trail"),
        (Role.ADMINISTRATOR, "Users"),
    ],
)
def test_a_page_of_the_role_is_reached_by_url(role, title, live_app, page):
    """The control for the test above: the same way in does reach a page of the role."""
    signed_in(page, live_app, role)
    open_by_url(page, f"/{page_path(title)}")
    page.get_by_role("heading", name=title, level=1).wait_for()


def assert_no_page_shown(page, title: str) -> None:  # type: ignore[no-untyped-def]
    assert title not in titles_seen(page)
    assert page.get_by_test_id("stDataFrame").count() == 0
    assert page.get_by_test_id("stMetric").count() == 0


def test_a_signed_out_visitor_sees_no_page(live_app, page):
    page.add_init_script(RECORD_TITLES)
    for title in ("Users", "Audit trail", "Requests"):
        page.goto(f"{live_app.base_url}/{page_path(title)}")
        wait_idle(page)
        assert_no_page_shown(page, title)


def test_a_deep_link_as_the_first_request_of_a_server_shows_no_page(
    seeded_url, live_app_factory, page
):
    """Before any session has run dashboard.py, Streamlit still treats pages/ as the old
    pages directory and runs the linked page script by itself; the page's own role check
    must then stop it."""
    with live_app_factory(seeded_url) as app:
        page.add_init_script(RECORD_TITLES)
        page.goto(f"{app.base_url}/{page_path('Users')}")
        wait_idle(page)
        page.get_by_text("You are not signed in.").or_(page.get_by_label("Username")).wait_for()
        assert_no_page_shown(page, "Users")


# --- journeys that write, on a server of their own ---


@pytest.fixture(scope="module")
def own_app(seeded_copy, live_app_factory) -> Iterator[LiveApp]:  # type: ignore[no-untyped-def]
    with live_app_factory(seeded_copy()) as app:
        yield app


@pytest.fixture
def own_db(own_app) -> Iterator[object]:  # type: ignore[no-untyped-def]
    engine = db.make_engine(own_app.database_url)
    with db.make_sessionmaker(engine)() as s:
        yield s
    engine.dispose()


def submit_sign_in(page, username: str, password: str) -> str:  # type: ignore[no-untyped-def]
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_idle(page)
    # The alert's text starts with its icon's ligature name.
    return page.get_by_test_id("stAlert").last.inner_text().split("\n")[-1]


def test_wrong_passwords_pause_the_username_with_one_answer(own_app, own_db, page, backend):
    username, password = ACCOUNTS[Role.MARKETING]
    page.goto(own_app.base_url)
    wait_idle(page)
    shoot(page, backend, "sign-in")
    for _ in range(settings.SIGN_IN_USERNAME_FREE_FAILURES + 1):
        assert submit_sign_in(page, username, "not-the-password") == auth.REFUSED
    row = own_db.get(SignInThrottle, (throttle.USERNAME, username))
    assert row is not None and row.wait_until is not None
    # Held back for as long as the wait lasts (made longer here than a slow browser takes):
    # even the right password gets the one answer, which says nothing about the account.
    row.wait_until = utcnow() + dt.timedelta(minutes=10)
    own_db.commit()
    assert submit_sign_in(page, username, password) == auth.REFUSED
    assert not page.locator(NAV_LINK).count()
    shoot(page, backend, "sign-in-paused")
    details = own_db.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.action == "sign_in_failed", AuditEvent.actor_name == username)
        .order_by(AuditEvent.id)
    ).all()
    assert details[-2] == "wrong password"
    assert details[-1].startswith("refused unchecked: too many failed attempts for this username")
    # Once the wait is over the right password signs in: nothing was locked.
    row.wait_until = utcnow() - dt.timedelta(seconds=1)
    own_db.commit()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_idle(page)
    assert page.locator(NAV_LINK).count()


def choose(page, box, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick an option of a select box; a rerun that lands mid-click closes the list."""
    for _ in range(3):
        wait_idle(page)
        box.click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(timeout=5_000)
        except PlaywrightTimeout:
            continue
        choice.click()
        wait_idle(page)
        return
    pytest.fail(f"the option {option!r} never appeared")


def select_option(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    choose(page, page.get_by_label(label, exact=True), option)


def test_users_page_journey(own_app, own_db, browser, page, backend):
    signed_in(page, own_app, Role.ADMINISTRATOR)
    page.locator(NAV_LINK).filter(has_text="Users").click()
    page.get_by_role("heading", name="Users", level=1).wait_for()
    wait_idle(page)
    shoot(page, backend, "users-list")
    assert "$argon2" not in page.content()

    form = page.get_by_test_id("stForm").first
    form.get_by_role("textbox", name="Username", exact=True).fill("Bad Name")
    form.get_by_role("textbox", name="Initial password", exact=True).fill("short")
    form.get_by_role("button", name="Create account").click()
    wait_idle(page)
    page.get_by_text("Use at least 12 characters.").wait_for()
    wait_idle(page)
    assert form.get_by_role("textbox", name="Username", exact=True).input_value() == "Bad Name"
    shoot(page, backend, "users-create-errors")

    form.get_by_role("textbox", name="Username", exact=True).fill("hostile-name")
    form.get_by_role("textbox", name="Name", exact=True).fill(HOSTILE_NAME)
    choose(page, form.get_by_label("Role", exact=True), "Marketing")
    form.get_by_role("textbox", name="Initial password", exact=True).fill("a-long-enough-password")
    form.get_by_role("button", name="Create account").click()
    wait_idle(page)
    page.get_by_text("Created the account hostile-name (Marketing).").wait_for()
    shoot(page, backend, "users-created")
    stored = own_db.scalars(select(AppUser).where(AppUser.username == "hostile-name")).one()
    assert stored.display_name == HOSTILE_NAME

    # The only administrator cannot demote herself.
    [admin_row] = [a for a in DEMO_ACCOUNTS if a[2] == Role.ADMINISTRATOR]
    select_option(page, "Account", f"{admin_row[0]} · {admin_row[1]}")
    wait_idle(page)
    role_form = page.get_by_test_id("stForm").nth(1)
    choose(page, role_form.get_by_label("Role", exact=True), "Compliance")
    role_form.get_by_role("button", name="Change role").click()
    wait_idle(page)
    page.get_by_text("is the last active administrator").wait_for()
    shoot(page, backend, "users-last-administrator")
    own_db.expire_all()
    admin = own_db.scalars(select(AppUser).where(AppUser.username == admin_row[0])).one()
    assert admin.role == Role.ADMINISTRATOR

    # The hostile display name is shown as text when its owner signs in; no script runs.
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    dialogs: list[str] = []
    other.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(other, own_app, "hostile-name", "a-long-enough-password")
    other.locator(NAV_LINK).first.wait_for()
    wait_idle(other)
    assert HOSTILE_NAME in other.get_by_test_id("stSidebar").inner_text()
    assert not dialogs
    other.context.close()


def test_audit_trail_journey(own_app, own_db, page, backend):
    # A failed sign-in with hostile text, so the trail has something to show as text.
    page.goto(own_app.base_url)
    wait_idle(page)
    submit_sign_in(page, HOSTILE_NAME, "whatever")
    submit_sign_in(page, HOSTILE_LINK, "whatever")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    signed_in(page, own_app, Role.COMPLIANCE)
    page.locator(NAV_LINK).filter(has_text="Audit trail").click()
    page.get_by_role("heading", name="Audit trail", level=1).wait_for()
    wait_idle(page)
    page.get_by_text("Actions per day by user").wait_for()
    shoot(page, backend, "audit-trail")
    # The chart's legend and the table show the typed names as text, never as markup.
    assert page.locator('a[href^="https://example.org"]').count() == 0
    assert page.get_by_test_id("stPlotlyChart").get_by_text(HOSTILE_LINK).count() == 1

    select_option(page, "Action", "Sign-in failed")
    page.get_by_role("button", name="Apply").click()
    wait_idle(page)
    page.get_by_text("where action = 'Sign-in failed'").wait_for()
    shoot(page, backend, "audit-trail-filtered")
    assert not dialogs

    with page.expect_download() as download:
        page.get_by_role("button", name="as CSV").click()
    rows = csv_rows(download.value.path().read_bytes())
    assert rows and {r["action"] for r in rows} == {"sign_in_failed"}
    assert HOSTILE_NAME in {r["user"] for r in rows}
    username = ACCOUNTS[Role.COMPLIANCE][0]
    exports = own_db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "audit_exported", AuditEvent.actor_name == username
        )
    ).all()
    assert len(exports) == 1
    assert exports[0].detail.startswith(f"{len(rows)} events as CSV; events from ")
