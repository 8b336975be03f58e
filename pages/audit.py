"""Audit trail: who did what, on which record, and when (compliance and administrators).

Every figure, page of rows and the CSV export come from registry.audit, filtered in SQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html

import pandas as pd
import plotly.express as px
import streamlit as st

from registry import audit, auth, db, deadlines, guards, labels, settings, spreadsheet
from registry.errors import PermissionDenied
from registry.models import AuditEvent
from registry.permissions import Permission
from views import widgets

actor = widgets.require_page(Permission.VIEW_AUDIT)

PAGE_NUMBER_KEY = "audit_page_number"

ACTION_LABELS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Sign-in failed",
    "sign_out": "Signed out",
    "audit_exported": "Audit trail exported",
}
RECORD_TYPE_LABELS = {
    "app_user": "Dashboard user",
    "audit_event": "Audit trail",
    "data_subject_request": "Data-subject request",
}


def label(mapping: dict[str, str], value: str | None) -> str:
    return labels.label(mapping, value)


choices = widgets.cached_read(Permission.VIEW_AUDIT)(audit.distinct_values)


st.title("Audit trail")
st.caption(
    "Every sign-in and failed attempt, every view of a single person's data, every export, "
    "report and write. Append-only: the database refuses to change or delete an event. "
    "Dates are Helsinki dates."
)
# The caption says the database refuses changes: say so plainly when a guard is gone.
with widgets.engine().connect() as connection:
    for problem in guards.missing_guards(connection):
        st.error(
            f"{problem} Run `python -m registry migrate` as the database owner, or enable the "
            "trigger again, and find out who removed it: until then this trail may be altered.",
            icon=":material/gpp_bad:",
        )

today = deadlines.today()
with st.form("audit_filters"):
    cols = st.columns(3)
    user = cols[0].selectbox(
        "User",
        choices("actor_name"),
        index=None,
        placeholder="Anyone",
        accept_new_options=True,
        key="audit_user",
        help="The account name, or the name typed at a failed sign-in.",
    )
    action = cols[1].selectbox(
        "Action",
        choices("action"),
        index=None,
        format_func=lambda a: label(ACTION_LABELS, a),
        placeholder="Any action",
        key="audit_action",
    )
    record_type = cols[2].selectbox(
        "Record type",
        choices("record_type"),
        index=None,
        format_func=lambda t: label(RECORD_TYPE_LABELS, t),
        placeholder="Any record",
        key="audit_record_type",
    )
    cols = st.columns(3)
    record_id = cols[0].text_input(
        "Record id", max_chars=audit.RECORD_ID_LENGTH, key="audit_record_id"
    )
    record_id_error = cols[0].empty()
    since = cols[1].date_input(
        "From",
        value=today - dt.timedelta(days=settings.AUDIT_DEFAULT_DAYS - 1),
        format="YYYY-MM-DD",
        key="audit_since",
    )
    until = cols[2].date_input("To", value=today, format="YYYY-MM-DD", key="audit_until")
    until_error = cols[2].empty()
    st.form_submit_button("Apply", icon=":material/filter_alt:")

audit_filter = audit.AuditFilter(
    actor_name=user or None,
    action=action,
    record_type=record_type,
    record_id=record_id.strip() or None,
    since=since,
    until=until,
)
if errors := audit_filter.errors():
    with record_id_error:
        widgets.field_error(errors, "record_id")
    with until_error:
        widgets.field_error(errors, "until")
    st.stop()

with widgets.session() as s:
    total = audit.count(s, actor, audit_filter)
    failed = audit.count(s, actor, dataclasses.replace(audit_filter, action="sign_in_failed"))
    names = audit.actor_count(s, actor, audit_filter)
    per_day = pd.DataFrame(
        audit.actions_per_day(s, actor, audit_filter), columns=["day", "user", "actions"]
    )

described = audit_filter.describe(
    lambda a: label(ACTION_LABELS, a), lambda t: label(RECORD_TYPE_LABELS, t)
)
st.caption(f"Showing {widgets.plain(described)}.")
cards = st.columns(3)
with cards[0]:
    widgets.metric_card("Events", f"{total:,}")
with cards[1]:
    widgets.metric_card(
        "Users",
        names,
        help="Accounts that acted, and names typed at failed sign-ins.",
    )
with cards[2]:
    widgets.metric_card(
        "Failed sign-ins",
        f"{failed:,}",
        help=f"After {settings.SIGN_IN_USERNAME_FREE_FAILURES} with one username (or "
        f"{settings.SIGN_IN_CLIENT_FREE_FAILURES} from one address) the next attempt waits, "
        f"longer after each, up to {settings.SIGN_IN_MAX_WAIT.seconds // 60} minutes.",
    )

if per_day.empty:
    st.info("No events match the filter.", icon=":material/search_off:")
    st.stop()

# Plotly reads a few HTML tags in legend and hover text (links among them); a name typed
# at a failed sign-in must stay text there too.
per_day["user"] = per_day["user"].map(lambda name: html.escape(name, quote=False))
chart = px.bar(
    per_day,
    x="day",
    y="actions",
    color="user",
    title="Actions per day by user"
    + (
        f" (the {settings.AUDIT_CHART_USERS} most active; the rest as {audit.OTHER_NAMES})"
        if names > settings.AUDIT_CHART_USERS
        else ""
    ),
    labels={"day": "Day (Helsinki)", "actions": "Actions", "user": "User"},
)
chart.update_layout(bargap=0.15, legend_title_text="User", margin={"t": 50, "b": 10})
# One tick per day for up to a month of days; plotly picks the ticks for longer ranges.
chart.update_xaxes(dtick=86_400_000 if per_day["day"].nunique() <= 31 else None)
# Whole actions: no half-steps on a short axis.
chart.update_yaxes(dtick=1 if per_day.groupby("day")["actions"].sum().max() <= 10 else None)
st.plotly_chart(chart, width="stretch")

engine = widgets.engine()


def export_file(file_format: spreadsheet.FileFormat) -> bytes:
    """Runs on the download click, in its own thread: re-read the account, then export."""
    with db.make_sessionmaker(engine)() as s:
        current = auth.current_actor(s, actor.user_id) if actor.user_id else None
        if current is None:
            raise PermissionDenied("The account is no longer active.")
        if file_format == spreadsheet.FileFormat.XLSX:
            return audit.export_xlsx(s, current, audit_filter)
        # The lines carry the byte order mark and the declared separator (registry.spreadsheet).
        return "".join(audit.export_csv(s, current, audit_filter)).encode("utf-8")


capped = total > settings.AUDIT_EXPORT_MAX_ROWS
widgets.spreadsheet_downloads(
    lambda f: f"Export {min(total, settings.AUDIT_EXPORT_MAX_ROWS):,} events as {f.label}",
    export_file,
    f"audit-trail-{today.isoformat()}",
    "audit_export",
    "The export is itself recorded in the audit trail."
    + (
        f" At most {settings.AUDIT_EXPORT_MAX_ROWS:,} events (the oldest); narrow the filter."
        if capped
        else ""
    ),
)


def read_events(limit: int, offset: int) -> tuple[list[AuditEvent], int]:
    with widgets.session() as s:
        return audit.events(s, actor, audit_filter, limit=limit, offset=offset), total


# A new filter starts again from page 1.
page = widgets.paged(PAGE_NUMBER_KEY, read_events, restart_on=audit_filter)
widgets.pager(PAGE_NUMBER_KEY, page, "events, newest first")
linkable = any(widgets.may_open(actor, e.record_type) for e in page.rows)
picked = st.dataframe(
    pd.DataFrame(
        [
            {
                "When": e.at.astimezone(settings.REGISTRY_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                "User": e.actor_name,
                "Action": label(ACTION_LABELS, e.action),
                "Record": label(RECORD_TYPE_LABELS, e.record_type),
                "Record id": e.record_id or "",
                "Detail": e.detail,
                # The record's own page, for a role that may open it (views.widgets).
                "Open": widgets.record_url(
                    actor,
                    e.record_type,
                    e.record_id,
                    f"Open the {label(RECORD_TYPE_LABELS, e.record_type).lower()}",
                ),
            }
            for e in page.rows
        ],
        columns=["When", "User", "Action", "Record", "Record id", "Detail", "Open"]
        if linkable
        else ["When", "User", "Action", "Record", "Record id", "Detail"],
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "Detail": st.column_config.TextColumn(width="large"),
        "Open": widgets.link_column("Open", help="The record's own page, in a new tab"),
    },
    key="audit_events_table",
    on_select="rerun" if linkable else "ignore",
    selection_mode="single-row",
)
if linkable:
    st.caption(
        "Select a row of a request, a person or a disclosure to open it here, or follow "
        "its link in the Open column to open it in a new tab."
    )
if (row := widgets.selected_row(picked)) is not None:
    chosen_event = page.rows[row]
    widgets.open_record(actor, chosen_event.record_type, chosen_event.record_id)
