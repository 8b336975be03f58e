"""Sources and relationships: one purpose's current status by source and by relationship."""

from __future__ import annotations

import streamlit as st

from registry import consent
from registry.vocabulary import Purpose
from views.consent.common import (
    PURPOSE_KEPT,
    by_relationship,
    by_source,
    kept_selectbox,
    stacked_bars,
    status_frame,
)


def breakdown_view() -> None:
    """One purpose's current status by the source of the event and by relationship type."""
    purpose = kept_selectbox(
        "Purpose",
        list(Purpose),
        "consent_breakdown_purpose",
        PURPOSE_KEPT,
        format_func=lambda p: consent.PURPOSE_LABELS[p],
    )
    purpose_label = consent.PURPOSE_LABELS[purpose]
    left, right = st.columns(2)
    with left:
        st.subheader("By source")
        st.caption(f"How the event now in effect for {purpose_label.lower()} reached us.")
        sources = status_frame(by_source(purpose), consent.SOURCE_LABELS)
        if sources.empty:
            st.info(f"Nobody has been asked about {purpose_label.lower()} yet.")
        else:
            stacked_bars(sources, "persons", "group", 340)
    with right:
        st.subheader("By relationship")
        st.caption("How the person is connected to Click2Contract.")
        relationships = status_frame(by_relationship(purpose), consent.RELATIONSHIP_LABELS)
        if relationships.empty:
            st.info("The registry holds no persons yet.")
        else:
            stacked_bars(relationships, "persons", "group", 340)
