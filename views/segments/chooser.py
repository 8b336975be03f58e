"""Which segment: the picker above the tabs, its sentence, and its members per channel."""

from __future__ import annotations

import streamlit as st

from registry import settings
from registry.permissions import Actor
from registry.vocabulary import Channel
from views import widgets
from views.segments.common import (
    CHOSEN_KEY,
    SELECT_NEXT_KEY,
    SELECTED_KEY,
    Selection,
    builtin_choices,
    saved_choices,
    summary_of,
    today_iso,
)

TARGETABLE_HELP = (
    "Members whose current consent for the channel is a grant and who have the contact "
    "detail it needs (email address, phone number, postal address or app account)."
)


def show(actor: Actor) -> Selection:
    """Draw the picker and the chosen segment's figures; stops the page if it cannot count."""
    day = today_iso()
    choices = {c.key: c for c in [*builtin_choices(day), *saved_choices(actor)]}
    state = st.session_state
    # The choice is kept under a key of its own: Streamlit drops the picker's state when a
    # run does not draw it (another page), and the segment must be there on return.
    if SELECTED_KEY not in state:
        state[SELECTED_KEY] = state.get(CHOSEN_KEY)
    if (pending := state.pop(SELECT_NEXT_KEY, None)) in choices:
        state[SELECTED_KEY] = pending
    if state.get(SELECTED_KEY) not in choices:
        state[SELECTED_KEY] = "builtin:everyone"
    order = ["Registry", "Saved", *dict.fromkeys(c.group for c in choices.values())]
    keys = sorted(choices, key=lambda k: order.index(choices[k].group))
    selected_key = st.selectbox(
        "Segment",
        keys,
        format_func=lambda k: choices[k].label,
        key=SELECTED_KEY,
        help="Built-in segments come from the registry; saved ones from the builder.",
    )
    state[CHOSEN_KEY] = selected_key
    choice = choices[selected_key]
    if choice.problem:
        st.error(f"This saved segment cannot be counted. {choice.problem}")
        st.stop()

    st.markdown(widgets.plain(choice.definition.sentence()))
    if choice.segment_id is not None:
        updated = choice.updated_at.astimezone(settings.REGISTRY_TZ) if choice.updated_at else None
        st.caption(
            widgets.plain(
                f"Saved by {choice.owner}"
                + (f", changed {updated:%Y-%m-%d %H:%M}" if updated else "")
                + (f". {choice.description}" if choice.description else "")
            )
        )

    summary = summary_of(choice.definition.key(), day)
    columns = st.columns(1 + len(Channel))
    with columns[0]:
        widgets.metric_card("Members", f"{summary.members:,}")
    for column, channel in zip(columns[1:], Channel, strict=True):
        with column:
            widgets.metric_card(
                channel.label, f"{summary.targetable[channel]:,}", help=TARGETABLE_HELP
            )
    st.caption(
        "Per channel: members who may be contacted there today (a current grant) and can be "
        "reached (the contact detail the channel needs)."
    )
    if choice.definition.profiling:
        st.info(
            f"Built on orders or behaviour (profiling): {summary.refused_profiling:,} persons "
            "who match but withdrew from or objected to profiling are left out.",
            icon=":material/privacy_tip:",
        )
    if summary.restricted:
        st.info(
            f"{summary.restricted:,} persons who match are left out: processing of their data "
            "is restricted (Art. 18).",
            icon=":material/lock:",
        )
    return Selection(choice, choices, summary, day)
