"""Erasures survive a restore (issue 14): each is journalled outside the database, and
`python -m registry restore` re-applies those newer than the backup and says how many."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from registry import db, erasure, erasure_journal
from registry.backup import files
from registry.models import AuditEvent, ConsentEvent, Person
from registry.vocabulary import RequestStatus, Role
from tests import factories


def _erasable(session, email: str):  # type: ignore[no-untyped-def]
    person = factories.person(session, "Reijo", "Palautettu", email=email)
    session.add(
        ConsentEvent(
            person_id=person.id,
            purpose="newsletter",
            status="granted",
            occurred_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            source="email",
            evidence="form",
        )
    )
    session.commit()
    request = factories.request_row(
        session,
        "erasure",
        person_id=person.id,
        status=RequestStatus.VERIFIED,
        identity_verified_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    return person.id, request.id


def test_restore_reapplies_the_erasures_newer_than_the_backup(
    session, actors, engine, database_url, database_factory, backend, tmp_path, monkeypatch,
    capsys,
):  # fmt: skip
    from registry.__main__ import main

    monkeypatch.setenv(erasure_journal.ENV_VAR, str(tmp_path / "journal.jsonl"))
    monkeypatch.setenv(db.ENV_VAR, database_url)
    officer = actors[Role.COMPLIANCE]
    before, before_request = _erasable(session, "ennen@example.fi")
    after, after_request = _erasable(session, "jalkeen@example.fi")
    erasure.erase_for_request(session, officer, before_request, ["objected"], "Erased")
    assert main(["backup", "--out", str(tmp_path), "--job", "test"]) == 0
    (made,) = [p for p in tmp_path.iterdir() if p.suffix == files.SUFFIXES[backend]]
    erasure.erase_for_request(session, officer, after_request, ["objected"], "Erased")
    assert len(erasure_journal.read()) == 2
    capsys.readouterr()

    target = database_factory(backend)
    assert main(["restore", str(made), "--into", target]) == 0
    said = capsys.readouterr().out
    assert "Re-applied 1 journalled erasures newer than the backup" in said
    restored = db.make_engine(target)
    try:
        with db.make_sessionmaker(restored)() as s:
            for pid in (before, after):
                person = s.get(Person, pid)
                assert person.erased_at is not None and person.email is None
                assert not s.scalars(
                    select(ConsentEvent).where(ConsentEvent.person_id == pid)
                ).all()
            event = s.scalars(
                select(AuditEvent).where(AuditEvent.action == "erasures_reapplied")
            ).one()
            assert event.detail.startswith("1 of 1 journalled erasures")
    finally:
        restored.dispose()
    # Against the source database, where both are erased already: nothing is erased twice.
    assert main(["reapply-erasures", "--since", "2000-01-01T00:00:00+00:00"]) == 0
    assert "Re-applied 0 journalled erasures" in capsys.readouterr().out
