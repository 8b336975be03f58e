"""Browser journeys of the daily flow on a real server and Chromium, on SQLite and PostgreSQL:
a bookmarked deep link as the first request after a server start, a reload that stays signed
in, two tabs, a sign-out that ends both; two
member searches and sorts in a row; a target list downloaded twice, read back as Finnish
Excel reads it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from registry import db
from registry.models import DataSubjectRequest, Disclosure
from registry.segments import member_list
from registry.vocabulary import Role
from tests.browser import LiveApp, sign_in, visible, wait_idle
from tests.conftest import demo_actor
from tests.factories import csv_rows

COMPLIANCE = ("compliance", "compliance-demo-2026")
MARKETING = ("marketing", "marketing-demo-2026")
PAGE_FILES = ("dashboard", "administration", "audit", "backups", "requests", "segments")


def fill_sign_in(page, account: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Username").fill(account[0])
    page.get_by_label("Password", exact=True).fill(account[1])
    page.get_by_role("button", name="Sign in").click()
    wait_idle(page)


def sidebar_links(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.strip().lower() for t in page.get_by_test_id("stSidebarNav").all_inner_texts()]


def test_a_deep_link_first_after_a_server_start_signs_in_and_returns_there(
    seeded_url, live_app_factory, backend, page
):
    engine = db.make_engine(seeded_url)
    with db.make_sessionmaker(engine)() as s:
        request_id = s.scalar(select(func.min(DataSubjectRequest.id)))
    engine.dispose()
    # A server of its own: the link must be the first page request it ever serves.
    with live_app_factory(seeded_url) as app:
        page.goto(f"{app.base_url}/requests?request={request_id}")
        wait_idle(page)
        page.get_by_label("Username").wait_for()
        text = page.locator("body").inner_text()
        assert "Page not found" not in text and "You are not signed in" not in text
        # Never the pages/ folder's automatic navigation with its raw file names.
        assert page.get_by_test_id("stSidebarNav").count() == 0
        fill_sign_in(page, COMPLIANCE)
        page.get_by_role("heading", name="Requests").wait_for()
        page.get_by_text(re.compile(rf"Request #{request_id} ·")).first.wait_for()
        assert re.search(rf"/requests\?request={request_id}$", page.url)
        assert not any(name in sidebar_links(page) for name in PAGE_FILES)

        # A reload starts a new Streamlit session: the sign-in session's cookie signs it in
        # again, on the same address, with no password asked.
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["registry_session"]["sameSite"] == "Strict"
        page.reload()
        wait_idle(page)
        page.get_by_text(re.compile(rf"Request #{request_id} ·")).first.wait_for()
        assert page.get_by_label("Username").count() == 0

        # A second tab of the same user, side by side with the first, signed in already.
        other = page.context.new_page()
        other.goto(f"{app.base_url}/persons")
        wait_idle(other)
        other.get_by_role("heading", name="Persons").wait_for()
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Disclosures").click()
        wait_idle(page)
        page.get_by_role("heading", name="Disclosures").wait_for()
        other.get_by_role("heading", name="Persons").wait_for()

        # Signing out ends the session on the server and clears the cookie: a reload, in
        # either tab, asks for the password again.
        page.get_by_role("button", name="Sign out").click()
        wait_idle(page)
        page.get_by_label("Username").wait_for()
        assert "registry_session" not in {c["name"] for c in page.context.cookies()}
        other.reload()
        wait_idle(other)
        other.get_by_label("Username").wait_for()
        assert "Traceback" not in app.log_text()


@pytest.fixture(scope="module")
def daily_app(
    seeded_copy: Callable[[], str], live_app_factory: Callable[..., LiveApp]
) -> Iterator[LiveApp]:
    """A server on a seeded database of its own: the export journey records disclosures."""
    with live_app_factory(seeded_copy()) as app:
        yield app


def column(page, index: int) -> list[str]:  # type: ignore[no-untyped-def]
    """A column of the members grid as shown (the grid draws on a canvas; its accessible
    table holds the rows on screen)."""
    cells = visible(page.get_by_test_id("stDataFrame")).locator(f'td[aria-colindex="{index}"]')
    cells.first.wait_for(state="attached")
    return cells.all_inner_texts()


def expected(url: str, **query: object) -> tuple[int, str]:
    """The domain's total and first member's city for a search and order of Everyone."""
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        found = member_list.members(s, demo_actor(s, Role.MARKETING), [], limit=1, **query)
    engine.dispose()
    return found.total, found.members[0].city or ""


def test_two_member_searches_and_sorts_in_a_row_each_take_effect(daily_app, page):
    sign_in(page, daily_app, *MARKETING)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Segments").click()
    wait_idle(page)
    search = page.locator(".st-key-segments_members_search input")
    totals: dict[str, int] = {}
    for city in ("Vantaa", "Espoo", "Vantaa"):  # the bug ignored every second search
        search.fill(city)
        search.press("Enter")
        wait_idle(page)
        total, _ = expected(daily_app.database_url, search=city)
        visible(page.get_by_text(re.compile(rf" of {total:,} members$"))).wait_for()
        totals[city] = total
        assert city in column(page, 4)
    assert totals["Vantaa"] != totals["Espoo"]  # so each total shown names its own search
    search.fill("")
    for sort, label in (("city", "City"), ("organisation", "Organisation"), ("city", "City")):
        page.locator(".st-key-segments_members_sort").get_by_role("combobox").click()
        page.get_by_role("option", name=label, exact=True).click()
        page.get_by_role("button", name="Show", exact=True).click()
        wait_idle(page)
        total, first_city = expected(daily_app.database_url, sort=sort)
        visible(page.get_by_text(re.compile(rf" of {total:,} members$"))).wait_for()
        assert column(page, 4)[0] == first_city, (sort, column(page, 4)[:3])


def test_a_list_downloaded_twice_opens_in_finnish_excel_and_is_one_disclosure(
    daily_app, page, tmp_path
):
    engine = db.make_engine(daily_app.database_url)
    sessions = db.make_sessionmaker(engine)

    def disclosures() -> int:
        with sessions() as s:
            return s.scalar(select(func.count()).select_from(Disclosure)) or 0

    sign_in(page, daily_app, *MARKETING)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Segments").click()
    wait_idle(page)
    page.get_by_role("tab", name="Export").click()
    wait_idle(page)
    visible(page.get_by_text("Exporting the segment")).wait_for()
    page.locator(".st-key-segments_export_recipient").get_by_role("combobox").click()
    page.get_by_role("option", name="Emerald Mailworks Ltd (Newsletter delivery, IE)").click()
    page.locator(".st-key-segments_export_purpose input").fill("Newsletter, December")
    page.get_by_role("button", name="Check the list").click()
    wait_idle(page)
    before = disclosures()
    files = []
    for attempt in range(2):
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the list (CSV)").click()
        path = tmp_path / f"list-{attempt}.csv"
        download.value.save_as(path)
        files.append(path.read_bytes())
    assert files[0] == files[1]
    assert disclosures() == before + 1  # two downloads of one prepared list: one disclosure
    raw = files[0]
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.split(b"\r\n")[0] == b"\xef\xbb\xbffirst_name;last_name;email;organisation"
    rows = csv_rows(raw)
    assert rows and all(r["email"] for r in rows)
    names = "".join(r["first_name"] + r["last_name"] for r in rows)
    assert re.search("[äöåÄÖÅ]", names)  # the demo's Finnish names arrive intact
    engine.dispose()
