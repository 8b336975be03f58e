"""The Retention page's listing: per rule, what is due now and why; and applying it."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from registry import retention, retention_apply, settings
from registry.errors import RegistryError
from registry.models import utcnow
from registry.notice import PERSON_RULES
from registry.permissions import Actor, Permission
from views import widgets
from views.retention.common import APPLIED, helsinki


@widgets.cached_read(Permission.VIEW_RETENTION)
def _listing(session: Session, actor: Actor) -> list[retention.Due]:
    return retention.listing(session, actor)


def _table(due: list[retention.Due]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Rule": d.rule.key,
                "Covers": d.rule.what,
                "Period": d.clock.period,
                "Due: clock started before": d.clock.cutoff.isoformat(),
                "Persons to erase": d.persons if d.rule.key in PERSON_RULES else None,
                "Rows to delete": None if d.rule.key in PERSON_RULES else d.rows,
                "Orders kept (legal hold)": d.held if d.rule.key in PERSON_RULES else None,
                "Deferred (open request)": d.deferred if d.rule.key in PERSON_RULES else None,
                "Clock starts at": d.rule.starts,
            }
            for d in due
        ]
    )


def _last_run(actor: Actor) -> None:
    """The newest run: the nightly job is scheduled outside the app (README), so the page
    says when it last ran and warns when that is longer ago than a night allows."""
    with widgets.session() as s:
        last, _ = retention_apply.runs(s, actor, limit=1)
    hours = int(settings.RETENTION_MAX_AGE.total_seconds() // 3600)
    if not last:
        st.warning(
            "The schedule has never been applied to this database. Schedule "
            "`python -m registry retention --apply` nightly (README), or apply it below.",
            icon=":material/warning:",
        )
        return
    run = last[0]
    when = helsinki(run.started_at)
    if run.status == "failed":
        st.error(f"The last run (#{run.id}, {when}) failed: {run.message}", icon=":material/error:")
    elif utcnow() - run.started_at > settings.RETENTION_MAX_AGE:
        st.warning(
            f"The last run (#{run.id}) was on {when} (Helsinki): more than {hours} hours ago. "
            "Check the nightly job.",
            icon=":material/warning:",
        )
    else:
        st.caption(
            f"Last run #{run.id} on {when} (Helsinki) by {run.actor_name}: "
            f"{run.persons_erased:,} persons erased, {run.rows_deleted:,} rows deleted."
        )


def due_view(actor: Actor) -> None:
    widgets.show_flash(APPLIED)
    _last_run(actor)
    due = _listing()
    persons = sum(d.persons for d in due)
    rows = sum(d.rows for d in due)
    cards = st.columns(3)
    with cards[0]:
        widgets.metric_card("Persons due for erasure", f"{persons:,}")
    with cards[1]:
        widgets.metric_card("Rows due for deletion", f"{rows:,}")
    with cards[2]:
        widgets.metric_card(
            "Deferred while a request is open",
            f"{sum(d.deferred for d in due):,}",
            help="Past their period, but erasing them would destroy what their open request "
            "is about; they fall due when it is closed.",
        )
    st.dataframe(_table(due), hide_index=True, width="stretch")
    st.caption(
        "Counted now, from data/registry.toml [retention]. A person is erased through the "
        "same path as an erasure request: orders within the Accounting Act's period stay, "
        "without the name, until their hold ends; the email and phone go on the suppression "
        "list; recipients that received the person's data are listed to be told (Art. 19)."
    )
    if not actor.may(Permission.APPLY_RETENTION):
        return
    if not persons and not rows:
        st.success("Nothing is due: the registry holds nothing past its period.")
        return
    with st.container(border=True):
        st.markdown(f"**Apply the schedule now:** erase {persons:,} persons, delete {rows:,} rows.")
        sure = st.checkbox(
            "I understand that erased persons and deleted rows cannot be brought back.",
            key="retention_sure",
        )
        if not st.button(
            "Apply the retention schedule",
            type="primary",
            disabled=not sure,
            icon=":material/auto_delete:",
            key="retention_apply",
        ):
            return
        bar = st.progress(0.0, text="Starting")
        try:
            done = retention_apply.apply(
                widgets.engine(),
                actor,
                progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
            )
        except RegistryError as e:
            widgets.data_changed()  # the batches before the failure are committed
            st.error(str(e), icon=":material/error:")
            return
        widgets.data_changed()
        widgets.flash(
            APPLIED,
            f"Retention run #{done.run_id}: {done.persons_erased:,} persons erased, "
            f"{done.rows_deleted:,} rows deleted; {done.recipients_to_tell:,} recipients to "
            "tell of the erasures (Art. 19, listed under Runs).",
        )
        st.rerun()
