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
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, breach_persons, deadlines, spreadsheet
from registry.breach_persons import AffectedCounts, LetterRow
from registry.breaches import clock_of, helsinki, reference, source_name
from registry.disclosures import LEGAL_BASES, add_disclosure
from registry.errors import NotFound, ValidationError
from registry.models import Breach, BreachChange, Person, Recipient, utcnow
from registry.notice import Declaration, declaration
from registry.permissions import Actor, Permission, require
from registry.transfers import transfer_problem
from registry.vocabulary import (
    AuthorityDecision,
    DataCategory,
    LetterLanguage,
    PersonsDecision,
    RecipientRole,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"

# --- the texts, per language ------------------------------------------------------------

_COMMON: dict[str, dict[str, str]] = {
    "en": {
        "date": "Date",
        "our_reference": "Our reference",
        "times_note": "All times are Helsinki time.",
        "at": "at",
    },
    "fi": {
        "date": "Päivämäärä",
        "our_reference": "Viitteemme",
        "times_note": "Kellonajat ovat Suomen aikaa.",
        "at": "klo",
    },
    "sv": {
        "date": "Datum",
        "our_reference": "Vår referens",
        "times_note": "Tiderna anges i finsk tid.",
        "at": "kl.",
    },
}

NOTIFICATION_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "doc_type": "NOTIFICATION OF A PERSONAL DATA BREACH",
        "article": "GDPR Art. 33",
        "to": "To",
        "title": "Notification of a personal data breach",
        "intro": "{controller} notifies a personal data breach under Article 33 of the "
        "General Data Protection Regulation.",
        "h_controller": "1. Controller and contact point (Art. 33(3)(b))",
        "controller": "Controller",
        "contact_point": "Contact point",
        "h_nature": "2. Nature of the breach (Art. 33(3)(a))",
        "summary": "What happened",
        "description": "Description",
        "source": "Where it happened",
        "occurred": "Happened",
        "ended": "Ended",
        "not_ended": "Not ended, or its end is not known",
        "aware": "The controller became aware",
        "deadline": "72-hour deadline",
        "notified_at": "Notified",
        "delay": "Reasons for the delay (Art. 33(1))",
        "h_persons": "3. Persons and records concerned (Art. 33(3)(a))",
        "persons_total": "Persons concerned (approximately)",
        "records_total": "Personal data records concerned (approximately)",
        "counted": "Counted on {when} from the registry's own disclosure records and audit "
        "trail, for the breach window {start} – {end}.",
        "window_open": "The end of the breach is not recorded: the window runs to the time "
        "of counting.",
        "records_note": "A record is one person's data in one category.",
        "not_counted": "The persons concerned have not been counted yet; the numbers will "
        "follow in phases (Art. 33(4)).",
        "category": "Data category",
        "relationship": "Relationship to the controller",
        "country": "Country",
        "persons": "Persons",
        "h_consequences": "4. Likely consequences (Art. 33(3)(c))",
        "h_measures": "5. Measures taken or proposed (Art. 33(3)(d))",
        "in_phases": "Not known yet; this will follow in phases (Art. 33(4)).",
        "h_risk": "6. Assessment of the risk to persons",
        "not_assessed": "The risk has not been assessed yet.",
        "h_persons_told": "7. Communication to the persons concerned (Art. 34)",
        "told": "The persons were told on {when}: {how}.",
        "not_told": "The persons are not told one by one: {reason}",
        "undecided": "Not decided yet.",
        "signature": "On behalf of the controller",
    },
    "fi": {
        "doc_type": "ILMOITUS HENKILÖTIETOJEN TIETOTURVALOUKKAUKSESTA",
        "article": "Tietosuoja-asetuksen 33 artikla",
        "to": "Vastaanottaja",
        "title": "Ilmoitus henkilötietojen tietoturvaloukkauksesta",
        "intro": "{controller} ilmoittaa henkilötietojen tietoturvaloukkauksesta EU:n "
        "yleisen tietosuoja-asetuksen 33 artiklan mukaisesti.",
        "h_controller": "1. Rekisterinpitäjä ja yhteyspiste (33 artiklan 3 kohdan b alakohta)",
        "controller": "Rekisterinpitäjä",
        "contact_point": "Yhteyspiste",
        "h_nature": "2. Loukkauksen luonne (33 artiklan 3 kohdan a alakohta)",
        "summary": "Mitä tapahtui",
        "description": "Kuvaus",
        "source": "Missä loukkaus tapahtui",
        "occurred": "Tapahtui",
        "ended": "Päättyi",
        "not_ended": "Ei ole päättynyt, tai päättymisaika ei ole tiedossa",
        "aware": "Rekisterinpitäjä sai tiedon",
        "deadline": "72 tunnin määräaika",
        "notified_at": "Ilmoitettu",
        "delay": "Viivästyksen syyt (33 artiklan 1 kohta)",
        "h_persons": "3. Rekisteröidyt ja tietueet, joita loukkaus koskee "
        "(33 artiklan 3 kohdan a alakohta)",
        "persons_total": "Rekisteröityjä (arviolta)",
        "records_total": "Henkilötietotietueita (arviolta)",
        "counted": "Laskettu {when} rekisterin omista luovutus- ja lokitiedoista "
        "loukkauksen ajalta {start} – {end}.",
        "window_open": "Loukkauksen päättymistä ei ole kirjattu: aika on laskettu "
        "laskentahetkeen asti.",
        "records_note": "Tietue on yhden henkilön tiedot yhdessä henkilötietoryhmässä.",
        "not_counted": "Rekisteröityjä ei ole vielä laskettu; luvut toimitetaan "
        "vaiheittain (33 artiklan 4 kohta).",
        "category": "Henkilötietoryhmä",
        "relationship": "Suhde rekisterinpitäjään",
        "country": "Maa",
        "persons": "Henkilöitä",
        "h_consequences": "4. Todennäköiset seuraukset (33 artiklan 3 kohdan c alakohta)",
        "h_measures": "5. Toteutetut tai ehdotetut toimenpiteet (33 artiklan 3 kohdan d alakohta)",
        "in_phases": "Ei vielä tiedossa; tiedot toimitetaan vaiheittain (33 artiklan 4 kohta).",
        "h_risk": "6. Arvio rekisteröityihin kohdistuvasta riskistä",
        "not_assessed": "Riskiä ei ole vielä arvioitu.",
        "h_persons_told": "7. Ilmoittaminen rekisteröidyille (34 artikla)",
        "told": "Rekisteröidyille ilmoitettiin {when}: {how}.",
        "not_told": "Rekisteröidyille ei ilmoiteta henkilökohtaisesti: {reason}",
        "undecided": "Ei vielä päätetty.",
        "signature": "Rekisterinpitäjän puolesta",
    },
    "sv": {
        "doc_type": "ANMÄLAN OM PERSONUPPGIFTSINCIDENT",
        "article": "Artikel 33 i dataskyddsförordningen",
        "to": "Till",
        "title": "Anmälan om personuppgiftsincident",
        "intro": "{controller} anmäler en personuppgiftsincident enligt artikel 33 i EU:s "
        "allmänna dataskyddsförordning.",
        "h_controller": "1. Personuppgiftsansvarig och kontaktpunkt (artikel 33.3 b)",
        "controller": "Personuppgiftsansvarig",
        "contact_point": "Kontaktpunkt",
        "h_nature": "2. Incidentens art (artikel 33.3 a)",
        "summary": "Vad som hände",
        "description": "Beskrivning",
        "source": "Var incidenten inträffade",
        "occurred": "Inträffade",
        "ended": "Upphörde",
        "not_ended": "Har inte upphört, eller tidpunkten är okänd",
        "aware": "Den personuppgiftsansvarige fick kännedom",
        "deadline": "Tidsfrist på 72 timmar",
        "notified_at": "Anmäld",
        "delay": "Skälen till förseningen (artikel 33.1)",
        "h_persons": "3. Berörda registrerade och registerposter (artikel 33.3 a)",
        "persons_total": "Registrerade (ungefär)",
        "records_total": "Personuppgiftsposter (ungefär)",
        "counted": "Beräknat {when} utifrån registrets egna uppgifter om utlämnanden och "
        "loggar, för incidentperioden {start} – {end}.",
        "window_open": "Incidentens slut har inte registrerats: perioden har räknats fram "
        "till beräkningstillfället.",
        "records_note": "En registerpost är en persons uppgifter i en kategori.",
        "not_counted": "De registrerade har ännu inte räknats; uppgifterna lämnas i "
        "omgångar (artikel 33.4).",
        "category": "Kategori av personuppgifter",
        "relationship": "Relation till den personuppgiftsansvarige",
        "country": "Land",
        "persons": "Personer",
        "h_consequences": "4. Sannolika konsekvenser (artikel 33.3 c)",
        "h_measures": "5. Vidtagna eller föreslagna åtgärder (artikel 33.3 d)",
        "in_phases": "Ännu inte känt; uppgifterna lämnas i omgångar (artikel 33.4).",
        "h_risk": "6. Bedömning av risken för de registrerade",
        "not_assessed": "Risken har ännu inte bedömts.",
        "h_persons_told": "7. Information till de registrerade (artikel 34)",
        "told": "De registrerade informerades {when}: {how}.",
        "not_told": "De registrerade informeras inte var för sig: {reason}",
        "undecided": "Ännu inte beslutat.",
        "signature": "För den personuppgiftsansvarige",
    },
}

LETTER_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "doc_type": "NOTICE OF A PERSONAL DATA BREACH",
        "article": "GDPR Art. 34",
        "title": "A data breach has affected your personal data",
        "greeting": "Dear {name},",
        "greeting_any": "Dear recipient,",
        "intro": "We are writing to tell you that a data breach at {controller} has affected "
        "your personal data. We are sorry that this happened.",
        "h_what": "What happened",
        "when": "It happened on {occurred}, and we found out about it on {aware}.",
        "h_data": "Which of your data it concerns",
        "h_consequences": "What it may mean for you",
        "h_measures": "What we have done",
        "not_yet_known": "We do not know this yet. We will tell you when we do.",
        "h_you": "What you can do",
        "advice": "Be careful with unexpected messages, calls and letters that mention us or "
        "ask for your personal details, passwords or payments.",
        "advice_password": "If you use the Click2Contract service, change your password.",
        "h_contact": "Whom to contact",
        "contact": "If you have questions, contact {contact_name}, {contact_email}, "
        "{controller}, {address}. Please quote the reference {reference}.",
        "complaint": "You also have the right to complain to the supervisory authority: "
        "{authority}, {authority_address}, {website}.",
        "closing": "Yours sincerely,",
    },
    "fi": {
        "doc_type": "ILMOITUS TIETOTURVALOUKKAUKSESTA",
        "article": "Tietosuoja-asetuksen 34 artikla",
        "title": "Tietoturvaloukkaus on koskenut henkilötietojasi",
        "greeting": "Hyvä {name}",
        "greeting_any": "Hyvä vastaanottaja",
        "intro": "Kerromme tällä kirjeellä, että {controller} on joutunut "
        "tietoturvaloukkauksen kohteeksi ja että loukkaus koskee myös sinun "
        "henkilötietojasi. Pahoittelemme tapahtunutta.",
        "h_what": "Mitä tapahtui",
        "when": "Loukkaus tapahtui {occurred}, ja saimme siitä tiedon {aware}.",
        "h_data": "Mitä tietojasi se koskee",
        "h_consequences": "Mitä se voi merkitä sinulle",
        "h_measures": "Mitä olemme tehneet",
        "not_yet_known": "Emme tiedä sitä vielä. Kerromme, kun tiedämme.",
        "h_you": "Mitä voit tehdä",
        "advice": "Suhtaudu varauksella odottamattomiin viesteihin, puheluihin ja kirjeisiin, "
        "joissa viitataan meihin tai pyydetään henkilötietojasi, salasanojasi tai maksuja.",
        "advice_password": "Jos käytät Click2Contract-palvelua, vaihda salasanasi.",
        "h_contact": "Keneen voit ottaa yhteyttä",
        "contact": "Jos sinulla on kysyttävää, ota yhteyttä: {contact_name}, "
        "{contact_email}, {controller}, {address}. Mainitse viite {reference}.",
        "complaint": "Sinulla on myös oikeus tehdä valitus valvontaviranomaiselle: "
        "{authority}, {authority_address}, {website}.",
        "closing": "Ystävällisin terveisin",
    },
    "sv": {
        "doc_type": "MEDDELANDE OM PERSONUPPGIFTSINCIDENT",
        "article": "Artikel 34 i dataskyddsförordningen",
        "title": "En personuppgiftsincident har berört dina personuppgifter",
        "greeting": "Bästa {name}",
        "greeting_any": "Bästa mottagare",
        "intro": "Vi vill meddela att en personuppgiftsincident hos {controller} har berört "
        "dina personuppgifter. Vi beklagar det som har hänt.",
        "h_what": "Vad som hände",
        "when": "Incidenten inträffade {occurred}, och vi fick kännedom om den {aware}.",
        "h_data": "Vilka uppgifter om dig den gäller",
        "h_consequences": "Vad den kan innebära för dig",
        "h_measures": "Vad vi har gjort",
        "not_yet_known": "Det vet vi ännu inte. Vi meddelar dig när vi vet.",
        "h_you": "Vad du kan göra",
        "advice": "Var försiktig med oväntade meddelanden, samtal och brev som hänvisar till "
        "oss eller ber om dina personuppgifter, lösenord eller betalningar.",
        "advice_password": "Om du använder tjänsten Click2Contract, byt ditt lösenord.",
        "h_contact": "Vem du kan kontakta",
        "contact": "Om du har frågor, kontakta {contact_name}, {contact_email}, "
        "{controller}, {address}. Ange referensen {reference}.",
        "complaint": "Du har också rätt att lämna in klagomål till tillsynsmyndigheten: "
        "{authority}, {authority_address}, {website}.",
        "closing": "Med vänliga hälsningar",
    },
}

# The authority by its name in each language; its address and website are declared.
AUTHORITY_NAMES = {
    "fi": "Tietosuojavaltuutetun toimisto",
    "sv": "Dataombudsmannens byrå",
}

CATEGORY_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        DataCategory.BASIC: "Basic information (name and contact details)",
        DataCategory.CUSTOMER_RELATIONSHIP: "Customer relationship (orders, marketing "
        "permissions and prohibitions, communications)",
        DataCategory.SERVICE_USER: "Click2Contract service user data (username, password "
        "stored as a one-way hash, location, what you gave in the app)",
        DataCategory.TRANSACTIONS: "Transactions and behaviour (website visits, newsletter "
        "opens, events, customer service contacts)",
    },
    "fi": {
        DataCategory.BASIC: "Perustiedot (nimi ja yhteystiedot)",
        DataCategory.CUSTOMER_RELATIONSHIP: "Asiakassuhteen tiedot (tilaukset, "
        "suoramarkkinointiluvat ja -kiellot, yhteydenpito)",
        DataCategory.SERVICE_USER: "Click2Contract-palvelun käyttäjätiedot (käyttäjätunnus, "
        "salasana tiivisteenä, sijainti, sovellukseen antamasi tiedot)",
        DataCategory.TRANSACTIONS: "Asiointi- ja käyttäytymistiedot (verkkosivukäynnit, "
        "uutiskirjeiden avaukset, tapahtumat, asiakaspalveluyhteydet)",
    },
    "sv": {
        DataCategory.BASIC: "Grunduppgifter (namn och kontaktuppgifter)",
        DataCategory.CUSTOMER_RELATIONSHIP: "Uppgifter om kundrelationen (beställningar, "
        "tillstånd och förbud för direktmarknadsföring, kommunikation)",
        DataCategory.SERVICE_USER: "Användaruppgifter i tjänsten Click2Contract "
        "(användarnamn, lösenord som hashvärde, plats, uppgifter du lämnat i appen)",
        DataCategory.TRANSACTIONS: "Transaktions- och beteendeuppgifter (webbplatsbesök, "
        "öppnade nyhetsbrev, evenemang, kontakter med kundtjänsten)",
    },
}
RELATIONSHIP_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "customer_contact": "Contact persons of customers",
        "service_user": "Click2Contract service users",
        "other_connection": "Other persons connected to the controller",
        "marketing_opt_in": "Persons who approved marketing",
    },
    "fi": {
        "customer_contact": "Asiakkaiden yhteyshenkilöt",
        "service_user": "Click2Contract-palvelun käyttäjät",
        "other_connection": "Muut rekisterinpitäjään yhteydessä olevat henkilöt",
        "marketing_opt_in": "Markkinointiin suostuneet henkilöt",
    },
    "sv": {
        "customer_contact": "Kunders kontaktpersoner",
        "service_user": "Användare av tjänsten Click2Contract",
        "other_connection": "Andra personer med anknytning till den personuppgiftsansvarige",
        "marketing_opt_in": "Personer som godkänt marknadsföring",
    },
}
RISK_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "no_risk": "Unlikely to result in a risk to the persons",
        "risk": "A risk to the persons",
        "high_risk": "A high risk to the persons",
    },
    "fi": {
        "no_risk": "Ei todennäköisesti aiheuta riskiä rekisteröidyille",
        "risk": "Riski rekisteröidyille",
        "high_risk": "Korkea riski rekisteröidyille",
    },
    "sv": {
        "no_risk": "Medför sannolikt ingen risk för de registrerade",
        "risk": "En risk för de registrerade",
        "high_risk": "En hög risk för de registrerade",
    },
}
SOURCE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "recipient": "At a recipient of the data: {name}",
        "internal_system": "In an internal system: {name}",
        "lost_device": "A lost or stolen device: {name}",
        "dashboard_account": "A misused user account of the registry's dashboard",
    },
    "fi": {
        "recipient": "Tietojen vastaanottajalla: {name}",
        "internal_system": "Sisäisessä järjestelmässä: {name}",
        "lost_device": "Kadonnut tai varastettu laite: {name}",
        "dashboard_account": "Rekisterin hallintasovelluksen väärinkäytetty käyttäjätili",
    },
    "sv": {
        "recipient": "Hos en mottagare av uppgifterna: {name}",
        "internal_system": "I ett internt system: {name}",
        "lost_device": "En förlorad eller stulen enhet: {name}",
        "dashboard_account": "Ett missbrukat användarkonto i registrets förvaltningsverktyg",
    },
}
EXEMPTION_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "encrypted": "the data was unintelligible to others (Art. 34(3)(a))",
        "risk_removed": "later measures ensure that the high risk is no longer likely "
        "(Art. 34(3)(b))",
        "public_notice": "a public communication is made instead (Art. 34(3)(c))",
    },
    "fi": {
        "encrypted": "tiedot olivat muille käsittämättömässä muodossa "
        "(34 artiklan 3 kohdan a alakohta)",
        "risk_removed": "myöhemmillä toimenpiteillä on varmistettu, ettei korkea riski enää "
        "todennäköisesti toteudu (34 artiklan 3 kohdan b alakohta)",
        "public_notice": "asiasta tiedotetaan julkisesti (34 artiklan 3 kohdan c alakohta)",
    },
    "sv": {
        "encrypted": "uppgifterna var obegripliga för andra (artikel 34.3 a)",
        "risk_removed": "senare åtgärder säkerställer att den höga risken sannolikt inte "
        "längre föreligger (artikel 34.3 b)",
        "public_notice": "ett offentligt meddelande lämnas i stället (artikel 34.3 c)",
    },
}


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
    return f"{_day(local.date())} {_COMMON[language]['at']} {local:%H.%M}"


def _day(day: dt.date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def _number(n: int) -> str:
    # A thin space groups thousands in every one of the three languages.
    return f"{n:,}".replace(",", "\u202f")


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
    env.filters["number"] = _number
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
        "today": _day(deadlines.today()),
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

    `counts` are those the officer has seen (registry.breach_persons.count_affected); without
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
    categories = breach_persons.categories_of(session, breach, person_id, now) if person else []
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


# --- the letters list for a mailing processor ----------------------------------------------


class FileFormat:
    CSV = "csv"
    XLSX = "xlsx"


FILE_FORMATS = {FileFormat.CSV: "CSV (UTF-8)", FileFormat.XLSX: "Excel workbook (XLSX)"}
LETTER_COLUMNS = (
    "letter_reference",
    "language",
    "first_name",
    "last_name",
    "email",
    "street_address",
    "postal_code",
    "city",
    "country",
)
neutralised = spreadsheet.neutralised  # the one rule for every cell the registry writes


def has_address(row: LetterRow) -> bool:
    """A letter can reach the person: by email, or by post to a full address."""
    return bool(row.email) or bool(row.street_address and row.postal_code and row.city)


@dataclass(frozen=True)
class LettersList:
    disclosure_id: int
    rows: int
    without_address: int  # affected persons left out: no email and no full postal address
    by_language: dict[str, int]
    recipient: str
    file_name: str


def _mailing_recipient(session: Session, recipient_id: int | None) -> Recipient:
    recipient = session.get(Recipient, recipient_id) if recipient_id is not None else None
    if recipient is None or not recipient.active:
        raise ValidationError(
            {"recipient": "Choose an active mailing processor from the register."}
        )
    # Lists go to delivery processors (DESIGN.md, Act 917/2014 rules of the registry).
    if recipient.role != RecipientRole.PROCESSOR:
        raise ValidationError(
            {"recipient": f"{recipient.name} is an independent controller: choose a processor."}
        )
    if problem := transfer_problem(
        recipient.country, recipient.transfer_mechanism, deadlines.today()
    ):
        raise ValidationError(
            {"recipient": f"{recipient.name} may not receive personal data: {problem}."}
        )
    return recipient


def mailing_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """(id, "name (country)") of the recipients a letters list may go to today."""
    require(actor, Permission.MANAGE_BREACHES)
    query = (
        select(Recipient)
        .where(Recipient.active, Recipient.role == RecipientRole.PROCESSOR)
        .order_by(Recipient.name)
    )
    today = deadlines.today()
    return [
        (r.id, f"{r.name} ({r.country})")
        for r in session.scalars(query)
        if transfer_problem(r.country, r.transfer_mechanism, today) is None
    ]


class _Sheet:
    """Rows to CSV (with a byte-order mark) or to an XLSX worksheet, every cell neutralised."""

    def __init__(self, file_format: str, out: BinaryIO) -> None:
        self.format, self.out = file_format, out
        if file_format == FileFormat.CSV:
            self.text = io.TextIOWrapper(out, encoding="utf-8", newline="")
            self.csv = spreadsheet.csv_writer(self.text)  # BOM and the declared separator
        else:
            self.book = Workbook(write_only=True)
            self.sheet = self.book.create_sheet("letters")

    def row(self, values: tuple[object, ...]) -> None:
        cells = [neutralised(v) for v in values]
        if self.format == FileFormat.CSV:
            self.csv.writerow(cells)
        else:
            self.sheet.append(cells)

    def close(self) -> None:
        if self.format == FileFormat.CSV:
            self.text.flush()
            self.text.detach()
        else:
            self.book.save(self.out)


def letters_list(
    session: Session,
    actor: Actor,
    breach_id: int,
    recipient_id: int | None,
    file_format: str,
    out: BinaryIO,
    now: dt.datetime | None = None,
) -> LettersList:
    """Write the letters list to `out` and record it as a disclosure to the mailing processor.

    One transaction: the disclosure with its per-person rows, the audit event and the line
    in the breach's history. The persons are told only when the letters are sent: that is
    recorded as the persons decision, not here.
    """
    require(actor, Permission.MANAGE_BREACHES)
    now = now or utcnow()
    errors: dict[str, str] = {}
    if file_format not in FILE_FORMATS:
        errors["file_format"] = "Choose CSV or XLSX."
    try:
        recipient = _mailing_recipient(session, recipient_id)
    except ValidationError as e:
        errors.update(e.field_errors)
    if errors:
        raise ValidationError(errors)
    breach = session.get(Breach, breach_id)
    if breach is None:
        raise NotFound(f"Breach {breach_id} is not in the register.")
    ref = reference(breach.id)
    sheet = _Sheet(file_format, out)
    sheet.row(LETTER_COLUMNS)
    languages: Counter[str] = Counter()
    left_out = 0

    def listed_ids() -> Iterator[int]:
        nonlocal left_out
        for row in breach_persons.letter_rows(session, breach, now):
            if not has_address(row):
                left_out += 1
                continue
            language = letter_language(row.country)
            languages[language] += 1
            sheet.row(
                (
                    f"{ref}-{row.id}",
                    language,
                    row.first_name,
                    row.last_name,
                    row.email,
                    row.street_address,
                    row.postal_code,
                    row.city,
                    row.country,
                )
            )
            yield row.id

    try:
        disclosure = add_disclosure(
            session,
            actor,
            recipient.id,
            f"Art. 34 letters on the personal data breach {ref}",
            [DataCategory.BASIC.value],
            LEGAL_BASES["legal_obligation"],
            listed_ids(),
            disclosed_at=now,
        )
        rows = sum(languages.values())
        if rows == 0:
            raise ValidationError(
                {
                    "letters": "No affected person has an email or postal address: there is "
                    "nobody to send a letter to. Consider a public communication "
                    "(Art. 34(3)(c))."
                }
            )
        per_language = ", ".join(f"{k} {v}" for k, v in sorted(languages.items()))
        disclosure.note = (
            f"Letters list for breach {ref}: {rows} persons ({per_language}); "
            f"{left_out} affected persons without an email or postal address left out."
        )
        audit.record(
            session,
            actor,
            "breach_letters_exported",
            "disclosure",
            disclosure.id,
            f"breach {breach.id}: {rows} persons to recipient {recipient.id}, "
            f"{left_out} without an address",
        )
        session.add(
            BreachChange(
                breach_id=breach.id,
                at=utcnow(),
                actor_id=actor.user_id,
                actor_name=actor.username[:100],
                action="letters_listed",
                changes={},
                note=f"disclosure {disclosure.id}: {rows} letters to {recipient.name} "
                f"({per_language}); {left_out} persons without an address",
            )
        )
        sheet.close()
        session.commit()
    except Exception:
        session.rollback()
        raise
    return LettersList(
        disclosure.id,
        rows,
        left_out,
        dict(sorted(languages.items())),
        recipient.name,
        f"{ref.lower()}-letters-{deadlines.today().isoformat()}.{file_format}",
    )
