"""Users: who may sign in to the dashboard, and with which role (administrators only).

Every list and write goes through registry.users. Writes run in the script body, after
dashboard.py has re-read the signed-in account, never in a widget callback (which would
run before that check, with the previous run's actor).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from navigation import PAGES
from registry import formats, labels, settings, users
from registry.errors import ValidationError
from registry.models import utcnow
from registry.permissions import ROLE_PERMISSIONS, Permission
from registry.vocabulary import Role
from views import widgets

actor = widgets.require_page(Permission.MANAGE_USERS)

NOTICE_KEY = "administration_notice"
CREATE_ERRORS_KEY = "administration_create_errors"
CREATE_VERSION_KEY = "administration_create_version"  # a new version clears the form
SELECTED_KEY = "administration_selected"


def role_pages(role: Role) -> str:
    return ", ".join(p.title for p in PAGES if p.permission in ROLE_PERMISSIONS[role])


ROLE_HELP = "  \n".join(f"**{r.label}** sees {role_pages(r)}." for r in Role)


def helsinki(moment: dt.datetime | None) -> str:
    return formats.helsinki_iso(moment, "never")


def status(account: users.Account, now: dt.datetime) -> str:
    if not account.active:
        return "Inactive"
    if account.paused(now):
        return f"Sign-in paused until {helsinki(account.paused_until)[-5:]}"
    return "Active"


def done(message: str) -> None:
    """After a write: new numbers everywhere, the message on the next run."""
    widgets.data_changed()
    widgets.flash(NOTICE_KEY, message)
    st.rerun()


def refused(errors_key: str, error: ValidationError) -> None:
    """Keep the field errors (and the typed input) for the rerun that shows them."""
    st.session_state[errors_key] = error.field_errors
    st.rerun()


st.title("Users")
st.caption(
    "Who may sign in to the registry dashboard, and with which role. Only designated persons "
    "may process the registry's data; the last active administrator cannot be removed. "
    "Passwords are stored as argon2id hashes and never shown."
)
widgets.show_flash(NOTICE_KEY)

with widgets.session() as s:
    accounts = users.list_users(s, actor)
now = utcnow()
by_id = {a.id: a for a in accounts}

cards = st.columns(3)
with cards[0]:
    widgets.metric_card("Active accounts", sum(a.active for a in accounts))
with cards[1]:
    widgets.metric_card(
        "Active administrators",
        sum(a.active and a.role == Role.ADMINISTRATOR for a in accounts),
        help="At least one must remain: the last one cannot be demoted or deactivated.",
    )
with cards[2]:
    widgets.metric_card(
        "Sign-in paused now",
        sum(a.active and a.paused(now) for a in accounts),
        help=f"After {settings.SIGN_IN_USERNAME_FREE_FAILURES} failed sign-ins with a username "
        "its next attempt waits, longer after each further failure, up to "
        f"{settings.SIGN_IN_MAX_WAIT.seconds // 60} minutes; a password reset clears the count. "
        "Nobody can lock an account by guessing.",
    )

st.dataframe(
    pd.DataFrame(
        [
            {
                "Username": a.username,
                "Name": a.display_name,
                "Email": a.email or "",
                "Role": labels.of(Role, a.role),
                "Status": status(a, now),
                "Last sign-in": helsinki(a.last_sign_in_at),
                "Created": helsinki(a.created_at),
            }
            for a in accounts
        ],
        columns=["Username", "Name", "Email", "Role", "Status", "Last sign-in", "Created"],
    ),
    hide_index=True,
    width="stretch",
)

left, right = st.columns(2, gap="large")

with left:
    st.subheader("Create an account")
    errors = widgets.form_errors(CREATE_ERRORS_KEY)
    version = st.session_state.setdefault(CREATE_VERSION_KEY, 0)
    with st.form("administration_create", border=True):
        username = st.text_input(
            "Username",
            max_chars=50,
            key=f"administration_new_username_{version}",
            help="2-50 lower-case letters, digits, dots, dashes or underscores.",
        )
        widgets.field_error(errors, "username")
        display_name = st.text_input(
            "Name", max_chars=settings.MAX_SHORT_TEXT, key=f"administration_new_name_{version}"
        )
        widgets.field_error(errors, "display_name")
        email = st.text_input(
            "Email (optional)",
            max_chars=254,
            key=f"administration_new_email_{version}",
            help="Needed to sign in with the organisation account where OpenID Connect is set up.",
        )
        widgets.field_error(errors, "email")
        role = st.selectbox(
            "Role",
            list(Role),
            index=None,
            format_func=lambda role: labels.of(Role, role),
            placeholder="Choose a role",
            key=f"administration_new_role_{version}",
            help=ROLE_HELP,
        )
        widgets.field_error(errors, "role")
        password = st.text_input(
            "Initial password",
            type="password",
            max_chars=200,
            autocomplete="new-password",
            key=f"administration_new_password_{version}",
            help=f"At least {settings.MIN_PASSWORD_LENGTH} characters. Tell it to the person "
            "by a separate channel.",
        )
        widgets.field_error(errors, "password")
        create = st.form_submit_button("Create account", type="primary")
    if create:
        with widgets.session() as s:
            try:
                created = users.create_user(
                    s, actor, username, display_name, role or "", password, email
                )
            except ValidationError as e:
                refused(CREATE_ERRORS_KEY, e)
        st.session_state[CREATE_ERRORS_KEY] = {}
        st.session_state[CREATE_VERSION_KEY] = version + 1
        done(
            f"Created the account {widgets.plain(created.username)} "
            f"({labels.of(Role, created.role)})."
        )

with right:
    st.subheader("Change an account")
    selected = st.selectbox(
        "Account",
        list(by_id),
        format_func=lambda i: f"{by_id[i].username} · {by_id[i].display_name}",
        key=SELECTED_KEY,
    )
    account = by_id[selected]  # never None: the signed-in administrator has an account
    role_errors_key = f"administration_role_errors_{account.id}"
    active_errors_key = f"administration_active_errors_{account.id}"
    password_errors_key = f"administration_password_errors_{account.id}"

    with st.form(f"administration_role_{account.id}"):
        new_role = st.selectbox(
            "Role",
            list(Role),
            index=list(Role).index(account.role),
            format_func=lambda role: labels.of(Role, role),
            key=f"administration_role_{account.id}",
            help=ROLE_HELP,
        )
        widgets.field_error(widgets.form_errors(role_errors_key), "role")
        change = st.form_submit_button("Change role")
    if change:
        with widgets.session() as s:
            try:
                changed = users.change_role(s, actor, account.id, new_role)
            except ValidationError as e:
                refused(role_errors_key, e)
        st.session_state[role_errors_key] = {}
        done(f"{widgets.plain(changed.username)} now has the role {labels.of(Role, changed.role)}.")

    with st.container(border=True):
        if account.active:
            st.markdown("**Active**: can sign in.")
            if account.paused(now):
                st.warning(
                    f"Sign-in paused until {helsinki(account.paused_until)} after failed "
                    "sign-ins with this username; a password reset clears them.",
                    icon=":material/lock:",
                )
        else:
            st.markdown("**Inactive**: cannot sign in; nothing of the account is deleted.")
        toggle = st.button(
            "Deactivate" if account.active else "Reactivate",
            key=f"administration_toggle_{account.id}",
            icon=":material/person_off:" if account.active else ":material/person_check:",
            help="A deactivated user's open sessions end at their next click."
            if account.active
            else None,
        )
        widgets.field_error(widgets.form_errors(active_errors_key), "active")
    if toggle:
        with widgets.session() as s:
            try:
                changed = users.set_active(s, actor, account.id, not account.active)
            except ValidationError as e:
                refused(active_errors_key, e)
        st.session_state[active_errors_key] = {}
        state = "reactivated" if changed.active else "deactivated"
        done(f"{widgets.plain(changed.username)} is {state}.")

    password_errors = widgets.form_errors(password_errors_key)
    password_version = st.session_state.setdefault(f"{password_errors_key}_version", 0)
    with st.form(f"administration_password_{account.id}"):
        new_password = st.text_input(
            "New password",
            type="password",
            max_chars=200,
            autocomplete="new-password",
            key=f"administration_password_{account.id}_{password_version}",
            help=f"At least {settings.MIN_PASSWORD_LENGTH} characters; clears failed sign-ins.",
        )
        widgets.field_error(password_errors, "password")
        reset = st.form_submit_button("Reset password")
    if reset:
        with widgets.session() as s:
            try:
                changed = users.reset_password(s, actor, account.id, new_password)
            except ValidationError as e:
                refused(password_errors_key, e)
        st.session_state[password_errors_key] = {}
        st.session_state[f"{password_errors_key}_version"] = password_version + 1
        done(f"The password of {widgets.plain(changed.username)} is reset.")
