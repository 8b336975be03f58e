"""What the Persons views share: session-state keys, formats, links from other pages."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy.orm import Session

from registry import amendments, formats, labels, validation
from registry.permissions import Actor, Permission
from views import widgets

ss = st.session_state

SELECTED = "persons_selected_id"
REQUEST = "persons_request_id"
VIEWED = "persons_viewed_id"  # the selection whose viewing has been audited
OPENED = "persons_form_opened"  # amendments.OpenedForm the form was filled from
ERRORS = "persons_form_errors"
CONFLICT = "persons_conflict"  # amendments.AmendmentConflict of the last save
NOTICE = "persons_notice"
TAB = "persons_tab"
AMEND_TABS = ["Data", "Amend", "History and follow-up"]
READ_TABS = ["Data", "History"]


def form_key(field: str) -> str:
    return f"persons_form_{field}"


def label(value: str) -> str:
    """A stored word (email_marketing) as people write it (Email marketing)."""
    return labels.humanised(value)


def when(value: dt.datetime | None) -> str:
    return formats.helsinki_colon(value)


def day(value: dt.date | None) -> str:
    return formats.finnish_day_of(value)


# --- which person: a link from another page, the URL, or the search ---


def adopt_links(may_amend: bool) -> None:
    """Take ?person= and ?request= when they are new; keep ?person= in step with the page."""
    for param, key in (("person", SELECTED), ("request", REQUEST)):
        raw = st.query_params.get(param)
        if raw != ss.get(f"persons_seen_{param}"):
            ss[f"persons_seen_{param}"] = raw
            if (linked := validation.record_id(raw)) is not None:
                ss[key] = linked
    # Other pages may hand over ids as text; anything but an id is dropped.
    for key in (SELECTED, REQUEST):
        if (value := validation.record_id(ss.get(key))) is not None:
            ss[key] = value
        else:
            ss.pop(key, None)
    if SELECTED in ss and st.query_params.get("person") != str(ss[SELECTED]):
        st.query_params["person"] = ss["persons_seen_person"] = str(ss[SELECTED])
    # A newly linked rectification request opens the form, refilled with it preselected.
    if may_amend and ss.get(REQUEST) not in (None, ss.get("persons_request_opened")):
        ss["persons_request_opened"] = ss[REQUEST]
        ss[TAB] = "Amend"
        ss.pop(OPENED, None)


def pick_person() -> None:
    # Streamlit keeps a choice by its label; once a name or email changes, the old label
    # comes back as text, which is no choice of a person.
    if isinstance(choice := ss.get("persons_pick"), int):
        ss[SELECTED] = choice
        ss.pop(REQUEST, None)  # a request link belongs to the person it came with
        ss.pop("persons_request_opened", None)


def find_person() -> None:
    """The search: picking a match opens that person."""
    widgets.person_finder("persons_search_text", "persons_pick", on_change=pick_person)


@widgets.cached_read(Permission.AMEND_PERSON)
def employer_choices(
    s: Session, actor: Actor, text: str, include: tuple[int | None, ...]
) -> dict[int, str]:
    return amendments.employers(s, actor, text, include=include)
