"""AppTest of the Import page: upload, the format as read, the mapping step, the check with
its rejects, the import, the runs listed, and the Art. 14 list with its recording."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from registry.models import ImportRun, Person
from registry.vocabulary import Role

PAGE = "pages/imports.py"
PARTNERS = "Partners and companies and authorities offering personal information services"


pytestmark = pytest.mark.usefixtures("fresh_caches")


def csv_bytes(rows: list[list[str]], delimiter: str = ";", encoding: str = "cp1252") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


HEADER = ["Etunimi", "last_name", "email", "relationship", "Muistiinpano"]
ROWS = [
    ["Äijä", "Sjöström", "aija@yritys.example.fi", "customer_contact", "x"],
    ["Bertta", "Öhman", "bertta@yritys.example.fi", "friend", "y"],
]


def open_tab(at, name: str):  # type: ignore[no-untyped-def]
    at.session_state["imports_tab"] = name
    return at.run()


def choose(at, kind: str = "persons", source: str | None = PARTNERS):  # type: ignore[no-untyped-def]
    at.selectbox(key="imports_kind").set_value(kind).run()
    if source is not None:
        at.selectbox(key=f"imports_source_{kind}").set_value(source).run()
    return at


def test_upload_map_check_and_import(database_url, session, actors, app_test):
    at = app_test(database_url, actors[Role.COMPLIANCE], PAGE)
    assert not at.exception, at.exception
    assert at.title[0].value == "Import"
    assert [t.label for t in at.tabs] == ["Import a file", "Imports made", "To be told (Art. 14)"]
    open_tab(at, "Imports made")
    assert "No import has been made yet." in [i.value for i in at.info]
    open_tab(at, "Import a file")
    choose(at)
    at.file_uploader(key="imports_file").set_value(
        ("kontaktit.csv", csv_bytes([HEADER, *ROWS]), "text/csv")
    ).run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Read as CSV, Windows-1252, semicolon-delimited: 5 columns."
    preview = at.dataframe[0].value
    assert list(preview.columns) == [f"{i + 1}: {h}" for i, h in enumerate(HEADER)]
    assert list(preview["1: Etunimi"]) == ["Äijä", "Bertta"]
    assert "'Etunimi', 'Muistiinpano'" in at.warning[0].value
    # Import waits for a check of every row with the current choices.
    assert at.button(key="imports_start").disabled
    at.selectbox(key="imports_map_persons_0_Etunimi").set_value("first_name").run()
    at.button(key="imports_check").click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["New"], metrics["Rejected"]) == ("1", "1")
    rejects = at.dataframe[1].value
    assert list(rejects["Row"]) == [3] and list(rejects["Column"]) == ["relationship"]
    labels = {b.label for b in at.get("download_button")}
    assert {"Download the rejects report (CSV)", "Download the rejects report (XLSX)"} <= labels
    assert session.scalars(select(Person)).all() == []
    # All or nothing: refused, nothing written, and the attempt listed.
    at.button(key="imports_start").click().run()
    assert not at.exception, at.exception
    assert at.error[0].value.startswith("Nothing was written: 1 of 2 rows are invalid")
    assert session.scalars(select(Person)).all() == []
    at.checkbox(key="imports_skip_invalid").check().run()
    at.button(key="imports_check").click().run()
    at.button(key="imports_start").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Import #2 done: 1 new") for s in at.success)
    assert [p.first_name for p in session.scalars(select(Person))] == ["Äijä"]
    saved = Path(at.session_state["imports_saved"][1])
    open_tab(at, "Imports made")
    runs = next(d.value for d in at.dataframe if "Result" in d.value.columns)
    assert list(runs["Result"]) == ["Completed", "Refused: nothing written"]
    assert list(runs["File"]) == ["kontaktit.csv", "kontaktit.csv"]
    assert list(runs["New"]) == [1, 1] and list(runs["Rejected"]) == [1, 1]
    [first, second] = session.scalars(select(ImportRun).order_by(ImportRun.id))
    assert (first.status, second.status) == ("refused", "completed")
    # The upload holds personal data: removed from the server with the upload.
    assert saved.exists() and saved.with_suffix(".rejects.csv").exists()
    open_tab(at, "Import a file")
    at.file_uploader(key="imports_file").set_value(None).run()
    assert not saved.exists() and not saved.with_suffix(".rejects.csv").exists()


def test_a_file_that_cannot_be_read_says_why(database_url, actors, app_test):
    at = choose(app_test(database_url, actors[Role.ADMINISTRATOR], PAGE))
    at.file_uploader(key="imports_file").set_value(("x.csv", b"a\tb\r\n1\t2", "text/csv")).run()
    assert not at.exception, at.exception
    assert "neither commas nor semicolons" in at.error[0].value
    assert [b.key for b in at.button if b.key and b.key.startswith("imports_")] == []


def test_persons_to_be_told_and_recording_it(database_url, session, actors, app_test):
    at = choose(app_test(database_url, actors[Role.COMPLIANCE], PAGE))
    at.file_uploader(key="imports_file").set_value(
        (
            "k.csv",
            csv_bytes(
                [
                    [*HEADER[1:4], "first_name"],
                    ["Aalto", "a@yritys.example.fi", "service_user", "Aino"],
                ]
            ),
            "text/csv",
        )
    ).run()
    at.button(key="imports_check").click().run()
    at.button(key="imports_start").click().run()
    assert not at.exception, at.exception
    open_tab(at, "To be told (Art. 14)")
    told = {m.label: m.value for m in at.metric}
    assert told["Persons to be told"] == "1"
    waiting = next(d.value for d in at.dataframe if "Tell by" in d.value.columns)
    assert list(waiting["Name"]) == ["Aino Aalto"] and list(waiting["Source"]) == [PARTNERS]
    at.button(key="FormSubmitter:imports_inform-Record").click().run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Persons to be told"] == "0"
    assert session.scalar(select(Person.informed_at)) is not None


def test_the_administrator_sees_counts_but_no_names(database_url, actors, app_test):
    at = open_tab(app_test(database_url, actors[Role.ADMINISTRATOR], PAGE), "To be told (Art. 14)")
    assert not at.exception, at.exception
    assert any("compliance role reads it" in i.value for i in at.info)


def test_the_page_is_for_compliance_and_administrators(actors):
    from navigation import PAGES

    [spec] = [p for p in PAGES if p.path == PAGE]
    assert {r for r, a in actors.items() if a.may(spec.permission)} == {
        Role.COMPLIANCE,
        Role.ADMINISTRATOR,
    }
