"""The History tab: amendments a page at a time, and the recipients to tell of each
change (Art. 19), ticked once told."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry import amendments, notifications, settings, transfers
from registry.errors import ValidationError
from registry.permissions import Actor, Permission
from registry.persons import PersonDetail
from views import widgets
from views.persons.common import NOTICE, day, label, when

HISTORY_PAGE = "persons_history_page"


def notify(actor: Actor, change_id: int, recipient_id: int, name: str) -> None:
    with widgets.session() as s:
        try:
            notifications.mark_notified(s, actor, change_id, recipient_id)
        except ValidationError as e:
            widgets.flash(NOTICE, "; ".join(e.field_errors.values()))
            return
    widgets.data_changed()
    widgets.flash(NOTICE, f"Recorded that {widgets.plain(name)} was told of the change.")


def history_tab(actor: Actor, d: PersonDetail) -> None:
    may_amend = actor.may(Permission.AMEND_PERSON)
    st.subheader("Amendment history", anchor=False)
    widgets.show_database_failure()  # a tick the database refused

    def read(limit: int, offset: int) -> tuple[list[amendments.AmendmentHistoryRow], int]:
        with widgets.session() as s:
            found = amendments.history(s, actor, d.id, limit=limit, offset=offset)
        return found.rows, found.total

    # Another person starts again from page 1.
    page = widgets.paged(HISTORY_PAGE, read, restart_on=d.id)
    if not page.total:
        st.info("This person's data has not been amended.")
        return
    with widgets.session() as s:
        follow_ups = notifications.follow_ups(s, actor, d.id)
    st.dataframe(
        pd.DataFrame(
            [
                (
                    when(r.amended_at),
                    r.amended_by,
                    r.label,
                    r.old_value or "",
                    r.new_value or "",
                    r.reason,
                    f"#{r.request_id}" if r.request_id else "",
                )
                for r in page.rows
            ],
            columns=["When", "Who", "Field", "Old value", "New value", "Reason", "Request"],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Field": st.column_config.TextColumn(width="small"),
            "Reason": st.column_config.TextColumn(width="large"),
            "Request": st.column_config.TextColumn(width="small"),
        },
    )
    widgets.pager(HISTORY_PAGE, page, "amendments")

    st.subheader("Tell the recipients (Art. 19)", anchor=False)
    st.caption(
        "Each recipient that received this person's data before a change must be told of it. "
        "Tick a recipient once they have been told; the tick is stored and audited."
    )
    options = {f.change_id: f for f in follow_ups}
    change_id = st.selectbox(
        "Amendment",
        list(options),
        # Labels that do not change with the ticks, so the choice survives them.
        format_func=lambda c: (
            f"{when(options[c].amended_at)} · {', '.join(options[c].fields)} · "
            f"by {options[c].amended_by}"
        ),
        # Keyed by the newest save, so that a new save opens on its own follow-up.
        key=f"persons_follow_up_change_{follow_ups[0].change_id}",
    )
    follow_up = options[change_id]
    if not follow_up.recipients:
        st.success(
            "No recipient had received this person's data before this change: nobody to tell."
        )
        return
    told = len(follow_up.recipients) - follow_up.pending
    st.caption(f"{told} of {len(follow_up.recipients)} recipients told of this change.")
    header = st.columns([1, 3, 2, 2, 3, 3])
    for column, title in zip(
        header,
        ["Told", "Recipient", "Country", "Disclosures", "Data categories", "Recorded"],
        strict=True,
    ):
        column.markdown(f"**{title}**")
    for r in follow_up.recipients:
        row = st.columns([1, 3, 2, 2, 3, 3], vertical_alignment="center")
        row[0].checkbox(
            f"Told {widgets.plain(r.name)}",
            value=r.notified_at is not None,
            disabled=r.notified_at is not None or not may_amend,
            # A new key once told: the ticked, locked box is another widget than the open one.
            key=f"persons_told_{change_id}_{r.recipient_id}_{r.notified_at is not None}",
            on_change=widgets.guarded(notify),
            args=(actor, change_id, r.recipient_id, r.name),
            label_visibility="collapsed",
        )
        row[1].markdown(
            widgets.plain(r.name)
            + (" :orange-badge[outside the EU/EEA]" if r.third_country else "")
        )
        row[2].markdown(widgets.plain(transfers.country_name(r.country)))
        last = r.last_disclosed_at.astimezone(settings.REGISTRY_TZ).date()
        row[3].markdown(f"{r.disclosures} (last {day(last)})")
        row[4].markdown(widgets.plain(", ".join(label(c) for c in r.data_categories)))
        row[5].markdown(
            widgets.plain(f"{when(r.notified_at)} by {r.notified_by}") if r.notified_at else "—"
        )
