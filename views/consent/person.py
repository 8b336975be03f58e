"""Find a person: their status per purpose and whole history, and recording what they told
us (grant, withdraw, object)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from registry import consent, deadlines, persons, settings
from registry.errors import NotFound, ValidationError
from registry.permissions import Actor
from registry.vocabulary import Purpose
from views import widgets
from views.consent.common import (
    ACTION_LABELS,
    BADGE_COLOURS,
    DONE_LABELS,
    ERRORS_KEY,
    FLASH_KEY,
    GRANTED,
    OBJECTED,
    OPENED_KEY,
    PERSON_KEY,
    RESET_KEY,
    SUBMIT_LABELS,
    helsinki,
    label,
)


def reset_form() -> None:
    """Empty the record form; only before its widgets are drawn (Streamlit's rule)."""
    st.session_state.update(
        {
            "consent_action": GRANTED,
            "consent_purposes": [],
            "consent_source": None,
            "consent_evidence": "",
            "consent_day": deadlines.today(),
        }
    )
    widgets.form_errors(ERRORS_KEY).clear()


def pick_person_from_search() -> None:
    st.session_state[PERSON_KEY] = st.session_state.get("consent_pick")


def opened_person(actor: Actor) -> persons.PersonConsent | None:
    """The chosen person's consent; a new choice is a view of one person's data, audited once."""
    person_id = st.session_state.get(PERSON_KEY)
    if person_id is None:
        st.session_state.pop(OPENED_KEY, None)  # choosing the person again is a new view
        return None
    try:
        with widgets.session() as s:
            if st.session_state.get(OPENED_KEY) == person_id:
                return persons.person_consent(s, actor, person_id)
            detail = persons.open_person(s, actor, person_id)
    except NotFound as e:
        st.error(str(e))
        st.session_state.pop(PERSON_KEY, None)
        return None
    st.session_state[OPENED_KEY] = person_id
    reset_form()  # nothing typed for the previous person carries over
    return detail


def record_form(actor: Actor, who: persons.PersonMatch) -> None:
    """Grant, withdraw or object: one form, so withdrawing is as easy as granting."""
    st.markdown("##### Record what the person told us")
    if st.session_state.pop(RESET_KEY, False):
        reset_form()
    errors = widgets.form_errors(ERRORS_KEY)
    action = st.radio(
        "The person",
        list(ACTION_LABELS),
        format_func=ACTION_LABELS.get,
        horizontal=True,
        key="consent_action",
        # Messages about the other action's input no longer apply.
        on_change=lambda: widgets.form_errors(ERRORS_KEY).clear(),
    )
    widgets.field_error(errors, "status")
    with st.form("consent_record_form", border=True):
        if action == OBJECTED:
            st.info(
                "An objection covers every purpose, profiling for targeting included. "
                "Only an explicit new grant makes the person contactable again.",
                icon=":material/block:",
            )
        else:
            st.multiselect(
                "Purposes",
                list(Purpose),
                format_func=lambda p: consent.PURPOSE_LABELS[p],
                key="consent_purposes",
                placeholder="Choose one or more purposes",
            )
            widgets.field_error(errors, "purposes")
        left, right = st.columns(2)
        with left:
            st.selectbox(
                "Source",
                list(consent.STAFF_SOURCES),
                format_func=lambda v: consent.SOURCE_LABELS[v],
                index=None,
                placeholder="How did the person tell us?",
                key="consent_source",
            )
            widgets.field_error(errors, "source")
        with right:
            # A visit to another tab forgets the widget; the default is Helsinki's today.
            st.session_state.setdefault("consent_day", deadlines.today())
            st.date_input(
                "Date (Helsinki)",
                min_value=dt.date(2000, 1, 1),
                max_value=deadlines.today(),
                format="YYYY-MM-DD",
                key="consent_day",
                help="The day the person told us. Today counts from the moment you record.",
            )
            widgets.field_error(errors, "occurred_at")
        st.text_area(
            "Evidence",
            key="consent_evidence",
            max_chars=settings.MAX_LONG_TEXT,
            placeholder="e.g. signed order form 2026-014, email of 3 March, web form log id",
            help="Required for a grant (Art. 7(1)): what the person signed, sent or "
            "ticked, with a reference. Optional for a withdrawal or an objection.",
        )
        widgets.field_error(errors, "evidence")
        submitted = st.form_submit_button(SUBMIT_LABELS[action], type="primary")
    if not submitted:
        return

    errors.clear()
    moment = consent.moment_of(st.session_state["consent_day"], action)
    source = st.session_state.get("consent_source") or ""
    evidence = st.session_state.get("consent_evidence", "")
    try:
        with widgets.session() as s:
            if action == OBJECTED:
                recorded = consent.record_objection(s, actor, who.id, source, evidence, moment)
            else:
                purposes = st.session_state.get("consent_purposes", [])
                recorded = consent.record_consent(
                    s, actor, who.id, purposes, action, source, evidence, moment
                )
    except ValidationError as e:
        errors.update(e.field_errors)
    except NotFound as e:
        errors["status"] = str(e)
    else:
        widgets.data_changed()
        purposes_done = ", ".join(consent.PURPOSE_LABELS[e.purpose] for e in recorded)
        widgets.flash(
            FLASH_KEY,
            f"Recorded {DONE_LABELS[action]} for {widgets.plain(who.name)} "
            f"({purposes_done}). Counts and exports use it from now on.",
        )
        st.session_state[RESET_KEY] = True
    st.rerun()  # errors are drawn next to their fields, or the new event in the history


def history_table(detail: persons.PersonConsent) -> None:
    st.markdown("##### Consent history, newest first")
    if not detail.history:
        st.info("No consent events: the person has never been asked for any purpose.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                (
                    helsinki(h.occurred_at),
                    consent.PURPOSE_LABELS[h.purpose],
                    consent.STATUS_LABELS[h.status],
                    "yes" if h.in_effect else "",
                    label(consent.SOURCE_LABELS, h.source),
                    h.evidence or "—",
                    h.recorded_by or "imported",
                    helsinki(h.recorded_at),
                )
                for h in detail.history
            ],
            columns=[
                "When (Helsinki)",
                "Purpose",
                "Status",
                "In effect",
                "Source",
                "Evidence",
                "Recorded by",
                "Recorded at",
            ],
        ),
        width="stretch",
        hide_index=True,
    )


def person_view(actor: Actor) -> None:
    """Find a person, see their status and whole history, record what they told us."""
    widgets.person_finder(
        "consent_search",
        "consent_pick",
        label="Search by name, email or username",
        pick_label="Person",
        chosen=st.session_state.get(PERSON_KEY),
        on_change=pick_person_from_search,
    )
    detail = opened_person(actor)
    if detail is None:
        st.caption("Choose a person to see their consent history and record a new event.")
        return
    who = detail.person
    st.subheader(widgets.plain(who.name))
    st.caption(
        " · ".join(
            widgets.plain(part)
            for part in (
                who.email,
                who.username and f"username {who.username}",
                who.organisation,
                label(consent.RELATIONSHIP_LABELS, who.relationship),
            )
            if part
        )
    )
    badges = st.columns(len(Purpose))
    for column, purpose in zip(badges, Purpose, strict=True):
        status = detail.status[purpose]
        column.markdown(
            f"**{consent.PURPOSE_LABELS[purpose]}**  \n"
            f":{BADGE_COLOURS[status]}-badge[{consent.STATUS_LABELS[status]}]"
        )
    widgets.show_flash(FLASH_KEY)
    record_form(actor, who)
    history_table(detail)
