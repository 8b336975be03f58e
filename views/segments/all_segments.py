"""The All segments tab: every built-in segment with its members and who may be contacted
per channel, and the saved segments with their owners."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry.permissions import Actor
from registry.vocabulary import Channel
from views.segments.common import CHANNEL_ORDER, Selection, overview_of


def all_segments_tab(actor: Actor, selection: Selection) -> None:
    rows = overview_of(selection.day)
    st.markdown("**Built-in segments**: members, and how many may be contacted per channel")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Group": r.segment.group,
                    "Segment": r.segment.title,
                    "Members": r.members,
                    **{c.label: r.targetable[c] for c in Channel},
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
        height=35 * (len(rows) + 1) + 3,
        column_config={
            "Group": st.column_config.TextColumn(width="medium"),
            "Segment": st.column_config.TextColumn(width="large"),
            **{
                label: st.column_config.NumberColumn(format="localized")
                for label in ["Members", *CHANNEL_ORDER]
            },
        },
    )
    saved = [c for c in selection.choices.values() if c.segment_id is not None]
    st.markdown("**Saved segments** (choose one above to count it)")
    if saved:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Name": c.title,
                        "Owner": c.owner,
                        "Filters": c.definition.sentence(),
                        "Description": c.description,
                    }
                    for c in saved
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.info("Nobody has saved a segment yet: use the builder.")
