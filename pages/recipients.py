"""Recipients (being built)."""

import streamlit as st

import widgets
from registry.auth import Permission

actor = widgets.require_page(Permission.MANAGE_RECIPIENTS)
st.title("Recipients")
