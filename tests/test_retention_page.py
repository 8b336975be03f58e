"""The Retention page (AppTest) on SQLite and PostgreSQL: what is due and why, a person's
due data, applying with the progress bar, the runs, and Art. 19 recipients to tell."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from registry.models import Person, RetentionRun, utcnow
from registry.permissions import Actor
from registry.vocabulary import Role
from tests import factories
from tests.test_segments_export import recipient

PAGE = "pages/retention.py"


def open_tab(at, name: str):  # type: ignore[no-untyped-def]
    at.session_state["retention_tab"] = name
    at.run()
    assert not at.exception, at.exception
    return at


def lapsed(session, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    created = utcnow() - dt.timedelta(days=20 * 365)
    made = [
        factories.person(
            session, f"Lapsed{i}", "Vanha", relationship="marketing_opt_in", created_at=created,
            email=f"lapsed{i}@example.fi",
        )
        for i in range(n)
    ]  # fmt: skip
    return [p.id for p in made]


def test_compliance_sees_what_is_due_and_applies_it(database_url, session, actors, app_test):
    ids = lapsed(session, 2)
    officer = actors[Role.COMPLIANCE]
    mailer = recipient(session)
    factories.disclosure(session, officer, mailer.id, [ids[0]])
    at = app_test(database_url, officer, PAGE)
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == ["Due now", "A person's due data", "Runs"]
    assert "never been applied to this database" in at.warning[0].value
    table = at.dataframe[0].value
    row = table[table["Rule"] == "marketing_opt_ins"].iloc[0]
    assert row["Persons to erase"] == 2 and row["Period"] == "3 years"
    assert [m.value for m in at.metric][:2] == ["2", "0"]
    button = at.button(key="retention_apply")
    assert button.disabled  # until the confirmation is ticked
    at.checkbox(key="retention_sure").check().run()
    at.button(key="retention_apply").click().run()
    assert not at.exception, at.exception
    assert "2 persons erased" in at.success[0].value
    session.expire_all()
    assert all(session.get(Person, i).erased_at is not None for i in ids)
    assert "Nothing is due" in at.success[1].value
    assert any("2 persons erased, 0 rows deleted" in c.value for c in at.caption)
    # The run, and the recipient that received an erased person's data, to be told.
    at = open_tab(at, "Runs")
    runs = at.dataframe[0].value
    assert runs.iloc[0]["Persons erased"] == 2 and runs.iloc[0]["Result"] == "Completed"
    assert any("received the data of 1 persons" in m.value for m in at.markdown)
    at.button(key=f"retention_told_{mailer.id}").click().run()
    assert not at.exception, at.exception
    assert "recorded as told of 1 erasures" in at.success[0].value
    assert session.scalar(select(RetentionRun.status)) == "completed"


def test_a_persons_due_data_is_previewed_without_writing(database_url, session, actors, app_test):
    ids = lapsed(session, 1)
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    at = open_tab(at, "A person's due data")
    at.selectbox(key="retention_person_rule").select_index(2).run()  # marketing_opt_ins
    assert not at.exception, at.exception
    assert any(f"by id: {ids[0]}" in c.value for c in at.caption)
    assert "Due under marketing_opt_ins" in at.warning[0].value
    effects = at.dataframe[0].value
    assert "anonymised" in set(effects["What happens"])
    at.number_input(key="retention_person_marketing_opt_ins").set_value(99_999).run()
    assert not at.exception, at.exception
    assert "No person 99999" in at.error[0].value, [m.value for m in at.main]
    session.expire_all()
    assert session.get(Person, ids[0]).erased_at is None


def test_a_stale_or_failed_run_is_flagged(database_url, session, actors, app_test):
    old = utcnow() - dt.timedelta(hours=40)
    session.add(
        RetentionRun(started_at=old, finished_at=old, actor_name="nightly-cron",
                     status="completed", persons_erased=1, rows_deleted=0, counts={}, message="")
    )  # fmt: skip
    session.commit()
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    assert not at.exception, at.exception
    assert "more than 36 hours ago" in at.warning[0].value
    session.add(
        RetentionRun(started_at=utcnow(), actor_name="nightly-cron", status="failed",
                     persons_erased=0, rows_deleted=0, counts={}, message="rule x: disk full")
    )  # fmt: skip
    session.commit()
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    assert "failed: rule x: disk full" in at.error[0].value


def test_only_compliance_and_administrators_are_offered_the_page():
    from navigation import PAGES

    spec = next(p for p in PAGES if p.path == PAGE)
    may = {role for role in Role if Actor(None, "x", role).may(spec.permission)}
    assert may == {Role.COMPLIANCE, Role.ADMINISTRATOR}
