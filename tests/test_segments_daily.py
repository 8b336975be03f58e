"""The marketer's daily flow on the Segments page, through AppTest on SQLite and PostgreSQL:
every search and sort takes effect on the first submit, the chosen segment is kept across
pages, each segment keeps its own export purpose, and one prepared list is one disclosure in
a file Finnish Excel opens (UTF-8 with a BOM, semicolons)."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import consent, export
from registry.errors import ConflictError
from registry.models import DisclosedPerson, Disclosure, Organisation, PersonMetrics
from registry.segments import catalogue
from registry.spreadsheet import FileFormat
from registry.vocabulary import ConsentSource, DeliveryService, Purpose, Relationship, Role
from tests import factories

PAGE = "pages/segments.py"
CITIES = {"Kyllönen": "Vantaa", "Aaltonen": "Espoo", "Mäkelä": "Helsinki"}


@pytest.fixture
def marketer(session: Session, actors):  # type: ignore[no-untyped-def]
    compliance = actors[Role.COMPLIANCE]
    for i, (last, city) in enumerate(CITIES.items()):
        organisation = Organisation(
            name=f"Org {'CBA'[i]}",
            business_id=f"123456{i}-0",
            industry="IT",
            country="FI",
            city=city,
        )
        session.add(organisation)
        session.flush()
        person = factories.person(
            session,
            ["Äijä", "Åsa", "Pirjo"][i],
            last,
            relationship=Relationship.MARKETING_OPT_IN,
            email=f"p{i}@example.fi",
            city=city,
            country="FI",
            organisation_id=organisation.id,
        )
        consent.record_consent(
            session,
            compliance,
            person.id,
            [Purpose.NEWSLETTER],
            "granted",
            ConsentSource.WEB_FORM,
            "ticked",
            dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        )
    factories.recipient(
        session,
        "Emerald Mailworks Ltd",
        service="Newsletter delivery",
        delivers=DeliveryService.MAILING.value,
    )
    return actors[Role.MARKETING]


def button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def members(at) -> list[str]:  # type: ignore[no-untyped-def]
    assert not at.exception, at.exception
    return list(at.dataframe[0].value["City"]) if at.dataframe else []


def show(at, search: str | None = None, sort: str | None = None):  # type: ignore[no-untyped-def]
    if search is not None:
        at.text_input(key="segments_members_search").input(search)
    if sort is not None:
        at.selectbox(key="segments_members_sort").select(sort)
    return button(at, "Show").click().run()


def test_every_search_and_sort_takes_effect_at_the_first_submit(database_url, marketer, app_test):
    at = app_test(database_url, marketer, PAGE)
    assert members(at) == ["Espoo", "Vantaa", "Helsinki"]  # by name: Aaltonen, Kyllönen, Mäkelä
    # Two searches in a row, then two sorts in a row: each shows at once (the bug ignored
    # every second one, as a keyless input took a new identity after each search).
    assert members(show(at, search="Vantaa")) == ["Vantaa"]
    assert members(show(at, search="Espoo")) == ["Espoo"]
    assert members(show(at, search="Helsinki")) == ["Helsinki"]
    assert members(show(at, search="", sort="city")) == ["Espoo", "Helsinki", "Vantaa"]
    assert members(show(at, sort="organisation")) == ["Helsinki", "Espoo", "Vantaa"]
    assert members(show(at, sort="name")) == ["Espoo", "Vantaa", "Helsinki"]
    at.toggle(key="segments_members_descending").set_value(True)
    assert members(button(at, "Show").click().run()) == ["Helsinki", "Vantaa", "Espoo"]

    # Another tab and back: the query shown is the one kept, in the inputs too.
    show(at, search="Vantaa")
    at.session_state["segments_tab"] = "Composition"
    at.run()
    at.session_state["segments_tab"] = "Members"
    at.run()
    assert members(at) == ["Vantaa"]
    assert at.text_input(key="segments_members_search").value == "Vantaa"


def choose_segment(at, label: str):  # type: ignore[no-untyped-def]
    picker = at.selectbox(key="segments_selected")
    picker.set_value(next(k for k in picker.options if label in k)).run()
    assert not at.exception, at.exception
    return at


def test_the_chosen_segment_is_kept_across_pages(database_url, marketer, app_test):
    at = choose_segment(app_test(database_url, marketer, PAGE), "Uusimaa")
    chosen = at.selectbox(key="segments_selected").value
    at.switch_page("pages/consent.py").run()
    assert not at.exception, at.exception
    at.switch_page(PAGE).run()
    assert at.selectbox(key="segments_selected").value == chosen


def test_each_segment_keeps_its_own_export_purpose(database_url, session, marketer, app_test):
    at = app_test(database_url, marketer, PAGE)
    at.session_state["segments_tab"] = "Export"
    at.run()
    assert "Exporting the segment **Registry · Everyone**" in " ".join(m.value for m in at.markdown)
    recipient = session.scalar(select(func.min(export.Recipient.id)))
    at.selectbox(key="segments_export_recipient").set_value(recipient)
    at.text_input(key="segments_export_purpose").set_value("Newsletter to everyone")
    button(at, "Check the list").click().run()
    assert at.get("download_button")

    choose_segment(at, "Uusimaa")
    assert at.text_input(key="segments_export_purpose").value == ""
    assert not at.get("download_button")  # checked for another segment: check this one
    assert "Exporting the segment" in " ".join(m.value for m in at.markdown)
    assert "Uusimaa" in " ".join(m.value for m in at.markdown)

    choose_segment(at, "Everyone")
    assert at.text_input(key="segments_export_purpose").value == "Newsletter to everyone"
    assert at.get("download_button")


def test_one_prepared_list_is_one_disclosure_in_a_file_excel_opens(
    database_url, session, marketer, app_test, monkeypatch
):
    from views.segments.export import export_file

    at = app_test(database_url, marketer, PAGE)
    at.session_state["segments_tab"] = "Export"
    at.run()
    recipient = session.scalar(select(func.min(export.Recipient.id)))
    at.selectbox(key="segments_export_recipient").set_value(recipient)
    at.text_input(key="segments_export_purpose").set_value("Newsletter")
    button(at, "Check the list").click().run()
    request = at.session_state["segments_export_request"]["builtin:everyone"]
    everyone = catalogue.builtin_segments(session, marketer)[0]
    assert everyone.key == "builtin:everyone"

    buttons = {b.label for b in at.get("download_button")}
    assert buttons == {"Download the list (CSV)", "Download the list (XLSX)"}

    first = export_file(marketer, request, everyone, FileFormat.CSV)
    second = export_file(marketer, request, everyone, FileFormat.CSV)  # clicked again
    assert second == first
    book = export_file(marketer, request, everyone, FileFormat.XLSX)  # the other format
    assert book == export_file(marketer, request, everyone, FileFormat.XLSX)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Disclosure)) == 1
    assert session.scalar(select(func.count()).select_from(DisclosedPerson)) == 3
    workbook = pd.read_excel(io.BytesIO(book))
    assert list(workbook.columns) == ["first_name", "last_name", "email", "organisation"]
    assert sorted(workbook["last_name"]) == sorted(CITIES)  # the same persons as the CSV

    assert first.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    text = first.decode("utf-8-sig")
    assert text.splitlines()[0] == "first_name;last_name;email;organisation"
    frame = pd.read_csv(io.BytesIO(first), sep=";", encoding="utf-8-sig")
    assert sorted(frame["last_name"]) == sorted(CITIES)
    assert {"Äijä", "Åsa"} <= set(frame["first_name"])

    # The domain refuses the token again, whoever asks (another click that missed the file).
    with pytest.raises(ConflictError, match="already downloaded"):
        export.export_target_list(
            session,
            marketer,
            everyone,
            request["channel"],
            request["recipient"],
            request["purpose"],
            io.StringIO(),
            token=request["token"],
        )
    # Checking the list again prepares a new list: its download is a new disclosure.
    button(at, "Check the list").click().run()
    again = at.session_state["segments_export_request"]["builtin:everyone"]
    assert again["token"] != request["token"]
    export_file(marketer, again, everyone, FileFormat.XLSX)  # the workbook first, this time
    export_file(marketer, again, everyone, FileFormat.CSV)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Disclosure)) == 2


@pytest.fixture
def buyers(session: Session, marketer):  # type: ignore[no-untyped-def]
    """Besides the marketer's three opt-ins: a customer contact with orders, a service user
    without."""
    buyer = factories.person(session, "Olli", "Ostaja", city="Espoo", country="FI")
    factories.person(
        session, "Sanna", "Sovellus", relationship=Relationship.SERVICE_USER, country="FI"
    )
    session.add(PersonMetrics(person_id=buyer.id, order_count=3, order_total_eur=1200))
    session.commit()
    return marketer


def test_the_builder_says_why_it_counts_nobody_and_a_bound_can_be_cleared(
    database_url, buyers, app_test
):
    at = app_test(database_url, buyers, PAGE)
    at.session_state["segments_tab"] = "Builder"
    at.run()
    at.multiselect(key="segments_builder_relationship_0").set_value(["service_user"])
    at.number_input(key="segments_builder_order_count_min_0").set_value(1)
    button(at, "Count").click().run()
    assert not at.exception, at.exception
    warning = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "Nobody is left after “number of orders is at least 1”" in warning
    assert "“relationship is service user” and “number of orders is at least 1”" in warning
    funnel = at.dataframe[0].value
    assert list(funnel["Persons left"]) == [5, 1, 0]
    assert list(funnel["Matching this filter alone"]) == [5, 1, 1]

    # The counted bound is cleared: the filter goes, and the service user is counted.
    assert at.number_input(key="segments_builder_order_count_min_0").value == 1
    at.number_input(key="segments_builder_order_count_min_0").set_value(None)
    button(at, "Count").click().run()
    assert not at.exception, at.exception
    assert at.number_input(key="segments_builder_order_count_min_0").value is None
    assert not at.warning
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Persons whose relationship is service user." in shown
    assert "number of orders" not in shown
