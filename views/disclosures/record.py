"""The Record a disclosure tab: a disclosure made outside the segment export, by hand."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from registry import disclosures, settings
from registry.disclosures import CATEGORY_LABELS, LEGAL_BASES, DisclosureInput
from registry.errors import ValidationError
from registry.permissions import Actor, Permission
from views import widgets
from views.disclosures.common import active_recipients, segment_choices

FLASH = "disclosures_recorded"


def record_tab(actor: Actor, today: dt.date) -> None:
    if not actor.may(Permission.RECORD_DISCLOSURE):
        st.info(f"The {actor.role} role may not {Permission.RECORD_DISCLOSURE}.")
        return
    active = {r.id: r for r in active_recipients()}
    segment_names = dict(segment_choices())
    errors = widgets.form_errors("disclosures_record_errors")
    widgets.show_flash(FLASH)
    round_no = st.session_state.get("disclosures_record_round", 0)
    with st.form(f"disclosures_record_{round_no}", enter_to_submit=False):
        left, right = st.columns(2)
        with left:
            recipient_id = st.selectbox(
                "Recipient",
                list(active),
                index=None,
                placeholder="Choose a recipient from the register",
                format_func=lambda i: (
                    f"{active[i].name} ({active[i].country_name})"
                    + (" ⚠️" if active[i].problem else "")
                ),
            )
            widgets.field_error(errors, "recipient")
            purpose = st.text_input(
                "Purpose", max_chars=settings.MAX_SHORT_TEXT, placeholder="e.g. Event catering"
            )
            widgets.field_error(errors, "purpose")
            categories = st.multiselect(
                "Data categories", list(CATEGORY_LABELS), format_func=CATEGORY_LABELS.get
            )
            widgets.field_error(errors, "data_categories")
            basis = st.selectbox(
                "Legal basis", list(LEGAL_BASES), index=None, format_func=LEGAL_BASES.get
            )
            widgets.field_error(errors, "legal_basis")
        with right:
            people_text = st.text_area(
                "Persons (ids)",
                placeholder="Person ids separated by commas, spaces or lines",
                help=f"At most {settings.MANUAL_DISCLOSURE_MAX_PERSONS:,} persons. "
                "Find ids on the Persons page or under Per person.",
            )
            segment_id = st.selectbox(
                "Or the current members of a saved segment",
                list(segment_names),
                index=None,
                placeholder="No segment",
                format_func=segment_names.get,
            )
            widgets.field_error(errors, "persons")
            disclosed_on = st.date_input(
                "Date of the disclosure", value=today, max_value=today, format="DD.MM.YYYY"
            )
            widgets.field_error(errors, "disclosed_on")
            note = st.text_area("Note", max_chars=settings.MAX_LONG_TEXT)
            widgets.field_error(errors, "note")
        submitted = st.form_submit_button("Record disclosure", type="primary")
    if recipient_id is not None and active[recipient_id].problem:
        st.warning(
            f"{widgets.plain(active[recipient_id].name)}: "
            f"{widgets.plain(active[recipient_id].problem)}. The disclosure "
            "is still recorded as it happened.",
            icon=":material/gpp_maybe:",
        )
    if submitted:
        data = DisclosureInput(
            recipient_id=recipient_id,
            purpose=purpose,
            data_categories=tuple(categories),
            legal_basis=basis or "",
            persons=people_text,
            disclosed_on=disclosed_on,
            note=note,
            segment_id=segment_id,
        )
        with widgets.session() as s:
            try:
                made = disclosures.record_disclosure(s, actor, data)
            except ValidationError as e:
                st.session_state["disclosures_record_errors"] = e.field_errors
            else:
                st.session_state["disclosures_record_errors"] = {}
                st.session_state["disclosures_record_round"] = round_no + 1
                widgets.flash(
                    FLASH,
                    f"Recorded disclosure #{made.id}: {made.person_count:,} persons to "
                    f"{widgets.plain(active[made.recipient_id].name)}.",
                )
                widgets.data_changed()
        st.rerun()
