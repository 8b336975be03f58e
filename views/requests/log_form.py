"""Logging a request received in writing; the due date follows from the receipt date."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from registry import labels, settings
from registry.errors import ValidationError
from registry.formats import finnish_date
from registry.permissions import Actor
from registry.report.language import LANGUAGE_NAMES, LANGUAGES
from registry.requests import intake, rules
from registry.vocabulary import RequestChannel, RequestKind
from views import widgets
from views.requests.common import LOG_ERRORS, LOG_PERSON, done, open_request, person_finder, ss


def fill_requester() -> None:
    """A person picked for a new request fills the requester's name and email if empty."""
    picked = ss.get(LOG_PERSON)
    matches, _ = widgets.found_persons(ss.get(f"{LOG_PERSON}_search", ""))
    match = next((m for m in matches if m.id == picked), None)
    if match is None:
        return
    if not ss.get("requests_log_name"):
        ss["requests_log_name"] = match.name
    if not ss.get("requests_log_contact") and match.email:
        ss["requests_log_contact"] = match.email


def show(actor: Actor, today: dt.date) -> None:
    """The "Log a request" tab."""
    errors = widgets.form_errors(LOG_ERRORS)
    st.caption(
        "The notice asks for requests in writing: log each letter, email or web form the day "
        "it arrives. The due date follows from the receipt date (GDPR Art. 12(3))."
    )
    person_id = person_finder(
        LOG_PERSON,
        "Match the requester to a person, or leave the request unmatched.",
        on_change=fill_requester,
    )
    widgets.field_error(errors, "person_id")
    with st.form("requests_log_form"):
        left, right = st.columns(2)
        with left:
            kind = st.selectbox(
                "What the person asks for",
                list(RequestKind),
                format_func=lambda k: labels.of(RequestKind, k),
                key="requests_log_kind",
            )
            widgets.field_error(errors, "kind")
            channel = st.selectbox(
                "Received by",
                list(RequestChannel),
                format_func=lambda c: labels.of(RequestChannel, c),
                key="requests_log_channel",
            )
            widgets.field_error(errors, "channel")
            received_on = st.date_input(
                "Received on",
                value=today,
                min_value=rules.GDPR_APPLIES_FROM,
                max_value=today,
                format="DD.MM.YYYY",
                key="requests_log_received",
            )
            widgets.field_error(errors, "received_on")
        with right:
            name = st.text_input(
                "Requester's name", max_chars=settings.MAX_SHORT_TEXT, key="requests_log_name"
            )
            widgets.field_error(errors, "requester_name")
            contact = st.text_input(
                "Requester's email or postal address",
                max_chars=settings.MAX_SHORT_TEXT,
                key="requests_log_contact",
                help="Where the answer goes. An email request needs an email address.",
            )
            widgets.field_error(errors, "requester_contact")
        details = st.text_area(
            "What the request says",
            max_chars=settings.MAX_LONG_TEXT,
            key="requests_log_details",
        )
        widgets.field_error(errors, "details")
        language_options: list[str | None] = [None, *LANGUAGES]
        reply_language = st.selectbox(
            "Reply language",
            language_options,
            format_func=lambda x: (
                "From the request (its text, else the person's country)"
                if x is None
                else LANGUAGE_NAMES[x]
            ),
            key="requests_log_language",
            help="The language of every letter on the request. It can be changed later.",
        )
        widgets.field_error(errors, "reply_language")
        submitted = st.form_submit_button("Log the request", type="primary")
    if submitted:
        try:
            with widgets.session() as s:
                request = intake.log_request(
                    s,
                    actor,
                    kind=kind,
                    channel=channel,
                    received_on=received_on,
                    requester_name=name,
                    requester_contact=contact,
                    details=details,
                    person_id=person_id,
                    today=today,
                    reply_language=reply_language,
                )
        except ValidationError as e:
            ss[LOG_ERRORS] = e.field_errors
            st.rerun()
        ss[LOG_ERRORS] = {}
        for key in ("requests_log_name", "requests_log_contact", "requests_log_details"):
            ss.pop(key, None)
        open_request(request.id)
        done(f"Request #{request.id} logged: due {finnish_date(request.due_on)}.")
