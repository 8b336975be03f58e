"""Entry point: page config, the database check, sign-in, and navigation built from the role.

Run with `streamlit run dashboard.py`. Pages a role may not use are never handed to
st.navigation, so their URLs do not resolve for that role.
"""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import DBAPIError

from navigation import pages_for, signed_out_pages
from registry import auth, db, settings, sign_in_sessions, throttle
from registry.errors import SignInRefused
from registry.models import utcnow
from registry.notice import DeclarationError
from registry.permissions import Actor
from views import widgets

logger = logging.getLogger("registry.dashboard")
RESUME_TRIED_KEY = "auth_resume_tried"
LAST_TOUCH_KEY = "auth_last_touch"  # when the sign-in session's idle clock last restarted


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
    token = st.session_state.get(widgets.SESSION_TOKEN_KEY)
    if current is not None:
        with widgets.session() as s:
            if token:
                sign_in_sessions.revoke(s, token)  # committed with the sign-out's audit event
            auth.sign_out(s, current, reason or "")
    for key in (
        widgets.USER_ID_KEY,
        widgets.ACTOR_KEY,
        widgets.LAST_ACTIVITY_KEY,
        widgets.SESSION_TOKEN_KEY,
    ):
        st.session_state.pop(key, None)
    st.session_state[widgets.COOKIE_CHANGE_KEY] = ""
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
                actor = auth.sign_in(s, username, password, client=client_address())
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


def client_address() -> str | None:
    """The signing-in client's address for throttling: the connection's peer, or behind the
    documented reverse proxy on this machine, the address it forwards; None if unknown."""
    return throttle.client_address(st.context.ip_address, st.context.headers.get("X-Forwarded-For"))


def start_session(actor: Actor, resumed_token: str | None = None) -> None:
    """Signed in: a new sign-in session (its cookie written on the next run), or the one a
    reload's cookie named."""
    token = resumed_token
    if token is None:
        with widgets.session() as s:
            token = sign_in_sessions.open_session(s, actor)
        st.session_state[widgets.COOKIE_CHANGE_KEY] = token
    st.session_state[widgets.SESSION_TOKEN_KEY] = token
    st.session_state[widgets.USER_ID_KEY] = actor.user_id
    st.session_state[widgets.ACTOR_KEY] = actor
    st.session_state[widgets.LAST_ACTIVITY_KEY] = st.session_state[LAST_TOUCH_KEY] = utcnow()


def signed_in_actor() -> Actor | None:
    """The signed-in user, re-read from the database; ends idle or deactivated sessions."""
    user_id = st.session_state.get(widgets.USER_ID_KEY)
    if user_id is None:
        return resumed_actor()
    last = st.session_state.get(widgets.LAST_ACTIVITY_KEY)
    if last is None or auth.session_expired(last):
        sign_out(
            f"You were signed out after {settings.IDLE_TIMEOUT.seconds // 60} minutes "
            "without activity."
        )
        if oidc_configured():
            st.logout()  # else the identity provider's cookie would sign the user straight in
        return None
    token = st.session_state.get(widgets.SESSION_TOKEN_KEY)
    with widgets.session() as s:
        actor = auth.current_actor(s, user_id)
        ended = token is not None and not sign_in_sessions.live(s, token)
    if actor is None:
        sign_out("Your account is no longer active.")
        return None
    if ended:
        sign_out("You were signed out (in another tab or window of this browser).")
        return None
    now = utcnow()
    if token and now - st.session_state.get(LAST_TOUCH_KEY, now) > sign_in_sessions.TOUCH_EVERY:
        with widgets.session() as s:
            sign_in_sessions.touch(s, token, now)
        st.session_state[LAST_TOUCH_KEY] = now
    st.session_state[widgets.ACTOR_KEY] = actor
    st.session_state[widgets.LAST_ACTIVITY_KEY] = now
    widgets.note_data_version()
    return actor


def resumed_actor() -> Actor | None:
    """A reload or an opened link starts a new Streamlit session: the browser's sign-in
    session cookie, if it names a live session, signs it in again (tried once per session)."""
    if st.session_state.get(RESUME_TRIED_KEY):
        return None
    st.session_state[RESUME_TRIED_KEY] = True
    if not (token := widgets.cookie_token()):
        return None
    with widgets.session() as s:
        actor = sign_in_sessions.resume(s, token)
    if actor is None:
        st.session_state[widgets.COOKIE_CHANGE_KEY] = ""  # ended: the browser forgets it
        return None
    start_session(actor, resumed_token=token)
    widgets.note_data_version()
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
    widgets.write_session_cookie()
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
