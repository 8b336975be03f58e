"""Target list exports on SQLite and PostgreSQL: nobody is exported without a basis the
declaration allows (never after a withdrawal or objection, never on a grant without evidence),
the left-out counts add up, and each export is one transaction of disclosure, per-person rows
with their basis, audit event and CSV."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import consent, export
from registry.errors import PermissionDenied, ValidationError
from registry.models import (
    AuditEvent,
    DisclosedPerson,
    Disclosure,
    Person,
    Recipient,
)
from registry.permissions import Actor
from registry.segments import catalogue, saving
from registry.vocabulary import (
    DELIVERS,
    Channel,
    ConsentSource,
    DeliveryService,
    Purpose,
    Relationship,
    Role,
)
from tests import factories
from tests.factories import csv_rows

T0 = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)
PROFILING = Purpose.PROFILING.value


def recipient(session: Session, name: str = "Emerald Mailworks Ltd", **kw: object) -> Recipient:
    found = session.scalar(select(Recipient).where(Recipient.name == name))
    if found is not None:
        return found
    values = {
        "kind": "processor",
        "service": "Newsletter delivery",
        "country": "IE",
        "transfer_mechanism": "not_needed",
        "active": True,
        "delivers": DeliveryService.MAILING.value,
    }
    made = Recipient(name=name, **{**values, **kw})
    session.add(made)
    session.commit()
    return made


def delivering(session: Session, channel: Channel | str) -> Recipient:
    """A processor whose service delivers the channel's messages (Art. 28(3)(a))."""
    service = next(s for s, channels in DELIVERS.items() if Channel(channel) in channels)
    if service == DeliveryService.MAILING:
        return recipient(session)
    return recipient(session, f"{service.value.title()} Processor Oy", delivers=service.value)


def choice_of(definition: list[dict], title: str = "Test segment") -> catalogue.SegmentChoice:
    from registry.filters import parse_definition

    return catalogue.SegmentChoice("test", "Test", title, parse_definition(definition))


def count(session: Session, model: object) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def exported_rows(out: io.StringIO) -> list[dict[str, str]]:
    return csv_rows(out.getvalue())


# --- one export, end to end ------------------------------------------------------------


def add_person(session: Session, first: str, email: str | None, **kw: object) -> Person:
    return factories.person(
        session, first, "Testinen", email=email, relationship=Relationship.MARKETING_OPT_IN, **kw
    )


def grant(session: Session, actor: Actor, person: Person, *purposes: str) -> None:
    consent.record_consent(
        session, actor, person.id, list(purposes), "granted", ConsentSource.WEB_FORM, "ticked"
    )


@pytest.fixture
def newsletter_world(session, actors):  # type: ignore[no-untyped-def]
    compliance = actors[Role.COMPLIANCE]
    aino = add_person(session, "Aino", "aino@example.fi", city="Turku")
    grant(session, compliance, aino, Purpose.NEWSLETTER)
    eino = add_person(session, "=cmd|'/c calc'!A1", "eino@example.fi")
    grant(session, compliance, eino, Purpose.NEWSLETTER)
    withdrawn = add_person(session, "Wilma", "wilma@example.fi")
    grant(session, compliance, withdrawn, Purpose.NEWSLETTER)
    consent.record_consent(
        session, compliance, withdrawn.id, [Purpose.NEWSLETTER], "withdrawn", "email"
    )
    objector = add_person(session, "Olli", "olli@example.fi")
    grant(session, compliance, objector, Purpose.NEWSLETTER)
    consent.record_objection(session, compliance, objector.id, ConsentSource.LETTER, "letter")
    add_person(session, "Nella", "nella@example.fi")  # never asked
    no_email = add_person(session, "Pekka", None)
    grant(session, compliance, no_email, Purpose.NEWSLETTER)
    return aino, eino


def test_an_export_records_its_disclosure_audit_event_and_streams_the_csv(
    session, actors, newsletter_world
):
    marketing = actors[Role.MARKETING]
    aino, eino = newsletter_world
    definition = [{"field": "relationship", "op": "in", "value": ["marketing_opt_in"]}]
    shown = export.preview(session, marketing, definition, Channel.NEWSLETTER)
    assert (shown.matched, shown.exported) == (6, 2)
    assert shown.left_out == {
        **dict.fromkeys(export.LeftOut, 0),
        export.LeftOut.OBJECTED: 1,
        export.LeftOut.WITHDRAWN: 1,
        export.LeftOut.NEVER_GRANTED: 1,
        export.LeftOut.NO_CONTACT: 1,
        export.LeftOut.SUPPRESSED: 0,  # known only row by row, as the list is written
    }
    assert shown.by_basis == {"consent": 2}
    assert shown.label(export.LeftOut.NO_CONTACT) == "No email address"
    to = recipient(session)
    out = io.StringIO()
    result = export.export_target_list(
        session, marketing, choice_of(definition, "Opt-ins"), "newsletter", to.id, "March news", out
    )
    assert result.preview == shown and result.recipient == to.name
    rows = exported_rows(out)
    assert sorted(r["email"] for r in rows) == [aino.email, eino.email]
    assert list(rows[0]) == ["first_name", "last_name", "email", "organisation"]
    # A name a spreadsheet would run as a formula is written as text.
    assert {r["first_name"] for r in rows} == {"Aino", "'=cmd|'/c calc'!A1"}
    disclosure = session.get(Disclosure, result.disclosure_id)
    assert (disclosure.recipient_id, disclosure.purpose, disclosure.person_count) == (
        to.id,
        "March news",
        2,
    )
    assert disclosure.data_categories == ["basic"] and disclosure.legal_basis.startswith(
        "Per person: consent"
    )
    assert disclosure.recorded_by == marketing.user_id
    assert "never granted consent, and no other declared basis holds: 1" in disclosure.note
    assert set(
        session.scalars(
            select(DisclosedPerson.basis).where(DisclosedPerson.disclosure_id == disclosure.id)
        )
    ) == {"consent"}
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "target_list_exported")
    ).one()
    assert event.record_id == str(disclosure.id) and "2 of 6 exported" in event.detail
    recent = export.recent_exports(session, marketing)
    assert [(r.disclosure_id, r.persons, r.recipient) for r in recent] == [
        (disclosure.id, 2, to.name)
    ]
    assert export.file_name(choice_of(definition, "Opt-ins & more!"), "newsletter").startswith(
        "opt-ins-more-newsletter-"
    )


def test_a_saved_segment_export_names_the_segment(session, actors, newsletter_world):
    marketing = actors[Role.MARKETING]
    saved = saving.save_segment(
        session,
        marketing,
        "Opt-ins",
        "",
        [{"field": "relationship", "op": "in", "value": ["marketing_opt_in"]}],
    )
    choice = catalogue.find_segment(session, marketing, "Opt-ins")
    assert choice.segment_id == saved.id
    result = export.export_target_list(
        session, marketing, choice, Channel.NEWSLETTER, recipient(session).id, "News", io.StringIO()
    )
    assert session.get(Disclosure, result.disclosure_id).segment_id == saved.id


@pytest.mark.parametrize(
    ("recipient_values", "purpose", "field", "message"),
    [
        (
            {"name": "SurveyPeak LLC", "country": "US", "transfer_mechanism": "privacy_shield"},
            "News",
            "recipient",
            "Privacy Shield",
        ),
        (
            {"name": "Old Mailer Oy", "country": "FI", "active": False},
            "News",
            "recipient",
            "active",
        ),
        (  # a software subcontractor delivers no marketing messages
            {"name": "Tallinn Dev Studio OÜ", "kind": "subcontractor", "delivers": None},
            "News",
            "recipient",
            "does not deliver newsletter messages",
        ),
        (  # a printer delivers letters, not newsletters
            {"name": "Rhein Druck & Versand GmbH", "delivers": DeliveryService.PRINT.value},
            "News",
            "recipient",
            "(print and post) does not deliver newsletter messages",
        ),
        (  # an independent controller that no sharing consent names
            {"name": "Unnamed Dealer Oy", "kind": "dealer", "role": "controller"},
            "News",
            "recipient",
            "independent controller that no consent to sharing names",
        ),
        ({}, "   ", "purpose", "Say what the list is for"),
        ({}, "x" * 201, "purpose", "at most 200"),
    ],
)
def test_a_refused_export_records_nothing(
    session, actors, newsletter_world, recipient_values, purpose, field, message
):
    marketing = actors[Role.MARKETING]
    to = recipient(session, **recipient_values)
    before = (count(session, Disclosure), count(session, AuditEvent))
    out = io.StringIO()
    with pytest.raises(ValidationError) as refused:
        export.export_target_list(
            session, marketing, choice_of([]), Channel.NEWSLETTER, to.id, purpose, out
        )
    assert message in refused.value.field_errors[field]
    session.rollback()
    assert (count(session, Disclosure), count(session, AuditEvent)) == before
    assert out.getvalue() == ""


class BrokenFile(io.StringIO):
    def write(self, text: str) -> int:
        if self.tell() > 40:
            raise OSError("disk full")
        return super().write(text)


def test_an_export_that_fails_while_writing_leaves_no_record(session, actors, newsletter_world):
    marketing = actors[Role.MARKETING]
    before = count(session, AuditEvent)
    with pytest.raises(OSError, match="disk full"):
        export.export_target_list(
            session,
            marketing,
            choice_of([]),
            Channel.NEWSLETTER,
            recipient(session).id,
            "News",
            BrokenFile(),
        )
    session.rollback()
    assert count(session, Disclosure) == count(session, DisclosedPerson) == 0
    assert count(session, AuditEvent) == before


def test_only_marketing_exports(session, actors, newsletter_world):
    for role in (Role.COMPLIANCE, Role.ADMINISTRATOR):
        with pytest.raises(PermissionDenied):
            export.preview(session, actors[role], [], Channel.EMAIL)
        with pytest.raises(PermissionDenied):
            export.export_target_list(
                session, actors[role], choice_of([]), "email", 1, "x", io.StringIO()
            )
    with pytest.raises(ValidationError, match="channel"):
        export.preview(session, actors[Role.MARKETING], [], "carrier pigeon")


# --- the command line, for automation ---------------------------------------------------


def test_the_command_line_exports_a_saved_segment_to_a_file(
    session, actors, newsletter_world, database_url, monkeypatch, tmp_path, capsys
):
    from registry import db
    from registry.__main__ import main

    monkeypatch.setenv(db.ENV_VAR, database_url)
    saving.save_segment(
        session,
        actors[Role.MARKETING],
        "Opt-ins",
        "",
        [{"field": "relationship", "op": "in", "value": ["marketing_opt_in"]}],
    )
    to = recipient(session)
    lists = tmp_path / "lists"
    lists.mkdir()
    out = lists / "opt-ins.csv"
    argv = ["export", "--segment", "Opt-ins", "--channel", "newsletter", "--recipient", to.name]
    assert main([*argv, "--out", str(out), "--user", "marketing-user"]) == 0
    assert sorted(r["email"] for r in csv_rows(out.read_bytes())) == [
        "aino@example.fi",
        "eino@example.fi",
    ]
    assert "Exported 2 persons" in capsys.readouterr().err
    session.expire_all()
    disclosure = session.scalars(select(Disclosure)).one()
    assert disclosure.recorded_by == actors[Role.MARKETING].user_id

    # Refused: nothing written, nothing recorded, the reason on stderr.
    refused = lists / "refused.csv"
    assert main([*argv[:-1], "Nobody Ltd", "--out", str(refused)]) == 2
    assert "No recipient named 'Nobody Ltd'" in capsys.readouterr().err
    assert main([*argv, "--out", str(refused), "--user", "compliance-user"]) == 2
    assert "may not view marketing segments" in capsys.readouterr().err
    shield = recipient(session, "SurveyPeak LLC", country="US", transfer_mechanism="privacy_shield")
    assert main([*argv[:-1], shield.name, "--out", str(refused)]) == 2
    assert "Privacy Shield" in capsys.readouterr().err
    assert list(lists.iterdir()) == [out]  # no partial file left behind
    assert count(session, Disclosure) == 1


def test_an_export_to_a_place_it_cannot_write_records_nothing(
    session, actors, newsletter_world, database_url, monkeypatch, tmp_path, capsys
):
    """No phantom disclosure: the list is in place before the disclosure commits."""
    from registry import db
    from registry.__main__ import main

    monkeypatch.setenv(db.ENV_VAR, database_url)
    to = recipient(session)
    argv = ["export", "--segment", "Opt-ins", "--channel", "newsletter", "--recipient", to.name]
    saving.save_segment(
        session,
        actors[Role.MARKETING],
        "Opt-ins",
        "",
        [{"field": "relationship", "op": "in", "value": ["marketing_opt_in"]}],
    )
    lists = tmp_path / "lists"
    lists.mkdir()
    for out in (lists, lists / "missing-folder" / "list.csv"):
        assert main([*argv, "--out", str(out), "--user", "marketing-user"]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    session.expire_all()
    assert count(session, Disclosure) == 0
    exported = select(func.count()).where(AuditEvent.action == "target_list_exported")
    assert session.scalar(exported) == 0
    assert list(lists.iterdir()) == []  # no partial file left behind
