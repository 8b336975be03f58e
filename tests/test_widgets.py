"""The widgets pages share (views/widgets.py): the cached read, the pager, the person finder."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry import db, permissions
from registry.errors import PermissionDenied
from registry.models import Person
from registry.permissions import Actor, Permission
from registry.vocabulary import Role
from views import widgets

# The cached reads run in this process: each test starts with empty caches (conftest).
pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def signed_in(monkeypatch, database_url, actors):  # type: ignore[no-untyped-def]
    """The signed-in actor and the database, as widgets sees them in a page run."""
    current = {"actor": actors[Role.COMPLIANCE], "url": database_url}
    monkeypatch.setattr(widgets, "actor", lambda: current["actor"])
    monkeypatch.setattr(widgets, "database", lambda: db.DatabaseConfig(current["url"], "test"))
    return current


def counted_read(calls: list[tuple[Role, str, int]]):  # type: ignore[no-untyped-def]
    @widgets.cached_read(Permission.VIEW_AUDIT)
    def read(s: Session, actor: Actor, n: int) -> int:
        calls.append((actor.role, str(s.get_bind().url), n))
        return n * 2

    return read


def test_a_cached_read_is_keyed_by_database_role_and_arguments(
    signed_in, actors, backend, database_factory
):
    calls: list[tuple[Role, str, int]] = []
    read = counted_read(calls)
    assert (read(1), read(1)) == (2, 2)
    assert len(calls) == 1  # the second call was a hit
    read(2)
    assert len(calls) == 2  # other arguments, another entry
    signed_in["actor"] = actors[Role.ADMINISTRATOR]  # another role that may read the trail
    read(1)
    assert [c[0] for c in calls] == [Role.COMPLIANCE, Role.COMPLIANCE, Role.ADMINISTRATOR]
    signed_in["url"] = other = database_factory(backend)
    read(1)
    assert len(calls) == 4  # another database, another entry, read from that database
    assert calls[-1][1].rsplit("/", 1)[-1] == other.rsplit("/", 1)[-1]


def test_a_cached_read_is_read_again_once_the_data_version_moved(signed_in, monkeypatch):
    calls: list[tuple[Role, str, int]] = []
    read = counted_read(calls)
    monkeypatch.setitem(widgets.st.session_state, widgets.DATA_VERSION_KEY, 4)
    assert (read(1), read(1)) == (2, 2)
    assert len(calls) == 1
    # A write through any app server moved it: this run read the new version.
    monkeypatch.setitem(widgets.st.session_state, widgets.DATA_VERSION_KEY, 5)
    read(1)
    assert len(calls) == 2


def test_a_cached_read_runs_on_a_connection_that_refuses_writes(signed_in):
    @widgets.cached_read(Permission.VIEW_AUDIT)
    def sneaky(s: Session, actor: Actor) -> None:
        s.add(
            Person(
                first_name="Written",
                last_name="By a read",
                relationship="customer_contact",
                source="test",
            )
        )
        s.commit()

    with pytest.raises(DBAPIError):
        sneaky()


def test_a_cached_read_checks_the_permission_on_every_call(signed_in, actors, monkeypatch):
    calls: list[tuple[Role, str, int]] = []
    read = counted_read(calls)
    read(1)
    # The role loses the permission: the cached answer is there, and still refused.
    monkeypatch.setitem(
        permissions.ROLE_PERMISSIONS,
        Role.COMPLIANCE,
        permissions.ROLE_PERMISSIONS[Role.COMPLIANCE] - {Permission.VIEW_AUDIT},
    )
    with pytest.raises(PermissionDenied, match="may not view the audit trail"):
        read(1)
    signed_in["actor"] = actors[Role.MARKETING]
    with pytest.raises(PermissionDenied):
        read(1)
    assert len(calls) == 1


def test_a_cached_read_names_its_permission_and_keeps_the_reads_name():
    @widgets.cached_read(Permission.VIEW_AUDIT)
    def read(s: Session, actor: Actor, n: int) -> int:
        """One number."""
        return n

    assert (read.__name__, read.__doc__) == ("read", "One number.")
    with pytest.raises(TypeError, match="needs the permission"):
        widgets.cached_read()


def pager_script() -> None:
    # AppTest runs this function's body alone: it imports what it uses.
    import streamlit as st

    from views import widgets

    rows = list(range(st.session_state.get("test_rows", 120)))
    kind = st.session_state.get("test_kind", "all")
    kept = [r for r in rows if kind == "all" or r % 2 == 0]
    page = widgets.paged(
        "test_page",
        lambda limit, offset: (kept[offset : offset + limit], len(kept)),
        size=50,
        restart_on=kind,
    )
    widgets.pager("test_page", page, "rows")
    st.markdown(f"first row {page.rows[0] if page.rows else '-'}")


def caption(at) -> str:  # type: ignore[no-untyped-def]
    return " ".join(c.value for c in at.caption)


def test_the_pager_turns_clamps_and_restarts():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(pager_script).run()
    page = at.number_input(key="test_page")
    assert (page.value, page.min, page.max) == (1, 1, 3)
    assert caption(at) == "Page 1 of 3 · 1–50 of 120 rows"
    page.set_value(3).run()
    assert caption(at) == "Page 3 of 3 · 101–120 of 120 rows"
    assert at.markdown[0].value == "first row 100"
    # Rows gone since the page was chosen: the last page there is now.
    at.session_state["test_rows"] = 60
    at.run()
    assert caption(at) == "Page 2 of 2 · 51–60 of 60 rows"
    assert at.number_input(key="test_page").value == 2
    # Another filter starts again from page 1.
    at.session_state["test_kind"] = "even"
    at.run()
    assert caption(at) == "Page 1 of 1 · 1–30 of 30 rows"
    assert not at.number_input, "one page needs no page control"
    at.session_state["test_rows"] = 0
    at.run()
    assert caption(at) == "Page 1 of 1 · 0 rows"


@pytest.fixture
def namesakes(session: Session) -> None:
    """One more Virtanen than the finder lists."""
    from registry import settings

    session.add_all(
        Person(
            first_name=f"Aino{i:02}",
            last_name="Virtanen",
            email=f"aino{i:02}@example.fi",
            relationship="customer_contact",
            source="test",
            country="FI",
        )
        for i in range(settings.SEARCH_RESULTS + 1)
    )
    session.commit()


def test_the_person_finder_says_when_it_shows_only_the_first_matches(
    database_url, actors, namesakes, app_test
):
    from registry import settings

    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/persons.py")
    at.text_input(key="persons_search_text").input("virtanen").run()
    assert not at.exception, at.exception
    pick = at.selectbox(key="persons_pick")
    assert pick.label == f"{settings.SEARCH_RESULTS} matching persons"
    assert len(pick.options) == settings.SEARCH_RESULTS
    assert f"Showing the first {settings.SEARCH_RESULTS}: refine your search." in caption(at)
    at.text_input(key="persons_search_text").input("aino05").run()
    assert at.selectbox(key="persons_pick").label == "1 matching persons"
    assert "refine your search" not in caption(at)
    at.text_input(key="persons_search_text").input("nobody-like-this").run()
    assert next(i.value for i in at.info) == widgets.NO_MATCH
