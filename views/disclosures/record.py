"""The Record a disclosure tab: a disclosure made outside the segment export, by hand.

By person ids, or by a saved segment and channel: then the list is made as the export makes
it (the same rules, the same function), checked first with its counts per basis and per
reason left out, and exactly the persons checked are recorded."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from registry import disclosure_by_hand, labels, settings
from registry.disclosure_by_hand import DisclosureInput
from registry.disclosures import CATEGORY_LABELS, LEGAL_BASES
from registry.errors import ValidationError
from registry.export import ExportPreview
from registry.marketing_basis import basis_label
from registry.permissions import Actor, Permission
from registry.vocabulary import Channel
from views import widgets
from views.disclosures.common import active_recipients, segment_choices

FLASH = "disclosures_recorded"
CHECK = "disclosures_record_check"  # (the input, its checked list) awaiting the record


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
                "Legal basis",
                list(LEGAL_BASES),
                index=None,
                format_func=LEGAL_BASES.get,
                help="For persons given by id. A segment's list records each person's own "
                "basis under the marketing declaration.",
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
                help="Its list for the channel below is made as an export makes it: persons "
                "without a basis for the channel are left out. Checked before it is recorded.",
            )
            widgets.field_error(errors, "persons")
            channel = st.selectbox(
                "Channel of the segment's list",
                list(Channel),
                index=None,
                placeholder="Only with a segment",
                format_func=lambda c: Channel(c).label,
            )
            widgets.field_error(errors, "channel")
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
            channel=channel,
        )
        if segment_id is None:
            _record(actor, data, None, round_no)
        else:
            _check(actor, data)
        st.rerun()
    if checked := st.session_state.get(CHECK):
        _checked_list(actor, *checked, round_no)


def _check(actor: Actor, data: DisclosureInput) -> None:
    """Check a segment's list; the counts wait under the form for the record."""
    with widgets.session() as s:
        try:
            shown = disclosure_by_hand.check_list(s, actor, data)
        except ValidationError as e:
            st.session_state["disclosures_record_errors"] = e.field_errors
            st.session_state.pop(CHECK, None)
        else:
            st.session_state["disclosures_record_errors"] = {}
            st.session_state[CHECK] = (data, shown)


def _checked_list(actor: Actor, data: DisclosureInput, shown: ExportPreview, round_no: int) -> None:
    with st.container(border=True):
        st.markdown(f"**The {labels.of(Channel, shown.channel).lower()} list, checked**")
        st.write(widgets.plain(shown.sentence()))
        rows = [(f"Sent on: {b}", n) for b, n in _bases(shown)] + [
            (shown.label(r), n) for r, n in shown.left_out.items() if n
        ]
        if rows:
            st.table({"": [r for r, _ in rows], "Persons": [f"{n:,}" for _, n in rows]})
        left, right = st.columns(2)
        if left.button(
            f"Record the list of {shown.exported:,} persons",
            type="primary",
            key="disclosures_record_confirm",
            disabled=shown.exported == 0,
        ):
            _record(actor, data, shown, round_no)
            st.rerun()
        if right.button("Cancel", key="disclosures_record_cancel"):
            st.session_state.pop(CHECK, None)
            st.rerun()


def _bases(shown: ExportPreview) -> list[tuple[str, int]]:
    return [(basis_label(b), n) for b, n in shown.by_basis.items() if n]


def _record(
    actor: Actor, data: DisclosureInput, shown: ExportPreview | None, round_no: int
) -> None:
    with widgets.session() as s:
        try:
            made = disclosure_by_hand.record_disclosure(s, actor, data, shown)
        except ValidationError as e:
            st.session_state["disclosures_record_errors"] = e.field_errors
            st.session_state.pop(CHECK, None)
        else:
            st.session_state["disclosures_record_errors"] = {}
            st.session_state["disclosures_record_round"] = round_no + 1
            st.session_state.pop(CHECK, None)
            widgets.flash(
                FLASH,
                f"Recorded disclosure #{made.id}: {made.person_count:,} persons to "
                f"{widgets.plain(made.recipient.name)}.",
            )
            widgets.data_changed()
