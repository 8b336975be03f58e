"""Browser journey on a real server and Chromium, on SQLite and PostgreSQL: build a segment,
save it, check its export and download the CSV, which is recorded as a disclosure."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from registry import db
from registry.models import DisclosedPerson, Disclosure, Segment
from tests.browser import LiveApp, screenshot, sign_in, wait_idle
from tests.factories import csv_rows


@pytest.fixture(scope="module")
def segments_app(
    seeded_copy: Callable[[], str], live_app_factory: Callable[..., LiveApp]
) -> Iterator[LiveApp]:
    """A server on a seeded database of its own: this journey saves and exports."""
    with live_app_factory(seeded_copy()) as app:
        yield app


def shoot(page, backend: str, state: str) -> None:  # type: ignore[no-untyped-def]
    screenshot(page, backend, f"segments-{state}")


def choose(page, key: str, option: str, several: bool = False) -> None:  # type: ignore[no-untyped-def]
    page.locator(f".st-key-{key}").get_by_role("combobox").click()
    page.get_by_role("option", name=option, exact=True).click()
    if several:  # a multiselect's list stays open for more
        page.keyboard.press("Escape")


def test_build_save_and_download_a_segments_export(segments_app, backend, page, tmp_path):
    sign_in(page, segments_app, "marketing", "marketing-demo-2026")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Segments").click()
    wait_idle(page)
    page.get_by_role("heading", name="Segments").wait_for()
    shoot(page, backend, "members")
    page.get_by_role("tab", name="Composition").click()
    wait_idle(page)
    shoot(page, backend, "composition")

    page.get_by_role("tab", name="Builder").click()
    wait_idle(page)
    choose(page, "segments_builder_relationship_0", "Marketing opt-in", several=True)
    choose(page, "segments_builder_area_0", "Finland", several=True)
    page.get_by_role("button", name="Count").click()
    wait_idle(page)
    sentence = "Persons whose relationship is marketing opt-in, and whose area is Finland."
    page.get_by_text(sentence).first.wait_for()
    page.locator(".st-key-segments_save_name_0 input").fill("Finnish opt-ins")
    page.locator(".st-key-segments_save_description_0 textarea").fill("For the newsletter.")
    page.get_by_role("button", name="Save as a new segment").click()
    wait_idle(page)
    page.get_by_text("Saved the segment Finnish opt-ins.").wait_for()
    shoot(page, backend, "builder-saved")

    page.get_by_role("tab", name="Export").click()
    wait_idle(page)
    choose(
        page,
        "segments_export_recipient",
        "Emerald Mailworks Ltd (Newsletter delivery, IE)",
    )
    page.locator(".st-key-segments_export_purpose input").fill("Newsletter, December")
    page.get_by_role("button", name="Check the list").click()
    wait_idle(page)
    summary = page.get_by_text(re.compile(r"persons matching the segment go on the newsletter"))
    summary.wait_for()
    exported = int(re.search(r"^([\d,]+) of", summary.inner_text()).group(1).replace(",", ""))
    assert exported > 0
    shoot(page, backend, "export-checked")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the list (CSV)").click()
    path = Path(tmp_path / "list.csv")
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith("finnish-opt-ins-newsletter-")
    rows = csv_rows(path.read_bytes())
    assert len(rows) == exported and all(r["email"] for r in rows)

    engine = db.make_engine(segments_app.database_url)
    with db.make_sessionmaker(engine)() as s:
        segment = s.scalars(select(Segment).where(Segment.name == "Finnish opt-ins")).one()
        disclosure = s.scalars(select(Disclosure).where(Disclosure.segment_id == segment.id)).one()
        persons = s.scalars(
            select(DisclosedPerson.person_id).where(DisclosedPerson.disclosure_id == disclosure.id)
        ).all()
        assert disclosure.purpose == "Newsletter, December" and len(persons) == exported
    engine.dispose()

    page.get_by_role("tab", name="Members").click()  # and back: the latest export is listed
    wait_idle(page)
    page.get_by_role("tab", name="Export").click()
    wait_idle(page)
    page.get_by_text("Your latest exports").wait_for()
    shoot(page, backend, "export-recorded")
