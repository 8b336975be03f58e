"""The app shell: navigation by role, the Overview page, and a database that cannot be reached."""

import pytest

from navigation import PAGES
from registry.permissions import ROLE_PERMISSIONS
from registry.vocabulary import Role


def test_overview_renders_for_every_role(database_url, actors, app_test):
    for role, actor in actors.items():
        at = app_test(database_url, actor, "pages/overview.py")
        assert not at.exception, at.exception
        assert at.title[0].value == "Overview"
        labels = [m.label for m in at.metric]
        assert "Persons in the registry" in labels
        assert "Overdue requests" in labels, role


@pytest.mark.parametrize("role", list(Role))
def test_each_page_shows_only_to_its_roles(role, database_url, actors, app_test):
    actor = actors[role]
    for spec in PAGES:
        if spec.permission in ROLE_PERMISSIONS[role]:
            at = app_test(database_url, actor, spec.path)
            assert not at.exception, (spec.path, at.exception)
            assert at.title and at.title[0].value == spec.title, spec.path
        else:
            # The page is not in this role's navigation, so it cannot be reached at all.
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                app_test(database_url, actor, spec.path)


def test_signed_out_user_sees_only_the_sign_in_form(database_url, app_test):
    at = app_test(database_url, None)
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.metric


def test_unreachable_database_is_explained_not_traced(app_test):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/registry"
    at = app_test(url, None)
    assert not at.exception
    assert at.title[0].value == "The registry database is not available"
    message = at.error[0].value
    assert "Cannot reach the registry database" in message
    assert "127.0.0.1:1" in message and "What to check" in message
