"""The workflow steps of one request: verify, report (Art. 15, in views.requests.report),
complete, extend and tell, assign, match, reject, reply language. Each is one domain call;
field errors show beside the step's fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from registry import deadlines, portability, settings, spreadsheet
from registry.formats import finnish_date
from registry.permissions import Actor
from registry.requests import rules, transitions
from registry.requests.request_view import RequestView
from registry.requests.rules import Action
from registry.vocabulary import (
    OBJECTING_KINDS,
    RESTRICTING_KINDS,
    RESTRICTION_GROUND_LABELS,
    RequestKind,
    RestrictionGround,
)
from views import widgets
from views.requests.common import (
    MATCH_PERSON,
    REPORT,
    STEP_ERRORS,
    assignees,
    conflict,
    helsinki,
    person_finder,
    ss,
    step,
    step_errors,
)
from views.requests.erasure import erasure_form, follow_ups
from views.requests.report import language_form, report_section, told_form


def verify_form(actor: Actor, view: RequestView, today: dt.date) -> None:
    errors = step_errors(Action.VERIFY)
    conflict(Action.VERIFY)
    with st.form("requests_verify_form"):
        method = st.selectbox("How the identity was verified", rules.IDENTITY_METHODS)
        widgets.field_error(errors, "method")
        note = st.text_area("Note", max_chars=settings.MAX_LONG_TEXT, height=80)
        widgets.field_error(errors, "note")
        if st.form_submit_button("Mark the identity verified", type="primary"):
            step(
                Action.VERIFY,
                lambda s: transitions.verify_identity(s, actor, view.id, method, note),
                "Identity verified.",
            )


def assign_form(actor: Actor, view: RequestView, today: dt.date) -> None:
    errors = step_errors(Action.ASSIGN)
    conflict(Action.ASSIGN)
    names = assignees()
    with st.form("requests_assign_form"):
        ids = list(names)
        who = st.selectbox(
            "Assign to",
            ids,
            index=ids.index(view.assignee_id) if view.assignee_id in ids else None,
            format_func=names.__getitem__,
        )
        widgets.field_error(errors, "assignee_id")
        if st.form_submit_button("Assign"):
            step(
                Action.ASSIGN,
                lambda s: transitions.assign(s, actor, view.id, who if who is not None else -1),
                f"Assigned to {widgets.plain(names.get(who, 'nobody'))}.",
            )


def extend_form(actor: Actor, view: RequestView, today: dt.date) -> None:
    errors = step_errors(Action.EXTEND)
    conflict(Action.EXTEND)
    new_due = deadlines.due_date(view.received_on, extended=True)
    st.markdown(
        f"New due date **{finnish_date(new_due)}** (receipt + 3 months). Tell the person of "
        f"the extension and its reasons by **{finnish_date(view.original_due_on)}**, the "
        "original due date (Art. 12(3))."
    )
    with st.form("requests_extend_form"):
        reason = st.text_area(
            "Reason for the extension",
            max_chars=settings.MAX_LONG_TEXT,
            height=80,
            help="Complexity or the number of requests; the person is told this reason.",
        )
        widgets.field_error(errors, "reason")
        if st.form_submit_button("Extend"):
            step(
                Action.EXTEND,
                lambda s: transitions.extend(s, actor, view.id, reason, today=today),
                f"Extended: now due {finnish_date(new_due)}. The notice of extension is under "
                "Letters sent: send it, then record that the person was told.",
            )


def complete_form(actor: Actor, view: RequestView, today: dt.date) -> None:
    if view.kind == RequestKind.ERASURE:
        erasure_form(actor, view, today)  # completing an erasure erases (Art. 17)
        return
    errors = step_errors(Action.COMPLETE)
    conflict(Action.COMPLETE)
    if view.kind == RequestKind.ACCESS and not view.report_generated_at:
        st.caption("An access request is completed after its report has been generated.")
    if view.kind in OBJECTING_KINDS:
        st.caption(
            f"The objection to all direct marketing and profiling was recorded "
            f"{helsinki(view.objection_recorded_at)}, when the request was matched."
            if view.objection_recorded_at
            else "Completing records an objection to all direct marketing and the profiling "
            "for it on the matched person, at once."
        )
    if view.kind in RESTRICTING_KINDS:
        st.caption(
            "Completing restricts the matched person: their data is only stored, and left out "
            "of segments, exports, metrics and disclosures until the restriction is lifted on "
            "the Persons page (Art. 18)."
        )
    if view.kind == RequestKind.PORTABILITY and not view.data_exported_at:
        st.caption("Generate the person's data (above) before completing.")
    with st.form("requests_complete_form"):
        ground = None
        if view.kind == RequestKind.RESTRICTION:
            ground = st.selectbox(
                "Ground of the restriction",
                [g for g in RestrictionGround if g != RestrictionGround.ACCURACY_CONTESTED],
                format_func=lambda g: RESTRICTION_GROUND_LABELS[g],
                index=None,
                placeholder="Art. 18(1): why the person may have it restricted",
                key="requests_complete_ground",
            )
            widgets.field_error(errors, "ground")
        outcome = st.text_area(
            "Outcome", max_chars=settings.MAX_LONG_TEXT, height=80, help="What was done or sent."
        )
        widgets.field_error(errors, "outcome")
        if st.form_submit_button("Complete the request", type="primary"):
            step(
                Action.COMPLETE,
                lambda s: transitions.complete(s, actor, view.id, outcome, ground),
                f"Request #{view.id} completed.",
            )


def reject_form(actor: Actor, view: RequestView, today: dt.date) -> None:
    errors = step_errors(Action.REJECT)
    conflict(Action.REJECT)
    if today > view.due_on:
        st.warning(
            f"The due date {finnish_date(view.due_on)} has passed: a rejection now is flagged "
            "as late, and the letter says so.",
            icon=":material/flag:",
        )
    with st.form("requests_reject_form"):
        reason = st.text_area(
            "Reason for the rejection",
            max_chars=settings.MAX_LONG_TEXT,
            height=80,
            help="For example: the requester's identity could not be established (Art. 12(6)).",
        )
        widgets.field_error(errors, "reason")
        if st.form_submit_button("Reject the request"):
            step(
                Action.REJECT,
                lambda s: transitions.reject(s, actor, view.id, reason, today=today),
                f"Request #{view.id} rejected. The decision not to act, with the right to "
                "complain and to a judicial remedy, is under Letters sent.",
            )


def match_form(actor: Actor, view: RequestView, today: dt.date) -> None:
    errors = step_errors(Action.MATCH)
    conflict(Action.MATCH)
    person_id = person_finder(MATCH_PERSON, "The person the request is about.")
    widgets.field_error(errors, "person_id")
    if st.button("Match", disabled=person_id is None):
        step(
            Action.MATCH,
            lambda s: transitions.match_person(s, actor, view.id, person_id),
            "Request matched.",
        )


PORTABLE = "requests_portable"  # {"id", "json", "csv", "records"}: this session's files


def portable_form(actor: Actor, view: RequestView, today: dt.date) -> None:
    """Art. 20: the person's provided data as JSON and CSV, generated (and recorded) on demand."""
    errors = step_errors(Action.PORTABLE)
    conflict(Action.PORTABLE)
    st.caption(
        "The data the person provided: contact and service-user details, what they told us "
        "of direct marketing, orders and activity; not what the registry derived from it."
        + (f" Last generated {helsinki(view.data_exported_at)}." if view.data_exported_at else "")
    )
    widgets.field_error(errors, "portable")
    if st.button("Generate the person's data", key="requests_portable_generate"):

        def generate(s: Session) -> None:
            made = portability.generate(s, actor, view.id)
            ss[PORTABLE] = {"id": view.id, "json": made.json, "csv": made.csv, "xlsx": made.xlsx}

        step(Action.PORTABLE, generate, "The person's data is ready to download below.")
    files = ss.get(PORTABLE)
    if files and files["id"] == view.id:
        left, right, book = st.columns(3)
        left.download_button(
            "Download JSON",
            files["json"],
            file_name=f"request-{view.id}-data.json",
            mime="application/json",
        )
        right.download_button(
            "Download CSV",
            files["csv"],
            file_name=f"request-{view.id}-data.csv",
            mime="text/csv",
        )
        book.download_button(
            "Download XLSX",
            files["xlsx"],
            file_name=f"request-{view.id}-data.xlsx",
            mime=spreadsheet.FileFormat.XLSX.mime,
        )


StepView = Callable[[Actor, RequestView, dt.date], None]
STEP_VIEWS: dict[Action, tuple[str, StepView]] = {
    Action.VERIFY: ("Verify the requester's identity", verify_form),
    Action.REPORT: ("Access report (Art. 15)", report_section),
    Action.PORTABLE: ("The person's data (Art. 20)", portable_form),
    Action.TELL_EXTENSION: ("Record that the person was told of the extension", told_form),
    Action.COMPLETE: ("Complete", complete_form),
    Action.EXTEND: ("Extend the deadline", extend_form),
    Action.ASSIGN: ("Assign", assign_form),
    Action.MATCH: ("Match to a person", match_form),
    Action.REJECT: ("Reject", reject_form),
    Action.LANGUAGE: ("Reply language", language_form),
}


def next_step(view: RequestView) -> Action | None:
    """The step most likely wanted now: its section opens expanded."""
    if Action.VERIFY in view.actions:
        return Action.VERIFY
    if Action.REPORT in view.actions and not view.report_generated_at:
        return Action.REPORT
    if Action.PORTABLE in view.actions and not view.data_exported_at:
        return Action.PORTABLE
    if Action.TELL_EXTENSION in view.actions and not view.extension_told_on:
        return Action.TELL_EXTENSION
    return Action.COMPLETE if Action.COMPLETE in view.actions else None


def workflow(actor: Actor, view: RequestView, today: dt.date) -> None:
    if view.kind == RequestKind.ERASURE:
        follow_ups(actor, view)
    if not view.actions:
        st.info("The request is closed: no further steps.", icon=":material/lock:")
        return
    st.markdown("#### Workflow")
    wanted = next_step(view)
    pending = set(ss.get(STEP_ERRORS, {}))
    if ss.get(REPORT, {}).get("id") == view.id:
        pending.add(Action.REPORT)  # keep the fresh report's downloads in view
    for action, (title, draw) in STEP_VIEWS.items():
        if action is Action.TELL_EXTENSION and view.extension_told_on:
            continue  # told once; the header says when and how
        if action is Action.LANGUAGE and Action.REPORT in view.actions:
            continue  # an access request sets it in its report section
        if action in view.actions:
            with st.expander(title, expanded=action == wanted or action in pending):
                draw(actor, view, today)
