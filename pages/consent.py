"""Consent: who may be contacted for what, how that changed, and recording new events.

The views are in views/consent/ (one per tab); every figure and every write comes from
registry.consent.
"""

from __future__ import annotations

import streamlit as st

from registry.permissions import Permission
from views import widgets
from views.consent import breakdown, common, evidence, person, status, trend

actor = widgets.require_page(Permission.VIEW_CONSENT)
TAB_VIEWS = {
    "Current status": status.status_view,
    "Sources and relationships": breakdown.breakdown_view,
    "Opt-ins and opt-outs": trend.trend_view,
    "Missing evidence": evidence.evidence_view,
    "Find a person": lambda: person.person_view(actor),
}

st.title("Consent")
st.caption(
    "Direct-marketing permits and prohibitions: the current status of every person per "
    "purpose, how it changed, and new grants, withdrawals and objections."
)
with st.expander("How the current status is decided", icon=":material/help:"):
    st.markdown(common.RULE_HELP)

# Only the open tab runs its queries: at a million persons each tab's figures take seconds.
tabs = st.tabs(common.TABS, key=common.TAB_KEY, on_change="rerun")
for name, tab in zip(common.TABS, tabs, strict=True):
    if tab.open:
        with tab:
            TAB_VIEWS[name]()
