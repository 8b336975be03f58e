"""The Requests page completes an erasure request with AppTest: the preview per table, the
refusal of an unmatched request with its reason, the erasure, and the Art. 19 recipients."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registry import consent, deadlines
from registry.models import Person
from registry.requests import intake, rules, transitions
from registry.vocabulary import ConsentSource, Purpose, RequestStatus, Role
from tests import factories
from tests.test_segments_export import recipient

PAGE = "pages/requests.py"


def _button(at, label):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def _open(at, request_id):  # type: ignore[no-untyped-def]
    at.session_state["requests_selected_id"] = request_id
    return at.run()


def _erasure(session, actor, person_id=None):  # type: ignore[no-untyped-def]
    request = intake.log_request(
        session,
        actor,
        kind="erasure",
        channel="email",
        received_on=deadlines.today() - dt.timedelta(days=2),
        requester_name="Outi Poisto",
        requester_contact="outi.poisto@example.fi",
        person_id=person_id,
    )
    transitions.verify_identity(session, actor, request.id, rules.IDENTITY_METHODS[0])
    return request


def test_an_erasure_is_previewed_then_carried_out(database_url, session, actors, app_test):
    officer = actors[Role.COMPLIANCE]
    outi = factories.person(session, "Outi", "Poisto", email="outi.poisto@example.fi")
    consent.record_consent(
        session, officer, outi.id, [Purpose.NEWSLETTER], "granted", ConsentSource.EMAIL, "form"
    )
    factories.disclosure(session, officer, recipient(session).id, [outi.id])
    request = _erasure(session, officer, outi.id)
    at = _open(app_test(database_url, officer, PAGE), request.id)
    assert not at.exception, at.exception
    shown = next(d.value for d in at.dataframe if "Kept until" in d.value.columns)
    rows = {
        (t, a): n for t, a, n in zip(shown["Table"], shown["Action"], shown["Rows"], strict=True)
    }
    assert rows[("consent_event", "Deleted")] == 1
    assert rows[("disclosed_person", "Deleted")] == 1
    assert rows[("person", "Anonymised")] == 1
    # Without a ground it is refused next to the field, and nothing is erased.
    at.text_area(key="requests_erasure_outcome").set_value("Erased as asked")
    _button(at, "Erase and complete the request").click()
    at.run()
    assert any("Choose the ground" in e.value for e in at.error)
    session.expire_all()
    assert session.get(Person, outi.id).erased_at is None
    at.multiselect(key="requests_erasure_grounds").set_value(["consent_withdrawn"])
    _button(at, "Erase and complete the request").click()
    at.run()
    assert not at.exception, at.exception
    session.expire_all()
    erased = session.get(Person, outi.id)
    assert erased.erased_at is not None and erased.email is None
    assert session.get(type(request), request.id).status == RequestStatus.COMPLETED
    at = _open(at, request.id)
    assert any("Recipients to tell of the erasure" in m.value for m in at.markdown)
    _button(at, "Mark told").click()
    at.run()
    assert any("Told " in m.value for m in at.markdown)


def test_an_unmatched_erasure_is_refused_with_the_reason(database_url, session, actors, app_test):
    officer = actors[Role.COMPLIANCE]
    request = _erasure(session, officer)
    at = _open(app_test(database_url, officer, PAGE), request.id)
    assert not at.exception, at.exception
    assert any("Not matched to a person" in e.value for e in at.error)
    assert not [b for b in at.button if b.label == "Erase and complete the request"]
    assert session.scalars(select(Person)).all() == []


def test_the_persons_page_says_a_person_was_erased_and_offers_no_amendment(
    database_url, session, actors, app_test
):
    from registry import amendments, erasure
    from registry.errors import ValidationError

    officer = actors[Role.COMPLIANCE]
    outi = factories.person(session, "Outi", "Poisto", email="outi.poisto@example.fi")
    request = _erasure(session, officer, outi.id)
    erasure.erase_for_request(session, officer, request.id, ["consent_withdrawn"], "Erased")
    at = app_test(database_url, officer, "pages/persons.py")
    at.session_state["persons_selected_id"] = outi.id
    at.run()
    assert not at.exception, at.exception
    assert [h.value for h in at.header] == [f"Erased person #{outi.id}"]
    assert any("Erased " in i.value and "Art. 17" in i.value for i in at.info)
    assert any("there is no data to amend" in i.value for i in at.info)
    assert not [f for f in at.text_input if f.key and f.key.startswith("persons_amend")]
    # The domain refuses it too, whatever a form sends.
    session.expire_all()
    detail = amendments.opened_form(session.get(Person, outi.id))
    with pytest.raises(ValidationError) as refused:
        amendments.amend_person(session, officer, detail, {"first_name": "Outi"}, "back")
    assert "erased" in refused.value.field_errors[amendments.FORM_ERROR]
