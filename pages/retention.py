"""Retention: what the retention schedule has due now and why, a person's due data, the
runs made, and applying the schedule with a progress bar (Art. 5(1)(e)). The schedule is
data/registry.toml [retention]; the views are in views/retention/."""

from __future__ import annotations

import streamlit as st

from registry.notice import declaration
from registry.permissions import Permission
from views import widgets
from views.retention import common, due, person, runs

actor = widgets.require_page(Permission.VIEW_RETENTION)
TAB_VIEWS = {
    "Due now": due.due_view,
    "A person's due data": person.person_view,
    "Runs": runs.runs_view,
}

st.title("Retention")
st.caption(
    "Personal data is kept no longer than its purpose needs (GDPR Art. 5(1)(e)). The "
    f"schedule below is the controller's decision ({declaration().retention.decided_by}), "
    "declared in data/registry.toml and stated in the notice page and every access report. "
    "Persons due are erased through the same path as an erasure request; rows due are "
    "deleted. Applying needs the compliance or administrator role."
)
tabs = st.tabs(common.TABS, key=common.TAB_KEY, on_change="rerun")
for name, tab in zip(common.TABS, tabs, strict=True):
    if tab.open:
        with tab:
            TAB_VIEWS[name](actor)
