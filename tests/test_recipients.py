"""The recipients register: validation, add and edit with audit, status per recipient."""

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from registry import recipients
from registry.errors import PermissionDenied, ValidationError
from registry.models import AuditEvent, Recipient
from registry.recipients import RecipientInput
from registry.vocabulary import Role

CLOUD = RecipientInput(
    name="  Northwind   Cloud Inc. ",
    kind="processor",
    service="Hosting",
    country="us",
    transfer_mechanism="dpf",
    agreement_date=dt.date(2024, 2, 1),
)


def audit_count(session, action):
    return session.scalar(select(func.count()).where(AuditEvent.action == action))


def test_add_normalises_and_audits(session, actors):
    r = recipients.add_recipient(session, actors[Role.COMPLIANCE], CLOUD)
    assert (r.name, r.country, r.active) == ("Northwind Cloud Inc.", "US", True)
    assert audit_count(session, "recipient_added") == 1
    rows = recipients.register(session, actors[Role.COMPLIANCE], dt.date(2026, 1, 1))
    assert [(x.name, x.status, x.inside_eea, x.disclosures) for x in rows] == [
        ("Northwind Cloud Inc.", "fine", False, 0)
    ]


@pytest.mark.parametrize(
    ("change", "field", "phrase"),
    [
        ({"name": " "}, "name", "Enter"),
        ({"name": "x" * 201}, "name", "at most"),
        ({"kind": "friend"}, "kind", "dealer, subcontractor or processor"),
        ({"service": ""}, "service", "service"),
        ({"country": "XX"}, "country", "ISO 3166"),
        ({"country": "USA"}, "country", "ISO 3166"),
        ({"transfer_mechanism": "handshake"}, "transfer_mechanism", "from the list"),
        ({"country": "SE"}, "transfer_mechanism", "inside the EU/EEA"),
        ({"country": "GB"}, "transfer_mechanism", "only organisations in the USA"),
        ({"transfer_mechanism": "not_needed"}, "transfer_mechanism", "outside the EU/EEA"),
        ({"agreement_date": dt.date(2999, 1, 1)}, "agreement_date", "future"),
        ({"agreement_date": dt.date(1990, 1, 1)}, "agreement_date", "before"),
    ],
)
def test_validation_names_the_field(session, actors, change, field, phrase):
    with pytest.raises(ValidationError) as e:
        recipients.add_recipient(
            session, actors[Role.COMPLIANCE], dataclasses.replace(CLOUD, **change)
        )
    assert field in e.value.field_errors and phrase in e.value.field_errors[field]
    assert session.scalar(select(func.count()).select_from(Recipient)) == 0
    assert audit_count(session, "recipient_added") == 0


def test_names_are_unique_ignoring_case(session, actors):
    compliance = actors[Role.COMPLIANCE]
    recipients.add_recipient(session, compliance, CLOUD)
    with pytest.raises(ValidationError) as e:
        recipients.add_recipient(
            session, compliance, dataclasses.replace(CLOUD, name="northwind cloud inc.")
        )
    assert "already" in e.value.field_errors["name"]


def test_edit_records_old_and_new_and_changes_the_status(session, actors):
    compliance = actors[Role.COMPLIANCE]
    r = recipients.add_recipient(session, compliance, CLOUD)
    changed = dataclasses.replace(CLOUD, transfer_mechanism="privacy_shield")
    recipients.update_recipient(session, compliance, r.id, changed)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "recipient_changed")
    ).one()
    assert "transfer_mechanism: dpf -> privacy_shield" in event.detail
    [row] = recipients.register(session, compliance, dt.date(2026, 1, 1))
    assert "invalid since 16 July 2020" in row.status
    # Saving the same values again changes nothing and records nothing.
    recipients.update_recipient(session, compliance, r.id, changed)
    assert audit_count(session, "recipient_changed") == 1
    # The same name is allowed for the recipient itself.
    recipients.update_recipient(
        session, compliance, r.id, dataclasses.replace(changed, active=False)
    )
    assert recipients.register(session, compliance, active_only=True) == []


def test_only_compliance_manages_recipients(session, actors):
    for role in (Role.MARKETING, Role.ADMINISTRATOR):
        with pytest.raises(PermissionDenied):
            recipients.add_recipient(session, actors[role], CLOUD)
        with pytest.raises(PermissionDenied):
            recipients.register(session, actors[role])
