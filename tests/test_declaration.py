"""The registry declaration loads into typed objects and names the bad key when it is wrong."""

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
    assert d.retention_period == "" and d.legal_bases == ()
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
        (
            lambda d: d["files"].update(csv_delimiter="|"),
            "files.csv_delimiter: '|' is not a column separator",
        ),
        (lambda d: d["files"].update(separator=";"), "files.separator: unknown setting"),
    ],
)
def test_a_bad_declaration_names_the_key(mutate, message):
    data = shipped()
    mutate(data)
    with pytest.raises(notice.DeclarationError, match=__import__("re").escape(message)):
        notice.parse(data)


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
