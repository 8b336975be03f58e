"""Validators of a person's fields: each returns the normalised value, or an Invalid message.

They never raise on any text a user can type, and never pass on text they have not
normalised: Unicode NFC, whitespace trimmed and collapsed, control characters refused
(PostgreSQL cannot store NUL, and nothing a form sends needs them). Email syntax comes from
`email-validator` (no network lookup), phone numbers from `phonenumbers` (stored in E.164).
An optional field left empty normalises to None.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from registry import settings, spreadsheet, transfers


@dataclass(frozen=True)
class Invalid:
    """Why a value was refused, in words fit to show next to the field."""

    message: str


# The registry's one list of ISO 3166-1 alpha-2 codes, shared with the recipients register.
COUNTRY_CODES: frozenset[str] = frozenset(transfers.COUNTRIES)

# Refused in every text the registry stores. Cc: controls (NUL, which PostgreSQL cannot store,
# BEL, ESC and the C1 set). Cs: lone surrogates (bytes the command line could not decode).
# Cf: invisible format characters: bidi overrides and isolates reorder what a reader sees
# (a name that reads differently from what is stored), zero-width spaces and the BOM make
# two equal-looking names differ.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Cf"})
# Zero-width non-joiner and joiner belong to Persian and Indic spelling and emoji sequences:
# kept between two visible characters, refused elsewhere.
_JOINERS = frozenset("\u200c\u200d")
_VISIBLE = frozenset("LMNS")  # letters, marks, numbers, symbols (first letter of the category)
# Whitespace controls free text keeps (several lines of a reason or evidence).
MULTILINE = "\n\t"


def _joining(text: str, i: int) -> bool:
    return (
        0 < i < len(text) - 1
        and unicodedata.category(text[i - 1])[0] in _VISIBLE
        and unicodedata.category(text[i + 1])[0] in _VISIBLE
    )


def refused_character(text: str, allowed: str = "") -> str | None:
    """Why `text` cannot be stored: the first control, invisible format or surrogate
    character, named; None if there is none. `allowed` lists characters kept anyway."""
    for i, ch in enumerate(text):
        category = unicodedata.category(ch)
        if ch in allowed or category not in _REFUSED_CATEGORIES:
            continue
        if category == "Cc":
            return f"Remove the control character U+{ord(ch):04X}."
        if category == "Cs":
            return (
                f"Remove the undecodable character U+{ord(ch):04X}: the text is not valid Unicode."
            )
        if ch in _JOINERS and _joining(text, i):
            continue
        described = unicodedata.name(ch, "format character").lower()
        return f"Remove the invisible character U+{ord(ch):04X} ({described})."
    return None


def refuse_hidden(errors: dict[str, str], fields: dict[str, str | None], allowed: str = "") -> None:
    """Add to `errors` the refused character of each field that has one (fields that
    already have an error keep it): the one check every write path applies to its text."""
    for key, text in fields.items():
        if text and key not in errors and (problem := refused_character(text, allowed)):
            errors[key] = problem


def shown_safely(text: str) -> str:
    """`text` with each refused character written as U+XXXX: for an audit trail that must
    keep what was tried (a typed username) without storing what it cannot hold."""
    return "".join(
        f"U+{ord(ch):04X}" if unicodedata.category(ch) in _REFUSED_CATEGORIES else ch for ch in text
    )


# The largest id a row can have: PostgreSQL's bigint (SQLite's INTEGER is the same size).
MAX_RECORD_ID = 2**63 - 1
_RECORD_ID = re.compile(r"[0-9]{1,19}", re.ASCII)


def record_id(text: object) -> int | None:
    """A row id from a link or another page (?person=12), or None for anything else: digits
    other than 0-9 (str.isdigit takes ² and ٣) and ids past the column's range are no id."""
    value = str(text).strip() if text is not None else ""
    if not _RECORD_ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_RECORD_ID else None


def one_line(text: str) -> str:
    """NFC, with every run of whitespace (tabs and line breaks too) made one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _too_long(text: str, max_length: int) -> Invalid | None:
    if len(text) > max_length:
        return Invalid(f"Use at most {max_length} characters (this has {len(text):,}).")
    return None


def name(text: str, max_length: int = settings.MAX_NAME_LENGTH) -> str | Invalid:
    """A first or last name: required, with at least one letter."""
    value = one_line(text)
    if problem := refused_character(value):
        return Invalid(problem)
    if not value:
        return Invalid("A name is required.")
    if not any(ch.isalpha() for ch in value):
        return Invalid("A name needs at least one letter.")
    return _too_long(value, max_length) or value


def optional_text(text: str, max_length: int) -> str | Invalid | None:
    """One line of free text (street address, city, position, gender); empty is None."""
    value = one_line(text)
    if problem := refused_character(value):
        return Invalid(problem)
    if not value:
        return None
    return _too_long(value, max_length) or value


FORMULA_EMAIL = (
    "An email address cannot start with =, +, - or @: a spreadsheet opening a list with it "
    "would run it as a formula."
)


def formula_email(text: str) -> str | None:
    """Why an email address is refused although valid by syntax: it would start a formula in
    every CSV it goes into (registry.spreadsheet). None if it would not."""
    return FORMULA_EMAIL if spreadsheet.starts_formula(text.strip()) else None


def email(text: str) -> str | Invalid | None:
    """An email address by its syntax alone; the domain is lower-cased by the library."""
    value = text.strip()
    if not value:
        return None
    if problem := refused_character(value):
        return Invalid(problem)
    if too_long := _too_long(value, settings.MAX_EMAIL_LENGTH):
        return too_long
    if problem := formula_email(value):
        return Invalid(problem)
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as e:
        return Invalid(str(e))
    return _too_long(checked.normalized, settings.MAX_EMAIL_LENGTH) or checked.normalized


def phone(text: str, region: str = settings.PHONE_DEFAULT_REGION) -> str | Invalid | None:
    """A phone number in E.164 (+358401234567); without +country code it is read in `region`."""
    value = one_line(text)
    if not value:
        return None
    if problem := refused_character(value):
        return Invalid(problem)
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return Invalid("This is not a phone number. Write it as +358 40 123 4567 or 040 123 4567.")
    if not phonenumbers.is_valid_number(number):
        return Invalid("No such phone number exists. Check the digits and the country code.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str | None:
    """A stored number as people read it: +358 40 1234567."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164  # stored before validation existed: shown as it is
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def country(text: str) -> str | Invalid:
    """An ISO 3166-1 alpha-2 country code such as FI; required."""
    value = one_line(text).upper()
    if value in COUNTRY_CODES:
        return value
    if not value:
        return Invalid("A country is required.")
    return Invalid("Use a two-letter ISO country code, such as FI, SE or DE.")


@dataclass(frozen=True)
class PostalFormat:
    pattern: re.Pattern[str]
    separator: str  # written between the matched groups
    example: str

    def write(self, match: re.Match[str]) -> str:
        return self.separator.join(g for g in match.groups() if g)


def _format(pattern: str, separator: str, example: str) -> PostalFormat:
    # re.ASCII: otherwise \d would also take Arabic-Indic and other Unicode digits.
    return PostalFormat(re.compile(pattern, re.ASCII), separator, example)


POSTAL_FORMATS: dict[str, PostalFormat] = {
    "FI": _format(r"(\d{5})", "", "20520"),
    "EE": _format(r"(\d{5})", "", "10111"),
    "DE": _format(r"(\d{5})", "", "10115"),
    "SE": _format(r"(\d{3}) ?(\d{2})", " ", "114 55"),
    "NO": _format(r"(\d{4})", "", "0150"),
    "DK": _format(r"(\d{4})", "", "1050"),
    "US": _format(r"(\d{5})(?:[- ]?(\d{4}))?", "-", "20500 or 20500-0003"),  # ZIP, ZIP+4
    "GB": _format(r"([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})", " ", "SW1A 2AA"),
}
# Elsewhere: letters, digits, spaces and hyphens, as most of the world's postal codes are.
_OTHER_POSTAL_CODE = re.compile(r"[A-Z0-9](?:[A-Z0-9 -]*[A-Z0-9])?")


def postal_code(text: str, country_code: str) -> str | Invalid | None:
    """A postal code in the format of `country_code`; a "FI-" style prefix is dropped."""
    value = unicodedata.normalize("NFC", one_line(text).upper())
    if not value:
        return None
    if problem := refused_character(value):
        return Invalid(problem)
    value = re.sub(rf"^{re.escape(country_code)}[- ]", "", value) if country_code else value
    known = POSTAL_FORMATS.get(country_code)
    if known is None:
        if _OTHER_POSTAL_CODE.fullmatch(value) and len(value) <= settings.MAX_POSTAL_CODE_LENGTH:
            return value
        return Invalid(
            f"Use letters, digits, spaces and hyphens, at most "
            f"{settings.MAX_POSTAL_CODE_LENGTH} characters."
        )
    match = known.pattern.fullmatch(value)
    if match is None:
        return Invalid(f"Not a postal code of {country_code}: write it like {known.example}.")
    return known.write(match)


def free_text(text: str, max_length: int = settings.MAX_LONG_TEXT) -> str | Invalid:
    """Several lines of required text (a reason): trimmed, line breaks kept."""
    lines = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    value = "\n".join(line.rstrip() for line in lines.split("\n")).strip()
    if problem := refused_character(value, allowed="\n\t"):
        return Invalid(problem)
    if not value:
        return Invalid("This is required.")
    return _too_long(value, max_length) or value
