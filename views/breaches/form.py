"""The record and edit form of a breach, and the tab that records a new one."""

from __future__ import annotations

import streamlit as st

from registry import breaches, settings
from registry.breaches import BreachInput
from registry.disclosures import CATEGORY_LABELS
from registry.errors import ValidationError
from registry.models import Breach
from registry.permissions import Actor
from registry.recipients import RELATIONSHIP_LABELS
from registry.vocabulary import (
    BREACH_RISK_LABELS,
    BREACH_SOURCE_LABELS,
)
from views import widgets
from views.breaches.common import (
    ADD_ROUND,
    GOTO,
    SELECTED,
    choices,
    combined,
    done,
    errors_of,
    set_errors,
    ss,
    when_input,
)


def breach_form(key: str, current: Breach | None) -> BreachInput | None:
    """The record or edit form; returns the input when submitted (None: not submitted)."""
    errors = errors_of(key)
    options = choices()
    recipients = dict(options.recipients)
    accounts = dict(options.accounts)
    with st.form(key, enter_to_submit=False):
        widgets.field_error(errors, "conflict")
        summary = st.text_input(
            "What happened, in a line",
            key=f"{key}_summary",
            value=current.summary if current else "",
            max_chars=settings.MAX_SHORT_TEXT,
        )
        widgets.field_error(errors, "summary")
        description = st.text_area(
            "Description: the nature of the breach",
            key=f"{key}_description",
            value=current.description if current else "",
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "description")
        occurred = when_input(
            "Happened (or began)", f"{key}_occurred", current.occurred_at if current else None
        )
        widgets.field_error(errors, "occurred_at")
        aware = when_input(
            "Controller became aware",
            f"{key}_aware",
            current.aware_at if current else None,
            "The 72 hours to notify the Ombudsman start here (Art. 33(1)).",
        )
        widgets.field_error(errors, "aware_at")
        ended = when_input(
            "Ended (leave empty while it goes on)",
            f"{key}_ended",
            current.ended_at if current else None,
        )
        widgets.field_error(errors, "ended_at")

        sources = list(BREACH_SOURCE_LABELS)
        source = st.selectbox(
            "Source",
            sources,
            key=f"{key}_source",
            index=sources.index(current.source) if current else 0,
            format_func=BREACH_SOURCE_LABELS.get,
            help="Fill in below the field that goes with the source; the others are ignored.",
        )
        widgets.field_error(errors, "source")
        left, right = st.columns(2)
        recipient_ids = list(recipients)
        recipient_id = left.selectbox(
            "Recipient (for a recipient's breach)",
            recipient_ids,
            key=f"{key}_recipient",
            index=recipient_ids.index(current.source_recipient_id)
            if current and current.source_recipient_id in recipients
            else None,
            format_func=recipients.get,
        )
        with left:
            widgets.field_error(errors, "source_recipient_id")
        account_ids = list(accounts)
        user_id = right.selectbox(
            "Dashboard account (for a misused account)",
            account_ids,
            key=f"{key}_account",
            index=account_ids.index(current.source_user_id)
            if current and current.source_user_id in accounts
            else None,
            format_func=accounts.get,
        )
        with right:
            widgets.field_error(errors, "source_user_id")
        detail = left.text_input(
            "System or device (for an internal system or a lost device)",
            key=f"{key}_detail",
            value=current.source_detail if current else "",
            max_chars=settings.MAX_SHORT_TEXT,
        )
        with left:
            widgets.field_error(errors, "source_detail")
        disclosure_text = right.text_input(
            "Disclosure # of the list it held (optional)",
            key=f"{key}_disclosure",
            value=str(current.source_disclosure_id or "") if current else "",
            help="The id in the disclosure log of an exported list on the device or in the "
            "system. Empty: it held the whole registry.",
        )
        with right:
            widgets.field_error(errors, "source_disclosure_id")

        cat_col, rel_col = st.columns(2)
        categories = cat_col.multiselect(
            "Data categories concerned",
            list(CATEGORY_LABELS),
            key=f"{key}_categories",
            default=list(current.data_categories) if current else [],
            format_func=CATEGORY_LABELS.get,
        )
        with cat_col:
            widgets.field_error(errors, "data_categories")
        relationships = rel_col.multiselect(
            "Relationships concerned (empty: all)",
            list(RELATIONSHIP_LABELS),
            key=f"{key}_relationships",
            default=list(current.relationships) if current else [],
            format_func=RELATIONSHIP_LABELS.get,
        )
        with rel_col:
            widgets.field_error(errors, "relationships")
        consequences = st.text_area(
            "Likely consequences",
            key=f"{key}_consequences",
            value=current.consequences if current else "",
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "consequences")
        measures = st.text_area(
            "Measures taken or proposed",
            key=f"{key}_measures",
            value=current.measures if current else "",
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "measures")
        risks = list(BREACH_RISK_LABELS)
        risk = st.selectbox(
            "Risk to persons",
            risks,
            key=f"{key}_risk",
            index=risks.index(current.risk) if current and current.risk else None,
            format_func=BREACH_RISK_LABELS.get,
            placeholder="Not assessed yet",
        )
        widgets.field_error(errors, "risk")
        reasoning = st.text_area(
            "Reasoning of the risk assessment",
            key=f"{key}_reasoning",
            value=current.risk_reasoning if current else "",
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "risk_reasoning")
        submitted = st.form_submit_button(
            "Save changes" if current else "Record breach", type="primary"
        )
    if not submitted:
        return None
    page_errors: dict[str, str] = {}
    disclosure_id: int | None = None
    if disclosure_text.strip():
        if disclosure_text.strip().isdigit():
            disclosure_id = int(disclosure_text.strip())
        else:
            page_errors["source_disclosure_id"] = "Enter the number of the disclosure."
    data = BreachInput(
        summary=summary,
        description=description,
        occurred_at=combined(occurred, "occurred_at", page_errors),
        aware_at=combined(aware, "aware_at", page_errors),
        ended_at=combined(ended, "ended_at", page_errors),
        source=source or "",
        source_recipient_id=recipient_id,
        source_user_id=user_id,
        source_disclosure_id=disclosure_id,
        source_detail=detail,
        data_categories=tuple(categories),
        relationships=tuple(relationships),
        consequences=consequences,
        measures=measures,
        risk=risk,
        risk_reasoning=reasoning,
    )
    if page_errors:
        # Half-entered times are the page's to refuse; the domain reports the other fields.
        with widgets.session() as s:
            try:
                breaches.validate(s, data, current=current)
            except ValidationError as e:
                page_errors = {**e.field_errors, **page_errors}
        set_errors(key, page_errors)
        st.rerun()
    return data


def record(actor: Actor) -> None:
    """The Record a breach tab."""
    add_round = ss.get(ADD_ROUND, 0)
    add_key = f"breaches_add_{add_round}"
    if new := breach_form(add_key, None):
        with widgets.session() as s:
            try:
                made = breaches.record_breach(s, actor, new)
            except ValidationError as e:
                set_errors(add_key, e.field_errors)
                st.rerun()
        ss[ADD_ROUND] = add_round + 1
        ss[SELECTED] = made.id
        ss[GOTO] = "Register"
        done(add_key, f"{breaches.reference(made.id)} recorded. The clock runs from awareness.")
