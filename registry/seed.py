"""Synthetic demo data at any scale: the registry as a Finnish B2B software company keeps it.

Nothing here is real: names come from Faker, domains are example.* domains, US and UK phone
numbers are in the ranges reserved for fiction, company and recipient names are made up.

Deterministic for a given (persons, random_seed, today), except for the random salts inside
the few argon2 password hashes (made with registry.auth.hash_password, then reused).

Fast, because Faker only fills small pools (names, streets, companies, job titles) once; rows
are drawn from the pools with numpy, one chunk of persons at a time, and written with COPY on
PostgreSQL (CSV made by pyarrow, fed from a thread so the server works while the next chunk
is generated) or with big executemany batches on SQLite, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import queue
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from registry import auth, deadlines, metrics, notice, settings
from registry.errors import RegistryError
from registry.models import (
    Amendment,
    AppUser,
    AuditEvent,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    Person,
    Recipient,
    RecipientNotification,
    RequestTransition,
    Segment,
)
from registry.vocabulary import (
    CONSENT_PRECEDENCE,
    ActivityKind,
    ConsentSource,
    ConsentStatus,
    DataCategory,
    OrganisationKind,
    Purpose,
    RecipientKind,
    RecipientRole,
    RecipientScope,
    Relationship,
    RequestChannel,
    RequestKind,
    RequestStatus,
    Role,
    TransferMechanism,
)

# username, display name, role, password: one account per role, for the demo only.
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("marketing", "Maija Markkinointi", Role.MARKETING.value, "marketing-demo-2026"),
    ("compliance", "Kaisa Compliance", Role.COMPLIANCE.value, "compliance-demo-2026"),
    ("admin", "Antti Admin", Role.ADMINISTRATOR.value, "admin-demo-2026"),
)
DEMO_EMAIL_DOMAIN = "click2contract.example"

# Service users' passwords: argon2 is slow on purpose, so these few are hashed once and reused.
SERVICE_USER_PASSWORDS = (
    "sopimus-2024-kevat",
    "click2contract-user",
    "allekirjoitus-123",
    "kesa-mokki-2025",
    "contract-demo-pass",
)

# Persons per chunk: bounds memory (a chunk and the COPY buffers queued behind it).
CHUNK_PERSONS = 50_000

_US = 1_000_000  # timestamps are int64 microseconds since the epoch, UTC
_DAY = 86_400 * _US
_YEAR = 365 * _DAY
_NEVER = np.iinfo(np.int64).max

# --- vocabularies as positions in arrays --------------------------------------------------

RELATIONSHIPS = tuple(Relationship)
_CC, _SU, _OC, _OPT = (RELATIONSHIPS.index(r) for r in Relationship)
_REL_P = np.array([0.30, 0.35, 0.10, 0.25])

PURPOSES = tuple(Purpose)
_NEWSLETTER = PURPOSES.index(Purpose.NEWSLETTER)
_EMAIL = PURPOSES.index(Purpose.EMAIL_MARKETING)
_IN_APP = PURPOSES.index(Purpose.IN_APP_MESSAGES)
_POST = PURPOSES.index(Purpose.POST)

_STATUSES = (ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN, ConsentStatus.OBJECTED)
_GRANTED, _WITHDRAWN, _OBJECTED = 0, 1, 2
# registry.consent.precedence ranks statuses by CONSENT_PRECEDENCE; the same ranks here.
_RANK = np.array([CONSENT_PRECEDENCE[s] for s in _STATUSES])

_SOURCES = tuple(ConsentSource)
_SRC: dict[str, int] = {s: i for i, s in enumerate(_SOURCES)}

# Probability that a person of each relationship (rows) granted each purpose (columns).
_GRANT_P = np.array(
    [
        # newsletter, email, in-app, events, phone, post, profiling
        [0.40, 0.30, 0.05, 0.30, 0.15, 0.10, 0.20],  # customer contact
        [0.30, 0.20, 0.60, 0.15, 0.05, 0.05, 0.30],  # service user
        [0.20, 0.10, 0.00, 0.25, 0.05, 0.05, 0.05],  # other connection
        [0.85, 0.60, 0.05, 0.35, 0.10, 0.15, 0.40],  # marketing opt-in
    ]
)

COUNTRIES = ("FI", "SE", "NO", "DK", "EE", "DE", "US", "GB")
_COUNTRY_P = np.array([0.82, 0.05, 0.03, 0.02, 0.03, 0.025, 0.015, 0.01])
_ORG_COUNTRY_P = np.array([0.90, 0.03, 0.015, 0.01, 0.02, 0.015, 0.005, 0.005])
_FI = 0

# Faker locales that fill the pools; each country's persons mostly carry its own names.
_LOCALES = {
    "fi": "fi_FI",
    "sv": "sv_SE",
    "no": "no_NO",
    "da": "da_DK",
    "et": "et_EE",
    "de": "de_DE",
    "us": "en_US",
    "gb": "en_GB",
}
_LOCALE_KEYS = tuple(_LOCALES)
_NAME_MIX: dict[str, dict[str, float]] = {
    "FI": {"fi": 0.93, "sv": 0.05, "et": 0.01, "gb": 0.01},
    "SE": {"sv": 0.90, "fi": 0.06, "gb": 0.04},
    "NO": {"no": 0.92, "sv": 0.04, "gb": 0.04},
    "DK": {"da": 0.94, "de": 0.03, "gb": 0.03},
    "EE": {"et": 0.90, "fi": 0.06, "gb": 0.04},
    "DE": {"de": 0.95, "gb": 0.05},
    "US": {"us": 1.0},
    "GB": {"gb": 1.0},
}
_STREET_LOCALE = {
    "FI": "fi",
    "SE": "sv",
    "NO": "no",
    "DK": "da",
    "DE": "de",
    "US": "us",
    "GB": "gb",
}
# Faker's et_EE has no street names.
_EE_STREETS = (
    "Narva mnt",
    "Pärnu mnt",
    "Tartu mnt",
    "Liivalaia",
    "Kaupmehe",
    "Tatari",
    "Endla",
    "Raua",
    "Kalda",
    "Mustamäe tee",
    "Sõpruse pst",
    "Riia",
    "Vanemuise",
    "Rüütli",
    "Tähe",
)

# City, postal code range (low, high), latitude, longitude, weight. Postal codes are real
# ranges of the city, so that an address reads right; the street and number are invented.
_CITIES: dict[str, tuple[tuple[str, int, int, float, float, float], ...]] = {
    "FI": (
        ("Helsinki", 100, 990, 60.1699, 24.9384, 0.30),
        ("Espoo", 2100, 2940, 60.2055, 24.6559, 0.12),
        ("Tampere", 33100, 33960, 61.4978, 23.7610, 0.10),
        ("Vantaa", 1300, 1760, 60.2934, 25.0378, 0.08),
        ("Turku", 20100, 20960, 60.4518, 22.2666, 0.08),
        ("Oulu", 90100, 90940, 65.0121, 25.4651, 0.06),
        ("Jyväskylä", 40100, 40950, 62.2426, 25.7473, 0.045),
        ("Kuopio", 70100, 70950, 62.8924, 27.6770, 0.04),
        ("Lahti", 15100, 15950, 60.9827, 25.6615, 0.04),
        ("Pori", 28100, 28900, 61.4851, 21.7974, 0.025),
        ("Joensuu", 80100, 80260, 62.6010, 29.7636, 0.02),
        ("Lappeenranta", 53100, 53950, 61.0587, 28.1887, 0.02),
        ("Hämeenlinna", 13100, 13900, 60.9959, 24.4643, 0.02),
        ("Vaasa", 65100, 65380, 63.0951, 21.6165, 0.02),
        ("Seinäjoki", 60100, 60800, 62.7903, 22.8403, 0.015),
        ("Rovaniemi", 96100, 96930, 66.5039, 25.7294, 0.015),
        ("Mikkeli", 50100, 50970, 61.6886, 27.2723, 0.01),
        ("Porvoo", 6100, 6750, 60.3932, 25.6651, 0.01),
        ("Salo", 24100, 24920, 60.3831, 23.1331, 0.01),
        ("Kokkola", 67100, 67900, 63.8385, 23.1307, 0.01),
        ("Rauma", 26100, 26950, 61.1272, 21.5113, 0.01),
        ("Kajaani", 87100, 87950, 64.2222, 27.7278, 0.01),
        ("Kotka", 48100, 48930, 60.4664, 26.9458, 0.01),
    ),
    "SE": (
        ("Stockholm", 11120, 11895, 59.3293, 18.0686, 0.50),
        ("Göteborg", 41101, 41878, 57.7089, 11.9746, 0.25),
        ("Malmö", 21110, 21874, 55.6050, 13.0038, 0.15),
        ("Uppsala", 75105, 75655, 59.8586, 17.6389, 0.10),
    ),
    "NO": (
        ("Oslo", 150, 1295, 59.9139, 10.7522, 0.60),
        ("Bergen", 5003, 5098, 60.3913, 5.3221, 0.25),
        ("Trondheim", 7010, 7099, 63.4305, 10.3951, 0.15),
    ),
    "DK": (
        ("København", 1050, 2450, 55.6761, 12.5683, 0.60),
        ("Aarhus", 8000, 8270, 56.1629, 10.2039, 0.25),
        ("Odense", 5000, 5270, 55.4038, 10.4024, 0.15),
    ),
    "EE": (
        ("Tallinn", 10111, 13918, 59.4370, 24.7536, 0.70),
        ("Tartu", 50090, 51014, 58.3776, 26.7290, 0.30),
    ),
    "DE": (
        ("Berlin", 10115, 14199, 52.5200, 13.4050, 0.40),
        ("Hamburg", 20095, 22769, 53.5511, 9.9937, 0.30),
        ("München", 80331, 81929, 48.1351, 11.5820, 0.30),
    ),
    "US": (
        ("New York", 10001, 10282, 40.7128, -74.0060, 0.40),
        ("San Francisco", 94102, 94188, 37.7749, -122.4194, 0.30),
        ("Boston", 2108, 2222, 42.3601, -71.0589, 0.30),
    ),
    "GB": (
        ("London", 0, 6, 51.5074, -0.1278, 0.70),
        ("Manchester", 7, 10, 53.4808, -2.2426, 0.30),
    ),
}
_GB_OUTWARD = ("EC1A", "WC2N", "SW1A", "E14", "N1", "SE1", "W1D", "M1", "M2", "M4", "M15")

# Legal forms at the end of a company name, left out of its e-mail domain.
_LEGAL_FORM = re.compile(r"(\s+(oy|oyj|ab|ky|osk|as|aps|a/s|oü|gmbh|ag|inc\.|llc|ltd|plc))+$", re.I)

_PERSONAL_DOMAINS = ("example.com", "example.net", "example.org")

_TITLES_FI = (
    "Toimitusjohtaja",
    "Talousjohtaja",
    "Hankintapäällikkö",
    "Lakiasiainjohtaja",
    "Lakimies",
    "Sopimusasiantuntija",
    "Controller",
    "HR-päällikkö",
    "IT-päällikkö",
    "Myyntijohtaja",
    "Toimistopäällikkö",
    "Asiakkuuspäällikkö",
    "Palvelupäällikkö",
    "Projektipäällikkö",
    "Assistentti",
    "CFO",
    "Head of Legal",
    "Contract Manager",
)
_TITLES_EN = (
    "CEO",
    "CFO",
    "Head of Legal",
    "Legal Counsel",
    "Procurement Manager",
    "Contract Manager",
    "Office Manager",
    "Sales Director",
    "IT Manager",
    "Account Manager",
    "Project Manager",
)

# Industry: the Finnish words that go into a company name of that trade.
_INDUSTRIES: dict[str, tuple[str, ...]] = {
    "Construction": ("Rakennus", "Rakennuttajat", "Talotekniikka"),
    "Real estate": ("Kiinteistöt", "Isännöinti"),
    "Legal services": ("Asianajotoimisto", "Lakipalvelut"),
    "Accounting": ("Tilitoimisto", "Taloushallinto"),
    "Manufacturing": ("Konepaja", "Metalli", "Tekniikka"),
    "Logistics": ("Kuljetus", "Logistiikka"),
    "Energy": ("Energia", "Sähkö"),
    "IT services": ("Data", "Digital", "Ohjelmistot"),
    "Healthcare": ("Terveys", "Hoiva"),
    "Wholesale and retail": ("Kauppa", "Tukku"),
    "Financial services": ("Rahoitus", "Sijoitus"),
    "Education": ("Koulutus", "Opisto"),
    "Media": ("Media", "Viestintä"),
    "Hospitality": ("Ravintolat", "Hotellit"),
    "Consulting": ("Konsultointi", "Consulting"),
    "Forestry": ("Metsä", "Puu"),
}
_LEGAL_SUFFIX = {
    "FI": ("Oy", "Oy", "Oy", "Oy Ab", "Ky", "Oyj"),
    "SE": ("AB",),
    "NO": ("AS",),
    "DK": ("ApS", "A/S"),
    "EE": ("OÜ", "AS"),
    "DE": ("GmbH", "GmbH", "AG"),
    "US": ("Inc.", "LLC"),
    "GB": ("Ltd",),
}

# (product, lowest, highest price in EUR, share of orders)
_PRODUCTS = (
    ("Click2Contract Pro licence", 1_200, 9_600, 0.30),
    ("Click2Contract Basic licence", 480, 2_400, 0.18),
    ("Click2Contract Enterprise licence", 12_000, 60_000, 0.05),
    ("Additional user seats", 150, 3_000, 0.15),
    ("E-signature bundle (500 signatures)", 390, 990, 0.12),
    ("Contract migration service", 1_500, 12_000, 0.04),
    ("Onboarding training", 450, 2_400, 0.07),
    ("API integration package", 2_000, 15_000, 0.03),
    ("Premium support", 900, 4_800, 0.06),
)

_WEB_PAGES = (
    "/",
    "/pricing",
    "/features/e-signature",
    "/features/contract-repository",
    "/features/ai-review",
    "/blog/contract-lifecycle-management",
    "/blog/gdpr-and-contracts",
    "/customers",
    "/contact",
    "/webinars",
    "/docs/api",
    "/fi/hinnasto",
    "/fi/ominaisuudet",
)
_NEWSLETTER_LINKS = ("new features", "webinar sign-up", "customer story", "pricing", "blog post")
_EVENTS = (
    "Click2Contract Day, Helsinki",
    "Webinar: Contract automation for SMEs",
    "Webinar: E-signatures and eIDAS",
    "Customer breakfast, Tampere",
    "Customer breakfast, Turku",
    "Legal Tech Nordic, Stockholm",
    "Partner day, Espoo",
    "Webinar: AI-assisted contract review",
)
_SERVICE_CONTACTS = (
    "Support ticket: invoice question",
    "Support ticket: user management",
    "Support ticket: e-signature failed",
    "Phone call: licence renewal",
    "Chat: password reset",
    "Support ticket: data export",
    "Email: feature request",
)
_APP_ACTIONS = (
    "Signed in (web)",
    "Signed in (iOS app)",
    "Signed in (Android app)",
    "Created a contract",
    "Sent a contract for e-signature",
    "Signed a contract",
    "Searched the contract repository",
    "Set a renewal reminder",
)
_ACTIVITY_KINDS = tuple(ActivityKind)
# Mean number of activities of a kind per person, by relationship (cc, su, oc, opt).
_ACTIVITY_RATE = {
    ActivityKind.WEBSITE_VISIT: (1.5, 0.8, 0.8, 1.2),
    ActivityKind.EVENT_PARTICIPATION: (0.4, 0.15, 0.5, 0.3),
    ActivityKind.CUSTOMER_SERVICE_CONTACT: (0.5, 0.6, 0.1, 0.05),
    ActivityKind.APP_USE: (0.0, 4.0, 0.0, 0.0),
}

# Evidence kept with a consent event (Art. 7(1)); {ref} becomes the event's reference.
_EVIDENCE: dict[tuple[int, str], str] = {
    (_GRANTED, ConsentSource.WEB_FORM): "Web form submission WF-{ref}: consent box ticked",
    (_GRANTED, ConsentSource.EMAIL): "Email from the person asking to subscribe, message EM-{ref}",
    (_GRANTED, ConsentSource.EVENT): "Participant list with marketing consent, row EV-{ref}",
    (_GRANTED, ConsentSource.IN_PERSON): "Consent form signed at a customer meeting, IP-{ref}",
    (_GRANTED, ConsentSource.PHONE): "Consent given by phone, call recording PH-{ref}",
    (_GRANTED, ConsentSource.LETTER): "Signed letter received, archived as LT-{ref}",
    (_GRANTED, ConsentSource.APP): "Opted in under Settings > Notifications in the app, AP-{ref}",
    (_WITHDRAWN, ConsentSource.WEB_FORM): "Preference centre: box unticked, WF-{ref}",
    (_WITHDRAWN, ConsentSource.EMAIL): "Unsubscribe reply to a newsletter, message EM-{ref}",
    (_WITHDRAWN, ConsentSource.PHONE): "Asked by phone to stop, call PH-{ref}",
    (_WITHDRAWN, ConsentSource.LETTER): "Letter asking to stop, archived as LT-{ref}",
    (_WITHDRAWN, ConsentSource.APP): "Opted out under Settings > Notifications, AP-{ref}",
    (_WITHDRAWN, ConsentSource.IN_PERSON): "Told a sales representative to stop, note IP-{ref}",
    (_WITHDRAWN, ConsentSource.EVENT): "Asked at an event to be left out, note EV-{ref}",
    (_OBJECTED, ConsentSource.LETTER): "Letter: no direct marketing of any kind, LT-{ref}",
    (_OBJECTED, ConsentSource.EMAIL): "Email prohibiting all direct marketing, message EM-{ref}",
    (_OBJECTED, ConsentSource.WEB_FORM): "Web form: direct marketing prohibited, WF-{ref}",
    (_OBJECTED, ConsentSource.PHONE): "Prohibited all direct marketing by phone, call PH-{ref}",
}
_GRANT_SOURCE_P = {
    ConsentSource.WEB_FORM: 0.42,
    ConsentSource.EMAIL: 0.15,
    ConsentSource.EVENT: 0.12,
    ConsentSource.IN_PERSON: 0.08,
    ConsentSource.PHONE: 0.08,
    ConsentSource.LETTER: 0.05,
    ConsentSource.APP: 0.10,
}
_WITHDRAW_SOURCE_P = {
    ConsentSource.WEB_FORM: 0.45,
    ConsentSource.EMAIL: 0.35,
    ConsentSource.PHONE: 0.06,
    ConsentSource.LETTER: 0.06,
    ConsentSource.APP: 0.08,
}
_OBJECT_SOURCE_P = {
    ConsentSource.LETTER: 0.30,
    ConsentSource.EMAIL: 0.40,
    ConsentSource.WEB_FORM: 0.20,
    ConsentSource.PHONE: 0.10,
}
# How long after the event it was recorded, by source (seconds, low and high).
_RECORD_DELAY = {
    ConsentSource.LETTER: (86_400, 5 * 86_400),
    ConsentSource.PHONE: (60, 2 * 86_400),
    ConsentSource.IN_PERSON: (3_600, 3 * 86_400),
    ConsentSource.EVENT: (3_600, 4 * 86_400),
    ConsentSource.EMAIL: (60, 86_400),
    ConsentSource.WEB_FORM: (1, 5),
    ConsentSource.APP: (1, 5),
}

# name | kind | country | transfer mechanism | agreement date | active | service. In the USA
# exactly one each on the DPF, the 2021 SCCs and the invalid Privacy Shield, as the notice has it.
_RECIPIENT_TABLE = """
Pohjan Sopimuspalvelut Oy |dealer       |FI|not_needed    |2017-03-01|yes|Reseller in Finland
Svea Avtalspartner AB     |dealer       |SE|not_needed    |2019-09-15|yes|Reseller in Sweden
Fjord Kontrakt AS         |dealer       |NO|not_needed    |2020-02-01|yes|Reseller in Norway
Dansk Aftalehus ApS       |dealer       |DK|not_needed    |2021-05-10|yes|Reseller in Denmark
Baltic Lepingud OÜ        |dealer       |EE|not_needed    |2022-01-20|yes|Reseller in the Baltics
Turun Tukipalvelu Oy      |subcontractor|FI|not_needed    |2018-06-01|yes|Customer service
Tallinn Dev Studio OÜ     |subcontractor|EE|not_needed    |2019-11-01|yes|Software development
Rhein Druck & Versand GmbH|subcontractor|DE|not_needed    |2020-08-15|yes|Printing and posting
Emerald Mailworks Ltd     |processor    |IE|not_needed    |2018-05-20|yes|Newsletter delivery
Polder Hosting B.V.       |processor    |NL|not_needed    |2019-03-01|yes|Backup hosting
Rhein Analytics GmbH      |processor    |DE|not_needed    |2021-02-01|yes|Website analytics
Nordic Mailworks Oy       |processor    |FI|not_needed    |2016-10-01|no |SMS and email delivery
CloudHost Inc.            |processor    |US|dpf           |2023-09-01|yes|Application hosting
PipeCRM Inc.              |processor    |US|scc_2021      |2022-03-15|yes|CRM service
SurveyPeak LLC            |processor    |US|privacy_shield|2018-11-05|yes|Customer surveys
"""
# (name, kind, service, country, transfer mechanism, agreement date, active)
_RECIPIENTS: tuple[tuple[str, str, str, str, str, dt.date, bool], ...] = tuple(
    (name, kind, service, country, mechanism, dt.date.fromisoformat(agreed), active == "yes")
    for name, kind, country, mechanism, agreed, active, service in (
        tuple(cell.strip() for cell in line.split("|"))
        for line in _RECIPIENT_TABLE.strip().splitlines()
    )
)
# Whose data each recipient holds (registry.recipients.recipients_covering); those not named
# here receive only what their disclosure rows say. Dealers are independent controllers.
_RECIPIENT_SCOPES: dict[str, tuple[RecipientScope, list[str]]] = {
    "CloudHost Inc.": (RecipientScope.ALL_PERSONS, []),
    "Polder Hosting B.V.": (RecipientScope.ALL_PERSONS, []),
    "Rhein Analytics GmbH": (RecipientScope.CATEGORIES, [ActivityKind.WEBSITE_VISIT.value]),
}
_NEWSLETTER_PROVIDER = "Emerald Mailworks Ltd"
_CRM = "PipeCRM Inc."
_SURVEYS = "SurveyPeak LLC"
_PRINTER = "Rhein Druck & Versand GmbH"

_REQUEST_DETAILS = {
    RequestKind.ACCESS: "Please send me a copy of all the data you hold about me (GDPR Art. 15).",
    RequestKind.RECTIFICATION: "My contact details in your register are out of date; correct them.",
    RequestKind.OBJECTION: "I object to all direct marketing. Do not send me any more offers.",
    RequestKind.ERASURE: "Please erase my personal data; I no longer work with your customer.",
    RequestKind.RESTRICTION: "Please restrict the use of my data while my address is checked.",
}
_REQUEST_OUTCOMES = {
    RequestKind.ACCESS: "Access report sent to the registered address.",
    RequestKind.RECTIFICATION: "Contact details corrected; recipients told of the correction.",
    RequestKind.OBJECTION: "Objection to all direct marketing recorded.",
    RequestKind.ERASURE: "Marketing data erased; billing records kept (Accounting Act).",
    RequestKind.RESTRICTION: "Processing restricted until the address was confirmed.",
}
_REJECTIONS = (
    "The requester's identity could not be verified.",
    "Manifestly unfounded: the same request was answered last month (Art. 12(5)).",
)
_IDENTITY_METHODS = (
    "Reply from the email address in the register",
    "Strong electronic identification (Suomi.fi)",
    "Copy of an identity document checked, then destroyed",
    "Call-back to the phone number in the register",
)
_EXTENSION_REASONS = (
    "The request covers several years of orders, activities and disclosures in three systems; "
    "two further months are needed (Art. 12(3)).",
    "Many requests from the same organisation at once; two further months are needed.",
)


def y_tunnus_check_digit(seven_digits: int) -> int | None:
    """The check digit of a Finnish business ID (Y-tunnus); None if no valid ID has them."""
    weights = (7, 9, 10, 5, 8, 4, 2)
    remainder = sum(int(d) * w for d, w in zip(f"{seven_digits:07d}", weights, strict=True)) % 11
    if remainder == 1:
        return None  # such numbers are never issued
    return 0 if remainder == 0 else 11 - remainder


def _hash_passwords(passwords: list[str]) -> list[str]:
    """argon2 is slow on purpose; hash the few demo passwords side by side (it frees the GIL)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(auth.hash_password, passwords))


_TRANSLIT = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ß": "ss", "ł": "l"})


def _slug(text_: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text_.translate(_TRANSLIT))
    ascii_ = ascii_.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def _us(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * _US + moment.microsecond


def _datetime(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us // _US, dt.UTC).replace(microsecond=int(us % _US))


def _ts(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """UTC timestamps without a zone: Arrow formats zoned ones 20 times slower. PostgreSQL
    reads them in the load's session time zone, UTC; SQLite stores them naive anyway."""
    return pa.array(values, type=pa.int64(), mask=mask).cast(pa.timestamp("us"))


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def _month_labels(at: np.ndarray, prefix: str) -> pa.Array:
    """prefix + "YYYY-MM" of each timestamp, formatted once per distinct month."""
    months = at.astype("datetime64[us]").astype("datetime64[M]")
    distinct, index = np.unique(months, return_inverse=True)
    labels = pa.array([f"{prefix}{m}" for m in distinct.astype(str)], type=pa.string())
    return labels.take(pa.array(index.ravel()))


def _strings(values: Sequence[str | None] | np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string())


def _choice(rng: np.random.Generator, weights: dict[Any, float], size: int) -> np.ndarray:
    """Indexes into the keys of `weights`, drawn with the given weights."""
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


# --- pools ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pools:
    """Faker's draws, concatenated over locales; `*_at` are each locale's start offsets."""

    female: pa.Array  # duplicates keep Faker's name frequencies
    male: pa.Array
    last: pa.Array
    female_slug: pa.Array
    male_slug: pa.Array
    last_slug: pa.Array
    female_at: np.ndarray
    male_at: np.ndarray
    last_at: np.ndarray
    streets: pa.Array
    street_at: np.ndarray  # by country
    jobs: pa.Array  # Finnish titles first, then English ones
    jobs_fi: int
    companies: dict[str, list[str]]
    lasts: dict[str, list[str]]
    females: dict[str, list[str]]


def _offsets(groups: list[list[str]]) -> np.ndarray:
    return np.cumsum([0, *(len(g) for g in groups)])


def _build_pools(random_seed: int) -> _Pools:
    """Draw a few thousand names, streets, companies and job titles from Faker, once."""
    from faker import Faker  # only seeding needs Faker

    female: list[list[str]] = []
    male: list[list[str]] = []
    last: list[list[str]] = []
    streets: dict[str, list[str]] = {"et": list(_EE_STREETS)}
    companies: dict[str, list[str]] = {}
    jobs: dict[str, list[str]] = {}
    for k, (key, locale) in enumerate(_LOCALES.items()):
        fake = Faker(locale)
        fake.seed_instance(random_seed * 100 + k)
        female.append([fake.first_name_female() for _ in range(400)])
        male.append([fake.first_name_male() for _ in range(400)])
        last.append([fake.last_name() for _ in range(600)])
        if key != "et":  # Faker's et_EE has no street names
            streets[key] = [fake.street_name() for _ in range(300)]
        companies[key] = [fake.company() for _ in range(200)]
        jobs[key] = [fake.job() for _ in range(150)]
    by_country = [streets[_STREET_LOCALE.get(c, "et")] for c in COUNTRIES]
    # Hand-written titles weigh more than Faker's (which has "Kairaaja" and "Dosentti").
    jobs_fi = list(_TITLES_FI) * 6 + jobs["fi"]
    jobs_en = list(_TITLES_EN) * 8 + jobs["us"] + jobs["gb"]

    def flat(groups: list[list[str]], slug: bool = False) -> pa.Array:
        values = [(_slug(v) or "user") if slug else v for g in groups for v in g]
        return pa.array(values, type=pa.string())

    return _Pools(
        female=flat(female),
        male=flat(male),
        last=flat(last),
        female_slug=flat(female, slug=True),
        male_slug=flat(male, slug=True),
        last_slug=flat(last, slug=True),
        female_at=_offsets(female),
        male_at=_offsets(male),
        last_at=_offsets(last),
        streets=flat(by_country),
        street_at=_offsets(by_country),
        jobs=pa.array(jobs_fi + jobs_en, type=pa.string()),
        jobs_fi=len(jobs_fi),
        companies=companies,
        lasts=dict(zip(_LOCALE_KEYS, last, strict=True)),
        females=dict(zip(_LOCALE_KEYS, female, strict=True)),
    )


def _draw(rng: np.random.Generator, offsets: np.ndarray, group: np.ndarray) -> np.ndarray:
    """For each row, a uniform index within its group's slice of a concatenated pool."""
    low = offsets[group]
    return low + (rng.random(len(group)) * (offsets[group + 1] - low)).astype(np.int64)


def _pick(pool: pa.Array | Sequence[str | None], index: np.ndarray) -> pa.Array:
    """Strings by index from a small pool, in Arrow: no Python object per row."""
    if not isinstance(pool, pa.Array):
        pool = pa.array(pool, type=pa.string())
    return pool.take(pa.array(index))


def _null_where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


def _text(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as text, zero-padded to `width`."""
    strings = pa.array(values).cast(pa.string())
    return pc.utf8_lpad(strings, width, "0") if width else strings


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _case(conditions: list[np.ndarray], values: list[pa.Array], default: pa.Array) -> pa.Array:
    """The value of the first true condition per row, else the default (SQL CASE)."""
    struct = pa.StructArray.from_arrays(
        [pa.array(c) for c in conditions], [f"c{i}" for i in range(len(conditions))]
    )
    return pc.case_when(struct, *values, default)


# Cities of every country in one table, for vectorised draws.
_CITY_ROWS = [(COUNTRIES.index(code), *row) for code in COUNTRIES for row in _CITIES[code]]
_CITY_NAMES = pa.array([r[1] for r in _CITY_ROWS], type=pa.string())
_CITY_COUNTRY = np.array([r[0] for r in _CITY_ROWS])
_CITY_LOW = np.array([r[2] for r in _CITY_ROWS])
_CITY_HIGH = np.array([r[3] for r in _CITY_ROWS])
_CITY_LAT = np.array([r[4] for r in _CITY_ROWS])
_CITY_LON = np.array([r[5] for r in _CITY_ROWS])
_CITY_WEIGHT = np.array([r[6] for r in _CITY_ROWS])

# Phone number prefixes by country (repeats weigh more); the subscriber part follows.
_PHONE_PREFIXES = {
    "FI": ("+35840", "+35840", "+35841", "+35844", "+35845", "+35850", "+35850", "+3589"),
    "SE": ("+4670", "+4672", "+4673", "+4676"),
    "NO": ("+474", "+479"),
    "DK": ("+45",),
    "EE": ("+3725",),
    "DE": ("+49151", "+49152", "+49157"),
    # 555-0100 to 555-0199: the US numbers reserved for fiction.
    "US": ("+121255501", "+141555501", "+161755501", "+164655501", "+162855501"),
    # 07700 900000 to 900999: Ofcom's numbers for drama.
    "GB": ("+447700900",),
}
_PHONE_LIST = [p for c in COUNTRIES for p in _PHONE_PREFIXES[c]]
_PHONE_AT = _offsets([list(_PHONE_PREFIXES[c]) for c in COUNTRIES])


# --- writing ---------------------------------------------------------------------------------


class _Sink(Protocol):
    def write(self, table: str, data: pa.Table) -> None: ...

    def close(self) -> None: ...


_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=65_536)


class _CopySink:
    """PostgreSQL: COPY FROM STDIN in CSV, from a thread, so generation and loading overlap."""

    def __init__(self, dbapi_connection: Any) -> None:
        self._connection = dbapi_connection
        # Bounded: at most a few chunks' CSV wait in memory.
        self._queue: queue.Queue[tuple[str, pa.Buffer] | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="seed-copy", daemon=True)
        self._thread.start()

    def write(self, table: str, data: pa.Table) -> None:
        if self._error is not None:
            raise self._error
        if data.num_rows == 0:
            return
        out = pa.BufferOutputStream()
        pacsv.write_csv(data, out, _CSV_OPTIONS)
        columns = ", ".join(data.column_names)
        # Table and column names are the seed's own constants, never input.
        statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)"
        self._queue.put((statement, out.getvalue()))

    def _run(self) -> None:
        try:
            with self._connection.cursor() as cursor:
                while (item := self._queue.get()) is not None:
                    statement, payload = item
                    with cursor.copy(statement) as copy:
                        copy.write(memoryview(payload))
        except BaseException as exc:  # handed to the producer, which raises it
            self._error = exc
            while self._queue.get() is not None:  # unblock the producer until close()
                pass

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class _InsertSink:
    """SQLite: executemany in big batches; values in the forms SQLAlchemy stores them in."""

    def __init__(self, dbapi_connection: Any) -> None:
        self._cursor = dbapi_connection.cursor()

    def write(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        columns = [self._python(data.column(i)) for i in range(data.num_columns)]
        names = ", ".join(data.column_names)
        marks = ", ".join("?" * data.num_columns)
        statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - constants
        self._cursor.executemany(statement, zip(*columns, strict=True))

    @staticmethod
    def _python(column: pa.ChunkedArray) -> list[Any]:
        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            # "2024-05-01 12:00:00.000000" and "2024-05-01": SQLAlchemy's SQLite formats.
            return column.cast(pa.string()).to_pylist()
        if pa.types.is_boolean(column.type):
            return column.cast(pa.int8()).to_pylist()
        return column.to_pylist()

    def close(self) -> None:
        self._cursor.close()


# --- what the chunks share -----------------------------------------------------------------


@dataclass
class _Organisations:
    ids: np.ndarray
    kind: np.ndarray  # index into OrganisationKind
    country: np.ndarray  # index into COUNTRIES
    since_us: np.ndarray  # _NEVER if none
    until_us: np.ndarray  # _NEVER if still a customer
    weight: np.ndarray
    domain: pa.Array  # the e-mail domain of its staff


@dataclass(frozen=True)
class _DisclosurePlan:
    id: int
    recipient: str
    at_us: int
    selector: str  # newsletter_full, newsletter_new, leads, crm, survey, print
    since_us: int = 0
    country: int = -1
    rate: float = 1.0


@dataclass
class _Chunk:
    """A chunk of persons as arrays that the dependent tables are drawn from."""

    ids: np.ndarray
    rel: np.ndarray
    country: np.ndarray
    created_us: np.ndarray
    org: np.ndarray  # index into _Organisations, -1 for none
    has_address: np.ndarray
    city: pa.Array
    has_coords: np.ndarray


@dataclass
class _Granted:
    """Intervals [start, end) in which a person's current status for a purpose was granted."""

    person: np.ndarray  # index within the chunk
    start: np.ndarray
    end: np.ndarray

    def at(self, moment: int) -> np.ndarray:
        return np.unique(self.person[(self.start <= moment) & (moment < self.end)])


@dataclass
class _Ids:
    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str, n: int) -> int:
        first = self.next[table]
        self.next[table] = first + n
        return first


# The tables that take millions of rows.
BULK_TABLES = (
    "person",
    "consent_event",
    "consent_state",
    "customer_order",
    "activity",
    "disclosed_person",
    "person_metrics",
)


def _set_aside_secondary(conn: Connection, tables: Sequence[str]) -> list[str]:
    """PostgreSQL: drop the tables' secondary indexes and constraints for the load, as
    pg_restore does (building an index once beats updating it row by row), and return the
    statements that put them back, read from the catalogue so they match the migrations.

    If the seeding role may not alter the tables, nothing is dropped and the load is slower.
    """
    names = {"tables": list(tables)}
    constraints = conn.execute(
        text(
            "SELECT conrelid::regclass::text, quote_ident(conname), contype, "
            "pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(:tables) AND contype IN ('f', 'u') "
            "ORDER BY contype, 1, 2"
        ),
        names,
    ).all()
    indexes = conn.execute(
        text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(:tables) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')) ORDER BY 1"
        ),
        names,
    ).all()
    drop = [f"ALTER TABLE {t} DROP CONSTRAINT {c}" for t, c, _k, _d in constraints]
    drop += [f"DROP INDEX {name}" for name, _d in indexes]
    put_back = [definition for _name, definition in indexes]
    # Unique constraints ('u') sort after foreign keys ('f'): add them first, then the keys.
    put_back += [f"ALTER TABLE {t} ADD CONSTRAINT {c} {d}" for t, c, _k, d in reversed(constraints)]
    try:
        with conn.begin_nested():
            for statement in drop:
                conn.execute(text(statement))
    except DBAPIError:
        return []
    return put_back


_ID_TABLES = (
    "app_user",
    "segment",
    "organisation",
    "recipient",
    "disclosure",
    "person",
    "consent_event",
    "customer_order",
    "activity",
    "data_subject_request",
    "request_transition",
    "amendment",
    "recipient_notification",
    "audit_event",
)


def seed(
    engine: Engine,
    persons: int,
    random_seed: int,
    *,
    demo_accounts: bool = False,
    progress: Callable[[float, str], None] | None = None,
    today: dt.date | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated database with synthetic data; returns rows written per table."""
    if persons < 1:
        raise RegistryError("Seed at least one person.")
    seeder = _Seeder(engine, persons, random_seed, demo_accounts, progress, today)
    return seeder.run()


class _Seeder:
    def __init__(
        self,
        engine: Engine,
        persons: int,
        random_seed: int,
        demo_accounts: bool,
        progress: Callable[[float, str], None] | None,
        today: dt.date | None,
    ) -> None:
        self.engine = engine
        self.persons = persons
        self.random_seed = random_seed
        self.demo_accounts = demo_accounts
        self.report = progress or (lambda _fraction, _message: None)
        self.today = today or deadlines.today()
        # Everything happened before today began in Helsinki.
        midnight = dt.datetime.combine(self.today, dt.time(), settings.REGISTRY_TZ)
        self.ref = _us(midnight.astimezone(dt.UTC))
        self.ref_datetime = midnight.astimezone(dt.UTC)
        self.today_days = (self.today - dt.date(1970, 1, 1)).days
        self.postgresql = engine.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}
        self.ids = _Ids()
        self.users: dict[str, int] = {}  # demo username -> id
        self.disclosed: dict[int, int] = {}

    def rng(self, *stream: int) -> np.random.Generator:
        """An independent generator per part, so each part is deterministic on its own."""
        return np.random.default_rng([self.random_seed, *stream])

    def count(self, table: str, n: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + n

    @property
    def compliance_id(self) -> int | None:
        return self.users.get("compliance")

    # --- the whole run ---

    def run(self) -> dict[str, int]:
        self.report(0.0, "Checking the database")
        with self.engine.begin() as conn:
            self._refuse_unless_empty(conn)
            for table in _ID_TABLES:
                last = conn.scalar(text(f"SELECT max(id) FROM {table}"))  # noqa: S608 - constants
                self.ids.next[table] = (last or 0) + 1
            self.report(0.01, "Drawing name, address and company pools")
            self.pools = _build_pools(self.random_seed)
            self.hashes = _hash_passwords(
                [*SERVICE_USER_PASSWORDS, *(a[3] for a in DEMO_ACCOUNTS if self.demo_accounts)]
            )
            self.service_hashes = self.hashes[: len(SERVICE_USER_PASSWORDS)]
            if self.demo_accounts:
                self._demo_accounts(conn)
            self._recipients(conn)
            self.plans = self._disclosure_plans()
            self._disclosures(conn)
            self.taken_business_ids = set(
                conn.scalars(text("SELECT business_id FROM organisation"))
            )
            put_back: list[str] = []
            if self.postgresql:
                conn.execute(text("SET LOCAL TIME ZONE 'UTC'"))  # how the CSV's times read
                put_back = _set_aside_secondary(conn, BULK_TABLES)
            dbapi = conn.connection.dbapi_connection
            sink: _Sink = _CopySink(dbapi) if self.postgresql else _InsertSink(dbapi)
            try:
                self._organisations(sink)
                self._persons(sink)
            finally:
                sink.close()
            self.report(0.86, "Requests, amendments and disclosure counts")
            for disclosure_id, n in self.disclosed.items():
                conn.execute(
                    update(Disclosure).where(Disclosure.id == disclosure_id).values(person_count=n)
                )
            self._requests(conn)
            self.report(0.9, "Person metrics")
            self.counts["person_metrics"] = metrics.refresh_metrics(conn, now=self.ref_datetime)
            if put_back:
                # Sorting millions of index entries in memory rather than in temporary files.
                conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
                for i, statement in enumerate(put_back):
                    what = re.sub(r" ON .*| (FOREIGN KEY|UNIQUE) .*", "", statement)
                    self.report(0.92 + 0.04 * i / len(put_back), f"Rebuilding: {what}")
                    conn.execute(text(statement))
            if self.postgresql:
                self._reset_sequences(conn)
        if self.postgresql:
            self.report(0.96, "Statistics and visibility map")
            # VACUUM as well as ANALYZE: freshly loaded pages are not yet marked all-visible,
            # so index-only scans (the Overview's counts) would still read the heap.
            # VACUUM cannot run inside a transaction block.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
        self.report(1.0, f"Seeded {self.persons:,} persons")
        return dict(sorted(self.counts.items()))

    def _refuse_unless_empty(self, conn: Connection) -> None:
        if conn.scalar(select(func.count()).select_from(select(Person.id).limit(1).subquery())):
            n = conn.scalar(select(func.count()).select_from(Person))
            raise RegistryError(
                f"The database already has {n:,} persons: seed only fills an empty registry."
            )
        if self.demo_accounts:
            names = [a[0] for a in DEMO_ACCOUNTS]
            taken = conn.scalars(select(AppUser.username).where(AppUser.username.in_(names))).all()
            if taken:
                raise RegistryError(f"Demo accounts already exist: {', '.join(taken)}.")
        names = [r[0] for r in _RECIPIENTS]
        taken = conn.scalars(select(Recipient.name).where(Recipient.name.in_(names))).all()
        if taken:
            raise RegistryError(f"Recipients already exist: {', '.join(taken)}.")

    def _reset_sequences(self, conn: Connection) -> None:
        """COPY with explicit ids leaves the sequences behind; move them past the max."""
        for table in _ID_TABLES:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"coalesce(max(id), 0) + 1, false) FROM {table}"
                )
            )

    # --- small tables ---

    def _demo_accounts(self, conn: Connection) -> None:
        first = self.ids.take("app_user", len(DEMO_ACCOUNTS))
        sign_ins = []
        users = []
        for i, (username, display_name, role, _password) in enumerate(DEMO_ACCOUNTS):
            user_id = first + i
            self.users[username] = user_id
            times = [
                self.ref_datetime - dt.timedelta(days=days, hours=15 - i, minutes=7 * i)
                for days in (3, 2, 1)
            ]
            users.append(
                {
                    "id": user_id,
                    "username": username,
                    "display_name": display_name,
                    "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
                    "role": role,
                    "password_hash": self.hashes[len(SERVICE_USER_PASSWORDS) + i],
                    "active": True,
                    "failed_sign_ins": 0,
                    "locked_until": None,
                    "created_at": self.ref_datetime - dt.timedelta(days=60),
                    "last_sign_in_at": times[-1],
                }
            )
            sign_ins += [(t, user_id, username) for t in times]
        self._insert(conn, AppUser, users)
        marketing = self.users["marketing"]
        first_segment = self.ids.take("segment", 2)
        segments = [
            {
                "id": first_segment,
                "name": "Contacts in Finland",
                "description": "Everyone whose country is Finland.",
                "definition": [{"field": "country", "op": "in", "value": ["FI"]}],
                "owner_id": marketing,
                "created_at": self.ref_datetime - dt.timedelta(days=30),
                "updated_at": self.ref_datetime - dt.timedelta(days=30),
            },
            {
                "id": first_segment + 1,
                "name": "Active app users",
                "description": "Service users who used the app in the last 90 days.",
                "definition": [
                    {"field": "relationship", "op": "in", "value": ["service_user"]},
                    {"field": "last_app_use_days", "op": "lte", "value": 90},
                ],
                "owner_id": marketing,
                "created_at": self.ref_datetime - dt.timedelta(days=10),
                "updated_at": self.ref_datetime - dt.timedelta(days=4),
            },
        ]
        self._insert(conn, Segment, segments)
        sign_ins.sort()
        first_event = self.ids.take("audit_event", len(sign_ins))
        events = [
            {
                "id": first_event + i,
                "at": at,
                "actor_id": user_id,
                "actor_name": username,
                "action": "sign_in",
                "record_type": "app_user",
                "record_id": str(user_id),
                "detail": "",
            }
            for i, (at, user_id, username) in enumerate(sign_ins)
        ]
        self._insert(conn, AuditEvent, events)

    def _insert(self, conn: Connection, model: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            conn.execute(insert(model.__table__), rows)
            self.count(model.__tablename__, len(rows))

    def _recipients(self, conn: Connection) -> None:
        first = self.ids.take("recipient", len(_RECIPIENTS))
        self.recipient_ids = {r[0]: first + i for i, r in enumerate(_RECIPIENTS)}
        rows = [
            {
                "id": first + i,
                "name": name,
                "kind": RecipientKind(kind).value,
                "service": service,
                "country": country,
                "transfer_mechanism": TransferMechanism(mechanism).value,
                "agreement_date": agreed,
                "active": active,
                "role": (
                    RecipientRole.CONTROLLER if kind == "dealer" else RecipientRole.PROCESSOR
                ).value,
                "scope": _RECIPIENT_SCOPES.get(name, (RecipientScope.PER_DISCLOSURE, []))[0].value,
                "scope_categories": _RECIPIENT_SCOPES.get(name, (None, []))[1],
                "scope_relationships": [],
            }
            for i, (name, kind, service, country, mechanism, agreed, active) in enumerate(
                _RECIPIENTS
            )
        ]
        self._insert(conn, Recipient, rows)

    def _disclosure_plans(self) -> list[_DisclosurePlan]:
        """What went where over the last 18 months; the persons are drawn chunk by chunk."""
        start = self.ref - 548 * _DAY + 5 * 3_600 * _US  # 05:00 UTC on a day 18 months ago
        month = 30 * _DAY
        plans: list[tuple[str, int, str, int, int, float]] = [
            (_NEWSLETTER_PROVIDER, start, "newsletter_full", 0, -1, 1.0)
        ]
        for k in range(1, 18):
            at = start + k * month
            plans.append((_NEWSLETTER_PROVIDER, at, "newsletter_new", at - month, -1, 1.0))
        dealers = [r for r in _RECIPIENTS if r[1] == "dealer"]
        for d, dealer in enumerate(dealers):
            for k in range(6):
                at = start + (k * 90 + 10 + 7 * d) * _DAY
                plans.append((dealer[0], at, "leads", 0, COUNTRIES.index(dealer[3]), 0.05))
        plans += [
            (_CRM, start + 40 * _DAY, "crm", 0, -1, 1.0),
            (_CRM, start + 300 * _DAY, "crm", 0, -1, 1.0),
            (_SURVEYS, start + 150 * _DAY, "survey", 0, -1, 0.05),
            (_SURVEYS, start + 450 * _DAY, "survey", 0, -1, 0.05),
            (_PRINTER, start + 100 * _DAY, "print", 0, -1, 0.10),
            (_PRINTER, start + 280 * _DAY, "print", 0, -1, 0.10),
            (_PRINTER, start + 460 * _DAY, "print", 0, -1, 0.10),
        ]
        plans.sort(key=lambda p: (p[1], p[0]))
        first = self.ids.take("disclosure", len(plans))
        return [
            _DisclosurePlan(first + i, recipient, at, selector, since, country, rate)
            for i, (recipient, at, selector, since, country, rate) in enumerate(plans)
        ]

    def _disclosures(self, conn: Connection) -> None:
        texts = {
            "newsletter_full": (
                "Newsletter mailing list",
                [DataCategory.BASIC],
                "Consent (Art. 6(1)(a)); processor agreement (Art. 28)",
                "Full list of newsletter subscribers.",
            ),
            "newsletter_new": (
                "Newsletter mailing list",
                [DataCategory.BASIC],
                "Consent (Art. 6(1)(a)); processor agreement (Art. 28)",
                "New subscribers since the previous upload.",
            ),
            "leads": (
                "Sales leads for the dealer's region",
                [DataCategory.BASIC, DataCategory.CUSTOMER_RELATIONSHIP],
                "Consent to email marketing (Art. 6(1)(a))",
                "Persons who allowed email marketing, in the dealer's country.",
            ),
            "crm": (
                "Synchronisation of customer contacts to the CRM",
                [
                    DataCategory.BASIC,
                    DataCategory.CUSTOMER_RELATIONSHIP,
                    DataCategory.TRANSACTIONS,
                ],
                "Contract with the customer organisation; legitimate interests (Art. 6(1)(b), (f))",
                "All contacts of current customer organisations.",
            ),
            "survey": (
                "Customer satisfaction survey",
                [DataCategory.BASIC],
                "Legitimate interests (Art. 6(1)(f))",
                "A sample of customer contacts.",
            ),
            "print": (
                "Printed marketing letter",
                [DataCategory.BASIC],
                "Consent to marketing by post (Art. 6(1)(a))",
                "A sample of persons who allowed marketing by post.",
            ),
        }
        rows = []
        for plan in self.plans:
            purpose, categories, basis, note = texts[plan.selector]
            rows.append(
                {
                    "id": plan.id,
                    "recipient_id": self.recipient_ids[plan.recipient],
                    "disclosed_at": _datetime(plan.at_us),
                    "purpose": purpose,
                    "data_categories": [str(c) for c in categories],
                    "legal_basis": basis,
                    "note": note,
                    "segment_id": None,
                    "recorded_by": self.compliance_id,
                    "person_count": 0,  # set once the persons are written
                }
            )
            self.disclosed[plan.id] = 0
        self._insert(conn, Disclosure, rows)

    # --- organisations ---

    def _organisations(self, sink: _Sink) -> None:
        rng = self.rng(1)
        customers = max(10, self.persons // 40)
        partners = max(3, self.persons // 5_000)
        dealers = [r for r in _RECIPIENTS if r[1] == "dealer"]
        n = customers + partners + len(dealers)
        first = self.ids.take("organisation", n)
        ids = np.arange(first, first + n, dtype=np.int64)
        kind = np.zeros(n, dtype=np.int8)
        kind[customers : customers + partners] = 2  # partner
        kind[customers + partners :] = 1  # dealer
        country = rng.choice(len(COUNTRIES), size=n, p=_ORG_COUNTRY_P)
        for i, dealer in enumerate(dealers):
            country[customers + partners + i] = COUNTRIES.index(dealer[3])
        # Customers since 2012; a quarter of them are past customers.
        start = _us(dt.datetime(2012, 1, 1, tzinfo=dt.UTC))
        since = start + (rng.random(n) ** 0.8 * (self.ref - 60 * _DAY - start)).astype(np.int64)
        since = since // _DAY * _DAY
        past = (kind == 0) & (rng.random(n) < 0.25)
        until = np.full(n, _NEVER, dtype=np.int64)
        # A past customer left at least a month after joining and a month before today.
        span = self.ref - 60 * _DAY - since[past]
        ended = since[past] + 30 * _DAY + (rng.random(past.sum()) * span).astype(np.int64)
        until[past] = ended // _DAY * _DAY
        since[kind != 0] = _NEVER
        weight = rng.lognormal(0.0, 1.0, n)

        industries = list(_INDUSTRIES)
        industry = rng.integers(0, len(industries), n)
        names: list[str] = []
        domains: list[str] = []
        cities: list[str] = []
        for i in range(n):
            c = COUNTRIES[country[i]]
            if kind[i] == 1:
                name = dealers[i - customers - partners][0]
            else:
                name = self._company_name(rng, c, industries[industry[i]])
            names.append(name)
            base = _LEGAL_FORM.sub("", name)
            domains.append(f"{_slug(base)[:40] or 'company'}.example.com")
            table = _CITIES[c]
            p = np.array([t[5] for t in table])
            cities.append(table[rng.choice(len(table), p=p / p.sum())][0])
        numbers = self._business_ids(rng, n)
        self.orgs = _Organisations(ids, kind, country, since, until, weight, _strings(domains))
        kinds = [OrganisationKind.CUSTOMER, OrganisationKind.DEALER, OrganisationKind.PARTNER]
        data = pa.table(
            {
                "id": pa.array(ids),
                "name": _strings(names),
                "business_id": _strings(numbers),
                "kind": _strings([kinds[k].value for k in kind]),
                "industry": _strings([industries[i] for i in industry]),
                "country": _strings([COUNTRIES[c] for c in country]),
                "city": _strings(cities),
                "customer_since": _dates(since // _DAY, mask=since == _NEVER),
                "customer_until": _dates(until // _DAY, mask=until == _NEVER),
            }
        )
        sink.write("organisation", data)
        self.count("organisation", n)

    def _company_name(self, rng: np.random.Generator, country: str, industry: str) -> str:
        suffixes = _LEGAL_SUFFIX[country]
        suffix = suffixes[rng.integers(len(suffixes))]
        locale = _STREET_LOCALE.get(country, "et")
        if rng.random() < 0.4:
            return self.pools.companies[locale][rng.integers(200)]
        surname = self.pools.lasts[locale][rng.integers(600)]
        if country == "FI":
            words = _INDUSTRIES[industry]
            return f"{surname} {words[rng.integers(len(words))]} {suffix}"
        return f"{surname} {industry} {suffix}"

    def _business_ids(self, rng: np.random.Generator, n: int) -> list[str]:
        """Unique Y-tunnus style IDs: 7 digits and the check digit."""
        taken = self.taken_business_ids
        result: list[str] = []
        seen: set[int] = set()
        while len(result) < n:
            for number in rng.integers(100_000, 3_400_000, size=2 * n).tolist():
                check = y_tunnus_check_digit(number)
                formatted = f"{number:07d}-{check}"
                if check is None or number in seen or formatted in taken:
                    continue
                seen.add(number)
                result.append(formatted)
                if len(result) == n:
                    break
        return result

    # --- persons, chunk by chunk ---

    def _persons(self, sink: _Sink) -> None:
        done = 0
        for index, start in enumerate(range(0, self.persons, CHUNK_PERSONS)):
            n = min(CHUNK_PERSONS, self.persons - start)
            rng = self.rng(2, index)
            chunk = self._person_chunk(rng, n, sink)
            granted = self._consent_chunk(rng, chunk, sink)
            self._order_chunk(rng, chunk, sink)
            self._activity_chunk(rng, chunk, granted[_NEWSLETTER], sink)
            self._disclosed_chunk(rng, chunk, granted, sink)
            done += n
            self.report(0.03 + 0.83 * done / self.persons, f"{done:,} of {self.persons:,} persons")

    def _person_chunk(self, rng: np.random.Generator, n: int, sink: _Sink) -> _Chunk:
        pools = self.pools
        first = self.ids.take("person", n)
        ids = np.arange(first, first + n, dtype=np.int64)
        rel = rng.choice(len(RELATIONSHIPS), size=n, p=_REL_P).astype(np.int8)
        country = rng.choice(len(COUNTRIES), size=n, p=_COUNTRY_P).astype(np.int8)
        gender = rng.choice(4, size=n, p=[0.46, 0.46, 0.01, 0.07])
        female = (gender == 0) | ((gender >= 2) & (rng.random(n) < 0.5))

        # Names: mostly of the country's own locale.
        locale = np.zeros(n, dtype=np.int64)
        for c, code in enumerate(COUNTRIES):
            idx = np.flatnonzero(country == c)
            mix = _NAME_MIX[code]
            keys = np.array([_LOCALE_KEYS.index(k) for k in mix])
            locale[idx] = keys[_choice(rng, mix, len(idx))]
        fi = _draw(rng, pools.female_at, locale)
        mi = _draw(rng, pools.male_at, locale)
        li = _draw(rng, pools.last_at, locale)
        is_female = pa.array(female)
        first_name = pc.if_else(is_female, _pick(pools.female, fi), _pick(pools.male, mi))
        first_slug = pc.if_else(is_female, _pick(pools.female_slug, fi), _pick(pools.male_slug, mi))
        last_name = _pick(pools.last, li)
        last_slug = _pick(pools.last_slug, li)

        org = self._employers(rng, rel, country)
        created, updated = self._created(rng, org)

        # Work address at the employer's domain for contacts and users; else a personal one.
        work = (org >= 0) & ((rel == _CC) | (rel == _SU)) & (rng.random(n) < 0.9)
        plain = work | (rng.random(n) < 0.4)
        personal = np.where(country == _FI, 0, 1 + rng.integers(0, 3, n))
        domain = pc.if_else(
            pa.array(work),
            _pick(self.orgs.domain, np.maximum(org, 0)),
            _pick(["example.fi", *_PERSONAL_DOMAINS], personal),
        )
        suffix = _null_where(plain, _text(rng.integers(1, 1000, n)))
        suffix = pc.fill_null(suffix, "")
        email = _join(first_slug, ".", last_slug, suffix, "@", domain)
        email = _null_where(rng.random(n) < 0.02, email)

        phone = _null_where(rng.random(n) >= 0.88, self._phones(rng, country))
        street, postal, city, lat, lon, has_address, has_city = self._addresses(rng, country)
        has_coords = (rel == _SU) & (rng.random(n) < 0.4) & has_city
        lat = np.round(lat + rng.normal(0, 0.02, n), 5)
        lon = np.round(lon + rng.normal(0, 0.04, n), 5)

        job = np.where(
            country == _FI,
            rng.integers(0, pools.jobs_fi, n),
            rng.integers(pools.jobs_fi, len(pools.jobs), n),
        )
        position = _null_where((rel == _OPT) & (rng.random(n) < 0.5), _pick(pools.jobs, job))

        service = rel == _SU
        username = _join(
            pc.utf8_slice_codeunits(first_slug, 0, 1),
            pc.replace_substring(last_slug, "-", ""),
            _text(ids),
        )
        username = _null_where(~service, username)
        password_hash = _null_where(
            ~service, _pick(self.service_hashes, rng.integers(0, len(self.service_hashes), n))
        )

        # Index into the notice's regular sources, by relationship.
        source_choice = {
            _CC: ([0, 1], [0.6, 0.4]),
            _SU: ([4], [1.0]),
            _OC: ([3, 5], [0.7, 0.3]),
            _OPT: ([2], [1.0]),
        }
        source = np.zeros(n, dtype=np.int64)
        for r, (options, p) in source_choice.items():
            idx = np.flatnonzero(rel == r)
            source[idx] = np.array(options)[rng.choice(len(options), len(idx), p=p)]

        data = pa.table(
            {
                "id": pa.array(ids),
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "phone": phone,
                "street_address": street,
                "postal_code": postal,
                "city": city,
                "country": _pick(COUNTRIES, country),
                "latitude": pa.array(lat, mask=~has_coords),
                "longitude": pa.array(lon, mask=~has_coords),
                "position": position,
                "organisation_id": pa.array(self.orgs.ids[np.maximum(org, 0)], mask=org < 0),
                "gender": _pick(["female", "male", "other", None], gender),
                "username": username,
                "password_hash": password_hash,
                "relationship": _pick([r.value for r in RELATIONSHIPS], rel),
                "source": _pick(notice.declaration().sources, source),
                "created_at": _ts(created),
                "updated_at": _ts(updated),
                "version": pa.array(np.ones(n, dtype=np.int32)),
            }
        )
        sink.write("person", data)
        self.count("person", n)
        return _Chunk(ids, rel, country, created, org, has_address, city, has_coords)

    def _employers(
        self, rng: np.random.Generator, rel: np.ndarray, country: np.ndarray
    ) -> np.ndarray:
        """The organisation of each person (index), -1 for none; mostly in the same country."""
        orgs = self.orgs
        n = len(rel)
        org = np.full(n, -1, dtype=np.int64)
        customer = orgs.kind == 0
        current = customer & (orgs.until_us == _NEVER)
        other = orgs.kind != 0
        wants = {
            _CC: (customer, np.ones(n, dtype=bool)),
            _SU: (current, np.ones(n, dtype=bool)),
            _OC: (other, rng.random(n) < 0.6),
            _OPT: (current, rng.random(n) < 0.25),
        }
        for r, (candidates, has) in wants.items():
            for c in range(len(COUNTRIES)):
                idx = np.flatnonzero((rel == r) & (country == c) & has)
                if not len(idx):
                    continue
                pool = np.flatnonzero(candidates & (orgs.country == c))
                if len(pool) == 0:
                    pool = np.flatnonzero(candidates & (orgs.country == _FI))
                if len(pool) == 0:
                    pool = np.flatnonzero(candidates)
                w = orgs.weight[pool]
                org[idx] = pool[rng.choice(len(pool), len(idx), p=w / w.sum())]
        return org

    def _created(self, rng: np.random.Generator, org: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """When each person entered the registry: while the employer was a customer."""
        n = len(org)
        lo = np.full(n, _us(dt.datetime(2015, 1, 1, tzinfo=dt.UTC)), dtype=np.int64)
        hi = np.full(n, self.ref - _DAY, dtype=np.int64)
        has = org >= 0
        since = self.orgs.since_us[np.maximum(org, 0)]
        until = self.orgs.until_us[np.maximum(org, 0)]
        with_since = has & (since != _NEVER)
        lo[with_since] = since[with_since]
        with_until = has & (until != _NEVER)
        hi[with_until] = until[with_until]
        lo = np.minimum(lo, hi - _DAY)
        # Skewed towards recent years, as registries grow.
        created = lo + (rng.random(n) ** 0.7 * (hi - lo)).astype(np.int64)
        touched = rng.random(n) < 0.5
        updated = created + (touched * rng.random(n) * (self.ref - 1 - created)).astype(np.int64)
        return created, updated

    def _phones(self, rng: np.random.Generator, country: np.ndarray) -> pa.Array:
        """E.164 numbers; US and UK ones in the ranges reserved for fiction."""
        n = len(country)
        prefix = _pick(_PHONE_LIST, _draw(rng, _PHONE_AT, country.astype(np.int64)))
        eight = rng.integers(0, 100_000_000, n)
        code = [COUNTRIES.index(c) for c in ("DK", "DE", "US", "GB")]
        subscriber = _case(
            [country == code[0], country == code[1], country == code[2], country == code[3]],
            [
                _text(20_000_000 + eight % 80_000_000),
                _text(eight, 8),
                _text(eight % 100, 2),
                _text(eight % 1_000, 3),
            ],
            _text(eight % 10_000_000, 7),
        )
        return _join(prefix, subscriber)

    def _addresses(
        self, rng: np.random.Generator, country: np.ndarray
    ) -> tuple[pa.Array, pa.Array, pa.Array, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Street address, postal code and city in each country's own form."""
        n = len(country)
        city = np.zeros(n, dtype=np.int64)
        for c in range(len(COUNTRIES)):
            idx = np.flatnonzero(country == c)
            candidates = np.flatnonzero(_CITY_COUNTRY == c)
            w = _CITY_WEIGHT[candidates]
            city[idx] = candidates[rng.choice(len(candidates), len(idx), p=w / w.sum())]
        u = rng.random(n)
        has_address, has_city = u < 0.85, u < 0.94
        is_ = {code: country == COUNTRIES.index(code) for code in COUNTRIES}

        # Finnish codes step by ten (00100, 00120, ...); others by one.
        step = np.where(is_["FI"], 10, 1)
        low, high = _CITY_LOW[city], _CITY_HIGH[city]
        code = low + step * (rng.random(n) * ((high - low) // step + 1)).astype(np.int64)
        inward = "ABDEFGHJLNPQRSTUWXYZ"
        letters = rng.integers(0, len(inward), (2, n))
        stair = rng.integers(0, 8, n)
        postal = _case(
            [is_["SE"], is_["NO"] | is_["DK"], is_["GB"]],
            [
                _join(_text(code // 100, 3), " ", _text(code % 100, 2)),
                _text(code, 4),
                _join(
                    _pick(_GB_OUTWARD, np.where(is_["GB"], code, 0)),
                    " ",
                    _text(stair + 1),
                    _pick(list(inward), letters[0]),
                    _pick(list(inward), letters[1]),
                ),
            ],
            _text(code, 5),
        )

        name = _pick(self.pools.streets, _draw(rng, self.pools.street_at, country.astype(np.int64)))
        number = rng.integers(1, 121, n)
        # Finnish flats: "Mannerheimintie 12 B 34".
        flat = pc.fill_null(
            _null_where(
                ~(is_["FI"] & (stair < 3)),
                _join(
                    " ",
                    _pick(list("ABC"), np.minimum(stair, 2)),
                    " ",
                    _text(rng.integers(1, 60, n)),
                ),
            ),
            "",
        )
        number_first = is_["US"] | is_["GB"]
        street = pc.if_else(
            pa.array(number_first),
            _join(_text(np.where(is_["US"], number * 10 + stair, number)), " ", name),
            _join(name, " ", _text(number), flat),
        )
        return (
            _null_where(~has_address, street),
            _null_where(~has_address, postal),
            _null_where(~has_city, _pick(_CITY_NAMES, city)),
            _CITY_LAT[city],
            _CITY_LON[city],
            has_address,
            has_city,
        )

    # --- consent ---

    def _consent_chunk(
        self, rng: np.random.Generator, chunk: _Chunk, sink: _Sink
    ) -> dict[int, _Granted]:
        """Grants, withdrawals and objections over the years, and the winner of each history."""
        n = len(chunk.ids)
        rel, created, ref = chunk.rel, chunk.created_us, self.ref
        u = rng.random(n)
        never = (u < 0.08) & (rel != _OPT)  # a person who approved marketing was asked
        objector = (u >= 0.08) & (u < 0.13)
        normal = ~never & ~objector
        t_obj = created + ((0.2 + 0.8 * rng.random(n)) * (ref - created)).astype(np.int64)

        parts: list[tuple[np.ndarray, int, int, np.ndarray, int]] = []

        def emit(who: np.ndarray, purpose: int, status: int, at: np.ndarray, seq: int) -> None:
            parts.append((who, purpose, status, at, seq))

        def after(at: np.ndarray, until: np.ndarray | int) -> np.ndarray:
            return at + (rng.random(len(at)) * (until - at)).astype(np.int64)

        for p in range(len(PURPOSES)):
            granted = rng.random(n) < _GRANT_P[rel, p]
            if p == _NEWSLETTER:
                granted |= rel == _OPT
            g = np.flatnonzero(granted & normal)
            t_g = after(created[g], ref)
            emit(g, p, _GRANTED, t_g, 1)
            withdrawn = rng.random(len(g)) < 0.12
            w, t_w = g[withdrawn], after(t_g[withdrawn], ref)
            emit(w, p, _WITHDRAWN, t_w, 1)
            again = rng.random(len(w)) < 0.25
            emit(w[again], p, _GRANTED, after(t_w[again], ref), 1)
            # A withdrawal at the very moment of the grant, recorded before it: it still wins.
            tie = ~withdrawn & (rng.random(len(g)) < 0.01)
            emit(g[tie], p, _WITHDRAWN, t_g[tie], 0)
            o = np.flatnonzero(granted & objector)
            emit(o, p, _GRANTED, after(created[o], t_obj[o]), 1)
        # Art. 21(2): an objection covers every purpose at once.
        o = np.flatnonzero(objector)
        for p in range(len(PURPOSES)):
            emit(o, p, _OBJECTED, t_obj[o], 1)
        # Some ask for the newsletter again later: an explicit new grant.
        regranted = o[rng.random(len(o)) < 0.3]
        emit(regranted, _NEWSLETTER, _GRANTED, after(t_obj[regranted], ref), 1)
        # A grant sent at the moment of the objection and recorded after it: the objection wins.
        tied = o[rng.random(len(o)) < 0.05]
        emit(tied, _EMAIL, _GRANTED, t_obj[tied], 2)

        who = np.concatenate([x[0] for x in parts])
        purpose = np.concatenate([np.full(len(x[0]), x[1], dtype=np.int8) for x in parts])
        status = np.concatenate([np.full(len(x[0]), x[2], dtype=np.int8) for x in parts])
        at = np.concatenate([x[3] for x in parts])
        seq = np.concatenate([np.full(len(x[0]), x[4], dtype=np.int8) for x in parts])
        # Ids follow each person's history in time, so a later-recorded event has a higher id.
        order = np.lexsort((purpose, seq, at, who))
        who, purpose, status, at = who[order], purpose[order], status[order], at[order]
        m = len(who)
        first = self.ids.take("consent_event", m)
        event_id = np.arange(first, first + m, dtype=np.int64)

        source = np.empty(m, dtype=np.int8)
        for st, weights in (
            (_GRANTED, _GRANT_SOURCE_P),
            (_WITHDRAWN, _WITHDRAW_SOURCE_P),
            (_OBJECTED, _OBJECT_SOURCE_P),
        ):
            idx = np.flatnonzero(status == st)
            keys = np.array([_SRC[s] for s in weights], dtype=np.int8)
            source[idx] = keys[_choice(rng, weights, len(idx))]
        in_app = np.flatnonzero((purpose == _IN_APP) & (status != _OBJECTED))
        source[in_app] = np.where(
            rng.random(len(in_app)) < 0.85, _SRC[ConsentSource.APP], source[in_app]
        )

        # Evidence: missing for some grants (3 %) and withdrawals (15 %), never for objections.
        missing = np.where(status == _GRANTED, rng.random(m) < 0.03, False)
        missing |= (status == _WITHDRAWN) & (rng.random(m) < 0.15)
        template_keys = list(_EVIDENCE)
        template_index = {k: i for i, k in enumerate(template_keys)}
        lookup = np.full((3, len(_SOURCES)), -1, dtype=np.int16)
        for (st, src), i in template_index.items():
            lookup[st, _SRC[src]] = i
        which = lookup[status, source]
        missing |= which < 0
        prefixes = [_EVIDENCE[k].split("{ref}")[0] for k in template_keys]
        suffixes = [_EVIDENCE[k].split("{ref}")[1] for k in template_keys]
        which_safe = np.maximum(which, 0)
        evidence = _null_where(
            missing,
            _join(_pick(prefixes, which_safe), _text(event_id), _pick(suffixes, which_safe)),
        )
        low = np.array([_RECORD_DELAY[s][0] for s in _SOURCES], dtype=np.int64)
        high = np.array([_RECORD_DELAY[s][1] for s in _SOURCES], dtype=np.int64)
        delay = (low[source] + rng.random(m) * (high[source] - low[source])).astype(np.int64)
        recorded_at = np.maximum(at, np.minimum(at + delay * _US, ref - 1))
        by_hand = source == _SRC[ConsentSource.LETTER]
        recorded_by = pa.array(
            np.full(m, self.compliance_id or 0, dtype=np.int32),
            mask=~by_hand if self.compliance_id else np.ones(m, dtype=bool),
        )
        purposes = [p.value for p in PURPOSES]
        statuses = [s.value for s in _STATUSES]
        person_id = chunk.ids[who]
        sink.write(
            "consent_event",
            pa.table(
                {
                    "id": pa.array(event_id),
                    "person_id": pa.array(person_id),
                    "purpose": _pick(purposes, purpose),
                    "status": _pick(statuses, status),
                    "occurred_at": _ts(at),
                    "source": _pick([s.value for s in _SOURCES], source),
                    "evidence": evidence,
                    "recorded_by": recorded_by,
                    "recorded_at": _ts(recorded_at),
                }
            ),
        )
        self.count("consent_event", m)

        # The winner per (person, purpose): greatest (occurred_at, precedence rank, id), the
        # key of registry.consent.precedence, taken for all events at once.
        by_precedence = np.lexsort((event_id, _RANK[status], at, purpose, who))
        key = who[by_precedence].astype(np.int64) * 8 + purpose[by_precedence]
        same_as_next = key[1:] == key[:-1]
        last = np.append(~same_as_next, True)[:m]
        win = by_precedence[last]
        sink.write(
            "consent_state",
            pa.table(
                {
                    "person_id": pa.array(person_id[win]),
                    "purpose": _pick(purposes, purpose[win]),
                    "status": _pick(statuses, status[win]),
                    "event_id": pa.array(event_id[win]),
                    "occurred_at": _ts(at[win]),
                    "has_evidence": pa.array(~missing[win]),
                }
            ),
        )
        self.count("consent_state", len(win))

        # Each event holds until the next one in precedence order: the granted intervals.
        next_same = np.append(same_as_next, False)[:m]
        following = np.append(at[by_precedence][1:], _NEVER)[:m]
        end = np.where(next_same, following, _NEVER)
        granted_rows = status[by_precedence] == _GRANTED
        result: dict[int, _Granted] = {}
        for p in (_NEWSLETTER, _EMAIL, _POST):
            rows = granted_rows & (purpose[by_precedence] == p)
            result[p] = _Granted(who[by_precedence][rows], at[by_precedence][rows], end[rows])
        return result

    # --- orders and activities ---

    def _order_chunk(self, rng: np.random.Generator, chunk: _Chunk, sink: _Sink) -> None:
        orgs = self.orgs
        contacts = np.flatnonzero((chunk.rel == _CC) & (chunk.org >= 0))
        org = chunk.org[contacts]
        lo = np.maximum(chunk.created_us[contacts], self.ref - 4 * _YEAR)
        lo = np.maximum(lo, np.where(orgs.since_us[org] == _NEVER, 0, orgs.since_us[org]))
        hi = np.minimum(self.ref - 1, orgs.until_us[org])
        k = rng.poisson(2.6, len(contacts))
        k[hi <= lo] = 0
        who = np.repeat(contacts, k)
        at = np.repeat(lo, k) + (rng.random(len(who)) * np.repeat(hi - lo, k)).astype(np.int64)
        helsinki = 2 * 3_600 * _US  # order dates are Finnish business days, roughly
        day = (at + helsinki) // _DAY
        day = np.minimum(day, self.today_days - 1)
        order = np.lexsort((day, who))
        who, day = who[order], day[order]
        m = len(who)
        product = rng.choice(len(_PRODUCTS), m, p=[p[3] for p in _PRODUCTS])
        low = np.array([p[1] for p in _PRODUCTS])[product]
        high = np.array([p[2] for p in _PRODUCTS])[product]
        price = np.round((low + rng.random(m) * (high - low)) / 10) * 10
        discount = rng.choice([0.0, 0.1, 0.15, 0.2], m, p=[0.6, 0.2, 0.1, 0.1])
        amount = np.round(price * (1 - discount) * 100) / 100
        age = self.today_days - day
        u = rng.random(m)
        status = np.where(
            age < 30,
            np.where(u < 0.8, 1, 0),
            np.where(
                age < 90, np.where(u < 0.1, 1, np.where(u < 0.15, 2, 0)), np.where(u < 0.03, 2, 0)
            ),
        )
        first = self.ids.take("customer_order", m)
        sink.write(
            "customer_order",
            pa.table(
                {
                    "id": pa.array(np.arange(first, first + m, dtype=np.int64)),
                    "person_id": pa.array(chunk.ids[who]),
                    "organisation_id": pa.array(orgs.ids[chunk.org[who]]),
                    "ordered_on": _dates(day),
                    "product": _pick([p[0] for p in _PRODUCTS], product),
                    "amount_eur": pa.array(amount),
                    "status": _pick(["paid", "invoiced", "in_recovery"], status),
                }
            ),
        )
        self.count("customer_order", m)

    def _activity_chunk(
        self, rng: np.random.Generator, chunk: _Chunk, newsletter: _Granted, sink: _Sink
    ) -> None:
        """Mostly in the last two years; newsletter opens only while subscribed."""
        ref = self.ref
        whos: list[np.ndarray] = []
        ats: list[np.ndarray] = []
        kinds: list[np.ndarray] = []
        details: list[pa.Array] = []
        for kind, rates in _ACTIVITY_RATE.items():
            k = rng.poisson(np.array(rates)[chunk.rel])
            who = np.repeat(np.arange(len(chunk.ids)), k)
            recent = rng.random(len(who)) < 0.85
            lo = np.maximum(chunk.created_us[who], ref - np.where(recent, 2, 4) * _YEAR)
            at = lo + (rng.random(len(who)) * (ref - lo)).astype(np.int64)
            pool = {
                ActivityKind.WEBSITE_VISIT: _WEB_PAGES,
                ActivityKind.EVENT_PARTICIPATION: _EVENTS,
                ActivityKind.CUSTOMER_SERVICE_CONTACT: _SERVICE_CONTACTS,
                ActivityKind.APP_USE: _APP_ACTIONS,
            }[kind]
            whos.append(who)
            ats.append(at)
            kinds.append(np.full(len(who), _ACTIVITY_KINDS.index(kind), dtype=np.int8))
            details.append(_pick(pool, rng.integers(0, len(pool), len(who))))
        # Newsletter opens and clicks during the subscribed intervals of the last two years.
        start = np.maximum(newsletter.start, ref - 2 * _YEAR)
        end = np.minimum(newsletter.end, ref)
        months = np.maximum(end - start, 0) / (30 * _DAY)
        for kind, rate in (
            (ActivityKind.NEWSLETTER_OPEN, 0.3),
            (ActivityKind.NEWSLETTER_CLICK, 0.06),
        ):
            k = rng.poisson(months * rate)
            interval = np.repeat(np.arange(len(start)), k)
            at = start[interval] + (rng.random(len(interval)) * (end - start)[interval]).astype(
                np.int64
            )
            whos.append(newsletter.person[interval])
            ats.append(at)
            kinds.append(np.full(len(interval), _ACTIVITY_KINDS.index(kind), dtype=np.int8))
            label = _month_labels(at, "Newsletter ")
            if kind == ActivityKind.NEWSLETTER_CLICK:
                links = _pick(_NEWSLETTER_LINKS, rng.integers(0, len(_NEWSLETTER_LINKS), len(at)))
                label = _join(label, ": ", links)
            details.append(label)
        who = np.concatenate(whos)
        at = np.concatenate(ats)
        kind_i = np.concatenate(kinds)
        detail = pa.concat_arrays([d.cast(pa.string()) for d in details])
        order = np.lexsort((at, who))
        who, at, kind_i = who[order], at[order], kind_i[order]
        detail = detail.take(pa.array(order))
        # The app gave a location with its events for users who shared it.
        app = kind_i == _ACTIVITY_KINDS.index(ActivityKind.APP_USE)
        located = app & chunk.has_coords[who]
        city = _null_where(~located, chunk.city.take(pa.array(who)))
        m = len(who)
        first = self.ids.take("activity", m)
        sink.write(
            "activity",
            pa.table(
                {
                    "id": pa.array(np.arange(first, first + m, dtype=np.int64)),
                    "person_id": pa.array(chunk.ids[who]),
                    "kind": _pick([k.value for k in _ACTIVITY_KINDS], kind_i),
                    "occurred_at": _ts(at),
                    "detail": detail,
                    "city": city,
                }
            ),
        )
        self.count("activity", m)

    # --- disclosed persons ---

    def _disclosed_chunk(
        self, rng: np.random.Generator, chunk: _Chunk, granted: dict[int, _Granted], sink: _Sink
    ) -> None:
        """Who was in each disclosure: only persons whose consent allowed it at that moment."""
        rel, created = chunk.rel, chunk.created_us
        ids: list[np.ndarray] = []
        persons: list[np.ndarray] = []
        orgs = self.orgs
        org = np.maximum(chunk.org, 0)
        for plan in self.plans:
            t = plan.at_us
            match plan.selector:
                case "newsletter_full":
                    who = granted[_NEWSLETTER].at(t)
                case "newsletter_new":
                    g = granted[_NEWSLETTER]
                    new = (g.start > plan.since_us) & (g.start <= t) & (t < g.end)
                    who = np.unique(g.person[new])
                case "leads":
                    who = granted[_EMAIL].at(t)
                    fits = (chunk.country[who] == plan.country) & (
                        (rel[who] == _CC) | (rel[who] == _OPT)
                    )
                    who = who[fits & (rng.random(len(who)) < plan.rate)]
                case "crm":
                    customer = (
                        (chunk.org >= 0) & (orgs.since_us[org] <= t) & (orgs.until_us[org] > t)
                    )
                    who = np.flatnonzero((rel == _CC) & (created <= t) & customer)
                case "survey":
                    who = np.flatnonzero((rel == _CC) & (created <= t))
                    who = who[rng.random(len(who)) < plan.rate]
                case "print":
                    who = granted[_POST].at(t)
                    who = who[chunk.has_address[who] & (rng.random(len(who)) < plan.rate)]
                case _:
                    raise AssertionError(plan.selector)
            ids.append(np.full(len(who), plan.id, dtype=np.int32))
            persons.append(chunk.ids[who])
            self.disclosed[plan.id] += len(who)
        disclosure_id = np.concatenate(ids)
        sink.write(
            "disclosed_person",
            pa.table(
                {
                    "disclosure_id": pa.array(disclosure_id),
                    "person_id": pa.array(np.concatenate(persons)),
                }
            ),
        )
        self.count("disclosed_person", len(disclosure_id))

    # --- data-subject requests, their transitions, amendments ---

    def _requests(self, conn: Connection) -> None:
        rng = self.rng(3)
        n = max(30, min(500, self.persons // 2_000))
        kinds, statuses, channels = tuple(RequestKind), tuple(RequestStatus), tuple(RequestChannel)
        first_person = self.ids.next["person"] - self.persons
        matched = rng.random(n) < 0.85
        person_ids = rng.integers(first_person, first_person + self.persons, n)
        wanted = sorted({int(p) for p, m in zip(person_ids, matched, strict=True) if m})
        people = {
            row.id: row
            for row in conn.execute(
                select(
                    Person.id,
                    Person.first_name,
                    Person.last_name,
                    Person.email,
                    Person.phone,
                    Person.street_address,
                    Person.postal_code,
                    Person.city,
                    Person.created_at,
                    Person.updated_at,
                ).where(Person.id.in_(wanted))
            )
        }
        soon = self._received_due_soon()
        open_days = [40, soon, 12, 33, 5, soon - 1, 19, 2]
        first_id = self.ids.take("data_subject_request", n)
        requests: list[dict[str, Any]] = []
        transitions: list[dict[str, Any]] = []
        actor = self.compliance_id
        opened = 0

        def at_day(day: dt.date, hour: float) -> dt.datetime:
            local = dt.datetime.combine(day, dt.time(), settings.REGISTRY_TZ)
            moment = (local + dt.timedelta(hours=hour)).astimezone(dt.UTC)
            return min(moment, self.ref_datetime - dt.timedelta(minutes=5))

        for i in range(n):
            if i < 25:  # every kind in every status, and every channel
                kind, status = kinds[i % 5], statuses[(i // 5) % 5]
            else:
                kind = kinds[rng.choice(5, p=[0.4, 0.15, 0.25, 0.15, 0.05])]
                status = statuses[rng.choice(5, p=[0.1, 0.1, 0.07, 0.63, 0.1])]
            channel = channels[i % 3] if i < 25 else channels[rng.choice(3, p=[0.15, 0.55, 0.3])]
            if status in (RequestStatus.RECEIVED, RequestStatus.VERIFIED):
                days_ago = (
                    open_days[opened % len(open_days)] if opened < 16 else int(rng.integers(1, 45))
                )
                opened += 1
            elif status == RequestStatus.EXTENDED:
                days_ago = int(rng.integers(25, 100))
            else:
                days_ago = int(rng.integers(20, 720))
            received_on = self.today - dt.timedelta(days=max(days_ago, 1))
            extended = status == RequestStatus.EXTENDED
            received_at = at_day(received_on, 8 + rng.random() * 8)
            person = people.get(int(person_ids[i])) if matched[i] else None
            if person is not None:
                name = f"{person.first_name} {person.last_name}"
                if channel == RequestChannel.LETTER and person.street_address:
                    contact = f"{person.street_address}, {person.postal_code} {person.city}"
                else:
                    contact = person.email or f"{_slug(name)}@example.org"
            else:
                given = self.pools.females["fi"][rng.integers(400)]
                name = f"{given} {self.pools.lasts['fi'][rng.integers(600)]}"
                contact = f"{_slug(name).replace('-', '.')}@example.org"
            row: dict[str, Any] = {
                "id": first_id + i,
                "kind": kind.value,
                "channel": channel.value,
                "received_on": received_on,
                "requester_name": name,
                "requester_contact": contact,
                "details": _REQUEST_DETAILS[kind]
                + ("" if person else " (No match in the register by name or email.)"),
                "person_id": person.id if person else None,
                "status": status.value,
                "assignee_id": actor,
                "due_on": deadlines.due_date(received_on, extended=extended),
                "identity_method": None,
                "identity_note": None,
                "identity_verified_at": None,
                "extension_reason": None,
                "extended_at": None,
                "report_generated_at": None,
                "outcome": None,
                "closed_at": None,
                "created_by": actor,
                "created_at": received_at,
            }
            steps: list[tuple[str, str | None, str, str | None, dt.datetime]] = [
                ("receive", None, "received", f"Received by {channel.value}", received_at)
            ]
            verified = status in (
                RequestStatus.VERIFIED,
                RequestStatus.EXTENDED,
                RequestStatus.COMPLETED,
            ) or (status == RequestStatus.REJECTED and rng.random() < 0.5)
            moment = received_at
            if verified:
                moment = min(
                    received_at + dt.timedelta(days=float(rng.uniform(0.2, 4))),
                    self.ref_datetime - dt.timedelta(minutes=4),
                )
                method = _IDENTITY_METHODS[rng.integers(len(_IDENTITY_METHODS))]
                row |= {"identity_method": method, "identity_verified_at": moment}
                row["identity_note"] = "Matched the register." if person else "Requester confirmed."
                steps.append(("verify_identity", "received", "verified", method, moment))
            if status == RequestStatus.EXTENDED or (
                status == RequestStatus.COMPLETED and rng.random() < 0.1
            ):
                first_due = at_day(deadlines.due_date(received_on), 8)
                limit = min(first_due, self.ref_datetime) - dt.timedelta(hours=1)
                moment = max(
                    moment, min(moment + dt.timedelta(days=float(rng.uniform(3, 20))), limit)
                )
                reason = _EXTENSION_REASONS[rng.integers(len(_EXTENSION_REASONS))]
                row |= {"extension_reason": reason, "extended_at": moment}
                row["due_on"] = deadlines.due_date(received_on, extended=True)
                steps.append(("extend", "verified", "extended", reason, moment))
            if status in (RequestStatus.COMPLETED, RequestStatus.REJECTED):
                due = at_day(row["due_on"], 16)
                late = rng.random() < 0.08  # a few answered late, as happens
                end = due + dt.timedelta(days=10) if late else due
                closed = moment + (min(end, self.ref_datetime) - moment) * float(
                    rng.uniform(0.1, 0.9)
                )
                if status == RequestStatus.COMPLETED:
                    outcome = _REQUEST_OUTCOMES[kind]
                    if kind == RequestKind.ACCESS:
                        row["report_generated_at"] = closed - dt.timedelta(hours=2)
                    steps.append(("complete", steps[-1][2], "completed", outcome, closed))
                else:
                    outcome = _REJECTIONS[0 if not verified else 1]
                    steps.append(("reject", steps[-1][2], "rejected", outcome, closed))
                row |= {"outcome": outcome, "closed_at": closed}
            requests.append(row)
            for action, from_status, to_status, note, at in steps:
                transitions.append(
                    {
                        "request_id": row["id"],
                        "action": action,
                        "from_status": from_status,
                        "to_status": to_status,
                        "note": note,
                        "actor_id": actor,
                        "at": at,
                    }
                )
        first_transition = self.ids.take("request_transition", len(transitions))
        for j, t in enumerate(transitions):
            t["id"] = first_transition + j
        self._insert(conn, DataSubjectRequest, requests)
        self._insert(conn, RequestTransition, transitions)

        if actor is None:
            return  # an amendment names who made it; without accounts there is no one
        # Completed rectifications changed a field; a few more were corrected on notice.
        amendments: list[dict[str, Any]] = []
        for row in requests:
            if (
                row["kind"] == RequestKind.RECTIFICATION
                and row["status"] == RequestStatus.COMPLETED
                and row["person_id"] in people
            ):
                when = row["closed_at"] - dt.timedelta(hours=1)
                amendments.append(self._amendment(rng, people[row["person_id"]], when, row["id"]))
        extra = min(50, 3 + self.persons // 20_000)
        for pid in rng.choice(wanted, size=min(extra, len(wanted)), replace=False).tolist():
            person = people[pid]
            span = (person.updated_at - person.created_at) * float(rng.random())
            amendments.append(self._amendment(rng, person, person.created_at + span, None))
        first_amendment = self.ids.take("amendment", len(amendments))
        for j, a in enumerate(amendments):
            a["id"] = first_amendment + j
            a["amended_by"] = actor
        self._insert(conn, Amendment, amendments)
        # Art. 19: recipients who had the person's data before a request-driven change were told.
        by_request = [a for a in amendments if a["request_id"] is not None]
        received: dict[int, list[tuple[dt.datetime, int]]] = {}
        for person_id, at, recipient_id in conn.execute(
            select(DisclosedPerson.person_id, Disclosure.disclosed_at, Disclosure.recipient_id)
            .join(Disclosure, DisclosedPerson.disclosure_id == Disclosure.id)
            .where(DisclosedPerson.person_id.in_([a["person_id"] for a in by_request]))
        ):
            received.setdefault(person_id, []).append((at, recipient_id))
        notifications: list[dict[str, Any]] = []
        for a in by_request:
            earlier = {r for at, r in received.get(a["person_id"], []) if at < a["amended_at"]}
            for recipient_id in sorted(earlier):
                notifications.append(
                    {
                        "amendment_id": a["id"],
                        "recipient_id": recipient_id,
                        "notified_by": actor,
                        "notified_at": a["amended_at"] + dt.timedelta(hours=2),
                    }
                )
        first_notification = self.ids.take("recipient_notification", len(notifications))
        for j, notification in enumerate(notifications):
            notification["id"] = first_notification + j
        self._insert(conn, RecipientNotification, notifications)

    def _received_due_soon(self) -> int:
        """Days ago a request was received for it to fall due within the next week."""
        for days_ago in range(31, 15, -1):
            left = (deadlines.due_date(self.today - dt.timedelta(days=days_ago)) - self.today).days
            if 1 <= left <= settings.DUE_SOON_DAYS:
                return days_ago
        return 27

    def _amendment(
        self, rng: np.random.Generator, person: Any, when: dt.datetime, request_id: int | None
    ) -> dict[str, Any]:
        """An Art. 16 correction whose new value is the person's current one."""
        options = [
            f
            for f in ("email", "phone", "street_address", "last_name")
            if getattr(person, f) is not None
        ]
        field_ = options[rng.integers(len(options))]
        new = getattr(person, field_)
        match field_:
            case "email":
                local, _, domain = new.partition("@")
                old = f"{local}@{'example.org' if domain == 'example.net' else 'example.net'}"
                reason = "The email address had changed; mail bounced."
            case "phone":
                old = new[:-4] + new[-2:] + new[-4:-2]
                reason = "Two digits of the phone number were swapped."
            case "street_address":
                old = re.sub(r"\d+", lambda m: str(int(m.group()) + 2), new, count=1)
                reason = "The person moved; new address given in writing."
            case _:
                old = self.pools.lasts["fi"][rng.integers(600)]
                reason = "Surname changed on marriage."
        if request_id is not None:
            reason += " (data-subject request)"
        return {
            "person_id": person.id,
            "field": field_,
            "old_value": old,
            "new_value": new,
            "reason": reason,
            "request_id": request_id,
            "amended_at": min(when, self.ref_datetime - dt.timedelta(minutes=1)),
        }
