"""AppTest of the Breaches page: recording with errors next to the fields, the clock on the
register and the Overview, the decisions' refusals, the affected persons counted and listed
(audited), the documents, and the letters list recorded as a disclosure."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from navigation import PAGES
from registry import breaches, settings
from registry.breaches import BreachInput
from registry.models import AuditEvent, Breach, Disclosure
from registry.permissions import Actor
from registry.vocabulary import Role
from tests import breach_data
from tests.breach_data import AWARE, WINDOW_END, WINDOW_START

PAGE = "pages/breaches.py"


pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def registry(session):
    return breach_data.build(session, persons=30)


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def recent_awareness() -> dt.datetime:
    """Ten hours ago in Helsinki, to the minute (the form takes minutes)."""
    now = dt.datetime.now(settings.REGISTRY_TZ).replace(second=0, microsecond=0, tzinfo=None)
    return now - dt.timedelta(hours=10)


def test_record_refuses_bad_input_next_to_the_fields_then_records(
    database_url, session, registry, app_test
):
    at = app_test(database_url, registry.officer, PAGE)
    assert not at.exception, at.exception
    assert at.info[0].value.startswith("No breach is recorded")
    k = "breaches_add_0"
    aware = recent_awareness()
    at.text_input(key=f"{k}_summary").input("Newsletter provider's database copied")
    at.text_area(key=f"{k}_description").input("An attacker copied the mailing database.")
    at.date_input(key=f"{k}_occurred_day").set_value(aware.date())
    at.time_input(key=f"{k}_occurred_time").set_value(aware.time())
    # Aware a day before it happened; a risk without its reasoning; half an end time.
    at.date_input(key=f"{k}_aware_day").set_value(aware.date() - dt.timedelta(days=1))
    at.time_input(key=f"{k}_aware_time").set_value(aware.time())
    at.date_input(key=f"{k}_ended_day").set_value(aware.date())
    at.selectbox(key=f"{k}_source").set_value("recipient")
    at.selectbox(key=f"{k}_recipient").set_value(registry.mailer.id)
    at.multiselect(key=f"{k}_categories").set_value(["basic"])
    at.selectbox(key=f"{k}_risk").set_value("high_risk")
    button(at, "Record breach").click()
    at.run()
    assert not at.exception, at.exception
    occurred = f"{aware.day}.{aware.month}.{aware.year} {aware:%H.%M}"
    assert errors(at) == [
        f"The controller cannot have become aware before the breach happened ({occurred}).",
        "Enter both the date and the time (Helsinki).",
        "Give the reasoning behind the risk assessment.",
    ]
    assert session.scalar(select(func.count()).select_from(Breach)) == 0
    # The input is kept: only the wrong fields need changing.
    assert at.text_input(key=f"{k}_summary").value == "Newsletter provider's database copied"

    at.date_input(key=f"{k}_aware_day").set_value(aware.date())
    at.date_input(key=f"{k}_ended_day").set_value(None)
    at.text_area(key=f"{k}_reasoning").input("Names and email addresses invite phishing.")
    button(at, "Record breach").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    [made] = session.scalars(select(Breach))
    assert at.success[0].value == (
        f"{breaches.reference(made.id)} recorded. The clock runs from awareness."
    )
    table = at.dataframe[0].value
    assert list(table["Reference"]) == [breaches.reference(made.id)]
    # Ten hours after awareness: 61 of the 72 hours are left (and some minutes).
    assert list(table["Clock"]) == ["61 h left"]
    assert list(table["Risk"]) == ["High risk"]
    assert any("61 h left" in m.value for m in at.markdown)

    at.switch_page("pages/overview.py")
    at.run()
    assert not at.exception, at.exception
    assert (
        next(m for m in at.metric if m.label == "Breaches awaiting the Ombudsman decision").value
        == "1"
    )
    assert any("green-badge" in m.value and "61 h left" in m.value for m in at.markdown)


def record(session, registry, **values) -> Breach:
    base = {
        "summary": "Mail House database copied",
        "description": "Copied.",
        "occurred_at": WINDOW_START,
        "ended_at": WINDOW_END,
        "aware_at": AWARE,
        "source": "recipient",
        "source_recipient_id": registry.everyone.id,
        "data_categories": ("basic", "service_user"),
    }
    return breaches.record_breach(session, registry.officer, BreachInput(**(base | values)))


def test_the_decisions_refuse_bad_input_next_to_the_fields(
    database_url, session, registry, app_test
):
    breach = record(session, registry)
    at = app_test(database_url, registry.officer, PAGE)
    assert not at.exception, at.exception
    # Overdue since 8.6.2026: red on the register.
    assert "h overdue" in at.dataframe[0].value["Clock"][0]
    assert any("red-badge" in m.value for m in at.markdown)
    k = f"breaches_authority_{breach.id}_{breach.version}"
    at.radio(key=f"{k}_decision").set_value("not_notified")
    button(at, "Record the Ombudsman decision").click()
    at.run()
    assert not at.exception, at.exception
    assert errors(at) == [
        "Assess the risk first: only a breach unlikely to result in a risk to persons may "
        "go unnotified (Art. 33(1)).",
        "Say why the Ombudsman is not notified.",
    ]
    at.radio(key=f"{k}_decision").set_value("notified")
    at.date_input(key=f"{k}_notified_day").set_value(dt.date(2026, 6, 4))
    at.time_input(key=f"{k}_notified_time").set_value(dt.time(12, 0))
    button(at, "Record the Ombudsman decision").click()
    at.run()
    assert errors(at) == [
        "The notification cannot come before the controller became aware of the breach "
        "(5.6.2026 13.00)."
    ]
    at.date_input(key=f"{k}_notified_day").set_value(dt.date(2026, 6, 9))
    button(at, "Record the Ombudsman decision").click()
    at.run()
    assert errors(at) == [
        "The notification came 23 h after the 72-hour deadline (8.6.2026 13.00): give the "
        "reasons for the delay (Art. 33(1))."
    ]
    at.text_area(key=f"{k}_delay").input("The provider told us on a Friday evening.")
    button(at, "Record the Ombudsman decision").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error
    assert at.success[0].value.endswith("the Ombudsman decision is recorded.")
    assert list(at.dataframe[0].value["Clock"]) == ["notified 23 h late"]
    session.expire_all()
    assert session.get(Breach, breach.id).authority_decision == "notified"


def test_count_list_documents_and_the_letters_list(database_url, session, registry, app_test):
    breach = record(session, registry)
    at = app_test(database_url, registry.officer, PAGE)
    button(at, "Count who was affected").click()
    at.run()
    assert not at.exception, at.exception
    want = breach_data.expected(session, session.get(Breach, breach.id), breach_persons_now())
    metrics = {m.label: m.value for m in at.metric}
    # Counted to the end of the window, which is recorded: the same answer now as then.
    assert metrics["Persons affected"] == f"{len(want.ids):,}"
    assert metrics["Records concerned"] == f"{sum(want.by_category.values()):,}"

    def viewed() -> int:
        return session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "breach_affected_viewed")
        )

    assert viewed() == 0  # counting shows no person
    button(at, "Show the affected persons").click()
    at.run()
    assert not at.exception, at.exception
    shown = next(d.value for d in at.dataframe if "Name" in d.value.columns)
    assert list(shown["#"]) == want.ids[: settings.PAGE_SIZE]
    assert viewed() == 1

    downloads = [b.label for b in at.get("download_button")]
    for language in ("Finnish", "Swedish", "English"):
        assert f"Notification ({language})" in downloads
        assert f"Letter ({language})" in downloads

    k = f"breaches_letters_{breach.id}"
    at.selectbox(key=f"{k}_recipient").set_value(registry.mailer.id)
    at.radio(key=f"{k}_format").set_value("xlsx")
    button(at, "Produce the letters list").click()
    at.run()
    assert not at.exception, at.exception
    [disclosure] = session.scalars(
        select(Disclosure).where(Disclosure.purpose.like("Art. 34 letters%"))
    )
    assert at.success[0].value.startswith(
        f"Letters list for {disclosure.person_count:,} persons recorded as disclosure "
        f"#{disclosure.id} to Mail House Oy"
    )
    labels = [b.label for b in at.get("download_button")]
    assert f"Download the letters list ({disclosure.person_count:,} persons)" in labels

    k = f"breaches_one_letter_{breach.id}"
    at.text_input(key=f"{k}_person").input("999999")
    button(at, "Prepare the person's letter").click()
    at.run()
    assert errors(at) == ["Person 999999 is not among the persons this breach affected."]
    at.text_input(key=f"{k}_person").input(str(want.ids[0]))
    button(at, "Prepare the person's letter").click()
    at.run()
    assert not at.error
    assert any(
        b.label.startswith(f"Download the letter to person #{want.ids[0]}")
        for b in at.get("download_button")
    )


def breach_persons_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_only_compliance_has_the_page(session, actors):
    titles = {role: [p.title for p in PAGES if actors[role].may(p.permission)] for role in Role}
    assert "Breaches" in titles[Role.COMPLIANCE]
    assert "Breaches" not in titles[Role.MARKETING]
    assert "Breaches" not in titles[Role.ADMINISTRATOR]


def test_the_overview_shows_no_clock_to_marketing(database_url, session, registry, app_test):
    record(session, registry)
    marketing = Actor.of(registry.other)
    at = app_test(database_url, marketing, "pages/overview.py")
    assert not at.exception, at.exception
    assert not any(m.label == "Breaches awaiting the Ombudsman decision" for m in at.metric)
