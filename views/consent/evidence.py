"""Missing evidence (Art. 7(1)): current grants whose winning event carries no evidence."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from registry import consent, consent_review
from registry.vocabulary import Purpose
from views import widgets
from views.consent.common import (
    MISSING_IDS_KEY,
    PERSON_KEY,
    PURPOSE_ORDER,
    TAB_KEY,
    helsinki,
    kept_selectbox,
    label,
    missing_counts,
    missing_page,
)

PAGE = "consent_missing_page"


def pick_person_from_missing() -> None:
    rows = st.session_state["consent_missing_table"]["selection"]["rows"]
    ids = st.session_state.get(MISSING_IDS_KEY, [])
    if rows and rows[0] < len(ids):
        st.session_state[PERSON_KEY] = ids[rows[0]]
        st.session_state[TAB_KEY] = "Find a person"


def evidence_view() -> None:
    """Art. 7(1): current grants whose winning event carries no evidence."""
    st.caption(
        "Art. 7(1): Click2Contract must be able to show that a person consented. These are "
        "current grants whose event carries no evidence. Record the evidence as a new grant "
        "in “Find a person”, or withdraw the consent."
    )
    missing = missing_counts()
    if not any(missing.values()):
        st.success("Every current grant has its evidence.", icon=":material/verified:")
        return
    per_purpose = pd.DataFrame(
        [(consent.PURPOSE_LABELS[p], n) for p, n in missing.items()],
        columns=["purpose", "grants"],
    )
    figure = px.bar(
        per_purpose,
        x="grants",
        y="purpose",
        orientation="h",
        text="grants",
        color_discrete_sequence=["#1f5aa6"],  # the theme's primary colour
        category_orders={"purpose": PURPOSE_ORDER},
    )
    figure.update_layout(
        height=260,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis_title="grants without evidence",
        yaxis_title="",
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})

    with st.columns([2, 4])[0]:
        missing_purpose = kept_selectbox(
            "Purpose",
            [None, *Purpose],
            "consent_missing_purpose",
            "consent_missing_purpose_kept",
            format_func=lambda p: "All purposes" if p is None else consent.PURPOSE_LABELS[p],
        )

    def read(limit: int, offset: int) -> tuple[list[consent_review.MissingEvidence], int]:
        found = missing_page(missing_purpose, limit, offset)
        return found.rows, found.total

    # Another purpose starts again from page 1.
    page = widgets.paged(PAGE, read, restart_on=missing_purpose)
    rows = page.rows
    st.session_state[MISSING_IDS_KEY] = [r.person.id for r in rows]
    st.caption("Choose a row to open the person in “Find a person”.")
    st.dataframe(
        pd.DataFrame(
            [
                (
                    r.person.name,
                    r.person.email or r.person.username or "",
                    label(consent.RELATIONSHIP_LABELS, r.person.relationship),
                    ", ".join(consent.PURPOSE_LABELS[g.purpose] for g in r.grants),
                    helsinki(max(g.occurred_at for g in r.grants)),
                    ", ".join(
                        dict.fromkeys(label(consent.SOURCE_LABELS, g.source) for g in r.grants)
                    ),
                )
                for r in rows
            ],
            columns=[
                "Person",
                "Email or username",
                "Relationship",
                "Granted without evidence",
                "Latest such grant",
                "Source",
            ],
        ),
        width="stretch",
        height=min(len(rows), 20) * 35 + 40,  # up to 20 rows without scrolling
        hide_index=True,
        on_select=pick_person_from_missing,
        selection_mode="single-row",
        key="consent_missing_table",
    )
    widgets.pager(PAGE, page, "persons")
