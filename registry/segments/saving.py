"""Saving, editing and deleting a segment: each one transaction with its audit event; only
a segment's owner may change or delete it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry import audit, settings, validation
from registry.errors import ConflictError, NotFound, ValidationError
from registry.filters import Definition, parse_definition
from registry.models import Segment, utcnow
from registry.permissions import Actor, Permission, require
from registry.segments.catalogue import SegmentChoice


def _checked(
    session: Session, name: str, description: str, definition: Any, segment_id: int | None
) -> tuple[str, str, Definition]:
    errors: dict[str, str] = {}
    checked_name = validation.optional_text(name, settings.MAX_NAME_LENGTH)
    if checked_name is None:
        errors["name"] = "Give the segment a name."
    elif isinstance(checked_name, validation.Invalid):
        errors["name"] = checked_name.message
    elif session.scalar(
        select(Segment.id).where(
            func.lower(Segment.name) == checked_name.lower(),
            Segment.id != (segment_id or 0),
        )
    ):
        errors["name"] = f"A segment named {checked_name!r} exists already; choose another name."
    checked_description = ""
    if description.strip():
        text = validation.free_text(description, settings.MAX_LONG_TEXT)
        if isinstance(text, validation.Invalid):
            errors["description"] = text.message
        else:
            checked_description = text
    try:
        parsed = parse_definition(definition)
    except ValidationError as e:
        errors.update(e.field_errors)
    else:
        if not parsed.filters:
            errors["definition"] = "Add at least one filter; everyone is a built-in segment."
    if errors:
        raise ValidationError(errors)
    assert isinstance(checked_name, str)
    return checked_name, checked_description, parsed


def save_segment(
    session: Session, actor: Actor, name: str, description: str, definition: Any
) -> Segment:
    """Save a new segment owned by the actor; one transaction with its audit event."""
    require(actor, Permission.MANAGE_SEGMENTS)
    if actor.user_id is None:
        raise ValidationError({"name": "Only a signed-in user can own a segment."})
    name, description, parsed = _checked(session, name, description, definition, None)
    now = utcnow()
    segment = Segment(
        name=name,
        description=description,
        definition=parsed.as_list(),
        owner_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(segment)
    try:
        session.flush()
    except IntegrityError as e:  # saved by someone else a moment ago
        session.rollback()
        raise ValidationError({"name": f"A segment named {name!r} exists already."}) from e
    audit.record(session, actor, "segment_saved", "segment", segment.id, parsed.sentence())
    session.commit()
    return segment


def may_change(actor: Actor, choice: SegmentChoice) -> bool:
    """Whether the actor may edit or delete the segment: a saved one, and their own."""
    return choice.segment_id is not None and _owns(actor, choice.owner_id)


def _owns(actor: Actor, owner_id: int | None) -> bool:
    # Only a segment's owner may change or delete it.
    return actor.user_id is not None and owner_id == actor.user_id


def _own(session: Session, actor: Actor, segment_id: int) -> Segment:
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(f"No saved segment with id {segment_id}.")
    if not _owns(actor, segment.owner_id):
        raise ValidationError(
            {
                "segment": f"{segment.name!r} belongs to {segment.owner.display_name}; "
                "only its owner may change or delete it."
            }
        )
    return segment


def update_segment(
    session: Session,
    actor: Actor,
    segment_id: int,
    name: str,
    description: str,
    definition: Any,
    expected_updated_at: dt.datetime | None = None,
) -> Segment:
    """Change one of the actor's own segments; refused if someone changed it since it was read."""
    require(actor, Permission.MANAGE_SEGMENTS)
    segment = _own(session, actor, segment_id)
    if expected_updated_at is not None and segment.updated_at != expected_updated_at:
        raise ConflictError(
            f"{segment.name!r} was changed at {segment.updated_at:%Y-%m-%d %H:%M} UTC since you "
            "opened it. Reload it and make your change again."
        )
    name, description, parsed = _checked(session, name, description, definition, segment_id)
    changes = [
        what
        for what, old, new in (
            ("name", segment.name, name),
            ("description", segment.description, description),
            ("filters", segment.definition, parsed.as_list()),
        )
        if old != new
    ]
    segment.name, segment.description = name, description
    segment.definition = parsed.as_list()
    segment.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "segment_updated",
        "segment",
        segment.id,
        f"changed {', '.join(changes) or 'nothing'}: {parsed.sentence()}",
    )
    try:
        session.commit()
    except IntegrityError as e:
        session.rollback()
        raise ValidationError({"name": f"A segment named {name!r} exists already."}) from e
    return segment


def delete_segment(session: Session, actor: Actor, segment_id: int) -> None:
    """Delete one of the actor's own segments. Disclosures made from it keep their records."""
    require(actor, Permission.MANAGE_SEGMENTS)
    segment = _own(session, actor, segment_id)
    audit.record(session, actor, "segment_deleted", "segment", segment.id, segment.name)
    session.delete(segment)
    session.commit()
