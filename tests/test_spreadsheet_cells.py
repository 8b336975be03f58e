"""Every cell the registry writes to a spreadsheet is text: a target list's email, phone,
postal code, country and username as much as its names, however the value got into the
database; and an email address that would start a formula is refused when typed."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
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
        xlsx=(book := io.BytesIO()),
    )
    assert result.preview.exported == 1
    [row] = factories.csv_rows(out.getvalue())
    for column, cell in row.items():
        assert cell == "" or not cell.startswith(spreadsheet.FORMULA_START), (column, cell)
    assert all(cell.startswith("'") for cell in row.values() if cell), row
    # The workbook's cells are the CSV's, text (never a formula) in the same neutralised form.
    header, cells = openpyxl.load_workbook(book).active.iter_rows(max_row=2)
    assert [c.value for c in header] == list(row)
    assert all(c.data_type == "s" for c in cells if c.value is not None)
    assert [c.value or "" for c in cells] == list(row.values())


UNICODE_ROWS = [
    ("Åsa", "Kyllönen", dt.date(2026, 4, 7), 12),
    ("Äijä", "=Mäkelä", dt.datetime(2026, 12, 1, 5, 54, tzinfo=dt.UTC), -3),
]


def test_an_xlsx_with_finnish_letters_reads_back_in_openpyxl_and_pandas():
    data = spreadsheet.table("xlsx", ["first", "last", "when", "n"], UNICODE_ROWS)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert rows[0] == ["Åsa", "Kyllönen", dt.datetime(2026, 4, 7), 12]
    # Stored UTC, written as the Helsinki wall time the pages show (UTC+2 in December).
    assert rows[1] == ["Äijä", "'=Mäkelä", dt.datetime(2026, 12, 1, 7, 54), -3]
    assert sheet["C2"].is_date and sheet["C2"].number_format == "d.m.yyyy"
    assert sheet["C3"].number_format == "d.m.yyyy h.mm"
    frame = pd.read_excel(io.BytesIO(data))
    assert list(frame["last"]) == ["Kyllönen", "'=Mäkelä"]
    assert list(frame["first"]) == ["Åsa", "Äijä"]
    assert pd.api.types.is_datetime64_any_dtype(frame["when"])


def test_a_bom_csv_with_finnish_letters_reads_back_in_pandas():
    data = spreadsheet.table("csv", ["first", "last", "when", "n"], UNICODE_ROWS)
    assert data.startswith(spreadsheet.BOM.encode())
    frame = pd.read_csv(
        io.BytesIO(data), sep=spreadsheet.delimiter(), encoding="utf-8-sig", dtype=str
    )
    assert list(frame["first"]) == ["Åsa", "Äijä"]
    assert list(frame["last"]) == ["Kyllönen", "'=Mäkelä"]
    # A CSV cell is all text: a minus sign is neutralised like any formula start.
    assert list(frame["n"]) == ["12", "'-3"]
