"""Who a personal data breach affected, computed in SQL from the registry's own rows.

The breach window runs from when the breach happened to when it ended; while its end is
not recorded, to the moment of asking (the reading that leaves nobody out).

- A recipient's breach: the persons whose data the recipient held in the window. By its
  scope (registry.recipients): everyone for an all-persons processor, or the persons of its
  categories or relationships, among the persons that existed by the window's end; and, for
  every recipient, the persons of its disclosure rows made by the window's end.
- A dashboard account's breach: the persons whose records the account viewed or exported in
  the window, read from the audit trail: persons opened (record type "person"), requests
  opened (their matched person), rectifications, the persons of disclosure lists viewed or
  exported, and everyone existing at a backup download.
- An internal system or a lost device: the persons of the recorded list (disclosure) it held,
  or, when none is named, everyone who existed by the window's end.

Each of those is narrowed to the breach's data categories (a person counts when the source
held data of theirs in at least one of them) and, if any are chosen, its relationships.
Counts per category, relationship and country come from one grouped statement; the list of
persons is paged in SQL, and every page shown is audited.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    false,
    func,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from registry import audit, settings
from registry.errors import NotFound
from registry.models import (
    Activity,
    Amendment,
    AppUser,
    AuditEvent,
    Breach,
    BreachChange,
    ConsentState,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    Order,
    Person,
    Recipient,
    utcnow,
)
from registry.permissions import Actor, Permission, require
from registry.vocabulary import (
    ActivityKind,
    BreachSource,
    DataCategory,
    RecipientScope,
    Relationship,
)

# Audit actions whose disclosure's persons an account received in a file (all the data
# categories the disclosure carried), and those whose persons it saw listed on screen (name,
# email, organisation, city, country: basic information).
EXPORT_ACTIONS = ("target_list_exported", "breach_letters_exported")
LIST_VIEW_ACTIONS = ("disclosure_persons_viewed",)
# Audit record types naming a person directly, or a row that names one.
PERSON_RECORD = "person"
REQUEST_RECORD = "data_subject_request"
AMENDMENT_RECORD = "amendment"
BACKUP_DOWNLOADED = "backup_downloaded"


def window(breach: Breach, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) of the breach window; an unrecorded end is `now`."""
    return breach.occurred_at, breach.ended_at or now


def holds_category(code: str) -> ColumnElement[bool]:
    """Persons with data of the notice's category `code`, as a condition on Person.

    Uncorrelated IN subqueries: PostgreSQL hashes each table's person ids once instead of
    probing an index per person when the condition is a column of the count.
    """
    if code == DataCategory.BASIC:
        return true()  # everyone has a name and contact details
    if code == DataCategory.CUSTOMER_RELATIONSHIP:
        # consent_state has a row for every person with a consent event, and is smaller.
        return or_(
            Person.relationship == Relationship.CUSTOMER_CONTACT,
            Person.id.in_(select(Order.person_id)),
            Person.id.in_(select(ConsentState.person_id)),
        )
    if code == DataCategory.SERVICE_USER:
        return or_(Person.relationship == Relationship.SERVICE_USER, Person.username.is_not(None))
    if code == DataCategory.TRANSACTIONS:
        return Person.id.in_(select(Activity.person_id))
    return false()


def scope_condition(recipient: Recipient) -> ColumnElement[bool]:
    """The persons `recipient` holds by its scope: registry.recipients.covered_persons_condition
    with uncorrelated subqueries (the same persons; a test holds the two together)."""
    if recipient.scope == RecipientScope.ALL_PERSONS:
        return true()
    if recipient.scope != RecipientScope.CATEGORIES:
        return false()
    conditions = []
    for code in recipient.scope_categories or ():
        if code in set(ActivityKind):
            conditions.append(
                Person.id.in_(select(Activity.person_id).where(Activity.kind == code))
            )
        else:
            conditions.append(holds_category(code))
    if relationships := list(recipient.scope_relationships or ()):
        conditions.append(Person.relationship.in_(relationships))
    return or_(*conditions) if conditions else false()


def _with_category(disclosures: Select, code: str) -> Select:  # type: ignore[type-arg]
    # The categories are a JSON list of vocabulary words; its text holds each one quoted.
    return disclosures.where(cast(Disclosure.data_categories, String).like(f'%"{code}"%'))


def _in_disclosures(disclosures: Select) -> ColumnElement[bool]:  # type: ignore[type-arg]
    return Person.id.in_(
        select(DisclosedPerson.person_id).where(DisclosedPerson.disclosure_id.in_(disclosures))
    )


@dataclass(frozen=True)
class _Part:
    """One way a source held persons' data: per data category, who it held it for."""

    by_category: dict[str, ColumnElement[bool]]


def _everyone(categories: list[str], until: dt.datetime, *also: ColumnElement[bool]) -> _Part:
    exists_by = Person.created_at <= until
    return _Part({c: and_(exists_by, *also, holds_category(c)) for c in categories})


def _disclosed(categories: list[str], disclosures: Select) -> _Part:  # type: ignore[type-arg]
    return _Part({c: _in_disclosures(_with_category(disclosures, c)) for c in categories})


def _audited(breach: Breach, user: AppUser | None, start: dt.datetime, end: dt.datetime):  # type: ignore[no-untyped-def]
    """A function giving the account's audit events of a record type in the window."""

    def events(record_type: str, column: ColumnElement, *where: ColumnElement[bool]) -> Select:  # type: ignore[type-arg]
        if user is None:
            return select(column).where(false())
        # actor_name first: (actor_name, at) is indexed; the id makes the match exact.
        return select(column).where(
            AuditEvent.actor_name == user.username,
            AuditEvent.actor_id == user.id,
            AuditEvent.at >= start,
            AuditEvent.at <= end,
            AuditEvent.record_type == record_type,
            *where,
        )

    return events


def _parts(session: Session, breach: Breach, now: dt.datetime) -> list[_Part]:
    start, end = window(breach, now)
    categories = list(breach.data_categories)
    if breach.source == BreachSource.RECIPIENT:
        recipient = session.get(Recipient, breach.source_recipient_id)
        if recipient is None:
            return []
        parts = [
            _disclosed(
                categories,
                select(Disclosure.id).where(
                    Disclosure.recipient_id == recipient.id, Disclosure.disclosed_at <= end
                ),
            )
        ]
        if recipient.scope != RecipientScope.PER_DISCLOSURE:
            parts.append(_everyone(categories, end, scope_condition(recipient)))
        return parts
    if breach.source == BreachSource.DASHBOARD_ACCOUNT:
        user = session.get(AppUser, breach.source_user_id)
        events = _audited(breach, user, start, end)
        # record_id is text; the ids of these record types are always whole numbers, and the
        # cast applies only to the rows the filter keeps.
        viewed = or_(
            Person.id.in_(events(PERSON_RECORD, cast(AuditEvent.record_id, BigInteger))),
            Person.id.in_(
                select(DataSubjectRequest.person_id).where(
                    DataSubjectRequest.id.in_(
                        events(REQUEST_RECORD, cast(AuditEvent.record_id, Integer))
                    )
                )
            ),
            Person.id.in_(
                select(Amendment.person_id).where(
                    Amendment.id.in_(
                        events(AMENDMENT_RECORD, cast(AuditEvent.record_id, BigInteger))
                    )
                )
            ),
        )
        exported = select(Disclosure.id).where(
            Disclosure.id.in_(
                events(
                    "disclosure",
                    cast(AuditEvent.record_id, Integer),
                    AuditEvent.action.in_(EXPORT_ACTIONS),
                )
            )
        )
        listed = events(
            "disclosure",
            cast(AuditEvent.record_id, Integer),
            AuditEvent.action.in_(LIST_VIEW_ACTIONS),
        )
        last_backup = events(
            "backup", func.max(AuditEvent.at), AuditEvent.action == BACKUP_DOWNLOADED
        ).scalar_subquery()
        parts = [
            _Part({c: and_(viewed, holds_category(c)) for c in categories}),
            _disclosed(categories, exported),
            _Part({c: _in_disclosures(listed) for c in categories if c == DataCategory.BASIC}),
            # A backup holds everyone who existed when it was downloaded.
            _Part(
                {c: and_(Person.created_at <= last_backup, holds_category(c)) for c in categories}
            ),
        ]
        return parts
    if breach.source_disclosure_id is not None:
        the_list = select(Disclosure.id).where(Disclosure.id == breach.source_disclosure_id)
        return [_disclosed(categories, the_list)]
    return [_everyone(categories, end)]


@dataclass(frozen=True)
class _Conditions:
    affected: ColumnElement[bool]
    by_category: dict[str, ColumnElement[bool]]


def _conditions(session: Session, breach: Breach, now: dt.datetime) -> _Conditions:
    parts = _parts(session, breach, now)
    by_category = {}
    for code in breach.data_categories:
        held = [p.by_category[code] for p in parts if code in p.by_category]
        by_category[code] = or_(*held) if held else false()
    affected: ColumnElement[bool] = or_(*by_category.values()) if by_category else false()
    if breach.relationships:
        affected = and_(affected, Person.relationship.in_(list(breach.relationships)))
    return _Conditions(affected, by_category)


def _breach(session: Session, breach_id: int) -> Breach:
    breach = session.get(Breach, breach_id)
    if breach is None:
        raise NotFound(f"Breach {breach_id} is not in the register.")
    return breach


def _analytic(session: Session) -> None:
    """Memory for the hashed subqueries of a count over every person (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{settings.BREACH_WORK_MEM}'"))


@dataclass(frozen=True)
class AffectedCounts:
    """How many persons a breach affected, and how they divide (Art. 33(3)(a))."""

    breach_id: int
    persons: int
    by_category: dict[str, int]  # persons with data of the category concerned
    by_relationship: dict[str, int]
    by_country: dict[str, int]
    window_start: dt.datetime
    window_end: dt.datetime
    window_open: bool  # the end is the moment of counting: the breach's end is not recorded
    counted_at: dt.datetime

    @property
    def records(self) -> int:
        """Records concerned: each affected person's data in each category concerned."""
        return sum(self.by_category.values())


def _count(session: Session, breach: Breach, now: dt.datetime) -> AffectedCounts:
    conditions = _conditions(session, breach, now)
    flags = [
        func.sum(case((condition, 1), else_=0)) for condition in conditions.by_category.values()
    ]
    query = (
        select(Person.relationship, Person.country, func.count(), *flags)
        .where(conditions.affected)
        .group_by(Person.relationship, Person.country)
    )
    _analytic(session)
    persons = 0
    by_category: Counter[str] = Counter({c: 0 for c in conditions.by_category})
    by_relationship: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    for relationship, country, n, *per_category in session.execute(query):
        persons += n
        by_relationship[relationship] += n
        by_country[country] += n
        for code, m in zip(conditions.by_category, per_category, strict=True):
            by_category[code] += int(m or 0)
    start, end = window(breach, now)
    return AffectedCounts(
        breach.id,
        persons,
        dict(by_category),
        dict(by_relationship.most_common()),
        dict(by_country.most_common()),
        start,
        end,
        breach.ended_at is None,
        now,
    )


def count_affected(
    session: Session, actor: Actor, breach_id: int, now: dt.datetime | None = None
) -> AffectedCounts:
    """Count who the breach affected, and keep the totals on the breach with the time counted.

    One transaction: the totals, a history row and the audit event. The row version is not
    raised: a count is not an edit, and must not void an edit form that is open meanwhile.
    """
    require(actor, Permission.MANAGE_BREACHES)
    now = now or utcnow()
    try:
        breach = _breach(session, breach_id)
        counts = _count(session, breach, now)
        old = (breach.affected_persons, breach.affected_records)
        session.execute(
            update(Breach)
            .where(Breach.id == breach.id)
            .values(
                affected_persons=counts.persons,
                affected_records=counts.records,
                affected_counted_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        session.add(
            BreachChange(
                breach_id=breach.id,
                at=utcnow(),
                actor_id=actor.user_id,
                actor_name=actor.username[:100],
                action="affected_counted",
                changes={
                    "affected_persons": [_text(old[0]), str(counts.persons)],
                    "affected_records": [_text(old[1]), str(counts.records)],
                },
                note=f"window {counts.window_start.isoformat()} to {counts.window_end.isoformat()}"
                + (" (end not recorded: counted to now)" if counts.window_open else ""),
            )
        )
        audit.record(
            session,
            actor,
            "breach_affected_counted",
            "breach",
            breach.id,
            f"{counts.persons} persons, {counts.records} records",
        )
        session.commit()
        session.expire(breach)
    except Exception:
        session.rollback()
        raise
    return counts


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class AffectedPerson:
    id: int
    name: str
    email: str | None
    city: str | None
    country: str
    relationship: str


def affected_persons(
    session: Session,
    actor: Actor,
    breach_id: int,
    *,
    limit: int = settings.PAGE_SIZE,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> list[AffectedPerson]:
    """One page of the affected persons, by person id. Every page read is audited."""
    require(actor, Permission.MANAGE_BREACHES)
    now = now or utcnow()
    breach = _breach(session, breach_id)
    limit = max(1, min(limit, settings.MAX_PAGE_SIZE))
    offset = max(0, offset)
    query = (
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.email,
            Person.city,
            Person.country,
            Person.relationship,
        )
        .where(_conditions(session, breach, now).affected)
        .order_by(Person.id)
        .limit(limit)
        .offset(offset)
    )
    rows = [
        AffectedPerson(pid, f"{first} {last}", email, city, country, relationship)
        for pid, first, last, email, city, country, relationship in session.execute(query)
    ]
    audit.record(
        session,
        actor,
        "breach_affected_viewed",
        "breach",
        breach.id,
        f"rows {offset + 1}-{offset + len(rows)}" if rows else f"no rows from {offset + 1}",
    )
    session.commit()
    return rows


def concerns(session: Session, breach: Breach, person_id: int, now: dt.datetime) -> bool:
    """Whether the person is among the breach's affected persons (one indexed look-up)."""
    query = select(Person.id).where(
        Person.id == person_id, _conditions(session, breach, now).affected
    )
    return session.scalar(query) is not None


def categories_of(session: Session, breach: Breach, person_id: int, now: dt.datetime) -> list[str]:
    """The breach's categories in which the person's data was concerned (empty: not affected)."""
    conditions = _conditions(session, breach, now)
    flags = [case((c, 1), else_=0) for c in conditions.by_category.values()]
    row = session.execute(select(*flags).where(Person.id == person_id, conditions.affected)).first()
    if row is None:
        return []
    return [code for code, flag in zip(conditions.by_category, row, strict=True) if flag]


@dataclass(frozen=True)
class LetterRow:
    """One affected person's name and addresses, for the letters list."""

    id: int
    first_name: str
    last_name: str
    email: str | None
    street_address: str | None
    postal_code: str | None
    city: str | None
    country: str


def letter_rows(session: Session, breach: Breach, now: dt.datetime) -> Iterator[LetterRow]:
    """The affected persons by id, streamed in batches (the caller holds the permission)."""
    query = (
        select(
            Person.id,
            Person.first_name,
            Person.last_name,
            Person.email,
            Person.street_address,
            Person.postal_code,
            Person.city,
            Person.country,
        )
        .where(_conditions(session, breach, now).affected)
        .order_by(Person.id)
        .execution_options(yield_per=settings.EXPORT_BATCH_ROWS)
    )
    for row in session.execute(query):
        yield LetterRow(*row)
