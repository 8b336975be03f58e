"""The Requests page with AppTest: the queue, logging, and the detail view's workflow."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from registry import deadlines, formats
from registry.models import (
    Activity,
    AuditEvent,
    DataSubjectRequest,
    Person,
    ReportRedaction,
    SentDocument,
)
from registry.requests import intake, rules, transitions
from registry.vocabulary import RequestKind, RequestStatus, Role
from tests import factories

PAGE = "pages/requests.py"


@pytest.fixture
def queue(session, actors):
    """An overdue access request, a rectification matched to Aino, one due in 20 days, and
    a completed one."""
    actor = actors[Role.COMPLIANCE]
    today = deadlines.today()
    aino = factories.person(
        session,
        "Aino",
        "Mäkinen",
        email="aino.makinen@example.fi",
        source="Information provided by the customer",
        country="FI",
    )

    def log(kind, days_ago, name, person_id=None):
        return intake.log_request(
            session,
            actor,
            kind=kind,
            channel="email",
            received_on=today - dt.timedelta(days=days_ago),
            requester_name=name,
            requester_contact=f"{name.split()[0].lower()}@example.fi",
            details=f"Request by {name}",
            person_id=person_id,
        )

    overdue = log("access", 50, "Olli Overdue")
    rect = log("rectification", 3, "Aino Mäkinen", aino.id)
    later = log("objection", 10, "Lauri Later")
    done = log("erasure", 60, "Daniel Done")
    transitions.reject(session, actor, done.id, "Identity could not be established")
    return actor, aino, {"overdue": overdue, "rect": rect, "later": later, "done": done}


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _open(at, request_id):
    at.session_state["requests_selected_id"] = request_id
    return at.run()


def test_queue_shows_kpis_chart_and_coloured_rows(database_url, queue, app_test):
    actor, _, _made = queue
    at = app_test(database_url, actor, PAGE)
    assert not at.exception, at.exception
    assert at.title[0].value == "Requests"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open requests"] == "3"
    assert metrics["Overdue"] == "1"
    assert metrics["Due this week"] == "0"
    assert metrics["Median days to close"] == "60"
    table = at.dataframe[0].value
    assert list(table["Requester"]) == ["Olli Overdue", "Lauri Later", "Aino Mäkinen"]
    assert list(table["Kind"]) == ["Access", "Objection", "Rectification"]
    assert table["Days left"].iloc[0].endswith("days overdue")
    assert list(table["Matched"]) == [False, False, True]
    captions = " ".join(c.value for c in at.caption)
    assert "Requests received or identity verified or extended: **3**" in captions
    assert "Red: overdue. Amber: due within 7 days." in captions
    assert at.get("plotly_chart"), "the open-requests-by-age chart is drawn"
    assert [b.label for b in at.get("download_button")] == [
        "Download the filtered queue (CSV)",
        "Download the filtered queue (XLSX)",
    ]


def test_filters_narrow_the_queue(database_url, queue, app_test):
    actor, _, _ = queue
    at = app_test(database_url, actor, PAGE)
    at.multiselect[0].set_value([RequestStatus.REJECTED])
    at.text_input[0].set_value("daniel")
    _button(at, "Apply filters").click()
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["Requester"]) == ["Daniel Done"]
    assert list(table["Days left"]) == ["closed"]
    at.text_input[0].set_value("nobody-like-this")
    _button(at, "Apply filters").click()
    at.run()
    assert not at.dataframe
    assert any("No requests match" in i.value for i in at.info)


def test_logging_a_request_opens_it(database_url, session, actors, app_test):
    actor = actors[Role.COMPLIANCE]
    at = app_test(database_url, actor, PAGE)
    at.text_input(key="requests_log_name").set_value("Pekka Korhonen")
    at.text_input(key="requests_log_contact").set_value("Pekka@Example.FI")
    at.selectbox(key="requests_log_kind").set_value(RequestKind.OBJECTION)
    at.text_area(key="requests_log_details").set_value("No more marketing, please.")
    _button(at, "Log the request").click()
    at.run()
    assert not at.exception, at.exception
    stored = session.scalars(select(DataSubjectRequest)).one()
    assert (stored.kind, stored.requester_contact, stored.person_id) == (
        "objection",
        "Pekka@example.fi",
        None,
    )
    assert any(f"Request #{stored.id} logged" in s.value for s in at.success)
    assert (
        at.subheader[0].value == f"Request #{stored.id} · Objection to direct marketing (Art. 21)"
    )


def test_a_bad_log_form_shows_errors_by_the_fields_and_keeps_the_input(
    database_url, session, actors, app_test
):
    at = app_test(database_url, actors[Role.COMPLIANCE], PAGE)
    at.selectbox(key="requests_log_channel").set_value("email")
    at.text_input(key="requests_log_contact").set_value("not an email")
    at.text_area(key="requests_log_details").set_value("Keep me")
    _button(at, "Log the request").click()
    at.run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert "Enter the name." in errors
    assert any(e.startswith("Not a valid email address") for e in errors)
    assert at.text_area(key="requests_log_details").value == "Keep me"
    assert at.text_input(key="requests_log_contact").value == "not an email"
    assert session.scalar(select(func.count()).select_from(DataSubjectRequest)) == 0


def test_the_log_form_matches_a_person_found_by_search(database_url, session, queue, app_test):
    actor, aino, _ = queue
    at = app_test(database_url, actor, PAGE)
    at.text_input(key="requests_log_person_search").set_value("aino.mak").run()
    at.selectbox(key="requests_log_person").set_value(aino.id).run()
    # Picking the person fills the requester's name and email.
    assert at.text_input(key="requests_log_name").value == "Aino Mäkinen"
    assert at.text_input(key="requests_log_contact").value == "aino.makinen@example.fi"
    _button(at, "Log the request").click()
    at.run()
    assert not at.exception, at.exception
    newest = session.scalars(
        select(DataSubjectRequest).order_by(DataSubjectRequest.id.desc())
    ).first()
    assert newest.person_id == aino.id


def test_detail_view_walks_the_workflow(database_url, session, queue, app_test):
    actor, _, made = queue
    r = made["later"]  # an objection by an unmatched requester
    at = _open(app_test(database_url, actor, PAGE), r.id)
    assert not at.exception, at.exception
    assert at.subheader[0].value == f"Request #{r.id} · Objection to direct marketing (Art. 21)"
    assert [e.label for e in at.expander][:2] == ["Verify the requester's identity", "Assign"]
    # Opening a request is audited once, not on every rerun.
    at.run()
    viewed = session.scalar(select(func.count()).where(AuditEvent.action == "request_viewed"))
    assert viewed == 1

    _button(at, "Mark the identity verified").click()
    at.run()
    assert not at.exception, at.exception
    assert any("Identity verified." in s.value for s in at.success)

    # An extension without a reason is refused next to the field, and nothing changes.
    _button(at, "Extend").click()
    at.run()
    assert "Give the reason for the extension: the person must be told it." in [
        e.value for e in at.error
    ]
    session.expire_all()
    assert session.get(DataSubjectRequest, r.id).status == RequestStatus.VERIFIED

    original_due = deadlines.due_date(r.received_on)
    extended_due = deadlines.due_date(r.received_on, extended=True)
    markdown = " ".join(m.value for m in at.markdown)
    assert f"by **{formats.finnish_date(original_due)}**" in markdown
    next(t for t in at.text_area if t.label == "Reason for the extension").set_value(
        "Many requests at once"
    )
    _button(at, "Extend").click()
    at.run()
    assert not at.exception, at.exception
    session.expire_all()
    stored = session.get(DataSubjectRequest, r.id)
    assert (stored.status, stored.due_on) == (RequestStatus.EXTENDED, extended_due)

    # An unmatched objection cannot be completed: the error shows by the outcome field.
    next(t for t in at.text_area if t.label == "Outcome").set_value("Marketing stopped")
    _button(at, "Complete the request").click()
    at.run()
    assert any(e.value.startswith("Not matched to a person") for e in at.error)

    history = at.dataframe[-1].value
    assert list(history["Step"]) == ["Logged", "Identity verified", "Extended"]


def test_access_report_is_generated_kept_and_downloadable_after_completion(
    database_url, session, queue, app_test
):
    actor, _, made = queue
    r = made["overdue"]
    at = _open(app_test(database_url, actor, PAGE), r.id)
    _button(at, "Mark the identity verified").click()
    at.run()
    _button(at, "Generate the final report").click()
    at.run()
    assert not at.exception, at.exception
    [document] = session.scalars(select(SentDocument).where(SentDocument.request_id == r.id))
    assert any(f"kept (copy #{document.id})" in x.value for x in at.success)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download the letter (HTML)", "Download the data (JSON)"]
    assert any(document.html_sha256 in c.value for c in at.caption)
    next(t for t in at.text_area if t.label == "Outcome").set_value("Told: no data held")
    _button(at, "Complete the request").click()
    at.run()
    assert not at.exception, at.exception
    assert any("The request is closed" in i.value for i in at.info)
    # Closed, what was sent is still there to download.
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download the letter (HTML)", "Download the data (JSON)"]
    assert any(m.value == "#### Letters sent" for m in at.markdown)


def test_the_report_part_sets_the_language_reviews_and_previews(
    database_url, session, actors, app_test
):
    actor = actors[Role.COMPLIANCE]
    person = Person(
        first_name="Maija",
        last_name="**Virtanen**",
        email="maija@example.fi",
        street_address="Linnankatu 3",
        postal_code="20100",
        city="Turku",
        relationship="customer_contact",
        source="Information provided by the customer",
        country="FI",
    )
    session.add(person)
    session.commit()
    session.add(
        Activity(
            person_id=person.id,
            kind="customer_service_contact",
            occurred_at=dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC),
            detail="Called with colleague Otto Outsider",
        )
    )
    session.commit()
    r = intake.log_request(
        session,
        actor,
        kind="access",
        channel="letter",
        received_on=deadlines.today(),
        requester_name="Maija Virtanen",
        requester_contact="Linnankatu 3, 20100 Turku",
        person_id=person.id,
    )
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[1])
    at = _open(app_test(database_url, actor, PAGE), r.id)
    assert not at.exception, at.exception
    assert any("Letters in **Finnish**" in m.value for m in at.markdown)
    # The reply language is a step of its own.
    next(s for s in at.selectbox if s.label == "Reply language").set_value("sv")
    _button(at, "Set the reply language").click()
    at.run()
    assert not at.exception, at.exception
    session.expire_all()
    assert session.get(DataSubjectRequest, r.id).reply_language == "sv"
    assert any("Letters in **Swedish**" in m.value for m in at.markdown)
    # Review: the free text is listed; a passage not in it is refused by the field.
    texts = at.dataframe[0].value
    assert "Called with colleague Otto Outsider" in list(texts["Text"])
    next(t for t in at.text_input if t.label == "Passage to withhold").set_value("Nobody")
    next(t for t in at.text_input if t.label == "Reason").set_value("A colleague")
    _button(at, "Withhold the passage").click()
    at.run()
    assert "The passage is not in this text; copy it exactly." in [e.value for e in at.error]
    assert session.scalar(select(func.count()).select_from(ReportRedaction)) == 0
    next(t for t in at.text_input if t.label == "Passage to withhold").set_value("Otto Outsider")
    _button(at, "Withhold the passage").click()
    at.run()
    assert not at.exception, at.exception
    assert any("Passage withheld" in x.value for x in at.success)
    assert session.scalar(select(func.count()).select_from(ReportRedaction)) == 1
    # The draft: previewed, not stored; the passage is gone from it.
    _button(at, "Preview a draft").click()
    at.run()
    assert not at.exception, at.exception
    assert any(
        c.value.startswith("Draft:") and "1 passages withheld" in c.value for c in at.caption
    )
    assert session.scalar(select(func.count()).select_from(SentDocument)) == 0
    # Markup in the data stays literal on the page.
    assert any("\\*\\*Virtanen\\*\\*" in m.value for m in at.markdown)


def test_extension_letter_telling_and_the_queue_flag(database_url, session, actors, app_test):
    actor = actors[Role.COMPLIANCE]
    today = deadlines.today()
    r = intake.log_request(
        session,
        actor,
        kind="erasure",
        channel="email",
        received_on=today - dt.timedelta(days=20),
        requester_name="Eero Extended",
        requester_contact="eero@example.fi",
        details="Poistakaa tietoni, kiitos. Haluan että kaikki tiedot poistetaan.",
    )
    transitions.verify_identity(session, actor, r.id, rules.IDENTITY_METHODS[0])
    transitions.extend(session, actor, r.id, "Paljon pyyntöjä", today=today)
    # As if received two months ago: the person had to be told by now.
    session.execute(
        update(DataSubjectRequest)
        .where(DataSubjectRequest.id == r.id)
        .values(received_on=today - dt.timedelta(days=60))
    )
    session.commit()
    at = app_test(database_url, actor, PAGE)
    assert not at.exception, at.exception
    assert any(f"Request #{r.id}: the person had to be told" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert list(table["Flags"]) == ["Extension not told in time"]
    at = _open(at, r.id)
    assert any(m.value == "#### Letters sent" for m in at.markdown)
    assert [b.label for b in at.get("download_button")] == ["Download the letter (HTML)"]
    assert any("Extension not told in time" in w.value for w in at.warning)
    next(s for s in at.selectbox if s.label == "How").set_value("letter")
    _button(at, "Record that the person was told").click()
    at.run()
    assert not at.exception, at.exception
    session.expire_all()
    told = session.get(DataSubjectRequest, r.id)
    assert (told.extension_told_on, told.extension_told_channel) == (today, "letter")
    assert any("Extension told after the notify-by date" in w.value for w in at.warning)
    # A rejection now, past the original due date but within the extension, is not late.
    next(t for t in at.text_area if t.label == "Reason for the rejection").set_value(
        "Kirjanpitolaki edellyttää säilyttämistä"
    )
    _button(at, "Reject the request").click()
    at.run()
    assert not at.exception, at.exception
    kinds = sorted(d.kind for d in session.scalars(select(SentDocument)))
    assert kinds == ["extension", "refusal"]
    assert [b.label for b in at.get("download_button")] == ["Download the letter (HTML)"] * 2


def test_rectification_links_to_the_persons_page(database_url, queue, app_test):
    actor, aino, made = queue
    r = made["rect"]
    at = _open(app_test(database_url, actor, PAGE), r.id)
    _button(at, "Open Aino Mäkinen's amendment form").click()
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["persons_selected_id"] == aino.id
    assert at.session_state["persons_request_id"] == r.id
    assert at.title[0].value == "Persons"


def test_a_request_that_is_gone_returns_to_the_queue(database_url, queue, app_test):
    actor, _, _ = queue
    at = _open(app_test(database_url, actor, PAGE), 999)
    assert not at.exception, at.exception
    assert any("No request #999" in w.value for w in at.warning)
