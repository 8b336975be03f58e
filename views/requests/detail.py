"""One request: its facts and badges, the link to amend a person, the workflow, the history."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from registry import labels
from registry.errors import NotFound
from registry.formats import finnish_date
from registry.permissions import Actor, Permission
from registry.report import notices
from registry.report.language import LANGUAGE_NAMES
from registry.requests import request_view
from registry.requests.request_view import RequestView
from registry.vocabulary import RequestChannel, RequestKind, RequestStatus
from views import widgets
from views.requests.common import VIEWED, helsinki, open_request, ss
from views.requests.report import letters_sent
from views.requests.steps import workflow

URGENCY_BADGE = {"overdue": "red", "due_soon": "orange", "on_time": "green", "closed": "gray"}
STATUS_BADGE = {
    RequestStatus.RECEIVED: "blue",
    RequestStatus.VERIFIED: "violet",
    RequestStatus.EXTENDED: "orange",
    RequestStatus.COMPLETED: "green",
    RequestStatus.REJECTED: "gray",
}


def view_flags(view: RequestView, today: dt.date) -> tuple[str, ...]:
    return notices.flags_of(
        view.status,
        view.received_on,
        view.due_on,
        view.extended_at,
        view.extension_told_on,
        view.closed_at,
        today,
    )


def header(view: RequestView, today: dt.date) -> None:
    st.subheader(f"Request #{view.id} · {labels.of(RequestKind, view.kind)}")
    badges = st.columns([1, 1, 4])
    with badges[0]:
        st.badge(labels.of(RequestStatus, view.status), color=STATUS_BADGE[view.status])
    with badges[1]:
        st.badge(view.days_left, color=URGENCY_BADGE[view.urgency], icon=":material/schedule:")
    channel = labels.of(RequestChannel, view.channel).lower()
    person = (
        f"{view.person_name} ({view.person_email or 'no email'})"
        + (" · RESTRICTED (Art. 18)" if view.person_restricted else "")
        if view.person_name
        else "unmatched"
    )
    left, right = st.columns(2)
    with left:
        widgets.facts(
            [
                ("Requester", view.requester_name),
                ("Contact", view.requester_contact),
                ("Received", f"{finnish_date(view.received_on)} by {channel}"),
                ("Matched person", person),
                ("Assignee", view.assignee_name),
                ("Reply language", LANGUAGE_NAMES.get(view.reply_language, view.reply_language)),
            ]
        )
    with right:
        rows: list[tuple[str, object]] = [("Due", finnish_date(view.due_on))]
        if view.extended_at:
            rows += [
                ("Extended", f"{helsinki(view.extended_at)}: {view.extension_reason}"),
                ("Person to be told of the extension by", finnish_date(view.original_due_on)),
                (
                    "Person told of the extension",
                    f"{finnish_date(view.extension_told_on)} by {view.extension_told_channel}"
                    if view.extension_told_on
                    else "not recorded",
                ),
            ]
        if view.identity_verified_at:
            note = f" ({view.identity_note})" if view.identity_note else ""
            verified = helsinki(view.identity_verified_at)
            rows.append(("Identity verified", f"{view.identity_method}{note}, {verified}"))
        if view.report_generated_at:
            rows.append(("Access report generated", helsinki(view.report_generated_at)))
        if view.closed_at:
            rows.append(("Closed", f"{helsinki(view.closed_at)}: {view.outcome}"))
        widgets.facts(rows)
        for flag in view_flags(view, today):
            st.warning(notices.FLAG_LABELS[flag], icon=":material/flag:")
    if view.details:
        with st.container(border=True):
            st.caption("What the request says")
            st.text(view.details)


def person_link(actor: Actor, view: RequestView) -> None:
    """The matched person's own page, for a role that may open it."""
    if view.person_id is None or not view.person_name:
        return
    widgets.drill_down(
        actor,
        "pages/persons.py",
        Permission.VIEW_PERSON,
        f"Open {widgets.plain(view.person_name)}'s data",
        person=view.person_id,
    )


def rectification_link(view: RequestView) -> None:
    if view.kind != RequestKind.RECTIFICATION:
        return
    if view.person_id is None:
        st.info("Match the request to a person to amend their data.", icon=":material/link:")
        return
    if st.button(
        f"Open {widgets.plain(view.person_name)}'s amendment form",
        icon=":material/edit:",
        help="The Persons page opens with this person and this request linked.",
    ):
        ss["persons_selected_id"] = view.person_id
        ss["persons_request_id"] = view.id
        st.switch_page(
            "pages/persons.py", query_params={"person": view.person_id, "request": view.id}
        )


def history(view: RequestView) -> None:
    st.markdown("#### History")
    st.dataframe(
        pd.DataFrame(
            {
                "When": [helsinki(h.at) for h in view.history],
                "Step": [h.action_label for h in view.history],
                "Status": [
                    f"{labels.of(RequestStatus, h.from_status)} → "
                    f"{labels.of(RequestStatus, h.to_status)}"
                    if h.from_status and h.from_status != h.to_status
                    else labels.of(RequestStatus, h.to_status)
                    for h in view.history
                ],
                "By": [h.actor_name for h in view.history],
                "Note": [h.note for h in view.history],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def show(actor: Actor, request_id: int, today: dt.date) -> None:
    """The detail view of one request, opened from the queue or by a link."""
    if st.button("Back to the queue", icon=":material/arrow_back:"):
        open_request(None)
        st.rerun()
    try:
        with widgets.session() as s:
            if ss.get(VIEWED) != request_id:
                request_view.record_view(s, actor, request_id)
                ss[VIEWED] = request_id
            view = request_view.detail(s, actor, request_id, today)
    except NotFound as e:
        st.warning(str(e))
        open_request(None)
        return
    header(view, today)
    person_link(actor, view)
    rectification_link(view)
    workflow(actor, view, today)
    letters_sent(actor, view)
    history(view)
