"""The workflow of a data-subject request as a table, and the rules every part reads.

Every step of the workflow is a row of TRANSITIONS: the statuses it may start from and the
status it leads to. A request's due date is always `deadlines.due_date(received_on)`, or
`due_date(received_on, extended=True)` once extended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from registry import deadlines, settings
from registry.vocabulary import OPEN_REQUEST_STATUSES, RequestKind, RequestStatus

# The GDPR applies from this day; nothing received earlier is a request under it.
GDPR_APPLIES_FROM = dt.date(2018, 5, 25)

# How the requester's identity was established (GDPR Art. 12(6)).
IDENTITY_METHODS: tuple[str, ...] = (
    "Reply from the email address held in the registry",
    "Signed letter matching the registry's postal address",
    "Strong electronic identification",
    "Identity document shown in person",
    "Other (describe in the note)",
)


class Action(StrEnum):
    """A step of the workflow, as request_transition.action stores it (the seed writes these)."""

    LOG = "receive"
    MATCH = "match"
    VERIFY = "verify_identity"
    ASSIGN = "assign"
    EXTEND = "extend"
    REPORT = "report"  # the Art. 15 report was generated and stored (registry.report)
    COMPLETE = "complete"
    REJECT = "reject"
    TELL_EXTENSION = "tell_extension"  # Art. 12(3): the person was told of the extension
    LANGUAGE = "set_reply_language"  # the language of the letters (registry.report)
    PORTABLE = "portable_data"  # Art. 20: the person's data generated (registry.portability)


@dataclass(frozen=True)
class Rule:
    """Where an action may start, and where it leads (None: the status stays)."""

    sources: frozenset[RequestStatus]
    target: RequestStatus | None
    label: str


S = RequestStatus
OPEN_STATUSES = frozenset(OPEN_REQUEST_STATUSES)

# The whole workflow. Identity comes before any answer: a report, an extension or a
# completion needs a verified requester; a rejection (e.g. identity not established) does not.
# The person is matched before the identity is verified, because the identity is verified
# against that person: a report must never go to someone verified as somebody else.
TRANSITIONS: dict[Action, Rule] = {
    Action.MATCH: Rule(frozenset({S.RECEIVED}), None, "Matched to a person"),
    Action.VERIFY: Rule(frozenset({S.RECEIVED}), S.VERIFIED, "Identity verified"),
    Action.ASSIGN: Rule(OPEN_STATUSES, None, "Assigned"),
    Action.EXTEND: Rule(frozenset({S.VERIFIED}), S.EXTENDED, "Extended"),
    Action.REPORT: Rule(frozenset({S.VERIFIED, S.EXTENDED}), None, "Access report generated"),
    Action.COMPLETE: Rule(frozenset({S.VERIFIED, S.EXTENDED}), S.COMPLETED, "Completed"),
    Action.REJECT: Rule(OPEN_STATUSES, S.REJECTED, "Rejected"),
    Action.TELL_EXTENSION: Rule(frozenset({S.EXTENDED}), None, "Person told of the extension"),
    Action.LANGUAGE: Rule(OPEN_STATUSES, None, "Reply language set"),
    Action.PORTABLE: Rule(frozenset({S.VERIFIED, S.EXTENDED}), None, "Portable data generated"),
}
ACTION_LABELS: dict[str, str] = {  # keyed by Action, read by stored action names
    Action.LOG: "Logged",
    **{action: rule.label for action, rule in TRANSITIONS.items()},
}


def allowed(action: Action, status: str, kind: str) -> bool:
    """Whether the table lets `action` start from `status` for a request of `kind`."""
    if action is Action.REPORT and kind != RequestKind.ACCESS:
        return False
    if action is Action.PORTABLE and kind != RequestKind.PORTABILITY:
        return False
    return RequestStatus(status) in TRANSITIONS[action].sources


def allowed_actions(status: str, kind: str) -> list[Action]:
    return [a for a in TRANSITIONS if allowed(a, status, kind)]


def original_due(received_on: dt.date) -> dt.date:
    """The first month's due date: also the day by which an extension must be told."""
    return deadlines.due_date(received_on)


def urgency(status: str, due_on: dt.date, today: dt.date) -> str:
    """ "overdue", "due_soon" (within settings.DUE_SOON_DAYS), "on_time" or "closed"."""
    if RequestStatus(status) not in OPEN_STATUSES:
        return "closed"
    left = deadlines.days_left(due_on, today)
    if left < 0:
        return "overdue"
    return "due_soon" if left <= settings.DUE_SOON_DAYS else "on_time"
