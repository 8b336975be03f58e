"""Streamlit pieces shared by the pages: the database session, the signed-in user, errors.

Pages import this module; the domain (registry/) never does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from registry import db, settings
from registry.permissions import Actor, Permission

# Session-state keys of the sign-in, shared by dashboard.py and the tests.
USER_ID_KEY = "auth_user_id"
LAST_ACTIVITY_KEY = "auth_last_activity"
ACTOR_KEY = "auth_actor"


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return db.make_engine(url)


@st.cache_resource(show_spinner=False)
def _sessions(url: str) -> sessionmaker[Session]:
    return db.make_sessionmaker(_engine(url))


def database() -> db.DatabaseConfig:
    return db.database_config()


def engine() -> Engine:
    return _engine(database().url)


@contextmanager
def session() -> Iterator[Session]:
    """A database session for one page action; rolled back unless the domain committed."""
    with _sessions(database().url)() as s:
        yield s


def actor() -> Actor:
    """The signed-in user; dashboard.py has checked it before any page runs."""
    current = st.session_state.get(ACTOR_KEY)
    if current is None:
        st.error("You are not signed in.")
        st.stop()
    return current


def require_page(permission: Permission) -> Actor:
    """Stop the page unless the signed-in role may use it (navigation already hides it)."""
    current = actor()
    if not current.may(permission):
        st.error(f"The {current.role} role may not {permission}.")
        st.stop()
    return current


def field_error(errors: Mapping[str, str], field: str) -> None:
    """Show the message for one form field right below it, if there is one."""
    if message := errors.get(field):
        st.error(message, icon=":material/error:")


# Markdown, and Streamlit's own syntax (:emoji:, $math$, :red[...]), that registry text must
# not trigger: escaped, each character renders as itself.
_MARKDOWN_ESCAPES = str.maketrans({ch: "\\" + ch for ch in "\\`*_{}[]()#+-.!|<>~$:&"})
# Streamlit makes -- -> <- <= >= into dashes and arrows, and bare URLs and emails into links,
# escaped or not; an invisible word joiner (U+2060) between the characters keeps them as typed.
_JOINED = re.compile(r"(?<=[-<>])(?=[-<>=])|(?=@)|(?=://)|(?<=www)(?=\.)", re.IGNORECASE)


def plain(text: object) -> str:
    """Registry data (a name, a reason) for st.markdown: shown literally, never as markup."""
    joined = _JOINED.sub("\u2060", str(text))
    return joined.translate(_MARKDOWN_ESCAPES).replace("\n", "  \n")


def form_errors(key: str) -> dict[str, str]:
    """Field errors kept across the rerun that follows a failed form submit."""
    return st.session_state.setdefault(key, {})


def data_changed() -> None:
    """A write happened: drop cached query results so every page shows the new numbers."""
    st.cache_data.clear()


def cached(func: Any) -> Any:
    """The one cache policy for read-only queries: bounded and short-lived."""
    return st.cache_data(
        ttl=settings.CACHE_TTL_SECONDS,
        max_entries=settings.CACHE_MAX_ENTRIES,
        show_spinner=False,
    )(func)


def metric_card(
    label: str,
    value: str | int,
    figure: Any = None,
    help: str | None = None,
    delta: str | None = None,
    delta_color: str = "normal",
    chart_height: int = 140,
) -> None:
    """A bordered card with a number and, below it, a small chart."""
    with st.container(border=True):
        # A text delta ("act now") is a flag, not a change: no arrow.
        st.metric(label, value, delta=delta, delta_color=delta_color, help=help, delta_arrow="off")
        if figure is not None:
            figure.update_layout(
                height=chart_height, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False
            )
            st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})
