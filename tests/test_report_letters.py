"""The letters in Finnish, Swedish and English: every section in each, no English left in the
Finnish letter, hostile text literal everywhere, and the extension and refusal letters."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from registry import report
from registry.models import DataSubjectRequest, SentDocument
from registry.notice import declaration
from registry.report import language, review
from registry.report.declaration_text import declaration_text
from registry.report.language import LANGUAGES, words
from registry.report.letters import LetterHead, extension_html, refusal_html
from registry.requests import rules, transitions
from tests.test_access_report import rich  # noqa: F401 - the fixture

SECTIONS = (
    "person",
    "organisation",
    "consent",
    "consent_now",
    "consent_history",
    "orders",
    "activities",
    "profile",
    "profile_figures",
    "profile_groups",
    "segments",
    "requests",
    "amendments",
    "disclosures",
    "consultations",
    "art15",
    "purposes",
    "categories",
    "recipients",
    "retention",
    "rights",
    "complaint",
    "sources",
    "profiling",
    "transfers",
)


class _Labels(HTMLParser):
    """The text of the letter's headings and labels: what the template writes itself."""

    TAGS = frozenset({"h1", "h2", "h3", "th", "title"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.labels: list[str] = []
        self._text = ""

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        classes = dict(attrs).get("class") or ""
        if tag in self.TAGS or "doctype" in classes:
            self.stack.append(tag)
            self._text = ""

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
            self.labels.append(" ".join(self._text.split()))

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self.stack:
            self._text += data


def labels_of(html: str) -> list[str]:
    parser = _Labels()
    parser.feed(html)
    return [label for label in parser.labels if label]


def _letter(session, actor, request_id, lang):
    session.get(DataSubjectRequest, request_id).reply_language = lang
    session.commit()
    return report.preview(session, actor, request_id).html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_renders_every_section(session, rich, lang):  # noqa: F811
    actor, _person, _, r, _ = rich
    html = _letter(session, actor, r.id, lang)
    t = words(lang)
    assert f'<html lang="{lang}">' in html
    for key in SECTIONS:
        assert t(f"section.{key}") in html, key
    text = declaration_text(lang)
    for purpose in text.purposes.values():
        assert purpose in html
    # (d): the schedule's concrete periods, in the letter's language.
    period = {"fi": "14 kuukautta", "sv": "14 månader", "en": "14 months"}[lang]
    visits = text.retention["website_behaviour"][0]
    assert (
        t(
            "text.retention_rule",
            what=visits,
            period=period,
            starts=text.retention["website_behaviour"][1],
        )
        in html
    )
    assert t("text.retention_missing") not in html
    # Dates, amounts and countries in the language.
    expected = {
        "fi": ("5.3.2026", "1 730,50 €", "Yhdysvallat", "Nainen"),
        "sv": ("5 mars 2026", "1 730,50 €", "USA", "Kvinna"),
        "en": ("5 Mar 2026", "€1,730.50", "United States", "Female"),
    }[lang]
    for piece in expected:
        assert piece.replace(" ", "\xa0") in html or piece in html, piece
    # No raw codes where words belong.
    for code in ("female", "privacy_shield", "website_visit", "in_recovery", "all_persons"):
        assert f">{code}<" not in html


def test_no_english_is_left_in_the_finnish_letter(session, rich):  # noqa: F811
    actor, _person, _, r, _ = rich
    html = _letter(session, actor, r.id, "fi")
    english = language._messages("en")
    finnish = language._messages("fi")
    # Every heading and label is Finnish text from the catalogue (numbered or not).
    finnish_texts = set(finnish.values())
    for label in labels_of(html):
        bare = re.sub(r"^\d+\. ", "", label)
        assert any(bare == f or bare.startswith(f) for f in finnish_texts) or bare.startswith(
            "DSR-"
        ), label
    # No English sentence of the catalogue anywhere, and no English word of it as a label or
    # a cell of its own (data such as a disclosure's purpose may hold English words).
    labels = set(labels_of(html))
    for key, text in english.items():
        if text == finnish[key] or "{" in text:
            continue
        if len(text) >= 25:
            assert text not in html, key
        assert f">{text}<" not in html and text not in labels, key
    decl = declaration()
    for text in [p.text for p in decl.purposes] + [c.text for c in decl.data_categories]:
        assert text not in html
    for sentence in ("Dear ", "Yours sincerely", "Our reference", "None held."):
        assert sentence not in html


HOSTILE = "<script>alert(1)</script> **x** =cmd|' /C calc'!A0 <b>bold</b> {{ 7*7 }}"


def test_hostile_text_in_every_field_stays_literal(session, rich):  # noqa: F811
    """Whatever a field holds reaches the letter as characters: no markup, no template
    code, no Markdown, no formula."""
    actor, person, _other, r, earlier = rich
    from registry.models import Activity, Amendment, ConsentEvent, Order, Organisation, Recipient

    for p in (person,):
        for field in ("first_name", "last_name", "position", "city", "street_address"):
            setattr(p, field, HOSTILE[:100])
        p.source = HOSTILE
        p.gender = HOSTILE[:20]
    org = session.get(Organisation, person.organisation_id)
    org.name, org.industry, org.city = HOSTILE, HOSTILE[:100], HOSTILE[:100]
    for a in session.scalars(select(Activity).where(Activity.person_id == person.id)):
        a.detail, a.city = HOSTILE, HOSTILE[:100]
    for e in session.scalars(select(ConsentEvent).where(ConsentEvent.person_id == person.id)):
        e.evidence = HOSTILE
    for o in session.scalars(select(Order).where(Order.person_id == person.id)):
        o.product = HOSTILE[:100]
    # Amendments are append-only: a hostile one is added beside the person's others.
    made = session.scalars(select(Amendment).where(Amendment.person_id == person.id)).first()
    assert made is not None, "the fixture's person has an amendment"
    session.add(
        Amendment(
            person_id=person.id,
            field="city",
            old_value=HOSTILE,
            new_value=HOSTILE,
            reason=HOSTILE,
            amended_by=made.amended_by,
        )
    )
    for x in session.scalars(select(Recipient)):
        x.name = f"{x.name} {HOSTILE}"[:200]
    request = session.get(DataSubjectRequest, r.id)
    request.requester_name = HOSTILE
    request.requester_contact = HOSTILE
    request.details = HOSTILE
    session.get(DataSubjectRequest, earlier.id).details = HOSTILE
    session.commit()
    review.add_redaction(
        session, actor, r.id, "data_subject_request", str(r.id), "details", "**x**", HOSTILE
    )
    for lang in LANGUAGES:
        html = _letter(session, actor, r.id, lang)
        for raw in ("<script>", "<b>bold</b>", "</script>"):
            assert raw not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html
        assert "**x**" in html  # Markdown is not read: the asterisks are characters
        assert "=cmd|&#39; /C calc&#39;!A0" in html  # a formula stays text
        assert "{{ 7*7 }}" in html and ">49<" not in html  # template code is not run


def _head(lang: str, address=("Maija Virtanen", "Linnankatu 3", "20100 Turku")) -> LetterHead:
    return LetterHead(
        lang,
        "DSR-000042",
        dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC),
        dt.date(2026, 3, 5),
        "Maija Virtanen",
        address,
        None,
        "Kaisa Compliance",
    )


@pytest.mark.parametrize(
    ("lang", "complaint", "late"),
    [
        ("fi", "Tietosuojavaltuutetun toimisto", "Pahoittelemme"),
        ("sv", "Dataombudsmannens byrå", "Vi beklagar"),
        ("en", "Data Protection Ombudsman", "We regret"),
    ],
)
def test_the_refusal_letter_gives_reasons_and_the_remedies(lang, complaint, late):
    html = refusal_html(
        _head(lang), kind="erasure", due_on=dt.date(2026, 4, 7), reason=HOSTILE, late=True
    )
    for expected in (complaint, "PL 800", "00531 Helsinki", "tietosuoja@om.fi", late):
        assert expected in html, expected
    assert words(lang)("refusal.judicial") in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    on_time = refusal_html(
        _head(lang), kind="erasure", due_on=dt.date(2026, 4, 7), reason="x", late=False
    )
    assert late not in on_time


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_extension_letter_gives_the_new_time_limit_and_reasons(lang):
    html = extension_html(
        _head(lang), kind="access", due_on=dt.date(2026, 6, 5), reason="Many requests at once"
    )
    t = words(lang)
    assert t.date(dt.date(2026, 6, 5), "long") in html
    assert "Many requests at once" in html
    assert t("letter.doctype_extension") in html
    # A postal address block, and never an email address in it.
    block = html.split('<address class="recipient">')[1].split("</address>")[0]
    assert block == "Maija Virtanen<br>Linnankatu 3<br>20100 Turku"


def test_letters_are_stored_when_extending_and_rejecting(session, rich):  # noqa: F811
    actor, _person, _, r, earlier = rich
    transitions.extend(session, actor, r.id, "Many requests at once", today=dt.date(2026, 3, 20))
    transitions.verify_identity(session, actor, earlier.id, rules.IDENTITY_METHODS[0])
    transitions.reject(session, actor, earlier.id, "Not ours to change", today=dt.date(2026, 3, 1))
    kinds = {d.request_id: d.kind for d in session.scalars(select(SentDocument))}
    assert kinds == {r.id: "extension", earlier.id: "refusal"}
