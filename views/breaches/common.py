"""What the Breaches views share: session-state keys, field errors, Helsinki times, and
the cached reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from registry import breaches, deadlines, formats, labels
from registry.breaches import letters_list
from registry.errors import ConflictError, NotFound, ValidationError
from registry.permissions import Permission
from registry.vocabulary import (
    LETTER_LANGUAGE_LABELS,
)
from views import widgets

ss = st.session_state

SELECTED = "breaches_selected"
FLASH = "breaches_flash"
ERRORS = "breaches_errors"  # {form key: {field: message}}
COUNTS = "breaches_counts"  # {breach id: AffectedCounts} counted in this session
LISTED = "breaches_listed"  # (breach id, offset, rows) of the affected list last shown
LETTER = "breaches_letter"  # (breach id, person id, language, html) prepared for download
LETTERS = "breaches_letters"  # (breach id, LettersList, bytes, mime) produced for download
ADD_ROUND = "breaches_add_round"
TAB = "breaches_tab"
DETAIL_TAB = "breaches_detail_tab"
GOTO = "breaches_goto"  # the tab to open on the next run

LANGUAGES = list(LETTER_LANGUAGE_LABELS)


def errors_of(key: str) -> dict[str, str]:
    return ss.get(ERRORS, {}).get(key, {})


def set_errors(key: str, errors: dict[str, str]) -> None:
    ss[ERRORS] = {**ss.get(ERRORS, {}), key: errors}


def done(key: str, message: str) -> None:
    widgets.data_changed()
    set_errors(key, {})
    widgets.flash(FLASH, message)
    st.rerun()


def save(key: str, write: Callable[[Session], object], success: str, conflict: str) -> None:
    """Run one write; field errors go next to the form's fields, a conflict (someone changed
    the breach meanwhile) next to `conflict`; on success say so after the rerun."""
    with widgets.session() as s:
        try:
            write(s)
        except ValidationError as e:
            set_errors(key, e.field_errors)
            st.rerun()
        except (ConflictError, NotFound) as e:
            set_errors(key, {conflict: str(e)})
            st.rerun()
    done(key, success)


def label(mapping: dict[str, str], value: str | None, empty: str = "—") -> str:
    return labels.label(mapping, value, empty)


def moment(value: dt.datetime | None) -> str:
    return formats.helsinki_text(value, "—")


def local_parts(value: dt.datetime | None) -> tuple[dt.date | None, dt.time | None]:
    if value is None:
        return None, None
    local = formats.helsinki(value)
    return local.date(), local.time().replace(second=0, microsecond=0)


def when_input(
    label_: str, key: str, value: dt.datetime | None, help_: str | None = None
) -> tuple[dt.date | None, dt.time | None]:
    """A date and a time side by side, in Helsinki time."""
    day, time = local_parts(value)
    left, right = st.columns(2)
    picked_day = left.date_input(
        f"{label_}: date",
        value=day,
        max_value=deadlines.today(),
        format="DD.MM.YYYY",
        key=f"{key}_day",
        help=help_,
    )
    picked_time = right.time_input(
        f"{label_}: time", value=time, step=dt.timedelta(minutes=5), key=f"{key}_time"
    )
    return picked_day, picked_time


def combined(
    parts: tuple[dt.date | None, dt.time | None], field: str, errors: dict[str, str]
) -> dt.datetime | None:
    """The Helsinki wall time the two inputs make, or None; half an entry is an error."""
    day, time = parts
    if day is None and time is None:
        return None
    if day is None or time is None:
        errors[field] = "Enter both the date and the time (Helsinki)."
        return None
    return dt.datetime.combine(day, time)


# --- reads ----------------------------------------------------------------------------


choices = widgets.cached_read(Permission.MANAGE_BREACHES)(breaches.source_choices)
mailing_processors = widgets.cached_read(Permission.MANAGE_BREACHES)(letters_list.mailing_choices)
