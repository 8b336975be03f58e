"""Control, invisible format and undecodable characters are refused by every write path, with
a message next to the field that names the character; nothing stores them, nothing crashes
on them (PostgreSQL cannot hold a NUL), and a sign-in with one is an audited failure."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry import auth, consent, disclosure_by_hand, recipients, users, validation
from registry.__main__ import main
from registry.errors import SignInRefused, ValidationError
from registry.models import AppUser, AuditEvent, DataSubjectRequest, Recipient
from registry.requests import intake
from registry.vocabulary import Role
from tests import factories

# NUL, BEL, ESC, a C1 control, right-to-left override, zero-width space, BOM, lone surrogate.
REFUSED = ["\x00", "\x07", "\x1b", "\x85", "\u202e", "\u200b", "\ufeff", "\udc80"]


@pytest.mark.parametrize("ch", REFUSED)
def test_the_check_names_each_refused_character(ch):
    problem = validation.refused_character(f"Ai{ch}no")
    assert problem is not None and f"U+{ord(ch):04X}" in problem


def test_joiners_inside_a_word_and_whitespace_in_free_text_are_kept():
    assert validation.refused_character("می\u200cخواهم") is None  # Persian, with a ZWNJ
    assert validation.refused_character("\u200cAino") is not None  # a joiner joining nothing
    assert validation.refused_character("line\nline\tend", validation.MULTILINE) is None
    assert validation.refused_character("line\nline") is not None  # one-line fields


@pytest.mark.parametrize("ch", ["\x00", "\u202e"])
def test_recipient_name_and_service(ch, session):
    for field, data in (
        ("name", recipients.RecipientInput(f"Acme{ch}", "processor", "IT", "FI", "not_needed")),
        ("service", recipients.RecipientInput("Acme", "processor", f"IT{ch}", "FI", "not_needed")),
    ):
        with pytest.raises(ValidationError) as e:
            recipients.validate(session, data)
        assert f"U+{ord(ch):04X}" in e.value.field_errors[field]
    assert session.scalar(select(func.count()).select_from(Recipient)) == 0


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\ufeff"])
def test_request_fields(ch, session, actors):
    compliance = actors[Role.COMPLIANCE]
    for field, typed in (
        ("requester_name", {"requester_name": f"Anna{ch}"}),
        ("requester_contact", {"requester_contact": f"anna{ch}@yritys.fi"}),
        ("details", {"details": f"Please{ch} correct"}),
    ):
        values = {
            "requester_name": "Anna Virtanen",
            "requester_contact": "anna@yritys.fi",
            "details": "",
            **typed,
        }
        with pytest.raises(ValidationError) as e:
            intake.log_request(
                session,
                compliance,
                kind="access",
                channel="email",
                received_on=dt.date(2026, 5, 3),
                today=dt.date(2026, 5, 4),
                **values,
            )
        assert f"U+{ord(ch):04X}" in e.value.field_errors[field], field
    session.rollback()
    assert session.scalar(select(func.count()).select_from(DataSubjectRequest)) == 0


@pytest.mark.parametrize("ch", ["\x00", "\x1b", "\u200b"])
def test_consent_evidence(ch, session, actors):
    person = factories.person(session)
    with pytest.raises(ValidationError) as e:
        consent.record_consent(
            session,
            actors[Role.COMPLIANCE],
            person.id,
            ["newsletter"],
            "granted",
            "web_form",
            f"Ticked{ch} the box",
        )
    assert f"U+{ord(ch):04X}" in e.value.field_errors["evidence"]


@pytest.mark.parametrize("ch", ["\x00", "\u202e"])
def test_user_display_name_and_email(ch, session, actors):
    admin = actors[Role.ADMINISTRATOR]
    with pytest.raises(ValidationError) as e:
        users.create_user(
            session,
            admin,
            "new-user",
            f"Anna{ch}",
            Role.MARKETING,
            "a-long-pass-2026-x",
            f"a{ch}@b.fi",
        )
    assert f"U+{ord(ch):04X}" in e.value.field_errors["display_name"]
    assert f"U+{ord(ch):04X}" in e.value.field_errors["email"]
    assert session.scalar(select(AppUser).where(AppUser.username == "new-user")) is None


@pytest.mark.parametrize("ch", ["\x00", "\x07"])
def test_disclosure_purpose_and_note(ch, session, actors):
    recipient = factories.recipient(session, "Acme")
    person = factories.person(session)
    data = disclosure_by_hand.DisclosureInput(
        recipient.id,
        f"Newsletter{ch}",
        ("basic",),
        "consent",
        str(person.id),
        dt.date(2026, 1, 2),
        note=f"Sent{ch}",
    )
    with pytest.raises(ValidationError) as e:
        disclosure_by_hand.record_disclosure(session, actors[Role.COMPLIANCE], data)
    assert f"U+{ord(ch):04X}" in e.value.field_errors["purpose"]
    assert f"U+{ord(ch):04X}" in e.value.field_errors["note"]


@pytest.mark.parametrize("ch", ["\x00", "\u202e", "\udc80"])
def test_sign_in_with_a_refused_character_is_an_audited_failure(ch, session, actors):
    with pytest.raises(SignInRefused) as e:
        auth.sign_in(session, f"compliance-user{ch}", "whatever-it-is")
    assert str(e.value) == auth.REFUSED
    failed = session.scalars(
        select(AuditEvent.actor_name).where(AuditEvent.action == "sign_in_failed")
    ).all()
    assert failed == [f"compliance-userU+{ord(ch):04X}"]


def test_sign_in_page_with_a_nul(database_url, actors, app_test, caplog):
    at = app_test(database_url, None)
    at.text_input[0].input("compliance-user\x00")
    at.text_input[1].input("secret-typed-password")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [auth.REFUSED]
    assert "secret-typed-password" not in caplog.text
    assert "compliance-user\x00" not in caplog.text


@pytest.mark.parametrize(
    "argv",
    [
        ["users", "add", "new\udc80user", "--role", "marketing", "--password", "x"],
        ["backup", "--job", "nightly\x1b[31m"],
        ["export", "--segment", "S", "--channel", "email", "--recipient", "R\u202e", "--out", "-"],
    ],
)
def test_command_line_refuses_them_in_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "U+" in err
