"""The registry's tables as SQLAlchemy 2 typed models.

Every table comes from a sentence of the privacy notice; see DESIGN.md "Data model".
Timestamps are stored in UTC and come back timezone-aware on SQLite and PostgreSQL alike.

One module per area (base, persons, accounts, segments, requests, recipients, report,
breaches, imports, rights, retention); every table is re-exported here, so
`from registry.models import X` works whichever module defines X.
"""

from registry.models.accounts import (
    AppUser,
    AuditEvent,
    Backup,
    DataVersion,
    SignInSession,
    SignInThrottle,
)
from registry.models.base import Base, BigId, UTCDateTime, utcnow
from registry.models.breaches import Breach, BreachChange
from registry.models.imports import ImportRun
from registry.models.persons import (
    Activity,
    ConsentEvent,
    ConsentState,
    Order,
    Organisation,
    Person,
    PersonMetrics,
)
from registry.models.recipients import (
    DisclosedPerson,
    Disclosure,
    Recipient,
    RecipientNotification,
)
from registry.models.report import ReportRedaction, SentDocument
from registry.models.requests import Amendment, DataSubjectRequest, RequestTransition
from registry.models.retention import RetentionGuard, RetentionRun
from registry.models.rights import (
    ErasureFollowUp,
    ErasureJournal,
    Restriction,
    RestrictionNotification,
    Suppression,
)
from registry.models.segments import Segment

__all__ = [
    "Activity",
    "Amendment",
    "AppUser",
    "AuditEvent",
    "Backup",
    "Base",
    "BigId",
    "Breach",
    "BreachChange",
    "ConsentEvent",
    "ConsentState",
    "DataSubjectRequest",
    "DataVersion",
    "DisclosedPerson",
    "Disclosure",
    "ErasureFollowUp",
    "ErasureJournal",
    "ImportRun",
    "Order",
    "Organisation",
    "Person",
    "PersonMetrics",
    "Recipient",
    "RecipientNotification",
    "ReportRedaction",
    "RequestTransition",
    "Restriction",
    "RestrictionNotification",
    "RetentionGuard",
    "RetentionRun",
    "Segment",
    "SentDocument",
    "SignInSession",
    "SignInThrottle",
    "Suppression",
    "UTCDateTime",
    "utcnow",
]
