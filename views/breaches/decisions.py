"""A breach's decisions: the Ombudsman notified or why not (Art. 33), the persons told or
why not (Art. 34)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from registry import breaches, settings
from registry.breaches import AuthorityInput, PersonsInput
from registry.models import Breach
from registry.permissions import Actor
from registry.vocabulary import (
    AUTHORITY_DECISION_LABELS,
    PERSONS_DECISION_LABELS,
    PERSONS_EXEMPTION_LABELS,
    AuthorityDecision,
    PersonsDecision,
)
from views import widgets
from views.breaches.common import (
    combined,
    errors_of,
    label,
    moment,
    save,
    set_errors,
    when_input,
)


def show(actor: Actor, breach: Breach, row: breaches.RegisterRow) -> None:
    """The Ombudsman decision and the persons decision, each its own form."""
    st.markdown("**The Data Protection Ombudsman (Art. 33)**")
    if breach.authority_decision == AuthorityDecision.NOTIFIED:
        st.caption(
            f"Notified {moment(breach.authority_notified_at)}"
            + (
                f", reference {widgets.plain(breach.authority_reference)}"
                if breach.authority_reference
                else ""
            )
            + f"; {row.clock.text}."
        )
    elif breach.authority_decision == AuthorityDecision.NOT_NOTIFIED:
        st.caption(f"Not notified: {widgets.plain(breach.authority_reason)}")
    else:
        st.caption(f"Not decided; {row.clock.text} (deadline {row.clock.deadline_text}).")
    key = f"breaches_authority_{breach.id}_{breach.version}"
    errors = errors_of(key)
    with st.form(key, enter_to_submit=False):
        decisions_ = list(AUTHORITY_DECISION_LABELS)
        decision = st.radio(
            "Decision",
            decisions_,
            key=f"{key}_decision",
            index=decisions_.index(breach.authority_decision)
            if breach.authority_decision
            else None,
            format_func=AUTHORITY_DECISION_LABELS.get,
            horizontal=True,
        )
        widgets.field_error(errors, "decision")
        notified = when_input("Notified", f"{key}_notified", breach.authority_notified_at)
        widgets.field_error(errors, "notified_at")
        reference = st.text_input(
            "The Ombudsman's reference (optional)",
            key=f"{key}_reference",
            value=breach.authority_reference,
            max_chars=settings.MAX_SHORT_TEXT,
        )
        widgets.field_error(errors, "reference")
        delay = st.text_area(
            "Reasons for the delay (needed after the 72 hours)",
            key=f"{key}_delay",
            value=breach.delay_reasons,
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "delay_reasons")
        reason = st.text_area(
            "Why it is not notified (only when no risk is likely)",
            key=f"{key}_reason",
            value=breach.authority_reason,
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "reason")
        if st.form_submit_button("Record the Ombudsman decision", type="primary"):
            submit(
                key,
                notified,
                "notified_at",
                lambda s, at: breaches.decide_authority(
                    s,
                    actor,
                    breach.id,
                    AuthorityInput(decision, at, reference, reason, delay),
                    breach.version,
                ),
                f"{row.reference}: the Ombudsman decision is recorded.",
            )

    st.markdown("**The persons (Art. 34)**")
    if breach.persons_decision == PersonsDecision.TOLD:
        st.caption(f"Told {moment(breach.persons_told_at)}: {widgets.plain(breach.persons_how)}")
    elif breach.persons_decision == PersonsDecision.NOT_TOLD:
        ground = label(PERSONS_EXEMPTION_LABELS, breach.persons_exemption, "")
        st.caption(
            f"Not told{': ' + ground if ground else ''}. " + widgets.plain(breach.persons_reason)
        )
    else:
        st.caption("Not decided.")
    key = f"breaches_persons_{breach.id}_{breach.version}"
    errors = errors_of(key)
    with st.form(key, enter_to_submit=False):
        decisions_ = list(PERSONS_DECISION_LABELS)
        decision = st.radio(
            "Decision",
            decisions_,
            key=f"{key}_decision",
            index=decisions_.index(breach.persons_decision) if breach.persons_decision else None,
            format_func=PERSONS_DECISION_LABELS.get,
            horizontal=True,
        )
        widgets.field_error(errors, "decision")
        told = when_input("Told", f"{key}_told", breach.persons_told_at)
        widgets.field_error(errors, "told_at")
        how = st.text_input(
            "How they were told",
            key=f"{key}_how",
            value=breach.persons_how,
            max_chars=settings.MAX_SHORT_TEXT,
            placeholder="e.g. letters by post and email through the mailing processor",
        )
        widgets.field_error(errors, "how")
        grounds = list(PERSONS_EXEMPTION_LABELS)
        exemption = st.selectbox(
            "Art. 34(3) ground (for a high risk not told one by one)",
            grounds,
            key=f"{key}_exemption",
            index=grounds.index(breach.persons_exemption) if breach.persons_exemption else None,
            format_func=PERSONS_EXEMPTION_LABELS.get,
        )
        widgets.field_error(errors, "exemption")
        reason = st.text_area(
            "Why they are not told",
            key=f"{key}_reason",
            value=breach.persons_reason,
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "reason")
        if st.form_submit_button("Record the persons decision", type="primary"):
            submit(
                key,
                told,
                "told_at",
                lambda s, at: breaches.decide_persons(
                    s,
                    actor,
                    breach.id,
                    PersonsInput(decision, at, how, exemption, reason),
                    breach.version,
                ),
                f"{row.reference}: the persons decision is recorded.",
            )


def submit(
    key: str,
    parts: tuple[dt.date | None, dt.time | None],
    field: str,
    write: Callable[[Session, dt.datetime | None], object],
    success: str,
) -> None:
    """A decision submitted: its time read from the two inputs (half an entry is refused
    here), then written by the domain."""
    page_errors: dict[str, str] = {}
    at = combined(parts, field, page_errors)
    if page_errors:
        set_errors(key, page_errors)
        st.rerun()
    save(key, lambda s: write(s, at), success, "decision")
