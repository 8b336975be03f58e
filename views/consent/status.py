"""Current status: counts and shares per purpose and status, from consent_state."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from registry import consent
from registry.vocabulary import Purpose
from views.consent.common import (
    GRANTED,
    NEVER_ASKED,
    OBJECTED,
    PURPOSE_KEPT,
    PURPOSE_ORDER,
    STATUS_COLOURS,
    STATUS_ORDER,
    WITHDRAWN,
    kept_selectbox,
    status_counts,
)


def status_view() -> None:
    """Counts and shares per purpose and status, from consent_state."""
    counts = status_counts()
    total = sum(counts[Purpose.NEWSLETTER].values())
    purpose = kept_selectbox(
        "Purpose",
        list(Purpose),
        "consent_status_purpose",
        PURPOSE_KEPT,
        format_func=lambda p: consent.PURPOSE_LABELS[p],
    )
    cards = st.columns(4)
    for column, status in zip(cards, (GRANTED, WITHDRAWN, OBJECTED, NEVER_ASKED), strict=True):
        n = counts[purpose][status]
        with column, st.container(border=True):
            st.metric(
                consent.STATUS_LABELS[status],
                f"{n:,}",
                help=f"Persons whose current status for {consent.PURPOSE_LABELS[purpose]} "
                f"is {consent.STATUS_LABELS[status].lower()}.",
            )
            st.caption(f"{n / total:.1%} of {total:,} persons" if total else "No persons yet")

    st.subheader("All purposes")
    shares = pd.DataFrame(
        [
            (consent.PURPOSE_LABELS[p], consent.STATUS_LABELS[s], n, n / total if total else 0.0)
            for p in Purpose
            for s, n in counts[p].items()
        ],
        columns=["purpose", "status", "persons", "share"],
    )
    figure = px.bar(
        shares,
        x="share",
        y="purpose",
        color="status",
        orientation="h",
        color_discrete_map=STATUS_COLOURS,
        category_orders={"status": STATUS_ORDER, "purpose": PURPOSE_ORDER},
        hover_data={"persons": ":,", "share": ":.1%"},
    )
    figure.update_layout(
        height=320,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis={"tickformat": ".0%", "title": "share of persons"},
        yaxis_title="",
        legend_title_text="",
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})
    table = shares.pivot(index="purpose", columns="status", values="persons").loc[
        PURPOSE_ORDER, STATUS_ORDER
    ]
    table.index.name = "Purpose"
    st.dataframe(
        table,
        width="stretch",
        column_config={
            s: st.column_config.NumberColumn(s, format="localized") for s in STATUS_ORDER
        },
    )
