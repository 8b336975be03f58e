"""The Retention page's preview of one person: the rule that has them due, and what an
erasure would delete, anonymise and keep, table by table (nothing is written)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry import retention
from registry.errors import NotFound
from registry.notice import PERSON_RULES, declaration
from registry.permissions import Actor
from views import widgets
from views.retention.common import PERSON, SAMPLE


def person_view(actor: Actor) -> None:
    rules = [r for r in declaration().retention.rules if r.key in PERSON_RULES]
    rule = st.selectbox(
        "Rule",
        rules,
        format_func=lambda r: f"{r.key}: {r.what}",
        key="retention_person_rule",
    )
    with widgets.session() as s:
        ids = retention.due_ids(s, actor, rule.key, SAMPLE)
    if ids:
        st.caption(
            f"The first {len(ids)} persons this rule has due, by id: "
            + ", ".join(str(i) for i in ids)
        )
    # One input per rule, so choosing another rule offers its first due person.
    person_id = st.number_input(
        "Person id", min_value=1, step=1, value=ids[0] if ids else None, key=f"{PERSON}_{rule.key}"
    )
    if person_id is None:
        st.info("No person is due under this rule. Enter an id to see where a person stands.")
        return
    try:
        with widgets.session() as s:
            shown = retention.person_due(s, actor, int(person_id))
    except NotFound as e:
        widgets.field_error({"person": str(e)}, "person")
        return
    if shown.preview.already_erased:
        st.info(f"Person {shown.person_id} is erased already; the schedule passes them by.")
    elif shown.clock is None:
        st.info(f"No rule of the schedule has person {shown.person_id} due today.")
    elif shown.deferred:
        st.warning(
            f"Past the period of {shown.clock.rule.key} ({shown.clock.why}), but a request of "
            "theirs is open: they fall due when it is closed."
        )
    else:
        st.warning(
            f"Due under {shown.clock.rule.key}: {shown.clock.why}. Applying the schedule "
            "would do this:"
        )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Table": e.table,
                    "What happens": e.what,
                    "Rows": e.rows,
                    "Why": e.why,
                    "Kept until": e.until.isoformat() if e.until else "",
                }
                for e in shown.preview.effects
            ]
        ),
        hide_index=True,
        width="stretch",
    )
