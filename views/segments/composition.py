"""The Composition tab: the chosen segment by region, consent, lifecycle, value, industry
and growth."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from registry import consent, settings
from registry.permissions import Actor
from views.segments.common import (
    CHANNEL_ORDER,
    CUSTOMER_COLOURS,
    STATUS_COLOURS,
    Selection,
    composition_of,
)


def bar(data: dict[Any, int], x: str, y: str, **kw: Any) -> Any:
    frame = pd.DataFrame(list(data.items()), columns=[y, x])
    figure = px.bar(frame, x=x, y=y, orientation="h", **kw)
    figure.update_layout(
        height=max(220, 28 * len(frame) + 80),
        margin={"l": 0, "r": 10, "t": 10, "b": 0},
        yaxis={"categoryorder": "array", "categoryarray": list(frame[y])[::-1], "title": None},
    )
    return figure


def composition_tab(actor: Actor, selection: Selection) -> None:
    if selection.summary.members == 0:
        st.info("Nobody is in this segment today.")
        return
    c = composition_of(selection.definition, selection.day)
    left, right = st.columns(2)
    with left, st.container(border=True):
        st.markdown("**By region**")
        st.plotly_chart(bar(c.by_place, "members", "region"), width="stretch")
    with right, st.container(border=True):
        st.markdown("**Consent per channel**")
        rows = [
            (ch.label, consent.STATUS_LABELS[s], n)
            for ch, counts in c.consent.items()
            for s, n in counts.items()
        ]
        frame = pd.DataFrame(rows, columns=["channel", "status", "members"])
        figure = px.bar(
            frame,
            x="members",
            y="channel",
            color="status",
            orientation="h",
            color_discrete_map=STATUS_COLOURS,
            category_orders={"status": list(STATUS_COLOURS), "channel": CHANNEL_ORDER},
        )
        figure.update_layout(
            height=320,
            margin={"l": 0, "r": 10, "t": 10, "b": 0},
            legend={"orientation": "h", "y": -0.2, "title": None},
            yaxis={"title": None},
        )
        st.plotly_chart(figure, width="stretch")
    left, right = st.columns(2)
    with left, st.container(border=True):
        st.markdown("**Lifecycle**")
        frame = pd.DataFrame(
            [(r, s, n) for (r, s), n in c.by_lifecycle.items()],
            columns=["relationship", "customer status", "members"],
        )
        figure = px.bar(
            frame,
            x="members",
            y="relationship",
            color="customer status",
            orientation="h",
            color_discrete_map=CUSTOMER_COLOURS,
            category_orders={"customer status": list(CUSTOMER_COLOURS)},
        )
        figure.update_layout(
            height=300,
            margin={"l": 0, "r": 10, "t": 10, "b": 0},
            legend={"orientation": "h", "y": -0.25, "title": None},
            yaxis={"title": None},
        )
        st.plotly_chart(figure, width="stretch")
    with right, st.container(border=True):
        st.markdown("**Order value band** (recency, frequency and value of orders)")
        st.plotly_chart(bar(c.by_value_band, "members", "band"), width="stretch")
    left, right = st.columns(2)
    with left, st.container(border=True):
        st.markdown("**Industry**")
        top = dict(list(c.by_industry.items())[: settings.SEGMENT_TOP_POSITIONS])
        st.plotly_chart(bar(top, "members", "industry"), width="stretch")
    with right, st.container(border=True):
        st.markdown("**Segment size over time**")
        months = pd.DataFrame(c.added_per_month, columns=["month", "joined"])
        months["members"] = months["joined"].cumsum()
        figure = px.area(months, x="month", y="members")
        figure.update_layout(height=300, margin={"l": 0, "r": 10, "t": 10, "b": 0})
        st.plotly_chart(figure, width="stretch")
        st.caption(
            "Today's members by the month they entered the registry, added up: how the "
            "segment as defined today has grown."
        )
