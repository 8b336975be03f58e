"""The demo does what its own records say: every completed erasure request in the seed is
carried out by the registry's erasure (registry.erasure.apply), at the moment the request
was closed, so that no seeded record claims an erasure the data contradicts (issue 14)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from registry import erasure, suppression
from registry.models import DataSubjectRequest
from registry.recipients import recipients_covering
from registry.vocabulary import RequestKind, RequestStatus

if TYPE_CHECKING:
    from demo.seeder import Seeder

# The seeded requests say "I no longer work with your customer": Art. 17(1)(a).
DEMO_GROUNDS = ["no_longer_necessary"]


def apply_completed_erasures(seeder: Seeder, conn: Connection) -> int:
    """Erase the person of every completed erasure request; returns how many."""
    done = conn.execute(
        select(DataSubjectRequest.id, DataSubjectRequest.person_id, DataSubjectRequest.closed_at)
        .where(
            DataSubjectRequest.kind == RequestKind.ERASURE,
            DataSubjectRequest.status == RequestStatus.COMPLETED,
            DataSubjectRequest.person_id.is_not(None),
        )
        .order_by(DataSubjectRequest.closed_at)
    ).all()
    if not done:
        return 0
    secret = suppression.key()
    erased: set[int] = set()
    for request_id, person_id, closed_at in done:
        if person_id is None or closed_at is None or person_id in erased:
            continue  # asked twice: erased at the first
        with Session(bind=conn) as session:  # recipients whose scope holds the person's data
            covering = [r.id for r in recipients_covering(session, person_id)]
        applied = erasure.apply(
            conn,
            person_id,
            now=closed_at,
            secret=secret,
            request_id=request_id,
            actor_id=seeder.compliance_id,
            covering=covering,
        )
        conn.execute(
            update(DataSubjectRequest)
            .where(DataSubjectRequest.id == request_id)
            .values(erasure_grounds=DEMO_GROUNDS, erasure_exceptions=applied.exceptions)
        )
        erased.add(person_id)
        for table, n in applied.deleted.items():
            seeder.count(table, -n)
        for table, n in applied.added.items():
            seeder.count(table, n)
    return len(erased)
