"""What the records say held against what the data shows (issue 14, `python -m registry
check`): a completed erasure request whose person still has data is a contradiction, the
registry claiming a right honoured that was not; so are the objections and restrictions
that registry.rights_consistency finds.

Each check is one set-based statement returning the request ids that contradict their data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from registry import settings
from registry.models import (
    Activity,
    Amendment,
    ConsentEvent,
    ConsentState,
    DataSubjectRequest,
    DisclosedPerson,
    Order,
    Person,
    PersonMetrics,
)
from registry.permissions import Actor, Permission, require
from registry.vocabulary import RequestKind, RequestStatus


@dataclass(frozen=True)
class Contradiction:
    request_id: int
    person_id: int | None
    what: str


def _person_data(person_id: Any) -> Sequence[ColumnElement[bool]]:
    """Conditions true when the person still has rows an erasure removes."""
    return [
        exists().where(model.person_id == person_id)
        for model in (
            ConsentEvent,
            ConsentState,
            Activity,
            PersonMetrics,
            Amendment,
            DisclosedPerson,
        )
    ] + [
        # An order that stays must stand under a legal hold (a date, or a claim in recovery).
        exists().where(Order.person_id == person_id, Order.hold_reason.is_(None)),
    ]


def _erasures_not_done() -> Any:
    request = DataSubjectRequest
    return (
        select(request.id, request.person_id)
        .join(Person, Person.id == request.person_id)
        .where(
            request.kind == RequestKind.ERASURE,
            request.status == RequestStatus.COMPLETED,
            or_(Person.erased_at.is_(None), *_person_data(request.person_id)),
        )
        .order_by(request.id)
    )


CHECKS: list[tuple[str, Callable[[], Any]]] = [
    (
        "completed erasure (Art. 17) whose person still has data",
        _erasures_not_done,
    ),
]


def contradictions(session: Session, limit: int = settings.MAX_PAGE_SIZE) -> list[Contradiction]:
    """Every contradiction, at most `limit` of each kind."""
    found: list[Contradiction] = []
    for what, query in CHECKS:
        for request_id, person_id in session.execute(query().limit(limit)):
            found.append(Contradiction(request_id, person_id, what))
    return found


def sentences(session: Session) -> list[str]:
    """Every contradiction, erasures', objections' and restrictions', as a sentence that
    names records by id only."""
    from registry import rights_consistency

    found = [
        f"request #{c.request_id}"
        + (f", person {c.person_id}" if c.person_id is not None else "")
        + f": {c.what}"
        for c in contradictions(session)
    ]
    for rule in (
        rights_consistency.objections_not_recorded,
        rights_consistency.restrictions_not_applied,
        rights_consistency.disclosed_while_restricted,
    ):
        found += [f.text for f in rule(session)]
    return found


def contradiction_count(session: Session, actor: Actor) -> int:
    """How many contradictions there are, for the Overview (compliance)."""
    require(actor, Permission.HANDLE_REQUESTS)
    return len(sentences(session))
