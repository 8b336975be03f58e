"""The queue: KPIs, open requests by age, filters, a table coloured by urgency, CSV export."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from registry import labels, settings, spreadsheet
from registry.formats import finnish_date
from registry.permissions import Actor
from registry.report import notices
from registry.requests import queue
from registry.requests.queue import QueueFilter
from registry.vocabulary import RequestKind, RequestStatus
from views import widgets
from views.requests.common import (
    FILTER,
    PAGE,
    assignees,
    figures,
    flags,
    open_request,
    queue_page,
    ss,
    untold,
)

URGENCY_STYLE = {
    "overdue": "background-color: #fdecea; color: #b71c1c",
    "due_soon": "background-color: #fff4e0; color: #8a4b00",
}


def kpis(today: dt.date) -> None:
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


def age_chart(today: dt.date) -> None:
    f = figures(today)
    st.markdown("**Open requests by age** (days since receipt)")
    if not f.open_by_age:
        st.caption("No open requests.")
        return
    frame = pd.DataFrame(f.open_by_age, columns=["age", "kind", "requests"])
    frame["kind"] = [labels.of(RequestKind, k) for k in frame["kind"]]
    bands = [b for _, b in queue.age_bands()]
    figure = px.bar(
        frame,
        x="age",
        y="requests",
        color="kind",
        category_orders={"age": bands, "kind": [k.label for k in RequestKind]},
        labels={"age": "Days since receipt", "requests": "Open requests", "kind": "Kind"},
        # Not red or amber: those colours mean overdue and due soon on this page.
        color_discrete_sequence=px.colors.qualitative.Safe,
    )
    figure.update_layout(
        height=300, margin={"l": 0, "r": 0, "t": 10, "b": 0}, legend={"orientation": "h", "y": -0.3}
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})


def filter_form(today: dt.date) -> QueueFilter:
    current: QueueFilter = ss.setdefault(FILTER, QueueFilter())
    names = assignees()
    assignee_options: dict[int | None, str] = {None: "Anyone", queue.UNASSIGNED: "Nobody"}
    assignee_options.update(names)
    with st.form("requests_filter_form", border=True):
        statuses = st.multiselect(
            "Status",
            list(RequestStatus),
            default=[RequestStatus(s) for s in current.statuses],
            format_func=lambda s: labels.of(RequestStatus, s),
            placeholder="Any status",
        )
        kinds = st.multiselect(
            "Kind",
            list(RequestKind),
            default=[RequestKind(k) for k in current.kinds],
            format_func=lambda k: labels.of(RequestKind, k),
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
            st.rerun()
    return current


def queue_table(queue_filter: QueueFilter, today: dt.date) -> None:
    # A new filter starts again from page 1.
    page = widgets.paged(
        PAGE,
        lambda limit, offset: queue_page(queue_filter, limit, offset, today),
        restart_on=queue_filter,
    )
    rows = page.rows
    st.caption(
        f"{widgets.plain(queue_filter.describe(assignees()))}: **{page.total}**, "
        "open first, soonest due first."
    )
    if not rows:
        st.info("No requests match these filters.", icon=":material/inbox:")
        return
    flagged = flags(tuple(r.id for r in rows), today)
    frame = pd.DataFrame(
        {
            "Request": [f"#{r.id}" for r in rows],
            "Kind": [r.kind.capitalize() for r in rows],  # the article is in the detail view
            "Requester": [r.requester_name for r in rows],
            "Matched": [r.person_id is not None for r in rows],
            "Received": [finnish_date(r.received_on) for r in rows],
            "Due": [finnish_date(r.due_on) for r in rows],
            "Days left": [r.days_left for r in rows],
            "Status": [labels.of(RequestStatus, r.status) for r in rows],
            "Assignee": [r.assignee_name or "—" for r in rows],
            "Flags": [
                "; ".join(notices.FLAG_LABELS[f] for f in flagged.get(r.id, ())) for r in rows
            ],
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
        key=f"requests_queue_table_{page.number}",
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
    widgets.pager(PAGE, page, "requests")


def export_button(actor: Actor, queue_filter: QueueFilter, today: dt.date) -> None:
    def export(file_format: spreadsheet.FileFormat) -> bytes:
        # Runs only when a button is clicked: the export, and its audit event, happen then.
        with widgets.session() as s:
            return queue.export_file(s, actor, queue_filter, file_format, today)

    widgets.spreadsheet_downloads(
        lambda f: f"Download the filtered queue ({f.label})",
        export,
        f"requests-{today.isoformat()}",
        "requests_queue_download",
        "Every request that matches the filters, with identity checks, extensions and "
        "outcomes, for an audit. The download is recorded in the audit trail.",
    )


def show(actor: Actor, today: dt.date) -> None:
    """The queue tab."""
    kpis(today)
    for request_id, by in untold(today):
        # Art. 12(3): an extension must be told within the first month of receipt.
        st.warning(
            f"Request #{request_id}: the person had to be told of the extension by "
            f"{finnish_date(by)}, and no telling is recorded.",
            icon=":material/schedule:",
        )
    chart, filters = st.columns([3, 2])
    with filters:
        queue_filter = filter_form(today)
    with chart:
        age_chart(today)
    queue_table(queue_filter, today)
    export_button(actor, queue_filter, today)
