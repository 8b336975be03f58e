"""The registry declaration loads into typed objects and names the bad key when it is wrong."""

import datetime as dt
import tomllib

import pytest

from registry import notice, settings


def shipped() -> dict:
    with settings.DECLARATION_PATH.open("rb") as f:
        return tomllib.load(f)


def test_shipped_declaration_matches_the_notice():
    d = notice.load()
    assert d.controller.name == "Click2Contract Oy"
    assert d.contact.name == "Jaakko Ranta"
    assert {c.key for c in d.data_categories} == {
        "basic",
        "customer_relationship",
        "service_user",
        "transactions",
    }
    assert d.profiling_purposes and d.profiling_purposes[0].profiling_logic
    assert "US" in d.third_countries
    assert "privacy_shield" in d.declared_safeguards
    # What the notice does not say is recorded as a gap, not invented.
    assert d.legal_bases == ()
    gaps = {g.key for g in d.gaps}
    assert {"retention", "complaint_to_authority", "legal_bases", "privacy_shield"} <= gaps


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["purposes"][1].pop("text"), "purposes[1].text: missing"),
        (lambda d: d["controller"].update(name=""), "controller.name: empty"),
        (lambda d: d.pop("transfers"), "transfers: missing"),
        (
            lambda d: d["recipient_categories"][0].update(countries=["Finland"]),
            "recipient_categories[0].countries: 'Finland' is not an ISO 3166 country code",
        ),
        (
            lambda d: d["transfers"].update(declared_safeguards=["handshake"]),
            "transfers.declared_safeguards: unknown safeguard 'handshake'",
        ),
        (lambda d: d["rights"].update(access="yes"), "rights.access: expected true or false"),
        (lambda d: d.update(gaps=[]), "gaps: expected at least one [[gaps]] entry"),
        # The retention schedule (Art. 5(1)(e)): every rule, a concrete period, known keys.
        (
            lambda d: d["retention"].pop("service_users"),
            "retention.service_users: missing",
        ),
        (
            lambda d: d["retention"]["service_users"].pop("months"),
            "retention.service_users.years: missing (or months)",
        ),
        (
            lambda d: d["retention"]["past_customer_contacts"].update(years=0),
            "retention.past_customer_contacts.years: expected a whole number from 1 to 30",
        ),
        (
            lambda d: d["retention"]["website_behaviour"].update(months="fourteen"),
            "retention.website_behaviour.months: expected a whole number",
        ),
        (
            lambda d: d["retention"]["marketing_opt_ins"].update(months=6),
            "retention.marketing_opt_ins.months: give years or months, not both",
        ),
        (
            lambda d: d["retention"]["orders"].update(years=2),
            "retention.orders.years: the orders' period is the Accounting Act's",
        ),
        (
            lambda d: d["retention"]["consent_evidence"].update(reason=""),
            "retention.consent_evidence.reason: empty",
        ),
        (
            lambda d: d["retention"]["audit_trail"].update(forever=True),
            "retention.audit_trail.forever: unknown key",
        ),
        (
            lambda d: d["retention"].update(backups={"years": 1}),
            "retention.backups: unknown key",
        ),
        (
            lambda d: d["files"].update(csv_delimiter="|"),
            "files.csv_delimiter: '|' is not a column separator",
        ),
        (lambda d: d["files"].update(separator=";"), "files.separator: unknown setting"),
        (
            lambda d: d["purposes"][0].update(legal_bases=["gut feeling"]),
            "purposes[0].legal_bases: 'gut feeling' is not a basis of Art. 6(1)",
        ),
        (
            lambda d: d["purposes"][1].update(profiling_uses=["dreams"]),
            "purposes[1].profiling_uses: unknown kind of data 'dreams'",
        ),
    ],
)
def test_a_bad_declaration_names_the_key(mutate, message):
    data = shipped()
    mutate(data)
    with pytest.raises(notice.DeclarationError, match=__import__("re").escape(message)):
        notice.parse(data)


def test_the_schedule_states_a_concrete_period_per_kind_of_data():
    d = notice.load()
    periods = {r.key: d.retention_period_of(r) for r in d.retention.rules}
    assert periods == {
        "past_customer_contacts": "3 years",
        "service_users": "24 months",
        "marketing_opt_ins": "3 years",
        "other_connections": "3 years",
        "website_behaviour": "14 months",
        "consent_evidence": "3 years",
        "request_records": "3 years",
        "orders": "6 years",  # the Accounting Act's voucher period, from [legal_hold]
        "audit_trail": "5 years",
    }
    assert all(r.reason.strip() and r.starts.strip() for r in d.retention.rules)
    rule = d.retention.rule("service_users")
    assert rule.cutoff(dt.date(2026, 3, 10)) == dt.date(2024, 3, 10)
    assert rule.cutoff(dt.date(2026, 2, 28)) == dt.date(2024, 2, 28)
    leap = d.retention.rule("past_customer_contacts")
    assert leap.cutoff(dt.date(2028, 2, 29)) == dt.date(2025, 2, 28)


def test_missing_and_malformed_files_are_reported_with_the_path(tmp_path):
    with pytest.raises(notice.DeclarationError, match="declaration is missing"):
        notice.load(tmp_path / "nothing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[registry\nname = 1")
    with pytest.raises(notice.DeclarationError, match="not valid TOML"):
        notice.load(bad)


def test_the_csv_separator_is_declared_and_defaults_to_finnish_excel():
    data = shipped()
    assert notice.parse(data).csv_delimiter == ";"
    data["files"]["csv_delimiter"] = ","
    assert notice.parse(data).csv_delimiter == ","
    del data["files"]
    assert notice.parse(data).csv_delimiter == ";"
