"""The Retention page's list of runs, newest first, with their counts per rule."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry import retention_apply, retention_follow_up
from registry.permissions import Actor, Permission
from views import widgets
from views.retention.common import RUNS_PAGE, STATUS_LABELS, TOLD, helsinki


def runs_view(actor: Actor) -> None:
    widgets.show_flash(TOLD)
    tell_view(actor)
    st.subheader("Runs")
    read: dict[int, list[retention_apply.RunView]] = {}

    def page_of(limit: int, offset: int) -> tuple[list[retention_apply.RunView], int]:
        with widgets.session() as s:
            rows, total = retention_apply.runs(s, actor, limit, offset)
        read[offset] = rows
        return rows, total

    page = widgets.paged(RUNS_PAGE, page_of)
    if not page.rows:
        st.info(
            "The schedule has not been applied to this database yet. Schedule "
            "`python -m registry retention --apply` nightly (see the README), or apply it "
            "on the Due now tab."
        )
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Run": f"#{r.id}",
                    "Started (Helsinki)": helsinki(r.started_at),
                    "Finished": helsinki(r.finished_at),
                    "Result": STATUS_LABELS.get(r.status, r.status),
                    "By": r.actor_name,
                    "Persons erased": r.persons_erased,
                    "Rows deleted": r.rows_deleted,
                    "Per rule": "; ".join(
                        f"{k} {v['persons'] or v['rows']}" for k, v in sorted(r.counts.items())
                    ),
                    "Why it stopped": r.message,
                }
                for r in page.rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    widgets.pager(RUNS_PAGE, page, "runs, newest first")


def tell_view(actor: Actor) -> None:
    """Art. 19: the recipients to tell of the schedule's erasures."""
    st.subheader("Recipients to tell of the erasures (Art. 19)")
    with widgets.session() as s:
        pending = retention_follow_up.to_tell(s, actor)
    if not pending:
        st.caption("No recipient is waiting to be told of an erasure the schedule made.")
        return
    for r in pending:
        text, action = st.columns([4, 1], vertical_alignment="center")
        text.markdown(
            f"**{widgets.plain(r.name)}** ({r.country}): received the data of "
            f"{r.persons:,} persons the schedule erased; the latest on "
            f"{helsinki(r.last_erased_at)}."
        )
        if actor.may(Permission.APPLY_RETENTION) and action.button(
            "Recorded as told", key=f"retention_told_{r.recipient_id}"
        ):
            with widgets.session() as s:
                n = retention_follow_up.mark_told(s, actor, r.recipient_id)
            widgets.flash(TOLD, f"{r.name}: recorded as told of {n:,} erasures.")
            st.rerun()
