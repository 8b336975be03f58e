"""Every cell the registry writes to a spreadsheet is text: a target list's email, phone,
postal code, country and username as much as its names, however the value got into the
database; and an email address that would start a formula is refused when typed."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from registry import export, spreadsheet, users, validation
from registry.errors import ValidationError
from registry.requests import intake
from registry.vocabulary import CHANNEL_PURPOSE, Channel, ConsentSource, Role
from tests import factories
from tests.test_segments_export import choice_of, delivering

FORMULA_EMAIL = "=cmd|'/Ccalc'!A0@evil.fi"
CELLS = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", CELLS)
def test_every_formula_start_is_neutralised(value):
    assert spreadsheet.neutralised(value) == "'" + value
    assert spreadsheet.neutralised("Aino") == "Aino" and spreadsheet.neutralised(None) == ""


def test_a_formula_email_is_refused_where_it_is_typed(session, actors):
    assert isinstance(validation.email(FORMULA_EMAIL), validation.Invalid)
    assert validation.email("aino@example.fi") == "aino@example.fi"
    with pytest.raises(ValidationError) as e:
        users.create_user(
            session,
            actors[Role.ADMINISTRATOR],
            "new-user",
            "New User",
            Role.MARKETING,
            "a-long-pass-2026-x",
            FORMULA_EMAIL,
        )
    assert e.value.field_errors["email"] == validation.FORMULA_EMAIL
    with pytest.raises(ValidationError) as e:
        intake.log_request(
            session,
            actors[Role.COMPLIANCE],
            kind="access",
            channel="email",
            received_on=dt.date(2026, 5, 3),
            today=dt.date(2026, 5, 4),
            requester_name="Anna",
            requester_contact=FORMULA_EMAIL,
        )
    assert e.value.field_errors["requester_contact"] == validation.FORMULA_EMAIL


@pytest.mark.parametrize("channel", list(Channel))
def test_every_column_of_every_target_list_is_neutralised(channel, session, actors):
    # Stored as an import before validation existed might have: straight into the table.
    person = factories.person(
        session,
        "=HYPERLINK(1)",
        "+Virtanen",
        relationship="marketing_opt_in",
        email=FORMULA_EMAIL,
        phone="+358401234567",
        street_address="-1+1",
        postal_code="@SUM(1)",
        city="\t=City",
        country="=1",
        username="@admin",
    )
    factories.imported_consent(
        session,
        person.id,
        CHANNEL_PURPOSE[channel].value,
        "granted",
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        source=ConsentSource.WEB_FORM,
        evidence="ticked the box",
    )
    out = io.StringIO()
    definition = [{"field": "relationship", "op": "in", "value": ["marketing_opt_in"]}]
    result = export.export_target_list(
        session,
        actors[Role.MARKETING],
        choice_of(definition),
        channel.value,
        delivering(session, channel).id,
        "March news",
        out,
    )
    assert result.preview.exported == 1
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    for column, cell in row.items():
        assert cell == "" or not cell.startswith(spreadsheet.FORMULA_START), (column, cell)
    assert all(cell.startswith("'") for cell in row.values() if cell), row
