"""Data-subject requests: logging, every allowed and forbidden transition, the queue, export."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry import consent, deadlines, report
from registry.errors import ConflictError, PermissionDenied, ValidationError
from registry.models import (
    AuditEvent,
    ConsentEvent,
    DataSubjectRequest,
    Person,
    RequestTransition,
    utcnow,
)
from registry.report import notices
from registry.requests import intake, queue, request_view, rules, transitions
from registry.requests.queue import QueueFilter
from registry.requests.rules import Action
from registry.vocabulary import ConsentStatus, Purpose, RequestKind, RequestStatus, Role
from tests import factories
from tests.conftest import make_user
from tests.factories import csv_rows

S = RequestStatus
TODAY = dt.date(2026, 3, 10)


def _person(session, first="Maija", last="Virtanen", email="maija.virtanen@example.fi") -> Person:
    source = "Information provided by the customer"
    return factories.person(session, first, last, email=email, source=source, country="FI")


def _request(
    session,
    *,
    status=S.RECEIVED,
    kind=RequestKind.ACCESS,
    received_on=TODAY,
    person_id=None,
    assignee_id=None,
    requester_name="Maija Virtanen",
    requester_contact="maija.virtanen@example.fi",
    closed_at=None,
) -> DataSubjectRequest:
    """A request put straight into `status`, with what that status implies already done."""
    verified = status in (S.VERIFIED, S.EXTENDED, S.COMPLETED)
    r = DataSubjectRequest(
        kind=kind,
        channel="email",
        received_on=received_on,
        requester_name=requester_name,
        requester_contact=requester_contact,
        details="",
        person_id=person_id,
        status=status,
        assignee_id=assignee_id,
        due_on=deadlines.due_date(received_on, extended=status == S.EXTENDED),
        identity_method=rules.IDENTITY_METHODS[0] if verified else None,
        identity_verified_at=utcnow() if verified else None,
        extended_at=utcnow() if status == S.EXTENDED else None,
        extension_reason="Many requests at once" if status == S.EXTENDED else None,
        report_generated_at=utcnow() if verified else None,
        closed_at=closed_at or (utcnow() if status in (S.COMPLETED, S.REJECTED) else None),
    )
    session.add(r)
    session.commit()
    return r


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- logging ---------------------------------------------------------------------------


def test_logging_stores_the_due_date_history_and_audit_event(session, actors):
    actor = actors[Role.COMPLIANCE]
    person = _person(session)
    r = intake.log_request(
        session,
        actor,
        kind="access",
        channel="email",
        received_on=dt.date(2026, 3, 5),
        requester_name="  Maija Virtanen ",
        requester_contact="Maija.Virtanen@Example.FI",
        details="Please send me everything you hold on me.",
        person_id=person.id,
        today=TODAY,
    )
    session.expire_all()
    stored = session.get(DataSubjectRequest, r.id)
    assert stored.due_on == dt.date(2026, 4, 7)  # DESIGN.md: Easter moves it
    assert stored.status == S.RECEIVED
    assert stored.requester_name == "Maija Virtanen"
    assert stored.requester_contact == "Maija.Virtanen@example.fi"  # domain part normalised
    assert stored.created_by == actor.user_id
    history = request_view.detail(session, actor, r.id, today=TODAY).history
    assert [(h.action, h.from_status, h.to_status, h.note) for h in history] == [
        ("receive", None, "received", "Access (Art. 15) by email")
    ]
    assert history[0].actor_name == "Test compliance"
    assert session.scalars(select(AuditEvent.action)).all() == ["request_receive"]


def test_a_letter_may_give_a_postal_address(session, actors):
    r = intake.log_request(
        session,
        actors[Role.COMPLIANCE],
        kind="rectification",
        channel="letter",
        received_on=TODAY,
        requester_name="Pekka Korhonen",
        requester_contact="Hämeenkatu 1 A 2, 33100 Tampere",
        today=TODAY,
    )
    assert r.person_id is None and r.requester_contact == "Hämeenkatu 1 A 2, 33100 Tampere"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"received_on": TODAY + dt.timedelta(days=1)}, "received_on", "future"),
        ({"received_on": dt.date(2018, 5, 24)}, "received_on", "25 May 2018"),
        ({"kind": "complaint"}, "kind", "Choose what"),
        ({"channel": "fax"}, "channel", "how the request came in"),
        ({"requester_name": "   "}, "requester_name", "Enter the name"),
        ({"requester_name": "x" * 201}, "requester_name", "under 200"),
        ({"requester_contact": ""}, "requester_contact", "Enter a contact"),
        ({"requester_contact": "maija(at)example.fi"}, "requester_contact", "valid email"),
        ({"requester_contact": "@example.fi", "channel": "letter"}, "requester_contact", "email"),
        ({"details": "x" * 2001}, "details", "under 2000"),
        ({"person_id": 999_999}, "person_id", "no longer"),
    ],
)
def test_logging_refuses_bad_input_and_stores_nothing(session, actors, change, field, message):
    values = {
        "kind": "access",
        "channel": "email",
        "received_on": TODAY,
        "requester_name": "Maija Virtanen",
        "requester_contact": "maija@example.fi",
        "details": "",
        "person_id": None,
    } | change
    with pytest.raises(ValidationError) as e:
        intake.log_request(session, actors[Role.COMPLIANCE], **values, today=TODAY)
    assert field in e.value.field_errors and message in e.value.field_errors[field]
    assert _count(session, DataSubjectRequest) == 0
    assert _count(session, AuditEvent) == 0


@pytest.mark.parametrize("role", [Role.MARKETING, Role.ADMINISTRATOR])
def test_only_compliance_handles_requests(session, actors, role):
    actor = actors[role]
    r = _request(session)
    with pytest.raises(PermissionDenied):
        intake.log_request(
            session,
            actor,
            kind="access",
            channel="email",
            received_on=TODAY,
            requester_name="A",
            requester_contact="a@example.fi",
        )
    with pytest.raises(PermissionDenied):
        queue.queue(session, actor, QueueFilter())
    with pytest.raises(PermissionDenied):
        transitions.reject(session, actor, r.id, "no")
    with pytest.raises(PermissionDenied):
        report.generate(session, actor, r.id)
    assert _count(session, DataSubjectRequest) == 1 and _count(session, AuditEvent) == 0


# --- the state machine -----------------------------------------------------------------

# Worked out from the issue, independently of rules.TRANSITIONS: (action, from) -> to.
EXPECTED = {
    (Action.MATCH, S.RECEIVED): S.RECEIVED,
    (Action.VERIFY, S.RECEIVED): S.VERIFIED,
    (Action.ASSIGN, S.RECEIVED): S.RECEIVED,
    (Action.ASSIGN, S.VERIFIED): S.VERIFIED,
    (Action.ASSIGN, S.EXTENDED): S.EXTENDED,
    (Action.EXTEND, S.VERIFIED): S.EXTENDED,
    (Action.REPORT, S.VERIFIED): S.VERIFIED,
    (Action.REPORT, S.EXTENDED): S.EXTENDED,
    (Action.COMPLETE, S.VERIFIED): S.COMPLETED,
    (Action.COMPLETE, S.EXTENDED): S.COMPLETED,
    (Action.REJECT, S.RECEIVED): S.REJECTED,
    (Action.REJECT, S.VERIFIED): S.REJECTED,
    (Action.REJECT, S.EXTENDED): S.REJECTED,
    (Action.TELL_EXTENSION, S.EXTENDED): S.EXTENDED,
    (Action.LANGUAGE, S.RECEIVED): S.RECEIVED,
    (Action.LANGUAGE, S.VERIFIED): S.VERIFIED,
    (Action.LANGUAGE, S.EXTENDED): S.EXTENDED,
}
# Portable data is a step of portability requests alone: tested in tests/test_objection.py.
STEPS = [a for a in Action if a not in (Action.LOG, Action.PORTABLE)]


def _run(action, session, actor, request, person, today):
    match action:
        case Action.MATCH:
            transitions.match_person(session, actor, request.id, person.id)
        case Action.VERIFY:
            transitions.verify_identity(session, actor, request.id, rules.IDENTITY_METHODS[2])
        case Action.ASSIGN:
            transitions.assign(session, actor, request.id, actor.user_id)
        case Action.EXTEND:
            transitions.extend(session, actor, request.id, "Complex request", today=today)
        case Action.REPORT:
            report.generate(session, actor, request.id)
        case Action.COMPLETE:
            transitions.complete(session, actor, request.id, "Report sent by post")
        case Action.REJECT:
            transitions.reject(session, actor, request.id, "Identity could not be established")
        case Action.TELL_EXTENSION:
            notices.record_extension_told(session, actor, request.id, today, "email", today=today)
        case Action.LANGUAGE:
            notices.set_reply_language(session, actor, request.id, "sv")


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", STEPS)
def test_every_transition_is_allowed_or_refused_as_the_table_says(session, actors, action, status):
    actor = actors[Role.COMPLIANCE]
    person = _person(session)
    today = deadlines.today()
    r = _request(session, status=status, person_id=person.id, received_on=today)
    transitions_before = _count(session, RequestTransition)
    if (action, status) in EXPECTED:
        _run(action, session, actor, r, person, today)
        session.expire_all()
        after = session.get(DataSubjectRequest, r.id)
        assert after.status == EXPECTED[action, status]
        row = session.scalars(
            select(RequestTransition).order_by(RequestTransition.id.desc())
        ).first()
        assert (row.action, row.from_status, row.to_status, row.actor_id) == (
            action,
            status,
            EXPECTED[action, status],
            actor.user_id,
        )
        assert session.scalar(select(AuditEvent.action)) == f"request_{action}"
        assert action in rules.allowed_actions(status, r.kind)
    else:
        with pytest.raises(ConflictError, match=f"Request #{r.id} is"):
            _run(action, session, actor, r, person, today)
        session.expire_all()
        assert session.get(DataSubjectRequest, r.id).status == status
        assert _count(session, RequestTransition) == transitions_before
        assert _count(session, AuditEvent) == 0
        assert action not in rules.allowed_actions(status, r.kind)


def test_only_access_requests_get_a_report(session, actors):
    r = _request(session, status=S.VERIFIED, kind=RequestKind.RECTIFICATION)
    with pytest.raises(ConflictError, match="not an access request"):
        report.generate(session, actors[Role.COMPLIANCE], r.id)
    assert Action.REPORT not in rules.allowed_actions(S.VERIFIED, RequestKind.RECTIFICATION)


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_rejection_without_reason_is_refused_and_changes_nothing(session, actors, reason):
    r = _request(session, status=S.VERIFIED)
    with pytest.raises(ValidationError) as e:
        transitions.reject(session, actors[Role.COMPLIANCE], r.id, reason)
    assert e.value.field_errors == {
        "reason": "Give the reason for the rejection: the person must be told it."
    }
    session.expire_all()
    after = session.get(DataSubjectRequest, r.id)
    assert (after.status, after.outcome, after.closed_at) == (S.VERIFIED, None, None)
    assert _count(session, RequestTransition) == 0 and _count(session, AuditEvent) == 0


@pytest.mark.parametrize("reason", ["", "\t"])
def test_extension_without_reason_is_refused_and_changes_nothing(session, actors, reason):
    r = _request(session, status=S.VERIFIED, received_on=TODAY)
    with pytest.raises(ValidationError) as e:
        transitions.extend(session, actors[Role.COMPLIANCE], r.id, reason, today=TODAY)
    assert e.value.field_errors == {
        "reason": "Give the reason for the extension: the person must be told it."
    }
    session.expire_all()
    after = session.get(DataSubjectRequest, r.id)
    assert (after.status, after.due_on, after.extension_reason) == (
        S.VERIFIED,
        dt.date(2026, 4, 10),
        None,
    )
    assert _count(session, RequestTransition) == 0 and _count(session, AuditEvent) == 0


def test_extension_moves_the_due_date_to_three_months_after_receipt(session, actors):
    actor = actors[Role.COMPLIANCE]
    r = _request(session, status=S.VERIFIED, received_on=dt.date(2026, 3, 5))
    new_due = transitions.extend(session, actor, r.id, "Many requests at once", today=TODAY)
    assert new_due == dt.date(2026, 6, 5)
    view = request_view.detail(session, actor, r.id, today=TODAY)
    assert (view.status, view.due_on, view.original_due_on) == (
        S.EXTENDED,
        dt.date(2026, 6, 5),
        dt.date(2026, 4, 7),  # the day by which the person must be told
    )
    assert view.extension_reason == "Many requests at once"
    # The notice of extension is made and kept in the same step.
    assert view.history[-1].note == "Many requests at once; notice of extension #1 (fi)"


def test_extension_after_the_first_month_is_too_late(session, actors):
    r = _request(session, status=S.VERIFIED, received_on=dt.date(2026, 3, 5))
    with pytest.raises(ValidationError, match=r"told by 7\.4\.2026"):
        transitions.extend(
            session, actors[Role.COMPLIANCE], r.id, "Complex", today=dt.date(2026, 4, 8)
        )
    # On the original due date itself it is still in time.
    transitions.extend(session, actors[Role.COMPLIANCE], r.id, "Complex", today=dt.date(2026, 4, 7))


def test_identity_note_is_required_for_other_methods(session, actors):
    r = _request(session)
    with pytest.raises(ValidationError) as e:
        transitions.verify_identity(
            session, actors[Role.COMPLIANCE], r.id, rules.IDENTITY_METHODS[-1]
        )
    assert set(e.value.field_errors) == {"note"}
    with pytest.raises(ValidationError) as e:
        transitions.verify_identity(session, actors[Role.COMPLIANCE], r.id, "I just know")
    assert set(e.value.field_errors) == {"method"}
    session.expire_all()
    assert session.get(DataSubjectRequest, r.id).identity_verified_at is None


def test_assignee_must_be_an_active_request_handler(session, actors):
    r = _request(session)
    actor = actors[Role.COMPLIANCE]
    for other in (actors[Role.MARKETING].user_id, 999):
        with pytest.raises(ValidationError, match="handles requests"):
            transitions.assign(session, actor, r.id, other)
    retired = make_user(session, Role.COMPLIANCE, "retired-officer")
    retired.active = False
    session.commit()
    with pytest.raises(ValidationError):
        transitions.assign(session, actor, r.id, retired.id)
    assert transitions.assignees(session, actor) == [(actor.user_id, "Test compliance")]
    transitions.assign(session, actor, r.id, actor.user_id)
    assert request_view.detail(session, actor, r.id, today=TODAY).assignee_name == "Test compliance"


def test_completing_an_access_request_needs_the_report(session, actors):
    actor = actors[Role.COMPLIANCE]
    person = _person(session)
    r = _request(session, status=S.VERIFIED, person_id=person.id)
    r.report_generated_at = None
    session.commit()
    with pytest.raises(ValidationError, match="Generate the access report"):
        transitions.complete(session, actor, r.id, "Sent")
    report.generate(session, actor, r.id)
    transitions.complete(session, actor, r.id, "Report sent by email")
    view = request_view.detail(session, actor, r.id, today=TODAY)
    assert view.status == S.COMPLETED and view.outcome == "Report sent by email"
    assert [h.action for h in view.history] == ["report", "complete"]
    assert view.days_left == "closed" and view.actions == ()


def test_completing_an_objection_records_it_for_every_purpose(session, actors):
    actor = actors[Role.COMPLIANCE]
    person = _person(session)
    consent.record_consent(
        session, actor, person.id, ["newsletter", "profiling"], "granted", "web_form", "ticked"
    )
    r = _request(session, status=S.VERIFIED, kind=RequestKind.OBJECTION, person_id=person.id)
    transitions.complete(session, actor, r.id, "No more marketing, confirmed by email")
    assert set(consent.current_status(session, person.id).values()) == {ConsentStatus.OBJECTED}
    objections = session.scalars(
        select(ConsentEvent).where(ConsentEvent.status == ConsentStatus.OBJECTED)
    ).all()
    assert {e.purpose for e in objections} == set(Purpose)
    assert all(f"request #{r.id}" in e.evidence and e.source == "email" for e in objections)
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["consent_objected", "request_complete"]


def test_objection_and_completion_land_together_or_not_at_all(session, actors, monkeypatch):
    actor = actors[Role.COMPLIANCE]
    person = _person(session)
    r = _request(session, status=S.VERIFIED, kind=RequestKind.OBJECTION, person_id=person.id)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(
        transitions, "record_transition", broken
    )  # fails after the objection was added
    with pytest.raises(RuntimeError):
        transitions.complete(session, actor, r.id, "No more marketing")
    session.expire_all()
    assert _count(session, ConsentEvent) == 0
    assert session.get(DataSubjectRequest, r.id).status == S.VERIFIED
    assert _count(session, AuditEvent) == 0


def test_an_unmatched_objection_cannot_be_completed(session, actors):
    actor = actors[Role.COMPLIANCE]
    r = _request(session, status=S.VERIFIED, kind=RequestKind.OBJECTION)
    with pytest.raises(ValidationError, match="Not matched to a person"):
        transitions.complete(session, actor, r.id, "Done")
    person = _person(session)
    # The identity was verified against nobody: matching now would skip the check.
    with pytest.raises(ConflictError, match="only before the identity is verified"):
        transitions.match_person(session, actor, r.id, person.id)
    transitions.reject(session, actor, r.id, "The registry holds no data on the requester")
    assert _count(session, ConsentEvent) == 0


def test_a_matched_then_verified_objection_is_recorded(session, actors):
    actor = actors[Role.COMPLIANCE]
    person = _person(session)
    r = _request(session, kind=RequestKind.OBJECTION)
    transitions.match_person(session, actor, r.id, person.id)
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[0])
    transitions.complete(session, actor, r.id, "Done")
    assert consent.current_status(session, person.id)[Purpose.POST] == ConsentStatus.OBJECTED
    view = request_view.detail(session, actor, r.id, today=TODAY)
    assert [h.action_label for h in view.history] == [
        "Matched to a person",
        "Identity verified",
        "Completed",
    ]
    # By id only (Art. 17: no names); matching recorded the objection at once, and
    # completing did not record it again.
    assert view.history[0].note == (
        f"person {person.id} Objection to all direct marketing and profiling recorded (Art. 21(3))."
    )
    objections = select(func.count()).select_from(ConsentEvent)
    assert session.scalar(objections.where(ConsentEvent.status == "objected")) == len(Purpose)


# --- the queue -------------------------------------------------------------------------


@pytest.fixture
def queue_data(session, actors):
    """Eight requests around TODAY (Tuesday 10 March 2026) in every state."""
    actor = actors[Role.COMPLIANCE]
    other = make_user(session, Role.COMPLIANCE, "second-officer")
    person = _person(session, "Aino", "Mäkinen", "aino@example.fi")
    made = {
        "overdue": _request(
            session, received_on=dt.date(2026, 1, 20), requester_name="Olli Overdue"
        ),
        "today": _request(  # due 10 March: due today
            session,
            status=S.VERIFIED,
            received_on=dt.date(2026, 2, 10),
            requester_name="Tiina Today",
            assignee_id=actor.user_id,
        ),
        "soon": _request(  # due 17 March: 7 days left
            session,
            kind=RequestKind.RECTIFICATION,
            received_on=dt.date(2026, 2, 17),
            requester_name="Sanna Soon",
            requester_contact="sanna_soon@example.fi",
            person_id=person.id,
        ),
        "later": _request(  # due 18 March: 8 days left
            session,
            kind=RequestKind.OBJECTION,
            received_on=dt.date(2026, 2, 18),
            requester_name="Lauri Later",
            assignee_id=other.id,
        ),
        "new": _request(session, received_on=TODAY, requester_name="Niina New"),
        "extended": _request(
            session, status=S.EXTENDED, received_on=dt.date(2026, 1, 5), requester_name="Eero Ext"
        ),
        "done": _request(
            session,
            status=S.COMPLETED,
            received_on=dt.date(2026, 1, 2),
            requester_name="Daniel Done",
            closed_at=dt.datetime(2026, 1, 14, 10, tzinfo=dt.UTC),  # 12 days
        ),
        "rejected": _request(
            session,
            status=S.REJECTED,
            received_on=dt.date(2026, 2, 1),
            requester_name="Riikka Rejected",
            closed_at=dt.datetime(2026, 2, 21, 23, 30, tzinfo=dt.UTC),  # 22 Feb in Helsinki: 21
        ),
    }
    return actor, other, person, made


def test_queue_lists_open_requests_soonest_due_first_with_days_left(session, queue_data):
    actor, _other, _person, _made = queue_data
    rows = queue.queue(session, actor, QueueFilter(), today=TODAY)
    assert [r.requester_name for r in rows] == [
        "Olli Overdue",
        "Tiina Today",
        "Sanna Soon",
        "Lauri Later",
        "Eero Ext",
        "Niina New",
    ]
    assert [(r.days_left, r.urgency) for r in rows] == [
        ("18 days overdue", "overdue"),  # due Fri 20 Feb
        ("due today", "due_soon"),
        ("7 days left", "due_soon"),
        ("8 days left", "on_time"),
        ("28 days left", "on_time"),  # extended: 5 Apr is Easter Sunday, due Tue 7 Apr
        ("31 days left", "on_time"),  # due Fri 10 Apr
    ]
    assert rows[1].assignee_name == "Test compliance" and rows[0].assignee_name is None
    assert rows[2].person_name == "Aino Mäkinen" and rows[0].person_name is None
    assert queue.count(session, actor, QueueFilter()) == 6


@pytest.mark.parametrize(
    ("queue_filter", "expected"),
    [
        (QueueFilter(statuses=()), 8),
        (QueueFilter(statuses=("completed", "rejected")), 2),
        (QueueFilter(kinds=("rectification", "objection")), 2),
        (QueueFilter(assignee_id=queue.UNASSIGNED), 4),
        (QueueFilter(received_from=dt.date(2026, 2, 10)), 4),
        (QueueFilter(received_to=dt.date(2026, 1, 31)), 2),
        (QueueFilter(received_from=dt.date(2026, 2, 1), received_to=dt.date(2026, 2, 17)), 2),
        (QueueFilter(search="  SANNA "), 1),
        (QueueFilter(search="sanna_soon@"), 1),
        (QueueFilter(search="_"), 1),  # literal underscore, not a wildcard
        (QueueFilter(search="%"), 0),
        (QueueFilter(statuses=(), search="e"), 8),
    ],
)
def test_queue_filters(session, queue_data, queue_filter, expected):
    actor = queue_data[0]
    assert queue.count(session, actor, queue_filter) == expected
    assert len(queue.queue(session, actor, queue_filter, today=TODAY)) == expected


def test_queue_filter_by_assignee_and_sentence(session, queue_data):
    actor, other, _, _ = queue_data
    f = QueueFilter(assignee_id=other.id, kinds=("objection",))
    assert [r.requester_name for r in queue.queue(session, actor, f, today=TODAY)] == [
        "Lauri Later"
    ]
    assert f.describe({other.id: "Second Officer"}) == (
        "Requests received or identity verified or extended, "
        "of kind Objection to direct marketing (Art. 21), assigned to Second Officer"
    )


def test_queue_pages(session, queue_data):
    actor = queue_data[0]
    everything = QueueFilter(statuses=())
    first = queue.queue(session, actor, everything, today=TODAY, limit=3)
    second = queue.queue(session, actor, everything, today=TODAY, limit=3, offset=3)
    last = queue.queue(session, actor, everything, today=TODAY, limit=3, offset=6)
    ids = [r.id for r in first + second + last]
    assert len(first) == len(second) == 3 and len(last) == 2 and len(set(ids)) == 8
    rows = first + second + last
    closed = [r.status in ("completed", "rejected") for r in rows]
    assert closed == [False] * 6 + [True] * 2  # open requests first
    assert [r.due_on for r in rows[:6]] == sorted(r.due_on for r in rows[:6])
    assert [r.due_on for r in rows[6:]] == sorted(r.due_on for r in rows[6:])
    assert {
        r.days_left for r in first + second + last if r.status in ("completed", "rejected")
    } == {"closed"}


def test_queue_figures(session, queue_data):
    actor = queue_data[0]
    f = queue.figures(session, actor, today=TODAY)
    assert (f.open, f.due_this_week, f.overdue) == (6, 2, 1)
    assert f.closed_in_window == 2 and f.median_days_to_close == 16.5  # 12 and 21 days
    assert set(f.open_by_age) == {
        ("0–7 days", "access", 1),
        ("15–21 days", "rectification", 1),
        ("15–21 days", "objection", 1),
        ("22–31 days", "access", 1),
        ("over 31 days", "access", 2),
    }
    assert [b for b, _, _ in f.open_by_age] == sorted(
        [b for b, _, _ in f.open_by_age], key=[label for _, label in queue.age_bands()].index
    )
    # 90 days before 13 April is 13 January: both closings count; from 15 April only one.
    assert queue.figures(session, actor, today=dt.date(2026, 4, 13)).closed_in_window == 2
    later = queue.figures(session, actor, today=dt.date(2026, 4, 15))
    assert later.closed_in_window == 1 and later.median_days_to_close == 21


def test_export_is_the_whole_filtered_queue_and_is_audited(session, queue_data):
    actor, _, _, made = queue_data
    made["new"].requester_name = '=HYPERLINK("http://evil.example")'
    session.commit()
    text = queue.export_csv(session, actor, QueueFilter(), today=TODAY)
    rows = csv_rows(text)
    assert len(rows) == 6 and list(rows[0]) == list(queue.EXPORT_COLUMNS)
    assert rows[0]["days_left"] == "18 days overdue"
    assert rows[2]["person_name"] == "Aino Mäkinen"
    assert rows[5]["requester_name"] == '\'=HYPERLINK("http://evil.example")'
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "requests_exported")
    ).one()
    assert event.detail.startswith(
        "6 rows as CSV: Requests received or identity verified or extended"
    )
