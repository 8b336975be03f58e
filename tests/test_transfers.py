"""Transfer mechanism rules as a table of cases: country x mechanism x date (x agreement)."""

import datetime as dt

import pytest
from sqlalchemy import select

from registry.models import Recipient
from registry.recipients import register, status_of
from registry.transfers import (
    ADEQUACY_FROM,
    COUNTRIES,
    EEA,
    in_eea,
    iso3,
    mechanism_mismatch,
    transfer_problem,
)
from registry.vocabulary import Role, TransferMechanism
from tests.conftest import demo_actor

D = dt.date
FINE = None

# (country, mechanism, date, agreement date, a phrase of the problem or FINE)
CASES = [
    # Inside the EU/EEA nothing is a transfer, whatever is recorded.
    ("FI", "not_needed", D(2026, 1, 1), None, FINE),
    ("NO", "none", D(2026, 1, 1), None, FINE),
    ("DE", "privacy_shield", D(2026, 1, 1), None, FINE),
    # Privacy Shield: valid only between 12 July 2016 and 15 July 2020, only for the USA.
    ("US", "privacy_shield", D(2016, 7, 11), None, "only from 12 July 2016"),
    ("US", "privacy_shield", D(2016, 7, 12), None, FINE),
    ("US", "privacy_shield", D(2020, 7, 15), None, FINE),
    ("US", "privacy_shield", D(2020, 7, 16), None, "invalid since 16 July 2020"),
    ("US", "privacy_shield", D(2026, 3, 1), None, "invalid since 16 July 2020"),
    ("IN", "privacy_shield", D(2019, 1, 1), None, "covered only the USA"),
    # The EU-US Data Privacy Framework: from 10 July 2023, only for US organisations.
    ("US", "dpf", D(2023, 7, 9), None, "only from 10 July 2023"),
    ("US", "dpf", D(2023, 7, 10), None, FINE),
    ("GB", "dpf", D(2026, 1, 1), None, "covers only certified US organisations"),
    ("CA", "dpf", D(2026, 1, 1), None, "for Canada"),
    # Old clauses: signed before 27 September 2021, relied on until 26 December 2022.
    ("US", "scc_pre_2021", D(2022, 12, 26), D(2019, 5, 1), FINE),
    ("US", "scc_pre_2021", D(2022, 12, 27), D(2019, 5, 1), "expired 27 Dec 2022"),
    ("IN", "scc_pre_2021", D(2022, 1, 1), D(2021, 9, 26), FINE),
    ("IN", "scc_pre_2021", D(2022, 1, 1), D(2021, 9, 27), "signed from 27 Sep 2021"),
    ("IN", "scc_pre_2021", D(2022, 1, 1), None, FINE),
    # The 2021 clauses: from 27 June 2021, anywhere.
    ("IN", "scc_2021", D(2021, 6, 26), None, "only from 27 June 2021"),
    ("IN", "scc_2021", D(2021, 6, 27), None, FINE),
    ("US", "scc_2021", D(2026, 1, 1), None, FINE),
    # Adequacy: only the countries with a decision, and only from its date.
    ("JP", "adequacy", D(2019, 1, 22), None, "applies only from 23 January 2019"),
    ("JP", "adequacy", D(2019, 1, 23), None, FINE),
    ("GB", "adequacy", D(2021, 6, 27), None, "applies only from 28 June 2021"),
    ("GB", "adequacy", D(2026, 1, 1), None, FINE),
    ("KR", "adequacy", D(2021, 12, 17), None, FINE),
    ("CH", "adequacy", D(2010, 1, 1), None, FINE),
    ("US", "adequacy", D(2026, 1, 1), None, "has no adequacy decision"),
    ("IN", "adequacy", D(2026, 1, 1), None, "India has no adequacy decision"),
    # Binding corporate rules and Art. 49 derogations are not dated.
    ("IN", "bcr", D(2026, 1, 1), None, FINE),
    ("BR", "art49_derogation", D(2026, 1, 1), None, FINE),
    # A third country with no mechanism, or "not needed", is not lawful.
    ("US", "none", D(2026, 1, 1), None, "without a valid transfer mechanism"),
    ("IN", "not_needed", D(2026, 1, 1), None, "(India) without a valid transfer mechanism"),
]


@pytest.mark.parametrize(("country", "mechanism", "on", "agreed_on", "expected"), CASES)
def test_transfer_problem(country, mechanism, on, agreed_on, expected):
    problem = transfer_problem(country, mechanism, on, agreed_on=agreed_on)
    if expected is FINE:
        assert problem is None
    else:
        assert problem is not None and expected in problem


# (country, mechanism, a phrase of the refusal or FINE): what the recipient form accepts.
MISMATCHES = [
    ("FI", "not_needed", FINE),
    ("FI", "scc_2021", "inside the EU/EEA"),
    ("US", "not_needed", "outside the EU/EEA"),
    ("US", "adequacy", "choose the DPF"),
    ("IN", "adequacy", "India has no adequacy decision"),
    ("JP", "adequacy", FINE),
    ("GB", "dpf", "covers only organisations in the USA"),
    ("US", "dpf", FINE),
    ("CN", "privacy_shield", "covers only organisations in the USA"),
    # Recorded as it is, so the register can flag it.
    ("US", "privacy_shield", FINE),
    ("US", "scc_pre_2021", FINE),
    ("US", "none", FINE),
]


@pytest.mark.parametrize(("country", "mechanism", "expected"), MISMATCHES)
def test_mechanism_allowed_for_country(country, mechanism, expected):
    message = mechanism_mismatch(country, mechanism)
    if expected is FINE:
        assert message is None
    else:
        assert message is not None and expected in message


def test_every_mechanism_has_a_rule_outside_the_eea():
    on = D(2026, 1, 1)
    outcomes = {m: transfer_problem("US", m, on) for m in TransferMechanism}
    assert {m for m, p in outcomes.items() if p is None} == {
        TransferMechanism.DPF,
        TransferMechanism.SCC_2021,
        TransferMechanism.BCR,
        TransferMechanism.ART49_DEROGATION,
    }


def test_country_table():
    assert len(COUNTRIES) == 249
    assert iso3("fi") == "FIN" and iso3("US") == "USA" and iso3("GB") == "GBR"
    assert iso3("XX") is None
    assert len({a3 for a3, _ in COUNTRIES.values()}) == 249
    assert EEA <= set(COUNTRIES) and set(ADEQUACY_FROM) <= set(COUNTRIES)
    assert len(EEA) == 30 and in_eea("is") and not in_eea("CH")


def test_seeded_privacy_shield_recipient_is_flagged(seeded_session):
    shield = seeded_session.scalars(
        select(Recipient).where(Recipient.transfer_mechanism == TransferMechanism.PRIVACY_SHIELD)
    ).all()
    assert shield, "the seed has a recipient relying on Privacy Shield"
    for r in shield:
        assert "Privacy Shield" in (status_of(r, D(2026, 3, 1)) or "")
    rows = register(seeded_session, demo_actor(seeded_session, Role.COMPLIANCE), D(2026, 3, 1))
    flagged = {row.name for row in rows if row.problem}
    assert {r.name for r in shield} <= flagged
