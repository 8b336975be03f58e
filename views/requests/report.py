"""The Art. 15 report part of a request: the reply language, the review of others' data
(Art. 15(4)), the draft and the final report; telling the person of an extension; and the
letters sent, kept as they were sent and downloadable after the request is closed."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from registry import report, settings
from registry.errors import ConflictError, NotFound, RegistryError, ValidationError
from registry.formats import finnish_date
from registry.permissions import Actor
from registry.report import notices, review, sent
from registry.report.language import LANGUAGE_NAMES, LANGUAGES
from registry.requests.request_view import RequestView
from registry.requests.rules import Action
from views import widgets
from views.requests.common import (
    REPORT,
    STEP_ERRORS,
    conflict,
    done,
    helsinki,
    ss,
    step,
    step_errors,
    stored_copies,
)

REVIEW = "review"  # the key of the review form's errors in STEP_ERRORS


def language_form(actor: Actor, view: RequestView, today: dt.date) -> None:
    """The reply language: every letter on the request from now on is written in it."""
    errors = step_errors(Action.LANGUAGE)
    conflict(Action.LANGUAGE)
    with st.form("requests_language_form"):
        language = st.selectbox(
            "Reply language",
            list(LANGUAGES),
            index=list(LANGUAGES).index(view.reply_language),
            format_func=LANGUAGE_NAMES.__getitem__,
            help="The letter, its headings, dates and numbers are written in this language. "
            "Letters already sent stay as they were sent.",
        )
        widgets.field_error(errors, "reply_language")
        if st.form_submit_button("Set the reply language"):
            step(
                Action.LANGUAGE,
                lambda s: notices.set_reply_language(s, actor, view.id, language),
                f"Letters on request #{view.id} are now in {LANGUAGE_NAMES[language]}.",
            )


def _failed(errors: dict[str, str] | None, message: str | None = None) -> None:
    ss[STEP_ERRORS] = {
        REVIEW: errors or {},
        Action.REPORT: {"conflict": message} if message else {},
    }
    st.rerun()


def review_section(actor: Actor, view: RequestView) -> None:
    """Art. 15(4): free text that may carry others' data, and the passages withheld."""
    errors = ss.get(STEP_ERRORS, {}).get(REVIEW, {})
    with widgets.session() as s:
        texts = review.free_texts(s, actor, view.id)
    st.markdown("**Review (Art. 15(4))**")
    if not texts:
        st.caption("No free text on the person to review.")
        return
    st.caption(
        "Activity details, consent evidence, request texts and notes may name other people. "
        "Withhold a passage that is someone else's data; the letter marks it and lists why."
    )
    st.dataframe(
        pd.DataFrame(
            {
                "Where": [f"{x.label} #{x.record_id}" for x in texts],
                "Text": [x.text for x in texts],
                "Withheld": ["; ".join(r.passage for r in x.redactions) for x in texts],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    labels = {
        (x.record_type, x.record_id, x.field): f"{x.label} #{x.record_id}: {x.text[:60]}"
        for x in texts
    }
    with st.form("requests_redact_form"):
        chosen = st.selectbox("Text", list(labels), format_func=labels.__getitem__)
        widgets.field_error(errors, "field")
        passage = st.text_input(
            "Passage to withhold", max_chars=settings.MAX_LONG_TEXT, help="Copy it exactly."
        )
        widgets.field_error(errors, "passage")
        reason = st.text_input(
            "Reason",
            max_chars=settings.MAX_SHORT_TEXT,
            placeholder="e.g. another customer's name and email",
        )
        widgets.field_error(errors, "reason")
        if st.form_submit_button("Withhold the passage"):
            try:
                with widgets.session() as s:
                    review.add_redaction(s, actor, view.id, *chosen, passage, reason)
            except ValidationError as e:
                _failed(e.field_errors)
            except (ConflictError, NotFound) as e:
                _failed(None, str(e))
            ss.pop(REPORT, None)  # a draft made before no longer shows the report
            done("Passage withheld from the report.")
    withheld = sorted((r for x in texts for r in x.redactions), key=lambda r: r.id)
    for number, r in enumerate(withheld, 1):
        cols = st.columns([5, 1])
        with cols[0]:
            st.markdown(f"**{number}.** {widgets.plain(r.passage)} — {widgets.plain(r.reason)}")
        with cols[1]:
            if st.button("Put back", key=f"requests_unredact_{r.id}"):
                ss.pop(REPORT, None)
                step(
                    Action.REPORT,
                    lambda s, rid=r.id: review.withdraw_redaction(s, actor, rid),
                    "The passage is back in the report.",
                )


def report_section(actor: Actor, view: RequestView, today: dt.date) -> None:
    conflict(Action.REPORT)
    language = LANGUAGE_NAMES.get(view.reply_language, view.reply_language)
    st.markdown(f"Letters in **{language}**.")
    language_form(actor, view, today)
    review_section(actor, view)
    st.markdown("**Draft and final report**")
    left, right = st.columns(2)
    with left:
        if st.button(
            "Preview a draft",
            icon=":material/visibility:",
            help="The report as it stands, marked as a draft: not stored, not sent. "
            "Recorded in the audit trail.",
        ):
            try:
                with widgets.session() as s:
                    draft = report.preview(s, actor, view.id)
            except (ConflictError, NotFound, RegistryError) as e:
                _failed(None, str(e))
            ss[REPORT] = {
                "id": view.id,
                "html": draft.html,
                "records": draft.report.record_count,
                "redactions": len(draft.report.redactions),
            }
            ss[STEP_ERRORS] = {}
            st.rerun()
    with right:
        if st.button(
            "Generate the final report" if not view.report_generated_at else "Generate it again",
            type="primary" if not view.report_generated_at else "secondary",
            icon=":material/description:",
            help="Reads every record on the matched person and the registry declaration, "
            "applies the withheld passages, and keeps the exact letter and data sent. "
            "Recorded in the audit trail and the request's history.",
        ):
            try:
                with widgets.session() as s:
                    final = report.generate(s, actor, view.id)
            except (ConflictError, NotFound, RegistryError) as e:
                _failed(None, str(e))
            ss.pop(REPORT, None)
            done(
                f"Final report generated and kept (copy #{final.document_id}): "
                "download it under Letters sent."
            )
    made = ss.get(REPORT)
    if made and made["id"] == view.id:
        withheld = f", {made['redactions']} passages withheld" if made["redactions"] else ""
        st.caption(f"Draft: {made['records']} records{withheld}.")
        with st.expander("Preview the draft", expanded=True):
            components.html(made["html"], height=700, scrolling=True)


def told_form(actor: Actor, view: RequestView, today: dt.date) -> None:
    """Art. 12(3): recording that the person was told of the extension and its reasons."""
    errors = step_errors(Action.TELL_EXTENSION)
    conflict(Action.TELL_EXTENSION)
    st.caption(
        f"Tell the person by {finnish_date(view.original_due_on)}: the notice of extension is "
        "kept under Letters sent."
    )
    with st.form("requests_told_form"):
        told_on = st.date_input(
            "Told on", value=today, max_value=today, format="DD.MM.YYYY", key="requests_told_on"
        )
        widgets.field_error(errors, "told_on")
        channel = st.selectbox(
            "How",
            list(notices.TOLD_CHANNELS),
            format_func=notices.TOLD_CHANNELS.__getitem__,
        )
        widgets.field_error(errors, "channel")
        if st.form_submit_button("Record that the person was told"):
            step(
                Action.TELL_EXTENSION,
                lambda s: notices.record_extension_told(
                    s, actor, view.id, told_on, channel, today=today
                ),
                "Recorded: the person was told of the extension.",
            )


def letters_sent(actor: Actor, view: RequestView) -> None:
    """The exact letters and data sent on the request: downloadable, also once it is closed."""
    copies = stored_copies(view.id)
    if not copies:
        if view.report_generated_at:
            st.caption(
                "The report was generated before copies of what was sent were kept: "
                "no copy is stored."
            )
        return
    st.markdown("#### Letters sent")
    for c in copies:
        with st.container(border=True):
            kind = sent.DOCUMENT_KINDS.get(c.kind, c.kind)
            by = f" by {c.created_by}" if c.created_by else ""
            st.markdown(
                f"**{kind}** · {LANGUAGE_NAMES.get(c.language, c.language)} · "
                f"{helsinki(c.created_at)}{widgets.plain(by)}"
            )
            st.caption(f"SHA-256 {c.html_sha256}")
            cols = st.columns(2)
            parts = ((cols[0], "html", c.html_bytes), (cols[1], "json", c.json_bytes))
            for col, part, size in parts:
                if size is None:
                    continue

                def fetch(doc_id: int = c.id, what: str = part) -> bytes:
                    # Runs on the click: the stored bytes, checksum verified, download audited.
                    with widgets.session() as s:
                        return sent.download(s, actor, doc_id, what)

                with col:
                    st.download_button(
                        f"Download the {'letter (HTML)' if part == 'html' else 'data (JSON)'}",
                        data=fetch,
                        file_name=sent.file_name(c, part),
                        mime="text/html" if part == "html" else "application/json",
                        icon=":material/download:",
                        on_click="ignore",
                        key=f"requests_copy_{c.id}_{part}",
                    )
