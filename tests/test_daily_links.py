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
    assert "Select a row of a request or a person to open it." in [c.value for c in at.caption]
    # Newest first: the request's event is row 0. AppTest cannot click a row; the selection
    # state is what a click sets.
    at.session_state["audit_events_table"] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Requests"
    assert any(f"Request #{request.id}" in h.value for h in at.subheader)
