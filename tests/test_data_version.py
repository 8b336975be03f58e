"""The data version (registry/data_version.py): every committed write moves it, a view or a
rolled-back write does not, and a page's cached numbers follow a write made elsewhere (another
app server) at the next run. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from registry import audit, consent, data_version, persons
from registry.vocabulary import ConsentSource, ConsentStatus, Purpose, Role
from tests import factories

T0 = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)


def grant_newsletter(session, actor, person_id: int) -> None:  # type: ignore[no-untyped-def]
    consent.record_consent(
        session,
        actor,
        person_id,
        [Purpose.NEWSLETTER],
        ConsentStatus.GRANTED,
        ConsentSource.WEB_FORM,
        "newsletter form, log 12",
        T0,
    )


def test_a_committed_write_moves_the_version_once(session, actors):
    aino = factories.person(session, email="aino.virtanen@example.fi")
    before = data_version.current(session)
    grant_newsletter(session, actors[Role.COMPLIANCE], aino.id)
    assert data_version.current(session) == before + 1


def test_a_view_leaves_the_version_where_it_is(session, actors):
    aino = factories.person(session, email="aino.virtanen@example.fi")
    before = data_version.current(session)
    persons.person_detail(session, actors[Role.COMPLIANCE], aino.id)  # audited, committed
    persons.open_person(session, actors[Role.COMPLIANCE], aino.id)
    assert data_version.current(session) == before


def test_a_rolled_back_write_leaves_it_and_is_forgotten(session, actors):
    before = data_version.current(session)
    audit.record(session, actors[Role.ADMINISTRATOR], "user_created", "app_user", 1)
    session.rollback()
    session.commit()  # nothing of the rolled-back write may move it now
    assert data_version.current(session) == before


def test_another_servers_write_shows_at_the_next_run(session, database_url, actors, app_test):
    """AppTest keeps Streamlit's cache in this process; a write through another session is
    what another app server's write looks like here: nobody cleared this process's cache."""
    aino = factories.person(session, email="aino.virtanen@example.fi")
    at = app_test(database_url, actors[Role.MARKETING], "pages/consent.py")
    assert not at.exception, at.exception
    granted = next(m.value for m in at.metric if m.label == "Granted")
    assert granted == "0"
    grant_newsletter(session, actors[Role.COMPLIANCE], aino.id)
    at.run()
    assert next(m.value for m in at.metric if m.label == "Granted") == "1"
