"""The pages of restriction and objection (AppTest, both backends): completing a restriction
request with its ground, the restricted person marked on the Persons page with the lifting
and the Art. 19 ticks, a request logged by phone, a marketing grant over an objection refused
beside the field, and the portable data of a portability request."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from registry import consent, restrictions
from registry.models import DataSubjectRequest, Restriction, RestrictionNotification
from registry.requests import transitions
from registry.vocabulary import (
    ConsentSource,
    ConsentStatus,
    Purpose,
    RequestKind,
    RequestStatus,
    RestrictionGround,
    Role,
)
from tests import factories
from tests.test_persons_page import build, open_person

REQUESTS = "pages/requests.py"
CONSENT = "pages/consent.py"


def _button(at, label):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def _open_request(app_test, url, actor, request_id):  # type: ignore[no-untyped-def]
    at = app_test(url, actor, REQUESTS)
    at.session_state["requests_selected_id"] = request_id
    at.run()
    assert not at.exception, at.exception
    return at


def test_completing_a_restriction_request_asks_the_ground_and_restricts(
    database_url, session, actors, app_test
):
    officer = actors[Role.COMPLIANCE]
    person, _ = build(session, officer)
    request = factories.request_row(
        session, RequestKind.RESTRICTION, person_id=person.id, status=RequestStatus.VERIFIED
    )
    at = _open_request(app_test, database_url, officer, request.id)
    next(t for t in at.text_area if t.label == "Outcome").set_value("Restricted")
    _button(at, "Complete the request").click()
    at.run()
    assert "Choose the ground of the restriction (Art. 18(1))." in [e.value for e in at.error]
    assert session.scalar(select(Restriction.id)) is None
    at.selectbox(key="requests_complete_ground").set_value(RestrictionGround.LEGAL_CLAIMS)
    _button(at, "Complete the request").click()
    at.run()
    assert not at.exception, at.exception
    session.expire_all()
    assert session.get(DataSubjectRequest, request.id).status == RequestStatus.COMPLETED
    assert session.scalars(select(Restriction.ground)).one() == RestrictionGround.LEGAL_CLAIMS
    facts = " ".join(m.value for m in at.markdown)
    assert "RESTRICTED" in facts


def test_the_persons_page_marks_a_restriction_lifts_it_and_ticks_a_recipient(
    database_url, session, actors, app_test
):
    officer = actors[Role.COMPLIANCE]
    person, dealer = build(session, officer)
    restrictions.add_restriction(
        session, officer, person.id, RestrictionGround.ACCURACY_CONTESTED, "Address contested"
    )
    session.commit()
    at = open_person(app_test, database_url, officer, person.id)
    assert any("Processing restricted" in e.value for e in at.error)
    # The recipient that had the data before the restriction, to be told (Art. 19).
    box = at.checkbox(key=f"persons_restriction_told_{_restriction_id(session)}_{dealer.id}_False")
    box.check().run()
    assert not at.exception, at.exception
    assert session.scalar(select(RestrictionNotification.recipient_id)) == dealer.id
    # Lifting without saying when the person was told is refused beside the field.
    at.text_area(key="persons_lift_reason").set_value("Address confirmed by the person")
    at.selectbox(key="persons_lift_told_how").set_value("Letter")
    at.button(key="FormSubmitter:persons_lift_form-Lift the restriction").click().run()
    assert any("Art. 18(3)" in e.value for e in at.error)
    session.expire_all()
    assert session.scalars(select(Restriction.lifted_at)).one() is None
    at.date_input(key="persons_lift_told_on").set_value(dt.date.today())
    at.button(key="FormSubmitter:persons_lift_form-Lift the restriction").click().run()
    assert not at.exception, at.exception
    session.expire_all()
    assert session.scalars(select(Restriction.lifted_at)).one() is not None
    assert not any("Processing restricted" in e.value for e in at.error)


def _restriction_id(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalars(select(Restriction.id)).one()


def test_a_request_by_phone_is_logged_and_its_objection_recorded(
    database_url, session, actors, app_test
):
    officer = actors[Role.COMPLIANCE]
    person, _ = build(session, officer)
    at = app_test(database_url, officer, REQUESTS)
    at.text_input(key="requests_log_person_search").input("virt").run()
    at.selectbox(key="requests_log_person").set_value(person.id).run()
    at.selectbox(key="requests_log_kind").set_value(RequestKind.OBJECTION)
    at.selectbox(key="requests_log_channel").set_value("phone")
    at.text_input(key="requests_log_contact").set_value("+358 40 123 4567")
    at.button(key="FormSubmitter:requests_log_form-Log the request").click().run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error]
    assert set(consent.current_status(session, person.id).values()) == {ConsentStatus.OBJECTED}


def test_marketing_sees_the_refusal_of_a_grant_over_an_objection_by_the_field(
    database_url, session, actors, app_test
):
    person, _ = build(session, actors[Role.COMPLIANCE])
    consent.record_objection(session, actors[Role.COMPLIANCE], person.id, ConsentSource.LETTER)
    at = app_test(database_url, actors[Role.MARKETING], CONSENT)
    at.session_state["consent_tab"] = "Find a person"
    at.session_state["consent_person_id"] = person.id
    at.run()
    assert not at.exception, at.exception
    tabs_with_person = [w for w in at.warning if "objected to direct marketing" in w.value]
    assert tabs_with_person, [w.value for w in at.warning]
    at.multiselect(key="consent_purposes").set_value([Purpose.NEWSLETTER])
    at.selectbox(key="consent_source").set_value(ConsentSource.LETTER)
    at.text_area(key="consent_evidence").set_value("signed form")
    at.button(key="FormSubmitter:consent_record_form-Record grant").click().run()
    assert any("Only the compliance officer" in e.value for e in at.error)
    assert consent.current_status(session, person.id)[Purpose.NEWSLETTER] == "objected"


def test_the_portable_data_is_generated_and_offered_for_download(
    database_url, session, actors, app_test
):
    officer = actors[Role.COMPLIANCE]
    person, _ = build(session, officer)
    request = factories.request_row(
        session, RequestKind.PORTABILITY, person_id=person.id, status=RequestStatus.VERIFIED
    )
    at = _open_request(app_test, database_url, officer, request.id)
    _button(at, "Generate the person's data").click()
    at.run()
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download JSON", "Download CSV", "Download XLSX"]
    session.expire_all()
    assert session.get(DataSubjectRequest, request.id).data_exported_at is not None
    transitions.complete(session, officer, request.id, "Sent")
