"""The Audit trail page (AppTest): filters, paging, the chart and the export button."""

from __future__ import annotations

import datetime as dt

import pytest

from registry import deadlines, settings
from registry.models import AuditEvent
from registry.vocabulary import Role
from views.widgets import plain

PAGE = "pages/audit.py"


def _at_helsinki(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), settings.REGISTRY_TZ).astimezone(dt.UTC)


@pytest.fixture
def trail(session, actors) -> dict[str, dt.date]:  # type: ignore[no-untyped-def]
    """Events on three recent Helsinki days, by two accounts and one failed sign-in."""
    today = deadlines.today()
    days = {"today": today, "yesterday": today - dt.timedelta(days=1)}
    days["long ago"] = today - dt.timedelta(days=settings.AUDIT_DEFAULT_DAYS + 5)
    rows = [
        (days["long ago"], 9, "compliance-user", "view_person", "person", "17"),
        (days["yesterday"], 9, "compliance-user", "view_person", "person", "17"),
        (days["yesterday"], 10, "compliance-user", "view_person", "person", "18"),
        (days["yesterday"], 11, "administrator-user", "user_created", "app_user", "3"),
        (days["today"], 8, "mallory", "sign_in_failed", "app_user", None),
        (days["today"], 9, "compliance-user", "sign_in", "app_user", "2"),
    ]
    for day, hour, name, action, record_type, record_id in rows:
        session.add(
            AuditEvent(
                at=_at_helsinki(day, hour),
                actor_name=name,
                action=action,
                record_type=record_type,
                record_id=record_id,
                detail=f"{action} at {hour}",
            )
        )
    session.commit()
    return days


@pytest.fixture
def audit_page(database_url, actors, trail, app_test):  # type: ignore[no-untyped-def]
    at = app_test(database_url, actors[Role.COMPLIANCE], PAGE)
    assert not at.exception, at.exception
    return at


def _apply(at):  # type: ignore[no-untyped-def]
    [button] = [b for b in at.button if b.label == "Apply"]
    button.click().run()
    assert not at.exception, at.exception
    return at


def _metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in at.metric}


def test_opens_on_the_recent_days_newest_first(audit_page, trail):
    at = audit_page
    assert at.title[0].value == "Audit trail"
    assert _metrics(at) == {"Events": "5", "Users": "3", "Failed sign-ins": "1"}
    table = at.dataframe[0].value
    assert list(table.columns)[:6] == ["When", "User", "Action", "Record", "Record id", "Detail"]
    assert table["User"].tolist() == [
        "compliance-user",
        "mallory",
        "administrator-user",
        "compliance-user",
        "compliance-user",
    ]
    # Labels, not stored codes; times in Helsinki.
    assert table["Action"].tolist()[:3] == ["Signed in", "Sign-in failed", "User created"]
    assert table["Record"].tolist()[:3] == ["Dashboard user", "Dashboard user", "Dashboard user"]
    assert table["When"].iloc[0] == f"{trail['today'].isoformat()} 09:00:00"
    assert at.get("plotly_chart"), "the actions-per-day chart is drawn"
    download, workbook = at.get("download_button")
    assert download.label == "Export 5 events as CSV"
    assert workbook.label == "Export 5 events as XLSX"
    assert "recorded in the audit trail" in download.help


@pytest.mark.parametrize("role", [Role.COMPLIANCE, Role.ADMINISTRATOR])
def test_compliance_and_administrators_see_the_page(role, database_url, actors, app_test):
    at = app_test(database_url, actors[role], PAGE)
    assert not at.exception
    assert at.title[0].value == "Audit trail"
    assert at.info[0].value == "No events match the filter."


def test_marketing_cannot_reach_the_page(database_url, actors, app_test):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_test(database_url, actors[Role.MARKETING], PAGE)


def test_filter_by_user_action_and_record(audit_page):
    at = audit_page
    assert at.selectbox(key="audit_user").options == [
        "administrator-user",
        "compliance-user",
        "mallory",
    ]
    at.selectbox(key="audit_user").select("compliance-user")
    at.selectbox(key="audit_action").select("view_person")
    _apply(at)
    assert _metrics(at)["Events"] == "2"
    at.selectbox(key="audit_record_type").select("person")
    at.text_input(key="audit_record_id").input(" 18 ")
    _apply(at)
    table = at.dataframe[0].value
    assert table["Record id"].tolist() == ["18"]
    assert table["Detail"].tolist() == ["view_person at 10"]
    assert any(
        plain(
            "where user = 'compliance-user' and action = 'View person' and record type = "
            "'Person' and record id = '18'"
        )
        in c.value
        for c in at.caption
    )
    assert at.get("download_button")[0].label == "Export 1 events as CSV"


def test_filter_by_date_range(audit_page, trail):
    at = audit_page
    at.date_input(key="audit_since").set_value(trail["long ago"])
    at.date_input(key="audit_until").set_value(trail["yesterday"])
    _apply(at)
    assert _metrics(at)["Events"] == "4"
    days = set(at.dataframe[0].value["When"].str[:10])
    assert days == {trail["long ago"].isoformat(), trail["yesterday"].isoformat()}


def test_an_inverted_date_range_is_explained_next_to_the_field(audit_page, trail):
    at = audit_page
    at.date_input(key="audit_since").set_value(trail["today"])
    at.date_input(key="audit_until").set_value(trail["yesterday"])
    _apply(at)
    assert [e.value for e in at.error] == ["The end date is before the start date."]
    assert at.date_input(key="audit_until").value == trail["yesterday"]
    assert not at.dataframe and not at.metric


def test_pages_of_events(database_url, actors, session, app_test):
    moment = _at_helsinki(deadlines.today(), 0)
    for i in range(settings.PAGE_SIZE * 2 + 3):
        session.add(
            AuditEvent(
                at=moment + dt.timedelta(seconds=i),
                actor_name="compliance-user" if i % 2 else "administrator-user",
                action="view_person",
                record_type="person",
                record_id=str(i),
            )
        )
    session.commit()
    at = app_test(database_url, actors[Role.ADMINISTRATOR], PAGE)
    page_number = at.number_input(key="audit_page_number")
    assert (page_number.value, page_number.max) == (1, 3)
    assert at.dataframe[0].value["Record id"].iloc[0] == str(settings.PAGE_SIZE * 2 + 2)
    page_number.set_value(3).run()
    assert at.dataframe[0].value["Record id"].tolist() == ["2", "1", "0"]
    # A new filter starts again from the first page.
    at.selectbox(key="audit_user").select("compliance-user")
    _apply(at)
    assert at.number_input(key="audit_page_number").value == 1
    assert _metrics(at)["Events"] == str(settings.PAGE_SIZE + 1)
