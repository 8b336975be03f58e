"""Entry point: page config, the database check, sign-in, and navigation built from the role.

Run with `streamlit run dashboard.py`. Pages a role may not use are never handed to
st.navigation, so their URLs do not resolve for that role.
"""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import DBAPIError

from navigation import pages_for, signed_out_pages
from registry import auth, db, settings
from registry.errors import SignInRefused
from registry.models import utcnow
from registry.notice import DeclarationError
from registry.permissions import Actor
from views import widgets

logger = logging.getLogger("registry.dashboard")


def prepare_database(config: db.DatabaseConfig) -> None:
    """First start of the embedded demo: create, migrate and seed it, with a progress bar."""
    if config.is_embedded_demo and not settings.DEMO_DATABASE_PATH.exists():
        bar = st.progress(0.0, text="Creating the embedded demo database…")
        db.prepare_embedded_demo(config, lambda f, m: bar.progress(min(f, 1.0), text=m))
        bar.empty()
    if not st.session_state.get("database_checked"):
        if problem := db.database_problem(widgets.engine(), config):
            st.title("The registry database is not available")
            st.error(problem, icon=":material/database:")
            st.stop()
        st.session_state["database_checked"] = True


def sign_out(reason: str | None = None) -> None:
    current = st.session_state.get(widgets.ACTOR_KEY)
    if current is not None:
        with widgets.session() as s:
            auth.sign_out(s, current, reason or "")
    for key in (widgets.USER_ID_KEY, widgets.ACTOR_KEY, widgets.LAST_ACTIVITY_KEY):
        st.session_state.pop(key, None)
    if reason:
        st.session_state["sign_in_notice"] = reason


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def sign_in_view() -> None:
    # A sign-in form reads best narrow, whatever the wide layout of the data pages.
    with st.container(width=560):
        sign_in_form()


def sign_in_form() -> None:
    st.title("Click2Contract registry")
    st.caption("Customer and marketing registry dashboard. Only designated persons may sign in.")
    if notice := st.session_state.pop("sign_in_notice", None):
        st.info(notice, icon=":material/schedule:")
    if oidc_configured():
        if not st.user.is_logged_in:
            st.button("Sign in with your organisation account", on_click=st.login, type="primary")
            return
        with widgets.session() as s:
            try:
                actor = auth.sign_in_external(s, str(st.user.email))
            except SignInRefused as e:
                st.error(str(e))
                st.button("Sign out", on_click=st.logout)
                return
        start_session(actor)
        st.rerun()
    with st.form("sign_in", enter_to_submit=True):
        username = st.text_input("Username", max_chars=100, autocomplete="username")
        password = st.text_input(
            "Password", type="password", max_chars=200, autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with widgets.session() as s:
            try:
                actor = auth.sign_in(s, username, password)
            except SignInRefused as e:
                st.error(str(e), icon=":material/lock:")
            except DBAPIError as e:
                st.error(widgets.database_failure(e), icon=":material/database:")
            else:
                start_session(actor)
                st.rerun()
    if widgets.database().is_embedded_demo:
        from demo.data.accounts import DEMO_ACCOUNTS

        with st.container(border=True):
            st.markdown("**Demo accounts** (embedded demo database only; all data is synthetic)")
            st.table(
                {
                    "Username": [a[0] for a in DEMO_ACCOUNTS],
                    "Role": [a[2] for a in DEMO_ACCOUNTS],
                    "Password": [a[3] for a in DEMO_ACCOUNTS],
                }
            )


def start_session(actor: Actor) -> None:
    st.session_state[widgets.USER_ID_KEY] = actor.user_id
    st.session_state[widgets.ACTOR_KEY] = actor
    st.session_state[widgets.LAST_ACTIVITY_KEY] = utcnow()


def signed_in_actor() -> Actor | None:
    """The signed-in user, re-read from the database; ends idle or deactivated sessions."""
    user_id = st.session_state.get(widgets.USER_ID_KEY)
    if user_id is None:
        return None
    last = st.session_state.get(widgets.LAST_ACTIVITY_KEY)
    if last is None or auth.session_expired(last):
        sign_out(
            f"You were signed out after {settings.IDLE_TIMEOUT.seconds // 60} minutes "
            "without activity."
        )
        if oidc_configured():
            st.logout()  # else the identity provider's cookie would sign the user straight in
        return None
    with widgets.session() as s:
        actor = auth.current_actor(s, user_id)
    if actor is None:
        sign_out("Your account is no longer active.")
        return None
    st.session_state[widgets.ACTOR_KEY] = actor
    st.session_state[widgets.LAST_ACTIVITY_KEY] = utcnow()
    return actor


@st.fragment(run_every=settings.IDLE_CHECK_INTERVAL)
def end_idle_session() -> None:
    """Rerun the app once the session has been idle too long, so the page stops showing data.

    This check alone does not count as activity: it never moves the last-activity time.
    """
    last = st.session_state.get(widgets.LAST_ACTIVITY_KEY)
    if last is None or auth.session_expired(last):
        st.rerun(scope="app")


def main() -> None:
    st.set_page_config(
        page_title="Click2Contract registry",
        page_icon=":material/shield_person:",
        layout="wide",
    )
    config = widgets.database()
    prepare_database(config)
    try:
        actor = signed_in_actor()
    except DBAPIError as e:
        # The database went away mid-session: the same plain words a new visitor gets.
        st.title("The registry database is not available")
        st.error(widgets.database_failure(e), icon=":material/database:")
        return
    if actor is None:
        st.navigation(signed_out_pages(sign_in_view), position="hidden").run()
        return
    with st.sidebar:
        # The display name is free text: shown as text, never read as Markdown.
        st.text(actor.display_name or actor.username)
        st.caption(actor.role.capitalize())
        end_idle_session()
        if st.button("Sign out", icon=":material/logout:"):
            sign_out()
            if oidc_configured():
                st.logout()
            st.rerun()
        if config.is_embedded_demo:
            st.caption("Embedded demo database: synthetic data.")
    page = st.navigation(pages_for(actor))
    try:
        with widgets.routed():
            page.run()
    except DBAPIError as e:
        # A lock or a lost connection mid-page: plain words, and the inputs drawn so far keep
        # what was typed. The server log names the error class, never the values.
        logger.warning("database failure on a page: %s", type(e.orig).__name__)
        st.error(widgets.database_failure(e), icon=":material/database:")
    except DeclarationError as e:
        # A malformed data/registry.toml stops only what needs it; other pages keep working.
        st.error(widgets.declaration_failure(e), icon=":material/description:")


main()
