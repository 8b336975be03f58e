"""AppTest of the Registry notice page: the notice for every role, and the live check."""

import datetime as dt

from registry import disclosures
from registry.models import Person, Recipient
from registry.vocabulary import Role

PAGE = "pages/notice.py"


def text_of(at):
    return "\n".join(m.value for m in at.markdown)


def test_every_role_reads_the_notice_and_its_gaps(database_url, actors, app_test):
    for role, actor in actors.items():
        at = app_test(database_url, actor, PAGE)
        assert not at.exception, (role, at.exception)
        page = text_of(at)
        assert "Click2Contract Oy" in page and "Jaakko Ranta" in page
        assert "EU-US Privacy Shield" in page
        assert ":red[:material/cancel:] not stated: Complaint to the supervisory" in page
        assert ":red[relies on EU-US Privacy Shield, invalid since 16 July 2020" in page
        assert "**Art. 13(2)(a)**: The notice states no retention period" in page
        # The schedule's concrete periods, on the page and in the declaration check.
        assert "- **Website visits recorded for a person**: 14 months after the visit." in page
        assert "The schedule: Contact persons of past customer organisations" in page
        assert ":green[:material/check_circle:] Every destination country is declared." in page
        # What the registry relies on and the notice omits (issue 17).
        assert "**Art. 13(1)(d)**: The registry relies on legitimate interests" in page
        assert "**Art. 13(1)(c)**: The purpose “profiling” states no legal basis" in page
        assert "Legal basis: not stated." in [c.value for c in at.caption]


def test_an_undeclared_country_in_the_log_is_shown(database_url, session, actors, app_test):
    r = Recipient(
        name="Mumbai Support Pvt",
        kind="processor",
        service="Support",
        country="IN",
        transfer_mechanism="scc_2021",
    )
    p = Person(
        first_name="A", last_name="B", country="FI", relationship="customer_contact", source="t"
    )
    session.add_all([r, p])
    session.commit()
    disclosures.add_disclosure(
        session,
        actors[Role.COMPLIANCE],
        r.id,
        "Support",
        ["basic"],
        "contract",
        [p.id],
        disclosed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )
    session.commit()
    at = app_test(database_url, actors[Role.MARKETING], PAGE)
    assert not at.exception, at.exception
    assert "India is outside the EU/EEA and received data" in text_of(at)
    live = next(m for m in at.metric if m.label == "Live data the declaration does not cover")
    assert live.value == "2"  # the country, and the recipient outside the declared countries
