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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Session

from registry import settings
from registry.errors import NotFound
from registry.models import (
    Activity,
    Amendment,
    AppUser,
    AuditEvent,
    Breach,
    ConsentState,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    Order,
    Person,
    Recipient,
)
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


FLAGS = "breach_flags"  # the per-person tests, computed once per person


class _Flags:
    """The per-person tests a breach's conditions are made of, each one computed once.

    Each test "the person has rows in table T (matching ...)" is a LEFT JOIN of person to
    the distinct person ids of T, named, and the category flags and the filter are plain
    boolean logic over those names (`query`). Joined in person id order, PostgreSQL reads
    each table once along its person index (a merge join) instead of hashing millions of
    ids for every mention of the test.
    With `direct`, the tests are conditions on Person itself, a table's rows probed through
    its person index (EXISTS): what one person's check wants.
    """

    def __init__(self, direct: bool = False) -> None:
        self.direct = direct
        self.sets: dict[str, Any] = {}  # name -> subquery with one row per person id
        self.tests: dict[str, ColumnElement[bool]] = {}  # name -> test over those sets
        self.relationship = self._column(Person.relationship)
        self.created_at = self._column(Person.created_at)
        self.username = self._column(Person.username)

    def _column(self, column: Any) -> Any:
        if self.direct:
            return column
        return literal_column(f"{FLAGS}.{column.key}", column.type)

    def _joined(self, name: str, ids: Select) -> ColumnElement[bool]:
        if name not in self.sets:
            column = ids.selected_columns[0]
            distinct = ids.with_only_columns(column.label("person_id")).distinct()
            self.sets[name] = distinct.subquery(name)
            self.tests[name] = self.sets[name].c.person_id.is_not(None)
        return literal_column(f"{FLAGS}.{name}", Boolean())

    def disclosed(
        self,
        name: str,
        disclosures: Select,
        categories: list[str],
    ) -> dict[str, ColumnElement[bool]]:
        """Per category: persons in a disclosure of `disclosures` that carried it.

        One pass over the disclosures' per-person rows whatever the number of categories.
        """

        def carried(code: str) -> ColumnElement[bool]:
            # The categories are a JSON list of vocabulary words; its text holds each quoted.
            return cast(Disclosure.data_categories, String).like(f'%"{code}"%')

        if self.direct:
            return {
                code: exists().where(
                    DisclosedPerson.person_id == Person.id,
                    DisclosedPerson.disclosure_id.in_(disclosures.where(carried(code))),
                )
                for code in categories
            }
        if name not in self.sets:
            rows = (
                select(
                    DisclosedPerson.person_id.label("person_id"),
                    *(
                        func.max(case((carried(code), 1), else_=0)).label(code)
                        for code in categories
                    ),
                )
                .join(Disclosure, Disclosure.id == DisclosedPerson.disclosure_id)
                .where(Disclosure.id.in_(disclosures))
                .group_by(DisclosedPerson.person_id)
                .subquery(name)
            )
            self.sets[name] = rows
            for code in categories:
                # "> 0", not "= 1": PostgreSQL has no statistics on an aggregate and guesses
                # 0.5% of persons for an equality on it (9,502 of 407,103 for a newsletter
                # provider), then probes person by index for each; an inequality is guessed
                # at a third, and the plan hashes the set against one scan of person.
                self.tests[f"{name}_{code}"] = rows.c[code] > 0
        return {code: literal_column(f"{FLAGS}.{name}_{code}", Boolean()) for code in categories}

    def has_rows(
        self, name: str, person_id: Any, *where: ColumnElement[bool]
    ) -> ColumnElement[bool]:
        """Persons with a row in `person_id`'s table (matching `where`)."""
        if self.direct:
            return exists().where(person_id == Person.id, *where)
        return self._joined(name, select(person_id).where(*where))

    def in_persons(self, name: str, ids: Select | CompoundSelect) -> ColumnElement[bool]:
        """Persons whose id `ids` (a one-column query) yields."""
        if self.direct:
            return Person.id.in_(ids)
        if len(ids.selected_columns) != 1 or isinstance(ids, CompoundSelect):
            ids = select(ids.subquery().c[0])
        return self._joined(name, ids)

    def query(self, *columns: Any, where: ColumnElement[bool] | None = None) -> Select:
        """Person joined to each set of ids, with `columns` of person beside the tests."""
        wanted = {c.key: c for c in (Person.relationship, Person.created_at, Person.username)}
        wanted.update({c.key: c for c in columns})
        joined: Any = Person.__table__
        for ids in self.sets.values():
            joined = joined.outerjoin(ids, ids.c.person_id == Person.id)
        tests = [test.label(name) for name, test in self.tests.items()]
        query = select(*wanted.values(), *tests).select_from(joined)
        return query if where is None else query.where(where)

    def holds(self, code: str) -> ColumnElement[bool]:
        """Persons with data of the notice's category `code`."""
        if code == DataCategory.BASIC:
            return true()  # everyone has a name and contact details
        if code == DataCategory.CUSTOMER_RELATIONSHIP:
            # consent_state has a row for every person with a consent event, and is smaller.
            return or_(
                self.relationship == Relationship.CUSTOMER_CONTACT,
                self.has_rows("has_order", Order.person_id),
                self.has_rows("has_consent", ConsentState.person_id),
            )
        if code == DataCategory.SERVICE_USER:
            return or_(self.relationship == Relationship.SERVICE_USER, self.username.is_not(None))
        if code == DataCategory.TRANSACTIONS:
            return self.has_rows("has_activity", Activity.person_id)
        if code in set(ActivityKind):
            return self.has_rows(f"has_{code}", Activity.person_id, Activity.kind == code)
        return false()


def holds_category(code: str) -> ColumnElement[bool]:
    """Persons with data of the notice's category `code`, as a condition on Person."""
    return _Flags(direct=True).holds(code)


def scope_condition(recipient: Recipient, flags: _Flags | None = None) -> ColumnElement[bool]:
    """The persons `recipient` holds by its scope: registry.recipients.covered_persons_condition
    made of the tests above (the same persons; a test holds the two together)."""
    flags = flags or _Flags(direct=True)
    if recipient.scope == RecipientScope.ALL_PERSONS:
        return true()
    if recipient.scope != RecipientScope.CATEGORIES:
        return false()
    conditions = [flags.holds(code) for code in recipient.scope_categories or ()]
    if relationships := list(recipient.scope_relationships or ()):
        conditions.append(flags.relationship.in_(relationships))
    return or_(*conditions) if conditions else false()


def _audited(user: AppUser | None, start: dt.datetime, end: dt.datetime):  # type: ignore[no-untyped-def]
    """A function giving a column of the account's audit events of a record type in the
    window (none for a missing account)."""

    def events(record_type: str, column: ColumnElement, *where: ColumnElement[bool]) -> Select:
        if user is None:
            return select(column).where(false())
        # actor_name first: (actor_name, at) is indexed; the id makes the match exact.
        return select(column).where(
            AuditEvent.actor_name == user.username,
            AuditEvent.actor_id == user.id,
            AuditEvent.at >= start,
            AuditEvent.at <= end,
            AuditEvent.record_type == record_type,
            AuditEvent.record_id.is_not(None),
            *where,
        )

    return events


def _held(session: Session, breach: Breach, now: dt.datetime, f: _Flags) -> dict[str, list[Any]]:
    """Per category concerned: the ways the source held a person's data in it (any one will do)."""
    start, end = window(breach, now)
    categories = list(breach.data_categories)
    held: dict[str, list[Any]] = {c: [] for c in categories}

    def everyone(until: Any, *also: ColumnElement[bool]) -> None:
        for code in categories:
            held[code].append(and_(f.created_at <= until, *also, f.holds(code)))

    def disclosed(name: str, disclosures: Select, only: set[str] | None = None) -> None:
        codes = [c for c in categories if only is None or c in only]
        if not codes:
            return
        for code, test in f.disclosed(name, disclosures, codes).items():
            held[code].append(test)

    if breach.source == BreachSource.RECIPIENT:
        recipient = session.get(Recipient, breach.source_recipient_id)
        if recipient is None:
            return held
        disclosed(
            "disclosed",
            select(Disclosure.id).where(
                Disclosure.recipient_id == recipient.id, Disclosure.disclosed_at <= end
            ),
        )
        if recipient.scope != RecipientScope.PER_DISCLOSURE:
            everyone(end, scope_condition(recipient, f))
    elif breach.source == BreachSource.DASHBOARD_ACCOUNT:
        events = _audited(session.get(AppUser, breach.source_user_id), start, end)
        # record_id is text; the ids of these record types are always whole numbers, and the
        # cast applies only to the rows the filter keeps.
        if f.direct:
            # One person: look the person's own rows up in the audit trail's record index.
            def seen(record_type: str, record_id: Any) -> ColumnElement[bool]:
                return exists(events(record_type, literal(1), AuditEvent.record_id == record_id))

            viewed: ColumnElement[bool] = or_(
                seen(PERSON_RECORD, cast(Person.id, String)),
                exists().where(
                    DataSubjectRequest.person_id == Person.id,
                    seen(REQUEST_RECORD, cast(DataSubjectRequest.id, String)),
                ),
                exists().where(
                    Amendment.person_id == Person.id,
                    seen(AMENDMENT_RECORD, cast(Amendment.id, String)),
                ),
            )
        else:
            viewed = f.in_persons(
                "viewed",
                union(
                    events(PERSON_RECORD, cast(AuditEvent.record_id, BigInteger)),
                    select(DataSubjectRequest.person_id).where(
                        DataSubjectRequest.person_id.is_not(None),
                        DataSubjectRequest.id.in_(
                            events(REQUEST_RECORD, cast(AuditEvent.record_id, Integer))
                        ),
                    ),
                    select(Amendment.person_id).where(
                        Amendment.id.in_(
                            events(AMENDMENT_RECORD, cast(AuditEvent.record_id, BigInteger))
                        )
                    ),
                ),
            )
        for code in categories:
            held[code].append(and_(viewed, f.holds(code)))
        exported = select(Disclosure.id).where(
            Disclosure.id.in_(
                events(
                    "disclosure",
                    cast(AuditEvent.record_id, Integer),
                    AuditEvent.action.in_(EXPORT_ACTIONS),
                )
            )
        )
        disclosed("exported", exported)
        listed = events(
            "disclosure",
            cast(AuditEvent.record_id, Integer),
            AuditEvent.action.in_(LIST_VIEW_ACTIONS),
        )
        disclosed("listed", select(Disclosure.id).where(Disclosure.id.in_(listed)), {"basic"})
        # A backup holds everyone who existed when it was downloaded.
        last_backup = events(
            "backup", func.max(AuditEvent.at), AuditEvent.action == BACKUP_DOWNLOADED
        ).scalar_subquery()
        everyone(last_backup)
    elif breach.source_disclosure_id is not None:
        the_list = select(Disclosure.id).where(Disclosure.id == breach.source_disclosure_id)
        disclosed("on_device", the_list)
    else:
        everyone(end)
    return held


@dataclass(frozen=True)
class _Conditions:
    flags: _Flags
    affected: ColumnElement[bool]
    by_category: dict[str, ColumnElement[bool]]


def _conditions(
    session: Session, breach: Breach, now: dt.datetime, direct: bool = False
) -> _Conditions:
    f = _Flags(direct)
    by_category = {
        code: or_(*ways) if ways else false()
        for code, ways in _held(session, breach, now, f).items()
    }
    affected: ColumnElement[bool] = or_(*by_category.values()) if by_category else false()
    if breach.relationships:
        affected = and_(affected, f.relationship.in_(list(breach.relationships)))
    return _Conditions(f, affected, by_category)


def _flagged(
    conditions: _Conditions, *columns: Any, where: ColumnElement[bool] | None = None
) -> Any:
    """The per-person tests as the FROM of a query."""
    return conditions.flags.query(*columns, where=where).subquery(FLAGS)


def _breach(session: Session, breach_id: int) -> Breach:
    breach = session.get(Breach, breach_id)
    if breach is None:
        raise NotFound(f"Breach {breach_id} is not in the register.")
    return breach


def _analytic(session: Session) -> None:
    """PostgreSQL settings for a statement over every person, for this transaction only.

    The merge joins stream on one core; parallel workers would each rebuild the joins on a
    machine whose cores are busy already, and compiling the statement (JIT) costs more
    than it saves at this size.
    """
    if session.get_bind().dialect.name == "postgresql":
        for setting, value in settings.BREACH_PLANNER.items():
            session.execute(select(func.set_config(setting, value, True)))
