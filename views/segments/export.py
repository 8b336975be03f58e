"""The Export tab: a consent-clean target list, checked before the download, recorded as a
disclosure with its audit event when it is written."""

from __future__ import annotations

import io
import tempfile
from typing import Any

import pandas as pd
import streamlit as st

from registry import deadlines, export, settings
from registry.filters import CHANNEL_LABELS
from registry.marketing_basis import basis_label
from registry.permissions import Actor, Permission
from registry.segments import catalogue
from registry.vocabulary import Channel
from views import widgets
from views.segments.common import EXPORT_ERRORS, EXPORT_KEY, Selection, preview_of


def export_file(actor: Actor, request: dict[str, Any], target: catalogue.SegmentChoice) -> bytes:
    """Runs when the download is clicked: the export is recorded as it is written. The domain
    streams the rows to a temporary file; Streamlit serves the finished file's bytes."""
    with tempfile.TemporaryFile() as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        with widgets.session() as s:
            export.export_target_list(
                s, actor, target, request["channel"], request["recipient"], request["purpose"], text
            )
        text.detach()  # flushes, and leaves the file to the with block
        spool.seek(0)
        data = spool.read()
    widgets.data_changed()
    return data


def export_tab(actor: Actor, selection: Selection) -> None:
    if not actor.may(Permission.EXPORT_TARGET_LIST):
        st.info(f"The {actor.role} role may not export target lists.")
        return
    choice, selected_key = selection.choice, selection.key
    with widgets.session() as s:
        recipients = {r.id: r for r in export.recipients(s, actor)}
        recent = export.recent_exports(s, actor)
    export_errors = widgets.form_errors(EXPORT_ERRORS)
    request = st.session_state.get(EXPORT_KEY) or {}
    with st.form("segments_export"):
        channel_col, recipient_col = st.columns(2)
        channel = channel_col.selectbox(
            "Channel",
            list(Channel),
            index=list(Channel).index(Channel(request.get("channel", Channel.NEWSLETTER))),
            format_func=lambda c: CHANNEL_LABELS[c],
            key="segments_export_channel",
        )
        widgets.field_error(export_errors, "channel")
        recipient_ids = list(recipients)
        default_recipient = request.get("recipient")
        recipient_id = recipient_col.selectbox(
            "Recipient (from the recipients register)",
            recipient_ids,
            index=recipient_ids.index(default_recipient)
            if default_recipient in recipient_ids
            else None,
            format_func=lambda i: (
                recipients[i].label
                + (" — no valid transfer basis" if recipients[i].problem else "")
            ),
            placeholder="Choose who receives the list",
            key="segments_export_recipient",
        )
        widgets.field_error(export_errors, "recipient")
        purpose = st.text_input(
            "Purpose of the disclosure",
            value=request.get("purpose", ""),
            max_chars=settings.MAX_SHORT_TEXT,
            placeholder=f"e.g. {CHANNEL_LABELS[Channel.NEWSLETTER]} of "
            f"{deadlines.today():%B %Y} to {choice.title}",
            key="segments_export_purpose",
        )
        widgets.field_error(export_errors, "purpose")
        checked = st.form_submit_button("Check the list", type="primary")
    if checked:
        errors: dict[str, str] = {}
        if recipient_id is None:
            errors["recipient"] = "Choose who receives the list."
        elif refusal := recipients[recipient_id].refusal(channel):
            # A transfer problem, or a recipient whose role may not receive this list.
            errors["recipient"] = f"{refusal}."
        if not purpose.strip():
            errors["purpose"] = "Say what the list is for."
        st.session_state[EXPORT_ERRORS] = errors
        st.session_state[EXPORT_KEY] = {
            "channel": channel.value,
            "recipient": recipient_id,
            "purpose": purpose,
            "segment": selected_key,
            "ready": not errors,
        }
        st.rerun()
    if request.get("ready") and request.get("segment") == selected_key:
        shown = preview_of(
            selection.definition, request["channel"], selection.day, request["recipient"]
        )
        target_channel = Channel(request["channel"])
        st.markdown(
            f"**{shown.exported:,}** of {shown.matched:,} persons matching the segment go "
            f"on the {CHANNEL_LABELS[target_channel].lower()} list. The basis relied on:"
        )
        st.dataframe(
            pd.DataFrame(
                [(basis_label(b), n) for b, n in shown.by_basis.items()],
                columns=["Basis", "Persons"],
            ),
            hide_index=True,
            width="content",
            key="segments_export_bases",
        )
        st.markdown("Left out:")
        st.dataframe(
            pd.DataFrame(
                [(shown.label(r), n) for r, n in shown.left_out.items() if n],
                columns=["Reason", "Persons"],
            ),
            hide_index=True,
            width="content",
            key="segments_export_left_out",
        )
        receiver = recipients[request["recipient"]]
        categories = ", ".join(c.replace("_", " ") for c in export.DATA_CATEGORIES[target_channel])
        st.caption(
            widgets.plain(
                f"Downloading records a disclosure to {receiver.name} of these "
                f"{shown.exported:,} persons ({categories} data), each with the basis "
                "relied on, and an audit event."
            )
        )
        st.download_button(
            "Download the list (CSV)",
            data=lambda: export_file(actor, request, choice),
            file_name=export.file_name(choice, target_channel),
            mime="text/csv",
            type="primary",
            icon=":material/download:",
            disabled=shown.exported == 0,
            on_click="ignore",
        )
    if recent:
        st.markdown("**Your latest exports**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "When": r.disclosed_at.astimezone(settings.REGISTRY_TZ).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                        "Recipient": r.recipient,
                        "Purpose": r.purpose,
                        "Persons": r.persons,
                    }
                    for r in recent
                ]
            ),
            hide_index=True,
            width="stretch",
        )
