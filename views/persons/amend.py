"""The Amend tab (Art. 16): the form filled from the stored values at a row version; a
conflicting save shows what changed and continues from the current version."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from registry import amendments, settings, transfers, validation
from registry.amendments import FIELD_LABELS, FORM_ERROR, AmendmentConflict
from registry.errors import ValidationError
from registry.permissions import Actor
from registry.persons import PersonDetail
from views.persons.common import (
    CONFLICT,
    ERRORS,
    NOTICE,
    OPENED,
    REQUEST,
    TAB,
    day,
    employer_choices,
    form_key,
    label,
    ss,
    when,
    widgets,
)

GENDERS = ["", "female", "male", "other"]  # what the registry holds; others can be typed


def open_form(d: PersonDetail) -> None:
    """Fill the form from the stored values and remember the row version they were read at."""
    ss[OPENED] = d.form
    for field, value in d.form.values.items():
        ss[form_key(field)] = value
    ss[form_key("reason")] = ""
    linked = ss.get(REQUEST)
    ss[form_key("request")] = linked
    ss[ERRORS] = {}
    ss.pop(CONFLICT, None)


def submitted_values() -> dict[str, amendments.FormValue]:
    return {field: ss[form_key(field)] for field in FIELD_LABELS}


def save(actor: Actor) -> None:
    with widgets.session() as s:
        try:
            result = amendments.amend_person(
                s,
                actor,
                ss[OPENED],
                submitted_values(),
                ss[form_key("reason")],
                ss[form_key("request")],
            )
        except ValidationError as e:
            ss[ERRORS] = e.field_errors
            return
        except AmendmentConflict as conflict:
            ss[ERRORS] = {}
            ss[CONFLICT] = conflict
            return
    widgets.data_changed()
    told = result.recipients_to_notify
    widgets.flash(
        NOTICE,
        f"Amended: {', '.join(f.lower() for f in result.fields)}. "
        + (
            f"{told} recipient{'s' if told != 1 else ''} received this person's data before "
            "the change: tell them (Art. 19) and tick each below."
            if told
            else "No recipient had received this person's data before: nobody to tell."
        ),
    )
    ss.pop(OPENED, None)  # the next run refills the form from the new version
    ss.pop("persons_pick", None)  # its label may show the old name or email
    ss[TAB] = "History and follow-up"


def continue_from_current() -> None:
    """After a conflict: keep what the user changed, take everything else as stored now."""
    conflict: AmendmentConflict = ss[CONFLICT]
    for field, value in amendments.rebase(ss[OPENED], conflict.current, submitted_values()).items():
        ss[form_key(field)] = value
    ss[OPENED] = conflict.current
    ss.pop(CONFLICT, None)


def show_conflict(conflict: AmendmentConflict) -> None:
    with st.container(border=True):
        st.warning(str(conflict), icon=":material/sync_problem:")
        if conflict.fields:
            st.dataframe(
                pd.DataFrame(
                    [
                        (f.label, f.opened, f.current, f.changed_by or "", when(f.changed_at))
                        for f in conflict.fields
                    ],
                    columns=["Field", "When you opened the form", "Now", "Changed by", "When"],
                ),
                hide_index=True,
                width="stretch",
            )
        st.button(
            "Continue from the current version",
            on_click=continue_from_current,
            help="Keeps the fields you changed and takes every other field as it is stored now.",
        )


def amend_tab(actor: Actor, d: PersonDetail) -> None:
    if d.erased_at is not None:
        st.info("This person was erased (Art. 17): there is no data to amend.")
        return
    if ss.get(OPENED) is None or ss[OPENED].person_id != d.id:
        open_form(d)
    errors = widgets.form_errors(ERRORS)
    if conflict := ss.get(CONFLICT):
        show_conflict(conflict)
    employer_text = st.text_input(
        "Find an employer for the form",
        key="persons_employer_filter",
        placeholder="Organisation name or business ID",
        help=f"The employer list shows at most {settings.EMPLOYER_CHOICES} organisations.",
    )
    include = (ss[OPENED].values["employer"], ss.get(form_key("employer")))
    employers = employer_choices(employer_text, include)
    countries = sorted(validation.COUNTRY_CODES | {ss[form_key("country")]} - {""})
    genders = list(dict.fromkeys([*GENDERS, ss[form_key("gender")] or ""]))
    linked = ss.get(REQUEST)
    requests = {
        r.id: f"#{r.id} · received {day(r.received_on)} · {label(r.status)}"
        for r in d.requests
        if r.kind == "rectification"
    }
    if linked is not None and linked not in requests:
        requests[linked] = f"#{linked}"

    widgets.show_database_failure()  # a save the database refused: the form keeps the input
    with st.form("persons_amend_form", enter_to_submit=False):
        st.caption(
            "Change what is incorrect and say why. Each changed field is kept in the history "
            "with its old value."
        )
        widgets.field_error(errors, FORM_ERROR)

        def text(field: str, limit: int, column: DeltaGenerator | None = None) -> None:
            with column or st.container():
                st.text_input(FIELD_LABELS[field], key=form_key(field), max_chars=limit)
                widgets.field_error(errors, field)

        c1, c2 = st.columns(2)
        text("first_name", settings.MAX_NAME_LENGTH, c1)
        text("last_name", settings.MAX_NAME_LENGTH, c2)
        text("email", settings.MAX_EMAIL_LENGTH, c1)
        text("phone", settings.MAX_SHORT_TEXT, c2)
        text("street_address", settings.MAX_SHORT_TEXT)
        c1, c2, c3 = st.columns(3)
        text("postal_code", settings.MAX_SHORT_TEXT, c1)
        text("city", settings.MAX_NAME_LENGTH, c2)
        with c3:
            st.selectbox(
                FIELD_LABELS["country"],
                countries,
                key=form_key("country"),
                format_func=lambda c: f"{c} · {transfers.country_name(c)}",
            )
            widgets.field_error(errors, "country")
        c1, c2, c3 = st.columns(3)
        text("position", settings.MAX_NAME_LENGTH, c1)
        with c2:
            st.selectbox(
                FIELD_LABELS["employer"],
                [None, *employers],
                key=form_key("employer"),
                format_func=lambda i: "No employer" if i is None else employers.get(i, f"#{i}"),
                placeholder="No employer",
            )
            widgets.field_error(errors, "employer")
        with c3:
            st.selectbox(
                FIELD_LABELS["gender"],
                genders,
                key=form_key("gender"),
                format_func=lambda g: label(g) if g else "Not stated",
                accept_new_options=True,
            )
            widgets.field_error(errors, "gender")
        st.text_area(
            "Reason for the amendment",
            key=form_key("reason"),
            max_chars=settings.MAX_LONG_TEXT,
            placeholder="e.g. The person wrote on 3 May that the email address is wrong.",
        )
        widgets.field_error(errors, "reason")
        st.selectbox(
            "Rectification request (optional)",
            [None, *requests],
            key=form_key("request"),
            format_func=lambda r: "No linked request" if r is None else requests[r],
            placeholder="No linked request",
        )
        widgets.field_error(errors, "request")
        st.form_submit_button(
            "Save amendment", type="primary", on_click=widgets.guarded(save), args=(actor,)
        )
