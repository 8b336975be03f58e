"""Import: load a file from one of the notice's regular sources, checked before it is written.

Upload a CSV or XLSX file; the page says how it reads it (encoding, delimiter or sheet) and
shows its first rows, maps headers that differ from the registry's names, checks every row
(the rejects report can be downloaded), then imports with a progress bar, all or nothing
unless told to skip invalid rows. The other tabs: the imports made, and the persons whose data
came from a third party and who must be told of it within a month (Art. 14(3)(a)). The views
are in views/imports/.
"""

from __future__ import annotations

import streamlit as st

from registry.permissions import Permission
from views import widgets
from views.imports import common, informing, runs, upload

actor = widgets.require_page(Permission.IMPORT_DATA)
TAB_VIEWS = {
    "Import a file": upload.import_view,
    "Imports made": runs.runs_view,
    "To be told (Art. 14)": informing.inform_view,
}

st.title("Import")
st.caption(
    "Data comes in from the registry's regular sources, as the privacy notice names them. "
    "Every row is checked with the registry's own rules before anything is written; with "
    "any invalid row nothing is written unless you choose to import only the valid rows. "
    "Persons are found again by email, then phone; organisations by business ID; orders and "
    "activities by the source's own id; so importing a file twice changes nothing the second "
    "time. An empty cell leaves the stored value as it is."
)
# Only the open tab runs its queries.
tabs = st.tabs(common.TABS, key=common.TAB_KEY, on_change="rerun")
for name, tab in zip(common.TABS, tabs, strict=True):
    if tab.open:
        with tab:
            TAB_VIEWS[name](actor)
