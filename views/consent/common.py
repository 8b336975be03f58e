"""What the Consent views share: session-state keys, colours and labels, the cached reads,
and the choices kept across tab visits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st
from sqlalchemy.orm import Session

from registry import consent, consent_review, formats, labels
from registry.permissions import Actor, Permission
from registry.vocabulary import ConsentStatus, Purpose
from views import widgets

PERSON_KEY = "consent_person_id"  # the person shown in "Find a person"
OPENED_KEY = "consent_opened_person_id"  # the person whose view was last audited
ERRORS_KEY = "consent_record_errors"
RESET_KEY = "consent_form_reset"  # set by a successful write: empty the form on the next run
FLASH_KEY = "consent_flash"
MISSING_IDS_KEY = "consent_missing_ids"
TAB_KEY = "consent_tab"
PURPOSE_KEPT = "consent_purpose_kept"  # shared by the status and breakdown tabs
TABS = (
    "Current status",
    "Sources and relationships",
    "Opt-ins and opt-outs",
    "Missing evidence",
    "Find a person",
)

GRANTED, WITHDRAWN, OBJECTED, NEVER_ASKED = (
    ConsentStatus.GRANTED,
    ConsentStatus.WITHDRAWN,
    ConsentStatus.OBJECTED,
    ConsentStatus.NEVER_ASKED,
)
STATUS_ORDER = [consent.STATUS_LABELS[s] for s in (GRANTED, WITHDRAWN, OBJECTED, NEVER_ASKED)]
STATUS_COLOURS = {
    consent.STATUS_LABELS[GRANTED]: "#2e7d32",
    consent.STATUS_LABELS[WITHDRAWN]: "#ef6c00",
    consent.STATUS_LABELS[OBJECTED]: "#c62828",
    consent.STATUS_LABELS[NEVER_ASKED]: "#b0b7c3",
}
BADGE_COLOURS = {GRANTED: "green", WITHDRAWN: "orange", OBJECTED: "red", NEVER_ASKED: "gray"}
ACTION_LABELS = {
    GRANTED: "Grant consent",
    WITHDRAWN: "Withdraw consent",
    OBJECTED: "Object to all direct marketing (Art. 21)",
}
DONE_LABELS = {GRANTED: "a grant", WITHDRAWN: "a withdrawal", OBJECTED: "an objection"}
SUBMIT_LABELS = {
    GRANTED: "Record grant",
    WITHDRAWN: "Record withdrawal",
    OBJECTED: "Record objection",
}
PURPOSE_ORDER = [consent.PURPOSE_LABELS[p] for p in Purpose]

RULE_HELP = """
The current status of a person for a purpose is their **latest consent event** for it.

- **Same moment:** two events with the same timestamp are decided by protection:
  an objection beats a withdrawal, and a withdrawal beats a grant. Between equal events the
  one recorded later counts.
- **Objection (Art. 21(2)):** covers every purpose, profiling for targeting included, and
  takes effect at once. Only an explicit new grant, dated after the objection, makes the
  person contactable again for that one purpose.
- **Withdrawal (Art. 7(3)):** as easy as granting, and also at once: the Segments page
  and every later export leave the person out for that purpose.
- **A date without a time:** a grant dated on an earlier day counts from the start of that
  day (Helsinki time), a withdrawal or objection from its end, so a grant never overrides an
  opt-out made the same day. An event dated today counts from the moment it is recorded.
- **Never asked:** no event at all for the purpose; nobody may be contacted without a grant.
- Events are never edited: a correction is a new event, and the history keeps both.
"""


def label(mapping: dict[str, str], value: str) -> str:
    return labels.label(mapping, value)


def helsinki(moment: dt.datetime) -> str:
    return formats.helsinki_iso(moment)


# --- cached reads -----------------------------------------------------------------------


@widgets.cached_read(Permission.VIEW_CONSENT)
def status_counts(s: Session, actor: Actor) -> dict[Purpose, dict[ConsentStatus, int]]:
    return consent.status_counts(s)


by_source = widgets.cached_read(Permission.VIEW_CONSENT)(consent_review.status_by_source)
by_relationship = widgets.cached_read(Permission.VIEW_CONSENT)(
    consent_review.status_by_relationship
)
missing_counts = widgets.cached_read(Permission.VIEW_CONSENT)(
    consent_review.missing_evidence_counts
)


@widgets.cached_read(Permission.VIEW_CONSENT)
def changes(
    s: Session, actor: Actor, purpose: str | None, today: dt.date
) -> list[consent_review.MonthlyChanges]:
    return consent_review.changes_per_month(s, actor, purpose, today=today)


@widgets.cached_read(Permission.VIEW_CONSENT)
def missing_page(
    s: Session, actor: Actor, purpose: str | None, limit: int, offset: int
) -> consent_review.MissingEvidencePage:
    return consent_review.persons_missing_evidence(s, actor, purpose, limit=limit, offset=offset)


# --- charts -----------------------------------------------------------------------------


def status_frame(rows: dict[str, dict[ConsentStatus, int]], labels: dict[str, str]) -> pd.DataFrame:
    """Long form (group, status, persons) for a stacked bar chart."""
    return pd.DataFrame(
        [
            (label(labels, group), consent.STATUS_LABELS[status], n)
            for group, counts in rows.items()
            for status, n in counts.items()
            if n
        ],
        columns=["group", "status", "persons"],
    )


def stacked_bars(frame: pd.DataFrame, x: str, y: str, height: int) -> None:
    figure = px.bar(
        frame,
        x=x,
        y=y,
        color="status",
        orientation="h",
        color_discrete_map=STATUS_COLOURS,
        # The biggest group on top.
        category_orders={
            "status": STATUS_ORDER,
            y: list(frame.groupby(y)[x].sum().sort_values(ascending=False).index),
        },
    )
    figure.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        legend_title_text="",
        legend={"orientation": "h", "y": -0.25},
        yaxis_title="",
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})


# Only the open tab runs, and Streamlit forgets a widget that did not run; so a choice
# that should survive a visit to another tab is also kept under a key of its own.
def keep(key: str, kept: str) -> None:
    st.session_state[kept] = st.session_state[key]


def kept_index(kept: str, options: list[Any]) -> int:
    value = st.session_state.get(kept)
    return options.index(value) if value in options else 0


def kept_selectbox(label_text: str, options: list[Any], key: str, kept: str, **kwargs: Any) -> Any:
    return st.selectbox(
        label_text,
        options,
        index=kept_index(kept, options),
        key=key,
        on_change=keep,
        args=(key, kept),
        **kwargs,
    )
