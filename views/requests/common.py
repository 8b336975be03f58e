"""What the Requests views share: session-state keys, labels, and the cached reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from registry import formats, labels, validation
from registry.errors import ConflictError, NotFound, ValidationError
from registry.permissions import Actor, Permission
from registry.report import notices, sent
from registry.requests import queue, transitions
from registry.requests.rules import Action
from views import widgets

ss = st.session_state

SELECTED = "requests_selected_id"  # the request whose detail view is open
VIEWED = "requests_viewed_id"  # the request whose opening was last audited
FILTER = "requests_queue_filter"
PAGE = "requests_queue_page"
REPORT = "requests_report"  # {"id", "html", "records", "redactions"}: this session's draft
LOG_ERRORS = "requests_log_errors"
STEP_ERRORS = "requests_step_errors"
FLASH = "requests_flash"
LOG_PERSON = "requests_log_person"
MATCH_PERSON = "requests_match_person"


def label(mapping: dict, value: str) -> str:  # type: ignore[type-arg]
    return labels.label(mapping, value)


def helsinki(moment: dt.datetime | None) -> str:
    return formats.helsinki_text(moment, "—")


def done(message: str) -> None:
    """A write succeeded: drop cached numbers, say so after the rerun."""
    widgets.data_changed()
    widgets.flash(FLASH, message)
    ss[STEP_ERRORS] = {}
    st.rerun()


def step(action: Action, call: Callable[[Session], object], success: str) -> None:
    """Run one workflow step; field errors go next to the step's fields."""
    try:
        with widgets.session() as s:
            call(s)
    except ValidationError as e:
        ss[STEP_ERRORS] = {action: e.field_errors}
        st.rerun()
    except (ConflictError, NotFound) as e:
        ss[STEP_ERRORS] = {action: {"conflict": str(e)}}
        st.rerun()
    done(success)


def step_errors(action: Action) -> dict[str, str]:
    return ss.get(STEP_ERRORS, {}).get(action, {})


def conflict(action: Action) -> None:
    if message := step_errors(action).get("conflict"):
        st.error(message, icon=":material/block:")


def selected() -> int | None:
    """The request whose detail is open: a link (?request=ID) opens it, else the session's."""
    if (linked := validation.record_id(st.query_params.get("request"))) is not None:
        if ss.get(SELECTED) != linked:
            open_request(linked)
    chosen = ss.get(SELECTED)
    return None if chosen is None else int(chosen)


def open_request(request_id: int | None) -> None:
    ss[SELECTED] = request_id
    ss.pop(REPORT, None)
    ss[STEP_ERRORS] = {}
    if request_id is None:
        st.query_params.pop("request", None)
        # Forget the row selected in the queue, or coming back would open it again.
        for key in [k for k in ss if str(k).startswith("requests_queue_table_")]:
            del ss[key]
    else:
        st.query_params["request"] = str(request_id)


# --- cached reads -----------------------------------------------------------------------


@widgets.cached_read(Permission.HANDLE_REQUESTS)
def queue_page(
    s: Session,
    actor: Actor,
    queue_filter: queue.QueueFilter,
    limit: int,
    offset: int,
    day: dt.date,
) -> tuple[list[queue.QueueRow], int]:
    rows = queue.queue(s, actor, queue_filter, day, limit=limit, offset=offset)
    return rows, queue.count(s, actor, queue_filter)


figures = widgets.cached_read(Permission.HANDLE_REQUESTS)(queue.figures)


@widgets.cached_read(Permission.HANDLE_REQUESTS)
def flags(
    s: Session, actor: Actor, ids: tuple[int, ...], day: dt.date
) -> dict[int, tuple[str, ...]]:
    return notices.deadline_flags(s, actor, ids, day)


untold = widgets.cached_read(Permission.HANDLE_REQUESTS)(notices.untold_extensions)
stored_copies = widgets.cached_read(Permission.HANDLE_REQUESTS)(sent.copies)


@widgets.cached_read(Permission.HANDLE_REQUESTS)
def assignees(s: Session, actor: Actor) -> dict[int, str]:
    return dict(transitions.assignees(s, actor))


def person_finder(
    key: str, help_text: str, on_change: Callable[[], None] | None = None
) -> int | None:
    """The person a request is about; None leaves it unmatched."""
    found = widgets.person_finder(
        f"{key}_search",
        key,
        label="Find the person in the registry",
        pick_label="Matched person",
        help=help_text,
        unmatched="Leave unmatched",
        on_change=on_change,
    )
    return None if found is None else found.id
