"""Persons: find a data subject, see their data as the notice groups it, amend it (Art. 16)
and tell the recipients who had received it (Art. 19). The views are in views/persons/.

Other pages link here with st.session_state["persons_selected_id"] (or ?person=ID) and, for a
rectification request, st.session_state["persons_request_id"] (or ?request=ID).
"""

from __future__ import annotations

import streamlit as st

from registry.permissions import Permission
from views import widgets
from views.persons import amend, common, data, header, history, restriction

actor = widgets.require_page(Permission.VIEW_PERSON)
may_amend = actor.may(Permission.AMEND_PERSON)
TABS = common.AMEND_TABS if may_amend else common.READ_TABS

common.adopt_links(may_amend)
st.title("Persons")
st.caption(
    "Find a data subject by name, email, phone or username. Viewing a person's data is "
    "recorded in the audit trail."
)
common.find_person()
selected = st.session_state.get(common.SELECTED)
if selected is None:
    st.info(
        "Find a person to see their data as the registry notice groups it.",
        icon=":material/person_search:",
    )
    st.stop()
detail = header.load(actor, selected)
if detail is None:
    st.stop()
header.header(detail)
restriction.panel(actor, detail)

if st.session_state.get(common.TAB) not in (None, *TABS):
    st.session_state.pop(common.TAB)
# Tracked so a save can switch to the history; every tab is drawn on every run, so the
# form keeps its input while another tab is open.
tabs = st.tabs(TABS, key=common.TAB, on_change="rerun")
with tabs[0]:
    data.data_tab(actor, detail)
if may_amend:
    with tabs[1]:
        amend.amend_tab(actor, detail)
with tabs[-1]:
    history.history_tab(actor, detail)
