"""The Import page's list of persons to be told of data from a third party (Art. 14(3)(a)),
and recording that they were."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from registry import settings
from registry.errors import ValidationError
from registry.imports import informing
from registry.permissions import Actor, Permission
from views import widgets
from views.imports.common import (
    helsinki,
    ss,
)


def inform_view(actor: Actor) -> None:
    """Persons to be told of data from a third party (Art. 14), and recording it."""
    st.caption(
        "Data not obtained from the person must be told to the person within a month "
        "(GDPR Art. 14(3)(a)): the source, the categories of data, the purposes and the "
        "person's rights. Which sources are the person's own is declared in the registry "
        "notice (data/registry.toml, sources.from_the_person); every other source counts as a "
        "third party. A person leaves this list when it is recorded that they were told."
    )
    with widgets.session() as s:
        counts = informing.summary(s, actor)
    cards = st.columns(2)
    with cards[0], st.container(border=True):
        st.metric("Persons to be told", f"{counts.awaiting:,}")
    with cards[1], st.container(border=True):
        st.metric(
            "Past the month",
            f"{counts.overdue:,}",
            delta="act now" if counts.overdue else None,
            delta_color="inverse",
            delta_arrow="off",
        )
    if not actor.may(Permission.VIEW_PERSON):
        st.info(
            "The list names persons: the compliance role reads it and records who was told.",
            icon=":material/lock:",
        )
    elif counts.awaiting:
        today = dt.datetime.now(settings.REGISTRY_TZ).date()
        with widgets.session() as s:
            waiting = informing.persons_to_inform(s, actor, limit=settings.PAGE_SIZE)
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Person": p.person_id,
                        "Name": p.name,
                        "Source": p.source,
                        "Data came in": helsinki(p.obtained_at),
                        "Tell by": p.inform_by.strftime("%-d.%-m.%Y"),
                        "": "overdue" if p.overdue(today) else "",
                        "Import": f"#{p.import_run_id}" if p.import_run_id else "",
                    }
                    for p in waiting
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        if counts.awaiting > len(waiting):
            st.caption(f"The {len(waiting)} waiting longest of {counts.awaiting:,}.")
        if actor.may(Permission.AMEND_PERSON):
            errors = widgets.form_errors("imports_inform_errors")
            with st.form("imports_inform"):
                st.markdown("**Record that a person was told**")
                who = st.selectbox(
                    "Person",
                    [p.person_id for p in waiting],
                    format_func=lambda pid: next(
                        f"#{p.person_id} {p.name}" for p in waiting if p.person_id == pid
                    ),
                )
                told_on = st.date_input(
                    "Told on", value=today, max_value=today, format="DD.MM.YYYY"
                )
                widgets.field_error(errors, "informed_on")
                record = st.form_submit_button("Record", type="primary")
            if record and who is not None:
                with widgets.session() as s:
                    try:
                        informing.record_informed(s, actor, who, told_on)
                    except ValidationError as e:
                        ss["imports_inform_errors"] = e.field_errors
                    else:
                        ss["imports_inform_errors"] = {}
                        widgets.data_changed()
                st.rerun()
