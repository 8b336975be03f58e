"""Disclosures: who received whose data, where, and on which legal basis.

The views are in views/disclosures/; every figure and write comes from registry.disclosures.
"""

from __future__ import annotations

import streamlit as st

from registry import deadlines
from registry.permissions import Permission
from views import widgets
from views.disclosures import log, per_person, record, summary

actor = widgets.require_page(Permission.VIEW_DISCLOSURES)
today = deadlines.today()

st.title("Disclosures")
st.caption(
    "What went to which dealer, subcontractor or processor, when, why and whose data. "
    "Segment exports are recorded here automatically; other disclosures are recorded by hand."
)
summary.cards(today)
log_tab, record_tab, person_tab = st.tabs(["Log", "Record a disclosure", "Per person"])
with log_tab:
    log.log_tab(actor, today)
with record_tab:
    record.record_tab(actor, today)
with person_tab:
    per_person.per_person_tab(actor)
