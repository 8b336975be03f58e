"""Failures a user can meet get plain words, with what they typed kept: the database gone
in the middle of a session, a SQLite lock during a save; and no log line of them carries the
values of the failed statement."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from streamlit.testing.v1 import AppTest

from registry import db, settings, validation
from registry.models import Person
from registry.vocabulary import Role
from tests.browser import ROOT
from tests.test_persons_page import SAVE, build, open_person, stored

GONE = {
    "sqlite": "sqlite:////nonexistent-directory/registry.db",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/registry",
}


def test_a_signed_in_user_whose_database_goes_away_gets_the_plain_message(
    backend, database_url, actors, app_test, monkeypatch
):
    at = app_test(database_url, actors[Role.COMPLIANCE])
    assert not at.exception and not at.error
    assert at.session_state["database_checked"]  # checked once at the session's start
    # The next run of the same session (a new AppTest: a rerun of this one would run the page
    # alone, without dashboard.py), with the server or the file gone.
    monkeypatch.setenv(db.ENV_VAR, GONE[backend])
    later = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key in ("database_checked", "auth_user_id", "auth_actor", "auth_last_activity"):
        later.session_state[key] = at.session_state[key]
    at = later.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["The registry database is not available"]
    [message] = [e.value for e in at.error]
    assert message.startswith("Cannot reach the registry database")
    assert "What to check" in message


def test_a_sign_in_while_the_database_is_gone_gets_the_plain_message(
    backend, database_url, actors, app_test, monkeypatch
):
    at = app_test(database_url, None)
    monkeypatch.setenv(db.ENV_VAR, GONE[backend])
    at.text_input[0].input("compliance-user")
    at.text_input[1].input("typed-password-1234")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    assert any(e.value.startswith("Cannot reach the registry database") for e in at.error)


def test_a_sqlite_lock_during_a_save_says_save_again_and_keeps_the_input(
    backend, database_url, engine, session, actors, app_test, monkeypatch, caplog
):
    if backend != "sqlite":
        return  # PostgreSQL locks rows, not the file: a save waits for the row lock instead
    monkeypatch.setattr(settings, "SQLITE_BUSY_TIMEOUT_MS", 200)
    officer = actors[Role.COMPLIANCE]
    person, _ = build(session, officer)
    at = open_person(app_test, database_url, officer, person.id)
    at.text_input(key="persons_form_city").input("Espoo-Marked-City")
    at.text_area(key="persons_form_reason").input("Letter of 3 May: moved.")
    # Another writer holds the database's write lock for the whole save.
    holder = sqlite3.connect(make_url(database_url).database or "")
    holder.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.DEBUG):
            at.button(key=SAVE).click().run()
    finally:
        holder.rollback()
        holder.close()
    assert not at.exception, at.exception
    assert db.BUSY_MESSAGE in [e.value for e in at.error]
    assert at.text_input(key="persons_form_city").value == "Espoo-Marked-City"
    assert at.text_area(key="persons_form_reason").value == "Letter of 3 May: moved."
    assert stored(engine, person.id).city == "Turku"
    assert "Espoo-Marked-City" not in caplog.text
    # Saving again once the lock is gone works.
    at.button(key=SAVE).click().run()
    assert not at.exception and not at.error
    assert stored(engine, person.id).city == "Espoo-Marked-City"


def test_a_failed_statement_logs_no_bound_values(backend, engine, caplog):
    """The engine hides parameters: an error's text names the SQL, not the values."""
    marked = "Marked-Name-7Q"
    failed = None
    with caplog.at_level(logging.DEBUG), engine.connect() as c:
        try:
            # An employer that does not exist: the foreign key refuses it on both engines.
            c.execute(
                insert(Person).values(
                    first_name=marked,
                    last_name=marked,
                    relationship="customer_contact",
                    source="test",
                    organisation_id=987654,
                )
            )
            c.commit()
        except IntegrityError as e:
            failed = e
            logging.getLogger("registry.test").exception("insert failed")
    assert failed is not None
    assert marked not in str(failed) and marked not in caplog.text
    assert "parameters hidden" in str(failed)


BAD_IDS = ["²", "٣", "99999999999999999999", "0", "-1", "1e3", " 12x"]


def test_record_id_takes_only_ids_a_row_can_have():
    assert [validation.record_id(v) for v in BAD_IDS] == [None] * len(BAD_IDS)
    assert validation.record_id("12") == 12
    assert validation.record_id(str(validation.MAX_RECORD_ID)) == validation.MAX_RECORD_ID


@pytest.mark.parametrize("raw", ["²", "99999999999999999999"])
@pytest.mark.parametrize(("page", "param"), [("persons", "person"), ("requests", "request")])
def test_a_bad_link_parameter_is_ignored(raw, page, param, database_url, actors, app_test):
    at = app_test(database_url, actors[Role.COMPLIANCE], f"pages/{page}.py")
    at.query_params[param] = raw
    at.run()
    assert not at.exception, at.exception
