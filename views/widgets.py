"""Streamlit pieces shared by the pages: the database session, the signed-in user, errors,
and the widgets several pages draw: cached reads, the pager, the person finder, the flash.

Pages and views import this module; the domain (registry/) never does.
"""

from __future__ import annotations

import functools
import re
import runpy
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, Generic, Literal, ParamSpec, TypeVar
from urllib.parse import quote

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from registry import data_version, db, persons, settings, sign_in_sessions, spreadsheet, validation
from registry.permissions import Actor, Permission, require_any
from registry.vocabulary import Role

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

# Session-state keys of the sign-in, shared by dashboard.py and the tests.
USER_ID_KEY = "auth_user_id"
LAST_ACTIVITY_KEY = "auth_last_activity"
ACTOR_KEY = "auth_actor"
# The sign-in session this browser holds (registry/sign_in_sessions.py), and its cookie's
# pending change for the next run: a token to write, or "" to clear it.
SESSION_TOKEN_KEY = "auth_session_token"
COOKIE_CHANGE_KEY = "auth_cookie_change"
# The data version read at the start of this script run (dashboard.py): cached reads key on it.
DATA_VERSION_KEY = "data_version"


@st.cache_resource(show_spinner=False)
def _engine(url: str, read_only: bool = False) -> Engine:
    return db.make_engine(url, read_only=read_only)


@st.cache_resource(show_spinner=False)
def _sessions(url: str, read_only: bool = False) -> sessionmaker[Session]:
    return db.make_sessionmaker(_engine(url, read_only))


def _read_sessions() -> sessionmaker[Session]:
    """Sessions for cached reads: the replica if declared, else the database, read-only."""
    return _sessions(database().reads_from, True)


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


# Set while dashboard.py runs the page st.navigation chose: a page file run any other way
# was run alone by Streamlit (below), without the entry script's sign-in and navigation.
_routing = threading.local()
ENTRY_SCRIPT = Path(__file__).resolve().parent.parent / "dashboard.py"


@contextmanager
def routed() -> Iterator[None]:
    """dashboard.py runs the chosen page inside this."""
    _routing.active = True
    try:
        yield
    finally:
        _routing.active = False


def through_the_entry_script() -> None:
    """The guard at the top of every page file: hand over to dashboard.py unless it runs us.

    Until some run calls st.navigation, Streamlit treats the pages/ folder as an automatic
    multipage app: when a bookmarked link (/requests) is the first request after a server
    start, it runs pages/requests.py alone, listing the raw file names. The entry script is
    run instead, in this same run: its navigation takes over (from then on for the whole
    process), and it signs in and draws the page the link named.
    """
    if getattr(_routing, "active", False):
        return
    runpy.run_path(str(ENTRY_SCRIPT), run_name="__main__")
    st.stop()


def require_page(permission: Permission) -> Actor:
    """Stop the page unless the signed-in role may use it (navigation already hides it).

    The first line of every page file: it is also the page's entry guard."""
    through_the_entry_script()
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


# A database failure in a button's callback, told on the page that follows (callbacks run
# before the page script, where nothing can be drawn).
DATABASE_FAILURE_KEY = "database_failure"


def database_failure(error: DBAPIError) -> str:
    """The plain words for a failed request: busy (save again), gone, or refused."""
    st.session_state.pop("database_checked", None)  # check the database again next run
    return db.failure_message(error, engine(), database())


DECLARATION_FAILURE = (
    "The registry declaration cannot be read, so this part of the registry cannot be shown: "
    "{problem}  \nCorrect the file (or REGISTRY_DECLARATION, if set) and reload the page; "
    "the pages that do not need the declaration keep working."
)


def declaration_failure(problem: Exception | str) -> str:
    """The plain words for a malformed data/registry.toml: the file and the line or key."""
    return DECLARATION_FAILURE.format(problem=plain(str(problem)))


def guarded(callback: Callable[P, None]) -> Callable[P, None]:
    """A write callback whose database failure becomes a message, not a crashed page: the
    typed input stays in its widgets for the next try."""

    @functools.wraps(callback)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            callback(*args, **kwargs)
        except DBAPIError as e:
            st.session_state[DATABASE_FAILURE_KEY] = database_failure(e)

    return run


def show_database_failure() -> None:
    """The failure a callback left, shown once, where the page calls it (above its form)."""
    if message := st.session_state.pop(DATABASE_FAILURE_KEY, None):
        st.error(message, icon=":material/database:")


def form_errors(key: str) -> dict[str, str]:
    """Field errors kept across the rerun that follows a failed form submit."""
    return st.session_state.setdefault(key, {})


def data_changed() -> None:
    """A write happened here: drop this server's cached results at once (other servers see
    the write through the data version at their next run)."""
    st.cache_data.clear()


def cookie_token() -> str | None:
    """The sign-in session token the browser sent when this Streamlit session connected."""
    value = st.context.cookies.get(sign_in_sessions.COOKIE)
    return value if isinstance(value, str) and value else None  # AppTest's context is a mock


def write_session_cookie() -> None:
    """Give the browser the cookie change a sign-in or sign-out left for this run.

    Streamlit lets a script set no HTTP cookie, so a script in the page sets it: without
    HttpOnly, hence random, stored only hashed, ended at sign-out and after the idle
    timeout; SameSite=Strict, and Secure behind HTTPS.
    """
    change = st.session_state.pop(COOKIE_CHANGE_KEY, None)
    if change is None:
        return
    name = sign_in_sessions.COOKIE
    cookie = (
        f"{name}={change}; Path=/; SameSite=Strict" if change else f"{name}=; Path=/; Max-Age=0"
    )
    st.html(
        f"<script>document.cookie = {cookie!r} + "
        "(location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def note_data_version() -> None:
    """Read once per script run, before any page: a write committed through any app server
    since the last run moves it, and every cached read is keyed by it. Read where cached
    reads go, so that a lagging replica's results are never filed under a newer version."""
    with _read_sessions()() as s:
        st.session_state[DATA_VERSION_KEY] = data_version.current(s)


def cached_read(
    *permissions: Permission,
) -> Callable[[Callable[Concatenate[Session, Actor, P], R]], Callable[P, R]]:
    """The one cache policy for read-only queries: bounded, keyed by the database read, the
    data version and the signed-in role besides the arguments, and guarded on every call.
    They run on read-only connections (a replica if declared): a cached read cannot write.

    The decorated read takes a session and the actor, then its own arguments; callers pass
    only those arguments. Another database or another role is always another cache entry,
    and the role must hold one of `permissions` on every call, a cache hit included (the
    domain function checks again on a miss). The actor itself is not in the key: a cached
    read must not depend on who asks beyond their role.
    """
    if not permissions:
        raise TypeError("cached_read needs the permission the read asks for")

    def decorate(read: Callable[Concatenate[Session, Actor, P], R]) -> Callable[P, R]:
        def keyed(
            reads_from: str, version: int, role: Role, _actor: Actor, *args: Any, **kwargs: Any
        ) -> R:
            with _sessions(reads_from, True)() as s:  # read-only: a cached read never writes
                return read(s, _actor, *args, **kwargs)

        # Streamlit tells caches apart by module and qualified name (the source of `keyed` is
        # the same for every read): take the read's own, and its file, as page scripts all
        # run as __main__.
        keyed.__module__ = read.__module__
        keyed.__qualname__ = f"{read.__qualname__}@{read.__code__.co_filename}"
        cached = st.cache_data(
            ttl=settings.CACHE_TTL_SECONDS,
            max_entries=settings.CACHE_MAX_ENTRIES,
            show_spinner=False,
        )(keyed)

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            current = actor()
            require_any(current, *permissions)
            version = st.session_state.get(DATA_VERSION_KEY, 0)
            reads_from = database().reads_from
            return cached(reads_from, version, current.role, current, *args, **kwargs)

        call.__module__, call.__qualname__ = read.__module__, read.__qualname__
        call.__name__, call.__doc__ = read.__name__, read.__doc__
        return call

    return decorate


# --- flash: a message that survives the rerun after a write --------------------------------


def flash(key: str, message: str) -> None:
    """Say `message` on the page's next run (a write is followed by st.rerun)."""
    st.session_state[key] = message


def show_flash(key: str) -> None:
    """The message a write left under `key`, shown once."""
    if message := st.session_state.pop(key, None):
        st.success(message, icon=":material/check_circle:")


# --- the pager ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows, numbered from 1, and the total it is a page of."""

    rows: Sequence[T]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def paged(
    key: str,
    read: Callable[[int, int], tuple[Sequence[T], int]],
    *,
    size: int = settings.PAGE_SIZE,
    restart_on: object = None,
) -> Page[T]:
    """The page kept under `key`, read with read(limit, offset) -> (rows, total).

    A new `restart_on` (the filter the rows are read with) starts again from page 1; a page
    past the end (rows gone since it was chosen) falls back to the last one.
    """
    state = st.session_state
    if state.get(f"{key}_seen") != restart_on:
        state[f"{key}_seen"] = restart_on
        state[key] = 1
    number = max(1, int(state.get(key) or 1))
    rows, total = read(size, (number - 1) * size)
    page = Page(rows, total, number, size)
    if number > page.pages:
        state[key] = page.pages  # before the pager's widget is drawn: Streamlit allows it
        rows, total = read(size, (page.pages - 1) * size)
        page = Page(rows, total, page.pages, size)
    return page


def pager(key: str, page: Page[Any], noun: str) -> None:
    """The one page control: a page number (typed or stepped) and where the rows stand."""
    shown = (
        f" · {page.offset + 1:,}–{page.offset + len(page.rows):,} of {page.total:,} {noun}"
        if page.rows
        else f" · {page.total:,} {noun}"
    )
    where = f"Page {page.number:,} of {page.pages:,}{shown}"
    if page.pages == 1:
        st.caption(where)  # nothing to turn
        return
    number, beside = st.columns([1, 4], vertical_alignment="bottom")
    number.number_input("Page", min_value=1, max_value=page.pages, step=1, key=key)
    beside.caption(where)


# --- the person finder -------------------------------------------------------------------

# registry.persons.search asks for one of these: consent, persons and requests work all
# find persons.
_MAY_SEARCH = (Permission.VIEW_CONSENT, Permission.VIEW_PERSON, Permission.HANDLE_REQUESTS)
NO_MATCH = "No person's name, email, phone number or username starts with that."


@cached_read(*_MAY_SEARCH)
def _search(session: Session, actor: Actor, text: str) -> list[persons.PersonMatch]:
    # One more than is shown: whether the list was cut is then known, not guessed.
    return persons.search(session, actor, text, limit=settings.SEARCH_RESULTS + 1)


def found_persons(text: str) -> tuple[list[persons.PersonMatch], bool]:
    """The persons the finder lists for `text`, and whether there were more than shown."""
    if not text.strip():
        return [], False
    matches = _search(text)
    return matches[: settings.SEARCH_RESULTS], len(matches) > settings.SEARCH_RESULTS


def _keep(key: str) -> None:
    st.session_state[f"{key}_kept"] = st.session_state[key]


def person_finder(
    search_key: str,
    pick_key: str,
    *,
    label: str = "Find a person",
    pick_label: str | None = None,
    help: str | None = None,
    unmatched: str | None = None,
    chosen: int | None = None,
    choose_first: bool = False,
    on_change: Callable[[], None] | None = None,
) -> persons.PersonMatch | None:
    """The one way to find a person: a search box, then a pick among the matches.

    Matches are persons whose name, email, phone number or username starts with the text
    (registry.persons.search), at most settings.SEARCH_RESULTS of them, saying so when more
    match. `unmatched` adds a "nobody" option, chosen by default; otherwise `chosen` is
    preselected when it matches, else the first match if `choose_first`, else nothing.
    Returns the picked person (None for nobody); `on_change` runs when the pick changes.
    The text is kept when the finder is not drawn (a tab visit), so it is there on return.
    """
    text = st.text_input(
        label,
        value=st.session_state.get(f"{search_key}_kept", ""),
        key=search_key,
        placeholder="Name, email, phone number or username",
        help=help,
        max_chars=settings.MAX_SHORT_TEXT,
        on_change=_keep,
        args=(search_key,),
    )
    matches, cut = found_persons(text)
    if text.strip() and not matches:
        st.info(NO_MATCH, icon=":material/person_search:")
    if not matches and unmatched is None:
        return None
    options: dict[int | None, str] = {None: unmatched} if unmatched is not None else {}
    options.update({m.id: f"#{m.id} · {m.label}" for m in matches})
    ids = list(options)
    if chosen in ids:
        index: int | None = ids.index(chosen)
    elif unmatched is not None or choose_first:
        index = 0
    else:
        index = None
    picked = st.selectbox(
        pick_label or f"{len(matches)} matching persons",
        ids,
        index=index,
        format_func=options.__getitem__,
        key=pick_key,
        on_change=on_change,
        placeholder="Choose a person",
    )
    if cut:
        st.caption(f"Showing the first {settings.SEARCH_RESULTS}: refine your search.")
    return next((m for m in matches if m.id == picked), None)


# --- links to a record's own page -------------------------------------------------------

# Which page shows a record of each type, the query parameter naming it, and the permission
# the page needs: a row is a link only for a role that may open what it leads to.
RECORD_PAGES: dict[str, tuple[str, str, Permission]] = {
    "data_subject_request": ("pages/requests.py", "request", Permission.HANDLE_REQUESTS),
    "person": ("pages/persons.py", "person", Permission.VIEW_PERSON),
    "disclosure": ("pages/disclosures.py", "disclosure", Permission.VIEW_DISCLOSURES),
}


def may_open(current: Actor, record_type: str | None) -> bool:
    return record_type in RECORD_PAGES and current.may(RECORD_PAGES[record_type][2])


def record_url(current: Actor, record_type: str | None, record_id: object, text: str) -> str | None:
    """The address of a record's own page for a link in a table (requests?request=12), with
    the text the cell shows after the # (read by link_column); None for a role that may not
    open it. Relative, so it holds under any base path; the part after # never leaves the
    browser, so a name in it is not sent to the server or written in its logs."""
    key = validation.record_id(record_id)
    if key is None or not may_open(current, record_type):
        return None
    page, param, _ = RECORD_PAGES[str(record_type)]
    return f"{Path(page).stem}?{param}={key}#{quote(text)}"


def link_column(label: str, help: str | None = None) -> Any:
    """A table column of record_url links, each showing its text (a name, "Request 12")."""
    return st.column_config.LinkColumn(label, display_text=r"#(.*)$", help=help)


def open_record(current: Actor, record_type: str | None, record_id: object) -> None:
    """Go to the record's own page (?request=12, ?person=7), if the role may open it."""
    text = str(record_id or "")
    if not text.isdigit() or not may_open(current, record_type):
        return
    page, param, _ = RECORD_PAGES[str(record_type)]
    st.switch_page(page, query_params={param: text})


def drill_down(current: Actor, page: str, permission: Permission, label: str, **query: Any) -> None:
    """A card's link to the page with the figure's rows, for a role that may open it."""
    if current.may(permission):
        st.page_link(page, label=label, icon=":material/arrow_forward:", query_params=query)


def selected_row(event: Any) -> int | None:
    """The row picked in a st.dataframe drawn with on_select, or None (a table drawn without
    selection returns no event)."""
    if not isinstance(event, Mapping) or "selection" not in event:
        return None
    rows = event["selection"].get("rows", [])
    return rows[0] if rows else None


def facts(rows: list[tuple[str, object]]) -> None:
    """Label: value lines; registry values are escaped so they show as typed."""
    lines = [f"**{name}:** {plain(value) if value else '—'}" for name, value in rows]
    st.markdown("  \n".join(lines))


def metric_card(
    label: str,
    value: str | int,
    figure: Any = None,
    help: str | None = None,
    delta: str | None = None,
    delta_color: Literal["normal", "inverse", "off"] = "normal",
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


def spreadsheet_downloads(
    label: Callable[[spreadsheet.FileFormat], str],
    export: Callable[[spreadsheet.FileFormat], bytes],
    file_stem: str,
    key: str,
    help: str,
) -> None:
    """One download button per file format (XLSX and CSV), side by side; `export` runs only
    when its button is clicked, so the export and its audit event happen then."""
    row = st.container(horizontal=True)  # each button as wide as its label, side by side
    for file_format in spreadsheet.FileFormat:
        row.download_button(
            label(file_format),
            data=functools.partial(export, file_format),
            file_name=f"{file_stem}.{file_format.value}",
            mime=file_format.mime,
            icon=":material/download:",
            on_click="ignore",
            key=f"{key}_{file_format.value}",
            help=help,
        )
