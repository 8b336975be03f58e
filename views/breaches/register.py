"""The clocks of the open breaches and the register table with its chooser."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry import breaches
from registry.breaches import ClockState
from registry.permissions import Actor
from registry.vocabulary import (
    AUTHORITY_DECISION_LABELS,
    BREACH_RISK_LABELS,
    BREACH_SOURCE_LABELS,
    PERSONS_DECISION_LABELS,
)
from views import widgets
from views.breaches.common import (
    SELECTED,
    label,
    moment,
    ss,
)

CLOCK_STYLE = {
    ClockState.AMBER: "background-color: #fff4e0; color: #8a4b00",
    ClockState.PASSED: "background-color: #fdecea; color: #b71c1c",
}


def rows(actor: Actor) -> list[breaches.RegisterRow]:
    # Not cached: the clock moves, and the register is a handful of rows.
    with widgets.session() as s:
        return breaches.register(s, actor)


def clocks(rows: list[breaches.RegisterRow]) -> None:
    """A badge per open breach: its clock against the Ombudsman deadline."""
    open_rows = [r for r in rows if r.clock.is_open]
    if open_rows:
        for r in open_rows:
            st.markdown(
                f":{r.clock.colour}-badge[:material/timer: {r.reference} · {r.clock.text}] "
                f"{widgets.plain(r.summary)} — the Ombudsman deadline is "
                f"**{r.clock.deadline_text}** (72 h from awareness, {moment(r.aware_at)})."
            )
    elif rows:
        st.caption("No breach is waiting for the Ombudsman decision.")


def clock_style(states: pd.Series) -> list[str]:  # type: ignore[type-arg]
    return [CLOCK_STYLE.get(s, "") for s in states]


def table(rows: list[breaches.RegisterRow]) -> None:
    """The register, coloured by clock, and the choice of the breach to open."""
    if not rows:
        st.info("No breach is recorded. Record one in the next tab.")
    else:
        table = pd.DataFrame(
            {
                "Reference": [r.reference for r in rows],
                "What happened": [r.summary for r in rows],
                "Source": [
                    f"{label(BREACH_SOURCE_LABELS, r.source)}: {r.source_name}" for r in rows
                ],
                "Aware": [moment(r.aware_at) for r in rows],
                "Deadline": [r.clock.deadline_text for r in rows],
                "Clock": [r.clock.text for r in rows],
                "Risk": [label(BREACH_RISK_LABELS, r.risk, "Not assessed") for r in rows],
                "Ombudsman": [
                    label(AUTHORITY_DECISION_LABELS, r.authority_decision, "Not decided")
                    for r in rows
                ],
                "Persons": [
                    label(PERSONS_DECISION_LABELS, r.persons_decision, "Not decided") for r in rows
                ],
                "Affected persons": [
                    "not counted" if r.affected_persons is None else f"{r.affected_persons:,}"
                    for r in rows
                ],
            }
        )
        states = pd.Series([r.clock.state for r in rows])
        styled = table.style.apply(lambda _: clock_style(states), subset=["Clock"])
        st.dataframe(styled, hide_index=True, width="stretch")

        by_id = {r.id: r for r in rows}
        ids = list(by_id)
        chosen = st.selectbox(
            "Open a breach",
            ids,
            index=ids.index(ss[SELECTED]) if ss.get(SELECTED) in by_id else 0,
            format_func=lambda i: f"{by_id[i].reference} · {by_id[i].summary}",
            key="breaches_open",
        )
        ss[SELECTED] = chosen
