"""Segments: browse built-in segments, build and save your own, see who is in them, and export
consent-clean target lists. The views are in views/segments/ (one function per tab); every
figure and write comes from registry.segments and registry.export."""

from __future__ import annotations

import streamlit as st

from registry.permissions import Permission
from views import widgets
from views.segments import all_segments, builder, chooser, common, composition, export, members

actor = widgets.require_page(Permission.VIEW_SEGMENTS)
TAB_VIEWS = {
    "Members": members.members_tab,
    "Composition": composition.composition_tab,
    "Builder": builder.builder_tab,
    "Export": export.export_tab,
    "All segments": all_segments.all_segments_tab,
}

st.title("Segments")
st.caption(
    "Target groups built from the registry's purchasing, transaction and location data. "
    "Counts and exports leave out, at once, everyone who withdrew consent or objected "
    "(Art. 7(3), Art. 21)."
)
widgets.show_flash(common.FLASH_KEY)
selection = chooser.show(actor)
# Only the open tab runs its queries: at a million persons each tab's figures take seconds.
tabs = st.tabs(common.TABS, key=common.TAB_KEY, on_change="rerun")
for name, tab in zip(common.TABS, tabs, strict=True):
    with tab:
        if tab.open:
            TAB_VIEWS[name](actor, selection)
