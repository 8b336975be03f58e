"""Pages link, through AppTest on SQLite and PostgreSQL: Overview cards lead to their page
for the roles that may open it, and an audit row of a request or a person opens that record."""

from __future__ import annotations

import pytest

from registry.models import AuditEvent, utcnow
from registry.vocabulary import Role
from tests import factories


def page_links(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {e.proto.label: e.proto.page for e in at.get("page_link")}


@pytest.mark.parametrize("role", [Role.COMPLIANCE, Role.MARKETING])
def test_overview_cards_lead_to_their_page(role, database_url, actors, app_test):
    at = app_test(database_url, actors[role], "pages/overview.py")
    assert not at.exception, at.exception
    links = page_links(at)
    if role == Role.COMPLIANCE:
        assert "Overdue requests lead the queue" in links
        assert "The disclosure log" in links and "Find a person" in links
        assert "The recipients register" in links
    else:  # marketing may not open requests, persons or disclosures: no dead links
        assert set(links) == {"Consent by purpose"}


def test_an_audit_row_opens_its_request_or_person(database_url, session, actors, app_test):
    compliance = actors[Role.COMPLIANCE]
    person = factories.person(session, "Aino", "Kyllönen")
    request = factories.request_row(session, person_id=person.id)
    for record_type, record_id in (("person", person.id), ("data_subject_request", request.id)):
        session.add(
            AuditEvent(
                at=utcnow(),
                actor_name="compliance-user",
                action="viewed",
                record_type=record_type,
                record_id=str(record_id),
                detail="",
            )
        )
    session.commit()
    at = app_test(database_url, compliance, "pages/audit.py")
    assert not at.exception, at.exception
    assert any(
        c.value.startswith("Select a row of a request, a person or a disclosure")
        for c in at.caption
    )
    # Newest first: the request's event is row 0. AppTest cannot click a row; the selection
    # state is what a click sets.
    at.session_state["audit_events_table"] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Requests"
    assert any(f"Request #{request.id}" in h.value for h in at.subheader)


# --- links in tables: st.column_config.LinkColumn, for the roles that may open the record ---


@pytest.fixture
def linked(session, actors):  # type: ignore[no-untyped-def]
    """A person with a request and a disclosure of their data, and audit rows of all three."""
    compliance = actors[Role.COMPLIANCE]
    person = factories.person(session, "Åsa", "Kyllönen")
    request = factories.request_row(session, person_id=person.id)
    recipient = factories.recipient(session, "Mailworks Oy")
    made = factories.disclosure(session, compliance, recipient.id, [person.id])
    for record_type, record_id in (
        ("person", person.id),
        ("data_subject_request", request.id),
        ("disclosure", made.id),
    ):
        session.add(
            AuditEvent(
                at=utcnow(),
                actor_name="compliance-user",
                action="viewed",
                record_type=record_type,
                record_id=str(record_id),
                detail="",
            )
        )
    session.commit()
    return person, request, made


def test_audit_rows_link_to_their_record_for_a_role_that_may_open_it(
    database_url, actors, linked, app_test
):
    person, request, made = linked
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/audit.py")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    links = dict(zip(table["Record"], table["Open"], strict=True))
    assert links["Person"] == f"persons?person={person.id}#Open%20the%20person"
    assert links["Data-subject request"] == (
        f"requests?request={request.id}#Open%20the%20data-subject%20request"
    )
    assert links["Disclosure"] == f"disclosures?disclosure={made.id}#Open%20the%20disclosure"
    # The administrator reads the audit trail but may open none of these: no link column.
    at = app_test(database_url, actors[Role.ADMINISTRATOR], "pages/audit.py")
    assert not at.exception, at.exception
    assert "Open" not in at.dataframe[0].value.columns


def test_request_and_person_link_to_each_other(database_url, actors, linked, app_test):
    person, request, _ = linked
    compliance = actors[Role.COMPLIANCE]
    at = app_test(database_url, compliance, "pages/requests.py")
    at.query_params["request"] = str(request.id)
    at.run()
    assert not at.exception, at.exception
    assert page_links(at)["Open Åsa Kyllönen's data"] == "persons"
    at = app_test(database_url, compliance, "pages/persons.py")
    at.query_params["person"] = str(person.id)
    at.run()
    assert not at.exception, at.exception
    [requests] = [d.value for d in at.dataframe if "Request" in d.value.columns]
    # The cell shows "Request #N" (the text after #, decoded by the link column).
    assert list(requests["Request"]) == [f"requests?request={request.id}#Request%20%23{request.id}"]


def test_a_disclosure_lists_its_persons_as_links_and_opens_by_its_address(
    database_url, actors, linked, app_test
):
    person, _, made = linked
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/disclosures.py")
    at.query_params["disclosure"] = str(made.id)
    at.run()
    assert not at.exception, at.exception
    assert f"Disclosure #{made.id}" in [h.value for h in at.subheader]
    people = next(d.value for d in at.dataframe if "Email" in d.value.columns)
    assert list(people["Name"]) == [f"persons?person={person.id}#%C3%85sa%20Kyll%C3%B6nen"]
    assert "Person id" not in people.columns  # the name is the link, no internal id shown


def test_a_role_that_may_not_open_persons_sees_names_without_links(
    database_url, session, actors, linked, app_test
):
    from registry.vocabulary import Relationship

    person, _, _ = linked
    person.relationship = Relationship.MARKETING_OPT_IN
    session.commit()
    at = app_test(database_url, actors[Role.MARKETING], "pages/segments.py")
    at.session_state["segments_tab"] = "Members"
    at.run()
    assert not at.exception, at.exception
    members = next(d.value for d in at.dataframe if "Name" in d.value.columns)
    assert "Åsa Kyllönen" in list(members["Name"])
    assert not any(str(n).startswith("persons?") for n in members["Name"])


def test_the_overview_charts_name_request_states_and_kinds_not_codes(
    database_url, session, actors, app_test
):
    import json

    factories.request_row(session, "erasure", status="received")  # overdue since June 2026
    at = app_test(database_url, actors[Role.COMPLIANCE], "pages/overview.py")
    assert not at.exception, at.exception
    axes = [
        value
        for chart in at.get("plotly_chart")
        for trace in json.loads(chart.proto.spec)["data"]
        for value in trace.get("x") or []
    ]
    assert "Received" in axes and "Erasure (Art. 17)" in axes, axes
    assert "received" not in axes and "erasure" not in axes
