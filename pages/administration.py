"""Users and backups (being built)."""

import streamlit as st

import widgets
from registry.auth import Permission

actor = widgets.require_page(Permission.MANAGE_USERS)
st.title("Users")
