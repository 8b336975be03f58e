"""The demo's words: company names, job titles, products, activities, consent evidence,
recipients and the texts of data-subject requests."""

from __future__ import annotations

import datetime as dt
import re

from demo.data.rates import GRANTED, OBJECTED, WITHDRAWN
from registry.vocabulary import (
    ActivityKind,
    ConsentSource,
    DeliveryService,
    RecipientScope,
    RequestKind,
)

# Legal forms at the end of a company name, left out of its e-mail domain.
LEGAL_FORM = re.compile(r"(\s+(oy|oyj|ab|ky|osk|as|aps|a/s|oü|gmbh|ag|inc\.|llc|ltd|plc))+$", re.I)

PERSONAL_DOMAINS = ("example.com", "example.net", "example.org")

TITLES_FI = (
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
TITLES_EN = (
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
INDUSTRIES: dict[str, tuple[str, ...]] = {
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
LEGAL_SUFFIX = {
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
PRODUCTS = (
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

WEB_PAGES = (
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
NEWSLETTER_LINKS = ("new features", "webinar sign-up", "customer story", "pricing", "blog post")
EVENTS = (
    "Click2Contract Day, Helsinki",
    "Webinar: Contract automation for SMEs",
    "Webinar: E-signatures and eIDAS",
    "Customer breakfast, Tampere",
    "Customer breakfast, Turku",
    "Legal Tech Nordic, Stockholm",
    "Partner day, Espoo",
    "Webinar: AI-assisted contract review",
)
SERVICE_CONTACTS = (
    "Support ticket: invoice question",
    "Support ticket: user management",
    "Support ticket: e-signature failed",
    "Phone call: licence renewal",
    "Chat: password reset",
    "Support ticket: data export",
    "Email: feature request",
)
APP_ACTIONS = (
    "Signed in (web)",
    "Signed in (iOS app)",
    "Signed in (Android app)",
    "Created a contract",
    "Sent a contract for e-signature",
    "Signed a contract",
    "Searched the contract repository",
    "Set a renewal reminder",
)

# Evidence kept with a consent event (Art. 7(1)); {ref} becomes the event's reference.
EVIDENCE: dict[tuple[int, str], str] = {
    (GRANTED, ConsentSource.WEB_FORM): "Web form submission WF-{ref}: consent box ticked",
    (GRANTED, ConsentSource.EMAIL): "Email from the person asking to subscribe, message EM-{ref}",
    (GRANTED, ConsentSource.EVENT): "Participant list with marketing consent, row EV-{ref}",
    (GRANTED, ConsentSource.IN_PERSON): "Consent form signed at a customer meeting, IP-{ref}",
    (GRANTED, ConsentSource.PHONE): "Consent given by phone, call recording PH-{ref}",
    (GRANTED, ConsentSource.LETTER): "Signed letter received, archived as LT-{ref}",
    (GRANTED, ConsentSource.APP): "Opted in under Settings > Notifications in the app, AP-{ref}",
    (WITHDRAWN, ConsentSource.WEB_FORM): "Preference centre: box unticked, WF-{ref}",
    (WITHDRAWN, ConsentSource.EMAIL): "Unsubscribe reply to a newsletter, message EM-{ref}",
    (WITHDRAWN, ConsentSource.PHONE): "Asked by phone to stop, call PH-{ref}",
    (WITHDRAWN, ConsentSource.LETTER): "Letter asking to stop, archived as LT-{ref}",
    (WITHDRAWN, ConsentSource.APP): "Opted out under Settings > Notifications, AP-{ref}",
    (WITHDRAWN, ConsentSource.IN_PERSON): "Told a sales representative to stop, note IP-{ref}",
    (WITHDRAWN, ConsentSource.EVENT): "Asked at an event to be left out, note EV-{ref}",
    (OBJECTED, ConsentSource.LETTER): "Letter: no direct marketing of any kind, LT-{ref}",
    (OBJECTED, ConsentSource.EMAIL): "Email prohibiting all direct marketing, message EM-{ref}",
    (OBJECTED, ConsentSource.WEB_FORM): "Web form: direct marketing prohibited, WF-{ref}",
    (OBJECTED, ConsentSource.PHONE): "Prohibited all direct marketing by phone, call PH-{ref}",
}

# name | kind | country | transfer mechanism | agreement date | active | service. In the USA
# exactly one each on the DPF, the 2021 SCCs and the invalid Privacy Shield, as the notice has it.
RECIPIENT_TABLE = """
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
RECIPIENTS: tuple[tuple[str, str, str, str, str, dt.date, bool], ...] = tuple(
    (name, kind, service, country, mechanism, dt.date.fromisoformat(agreed), active == "yes")
    for name, kind, country, mechanism, agreed, active, service in (
        tuple(cell.strip() for cell in line.split("|"))
        for line in RECIPIENT_TABLE.strip().splitlines()
    )
)
# Whose data each recipient holds (registry.recipients.recipients_covering); those not named
# here receive only what their disclosure rows say. Dealers are independent controllers.
RECIPIENT_SCOPES: dict[str, tuple[RecipientScope, list[str]]] = {
    "CloudHost Inc.": (RecipientScope.ALL_PERSONS, []),
    "Polder Hosting B.V.": (RecipientScope.ALL_PERSONS, []),
    "Rhein Analytics GmbH": (RecipientScope.CATEGORIES, [ActivityKind.WEBSITE_VISIT.value]),
}
# The marketing messages each delivery processor sends (the only lists it may receive).
DELIVERY_SERVICES: dict[str, str] = {
    "Emerald Mailworks Ltd": DeliveryService.MAILING.value,
    "Rhein Druck & Versand GmbH": DeliveryService.PRINT.value,
    "Nordic Mailworks Oy": DeliveryService.SMS.value,
}
# What the safeguards have on record: the DPF recipient's certification checked some months
# before the seed's day (days before), the SCC recipient's transfer impact assessment.
DPF_CHECKED_DAYS_AGO: dict[str, int] = {"CloudHost Inc.": 95}
TIA_DATES: dict[str, dt.date] = {"PipeCRM Inc.": dt.date(2022, 3, 10)}
NEWSLETTER_PROVIDER = "Emerald Mailworks Ltd"
CRM = "PipeCRM Inc."
SURVEYS = "SurveyPeak LLC"
PRINTER = "Rhein Druck & Versand GmbH"

REQUEST_DETAILS = {
    RequestKind.ACCESS: "Please send me a copy of all the data you hold about me (GDPR Art. 15).",
    RequestKind.RECTIFICATION: "My contact details in your register are out of date; correct them.",
    RequestKind.OBJECTION: "I object to all direct marketing. Do not send me any more offers.",
    RequestKind.ERASURE: "Please erase my personal data; I no longer work with your customer.",
    RequestKind.RESTRICTION: "Please restrict the use of my data while my address is checked.",
}
REQUEST_OUTCOMES = {
    RequestKind.ACCESS: "Access report sent to the registered address.",
    RequestKind.RECTIFICATION: "Contact details corrected; recipients told of the correction.",
    RequestKind.OBJECTION: "Objection to all direct marketing recorded.",
    RequestKind.ERASURE: "Marketing data erased; billing records kept (Accounting Act).",
    RequestKind.RESTRICTION: "Processing restricted until the address was confirmed.",
}
REJECTIONS = (
    "The requester's identity could not be verified.",
    "Manifestly unfounded: the same request was answered last month (Art. 12(5)).",
)
IDENTITY_METHODS = (
    "Reply from the email address in the register",
    "Strong electronic identification (Suomi.fi)",
    "Copy of an identity document checked, then destroyed",
    "Call-back to the phone number in the register",
)
EXTENSION_REASONS = (
    "The request covers several years of orders, activities and disclosures in three systems; "
    "two further months are needed (Art. 12(3)).",
    "Many requests from the same organisation at once; two further months are needed.",
)
