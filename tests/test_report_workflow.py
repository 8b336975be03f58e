"""The report's workflow: the reply language, the review (Art. 15(4)), what was sent kept
byte for byte, the extension told (Art. 12(3)), late rejections, and the command line."""

import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import func, select, update

from registry import __main__ as cli
from registry import db, report
from registry.errors import ConflictError, NotFound, ValidationError
from registry.models import (
    Activity,
    AuditEvent,
    DataSubjectRequest,
    Person,
    ReportRedaction,
    SentDocument,
)
from registry.report import notices, review, sent
from registry.report.language import default_language
from registry.requests import intake, request_view, rules, transitions
from registry.vocabulary import RequestStatus, Role
from tests.test_access_report import RECEIVED, rich  # noqa: F401 - the fixture


def _person(session, country="FI", **kw) -> Person:
    p = Person(
        first_name="Lars",
        last_name="Lind",
        email="lars@example.se",
        relationship="customer_contact",
        source="Information provided by the customer",
        country=country,
        **kw,
    )
    session.add(p)
    session.commit()
    return p


def _log(session, actor, **kw) -> DataSubjectRequest:
    values = {
        "kind": "access",
        "channel": "email",
        "received_on": RECEIVED,
        "requester_name": "Lars Lind",
        "requester_contact": "lars@example.se",
        "today": RECEIVED,
    } | kw
    return intake.log_request(session, actor, **values)


# --- the reply language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("details", "country", "contact", "expected"),
    [
        ("Haluan tietää, mitä tietoja minusta on rekisterissä.", "SE", "", "fi"),
        ("Jag vill ha alla uppgifter ni har om mig.", "FI", "", "sv"),
        ("Please send me all the data you hold about me.", "FI", "", "en"),
        ("", "SE", "", "sv"),
        ("", "AX", "", "sv"),
        ("", "FI", "", "fi"),
        ("", "DE", "", "en"),
        ("", None, "someone@example.se", "sv"),
        ("", None, "someone@example.org", "fi"),
    ],
)
def test_the_reply_language_defaults_from_the_request(details, country, contact, expected):
    assert default_language(details, country, contact) == expected


def test_the_reply_language_is_logged_and_changed_as_a_step(session, actors):
    actor = actors[Role.COMPLIANCE]
    swede = _person(session, country="SE")
    r = _log(session, actor, person_id=swede.id)
    assert r.reply_language == "sv"
    chosen = _log(session, actor, reply_language="en")
    assert chosen.reply_language == "en"
    with pytest.raises(ValidationError) as e:
        _log(session, actor, reply_language="de")
    assert "reply_language" in e.value.field_errors
    notices.set_reply_language(session, actor, r.id, "fi")
    session.expire_all()
    assert session.get(DataSubjectRequest, r.id).reply_language == "fi"
    view = request_view.detail(session, actor, r.id)
    assert view.history[-1].note == "Swedish -> Finnish" and view.reply_language == "fi"
    with pytest.raises(ValidationError):
        notices.set_reply_language(session, actor, r.id, "xx")


# --- the review: others' data withheld (Art. 15(4)) ----------------------------------------


def test_a_withheld_passage_is_recorded_and_replaced_in_the_final_report(session, rich):  # noqa: F811
    actor, person, _other, r, _ = rich
    visit = session.scalars(
        select(Activity).where(Activity.person_id == person.id, Activity.kind == "app_use")
    ).one()
    visit.detail = "signed a contract with Otto Outsider (otto@elsewhere.example)"
    session.commit()
    texts = review.free_texts(session, actor, r.id)
    assert ("activity", str(visit.id), "detail") in {
        (x.record_type, x.record_id, x.field) for x in texts
    }
    redaction = review.add_redaction(
        session,
        actor,
        r.id,
        "activity",
        str(visit.id),
        "detail",
        "Otto Outsider (otto@elsewhere.example)",
        "Another customer's name and email",
    )
    row = session.get(ReportRedaction, redaction.id)
    assert (row.redacted_by, row.withdrawn_at) == (actor.user_id, None)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "report_redaction_added")
    ).one()
    assert "otto@" not in event.detail and "Another customer's name" in event.detail
    made = report.generate(session, actor, r.id)
    for text in (made.html, made.json):
        assert "otto@elsewhere.example" not in text and "Otto Outsider" not in text
    assert "signed a contract with [removed 1]" in made.html
    assert "Another customer&#39;s name and email" in made.html
    assert json.loads(made.json)["redactions"] == [
        {"number": 1, "reason": "Another customer's name and email"}
    ]
    # Put back, the passage is in the next report; the redaction stays on record.
    review.withdraw_redaction(session, actor, redaction.id)
    assert session.get(ReportRedaction, redaction.id).withdrawn_at is not None
    again = report.generate(session, actor, r.id)
    assert "Otto Outsider" in again.html and again.report.redactions == ()


def test_a_redaction_is_refused_with_its_reason(session, rich):  # noqa: F811
    actor, person, other, r, _ = rich
    visit = session.scalars(select(Activity).where(Activity.person_id == person.id)).first()
    args = (session, actor, r.id, "activity", str(visit.id), "detail")
    with pytest.raises(ValidationError) as e:
        review.add_redaction(*args, "not in the text", "why")
    assert "not in this text" in e.value.field_errors["passage"]
    with pytest.raises(ValidationError) as e:
        review.add_redaction(*args, visit.detail, "  ")
    assert "Say why" in e.value.field_errors["reason"]
    with pytest.raises(ValidationError) as e:
        review.add_redaction(session, actor, r.id, "activity", str(visit.id), "city", "x", "y")
    assert "free-text" in e.value.field_errors["field"]
    # Another person's record is not part of this report.
    theirs = Activity(
        person_id=other.id,
        kind="website_visit",
        occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        detail="/secret",
    )
    session.add(theirs)
    session.commit()
    with pytest.raises(ValidationError) as e:
        review.add_redaction(
            session, actor, r.id, "activity", str(theirs.id), "detail", "/secret", "x"
        )
    assert "not part of this person's report" in e.value.field_errors["field"]
    assert session.scalar(select(func.count()).select_from(ReportRedaction)) == 0
    # Closed, the review is closed too.
    report.generate(session, actor, r.id)
    transitions.complete(session, actor, r.id, "Report sent")
    with pytest.raises(ConflictError, match="only an open, identity-verified"):
        review.add_redaction(*args, visit.detail, "why")


# --- what was sent is kept -------------------------------------------------------------


def test_the_stored_copy_is_what_is_downloaded_byte_for_byte(session, rich):  # noqa: F811
    actor, _person, _, r, _ = rich
    made = report.generate(session, actor, r.id)
    transitions.complete(session, actor, r.id, "Report sent by email")
    [copy] = sent.copies(session, actor, r.id)
    assert (copy.kind, copy.language, copy.id) == ("access_report", "en", made.document_id)
    html = sent.download(session, actor, copy.id, "html")
    data = sent.download(session, actor, copy.id, "json")
    # After completion, the same bytes as were generated and stored.
    assert html == made.html.encode("utf-8") and data == made.json.encode("utf-8")
    assert hashlib.sha256(html).hexdigest() == copy.html_sha256
    assert hashlib.sha256(data).hexdigest() == copy.json_sha256
    assert copy.html_bytes == len(html)
    downloads = session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "sent_document_downloaded")
    ).all()
    assert len(downloads) == 2
    # A copy changed after it was sent no longer matches its checksum: refused.
    session.execute(
        update(SentDocument).where(SentDocument.id == copy.id).values(html=made.html + " ")
    )
    session.commit()
    with pytest.raises(sent.DamagedCopy, match="no longer matches its SHA-256"):
        sent.download(session, actor, copy.id, "html")
    with pytest.raises(NotFound):
        sent.download(session, actor, 999_999, "html")


# --- extension told (Art. 12(3)) and late rejections (Art. 12(4)) ---------------------------


def test_extending_makes_the_letter_and_telling_is_a_step(session, actors):
    actor = actors[Role.COMPLIANCE]
    r = _log(session, actor, reply_language="fi")
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[0])
    transitions.extend(session, actor, r.id, "Monimutkainen pyyntö", today=dt.date(2026, 3, 20))
    session.execute(  # as if extended on the day the test's clock says
        update(DataSubjectRequest)
        .where(DataSubjectRequest.id == r.id)
        .values(extended_at=dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC))
    )
    session.commit()
    [letter] = session.scalars(select(SentDocument)).all()
    assert letter.kind == "extension" and letter.language == "fi"
    assert "ILMOITUS MÄÄRÄAJAN PIDENTÄMISESTÄ" in letter.html
    assert "Monimutkainen pyyntö" in letter.html and "5. kesäkuuta 2026" in letter.html
    assert letter.json is None and letter.html_sha256 == sent.sha256(letter.html)
    # Not told by the notify-by date (the first month's due date, 7.4.2026): flagged.
    flags = notices.deadline_flags(session, actor, [r.id], today=dt.date(2026, 4, 8))
    assert flags == {r.id: ("extension_not_told",)}
    assert notices.untold_extensions(session, actor, dt.date(2026, 4, 8)) == [
        (r.id, dt.date(2026, 4, 7))
    ]
    assert notices.deadline_flags(session, actor, [r.id], today=dt.date(2026, 4, 7)) == {}
    with pytest.raises(ValidationError) as e:
        notices.record_extension_told(
            session, actor, r.id, dt.date(2026, 3, 1), "email", today=dt.date(2026, 4, 8)
        )
    assert "before the extension" in e.value.field_errors["told_on"]
    with pytest.raises(ValidationError) as e:
        notices.record_extension_told(
            session, actor, r.id, dt.date(2026, 5, 1), "pigeon", today=dt.date(2026, 4, 8)
        )
    assert set(e.value.field_errors) == {"channel", "told_on"}
    notices.record_extension_told(
        session, actor, r.id, dt.date(2026, 4, 8), "letter", today=dt.date(2026, 4, 8)
    )
    session.expire_all()
    told = session.get(DataSubjectRequest, r.id)
    assert (told.extension_told_on, told.extension_told_channel) == (dt.date(2026, 4, 8), "letter")
    assert notices.untold_extensions(session, actor, dt.date(2026, 4, 9)) == []
    # Told, but after the notify-by date: still flagged, and the history says so.
    assert notices.deadline_flags(session, actor, [r.id], today=dt.date(2026, 4, 9)) == {
        r.id: ("extension_told_late",)
    }
    note = request_view.detail(session, actor, r.id).history[-1].note
    assert note == "8.4.2026 by letter; after the notify-by date 7.4.2026"
    with pytest.raises(ConflictError, match="only an extended request"):
        other = _log(session, actor)
        notices.record_extension_told(session, actor, other.id, RECEIVED, "email", today=RECEIVED)


def test_a_rejection_after_the_due_date_is_flagged_and_its_letter_says_so(session, actors):
    actor = actors[Role.COMPLIANCE]
    r = _log(session, actor, reply_language="sv")  # due 7.4.2026
    transitions.reject(session, actor, r.id, "Identiteten kunde inte fastställas", today=RECEIVED)
    on_time = _log(session, actor, reply_language="sv")
    late = _log(session, actor, reply_language="en")
    transitions.reject(session, actor, late.id, "Not established", today=dt.date(2026, 5, 25))
    letters = {d.request_id: d for d in session.scalars(select(SentDocument))}
    assert set(letters) == {r.id, late.id}
    assert "BESLUT ATT INTE VIDTA ÅTGÄRDER" in letters[r.id].html
    assert (
        "Dataombudsmannens byrå" in letters[r.id].html and "Vi beklagar" not in letters[r.id].html
    )
    assert "We regret that this answer comes after the time limit" in letters[late.id].html
    note = request_view.detail(session, actor, late.id).history[-1].note
    assert note.startswith("Not established (after the due date 7.4.2026)")
    # The flag is read from the closing date: set them as the test's clock says.
    for rid, day in ((r.id, RECEIVED), (late.id, dt.date(2026, 5, 25))):
        session.execute(
            update(DataSubjectRequest)
            .where(DataSubjectRequest.id == rid)
            .values(closed_at=dt.datetime.combine(day, dt.time(9), dt.UTC))
        )
    session.commit()
    flags = notices.deadline_flags(session, actor, [r.id, on_time.id, late.id])
    assert flags == {late.id: ("rejected_late",)}
    assert session.get(DataSubjectRequest, late.id).status == RequestStatus.REJECTED


def test_a_letter_in_an_unfinished_language_refuses_the_step(session, actors, monkeypatch):
    """A missing translation stops the step with the key: nothing half in English is sent."""
    from registry.report import declaration_text as dtext

    actor = actors[Role.COMPLIANCE]
    r = _log(session, actor, reply_language="sv")
    real = dtext._load(dtext.TRANSLATIONS_PATH)
    broken = {"fi": real["fi"], "sv": {k: v for k, v in real["sv"].items() if k != "purposes"}}
    monkeypatch.setattr(dtext, "_load", lambda path: broken)
    with pytest.raises(Exception, match=r"sv\.purposes: missing"):
        transitions.reject(session, actor, r.id, "No", today=RECEIVED)
    session.expire_all()
    assert session.get(DataSubjectRequest, r.id).status == RequestStatus.RECEIVED
    assert session.scalar(select(func.count()).select_from(SentDocument)) == 0


# --- the command line ----------------------------------------------------------------------


def test_the_command_line_writes_the_report_and_audits_it(
    database_url,
    session,
    rich,  # noqa: F811
    tmp_path,
    monkeypatch,
    capsys,
):
    _actor, person, _, _, _ = rich
    monkeypatch.setenv(db.ENV_VAR, database_url)
    out = tmp_path / "report.json"
    argv = ["access-report", "--person", str(person.id), "--format", "json"]
    assert cli.main([*argv, "--language", "fi", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["language"] == "fi" and data["reference"] == f"PERSON-{person.id:06d}"
    html_out = tmp_path / "report.html"
    assert (
        cli.main([*argv[:3], "--format", "html", "--language", "sv", "--out", str(html_out)]) == 0
    )
    assert "REGISTERUTDRAG" in html_out.read_text(encoding="utf-8")
    session.expire_all()
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "access_report_generated")
    ).all()
    assert [(e.record_type, e.record_id) for e in events] == [("person", str(person.id))] * 2
    capsys.readouterr()
    for bad, message in (
        (["--person", "x"], "--person: 'x' is not a person id"),
        (["--format", "pdf"], "--format: 'pdf': choose json or html."),
        (["--language", "de"], "--language: 'de': choose fi, sv, en."),
        (["--person", "999999"], "No person 999999 in the registry."),
        (["--out", str(tmp_path / "missing" / "r.json")], "--out: the directory"),
    ):
        args = {
            "--person": str(person.id),
            "--format": "json",
            "--language": "en",
            "--out": str(tmp_path / "ok.json"),
        } | dict(zip(bad[::2], bad[1::2], strict=True))
        assert cli.main(["access-report", *sum(args.items(), ())]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(message), err
