"""Transfers outside the EU/EEA (GDPR Chapter V): which mechanism is valid where and when."""

from __future__ import annotations

import datetime as dt

from registry.vocabulary import TransferMechanism as M

# EU member states and the EEA EFTA states (Iceland, Liechtenstein, Norway).
EEA: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "IS LI NO".split()
)

# Countries with a Commission adequacy decision (Art. 45); the USA only through the DPF.
ADEQUATE: frozenset[str] = frozenset("AD AR CA FO GG IL IM JP JE NZ KR CH GB UY".split())

PRIVACY_SHIELD_INVALID_FROM = dt.date(2020, 7, 16)  # CJEU C-311/18 (Schrems II)
OLD_SCC_EXPIRED_FROM = dt.date(2022, 12, 27)  # Decision 2021/914, Art. 4
DPF_VALID_FROM = dt.date(2023, 7, 10)  # Commission adequacy decision for the EU-US DPF
SCC_2021_VALID_FROM = dt.date(2021, 6, 27)


def in_eea(country: str) -> bool:
    return country.upper() in EEA


def transfer_problem(country: str, mechanism: str, on: dt.date) -> str | None:
    """Why a transfer to `country` on `mechanism` is not lawful on date `on`; None if it is."""
    country = country.upper()
    if in_eea(country):
        return None  # no transfer outside the EEA: any mechanism, or none, is fine
    match mechanism:
        case M.PRIVACY_SHIELD:
            if on >= PRIVACY_SHIELD_INVALID_FROM:
                return "relies on EU-US Privacy Shield, invalid since 16 July 2020 (C-311/18)"
            return None if country == "US" else "Privacy Shield covered only the USA"
        case M.SCC_PRE_2021:
            if on >= OLD_SCC_EXPIRED_FROM:
                return "relies on the pre-2021 Standard Contractual Clauses, expired 27 Dec 2022"
            return None
        case M.DPF:
            if country != "US":
                return "the EU-US Data Privacy Framework covers only certified US organisations"
            if on < DPF_VALID_FROM:
                return "the EU-US Data Privacy Framework applies only from 10 July 2023"
            return None
        case M.ADEQUACY:
            if country in ADEQUATE:
                return None
            return f"{country} has no adequacy decision"
        case M.SCC_2021:
            if on < SCC_2021_VALID_FROM:
                return "the 2021 Standard Contractual Clauses apply only from 27 June 2021"
            return None
        case M.BCR | M.ART49_DEROGATION:
            return None
        case _:
            return f"third country ({country}) without a valid transfer mechanism"
