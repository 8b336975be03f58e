"""`python -m registry check` (issue 14): a completed erasure whose person still has data is
a contradiction; the seeded demo has none, because the seed carries out its own erasures."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from registry import consistency, db, erasure
from registry.models import DataSubjectRequest, ErasureJournal, Person
from registry.vocabulary import RequestKind, RequestStatus, Role
from tests import factories

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


def test_a_completed_erasure_with_data_left_is_a_contradiction(
    session, actors, database_url, monkeypatch, capsys
):
    from registry.__main__ import main

    monkeypatch.setenv(db.ENV_VAR, database_url)
    officer = actors[Role.COMPLIANCE]
    person = factories.person(session, "Kalle", "Ristiriita", email="kalle@example.fi")
    # Completed by text alone, as the registry did before erasure erased.
    claimed = factories.request_row(
        session, "erasure", person_id=person.id, status=RequestStatus.COMPLETED,
        outcome="Erased", closed_at=NOW,
    )  # fmt: skip
    assert [c.request_id for c in consistency.contradictions(session)] == [claimed.id]
    assert consistency.contradiction_count(session, officer) == 1
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert f"request #{claimed.id}, person {person.id}: completed erasure" in out
    # Carried out, the contradiction is gone.
    done = factories.request_row(
        session, "erasure", person_id=person.id, status=RequestStatus.VERIFIED,
        identity_verified_at=NOW,
    )  # fmt: skip
    erasure.erase_for_request(session, officer, done.id, ["objected"], "Erased", now=NOW)
    assert consistency.contradictions(session) == []
    assert main(["check"]) == 0
    assert "0 contradictions" in capsys.readouterr().out


def test_the_seeded_demo_does_what_its_completed_erasures_say(seeded_session):
    completed = seeded_session.scalar(
        select(func.count()).select_from(DataSubjectRequest).where(
            DataSubjectRequest.kind == RequestKind.ERASURE,
            DataSubjectRequest.status == RequestStatus.COMPLETED,
            DataSubjectRequest.person_id.is_not(None),
        )
    )  # fmt: skip
    assert completed
    assert consistency.contradictions(seeded_session) == []
    # Its objections and restrictions took effect too (the seed applies them).
    assert consistency.sentences(seeded_session) == []
    erased = seeded_session.scalar(
        select(func.count()).select_from(Person).where(Person.erased_at.is_not(None))
    )
    journalled = seeded_session.scalar(select(func.count()).select_from(ErasureJournal))
    assert erased == journalled > 0


def test_the_check_lists_objections_and_restrictions_that_did_not_take_effect(
    session, actors, database_url, monkeypatch, capsys
):
    from registry.__main__ import main

    monkeypatch.setenv(db.ENV_VAR, database_url)
    officer = actors[Role.COMPLIANCE]
    person = factories.person(session, "Oona", "Vastustaja", email="oona@example.fi")
    # Completed as the records say, with no objection recorded (as an old import left it).
    claimed = factories.request_row(
        session, RequestKind.OBJECTION, person_id=person.id, status=RequestStatus.COMPLETED,
        outcome="Objection recorded", closed_at=NOW,
    )  # fmt: skip
    assert consistency.contradiction_count(session, officer) == 1
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert f"#{claimed.id}" in out and "1 contradictions" in out
    assert "Vastustaja" not in out and "oona@" not in out
