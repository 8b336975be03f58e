"""The documents of a breach: the notification to the Ombudsman, the letters, the letters list.

- The notification (Art. 33(3)): the nature of the breach, the categories and approximate
  numbers of persons and records, the contact point (data/registry.toml), the likely
  consequences and the measures, in Finnish, Swedish or English. What is not yet known is
  said to follow in phases (Art. 33(4)), never left blank or invented.
- The letter to a person (Art. 34(2)): the same in plain language, with the contact point
  and the measures, in the person's language (the declaration's `breaches` table) or the
  one chosen.
- The letters list: the affected persons' names and addresses for a mailing processor, as
  CSV (UTF-8 with a byte-order mark, which spreadsheet programs need to read ä and ö) or
  XLSX, recorded as a disclosure to that processor like any other list, with its audit
  event and a line in the breach's history, in one transaction.

Documents are Jinja2 templates (registry/templates) with autoescaping: a breach's texts
and persons' names are data, never markup.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from registry import audit, deadlines
from registry.breaches import affected
from registry.breaches.affected import AffectedCounts
from registry.breaches.clock import clock_of, reference
from registry.breaches.register import source_name
from registry.breaches.texts import (
    _COMMON,
    AUTHORITY_NAMES,
    CATEGORY_TEXTS,
    EXEMPTION_TEXTS,
    LETTER_TEXTS,
    NOTIFICATION_TEXTS,
    RELATIONSHIP_TEXTS,
    RISK_TEXTS,
    SOURCE_TEXTS,
)
from registry.errors import NotFound, ValidationError
from registry.formats import finnish_date, grouped, helsinki
from registry.models import Breach, Person, utcnow
from registry.notice import Declaration, declaration
from registry.permissions import Actor, Permission, require
from registry.vocabulary import (
    AuthorityDecision,
    DataCategory,
    LetterLanguage,
    PersonsDecision,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _language(value: str) -> str:
    try:
        return LetterLanguage(value).value
    except ValueError:
        raise ValidationError({"language": "Choose Finnish, Swedish or English."}) from None


def _moment(value: dt.datetime | None, language: str) -> str:
    """31.3.2026 klo 21.00 / kl. 21.00 / at 21.00, in Helsinki time."""
    if value is None:
        return ""
    local = helsinki(value)
    return f"{finnish_date(local.date())} {_COMMON[language]['at']} {local:%H.%M}"


def _paragraphs(text: str) -> Markup:
    """Free text as paragraphs, escaped; single line breaks kept."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("").join(
        Markup("<p>") + Markup("<br>").join(escape(line) for line in b.split("\n")) + Markup("</p>")
        for b in blocks
    )


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["paragraphs"] = _paragraphs
    env.filters["number"] = grouped
    return env


_ENV = _environment()


def _authority(decl: Declaration, language: str) -> dict[str, str]:
    authority = decl.supervisory_authority
    return {
        "name": AUTHORITY_NAMES.get(language, authority.name),
        "address": authority.address,
        "website": decl.supervisory_authority_website,
    }


def _common(
    breach: Breach, language: str, decl: Declaration, texts: dict[str, str]
) -> dict[str, Any]:
    return {
        "language": language,
        "reference": reference(breach.id),
        "today": finnish_date(deadlines.today()),
        "controller": decl.controller,
        "contact": decl.contact,
        "breach": breach,
        "t": {**_COMMON[language], **texts},
    }


def _source_text(session: Session, actor: Actor, breach: Breach, language: str) -> str:
    name = source_name(session, actor, breach)
    return SOURCE_TEXTS[language][breach.source].format(name=name)


# --- the notification (Art. 33(3)) --------------------------------------------------------


def notification(
    session: Session,
    actor: Actor,
    breach_id: int,
    language: str,
    counts: AffectedCounts | None = None,
) -> str:
    """The notification to the Data Protection Ombudsman as HTML.

    `counts` are those the officer has seen (registry.affected.count_affected); without
    them the numbers are said to follow in phases (Art. 33(4)).
    """
    require(actor, Permission.MANAGE_BREACHES)
    language = _language(language)
    breach = session.get(Breach, breach_id)
    if breach is None:
        raise NotFound(f"Breach {breach_id} is not in the register.")
    if counts is not None and counts.breach_id != breach.id:
        counts = None
    decl = declaration()
    texts = NOTIFICATION_TEXTS[language]
    clock = clock_of(breach)
    t = {
        **texts,
        "intro": texts["intro"].format(controller=decl.controller.name),
    }
    if breach.persons_decision == PersonsDecision.TOLD:
        persons_told = texts["told"].format(
            when=_moment(breach.persons_told_at, language), how=breach.persons_how
        )
    elif breach.persons_decision == PersonsDecision.NOT_TOLD:
        reason = breach.persons_reason
        if breach.persons_exemption:
            reason = f"{EXEMPTION_TEXTS[language][breach.persons_exemption]}. {reason}"
        persons_told = texts["not_told"].format(reason=reason)
    else:
        persons_told = texts["undecided"]
    context = {
        **_common(breach, language, decl, t),
        "authority": _authority(decl, language),
        "source": _source_text(session, actor, breach, language),
        "occurred": _moment(breach.occurred_at, language),
        "ended": _moment(breach.ended_at, language),
        "aware": _moment(breach.aware_at, language),
        "deadline": _moment(clock.deadline, language),
        "notified": _moment(breach.authority_notified_at, language)
        if breach.authority_decision == AuthorityDecision.NOTIFIED
        else "",
        "risk": RISK_TEXTS[language][breach.risk] if breach.risk else "",
        "persons_told": persons_told,
        "counts": counts,
        "counted": texts["counted"].format(
            when=_moment(counts.counted_at, language),
            start=_moment(counts.window_start, language),
            end=_moment(counts.window_end, language),
        )
        if counts
        else "",
        "by_category": [
            (CATEGORY_TEXTS[language][c], n)
            for c, n in (counts.by_category if counts else {}).items()
        ],
        "by_relationship": [
            (RELATIONSHIP_TEXTS[language].get(r, r), n)
            for r, n in (counts.by_relationship if counts else {}).items()
        ],
        "by_country": list((counts.by_country if counts else {}).items()),
    }
    return _ENV.get_template("breach_notification.html.j2").render(context)


# --- the letter to a person (Art. 34(2)) ---------------------------------------------------


def _letter(
    session: Session,
    breach: Breach,
    language: str,
    person: Person | None,
    categories: list[str],
) -> str:
    decl = declaration()
    texts = LETTER_TEXTS[language]
    ref = reference(breach.id)
    authority = _authority(decl, language)
    t = {**texts, "intro": texts["intro"].format(controller=decl.controller.name)}
    return _ENV.get_template("breach_letter.html.j2").render(
        {
            **_common(breach, language, decl, t),
            "person": person,
            "greeting": texts["greeting"].format(name=f"{person.first_name} {person.last_name}")
            if person
            else texts["greeting_any"],
            "when": texts["when"].format(
                occurred=_moment(breach.occurred_at, language),
                aware=_moment(breach.aware_at, language),
            ),
            "categories": [CATEGORY_TEXTS[language][c] for c in categories],
            "service_user": DataCategory.SERVICE_USER in categories,
            "contact_text": texts["contact"].format(
                contact_name=decl.contact.name,
                contact_email=decl.contact.email,
                controller=decl.controller.name,
                address=decl.controller.address,
                reference=ref,
            ),
            "complaint": texts["complaint"].format(
                authority=authority["name"],
                authority_address=authority["address"],
                website=authority["website"],
            ),
        }
    )


def letter(
    session: Session,
    actor: Actor,
    breach_id: int,
    language: str,
    person_id: int | None = None,
    now: dt.datetime | None = None,
) -> str:
    """The letter to one affected person, or, without a person, the letter the mailing
    processor merges with the letters list (every category of the breach).

    A letter to a named person holds their data: it is audited (ids only) and committed.
    """
    require(actor, Permission.MANAGE_BREACHES)
    language = _language(language)
    now = now or utcnow()
    breach = session.get(Breach, breach_id)
    if breach is None:
        raise NotFound(f"Breach {breach_id} is not in the register.")
    if person_id is None:
        return _letter(session, breach, language, None, list(breach.data_categories))
    person = session.get(Person, person_id)
    categories = affected.categories_of(session, breach, person_id, now) if person else []
    if person is None or not categories:
        raise ValidationError(
            {"person": f"Person {person_id} is not among the persons this breach affected."}
        )
    text = _letter(session, breach, language, person, categories)
    audit.record(
        session,
        actor,
        "breach_letter_drafted",
        "breach",
        breach.id,
        f"person {person_id}, {language}",
    )
    session.commit()
    return text


def letter_language(country: str | None) -> str:
    """The language of a person's letter, by their country (declared in data/registry.toml)."""
    return declaration().breach_letters.language_for(country)
