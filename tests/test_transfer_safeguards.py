"""What each transfer safeguard needs on record: a DPF certification checked within the
year, an SCC transfer's impact assessment, a BCR approval reference; an Art. 49 derogation
never for recurring disclosures; adequacy decisions with their dates. Flagged on the
register, counted on the Overview, refused for a list; SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from registry import (
    deadlines,
    disclosure_by_hand,
    export,
    overview,
    recipient_safeguards,
    recipients,
)
from registry.errors import ValidationError
from registry.models import Disclosure
from registry.recipients import RecipientInput
from registry.transfers import adequacy_decision, recurring_derogation, safeguard_problem
from registry.vocabulary import Role
from tests import factories
from tests.test_segments_export import add_person, choice_of, grant

D = dt.date
ON = D(2026, 6, 1)
FINE = None

# (country, mechanism, DPF checked on, TIA on, BCR reference, a phrase of the flag or FINE)
CASES = [
    ("US", "dpf", None, None, None, "never checked"),
    ("US", "dpf", D(2025, 6, 1), None, None, FINE),  # 365 days before: still within the year
    ("US", "dpf", D(2025, 5, 31), None, None, "more than a year ago"),
    ("US", "dpf", D(2026, 5, 1), None, None, FINE),
    ("IN", "scc_2021", None, None, None, "without a transfer impact assessment"),
    ("IN", "scc_2021", None, D(2024, 1, 1), None, FINE),
    ("IN", "bcr", None, None, None, "approval's reference"),
    ("IN", "bcr", None, None, "  ", "approval's reference"),
    ("IN", "bcr", None, None, "CNIL 2019-123", FINE),
    ("JP", "adequacy", None, None, None, FINE),
    ("IN", "art49_derogation", None, None, None, FINE),  # once is fine (recurring: below)
    # Inside the EU/EEA nothing is transferred, so nothing is needed on record.
    ("DE", "not_needed", None, None, None, FINE),
]


@pytest.mark.parametrize(("country", "mechanism", "dpf", "tia", "bcr", "expected"), CASES)
def test_safeguard_problem(country, mechanism, dpf, tia, bcr, expected):
    problem = safeguard_problem(
        country, mechanism, ON, dpf_checked_on=dpf, tia_on=tia, bcr_reference=bcr
    )
    if expected is FINE:
        assert problem is None
    else:
        assert problem is not None and expected in problem


def test_a_derogation_is_flagged_from_the_second_disclosure():
    assert recurring_derogation("IN", "art49_derogation", 1) is None
    assert "2 disclosures" in (recurring_derogation("IN", "art49_derogation", 2) or "")
    assert recurring_derogation("IN", "scc_2021", 5) is None


def test_adequacy_decisions_carry_their_dates():
    assert adequacy_decision("JP") == "Adequacy decision for Japan of 23 January 2019"
    assert adequacy_decision("us") == (
        "EU-US Data Privacy Framework adequacy decision of 10 July 2023"
    )
    assert adequacy_decision("IN") is None


BASE = RecipientInput(
    name="Far Away Ltd", kind="processor", service="Hosting", country="IN", transfer_mechanism="bcr"
)


@pytest.mark.parametrize(
    ("change", "field", "phrase"),
    [
        ({"dpf_checked_on": D(2026, 1, 1)}, "dpf_checked_on", "Data Privacy Framework"),
        ({"tia_on": D(2026, 1, 1)}, "tia_on", "Standard Contractual Clauses"),
        (
            {"transfer_mechanism": "scc_2021", "bcr_reference": "X"},
            "bcr_reference",
            "Binding corporate rules",
        ),
        (
            {"transfer_mechanism": "scc_2021", "tia_on": D(2999, 1, 1)},
            "tia_on",
            "future",
        ),
        ({"bcr_reference": "x" * 201}, "bcr_reference", "at most"),
    ],
)
def test_the_safeguard_fields_belong_to_their_mechanism(session, actors, change, field, phrase):
    with pytest.raises(ValidationError) as e:
        recipients.add_recipient(
            session, actors[Role.COMPLIANCE], dataclasses.replace(BASE, **change)
        )
    assert phrase in e.value.field_errors[field]


def test_the_register_and_the_overview_flag_what_a_safeguard_lacks(session, actors):
    compliance = actors[Role.COMPLIANCE]
    today = deadlines.today()
    recipients.add_recipient(session, compliance, BASE)  # BCR without a reference
    cloud = recipients.add_recipient(
        session,
        compliance,
        RecipientInput(
            "Cloud Inc",
            "processor",
            "Hosting",
            "US",
            "dpf",
            dpf_checked_on=today - dt.timedelta(days=400),
        ),
    )
    recipients.add_recipient(
        session,
        compliance,
        RecipientInput("Well Kept Ltd", "processor", "CRM", "IN", "scc_2021", tia_on=today),
    )
    rows = {r.name: r for r in recipients.register(session, compliance)}
    assert "approval's reference" in (rows["Far Away Ltd"].problem or "")
    assert "more than a year ago" in (rows["Cloud Inc"].problem or "")
    assert rows["Well Kept Ltd"].problem is None
    assert recipient_safeguards.safeguard_record(rows["Well Kept Ltd"]).startswith(
        "Transfer impact assessment"
    )
    counted = overview.overview(session, compliance)
    assert sorted(p.name for p in counted.transfer_problems) == ["Cloud Inc", "Far Away Ltd"]
    # Checking the DPF list again clears the flag.
    recipients.update_recipient(
        session,
        compliance,
        cloud.id,
        RecipientInput("Cloud Inc", "processor", "Hosting", "US", "dpf", dpf_checked_on=today),
    )
    rows = {r.name: r for r in recipients.register(session, compliance)}
    assert rows["Cloud Inc"].problem is None


def test_a_second_disclosure_on_a_derogation_is_refused(session, actors):
    compliance, marketing = actors[Role.COMPLIANCE], actors[Role.MARKETING]
    person = add_person(session, "Aino", "aino@example.fi")
    grant(session, compliance, person, "newsletter")
    mailer = factories.recipient(
        session,
        "Overseas Mail Ltd",
        country="IN",
        transfer_mechanism="art49_derogation",
        delivers="mailing",
    )
    definition = [{"field": "relationship", "op": "in", "value": ["marketing_opt_in"]}]

    def send() -> None:
        export.export_target_list(
            session,
            marketing,
            choice_of(definition),
            "newsletter",
            mailer.id,
            "News",
            io.StringIO(),
        )

    send()  # one occasional transfer
    with pytest.raises(ValidationError) as e:
        send()
    assert "not recurring ones" in e.value.field_errors["recipient"]
    assert session.scalar(select(func.count()).select_from(Disclosure)) == 1
    # A disclosure already made outside the registry is still recorded as it happened, and
    # the register flags the recipient from then on.
    made = disclosure_by_hand.record_disclosure(
        session,
        compliance,
        disclosure_by_hand.DisclosureInput(
            mailer.id, "Survey", ("basic",), "consent", str(person.id), dt.date(2026, 1, 5)
        ),
    )
    assert made.person_count == 1
    [row] = [r for r in recipients.register(session, compliance) if r.name == mailer.name]
    assert "relied on for 2 disclosures" in (row.problem or "")
