"""Data-subject requests in every kind and status with their transitions, the amendments of
completed rectifications, and the recipients told of them (Art. 19)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, func, insert, select, update

from demo.arrays import slugify
from demo.data.texts import (
    EXTENSION_REASONS,
    IDENTITY_METHODS,
    REJECTIONS,
    REQUEST_DETAILS,
    REQUEST_OUTCOMES,
)
from registry import deadlines, settings
from registry.models import (
    Amendment,
    ConsentEvent,
    ConsentState,
    DataSubjectRequest,
    DisclosedPerson,
    Disclosure,
    Person,
    RecipientNotification,
    RequestTransition,
    Restriction,
)
from registry.vocabulary import (
    CONSENT_PRECEDENCE,
    ConsentStatus,
    Purpose,
    RequestChannel,
    RequestKind,
    RequestStatus,
    RestrictionGround,
)

if TYPE_CHECKING:
    from demo.seeder import Seeder

# The reply language of a request follows the person's country (registry.report.language).
_REPLY_LANGUAGES = {"FI": "fi", "SE": "sv", "AX": "sv"}


# The kinds and channels the demo's requests are drawn from: the five kinds and three written
# channels it has always had, so its requests keep their numbers (issue 14 names #19, #26,
# #28); the later kinds and channels are logged by hand or in tests.
SEEDED_KINDS = (
    RequestKind.ACCESS,
    RequestKind.RECTIFICATION,
    RequestKind.OBJECTION,
    RequestKind.ERASURE,
    RequestKind.RESTRICTION,
)
SEEDED_CHANNELS = (RequestChannel.LETTER, RequestChannel.EMAIL, RequestChannel.WEB_FORM)


def insert_requests(seeder: Seeder, conn: Connection) -> None:
    rng = seeder.rng(3)
    n = max(30, min(500, seeder.persons // 2_000))
    kinds, statuses, channels = SEEDED_KINDS, tuple(RequestStatus), SEEDED_CHANNELS
    first_person = seeder.ids.next["person"] - seeder.persons
    matched = rng.random(n) < 0.85
    person_ids = rng.integers(first_person, first_person + seeder.persons, n)
    wanted = sorted({int(p) for p, m in zip(person_ids, matched, strict=True) if m})
    people = {
        row.id: row
        for row in conn.execute(
            select(
                Person.id,
                Person.first_name,
                Person.last_name,
                Person.email,
                Person.phone,
                Person.street_address,
                Person.postal_code,
                Person.city,
                Person.country,
                Person.created_at,
                Person.updated_at,
            ).where(Person.id.in_(wanted))
        )
    }
    soon = _received_due_soon(seeder)
    open_days = [40, soon, 12, 33, 5, soon - 1, 19, 2]
    first_id = seeder.ids.take("data_subject_request", n)
    requests: list[dict[str, Any]] = []
    transitions: list[dict[str, Any]] = []
    actor = seeder.compliance_id
    opened = 0

    def at_day(day: dt.date, hour: float) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(), settings.REGISTRY_TZ)
        moment = (local + dt.timedelta(hours=hour)).astimezone(dt.UTC)
        return min(moment, seeder.ref_datetime - dt.timedelta(minutes=5))

    for i in range(n):
        if i < 25:  # every kind in every status, and every channel
            kind, status = kinds[i % 5], statuses[(i // 5) % 5]
        else:
            kind = kinds[rng.choice(5, p=[0.4, 0.15, 0.25, 0.15, 0.05])]
            status = statuses[rng.choice(5, p=[0.1, 0.1, 0.07, 0.63, 0.1])]
        channel = channels[i % 3] if i < 25 else channels[rng.choice(3, p=[0.15, 0.55, 0.3])]
        if status in (RequestStatus.RECEIVED, RequestStatus.VERIFIED):
            days_ago = (
                open_days[opened % len(open_days)] if opened < 16 else int(rng.integers(1, 45))
            )
            opened += 1
        elif status == RequestStatus.EXTENDED:
            days_ago = int(rng.integers(25, 100))
        else:
            days_ago = int(rng.integers(20, 720))
        received_on = seeder.today - dt.timedelta(days=max(days_ago, 1))
        extended = status == RequestStatus.EXTENDED
        received_at = at_day(received_on, 8 + rng.random() * 8)
        person = people.get(int(person_ids[i])) if matched[i] else None
        if person is not None:
            name = f"{person.first_name} {person.last_name}"
            if channel == RequestChannel.LETTER and person.street_address:
                contact = f"{person.street_address}, {person.postal_code} {person.city}"
            else:
                contact = person.email or f"{slugify(name)}@example.org"
        else:
            given = seeder.pools.females["fi"][rng.integers(400)]
            name = f"{given} {seeder.pools.lasts['fi'][rng.integers(600)]}"
            contact = f"{slugify(name).replace('-', '.')}@example.org"
        row: dict[str, Any] = {
            "id": first_id + i,
            "kind": kind.value,
            "channel": channel.value,
            "received_on": received_on,
            "requester_name": name,
            "requester_contact": contact,
            "details": REQUEST_DETAILS[kind]
            + ("" if person else " (No match in the register by name or email.)"),
            "person_id": person.id if person else None,
            "status": status.value,
            "assignee_id": actor,
            "due_on": deadlines.due_date(received_on, extended=extended),
            "identity_method": None,
            "identity_note": None,
            "identity_verified_at": None,
            "extension_reason": None,
            "extended_at": None,
            "report_generated_at": None,
            "outcome": None,
            "closed_at": None,
            "created_by": actor,
            "created_at": received_at,
            # Letters in the language of the person's country (registry.report.language).
            "reply_language": _REPLY_LANGUAGES.get(person.country if person else "FI", "en"),
            "extension_told_on": None,
            "extension_told_channel": None,
        }
        steps: list[tuple[str, str | None, str, str | None, dt.datetime]] = [
            ("receive", None, "received", f"Received by {channel.value}", received_at)
        ]
        verified = status in (
            RequestStatus.VERIFIED,
            RequestStatus.EXTENDED,
            RequestStatus.COMPLETED,
        ) or (status == RequestStatus.REJECTED and rng.random() < 0.5)
        moment = received_at
        if verified:
            moment = min(
                received_at + dt.timedelta(days=float(rng.uniform(0.2, 4))),
                seeder.ref_datetime - dt.timedelta(minutes=4),
            )
            method = IDENTITY_METHODS[rng.integers(len(IDENTITY_METHODS))]
            row |= {"identity_method": method, "identity_verified_at": moment}
            row["identity_note"] = "Matched the register." if person else "Requester confirmed."
            steps.append(("verify_identity", "received", "verified", method, moment))
        if status == RequestStatus.EXTENDED or (
            status == RequestStatus.COMPLETED and rng.random() < 0.1
        ):
            first_due = at_day(deadlines.due_date(received_on), 8)
            limit = min(first_due, seeder.ref_datetime) - dt.timedelta(hours=1)
            moment = max(moment, min(moment + dt.timedelta(days=float(rng.uniform(3, 20))), limit))
            reason = EXTENSION_REASONS[rng.integers(len(EXTENSION_REASONS))]
            row |= {"extension_reason": reason, "extended_at": moment}
            row["due_on"] = deadlines.due_date(received_on, extended=True)
            if i % 5:  # one in five is flagged: the person was not told (yet)
                row["extension_told_on"] = moment.astimezone(settings.REGISTRY_TZ).date()
                row["extension_told_channel"] = channel.value
            steps.append(("extend", "verified", "extended", reason, moment))
        if status in (RequestStatus.COMPLETED, RequestStatus.REJECTED):
            due = at_day(row["due_on"], 16)
            late = rng.random() < 0.08  # a few answered late, as happens
            end = due + dt.timedelta(days=10) if late else due
            closed = moment + (min(end, seeder.ref_datetime) - moment) * float(
                rng.uniform(0.1, 0.9)
            )
            if status == RequestStatus.COMPLETED:
                outcome = REQUEST_OUTCOMES[kind]
                if kind == RequestKind.ACCESS:
                    row["report_generated_at"] = closed - dt.timedelta(hours=2)
                steps.append(("complete", steps[-1][2], "completed", outcome, closed))
            else:
                outcome = REJECTIONS[0 if not verified else 1]
                steps.append(("reject", steps[-1][2], "rejected", outcome, closed))
            row |= {"outcome": outcome, "closed_at": closed}
        requests.append(row)
        for action, from_status, to_status, note, at in steps:
            transitions.append(
                {
                    "request_id": row["id"],
                    "action": action,
                    "from_status": from_status,
                    "to_status": to_status,
                    "note": note,
                    "actor_id": actor,
                    "at": at,
                }
            )
    first_transition = seeder.ids.take("request_transition", len(transitions))
    for j, t in enumerate(transitions):
        t["id"] = first_transition + j
    seeder.insert(conn, DataSubjectRequest, requests)
    seeder.insert(conn, RequestTransition, transitions)
    _apply_rights(seeder, conn, requests, actor)

    if actor is None:
        return  # an amendment names who made it; without accounts there is no one
    # Completed rectifications changed a field; a few more were corrected on notice.
    amendments: list[dict[str, Any]] = []
    for row in requests:
        if (
            row["kind"] == RequestKind.RECTIFICATION
            and row["status"] == RequestStatus.COMPLETED
            and row["person_id"] in people
        ):
            when = row["closed_at"] - dt.timedelta(hours=1)
            amendments.append(_amendment(seeder, rng, people[row["person_id"]], when, row["id"]))
    extra = min(50, 3 + seeder.persons // 20_000)
    for pid in rng.choice(wanted, size=min(extra, len(wanted)), replace=False).tolist():
        person = people[pid]
        span = (person.updated_at - person.created_at) * float(rng.random())
        amendments.append(_amendment(seeder, rng, person, person.created_at + span, None))
    first_amendment = seeder.ids.take("amendment", len(amendments))
    for j, a in enumerate(amendments):
        a["id"] = first_amendment + j
        a["amended_by"] = actor
    seeder.insert(conn, Amendment, amendments)
    # Art. 19: recipients who had the person's data before a request-driven change were told.
    by_request = [a for a in amendments if a["request_id"] is not None]
    received: dict[int, list[tuple[dt.datetime, int]]] = {}
    for person_id, at, recipient_id in conn.execute(
        select(DisclosedPerson.person_id, Disclosure.disclosed_at, Disclosure.recipient_id)
        .join(Disclosure, DisclosedPerson.disclosure_id == Disclosure.id)
        .where(DisclosedPerson.person_id.in_([a["person_id"] for a in by_request]))
    ):
        received.setdefault(person_id, []).append((at, recipient_id))
    notifications: list[dict[str, Any]] = []
    for a in by_request:
        earlier = {r for at, r in received.get(a["person_id"], []) if at < a["amended_at"]}
        for recipient_id in sorted(earlier):
            notifications.append(
                {
                    "amendment_id": a["id"],
                    "recipient_id": recipient_id,
                    "notified_by": actor,
                    "notified_at": a["amended_at"] + dt.timedelta(hours=2),
                }
            )
    first_notification = seeder.ids.take("recipient_notification", len(notifications))
    for j, notification in enumerate(notifications):
        notification["id"] = first_notification + j
    seeder.insert(conn, RecipientNotification, notifications)


def _received_due_soon(seeder: Seeder) -> int:
    """Days ago a request was received for it to fall due within the next week."""
    for days_ago in range(31, 15, -1):
        left = (deadlines.due_date(seeder.today - dt.timedelta(days=days_ago)) - seeder.today).days
        if 1 <= left <= settings.DUE_SOON_DAYS:
            return days_ago
    return 27


def _amendment(
    seeder: Seeder, rng: np.random.Generator, person: Any, when: dt.datetime, request_id: int | None
) -> dict[str, Any]:
    """An Art. 16 correction whose new value is the person's current one."""
    options = [
        f
        for f in ("email", "phone", "street_address", "last_name")
        if getattr(person, f) is not None
    ]
    field_ = options[rng.integers(len(options))]
    new = getattr(person, field_)
    match field_:
        case "email":
            local, _, domain = new.partition("@")
            old = f"{local}@{'example.org' if domain == 'example.net' else 'example.net'}"
            reason = "The email address had changed; mail bounced."
        case "phone":
            old = new[:-4] + new[-2:] + new[-4:-2]
            reason = "Two digits of the phone number were swapped."
        case "street_address":
            old = re.sub(r"\d+", lambda m: str(int(m.group()) + 2), new, count=1)
            reason = "The person moved; new address given in writing."
        case _:
            old = seeder.pools.lasts["fi"][rng.integers(600)]
            reason = "Surname changed on marriage."
    if request_id is not None:
        reason += " (data-subject request)"
    return {
        "person_id": person.id,
        "field": field_,
        "old_value": old,
        "new_value": new,
        "reason": reason,
        "request_id": request_id,
        "amended_at": min(when, seeder.ref_datetime - dt.timedelta(minutes=1)),
    }


def _apply_rights(
    seeder: Seeder, conn: Connection, requests: list[dict[str, Any]], actor: int | None
) -> None:
    """What the requests say is what the data shows (issue 14): an objection matched to a
    person is recorded when the request came in (Art. 21(3)), and a completed restriction
    restricted its person, lifted (the person told) before the person's data went anywhere
    again, as "restricted until the address was confirmed" says."""
    objections = [
        r
        for r in requests
        if r["kind"] == RequestKind.OBJECTION
        and r["person_id"] is not None
        and r["status"] != RequestStatus.REJECTED
    ]
    events: list[dict[str, Any]] = []
    first = seeder.ids.take("consent_event", len(objections) * len(Purpose))
    for r in objections:
        at = r["created_at"]
        evidence = (
            f"Data-subject request #{r['id']} ({r['channel']}, received "
            f"{r['received_on'].isoformat()}): {r['details']}"
        )
        for purpose in Purpose:
            events.append(
                {
                    "id": first + len(events),
                    "person_id": r["person_id"],
                    "purpose": purpose.value,
                    "status": ConsentStatus.OBJECTED.value,
                    "occurred_at": at,
                    "source": r["channel"],
                    "evidence": evidence,
                    "recorded_by": actor,
                    "recorded_at": at,
                }
            )
        conn.execute(
            update(DataSubjectRequest)
            .where(DataSubjectRequest.id == r["id"])
            .values(objection_recorded_at=at)
        )
    seeder.insert(conn, ConsentEvent, events)
    # The current status follows each new event that wins (registry.consent's order).
    state = ConsentState
    for e in events:
        current = conn.execute(
            select(state.event_id, ConsentEvent.occurred_at, ConsentEvent.status)
            .join(ConsentEvent, ConsentEvent.id == state.event_id)
            .where(state.person_id == e["person_id"], state.purpose == e["purpose"])
        ).first()
        mine = (e["occurred_at"], CONSENT_PRECEDENCE[e["status"]], e["id"])
        values = {
            "status": e["status"],
            "event_id": e["id"],
            "occurred_at": e["occurred_at"],
            "has_evidence": True,
        }
        if current is None:
            conn.execute(
                insert(state).values(person_id=e["person_id"], purpose=e["purpose"], **values)
            )
            seeder.count("consent_state", 1)
        elif mine > (current.occurred_at, CONSENT_PRECEDENCE[current.status], current.event_id):
            conn.execute(
                update(state)
                .where(state.person_id == e["person_id"], state.purpose == e["purpose"])
                .values(**values)
            )

    restricted = [
        r
        for r in requests
        if r["kind"] in (RequestKind.RESTRICTION, RequestKind.CONTESTED_ACCURACY)
        and r["person_id"] is not None
        and r["status"] == RequestStatus.COMPLETED
    ]
    rows: list[dict[str, Any]] = []
    for r in restricted:
        since = r["closed_at"]
        next_disclosure = conn.scalar(
            select(func.min(Disclosure.disclosed_at))
            .join(DisclosedPerson, DisclosedPerson.disclosure_id == Disclosure.id)
            .where(DisclosedPerson.person_id == r["person_id"], Disclosure.disclosed_at >= since)
        )
        lifted = min(
            since + dt.timedelta(days=14),
            seeder.ref_datetime - dt.timedelta(minutes=1),
            *([next_disclosure - dt.timedelta(minutes=1)] if next_disclosure else []),
        )
        lifted = max(lifted, since)
        rows.append(
            {
                "person_id": r["person_id"],
                "ground": RestrictionGround.ACCURACY_CONTESTED.value,
                "reason": f"Data-subject request #{r['id']}: {r['outcome']}",
                "request_id": r["id"],
                "since": since,
                "restricted_by": actor,
                "lifted_at": lifted,
                "lifted_by": actor,
                "lift_reason": "The address was confirmed.",
                "person_told_on": since.astimezone(settings.REGISTRY_TZ).date(),
                "person_told_how": "Email",
            }
        )
    seeder.insert(conn, Restriction, rows)
