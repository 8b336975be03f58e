"""Breaches: the register of personal data breaches, the 72-hour clock, who was affected,
the decisions and the documents. The views are in views/breaches/; rules, counts and writes
in registry.breaches (its clock, recording, decisions, register, affected and documents).
"""

from __future__ import annotations

import streamlit as st

from registry.permissions import Permission
from views import widgets
from views.breaches import detail, form, register
from views.breaches.common import FLASH, GOTO, SELECTED, TAB, ss

actor = widgets.require_page(Permission.MANAGE_BREACHES)

st.title("Breaches")
st.caption(
    "Personal data breaches: every one is documented, notified or not (GDPR Art. 33(5)). "
    "The Data Protection Ombudsman is notified within 72 hours of awareness unless no risk "
    "is likely (Art. 33(1)); the persons are told of a high risk (Art. 34). Times are "
    "Helsinki time."
)

rows = register.rows(actor)
widgets.show_flash(FLASH)
register.clocks(rows)

# The tabs keep their place across reruns; a write may ask for another one (GOTO).
if goto := ss.pop(GOTO, None):
    ss[TAB] = goto
register_tab, record_tab = st.tabs(["Register", "Record a breach"], key=TAB, on_change="rerun")
with record_tab:
    form.record(actor)
with register_tab:
    register.table(rows)
if rows and ss.get(SELECTED) in {r.id for r in rows}:
    with register_tab:
        detail.show(actor, rows)
