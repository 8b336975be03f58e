"""Who a breach affected: the count, its divisions and the audited pages of persons."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry import settings
from registry.breaches import affected as breach_persons
from registry.breaches.affected import AffectedCounts
from registry.disclosures import CATEGORY_LABELS
from registry.models import Breach
from registry.permissions import Actor
from registry.recipients import RELATIONSHIP_LABELS
from views import widgets
from views.breaches.common import (
    COUNTS,
    LISTED,
    moment,
    ss,
)


def show(actor: Actor, breach: Breach, counts: AffectedCounts | None) -> None:
    """The count of who was affected and, once counted, the persons page by page."""
    st.caption(
        "Counted from the registry's own rows: the recipient's scope and disclosure "
        "rows, or the account's views and exports in the audit trail, in the breach "
        "window, narrowed to the categories and relationships concerned."
    )
    if st.button("Count who was affected", type="primary", key="breaches_count"):
        with widgets.session() as s:
            counted = breach_persons.count_affected(s, actor, breach.id)
        ss[COUNTS] = {**ss.get(COUNTS, {}), breach.id: counted}
        ss.pop(LISTED, None)
        widgets.data_changed()
        st.rerun()
    if counts is None:
        if breach.affected_persons is not None:
            st.caption(
                f"Last counted {moment(breach.affected_counted_at)}: "
                f"{breach.affected_persons:,} persons. Count again to see the details."
            )
    else:
        cards = st.columns(2)
        with cards[0]:
            widgets.metric_card("Persons affected", f"{counts.persons:,}")
        with cards[1]:
            widgets.metric_card(
                "Records concerned",
                f"{counts.records:,}",
                help="Each affected person's data in each category concerned.",
            )
        st.caption(
            f"Counted {moment(counts.counted_at)} for the window "
            f"{moment(counts.window_start)} – {moment(counts.window_end)}"
            + (" (the end is not recorded: counted to now)." if counts.window_open else ".")
        )
        parts = st.columns(3)
        parts[0].dataframe(
            pd.DataFrame(
                {
                    "Data category": [CATEGORY_LABELS.get(c, c) for c in counts.by_category],
                    "Persons": list(counts.by_category.values()),
                }
            ),
            hide_index=True,
        )
        parts[1].dataframe(
            pd.DataFrame(
                {
                    "Relationship": [RELATIONSHIP_LABELS.get(r, r) for r in counts.by_relationship],
                    "Persons": list(counts.by_relationship.values()),
                }
            ),
            hide_index=True,
        )
        parts[2].dataframe(
            pd.DataFrame(
                {
                    "Country": list(counts.by_country),
                    "Persons": list(counts.by_country.values()),
                }
            ),
            hide_index=True,
        )

        st.markdown("**The affected persons**")
        st.caption("Each page shown is recorded in the audit trail.")
        listed = ss.get(LISTED)
        offset = listed[1] if listed and listed[0] == breach.id else None
        nav = st.columns([2, 1, 1, 4])

        def show(at: int) -> None:
            with widgets.session() as s:
                page = breach_persons.affected_persons(
                    s, actor, breach.id, offset=at, limit=settings.PAGE_SIZE
                )
            ss[LISTED] = (breach.id, at, page)
            st.rerun()

        if nav[0].button("Show the affected persons", key="breaches_list_show"):
            show(0)
        if offset is not None:
            if nav[1].button("Previous", disabled=offset == 0, key="breaches_list_prev"):
                show(max(0, offset - settings.PAGE_SIZE))
            if nav[2].button(
                "Next",
                disabled=offset + settings.PAGE_SIZE >= counts.persons,
                key="breaches_list_next",
            ):
                show(offset + settings.PAGE_SIZE)
            page = listed[2]
            nav[3].caption(
                f"Persons {offset + 1:,}–{offset + len(page):,} of {counts.persons:,}"
                if page
                else "No persons on this page."
            )
            st.dataframe(
                pd.DataFrame(
                    {
                        "#": [p.id for p in page],
                        "Name": [p.name for p in page],
                        "Email": [p.email or "" for p in page],
                        "City": [p.city or "" for p in page],
                        "Country": [p.country for p in page],
                        "Relationship": [
                            RELATIONSHIP_LABELS.get(p.relationship, p.relationship) for p in page
                        ],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
