"""Registry notice (being built)."""

import streamlit as st

import widgets
from registry.auth import Permission

actor = widgets.require_page(Permission.VIEW_NOTICE)
st.title("Registry notice")
