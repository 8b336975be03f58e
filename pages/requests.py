"""Requests: the compliance officer's queue of data-subject requests and their legal deadlines.

The queue (KPIs, open requests by age, filters, a table coloured by urgency, CSV export), a
form to log a request received in writing, and a request's detail view with its workflow,
the Art. 15 access report and the history. Rules, counts and writes are in registry.requests
and registry.access; days left always come from registry.deadlines.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st
import streamlit.components.v1 as components

import widgets
from registry import access, deadlines, persons, settings
from registry.errors import ConflictError, NotFound, ValidationError
from registry.permissions import Permission
from registry.requests import intake, queue, request_view, rules, transitions
from registry.requests.queue import QueueFilter
from registry.requests.request_view import RequestView
from registry.requests.rules import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS, Action, finnish_date
from registry.vocabulary import RequestChannel, RequestKind, RequestStatus

actor = widgets.require_page(Permission.HANDLE_REQUESTS)
ss = st.session_state
today = deadlines.today()

SELECTED = "requests_selected_id"  # the request whose detail view is open
VIEWED = "requests_viewed_id"  # the request whose opening was last audited
FILTER = "requests_queue_filter"
PAGE = "requests_queue_page"
REPORT = "requests_report"  # {"id", "json", "html", "holds_data", "records"} of this session
LOG_ERRORS = "requests_log_errors"
STEP_ERRORS = "requests_step_errors"
FLASH = "requests_flash"
LOG_PERSON = "requests_log_person"
MATCH_PERSON = "requests_match_person"

URGENCY_STYLE = {
    "overdue": "background-color: #fdecea; color: #b71c1c",
    "due_soon": "background-color: #fff4e0; color: #8a4b00",
}
URGENCY_BADGE = {"overdue": "red", "due_soon": "orange", "on_time": "green", "closed": "gray"}
STATUS_BADGE = {
    RequestStatus.RECEIVED: "blue",
    RequestStatus.VERIFIED: "violet",
    RequestStatus.EXTENDED: "orange",
    RequestStatus.COMPLETED: "green",
    RequestStatus.REJECTED: "gray",
}


def label(mapping: dict, value: str) -> str:  # type: ignore[type-arg]
    return mapping.get(value, value.replace("_", " ").capitalize())


def helsinki(moment: dt.datetime | None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(settings.REGISTRY_TZ)
    return f"{finnish_date(local.date())} {local:%H.%M}"


def facts(rows: list[tuple[str, object]]) -> None:
    lines = [f"**{name}:** {widgets.plain(value) if value else '—'}" for name, value in rows]
    st.markdown("  \n".join(lines))


def show_flash() -> None:
    if message := ss.pop(FLASH, None):
        st.success(message, icon=":material/check_circle:")


def done(message: str) -> None:
    """A write succeeded: drop cached numbers, say so after the rerun."""
    widgets.data_changed()
    ss[FLASH] = message
    ss[STEP_ERRORS] = {}
    st.rerun()


def open_request(request_id: int | None) -> None:
    ss[SELECTED] = request_id
    ss.pop(REPORT, None)
    ss[STEP_ERRORS] = {}
    if request_id is None:
        st.query_params.pop("request", None)
        # Forget the row selected in the queue, or coming back would open it again.
        for key in [k for k in ss if str(k).startswith("requests_queue_table_")]:
            del ss[key]
    else:
        st.query_params["request"] = str(request_id)


# --- cached reads -----------------------------------------------------------------------


@widgets.cached
def queue_page(
    queue_filter: QueueFilter, page: int, day: dt.date
) -> tuple[list[queue.QueueRow], int]:
    with widgets.session() as s:
        rows = queue.queue(
            s,
            actor,
            queue_filter,
            day,
            limit=settings.PAGE_SIZE,
            offset=(page - 1) * settings.PAGE_SIZE,
        )
        return rows, queue.count(s, actor, queue_filter)


@widgets.cached
def figures(day: dt.date) -> queue.QueueFigures:
    with widgets.session() as s:
        return queue.figures(s, actor, day)


@widgets.cached
def assignees() -> dict[int, str]:
    with widgets.session() as s:
        return dict(transitions.assignees(s, actor))


@widgets.cached
def find(text: str) -> list[persons.PersonMatch]:
    with widgets.session() as s:
        return persons.search(s, actor, text)


def person_picker(key: str, help_text: str, on_change=None) -> int | None:  # type: ignore[no-untyped-def]
    """Search by name, email or username; the chosen person's id, or None for unmatched."""
    text = st.text_input(
        "Find the person in the registry",
        key=f"{key}_search",
        placeholder="Name, email or username",
        help=help_text,
        max_chars=settings.MAX_SHORT_TEXT,
    )
    matches = find(text) if text.strip() else []
    options: dict[int | None, str] = {None: "Leave unmatched"}
    options.update({m.id: m.label for m in matches})
    if text.strip() and not matches:
        st.caption("Nobody in the registry matches; the request can stay unmatched.")
    return st.selectbox(
        "Matched person",
        list(options),
        format_func=options.__getitem__,
        key=key,
        on_change=on_change,
    )


# --- the queue --------------------------------------------------------------------------


def kpis() -> None:
    f = figures(today)
    cols = st.columns(4)
    with cols[0]:
        widgets.metric_card("Open requests", f.open, help="Received, verified or extended.")
    with cols[1]:
        widgets.metric_card(
            "Due this week",
            f.due_this_week,
            help=f"Open and due within {settings.DUE_SOON_DAYS} days, today included.",
        )
    with cols[2]:
        widgets.metric_card(
            "Overdue",
            f.overdue,
            help="Open past the Art. 12(3) due date.",
            delta="act now" if f.overdue else None,
            delta_color="inverse",
        )
    with cols[3]:
        median = f.median_days_to_close
        widgets.metric_card(
            "Median days to close",
            "—" if median is None else f"{median:g}",
            help=f"From receipt to closing, over the {f.closed_in_window} requests completed "
            f"or rejected in the last {settings.REQUEST_CLOSE_WINDOW_DAYS} days.",
        )


def age_chart() -> None:
    f = figures(today)
    st.markdown("**Open requests by age** (days since receipt)")
    if not f.open_by_age:
        st.caption("No open requests.")
        return
    frame = pd.DataFrame(f.open_by_age, columns=["age", "kind", "requests"])
    frame["kind"] = [label(KIND_LABELS, k) for k in frame["kind"]]
    bands = [b for _, b in queue.age_bands()]
    figure = px.bar(
        frame,
        x="age",
        y="requests",
        color="kind",
        category_orders={"age": bands, "kind": list(KIND_LABELS.values())},
        labels={"age": "Days since receipt", "requests": "Open requests", "kind": "Kind"},
        # Not red or amber: those colours mean overdue and due soon on this page.
        color_discrete_sequence=px.colors.qualitative.Safe,
    )
    figure.update_layout(
        height=300, margin={"l": 0, "r": 0, "t": 10, "b": 0}, legend={"orientation": "h", "y": -0.3}
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})


def filter_form() -> QueueFilter:
    current: QueueFilter = ss.setdefault(FILTER, QueueFilter())
    names = assignees()
    assignee_options: dict[int | None, str] = {None: "Anyone", queue.UNASSIGNED: "Nobody"}
    assignee_options.update(names)
    with st.form("requests_filter_form", border=True):
        statuses = st.multiselect(
            "Status",
            list(RequestStatus),
            default=[RequestStatus(s) for s in current.statuses],
            format_func=lambda s: STATUS_LABELS[s],
            placeholder="Any status",
        )
        kinds = st.multiselect(
            "Kind",
            list(RequestKind),
            default=[RequestKind(k) for k in current.kinds],
            format_func=lambda k: KIND_LABELS[k],
            placeholder="Any kind",
        )
        assignee = st.selectbox(
            "Assignee",
            list(assignee_options),
            index=list(assignee_options).index(current.assignee_id)
            if current.assignee_id in assignee_options
            else 0,
            format_func=assignee_options.__getitem__,
        )
        received = st.date_input(
            "Received between",
            value=tuple(d for d in (current.received_from, current.received_to) if d),
            max_value=today,
            format="DD.MM.YYYY",
        )
        search = st.text_input(
            "Requester name or email contains",
            value=current.search,
            max_chars=settings.MAX_SHORT_TEXT,
        )
        if st.form_submit_button("Apply filters", type="primary"):
            dates = list(received) if isinstance(received, tuple | list) else [received]
            ss[FILTER] = QueueFilter(
                statuses=tuple(statuses),
                kinds=tuple(kinds),
                assignee_id=assignee,
                received_from=dates[0] if dates else None,
                received_to=dates[1] if len(dates) > 1 else (dates[0] if dates else None),
                search=search,
            )
            ss[PAGE] = 1
            st.rerun()
    return current


def queue_table(queue_filter: QueueFilter) -> None:
    page = ss.setdefault(PAGE, 1)
    rows, total = queue_page(queue_filter, page, today)
    st.caption(f"{queue_filter.describe(assignees())}: **{total}**, open first, soonest due first.")
    if not rows:
        st.info("No requests match these filters.", icon=":material/inbox:")
        return
    frame = pd.DataFrame(
        {
            "Request": [f"#{r.id}" for r in rows],
            "Kind": [r.kind.capitalize() for r in rows],  # the article is in the detail view
            "Requester": [r.requester_name for r in rows],
            "Matched": [r.person_id is not None for r in rows],
            "Received": [finnish_date(r.received_on) for r in rows],
            "Due": [finnish_date(r.due_on) for r in rows],
            "Days left": [r.days_left for r in rows],
            "Status": [label(STATUS_LABELS, r.status) for r in rows],
            "Assignee": [r.assignee_name or "—" for r in rows],
        }
    )
    urgencies = [r.urgency for r in rows]
    styled = frame.style.apply(
        lambda row: [URGENCY_STYLE.get(urgencies[row.name], "")] * len(row), axis=1
    )
    event = st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"requests_queue_table_{page}",
        height=(len(rows) + 1) * 35 + 3,  # the whole page of rows, no inner scrolling
        column_config={
            "Request": st.column_config.TextColumn(width="small"),
            "Matched": st.column_config.CheckboxColumn(
                width="small", help="Matched to a person in the registry"
            ),
            "Received": st.column_config.TextColumn(width="small"),
            "Due": st.column_config.TextColumn(width="small"),
        },
    )
    st.caption(
        f"Red: overdue. Amber: due within {settings.DUE_SOON_DAYS} days. "
        "Select a row to open the request."
    )
    if event.selection.rows:
        open_request(rows[event.selection.rows[0]].id)
        st.rerun()
    pages = max(1, -(-total // settings.PAGE_SIZE))
    first = (page - 1) * settings.PAGE_SIZE + 1
    st.caption(f"Showing {first}–{first + len(rows) - 1} of {total}.")
    if pages > 1:
        with st.columns([1, 4])[0]:
            st.number_input("Page", 1, pages, key=PAGE)


def export_button(queue_filter: QueueFilter) -> None:
    def export() -> str:
        # Runs only when the button is clicked: the export, and its audit event, happen then.
        with widgets.session() as s:
            return queue.export_csv(s, actor, queue_filter, today)

    st.download_button(
        "Download the filtered queue (CSV)",
        data=export,
        file_name=f"requests-{today.isoformat()}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        help="Every request that matches the filters, with identity checks, extensions and "
        "outcomes, for an audit. The download is recorded in the audit trail.",
    )


def queue_view() -> None:
    kpis()
    chart, filters = st.columns([3, 2])
    with filters:
        queue_filter = filter_form()
    with chart:
        age_chart()
    queue_table(queue_filter)
    export_button(queue_filter)


# --- logging a request ------------------------------------------------------------------


def fill_requester() -> None:
    """A person picked for a new request fills the requester's name and email if empty."""
    picked = ss.get(LOG_PERSON)
    match = next((m for m in find(ss.get(f"{LOG_PERSON}_search", "")) if m.id == picked), None)
    if match is None:
        return
    if not ss.get("requests_log_name"):
        ss["requests_log_name"] = match.name
    if not ss.get("requests_log_contact") and match.email:
        ss["requests_log_contact"] = match.email


def log_view() -> None:
    errors = widgets.form_errors(LOG_ERRORS)
    st.caption(
        "The notice asks for requests in writing: log each letter, email or web form the day "
        "it arrives. The due date follows from the receipt date (GDPR Art. 12(3))."
    )
    person_id = person_picker(
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
                format_func=lambda k: KIND_LABELS[k],
                key="requests_log_kind",
            )
            widgets.field_error(errors, "kind")
            channel = st.selectbox(
                "Received by",
                list(RequestChannel),
                format_func=lambda c: CHANNEL_LABELS[c],
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
                )
        except ValidationError as e:
            ss[LOG_ERRORS] = e.field_errors
            st.rerun()
        ss[LOG_ERRORS] = {}
        for key in ("requests_log_name", "requests_log_contact", "requests_log_details"):
            ss.pop(key, None)
        open_request(request.id)
        done(f"Request #{request.id} logged: due {finnish_date(request.due_on)}.")


# --- one request ------------------------------------------------------------------------


def step(action: Action, call, success: str) -> None:  # type: ignore[no-untyped-def]
    """Run one workflow step; field errors go next to the step's fields."""
    try:
        with widgets.session() as s:
            call(s)
    except ValidationError as e:
        ss[STEP_ERRORS] = {action: e.field_errors}
        st.rerun()
    except (ConflictError, NotFound) as e:
        ss[STEP_ERRORS] = {action: {"conflict": str(e)}}
        st.rerun()
    done(success)


def step_errors(action: Action) -> dict[str, str]:
    return ss.get(STEP_ERRORS, {}).get(action, {})


def header(view: RequestView) -> None:
    st.subheader(f"Request #{view.id} · {label(KIND_LABELS, view.kind)}")
    badges = st.columns([1, 1, 4])
    with badges[0]:
        st.badge(label(STATUS_LABELS, view.status), color=STATUS_BADGE[view.status])
    with badges[1]:
        st.badge(view.days_left, color=URGENCY_BADGE[view.urgency], icon=":material/schedule:")
    channel = label(CHANNEL_LABELS, view.channel).lower()
    person = (
        f"{view.person_name} ({view.person_email or 'no email'})"
        if view.person_name
        else "unmatched"
    )
    left, right = st.columns(2)
    with left:
        facts(
            [
                ("Requester", view.requester_name),
                ("Contact", view.requester_contact),
                ("Received", f"{finnish_date(view.received_on)} by {channel}"),
                ("Matched person", person),
                ("Assignee", view.assignee_name),
            ]
        )
    with right:
        rows: list[tuple[str, object]] = [("Due", finnish_date(view.due_on))]
        if view.extended_at:
            rows += [
                ("Extended", f"{helsinki(view.extended_at)}: {view.extension_reason}"),
                ("Person to be told of the extension by", finnish_date(view.original_due_on)),
            ]
        if view.identity_verified_at:
            note = f" ({view.identity_note})" if view.identity_note else ""
            verified = helsinki(view.identity_verified_at)
            rows.append(("Identity verified", f"{view.identity_method}{note}, {verified}"))
        if view.report_generated_at:
            rows.append(("Access report generated", helsinki(view.report_generated_at)))
        if view.closed_at:
            rows.append(("Closed", f"{helsinki(view.closed_at)}: {view.outcome}"))
        facts(rows)
    if view.details:
        with st.container(border=True):
            st.caption("What the request says")
            st.text(view.details)


def rectification_link(view: RequestView) -> None:
    if view.kind != RequestKind.RECTIFICATION:
        return
    if view.person_id is None:
        st.info("Match the request to a person to amend their data.", icon=":material/link:")
        return
    if st.button(
        f"Open {view.person_name}'s amendment form",
        icon=":material/edit:",
        help="The Persons page opens with this person and this request linked.",
    ):
        ss["persons_selected_id"] = view.person_id
        ss["persons_request_id"] = view.id
        st.switch_page(
            "pages/persons.py", query_params={"person": view.person_id, "request": view.id}
        )


def conflict(action: Action) -> None:
    if message := step_errors(action).get("conflict"):
        st.error(message, icon=":material/block:")


def verify_form(view: RequestView) -> None:
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


def assign_form(view: RequestView) -> None:
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
                f"Assigned to {names.get(who, 'nobody')}.",
            )


def extend_form(view: RequestView) -> None:
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
                f"Extended: now due {finnish_date(new_due)}.",
            )


def report_section(view: RequestView) -> None:
    conflict(Action.REPORT)
    if st.button(
        "Generate the access report" if not view.report_generated_at else "Generate it again",
        type="primary" if not view.report_generated_at else "secondary",
        icon=":material/description:",
        help="Reads every record on the matched person and the registry declaration. "
        "Recorded in the audit trail and the request's history.",
    ):
        try:
            with widgets.session() as s:
                report = access.generate(s, actor, view.id)
        except (ConflictError, NotFound) as e:
            ss[STEP_ERRORS] = {Action.REPORT: {"conflict": str(e)}}
            st.rerun()
        ss[REPORT] = {
            "id": view.id,
            "json": access.to_json(report),
            "html": access.to_html(report),
            "holds_data": report.holds_data,
            "records": report.record_count,
        }
        done("Access report generated: download it below.")
    made = ss.get(REPORT)
    if not made or made["id"] != view.id:
        if view.report_generated_at:
            st.caption(
                f"Generated on {helsinki(view.report_generated_at)}. Generate it again to "
                "download it in this session."
            )
        return
    if made["holds_data"]:
        st.caption(f"{made['records']} records on {view.person_name}.")
    else:
        st.caption("The registry holds no personal data on the requester: the report says so.")
    name = access.reference(view.id)
    left, right = st.columns(2)
    with left:
        st.download_button(
            "Download the letter (HTML)",
            made["html"],
            file_name=f"{name}-access-report.html",
            mime="text/html",
            icon=":material/download:",
            on_click="ignore",
        )
    with right:
        st.download_button(
            "Download the data (JSON)",
            made["json"],
            file_name=f"{name}-access-report.json",
            mime="application/json",
            icon=":material/data_object:",
            on_click="ignore",
        )
    with st.expander("Preview the letter"):
        components.html(made["html"], height=700, scrolling=True)


def complete_form(view: RequestView) -> None:
    errors = step_errors(Action.COMPLETE)
    conflict(Action.COMPLETE)
    if view.kind == RequestKind.ACCESS and not view.report_generated_at:
        st.caption("An access request is completed after its report has been generated.")
    if view.kind == RequestKind.OBJECTION:
        st.caption(
            "Completing records an objection to all direct marketing and the profiling for it "
            "on the matched person, at once."
        )
    with st.form("requests_complete_form"):
        outcome = st.text_area(
            "Outcome", max_chars=settings.MAX_LONG_TEXT, height=80, help="What was done or sent."
        )
        widgets.field_error(errors, "outcome")
        if st.form_submit_button("Complete the request", type="primary"):
            step(
                Action.COMPLETE,
                lambda s: transitions.complete(s, actor, view.id, outcome),
                f"Request #{view.id} completed.",
            )


def reject_form(view: RequestView) -> None:
    errors = step_errors(Action.REJECT)
    conflict(Action.REJECT)
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
                lambda s: transitions.reject(s, actor, view.id, reason),
                f"Request #{view.id} rejected.",
            )


def match_form(view: RequestView) -> None:
    errors = step_errors(Action.MATCH)
    conflict(Action.MATCH)
    person_id = person_picker(MATCH_PERSON, "The person the request is about.")
    widgets.field_error(errors, "person_id")
    if st.button("Match", disabled=person_id is None):
        step(
            Action.MATCH,
            lambda s: transitions.match_person(s, actor, view.id, person_id),
            "Request matched.",
        )


STEP_VIEWS = {
    Action.VERIFY: ("Verify the requester's identity", verify_form),
    Action.REPORT: ("Access report (Art. 15)", report_section),
    Action.COMPLETE: ("Complete", complete_form),
    Action.EXTEND: ("Extend the deadline", extend_form),
    Action.ASSIGN: ("Assign", assign_form),
    Action.MATCH: ("Match to a person", match_form),
    Action.REJECT: ("Reject", reject_form),
}


def next_step(view: RequestView) -> Action | None:
    """The step most likely wanted now: its section opens expanded."""
    if Action.VERIFY in view.actions:
        return Action.VERIFY
    if Action.REPORT in view.actions and not view.report_generated_at:
        return Action.REPORT
    return Action.COMPLETE if Action.COMPLETE in view.actions else None


def workflow(view: RequestView) -> None:
    if not view.actions:
        st.info("The request is closed: no further steps.", icon=":material/lock:")
        return
    st.markdown("#### Workflow")
    wanted = next_step(view)
    pending = set(ss.get(STEP_ERRORS, {}))
    if ss.get(REPORT, {}).get("id") == view.id:
        pending.add(Action.REPORT)  # keep the fresh report's downloads in view
    for action, (title, draw) in STEP_VIEWS.items():
        if action in view.actions:
            with st.expander(title, expanded=action == wanted or action in pending):
                draw(view)


def history(view: RequestView) -> None:
    st.markdown("#### History")
    st.dataframe(
        pd.DataFrame(
            {
                "When": [helsinki(h.at) for h in view.history],
                "Step": [h.action_label for h in view.history],
                "Status": [
                    f"{label(STATUS_LABELS, h.from_status)} → {label(STATUS_LABELS, h.to_status)}"
                    if h.from_status and h.from_status != h.to_status
                    else label(STATUS_LABELS, h.to_status)
                    for h in view.history
                ],
                "By": [h.actor_name for h in view.history],
                "Note": [h.note for h in view.history],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def detail_view(request_id: int) -> None:
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
    header(view)
    rectification_link(view)
    workflow(view)
    history(view)


# --- the page ---------------------------------------------------------------------------

st.title("Requests")
if (linked := st.query_params.get("request")) and linked.isdigit():
    if ss.get(SELECTED) != int(linked):
        open_request(int(linked))
show_flash()
if ss.get(SELECTED) is not None:
    detail_view(int(ss[SELECTED]))
else:
    st.caption(
        "Access, rectification, objection, erasure and restriction requests, against their "
        f"legal deadlines. Today is {finnish_date(today)} (Helsinki)."
    )
    queue_tab, log_tab = st.tabs(["Queue", "Log a request"])
    with queue_tab:
        queue_view()
    with log_tab:
        log_view()
