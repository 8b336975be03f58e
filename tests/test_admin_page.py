"""The Users page (AppTest): list, create, change role, deactivate, reset password."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registry import auth, settings
from registry.errors import SignInRefused
from registry.models import AppUser, AuditEvent
from registry.vocabulary import Role
from tests.conftest import TEST_PASSWORD
from views.widgets import plain

PAGE = "pages/administration.py"
NEW_PASSWORD = "a-new-long-password-2026"


def _button(at, label: str):  # type: ignore[no-untyped-def]
    [button] = [b for b in at.button if b.label == label]
    return button


def _select_account(at, username: str):  # type: ignore[no-untyped-def]
    box = at.selectbox(key="administration_selected")
    [option] = [o for o in box.options if o.startswith(f"{username} · ")]
    box.select(option).run()
    return at


def _user(session, username: str) -> AppUser:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalars(select(AppUser).where(AppUser.username == username)).one()


def _actions(session) -> list[str]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _all_text(at) -> str:  # type: ignore[no-untyped-def]
    """Everything the page shows as text, tables included."""
    parts = [str(e.value) for e in at.main if hasattr(e, "value")]
    parts += [df.value.to_csv() for df in at.dataframe]
    return "\n".join(parts)


@pytest.fixture
def admin_page(database_url, actors, app_test):  # type: ignore[no-untyped-def]
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    assert not at.exception, at.exception
    return at


def test_lists_every_account_and_never_a_hash(admin_page, session):
    at = admin_page
    assert at.title[0].value == "Users"
    table = at.dataframe[0].value
    assert list(table.columns) == [
        "Username",
        "Name",
        "Email",
        "Role",
        "Status",
        "Last sign-in",
        "Created",
    ]
    assert table["Username"].tolist() == ["administrator-user", "compliance-user", "marketing-user"]
    assert table["Role"].tolist() == ["Administrator", "Compliance", "Marketing"]
    assert set(table["Status"]) == {"Active"}
    assert {m.label: m.value for m in at.metric} == {
        "Active accounts": "3",
        "Active administrators": "1",
        "Sign-in paused now": "0",
    }
    stored_hash = _user(session, "marketing-user").password_hash
    shown = _all_text(at)
    assert "$argon2" not in shown and stored_hash not in shown and TEST_PASSWORD not in shown


def test_create_an_account(admin_page, session, actors):
    at = admin_page
    at.text_input(key="administration_new_username_0").input("Aino.Virtanen")
    at.text_input(key="administration_new_name_0").input("Aino Virtanen")
    at.text_input(key="administration_new_email_0").input("aino@click2contract.example")
    at.selectbox(key="administration_new_role_0").select(Role.COMPLIANCE)
    at.text_input(key="administration_new_password_0").input(NEW_PASSWORD)
    _button(at, "Create account").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == f"Created the account {plain('aino.virtanen')} (Compliance)."
    assert "aino.virtanen" in at.dataframe[0].value["Username"].tolist()
    # The form is empty again, ready for the next account.
    assert at.text_input(key="administration_new_username_1").value == ""
    assert at.text_input(key="administration_new_password_1").value == ""
    created = _user(session, "aino.virtanen")
    assert (created.role, created.email) == ("compliance", "aino@click2contract.example")
    assert auth.sign_in(session, "aino.virtanen", NEW_PASSWORD).role == Role.COMPLIANCE
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user_created")).one()
    assert event.actor_id == actors[Role.ADMINISTRATOR].user_id


def test_errors_show_next_to_their_fields_and_keep_the_input(admin_page, session):
    at = admin_page
    at.text_input(key="administration_new_username_0").input("Not Valid!")
    at.text_input(key="administration_new_email_0").input("no-at-sign")
    at.text_input(key="administration_new_password_0").input("short")
    _button(at, "Create account").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Use 2-50 lower-case letters, digits, dots, dashes or underscores.",
        "Give a name of 1-200 characters.",
        "Give a valid email address, or leave it empty.",
        "Choose a role.",
        "Use at least 12 characters.",
    ]
    assert at.text_input(key="administration_new_username_0").value == "Not Valid!"
    assert at.text_input(key="administration_new_email_0").value == "no-at-sign"
    assert not at.success
    assert len(at.dataframe[0].value) == 3
    assert _actions(session) == []

    # Correcting the input clears the errors.
    at.text_input(key="administration_new_username_0").input("valid-name")
    at.text_input(key="administration_new_name_0").input("Valid Name")
    at.text_input(key="administration_new_email_0").input("")
    at.selectbox(key="administration_new_role_0").select(Role.MARKETING)
    at.text_input(key="administration_new_password_0").input(NEW_PASSWORD)
    _button(at, "Create account").click().run()
    assert not at.error
    assert at.success[0].value == f"Created the account {plain('valid-name')} (Marketing)."


def test_the_last_administrator_cannot_be_demoted_or_deactivated(admin_page, session, actors):
    at = admin_page
    _select_account(at, "administrator-user")
    at.selectbox(key=f"administration_role_{actors[Role.ADMINISTRATOR].user_id}").select(
        Role.MARKETING
    )
    _button(at, "Change role").click().run()
    assert not at.exception, at.exception
    assert "administrator-user is the last active administrator" in at.error[0].value
    _button(at, "Deactivate").click().run()
    assert any("last active administrator" in e.value for e in at.error)
    stored = _user(session, "administrator-user")
    assert (stored.role, stored.active) == ("administrator", True)
    assert _actions(session) == []


def test_change_role(admin_page, session, actors):
    at = admin_page
    _select_account(at, "marketing-user")
    at.selectbox(key=f"administration_role_{actors[Role.MARKETING].user_id}").select(
        Role.ADMINISTRATOR
    )
    _button(at, "Change role").click().run()
    assert at.success[0].value == f"{plain('marketing-user')} now has the role Administrator."
    assert _user(session, "marketing-user").role == "administrator"
    assert {m.label: m.value for m in at.metric}["Active administrators"] == "2"


def test_deactivate_and_reactivate(admin_page, session):
    at = admin_page
    _select_account(at, "compliance-user")
    _button(at, "Deactivate").click().run()
    assert at.success[0].value == f"{plain('compliance-user')} is deactivated."
    assert not _user(session, "compliance-user").active
    table = at.dataframe[0].value.set_index("Username")
    assert table.loc["compliance-user", "Status"] == "Inactive"
    with pytest.raises(SignInRefused):
        auth.sign_in(session, "compliance-user", TEST_PASSWORD)
    _button(at, "Reactivate").click().run()
    assert at.success[0].value == f"{plain('compliance-user')} is reactivated."
    assert _user(session, "compliance-user").active
    assert _actions(session)[-1] == "user_activated"


def test_reset_password_clears_a_paused_sign_in(admin_page, session, actors, monkeypatch):
    # A wait long enough that a slow page run cannot outlast it.
    monkeypatch.setattr(settings, "SIGN_IN_FIRST_WAIT", dt.timedelta(minutes=5))
    user_id = actors[Role.COMPLIANCE].user_id
    for _ in range(settings.SIGN_IN_USERNAME_FREE_FAILURES + 1):
        with pytest.raises(SignInRefused):
            auth.sign_in(session, "compliance-user", "a wrong guess")
    at = admin_page
    at.run()  # the page shows the pause on its next run
    assert {m.label: m.value for m in at.metric}["Sign-in paused now"] == "1"
    _select_account(at, "compliance-user")
    assert any("Sign-in paused until" in w.value for w in at.warning)

    box = at.text_input(key=f"administration_password_{user_id}_0")
    box.input("short")
    _button(at, "Reset password").click().run()
    assert at.error[0].value == "Use at least 12 characters."
    assert box.value == "short"

    at.text_input(key=f"administration_password_{user_id}_0").input(NEW_PASSWORD)
    _button(at, "Reset password").click().run()
    assert at.success[0].value == f"The password of {plain('compliance-user')} is reset."
    assert at.text_input(key=f"administration_password_{user_id}_1").value == ""
    assert not at.warning
    assert auth.sign_in(session, "compliance-user", NEW_PASSWORD).role == Role.COMPLIANCE


@pytest.mark.parametrize("role", [Role.MARKETING, Role.COMPLIANCE])
def test_other_roles_cannot_reach_the_page(role, database_url, actors, app_test):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_test(database_url, actors[role], PAGE)


def test_a_demoted_administrator_loses_the_page_at_the_next_run(
    database_url, actors, app_test, session
):
    stale = actors[Role.ADMINISTRATOR]  # what the open browser session still holds
    second = _user(session, "marketing-user")
    second.role = Role.ADMINISTRATOR
    session.commit()
    first = _user(session, "administrator-user")
    first.role = Role.MARKETING  # demoted by the other administrator meanwhile
    session.commit()
    # dashboard.py re-reads the account on each run, so the page is no longer in the
    # navigation although the session still carries the old role.
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_test(database_url, stale, PAGE)
