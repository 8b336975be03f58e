"""A real-browser tour: every page of every role opens without an exception.

The SQLite run's screenshots are the ones the README shows (see tests/browser.py for where
they go, and the README for refreshing docs/screenshots/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.data.accounts import DEMO_ACCOUNTS
from navigation import PAGES
from registry.permissions import ROLE_PERMISSIONS
from registry.vocabulary import Role
from tests.browser import screenshot, sign_in, wait_idle


def slug(path: str) -> str:
    return Path(path).stem


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=[a[0] for a in DEMO_ACCOUNTS])
def test_every_page_of_every_role_opens(account, live_app, page, backend):
    username, _name, role, password = account
    sign_in(page, live_app, username, password)
    links = page.get_by_test_id("stSidebarNavLink")
    links.first.wait_for()
    expected = [s for s in PAGES if s.permission in ROLE_PERMISSIONS[Role(role)]]
    assert links.count() == len(expected)
    for spec in expected:
        links.filter(has_text=spec.title).first.click()
        wait_idle(page)
        page.get_by_role("heading", name=spec.title).first.wait_for()
        exceptions = page.get_by_test_id("stException")
        assert exceptions.count() == 0, f"{spec.path} as {role}: {exceptions.first.inner_text()}"
        assert page.get_by_text("Traceback").count() == 0
        screenshot(page, backend, f"{role}-{slug(spec.path)}")
