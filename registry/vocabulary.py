"""The registry's own words, as enumerations stored by value in the database."""

from enum import StrEnum

from registry.labels import Labelled, labelled


class Role(Labelled):
    MARKETING = "marketing"
    COMPLIANCE = "compliance"
    ADMINISTRATOR = "administrator"


labelled(
    Role,
    {
        Role.MARKETING: "Marketing",
        Role.COMPLIANCE: "Compliance",
        Role.ADMINISTRATOR: "Administrator",
    },
)


class Relationship(StrEnum):
    """How a person is connected to the controller (the notice's "data content")."""

    CUSTOMER_CONTACT = "customer_contact"
    SERVICE_USER = "service_user"
    OTHER_CONNECTION = "other_connection"
    MARKETING_OPT_IN = "marketing_opt_in"


class Purpose(StrEnum):
    """Consent purposes: the direct-marketing channels, and profiling for targeting."""

    NEWSLETTER = "newsletter"
    EMAIL_MARKETING = "email_marketing"
    IN_APP_MESSAGES = "in_app_messages"
    EVENTS = "events"
    PHONE = "phone"
    POST = "post"
    PROFILING = "profiling"
    SMS = "sms"  # s. 200 of Act 917/2014 names text messages apart from calls
    # Consent to hand the person's details to the dealers the declaration names, for their
    # own marketing (Art. 7: a consent names the controllers relying on it).
    SHARING_WITH_DEALERS = "sharing_with_dealers"


class Channel(Labelled):
    """A marketing channel a target list is exported for; each is governed by one purpose."""

    EMAIL = "email"
    NEWSLETTER = "newsletter"
    IN_APP = "in_app"
    PHONE = "phone"
    POST = "post"
    EVENTS = "events"
    SMS = "sms"

    @property
    def purpose(self) -> Purpose:
        return CHANNEL_PURPOSE[self]


labelled(
    Channel,
    {
        Channel.EMAIL: "Email",
        Channel.NEWSLETTER: "Newsletter",
        Channel.IN_APP: "In-app",
        Channel.PHONE: "Phone",
        Channel.POST: "Post",
        Channel.EVENTS: "Events",
        Channel.SMS: "SMS",
    },
)

CHANNEL_PURPOSE: dict[Channel, Purpose] = {
    Channel.EMAIL: Purpose.EMAIL_MARKETING,
    Channel.NEWSLETTER: Purpose.NEWSLETTER,
    Channel.IN_APP: Purpose.IN_APP_MESSAGES,
    Channel.PHONE: Purpose.PHONE,
    Channel.POST: Purpose.POST,
    Channel.EVENTS: Purpose.EVENTS,
    Channel.SMS: Purpose.SMS,
}


class MarketingBasis(StrEnum):
    """What a target list may rest on, per person (Act 917/2014 ss. 200-202, GDPR Art. 6)."""

    CONSENT = "consent"  # s. 200(1), Art. 6(1)(a): a grant the controller can demonstrate
    SOFT_OPT_IN = "soft_opt_in"  # s. 200(2): own customer, similar products, opt-out offered
    BUSINESS_OPT_OUT = "business_opt_out"  # s. 202: a work-role contact who has not objected
    LEGITIMATE_INTERESTS = "legitimate_interests"  # Art. 6(1)(f): post, person-made calls
    SHARING_CONSENT = "sharing_consent"  # Art. 6(1)(a): consent naming the receiving controller


MARKETING_BASIS_LABELS: dict[str, str] = {
    MarketingBasis.CONSENT: "Consent (GDPR Art. 6(1)(a); Act 917/2014 s. 200(1))",
    MarketingBasis.SOFT_OPT_IN: "Own customer, similar products, opt-out offered "
    "(Act 917/2014 s. 200(2); GDPR Art. 6(1)(f))",
    MarketingBasis.BUSINESS_OPT_OUT: "Work-role contact, not objected "
    "(Act 917/2014 s. 202; GDPR Art. 6(1)(f))",
    MarketingBasis.LEGITIMATE_INTERESTS: "Legitimate interests with opt-out "
    "(GDPR Art. 6(1)(f), Art. 21(2))",
    MarketingBasis.SHARING_CONSENT: "Consent to sharing with the named controller "
    "(GDPR Art. 6(1)(a), Art. 7)",
}

# For a disclosure's one-line legal basis, where every basis is counted.
MARKETING_BASIS_SHORT: dict[str, str] = {
    MarketingBasis.CONSENT: "consent, Art. 6(1)(a)",
    MarketingBasis.SOFT_OPT_IN: "own customer, s. 200(2)",
    MarketingBasis.BUSINESS_OPT_OUT: "work role, s. 202",
    MarketingBasis.LEGITIMATE_INTERESTS: "legitimate interests, Art. 6(1)(f)",
    MarketingBasis.SHARING_CONSENT: "sharing consent, Art. 6(1)(a)",
}

# Electronic direct marketing to natural persons (s. 200) may rest only on consent, the soft
# opt-in or, for work-role contacts, s. 202; post and person-made calls are outside s. 200.
ELECTRONIC_CHANNELS = frozenset(
    {Channel.EMAIL, Channel.NEWSLETTER, Channel.IN_APP, Channel.EVENTS, Channel.SMS}
)
BASES_ALLOWED: dict[MarketingBasis, frozenset[Channel]] = {
    MarketingBasis.CONSENT: frozenset(Channel),
    MarketingBasis.SOFT_OPT_IN: ELECTRONIC_CHANNELS,
    MarketingBasis.BUSINESS_OPT_OUT: ELECTRONIC_CHANNELS | {Channel.PHONE, Channel.POST},
    MarketingBasis.LEGITIMATE_INTERESTS: frozenset({Channel.PHONE, Channel.POST}),
}


class DeliveryService(StrEnum):
    """What a processor does with a target list: delivers one kind of marketing message."""

    MAILING = "mailing"  # email, newsletters, event invitations
    APP_MESSAGING = "app_messaging"
    PRINT = "print"  # printing and posting letters
    SMS = "sms"
    TELEMARKETING = "telemarketing"  # person-made calls


DELIVERS: dict[DeliveryService, frozenset[Channel]] = {
    DeliveryService.MAILING: frozenset({Channel.EMAIL, Channel.NEWSLETTER, Channel.EVENTS}),
    DeliveryService.APP_MESSAGING: frozenset({Channel.IN_APP}),
    DeliveryService.PRINT: frozenset({Channel.POST}),
    DeliveryService.SMS: frozenset({Channel.SMS}),
    DeliveryService.TELEMARKETING: frozenset({Channel.PHONE}),
}
DELIVERY_LABELS: dict[str, str] = {
    DeliveryService.MAILING: "Mailing (email, newsletters, event invitations)",
    DeliveryService.APP_MESSAGING: "In-app messaging",
    DeliveryService.PRINT: "Print and post",
    DeliveryService.SMS: "SMS",
    DeliveryService.TELEMARKETING: "Telemarketing (person-made calls)",
}


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"  # Art. 7(3)
    OBJECTED = "objected"  # Art. 21(2): a direct-marketing prohibition
    NEVER_ASKED = "never_asked"  # no event at all; never stored as an event


# At equal timestamps the more protective event wins (see registry.consent).
CONSENT_PRECEDENCE: dict[str, int] = {
    ConsentStatus.GRANTED: 0,
    ConsentStatus.WITHDRAWN: 1,
    ConsentStatus.OBJECTED: 2,
}


class ConsentSource(StrEnum):
    LETTER = "letter"
    EMAIL = "email"
    WEB_FORM = "web_form"
    PHONE = "phone"
    IN_PERSON = "in_person"
    APP = "app"
    EVENT = "event"


class ActivityKind(StrEnum):
    WEBSITE_VISIT = "website_visit"
    NEWSLETTER_OPEN = "newsletter_open"
    NEWSLETTER_CLICK = "newsletter_click"
    EVENT_PARTICIPATION = "event_participation"
    CUSTOMER_SERVICE_CONTACT = "customer_service_contact"
    APP_USE = "app_use"


class OrganisationKind(StrEnum):
    CUSTOMER = "customer"
    DEALER = "dealer"
    PARTNER = "partner"


class RequestKind(Labelled):
    ACCESS = "access"  # Art. 15
    RECTIFICATION = "rectification"  # Art. 16
    OBJECTION = "objection"  # Art. 21: objection to direct marketing
    ERASURE = "erasure"  # Art. 17
    RESTRICTION = "restriction"  # Art. 18
    # Art. 18(1)(a): restriction for the time it takes to verify data whose accuracy the
    # person contests.
    CONTESTED_ACCURACY = "contested_accuracy"
    PORTABILITY = "portability"  # Art. 20
    # Art. 21(1): an objection on grounds of the person's particular situation (not only to
    # direct marketing).
    OBJECTION_SITUATION = "objection_situation"


labelled(
    RequestKind,
    {
        RequestKind.ACCESS: "Access (Art. 15)",
        RequestKind.RECTIFICATION: "Rectification (Art. 16)",
        RequestKind.OBJECTION: "Objection to direct marketing (Art. 21)",
        RequestKind.ERASURE: "Erasure (Art. 17)",
        RequestKind.RESTRICTION: "Restriction (Art. 18)",
        RequestKind.CONTESTED_ACCURACY: "Restriction while accuracy is contested (Art. 18(1)(a))",
        RequestKind.PORTABILITY: "Data portability (Art. 20)",
        RequestKind.OBJECTION_SITUATION: "Objection on grounds of a particular situation "
        "(Art. 21(1))",
    },
)
# The kinds whose completion restricts the matched person (Art. 18).
RESTRICTING_KINDS = (RequestKind.RESTRICTION, RequestKind.CONTESTED_ACCURACY)
# The kinds that record an objection to direct marketing and profiling: at once when matched
# for an objection to direct marketing (Art. 21(3)), on completion for one on grounds of a
# particular situation (Art. 21(1), the objection upheld).
OBJECTING_KINDS = (RequestKind.OBJECTION, RequestKind.OBJECTION_SITUATION)


class RequestChannel(Labelled):
    """How a request came in. The notice says "in writing", but Art. 12(2) obliges the
    controller to facilitate requests in any form: phone and in person are logged too (the
    notice's wording is flagged as a gap of the declaration, not enforced against the person)."""

    LETTER = "letter"
    EMAIL = "email"
    WEB_FORM = "web_form"
    PHONE = "phone"
    IN_PERSON = "in_person"


labelled(
    RequestChannel,
    {
        RequestChannel.LETTER: "Letter",
        RequestChannel.EMAIL: "Email",
        RequestChannel.WEB_FORM: "Web form",
        RequestChannel.PHONE: "Phone",
        RequestChannel.IN_PERSON: "In person",
    },
)


class RestrictionGround(StrEnum):
    """Why processing of a person's data is restricted (Art. 18(1))."""

    ACCURACY_CONTESTED = "accuracy_contested"  # (a) while the accuracy is verified
    UNLAWFUL = "unlawful"  # (b) unlawful processing; the person opposes erasure
    LEGAL_CLAIMS = "legal_claims"  # (c) the person needs the data for legal claims
    OBJECTION_PENDING = "objection_pending"  # (d) an Art. 21(1) objection is being decided


RESTRICTION_GROUND_LABELS: dict[str, str] = {
    RestrictionGround.ACCURACY_CONTESTED: "Art. 18(1)(a): accuracy contested, being verified",
    RestrictionGround.UNLAWFUL: "Art. 18(1)(b): unlawful processing, the person opposes erasure",
    RestrictionGround.LEGAL_CLAIMS: "Art. 18(1)(c): the person needs the data for legal claims",
    RestrictionGround.OBJECTION_PENDING: "Art. 18(1)(d): an objection (Art. 21(1)) is pending",
}


class RequestStatus(Labelled):
    RECEIVED = "received"
    VERIFIED = "verified"
    EXTENDED = "extended"
    COMPLETED = "completed"
    REJECTED = "rejected"


labelled(
    RequestStatus,
    {
        RequestStatus.RECEIVED: "Received",
        RequestStatus.VERIFIED: "Identity verified",
        RequestStatus.EXTENDED: "Extended",
        RequestStatus.COMPLETED: "Completed",
        RequestStatus.REJECTED: "Rejected",
    },
)

OPEN_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.VERIFIED, RequestStatus.EXTENDED)


class RecipientKind(StrEnum):
    DEALER = "dealer"
    SUBCONTRACTOR = "subcontractor"
    PROCESSOR = "processor"


class RecipientRole(Labelled):
    """On whose behalf a recipient processes what it receives."""

    PROCESSOR = "processor"  # on the controller's behalf, under an Art. 28 agreement
    CONTROLLER = "controller"  # for its own purposes, as an independent controller


class RecipientScope(Labelled):
    """Whose data a recipient holds: what an access report reads to name it (Art. 15(1)(c))."""

    ALL_PERSONS = "all_persons"  # e.g. hosting: everyone's data sits with it
    CATEGORIES = "categories"  # persons with data in some categories, or some relationships
    PER_DISCLOSURE = "per_disclosure"  # only the persons in its disclosure rows


labelled(
    RecipientRole,
    {
        RecipientRole.PROCESSOR: "Processor (Art. 28 agreement)",
        RecipientRole.CONTROLLER: "Independent controller",
    },
)
labelled(
    RecipientScope,
    {
        RecipientScope.ALL_PERSONS: "All persons",
        RecipientScope.CATEGORIES: "Persons in some data categories or relationships",
        RecipientScope.PER_DISCLOSURE: "Per disclosure",
    },
)


class TransferMechanism(StrEnum):
    """The basis relied on for a transfer outside the EU/EEA (Chapter V GDPR)."""

    NOT_NEEDED = "not_needed"  # inside the EU/EEA
    ADEQUACY = "adequacy"
    DPF = "dpf"  # EU-US Data Privacy Framework, certified organisations only
    SCC_2021 = "scc_2021"  # Decision 2021/914
    BCR = "bcr"
    ART49_DEROGATION = "art49_derogation"
    PRIVACY_SHIELD = "privacy_shield"  # invalid since 16 July 2020 (C-311/18)
    SCC_PRE_2021 = "scc_pre_2021"  # expired 27 December 2022
    NONE = "none"


class DataCategory(StrEnum):
    """The notice's four information categories."""

    BASIC = "basic"
    CUSTOMER_RELATIONSHIP = "customer_relationship"
    SERVICE_USER = "service_user"
    TRANSACTIONS = "transactions"


class BreachSource(StrEnum):
    """Where a personal data breach happened (issue 22)."""

    RECIPIENT = "recipient"  # a recipient from the register (e.g. the newsletter provider)
    INTERNAL_SYSTEM = "internal_system"
    LOST_DEVICE = "lost_device"
    DASHBOARD_ACCOUNT = "dashboard_account"  # an account of this dashboard was misused


class BreachRisk(StrEnum):
    """The risk to persons' rights and freedoms (Art. 33(1), Art. 34(1))."""

    NO_RISK = "no_risk"  # unlikely to result in a risk: the Ombudsman need not be notified
    RISK = "risk"  # notify the Ombudsman
    HIGH_RISK = "high_risk"  # notify the Ombudsman and tell the persons


class AuthorityDecision(StrEnum):
    """Whether the Data Protection Ombudsman was notified (Art. 33)."""

    NOTIFIED = "notified"
    NOT_NOTIFIED = "not_notified"


class PersonsDecision(StrEnum):
    """Whether the affected persons were told (Art. 34)."""

    TOLD = "told"
    NOT_TOLD = "not_told"


class PersonsExemption(StrEnum):
    """The Art. 34(3) ground for not telling persons of a high-risk breach one by one."""

    ENCRYPTED = "encrypted"  # (a) the data was unintelligible, e.g. encrypted
    RISK_REMOVED = "risk_removed"  # (b) later measures ensure the high risk is no longer likely
    PUBLIC_NOTICE = "public_notice"  # (c) disproportionate effort: a public communication instead


class LetterLanguage(StrEnum):
    """The languages a breach letter to a person is written in."""

    FI = "fi"
    SV = "sv"
    EN = "en"


BREACH_SOURCE_LABELS: dict[str, str] = {
    BreachSource.RECIPIENT: "A recipient from the register",
    BreachSource.INTERNAL_SYSTEM: "An internal system",
    BreachSource.LOST_DEVICE: "A lost or stolen device",
    BreachSource.DASHBOARD_ACCOUNT: "An account of this dashboard",
}
BREACH_RISK_LABELS: dict[str, str] = {
    BreachRisk.NO_RISK: "No risk (unlikely to result in a risk)",
    BreachRisk.RISK: "Risk",
    BreachRisk.HIGH_RISK: "High risk",
}
AUTHORITY_DECISION_LABELS: dict[str, str] = {
    AuthorityDecision.NOTIFIED: "Notified to the Data Protection Ombudsman",
    AuthorityDecision.NOT_NOTIFIED: "Not notified",
}
PERSONS_DECISION_LABELS: dict[str, str] = {
    PersonsDecision.TOLD: "Persons told",
    PersonsDecision.NOT_TOLD: "Persons not told",
}
PERSONS_EXEMPTION_LABELS: dict[str, str] = {
    PersonsExemption.ENCRYPTED: "Art. 34(3)(a): the data was unintelligible (e.g. encrypted)",
    PersonsExemption.RISK_REMOVED: "Art. 34(3)(b): later measures removed the high risk",
    PersonsExemption.PUBLIC_NOTICE: "Art. 34(3)(c): a public communication instead "
    "(telling each person would take disproportionate effort)",
}
LETTER_LANGUAGE_LABELS: dict[str, str] = {
    LetterLanguage.FI: "Finnish",
    LetterLanguage.SV: "Swedish",
    LetterLanguage.EN: "English",
}


class OrderStatus(StrEnum):
    PAID = "paid"
    INVOICED = "invoiced"
    IN_RECOVERY = "in_recovery"  # a claim in recovery: kept under Art. 17(3)(e)


class ImportKind(StrEnum):
    """What a file imported from one of the notice's regular sources holds (issue 19)."""

    ORGANISATIONS = "organisations"
    PERSONS = "persons"
    ORDERS = "orders"
    CONSENT = "consent"
    ACTIVITIES = "activities"


class ImportStatus(StrEnum):
    COMPLETED = "completed"  # the valid rows are written
    REFUSED = "refused"  # rejected rows and no --skip-invalid: nothing written
    FAILED = "failed"  # an error stopped it: nothing written
