"""Who is restricted (Art. 18), as SQL conditions: the one place segments, exports, metrics
and disclosures read a restriction from. Imports only the models, so any module may use it;
the restriction's workflow is in registry.restrictions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from registry.models import Person, Restriction


def active() -> ColumnElement[bool]:
    """SQL condition on Restriction: not lifted."""
    return Restriction.lifted_at.is_(None)


def is_restricted(person_id: Any) -> ColumnElement[bool]:
    """SQL: the person is restricted now (an anti-join where negated)."""
    return exists().where(Restriction.person_id == person_id, active())


def not_restricted(person_id: Any = None) -> ColumnElement[bool]:
    """SQL: the person is not restricted now."""
    return ~is_restricted(Person.id if person_id is None else person_id)


def restricted_at(person_id: Any, moment: Any) -> ColumnElement[bool]:
    """SQL: the person was restricted at `moment`: since then or before, not lifted by then."""
    return exists().where(
        Restriction.person_id == person_id,
        Restriction.since <= moment,
        or_(Restriction.lifted_at.is_(None), Restriction.lifted_at > moment),
    )


def restricted_table() -> Any:
    """The persons restricted now, as a table to outer-join when counting or classifying
    many persons (one hash join, not a probe per person); one row per person, since a person
    has at most one restriction in force (registry.restrictions locks the person to add one)."""
    return select(Restriction.person_id).where(active()).subquery("restricted")


def restricted_among(session: Session, person_ids: Iterable[int]) -> set[int]:
    """Which of the persons (a page of them, to mark) are restricted now."""
    ids = sorted(set(person_ids))
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Restriction.person_id).where(Restriction.person_id.in_(ids), active())
        )
    )
