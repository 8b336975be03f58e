"""Strings meant to inject SQL or HTML are text: stored and compared literally, shown as
text, and every table is still there afterwards (sign-in form, Users page, Audit trail)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from registry import audit, auth
from registry.models import AppUser, AuditEvent, Base, Person
from registry.vocabulary import Role

ATTACKS = [
    "'; DROP TABLE person; --",
    "<script>alert(1)</script>",
    '" OR 1=1 --',
]
NEW_PASSWORD = "a-new-long-password-2026"


def _tables_intact(engine, session) -> None:  # type: ignore[no-untyped-def]
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    assert session.scalar(select(func.count()).select_from(Person)) == 0
    assert session.scalar(select(func.count()).select_from(AppUser)) >= len(Role)


def _button(at, label: str):  # type: ignore[no-untyped-def]
    [button] = [b for b in at.button if b.label == label]
    return button


@pytest.mark.parametrize("attack", ATTACKS)
def test_sign_in_form_takes_them_as_text(attack, database_url, engine, session, actors, app_test):
    at = app_test(database_url, None)
    for username, password in ((attack, attack), ("marketing-user", attack)):
        at.text_input[0].input(username)
        at.text_input[1].input(password)
        _button(at, "Sign in").click().run()
        assert not at.exception, at.exception
        assert [e.value for e in at.error] == [auth.REFUSED]
        assert "auth_actor" not in at.session_state
    failed = list(
        session.scalars(
            select(AuditEvent.actor_name)
            .where(AuditEvent.action == "sign_in_failed")
            .order_by(AuditEvent.id)
        )
    )
    assert failed == [attack, "marketing-user"]
    _tables_intact(engine, session)


@pytest.mark.parametrize("attack", ATTACKS)
def test_users_page_stores_and_shows_them_as_text(
    attack, database_url, engine, session, actors, app_test
):
    at = app_test(database_url, actors[Role.ADMINISTRATOR], "pages/administration.py")
    # As a username they are refused by the pattern; as a name they are stored as typed.
    at.text_input(key="administration_new_username_0").input(attack)
    at.text_input(key="administration_new_email_0").input(attack)
    at.text_input(key="administration_new_password_0").input(NEW_PASSWORD)
    at.selectbox(key="administration_new_role_0").select(Role.MARKETING)
    _button(at, "Create account").click().run()
    assert not at.exception, at.exception
    assert {e.value for e in at.error} == {
        "Use 2-50 lower-case letters, digits, dots, dashes or underscores.",
        "Give a name of 1-200 characters.",
        "Give a valid email address, or leave it empty.",
    }
    assert at.text_input(key="administration_new_username_0").value == attack

    at.text_input(key="administration_new_username_0").input("literal-name")
    at.text_input(key="administration_new_name_0").input(attack)
    at.text_input(key="administration_new_email_0").input("")
    _button(at, "Create account").click().run()
    assert not at.error
    stored = session.scalars(select(AppUser).where(AppUser.username == "literal-name")).one()
    assert stored.display_name == attack
    table = at.dataframe[0].value.set_index("Username")
    assert table.loc["literal-name", "Name"] == attack
    assert f"literal-name · {attack}" in at.selectbox(key="administration_selected").options
    _tables_intact(engine, session)


@pytest.mark.parametrize("attack", ATTACKS)
def test_audit_page_filters_on_them_literally(
    attack, database_url, engine, session, actors, app_test
):
    admin = actors[Role.ADMINISTRATOR]
    audit.record(session, None, "sign_in_failed", "app_user", None, attack, actor_name=attack)
    audit.record(session, admin, "view_person", "person", attack, attack)
    audit.record(session, admin, "view_person", "person", "1", "not this one")
    session.commit()
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/audit.py")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert attack in table["User"].tolist() and attack in table["Detail"].tolist()

    at.text_input(key="audit_record_id").input(attack)
    _button(at, "Apply").click().run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert table["Record id"].tolist() == [attack]
    assert table["Detail"].tolist() == [attack]

    at.text_input(key="audit_record_id").input("")
    at.selectbox(key="audit_user").select(attack)
    _button(at, "Apply").click().run()
    assert at.dataframe[0].value["User"].tolist() == [attack]
    assert {m.label: m.value for m in at.metric}["Failed sign-ins"] == "1"

    # A prefix or a wildcard matches nothing: the comparison is exact, not LIKE.
    at.selectbox(key="audit_user").select(None)
    at.text_input(key="audit_record_id").input("%")
    _button(at, "Apply").click().run()
    assert at.info[0].value == "No events match the filter."
    _tables_intact(engine, session)
