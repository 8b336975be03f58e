"""Transfers outside the EU/EEA (GDPR Chapter V): which mechanism is valid where and when.

Three questions are kept apart. `mechanism_mismatch` says whether a mechanism can apply to a
country at all (a form refuses such input); `transfer_problem` says whether a transfer relying
on it is lawful on a given date (the register shows it, so a stale basis stays visible);
`safeguard_problem` says whether what the mechanism needs on record for one recipient is
there (a DPF certification checked within the year, an SCC transfer's impact assessment, a
BCR approval).
"""

from __future__ import annotations

import datetime as dt

from registry.vocabulary import TransferMechanism as M

# ISO 3166-1: alpha-2, alpha-3 (plotly's world map speaks alpha-3) and a short English name.
_ISO_3166 = """
AD AND Andorra
AE ARE United Arab Emirates
AF AFG Afghanistan
AG ATG Antigua and Barbuda
AI AIA Anguilla
AL ALB Albania
AM ARM Armenia
AO AGO Angola
AQ ATA Antarctica
AR ARG Argentina
AS ASM American Samoa
AT AUT Austria
AU AUS Australia
AW ABW Aruba
AX ALA Åland Islands
AZ AZE Azerbaijan
BA BIH Bosnia and Herzegovina
BB BRB Barbados
BD BGD Bangladesh
BE BEL Belgium
BF BFA Burkina Faso
BG BGR Bulgaria
BH BHR Bahrain
BI BDI Burundi
BJ BEN Benin
BL BLM Saint Barthélemy
BM BMU Bermuda
BN BRN Brunei
BO BOL Bolivia
BQ BES Bonaire, Sint Eustatius and Saba
BR BRA Brazil
BS BHS Bahamas
BT BTN Bhutan
BV BVT Bouvet Island
BW BWA Botswana
BY BLR Belarus
BZ BLZ Belize
CA CAN Canada
CC CCK Cocos (Keeling) Islands
CD COD Congo (Democratic Republic)
CF CAF Central African Republic
CG COG Congo
CH CHE Switzerland
CI CIV Côte d'Ivoire
CK COK Cook Islands
CL CHL Chile
CM CMR Cameroon
CN CHN China
CO COL Colombia
CR CRI Costa Rica
CU CUB Cuba
CV CPV Cabo Verde
CW CUW Curaçao
CX CXR Christmas Island
CY CYP Cyprus
CZ CZE Czechia
DE DEU Germany
DJ DJI Djibouti
DK DNK Denmark
DM DMA Dominica
DO DOM Dominican Republic
DZ DZA Algeria
EC ECU Ecuador
EE EST Estonia
EG EGY Egypt
EH ESH Western Sahara
ER ERI Eritrea
ES ESP Spain
ET ETH Ethiopia
FI FIN Finland
FJ FJI Fiji
FK FLK Falkland Islands
FM FSM Micronesia
FO FRO Faroe Islands
FR FRA France
GA GAB Gabon
GB GBR United Kingdom
GD GRD Grenada
GE GEO Georgia
GF GUF French Guiana
GG GGY Guernsey
GH GHA Ghana
GI GIB Gibraltar
GL GRL Greenland
GM GMB Gambia
GN GIN Guinea
GP GLP Guadeloupe
GQ GNQ Equatorial Guinea
GR GRC Greece
GS SGS South Georgia and the South Sandwich Islands
GT GTM Guatemala
GU GUM Guam
GW GNB Guinea-Bissau
GY GUY Guyana
HK HKG Hong Kong
HM HMD Heard Island and McDonald Islands
HN HND Honduras
HR HRV Croatia
HT HTI Haiti
HU HUN Hungary
ID IDN Indonesia
IE IRL Ireland
IL ISR Israel
IM IMN Isle of Man
IN IND India
IO IOT British Indian Ocean Territory
IQ IRQ Iraq
IR IRN Iran
IS ISL Iceland
IT ITA Italy
JE JEY Jersey
JM JAM Jamaica
JO JOR Jordan
JP JPN Japan
KE KEN Kenya
KG KGZ Kyrgyzstan
KH KHM Cambodia
KI KIR Kiribati
KM COM Comoros
KN KNA Saint Kitts and Nevis
KP PRK North Korea
KR KOR South Korea
KW KWT Kuwait
KY CYM Cayman Islands
KZ KAZ Kazakhstan
LA LAO Laos
LB LBN Lebanon
LC LCA Saint Lucia
LI LIE Liechtenstein
LK LKA Sri Lanka
LR LBR Liberia
LS LSO Lesotho
LT LTU Lithuania
LU LUX Luxembourg
LV LVA Latvia
LY LBY Libya
MA MAR Morocco
MC MCO Monaco
MD MDA Moldova
ME MNE Montenegro
MF MAF Saint Martin (French part)
MG MDG Madagascar
MH MHL Marshall Islands
MK MKD North Macedonia
ML MLI Mali
MM MMR Myanmar
MN MNG Mongolia
MO MAC Macao
MP MNP Northern Mariana Islands
MQ MTQ Martinique
MR MRT Mauritania
MS MSR Montserrat
MT MLT Malta
MU MUS Mauritius
MV MDV Maldives
MW MWI Malawi
MX MEX Mexico
MY MYS Malaysia
MZ MOZ Mozambique
NA NAM Namibia
NC NCL New Caledonia
NE NER Niger
NF NFK Norfolk Island
NG NGA Nigeria
NI NIC Nicaragua
NL NLD Netherlands
NO NOR Norway
NP NPL Nepal
NR NRU Nauru
NU NIU Niue
NZ NZL New Zealand
OM OMN Oman
PA PAN Panama
PE PER Peru
PF PYF French Polynesia
PG PNG Papua New Guinea
PH PHL Philippines
PK PAK Pakistan
PL POL Poland
PM SPM Saint Pierre and Miquelon
PN PCN Pitcairn
PR PRI Puerto Rico
PS PSE Palestine
PT PRT Portugal
PW PLW Palau
PY PRY Paraguay
QA QAT Qatar
RE REU Réunion
RO ROU Romania
RS SRB Serbia
RU RUS Russia
RW RWA Rwanda
SA SAU Saudi Arabia
SB SLB Solomon Islands
SC SYC Seychelles
SD SDN Sudan
SE SWE Sweden
SG SGP Singapore
SH SHN Saint Helena, Ascension and Tristan da Cunha
SI SVN Slovenia
SJ SJM Svalbard and Jan Mayen
SK SVK Slovakia
SL SLE Sierra Leone
SM SMR San Marino
SN SEN Senegal
SO SOM Somalia
SR SUR Suriname
SS SSD South Sudan
ST STP Sao Tome and Principe
SV SLV El Salvador
SX SXM Sint Maarten (Dutch part)
SY SYR Syria
SZ SWZ Eswatini
TC TCA Turks and Caicos Islands
TD TCD Chad
TF ATF French Southern Territories
TG TGO Togo
TH THA Thailand
TJ TJK Tajikistan
TK TKL Tokelau
TL TLS Timor-Leste
TM TKM Turkmenistan
TN TUN Tunisia
TO TON Tonga
TR TUR Türkiye
TT TTO Trinidad and Tobago
TV TUV Tuvalu
TW TWN Taiwan
TZ TZA Tanzania
UA UKR Ukraine
UG UGA Uganda
UM UMI United States Minor Outlying Islands
US USA United States of America
UY URY Uruguay
UZ UZB Uzbekistan
VA VAT Holy See
VC VCT Saint Vincent and the Grenadines
VE VEN Venezuela
VG VGB Virgin Islands (British)
VI VIR Virgin Islands (U.S.)
VN VNM Viet Nam
VU VUT Vanuatu
WF WLF Wallis and Futuna
WS WSM Samoa
YE YEM Yemen
YT MYT Mayotte
ZA ZAF South Africa
ZM ZMB Zambia
ZW ZWE Zimbabwe
"""
COUNTRIES: dict[str, tuple[str, str]] = {
    line[:2]: (line[3:6], line[7:]) for line in _ISO_3166.strip().splitlines()
}

# EU member states and the EEA EFTA states (Iceland, Liechtenstein, Norway).
EEA: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "IS LI NO".split()
)

# Commission adequacy decisions (Art. 45) and the day each was adopted. The USA has one only
# for organisations certified under the Data Privacy Framework, hence the DPF mechanism.
ADEQUACY_FROM: dict[str, dt.date] = {
    "CH": dt.date(2000, 7, 26),
    "CA": dt.date(2001, 12, 20),
    "AR": dt.date(2003, 6, 30),
    "GG": dt.date(2003, 11, 21),
    "IM": dt.date(2004, 4, 28),
    "JE": dt.date(2008, 5, 8),
    "FO": dt.date(2010, 3, 5),
    "AD": dt.date(2010, 10, 19),
    "IL": dt.date(2011, 1, 31),
    "UY": dt.date(2012, 8, 21),
    "NZ": dt.date(2012, 12, 19),
    "JP": dt.date(2019, 1, 23),
    "GB": dt.date(2021, 6, 28),
    "KR": dt.date(2021, 12, 17),
}
ADEQUATE: frozenset[str] = frozenset(ADEQUACY_FROM)

PRIVACY_SHIELD_VALID_FROM = dt.date(2016, 7, 12)  # Decision 2016/1250
PRIVACY_SHIELD_INVALID_FROM = dt.date(2020, 7, 16)  # CJEU C-311/18 (Schrems II)
SCC_2021_VALID_FROM = dt.date(2021, 6, 27)  # Decision 2021/914
# Old clauses signed before 27 September 2021 could be relied on until 27 December 2022.
OLD_SCC_LAST_SIGNING_DAY = dt.date(2021, 9, 26)
OLD_SCC_EXPIRED_FROM = dt.date(2022, 12, 27)
DPF_VALID_FROM = dt.date(2023, 7, 10)  # Commission adequacy decision for the EU-US DPF
# The DPF covers only organisations on the Department of Commerce's list, and they can leave
# or be removed from it: a check older than this is no longer evidence of certification.
DPF_CHECK_VALID_DAYS = 365

MECHANISM_LABELS: dict[str, str] = {
    M.NOT_NEEDED: "Not needed (inside the EU/EEA)",
    M.ADEQUACY: "Adequacy decision",
    M.DPF: "EU-US Data Privacy Framework certification",
    M.SCC_2021: "2021 Standard Contractual Clauses",
    M.BCR: "Binding corporate rules",
    M.ART49_DEROGATION: "Art. 49 derogation",
    M.PRIVACY_SHIELD: "EU-US Privacy Shield",
    M.SCC_PRE_2021: "Pre-2021 Standard Contractual Clauses",
    M.NONE: "None",
}


def _day(date: dt.date) -> str:
    return f"{date.day} {date:%B %Y}"


def adequacy_decision(country: str) -> str | None:
    """The adequacy decision a transfer to `country` can rest on, with its date (Art. 45)."""
    since = ADEQUACY_FROM.get(country.upper())
    if country.upper() == "US":
        return f"EU-US Data Privacy Framework adequacy decision of {_day(DPF_VALID_FROM)}"
    if since is None:
        return None
    return f"Adequacy decision for {country_name(country)} of {_day(since)}"


def safeguard_problem(
    country: str,
    mechanism: str,
    on: dt.date,
    *,
    dpf_checked_on: dt.date | None = None,
    tia_on: dt.date | None = None,
    bcr_reference: str | None = None,
) -> str | None:
    """What the recipient's safeguard lacks on record on `on`; None when it is all there.

    - DPF: the adequacy decision covers only certified organisations, so the certification
      is checked on the DPF list and the check renewed within DPF_CHECK_VALID_DAYS;
    - 2021 SCCs: a transfer impact assessment of the recipient country's law (CJEU C-311/18,
      para. 134; clause 14 of the 2021 clauses);
    - BCRs: approved by the competent supervisory authority (Art. 47(1)), so the approval's
      reference is kept.
    """
    if in_eea(country):
        return None
    match mechanism:
        case M.DPF:
            if dpf_checked_on is None:
                return (
                    "DPF certification never checked: check the organisation on the DPF list "
                    "and record the day"
                )
            if (on - dpf_checked_on).days > DPF_CHECK_VALID_DAYS:
                return (
                    f"DPF certification last checked on {_day(dpf_checked_on)}, more than a "
                    "year ago: check the DPF list again"
                )
        case M.SCC_2021 if tia_on is None:
            return (
                "2021 Standard Contractual Clauses without a transfer impact assessment "
                "(C-311/18; clause 14): record its date"
            )
        case M.BCR if not (bcr_reference or "").strip():
            return "binding corporate rules without the approval's reference (Art. 47(1))"
    return None


def recurring_derogation(country: str, mechanism: str, disclosures: int) -> str | None:
    """Why an Art. 49 derogation cannot cover a recipient that has had `disclosures`
    disclosures; None while there has been at most one. Derogations cover occasional
    transfers, never regular ones (Art. 49(1) second subparagraph, EDPB Guidelines 2/2018)."""
    if in_eea(country) or mechanism != M.ART49_DEROGATION or disclosures < 2:
        return None
    return (
        f"Art. 49 derogation relied on for {disclosures} disclosures: a derogation covers only "
        "occasional transfers (EDPB Guidelines 2/2018); a regular one needs SCCs, BCRs or "
        "an adequacy decision"
    )


def is_country(code: str) -> bool:
    return code.upper() in COUNTRIES


def country_name(code: str) -> str:
    """The short English name, or the code itself if it is not an ISO 3166 code."""
    return COUNTRIES.get(code.upper(), ("", code))[1]


def iso3(code: str) -> str | None:
    entry = COUNTRIES.get(code.upper())
    return entry[0] if entry else None


def in_eea(country: str) -> bool:
    return country.upper() in EEA


def mechanism_mismatch(country: str, mechanism: str) -> str | None:
    """Why `mechanism` cannot be what a recipient in `country` relies on; None if it can."""
    country = country.upper()
    name = country_name(country)
    if in_eea(country):
        if mechanism != M.NOT_NEEDED:
            return f"{name} is inside the EU/EEA: no transfer mechanism is needed."
        return None
    match mechanism:
        case M.NOT_NEEDED:
            return f"{name} is outside the EU/EEA: name the mechanism relied on, or none."
        case M.ADEQUACY if country not in ADEQUATE:
            if country == "US":
                return "The USA is adequate only for DPF-certified organisations: choose the DPF."
            return f"{name} has no adequacy decision."
        case M.DPF | M.PRIVACY_SHIELD if country != "US":
            return f"{MECHANISM_LABELS[mechanism]} covers only organisations in the USA."
    return None


def transfer_problem(
    country: str, mechanism: str, on: dt.date, *, agreed_on: dt.date | None = None
) -> str | None:
    """Why a transfer to `country` on `mechanism` is not lawful on date `on`; None if it is.

    `agreed_on` is the date of the recipient's agreement, where known: the pre-2021 clauses
    could not be signed after 27 September 2021.
    """
    country = country.upper()
    if in_eea(country):
        return None  # no transfer outside the EEA: any mechanism, or none, is fine
    name = country_name(country)
    match mechanism:
        case M.PRIVACY_SHIELD:
            if country != "US":
                return "relies on EU-US Privacy Shield, which covered only the USA"
            if on >= PRIVACY_SHIELD_INVALID_FROM:
                return "relies on EU-US Privacy Shield, invalid since 16 July 2020 (C-311/18)"
            if on < PRIVACY_SHIELD_VALID_FROM:
                return "relies on EU-US Privacy Shield, which applied only from 12 July 2016"
            return None
        case M.SCC_PRE_2021:
            if on >= OLD_SCC_EXPIRED_FROM:
                return "relies on the pre-2021 Standard Contractual Clauses, expired 27 Dec 2022"
            if agreed_on is not None and agreed_on > OLD_SCC_LAST_SIGNING_DAY:
                return "pre-2021 Standard Contractual Clauses signed from 27 Sep 2021 are not valid"
            return None
        case M.DPF:
            if country != "US":
                return (
                    f"claims the EU-US Data Privacy Framework for {name}; "
                    "it covers only certified US organisations"
                )
            if on < DPF_VALID_FROM:
                return "the EU-US Data Privacy Framework applies only from 10 July 2023"
            return None
        case M.ADEQUACY:
            since = ADEQUACY_FROM.get(country)
            if since is None:
                return f"{name} has no adequacy decision"
            if on < since:
                return f"the adequacy decision for {name} applies only from {_day(since)}"
            return None
        case M.SCC_2021:
            if on < SCC_2021_VALID_FROM:
                return "the 2021 Standard Contractual Clauses apply only from 27 June 2021"
            return None
        case M.BCR | M.ART49_DEROGATION:
            return None
        case _:
            return f"third country ({name}) without a valid transfer mechanism"
