"""Requests (being built)."""

import streamlit as st

import widgets
from registry.auth import Permission

actor = widgets.require_page(Permission.HANDLE_REQUESTS)
st.title("Requests")
