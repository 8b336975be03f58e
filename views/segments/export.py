"""The Export tab: a consent-clean target list, checked before the download, recorded as a
disclosure with its audit event when it is written."""

from __future__ import annotations

import io
import tempfile
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from registry import deadlines, export, settings, spreadsheet
from registry.marketing_basis import basis_label
from registry.permissions import Actor, Permission
from registry.segments import catalogue
from registry.vocabulary import Channel
from views import widgets
from views.segments.common import (
    EXPORT_ERRORS,
    EXPORT_FOR_KEY,
    EXPORT_INPUTS,
    EXPORT_KEY,
    Selection,
    preview_of,
)


def export_file(
    actor: Actor,
    request: dict[str, Any],
    target: catalogue.SegmentChoice,
    file_format: spreadsheet.FileFormat,
) -> bytes:
    """Runs when a download is clicked: the export is recorded as it is written. The domain
    streams the rows to a temporary file, as CSV and as XLSX at once; Streamlit serves the
    finished file's bytes.

    One prepared list is one disclosure, in whichever formats it is downloaded: the first
    click writes both files and records the disclosure; any later click, in either format,
    serves the files made then, kept in the request (the dict the session holds; the click
    runs outside the script, where st.session_state cannot be reached), and the domain
    refuses to record one token twice."""
    if (kept := request.get("files")) is not None:
        return kept[file_format]
    with tempfile.TemporaryFile() as spool, tempfile.TemporaryFile() as book:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        with widgets.session() as s:
            export.export_target_list(
                s,
                actor,
                target,
                request["channel"],
                request["recipient"],
                request["purpose"],
                text,
                token=request["token"],
                xlsx=book,
            )
        text.detach()  # flushes, and leaves the file to the with block
        spool.seek(0)
        book.seek(0)
        files = {spreadsheet.FileFormat.CSV: spool.read(), spreadsheet.FileFormat.XLSX: book.read()}
    request["files"] = files  # a new check of the list replaces the request, and these with it
    widgets.data_changed()
    return files[file_format]


def _seed_inputs(selected_key: str, request: dict[str, Any]) -> None:
    """Put the segment's own last request into the form's inputs before they are drawn.

    The inputs' state is their one source of truth (no value= or index=); it is reset from
    the segment's request when another segment is chosen, and after a run that did not draw
    the tab (Streamlit then drops a widget's state), so a purpose written for one segment
    never stands under another."""
    state = st.session_state
    seeds = {
        EXPORT_INPUTS["channel"]: Channel(request.get("channel", Channel.NEWSLETTER)),
        EXPORT_INPUTS["recipient"]: request.get("recipient"),
        EXPORT_INPUTS["purpose"]: request.get("purpose", ""),
    }
    changed = state.get(EXPORT_FOR_KEY) != selected_key
    for key, value in seeds.items():
        if changed or key not in state:
            state[key] = value
    state[EXPORT_FOR_KEY] = selected_key


def export_tab(actor: Actor, selection: Selection) -> None:
    if not actor.may(Permission.EXPORT_TARGET_LIST):
        st.info(f"The {actor.role} role may not export target lists.")
        return
    choice, selected_key = selection.choice, selection.key
    with widgets.session() as s:
        recipients = {r.id: r for r in export.recipients(s, actor)}
        recent = export.recent_exports(s, actor)
    export_errors = widgets.form_errors(EXPORT_ERRORS)
    # Each segment keeps its own request: its channel, recipient and purpose.
    requests: dict[str, dict[str, Any]] = st.session_state.setdefault(EXPORT_KEY, {})
    request = requests.get(selected_key) or {}
    if request.get("recipient") not in recipients:  # deactivated since: check again
        request = {k: v for k, v in request.items() if k not in ("recipient", "ready")}
    _seed_inputs(selected_key, request)
    st.markdown(
        f"Exporting the segment **{widgets.plain(choice.label)}**: "
        f"{widgets.plain(choice.definition.sentence())}"
    )
    with st.form("segments_export"):
        channel_col, recipient_col = st.columns(2)
        channel = channel_col.selectbox(
            "Channel",
            list(Channel),
            format_func=lambda c: Channel(c).label,
            key=EXPORT_INPUTS["channel"],
        )
        widgets.field_error(export_errors, "channel")
        recipient_id = recipient_col.selectbox(
            "Recipient (from the recipients register)",
            list(recipients),
            format_func=lambda i: (
                recipients[i].label
                + (" — no valid transfer basis" if recipients[i].problem else "")
            ),
            placeholder="Choose who receives the list",
            key=EXPORT_INPUTS["recipient"],
        )
        widgets.field_error(export_errors, "recipient")
        purpose = st.text_input(
            "Purpose of the disclosure",
            max_chars=settings.MAX_SHORT_TEXT,
            placeholder=f"e.g. {Channel.NEWSLETTER.label} of "
            f"{deadlines.today():%B %Y} to {choice.title}",
            key=EXPORT_INPUTS["purpose"],
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
        requests[selected_key] = {
            "channel": channel.value,
            "recipient": recipient_id,
            "purpose": purpose,
            "segment": selected_key,
            "ready": not errors,
            # A new prepared list: its first download records the disclosure, once.
            "token": export.prepared_list_token(),
        }
        st.rerun()
    if request.get("ready") and request.get("segment") == selected_key:
        shown = preview_of(
            selection.definition, request["channel"], selection.day, request["recipient"]
        )
        target_channel = Channel(request["channel"])
        st.markdown(
            f"**{shown.exported:,}** of {shown.matched:,} persons matching the segment go "
            f"on the {target_channel.label.lower()} list. The basis relied on:"
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
                f"{shown.exported:,} persons of {choice.label} ({categories} data), each "
                "with the basis relied on, and an audit event, once for this prepared list; "
                "a second download, as CSV or as XLSX, gives the same list and records "
                "nothing more."
            )
        )
        columns = st.columns([1, 1, 2])
        for column, file_format in zip(columns, spreadsheet.FileFormat, strict=False):
            column.download_button(
                f"Download the list ({file_format.label})",
                data=partial(export_file, actor, request, choice, file_format),
                file_name=export.file_name(choice, target_channel, file_format=file_format),
                mime=file_format.mime,
                type="primary",
                icon=":material/download:",
                disabled=shown.exported == 0,
                on_click="ignore",
                key=f"segments_export_download_{file_format.value}",
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
