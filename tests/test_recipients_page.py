"""AppTest of the Recipients page: register with status, add with field errors, edit."""

from sqlalchemy import select

from registry import deadlines
from registry.models import Recipient
from registry.vocabulary import Role

PAGE = "pages/recipients.py"


def field(widgets, label):
    return next(w for w in widgets if w.label == label)


def test_add_shows_errors_next_to_fields_then_saves(database_url, session, actors, app_test):
    at = app_test(database_url, actors[Role.COMPLIANCE], PAGE)
    assert not at.exception, at.exception
    assert at.info[0].value.startswith("The register is empty")
    field(at.text_input, "Name").input("SurveyPeak LLC")
    field(at.text_input, "Service provided").input("Customer surveys")
    field(at.selectbox, "Country").set_value("US")
    field(at.selectbox, "Transfer mechanism").set_value("adequacy")
    field(at.button, "Add recipient").click()
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "The USA is adequate only for DPF-certified organisations: choose the DPF."
    ]
    # The input is kept: only the mechanism needs changing.
    assert field(at.text_input, "Name").value == "SurveyPeak LLC"
    assert session.scalars(select(Recipient)).all() == []
    field(at.selectbox, "Transfer mechanism").set_value("privacy_shield")
    field(at.button, "Add recipient").click()
    at.run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Saved SurveyPeak LLC."
    assert not at.error
    table = at.dataframe[0].value
    assert list(table["Country"]) == ["United States of America (US)"]
    assert list(table["Transfer mechanism"]) == ["EU-US Privacy Shield"]
    assert "invalid since 16 July 2020" in table["Status"][0]
    assert any("SurveyPeak LLC" in w.value for w in at.warning)
    assert field(at.metric, "Recipients with a problem").value == "1"
    # The add form is empty again for the next recipient.
    assert field(at.text_input, "Name").value == ""


def test_edit_changes_the_mechanism_and_clears_the_problem(database_url, session, actors, app_test):
    session.add(
        Recipient(
            name="CloudHost Inc.",
            kind="processor",
            service="Hosting",
            country="US",
            transfer_mechanism="none",
        )
    )
    session.commit()
    at = app_test(database_url, actors[Role.COMPLIANCE], PAGE)
    assert "without a valid transfer mechanism" in at.dataframe[0].value["Status"][0]
    mechanisms = [s for s in at.selectbox if s.label == "Transfer mechanism"]
    mechanisms[-1].set_value("dpf")
    # The DPF covers only certified organisations: the check of the DPF list is recorded.
    checked = [d for d in at.date_input if d.label == "DPF certification checked on"]
    checked[-1].set_value(deadlines.today())
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["Status"][0] == "Fine"
    assert at.dataframe[0].value["Safeguard on record"][0] == (
        "EU-US Data Privacy Framework adequacy decision of 10 July 2023; certification "
        f"checked {deadlines.today():%-d.%-m.%Y}"
    )
    session.expire_all()
    assert session.scalars(select(Recipient.transfer_mechanism)).one() == "dpf"


def test_role_and_scope_are_shown_and_edited_with_errors(database_url, session, actors, app_test):
    session.add(
        Recipient(
            name="Rhein Analytics GmbH",
            kind="processor",
            service="Website analytics",
            country="DE",
            transfer_mechanism="not_needed",
        )
    )
    session.commit()
    at = app_test(database_url, actors[Role.COMPLIANCE], PAGE)
    table = at.dataframe[0].value
    assert list(table["Role"]) == ["Processor (Art. 28 agreement)"]
    assert list(table["Whose data"]) == ["Per disclosure"]
    [s for s in at.selectbox if s.label == "Whose data it holds"][-1].set_value("categories")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Choose at least one data category or relationship whose persons it holds."
    ]
    [m for m in at.multiselect if m.label == "Data categories"][-1].set_value(["website_visit"])
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    assert list(at.dataframe[0].value["Whose data"]) == ["Persons with: Website visits"]
    session.expire_all()
    saved = session.scalars(select(Recipient)).one()
    assert (saved.scope, saved.scope_categories) == ("categories", ["website_visit"])


def test_what_a_processor_delivers_is_edited_with_errors_beside_the_field(
    database_url, session, actors, app_test
):
    session.add(
        Recipient(
            name="Emerald Mailworks Ltd",
            kind="processor",
            service="Newsletter delivery",
            country="IE",
            transfer_mechanism="not_needed",
        )
    )
    session.commit()
    at = app_test(database_url, actors[Role.COMPLIANCE], PAGE)
    assert list(at.dataframe[0].value["Delivers"]) == [""]
    [s for s in at.selectbox if s.label == "Delivers marketing messages"][-1].set_value("mailing")
    [s for s in at.selectbox if s.label == "Role"][-1].set_value("controller")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Only a processor delivers marketing messages on our behalf."
    ]
    [s for s in at.selectbox if s.label == "Role"][-1].set_value("processor")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    assert list(at.dataframe[0].value["Delivers"]) == [
        "Mailing (email, newsletters, event invitations)"
    ]
    session.expire_all()
    assert session.scalars(select(Recipient)).one().delivers == "mailing"
