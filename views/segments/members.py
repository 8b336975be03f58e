"""The Members tab: who is in the chosen segment, a page at a time, with consent per channel."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry import regions, settings
from registry.permissions import Actor
from registry.segments import member_list
from registry.vocabulary import Channel, ConsentStatus
from views import widgets
from views.segments.common import (
    MEMBERS_INPUTS,
    MEMBERS_QUERY_KEY,
    PAGE_KEY,
    Selection,
    members_page,
)

SHORT_STATUS = {
    ConsentStatus.GRANTED: "✓ granted",
    ConsentStatus.WITHDRAWN: "withdrawn",
    ConsentStatus.OBJECTED: "objected",
    ConsentStatus.NEVER_ASKED: "–",
}
DEFAULT_QUERY = {"search": "", "sort": "name", "descending": False}


def members_tab(actor: Actor, selection: Selection) -> None:
    # Each input has a stable key and its state is the one source of truth: no value= or
    # index= from elsewhere, which gave a keyless widget a new identity after every search so
    # that every second one was ignored. The applied query is kept apart from the widgets,
    # since Streamlit drops a widget's state on a run that does not draw it (another tab).
    query = st.session_state.setdefault(MEMBERS_QUERY_KEY, dict(DEFAULT_QUERY))
    for field, key in MEMBERS_INPUTS.items():
        if key not in st.session_state:
            st.session_state[key] = query[field]
    with st.form("segments_members_form"):
        search_col, sort_col, order_col = st.columns([3, 2, 1])
        search_col.text_input(
            "Find by name, organisation or city",
            max_chars=settings.MAX_SHORT_TEXT,
            key=MEMBERS_INPUTS["search"],
        )
        sort_col.selectbox(
            "Sort by",
            list(member_list.MEMBER_SORTS),
            format_func=lambda k: member_list.MEMBER_SORTS[k][0],
            key=MEMBERS_INPUTS["sort"],
        )
        order_col.toggle("Descending", key=MEMBERS_INPUTS["descending"])
        if st.form_submit_button("Show"):
            query = {field: st.session_state[key] for field, key in MEMBERS_INPUTS.items()}
            st.session_state[MEMBERS_QUERY_KEY] = query

    def read(limit: int, offset: int) -> tuple[list[member_list.Member], int]:
        found = members_page(
            selection.definition,
            query["sort"],
            query["descending"],
            query["search"],
            limit,
            offset,
            selection.day,
            selection.summary.members,
        )
        return found.members, found.total

    # Another segment, search or order starts again from page 1.
    page = widgets.paged(
        PAGE_KEY,
        read,
        restart_on=(selection.definition, query["search"], query["sort"], query["descending"]),
    )
    # A name links to the person's page for a role that may open Persons (marketing may not).
    may_open = widgets.may_open(actor, "person")
    frame = pd.DataFrame(
        [
            {
                "Name": widgets.record_url(actor, "person", m.person_id, m.name)
                if may_open
                else m.name,
                "Organisation": m.organisation,
                "Position": m.position,
                "City": m.city,
                "Country": regions.country_label(m.country),
                **{ch.label: SHORT_STATUS[status] for ch, status in m.consent.items()},
            }
            for m in page.rows
        ]
    )
    if frame.empty:
        st.info("No members match.")
    else:
        st.dataframe(
            frame.fillna(""),
            hide_index=True,
            width="stretch",
            height=35 * (len(frame) + 1) + 3,
            column_config={
                "Name": widgets.link_column("Name")
                if may_open
                else st.column_config.TextColumn(width="medium"),
                **{c.label: st.column_config.TextColumn(width="small") for c in Channel},
            },
        )
    widgets.pager(PAGE_KEY, page, "members")
    st.caption(
        "Consent per channel is the person's current status: the latest event wins. "
        "Only what marketing needs is shown; contact details leave only in an export."
    )
