"""The Import page's list of the imports made, with their counts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry import settings
from registry.imports import runs as import_runs
from registry.permissions import Actor
from registry.vocabulary import ImportStatus
from views import widgets
from views.imports.common import (
    STATUS_LABELS,
    helsinki,
)


def runs_view(actor: Actor) -> None:
    """The latest imports with their counts."""
    with widgets.session() as s:
        runs = import_runs.recent_runs(s, actor)
    if not runs:
        st.info("No import has been made yet.", icon=":material/info:")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Import": f"#{r.id}",
                        "Started (Helsinki)": helsinki(r.started_at),
                        "Result": STATUS_LABELS.get(ImportStatus(r.status), r.status),
                        "Holds": r.kind,
                        "File": r.file_name,
                        "Rows": r.rows,
                        "New": r.new,
                        "Updated": r.updated,
                        "Unchanged": r.unchanged,
                        "Rejected": r.rejected,
                        "By": r.actor_name,
                        "Source": r.source or "",
                        "Read as": r.file_format,
                        "Why it stopped": r.message,
                    }
                    for r in runs
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(f"The latest {settings.IMPORT_RECENT_RUNS} imports.")
