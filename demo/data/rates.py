"""How often things happen in the demo registry: relationships, grants and their sources,
activities; the vocabularies as positions in arrays."""

from __future__ import annotations

import numpy as np

from registry.vocabulary import (
    CONSENT_PRECEDENCE,
    ActivityKind,
    ConsentSource,
    ConsentStatus,
    Purpose,
    Relationship,
)

RELATIONSHIPS = tuple(Relationship)
CC, SU, OC, OPT = (RELATIONSHIPS.index(r) for r in Relationship)
REL_P = np.array([0.30, 0.35, 0.10, 0.25])

PURPOSES = tuple(Purpose)
NEWSLETTER = PURPOSES.index(Purpose.NEWSLETTER)
EMAIL = PURPOSES.index(Purpose.EMAIL_MARKETING)
IN_APP = PURPOSES.index(Purpose.IN_APP_MESSAGES)
POST = PURPOSES.index(Purpose.POST)
SHARING = PURPOSES.index(Purpose.SHARING_WITH_DEALERS)

STATUSES = (ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN, ConsentStatus.OBJECTED)
GRANTED, WITHDRAWN, OBJECTED = 0, 1, 2
# registry.consent.precedence ranks statuses by CONSENT_PRECEDENCE; the same ranks here.
RANK = np.array([CONSENT_PRECEDENCE[s] for s in STATUSES])

SOURCES = tuple(ConsentSource)
SRC: dict[str, int] = {s: i for i, s in enumerate(SOURCES)}

# Probability that a person of each relationship (rows) granted each purpose (columns).
GRANT_P = np.array(
    [
        # newsletter, email, in-app, events, phone, post, profiling, sms, sharing with dealers
        [0.40, 0.30, 0.05, 0.30, 0.15, 0.10, 0.20, 0.10, 0.05],  # customer contact
        [0.30, 0.20, 0.60, 0.15, 0.05, 0.05, 0.30, 0.08, 0.02],  # service user
        [0.20, 0.10, 0.00, 0.25, 0.05, 0.05, 0.05, 0.03, 0.00],  # other connection
        [0.85, 0.60, 0.05, 0.35, 0.10, 0.15, 0.40, 0.12, 0.10],  # marketing opt-in
    ]
)

ACTIVITY_KINDS = tuple(ActivityKind)
# Mean number of activities of a kind per person, by relationship (cc, su, oc, opt).
ACTIVITY_RATE = {
    ActivityKind.WEBSITE_VISIT: (1.5, 0.8, 0.8, 1.2),
    ActivityKind.EVENT_PARTICIPATION: (0.4, 0.15, 0.5, 0.3),
    ActivityKind.CUSTOMER_SERVICE_CONTACT: (0.5, 0.6, 0.1, 0.05),
    ActivityKind.APP_USE: (0.0, 4.0, 0.0, 0.0),
}

GRANT_SOURCE_P = {
    ConsentSource.WEB_FORM: 0.42,
    ConsentSource.EMAIL: 0.15,
    ConsentSource.EVENT: 0.12,
    ConsentSource.IN_PERSON: 0.08,
    ConsentSource.PHONE: 0.08,
    ConsentSource.LETTER: 0.05,
    ConsentSource.APP: 0.10,
}
WITHDRAW_SOURCE_P = {
    ConsentSource.WEB_FORM: 0.45,
    ConsentSource.EMAIL: 0.35,
    ConsentSource.PHONE: 0.06,
    ConsentSource.LETTER: 0.06,
    ConsentSource.APP: 0.08,
}
OBJECT_SOURCE_P = {
    ConsentSource.LETTER: 0.30,
    ConsentSource.EMAIL: 0.40,
    ConsentSource.WEB_FORM: 0.20,
    ConsentSource.PHONE: 0.10,
}
# How long after the event it was recorded, by source (seconds, low and high).
RECORD_DELAY = {
    ConsentSource.LETTER: (86_400, 5 * 86_400),
    ConsentSource.PHONE: (60, 2 * 86_400),
    ConsentSource.IN_PERSON: (3_600, 3 * 86_400),
    ConsentSource.EVENT: (3_600, 4 * 86_400),
    ConsentSource.EMAIL: (60, 86_400),
    ConsentSource.WEB_FORM: (1, 5),
    ConsentSource.APP: (1, 5),
}
