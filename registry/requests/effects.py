"""What a request does to the registry, beyond its own workflow, in the step's transaction.

- An objection to direct marketing (Art. 21(3)) takes effect when it is logged or matched
  to a person: no identity check is needed to stop marketing, and the request is the evidence.
- An objection on grounds of a particular situation (Art. 21(1)) restricts the person at
  once while it is decided, when the declaration says so (Art. 18(1)(d)); completing it
  (the objection upheld) records the objection to direct marketing and the profiling for it.
- Completing a restriction request restricts the person (Art. 18), with its ground.
- A data portability request is completed only after the person's data was generated.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry import consent, notice, restrictions
from registry.errors import ValidationError
from registry.models import DataSubjectRequest, utcnow
from registry.permissions import Actor, Permission, require
from registry.vocabulary import (
    RESTRICTION_GROUND_LABELS,
    ConsentSource,
    RequestKind,
    RestrictionGround,
)

_NO_PERSON = (
    "Not matched to a person: there is no one to {what}. If the registry holds nothing on "
    "the requester, reject the request with that reason."
)


def _evidence(request: DataSubjectRequest, text: str = "") -> str:
    base = (
        f"Data-subject request #{request.id} ({request.channel}, received "
        f"{request.received_on.isoformat()})"
    )
    return f"{base}: {text}" if text else base


def _record_objection(
    session: Session, actor: Actor, request: DataSubjectRequest, text: str = ""
) -> str:
    assert request.person_id is not None
    consent.add_objection(
        session,
        actor,
        request.person_id,
        ConsentSource(request.channel),
        _evidence(request, text or request.details),
    )
    request.objection_recorded_at = utcnow()
    return " Objection to all direct marketing and profiling recorded (Art. 21(3))."


def _restrict(
    session: Session, actor: Actor, request: DataSubjectRequest, ground: str, reason: str
) -> str:
    assert request.person_id is not None
    restriction, new = restrictions.add_restriction(
        session, actor, request.person_id, ground, reason, request_id=request.id
    )
    if not new:
        return f" The person was already restricted (restriction #{restriction.id})."
    return f" Processing restricted: {RESTRICTION_GROUND_LABELS[ground]}."


def on_person_known(session: Session, actor: Actor, request: DataSubjectRequest) -> str:
    """When an open request is logged or matched to a person: an objection takes effect now.
    Returns a sentence for the transition's note ("" when nothing was done)."""
    require(actor, Permission.HANDLE_REQUESTS)
    if request.person_id is None:
        return ""
    if request.kind == RequestKind.OBJECTION and request.objection_recorded_at is None:
        return _record_objection(session, actor, request)
    if (
        request.kind == RequestKind.OBJECTION_SITUATION
        and notice.declaration().restrict_while_objection_pending
    ):
        return _restrict(
            session,
            actor,
            request,
            RestrictionGround.OBJECTION_PENDING,
            _evidence(request, "objection on grounds of a particular situation, being decided"),
        )
    return ""


def on_complete(
    session: Session, actor: Actor, request: DataSubjectRequest, outcome: str, ground: str | None
) -> str:
    """Carry out what a completed request says, or refuse with the reason."""
    require(actor, Permission.HANDLE_REQUESTS)
    kind = request.kind
    if kind in (RequestKind.OBJECTION, RequestKind.OBJECTION_SITUATION):
        if request.person_id is None:
            raise ValidationError({"outcome": _NO_PERSON.format(what="record the objection on")})
        if request.objection_recorded_at is None:
            return _record_objection(session, actor, request, outcome)
        return ""
    if kind in (RequestKind.RESTRICTION, RequestKind.CONTESTED_ACCURACY):
        if request.person_id is None:
            raise ValidationError({"outcome": _NO_PERSON.format(what="restrict")})
        if kind == RequestKind.CONTESTED_ACCURACY:
            ground = RestrictionGround.ACCURACY_CONTESTED
        if ground is None:
            raise ValidationError({"ground": "Choose the ground of the restriction (Art. 18(1))."})
        return _restrict(session, actor, request, ground, _evidence(request, outcome))
    if kind == RequestKind.PORTABILITY and request.data_exported_at is None:
        raise ValidationError(
            {"outcome": "Generate the person's data (JSON and CSV) before completing."}
        )
    return ""
