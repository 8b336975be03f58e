"""The documents of a breach in Finnish, Swedish and English: the notification to the
Ombudsman (Art. 33(3)), the letter to a person (Art. 34(2)), and the letters list for a
mailing processor, recorded as a disclosure with every cell safe from formula injection."""

from __future__ import annotations

import csv
import datetime as dt
import html as html_module
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from registry import breaches, notice
from registry.breaches import AuthorityInput, BreachInput, PersonsInput, documents, letters_list
from registry.breaches import affected as breach_persons
from registry.breaches.texts import LETTER_TEXTS, NOTIFICATION_TEXTS
from registry.errors import ValidationError
from registry.models import (
    AuditEvent,
    BreachChange,
    DisclosedPerson,
    Disclosure,
    Person,
    Recipient,
)
from tests import breach_data
from tests.breach_data import AWARE, WINDOW_END, WINDOW_START

NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
LANGUAGES = ("fi", "sv", "en")


@pytest.fixture
def registry(session):
    return breach_data.build(session, persons=40)


@pytest.fixture
def breach(session, registry):
    b = breaches.record_breach(
        session,
        registry.officer,
        BreachInput(
            summary="Mail House <b>database</b> copied",
            description="An attacker copied the mailing database.\n\nThe copy held names.",
            occurred_at=WINDOW_START,
            ended_at=WINDOW_END,
            aware_at=AWARE,
            source="recipient",
            source_recipient_id=registry.everyone.id,
            data_categories=("basic", "service_user"),
            consequences="Phishing messages in our name.",
            measures="The provider's access keys were replaced.",
            risk="high_risk",
            risk_reasoning="Names with email addresses <script>alert(1)</script> invite phishing.",
        ),
    )
    breaches.decide_authority(
        session,
        registry.officer,
        b.id,
        AuthorityInput("notified", AWARE + dt.timedelta(hours=80), delay_reasons="Weekend."),
    )
    return b


def visible_text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def headings(html: str) -> list[str]:
    """The document's headings and labels: h1, h2, table headers, the document type."""
    found = re.findall(r"<(h1|h2|th)[^>]*>(.*?)</\1>", html, flags=re.S)
    found += re.findall(r'<div class="doctype">(.*?)</div>', html)
    return [re.sub(r"<[^>]+>", "", text).strip() for *_, text in found]


# Words that only English headings would hold (none is a Finnish or Swedish word).
ENGLISH = {
    "the", "and", "of", "what", "breach", "persons", "notification", "measures",
    "consequences", "contact", "controller", "data", "country", "records", "risk",
    "happened", "your", "you", "who", "whom", "which", "point", "nature", "taken",
}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notification_in_each_language(session, registry, breach, language):
    counts = breach_persons.count_affected(session, registry.officer, breach.id, now=NOW)
    html = documents.notification(session, registry.officer, breach.id, language, counts)
    t = NOTIFICATION_TEXTS[language]
    text = visible_text(html)
    for key in ("doc_type", "h_controller", "h_nature", "h_persons", "h_consequences"):
        assert t[key] in text
    decl = notice.declaration()
    # Art. 33(3)(b): the contact point; (a) approximate numbers; (c), (d): as recorded.
    assert decl.contact.name in text and decl.contact.email in text
    assert f"{counts.persons}" in text and f"{counts.records}" in text
    assert "Phishing messages in our name." in text
    assert "The provider's access keys were replaced." in text
    assert "Weekend." in text  # the reasons for the late notification (Art. 33(1))
    # The clock in Helsinki time: aware 5.6. 13.00 EEST, the deadline 8.6. 13.00.
    assert "8.6.2026" in text and "13.00" in text
    # Autoescaped: recorded text is never markup.
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>database</b>" not in html
    if language != "en":
        words = {w.lower() for h in headings(html) for w in re.findall(r"[A-Za-z]+", h)}
        assert not words & ENGLISH, words & ENGLISH


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_letter_to_a_person_in_each_language(session, registry, breach, language):
    person = breach_persons.affected_persons(
        session, registry.officer, breach.id, limit=1, now=NOW
    )[0]
    html = documents.letter(session, registry.officer, breach.id, language, person.id, now=NOW)
    t = LETTER_TEXTS[language]
    text = visible_text(html)
    p = session.get(Person, person.id)
    assert f"{p.first_name} {p.last_name}" in text
    for key in ("title", "h_what", "h_data", "h_measures", "h_contact"):
        assert t[key] in text
    assert "The provider's access keys were replaced." in text
    assert notice.declaration().contact.email in text
    assert html.count("<li>") == len(breach_persons.categories_of(session, breach, person.id, NOW))
    if language != "en":
        words = {w.lower() for h in headings(html) for w in re.findall(r"[A-Za-z]+", h)}
        assert not words & ENGLISH, words & ENGLISH
    # A letter with a person's data in it is audited, by ids.
    [event] = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "breach_letter_drafted")
    )
    assert event.detail == f"person {person.id}, {language}"


def test_a_letter_only_to_an_affected_person(session, registry, breach):
    outsider = Person(
        first_name="Late", last_name="Comer", country="FI", relationship="other_connection",
        source="test", created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    session.add(outsider)
    session.commit()
    with pytest.raises(ValidationError) as refused:
        documents.letter(session, registry.officer, breach.id, "fi", outsider.id, now=NOW)
    assert "not among the persons" in refused.value.field_errors["person"]
    with pytest.raises(ValidationError, match="Finnish, Swedish or English"):
        documents.letter(session, registry.officer, breach.id, "de")
    # Without a person: the letter the mailing processor merges, every category listed.
    generic = documents.letter(session, registry.officer, breach.id, "sv")
    assert "Bästa mottagare" in generic and generic.count("<li>") == 2


def test_the_persons_decision_appears_in_the_notification(session, registry, breach):
    breaches.decide_persons(
        session,
        registry.officer,
        breach.id,
        PersonsInput("not_told", exemption="public_notice", reason="A notice on our website."),
    )
    html = documents.notification(session, registry.officer, breach.id, "fi")
    text = visible_text(html)
    assert "asiasta tiedotetaan julkisesti (34 artiklan 3 kohdan c alakohta)" in text
    # Not counted yet: the numbers follow in phases, never a made-up zero.
    assert NOTIFICATION_TEXTS["fi"]["not_counted"] in text


INJECTIONS = ['=HYPERLINK("http://x")', "+358401", "-2+3", "@SUM(A1)", "\tTab", "\rCr"]


def _poison(session, breach) -> list[int]:
    """Affected persons' names that a spreadsheet would run as formulas."""
    ids = [r.id for r in breach_persons.letter_rows(session, breach, NOW)][: len(INJECTIONS)]
    for pid, text in zip(ids, INJECTIONS, strict=True):
        person = session.get(Person, pid)
        person.first_name = text
        person.email = f"person{pid}@example.com"
    session.commit()
    return ids


def _mailing(session) -> Recipient:
    r = Recipient(
        name="Posti Mailing Oy",
        kind="processor",
        service="Letters by post and email",
        country="FI",
        transfer_mechanism="not_needed",
        role="processor",
    )
    session.add(r)
    session.commit()
    return r


def _affected(session, registry, breach) -> list[breach_persons.LetterRow]:
    return list(breach_persons.letter_rows(session, breach, NOW))


def test_the_letters_list_as_csv_is_a_disclosure_and_safe(session, registry, breach):
    poisoned = _poison(session, breach)
    mailing = _mailing(session)
    # One affected person with neither an email nor a full postal address.
    unreachable = session.get(Person, _affected(session, registry, breach)[-1].id)
    unreachable.email = unreachable.street_address = None
    session.commit()
    out = io.BytesIO()
    result = letters_list.letters_list(
        session, registry.officer, breach.id, mailing.id, "csv", out, now=NOW
    )
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == letters_list.LETTER_COLUMNS
    listed = {int(r[0].rsplit("-", 1)[1]): r for r in rows[1:]}
    affected = _affected(session, registry, breach)
    reachable = [a for a in affected if letters_list.has_address(a)]
    assert sorted(listed) == [a.id for a in reachable]
    assert result.rows == len(reachable) and result.without_address == len(affected) - len(
        reachable
    )
    assert unreachable.id not in listed and result.without_address >= 1
    for pid, text in zip(poisoned, INJECTIONS, strict=True):
        assert listed[pid][2] == "'" + text
    # Each person's letter language follows the declaration: FI -> fi, SE/AX -> sv, else en.
    for pid, row in listed.items():
        country = session.get(Person, pid).country
        assert row[1] == {"FI": "fi", "SE": "sv", "AX": "sv"}.get(country, "en")
    assert result.by_language == {
        lang: sum(1 for r in listed.values() if r[1] == lang)
        for lang in sorted({r[1] for r in listed.values()})
    }
    # Recorded like any other list: a disclosure to the processor with per-person rows.
    disclosure = session.get(Disclosure, result.disclosure_id)
    assert (disclosure.recipient_id, disclosure.person_count) == (mailing.id, result.rows)
    assert disclosure.data_categories == ["basic"]
    assert "Legal obligation" in disclosure.legal_basis
    per_person = set(
        session.scalars(
            select(DisclosedPerson.person_id).where(DisclosedPerson.disclosure_id == disclosure.id)
        )
    )
    assert per_person == set(listed)
    [event] = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "breach_letters_exported")
    )
    assert (event.record_type, event.record_id) == ("disclosure", str(disclosure.id))
    assert event.detail == (
        f"breach {breach.id}: {result.rows} persons to recipient {mailing.id}, "
        f"{result.without_address} without an address"
    )
    [change] = session.scalars(select(BreachChange).where(BreachChange.action == "letters_listed"))
    assert f"disclosure {disclosure.id}" in change.note
    # Producing the list is not telling the persons: no decision is recorded.
    session.expire_all()
    assert breaches.get(session, registry.officer, breach.id).persons_decision is None


def test_the_letters_list_as_xlsx_holds_text_never_formulas(session, registry, breach):
    poisoned = _poison(session, breach)
    mailing = _mailing(session)
    out = io.BytesIO()
    result = letters_list.letters_list(
        session, registry.officer, breach.id, mailing.id, "xlsx", out, now=NOW
    )
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    rows = list(sheet.iter_rows())
    assert tuple(c.value for c in rows[0]) == letters_list.LETTER_COLUMNS
    assert len(rows) - 1 == result.rows
    by_id = {int(r[0].value.rsplit("-", 1)[1]): r for r in rows[1:]}
    for pid, text in zip(poisoned, INJECTIONS, strict=True):
        cell = by_id[pid][2]
        # (XML reads a carriage return back as a line feed; the apostrophe is what counts.)
        assert (cell.value, cell.data_type) == ("'" + text.replace("\r", "\n"), "s")
    assert all(c.data_type != "f" for r in rows for c in r)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"role": "controller"}, "recipient", "independent controller: choose a processor"),
        ({"active": False}, "recipient", "Choose an active mailing processor"),
        (
            {"country": "US", "transfer_mechanism": "privacy_shield"},
            "recipient",
            "may not receive personal data",
        ),
    ],
)
def test_the_letters_go_only_to_an_active_lawful_processor(
    session, registry, breach, change, field, message
):
    mailing = _mailing(session)
    for k, v in change.items():
        setattr(mailing, k, v)
    session.commit()
    disclosures_before = len(session.scalars(select(Disclosure.id)).all())
    with pytest.raises(ValidationError) as refused:
        letters_list.letters_list(
            session, registry.officer, breach.id, mailing.id, "csv", io.BytesIO(), now=NOW
        )
    assert message in refused.value.field_errors[field]
    assert len(session.scalars(select(Disclosure.id)).all()) == disclosures_before
    with pytest.raises(ValidationError) as refused:
        letters_list.letters_list(
            session, registry.officer, breach.id, mailing.id, "pdf", io.BytesIO(), now=NOW
        )
    assert refused.value.field_errors["file_format"] == "Choose CSV or XLSX."
