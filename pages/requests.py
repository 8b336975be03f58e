"""Requests: the compliance officer's queue of data-subject requests and their legal deadlines.

The queue (KPIs, open requests by age, filters, a table coloured by urgency, CSV export), a
form to log a request received in writing, and a request's detail view with its workflow,
the Art. 15 access report and the history. The views are in views/requests/; rules, counts
and writes in registry.requests and registry.report; days left come from registry.deadlines.
"""

from __future__ import annotations

import streamlit as st

from registry import deadlines
from registry.formats import finnish_date
from registry.permissions import Permission
from views import widgets
from views.requests import common, detail, log_form, queue

actor = widgets.require_page(Permission.HANDLE_REQUESTS)
today = deadlines.today()

st.title("Requests")
request_id = common.selected()
widgets.show_flash(common.FLASH)
if request_id is not None:
    detail.show(actor, request_id, today)
else:
    st.caption(
        "Access, rectification, objection, erasure and restriction requests, against their "
        f"legal deadlines. Today is {finnish_date(today)} (Helsinki)."
    )
    queue_tab, log_tab = st.tabs(["Queue", "Log a request"])
    with queue_tab:
        queue.show(actor, today)
    with log_tab:
        log_form.show(actor, today)
