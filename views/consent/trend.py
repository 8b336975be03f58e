"""Opt-ins and opt-outs: grants above zero, withdrawals and objections below, per month."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from registry import consent, deadlines, settings
from registry.vocabulary import Purpose
from views.consent.common import (
    GRANTED,
    OBJECTED,
    STATUS_COLOURS,
    STATUS_ORDER,
    WITHDRAWN,
    changes,
    kept_selectbox,
)


def trend_view() -> None:
    """Grants above zero, withdrawals and objections below, per month."""
    trend_purpose = kept_selectbox(
        "Purpose",
        [None, *Purpose],
        "consent_trend_purpose",
        "consent_trend_purpose_kept",
        format_func=lambda p: "All purposes" if p is None else consent.PURPOSE_LABELS[p],
    )
    months = changes(trend_purpose, deadlines.today())
    window = settings.CONSENT_TREND_MONTHS
    cards = st.columns(3)
    with cards[0], st.container(border=True):
        st.metric(f"Opt-ins, last {window} months", f"{sum(m.granted for m in months):,}")
    with cards[1], st.container(border=True):
        st.metric(f"Opt-outs, last {window} months", f"{sum(m.opt_outs for m in months):,}")
    with cards[2], st.container(border=True):
        st.metric(
            "Objections in that time",
            f"{sum(m.objected for m in months):,}",
            help="Events: an objection to all direct marketing counts once per purpose.",
        )
    trend = pd.DataFrame(
        [
            row
            for m in months
            for row in (
                (m.month, consent.STATUS_LABELS[GRANTED], m.granted),
                (m.month, consent.STATUS_LABELS[WITHDRAWN], -m.withdrawn),
                (m.month, consent.STATUS_LABELS[OBJECTED], -m.objected),
            )
        ],
        columns=["month", "status", "events"],
    )
    figure = px.bar(
        trend,
        x="month",
        y="events",
        color="status",
        color_discrete_map=STATUS_COLOURS,
        category_orders={"status": STATUS_ORDER},
    )
    figure.update_layout(
        barmode="relative",
        height=420,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        legend_title_text="",
        xaxis={"title": "", "type": "category"},
        yaxis_title="events (opt-outs below zero)",
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})
    st.caption(
        "Consent events per calendar month (UTC): grants above the line, withdrawals and "
        "objections below it. One person's event for several purposes counts once per purpose."
    )
