"""The persons of a segment, in SQL: those matching its filters, less the persons who may not
be profiled when it profiles (registry.marketing_basis decides who may be contacted)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from registry import consent, settings
from registry.filters import Definition
from registry.models import Organisation, Person, PersonMetrics
from registry.notice import declaration
from registry.restricted import not_restricted
from registry.vocabulary import CHANNEL_PURPOSE, Channel, ConsentStatus, MarketingBasis, Purpose

PROFILING_REFUSALS = (ConsentStatus.WITHDRAWN.value, ConsentStatus.OBJECTED.value)
CHANNEL_OF_PURPOSE: dict[str, Channel] = {p.value: c for c, p in CHANNEL_PURPOSE.items()}


def from_persons(*columns: Any) -> Select[Any]:
    # Left joins on unique keys: the database drops them when no column of theirs is used.
    return (
        select(*columns)
        .select_from(Person)
        .outerjoin(Organisation, Organisation.id == Person.organisation_id)
        .outerjoin(PersonMetrics, PersonMetrics.person_id == Person.id)
        # An erased person's emptied row (kept for a legal hold) is in no segment (Art. 17).
        .where(Person.erased_at.is_(None))
    )


def profiling_on_consent() -> bool:
    """The declared profiling basis is consent: only persons who granted it are profiled."""
    return declaration().marketing.profiling_basis == MarketingBasis.CONSENT


def refused_profiling() -> ColumnElement[bool]:
    """SQL: the person may not be profiled: they withdrew or objected, or (where the declared
    basis is consent) they have no grant the controller can demonstrate."""
    if profiling_on_consent():
        return ~consent.granted_with_evidence(Purpose.PROFILING, Person.id)
    return consent.status_is(Purpose.PROFILING, PROFILING_REFUSALS, Person.id)


def matching_query(definition: Definition, today: dt.date, *columns: Any) -> Select[Any]:
    """Persons matching the filters, before profiling refusals are left out (exports say why)."""
    return from_persons(*columns).where(*definition.conditions(today))


def members_query(definition: Definition, today: dt.date, *columns: Any) -> Select[Any]:
    """SELECT columns FROM the segment's members: restricted persons left out (Art. 18(2):
    their data is only stored), and profiling refusals if it profiles."""
    query = matching_query(definition, today, *columns).where(not_restricted())
    return query.where(~refused_profiling()) if definition.profiling else query


def refusals_table() -> Any:
    """The persons who may not be profiled (refused_profiling), as a table to outer-join
    (one hash join)."""
    if profiling_on_consent():
        return select(Person.id.label("person_id")).where(refused_profiling()).subquery("refusals")
    profiling = consent.current_statuses(Purpose.PROFILING)
    return profiling.where(profiling.selected_columns.status.in_(PROFILING_REFUSALS)).subquery(
        "refusals"
    )


def analytic(session: Session) -> None:
    """Segment counts scan a million rows: let their hash joins and aggregates stay in memory,
    skip JIT compilation, which costs more than it saves here, plan streamed results
    (exports read them to the end) for the whole result, not the first rows, and compute the
    consent masks once, not once per parallel worker (settings.SEGMENT_PARALLEL_WORKERS).
    PostgreSQL only; for the rest of the transaction."""
    if session.get_bind().dialect.name == "postgresql":
        for name, value in (
            ("work_mem", settings.SEGMENT_WORK_MEM),
            ("jit", "off"),
            ("cursor_tuple_fraction", "1"),
            ("max_parallel_workers_per_gather", str(settings.SEGMENT_PARALLEL_WORKERS)),
        ):
            session.execute(select(func.set_config(name, value, True)))
