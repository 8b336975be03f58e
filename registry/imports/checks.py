"""The checks of an import's cells: the registry's validators, made fast for a million rows.

Every check returns the normalised value, None for an empty cell, or validation.Invalid.
The person fields use registry.validation itself; each has a fast path that accepts only
text the validator would return unchanged (plain Latin letters, a lower-case ASCII email
address, a canonical postal code), and a bounded memo for the columns whose values repeat
(cities, countries, first names). tests/test_imports_checks.py holds the fast paths to the
validators on generated text. What validation.py does not cover (dates, moments, amounts,
business IDs, enumerations) is checked here, in the same manner.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES

from registry import settings, validation
from registry.validation import Invalid

Check = Callable[[str], Any]  # -> value, None (empty) or Invalid


def memo(check: Check, size: int = settings.IMPORT_MEMO_SIZE) -> Check:
    """The check with a bounded memory of its answers: for values that repeat."""
    return lru_cache(maxsize=size)(check)


# --- fast paths over registry.validation ---

# Letters of Latin-1 and Latin Extended-A (Finnish, Swedish and most European names): every
# one is alphabetic, precomposed (so the text is already NFC) and no whitespace.
_LETTERS = "A-Za-zÀ-ÖØ-öø-ž"
_FAST_NAME = re.compile(rf"[{_LETTERS}]+(?:(?:\. |[ '’.-])[{_LETTERS}]+)*\.?")
# Printable ASCII and Latin-1/Extended-A characters other than spaces (no-break space and
# soft hyphen left out), words separated by single spaces: what one_line leaves as it is.
_TEXT_CHARACTERS = "!-~¡-¬®-ž"
_FAST_TEXT = re.compile(rf"[{_TEXT_CHARACTERS}]+(?: [{_TEXT_CHARACTERS}]+)*")


def name(max_length: int = settings.MAX_NAME_LENGTH) -> Check:
    def check(text: str) -> str | None | Invalid:
        if _FAST_NAME.fullmatch(text) and len(text) <= max_length:
            return text
        if not text.strip():
            return None  # a required column says so itself
        return validation.name(text, max_length)

    return memo(check)


def text(max_length: int, repeats: bool = True) -> Check:
    def check(value: str) -> str | None | Invalid:
        if _FAST_TEXT.fullmatch(value) and len(value) <= max_length:
            return value
        return validation.optional_text(value, max_length)

    return memo(check) if repeats else check


# A lower-case ASCII address in dot-atom form: email-validator returns it unchanged unless
# its top-level domain is one of the special-use names it refuses (checked beside the match).
_FAST_EMAIL = re.compile(
    r"[a-z0-9](?:[a-z0-9_+-]|\.(?!\.))*(?<![.])@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}"
)
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def _fast_email(value: str) -> bool:
    if len(value) > settings.MAX_EMAIL_LENGTH or not _FAST_EMAIL.fullmatch(value):
        return False
    local, domain = value.split("@")
    labels = domain.split(".")
    return (
        len(local) <= 64
        and "--" not in domain
        and labels[-1] not in _SPECIAL_USE
        and all(len(label) <= 63 for label in labels)
    )


def email(value: str) -> str | None | Invalid:
    if _fast_email(value):
        return value
    return validation.email(value)


# A number written in E.164 already (+358401234567): checked against the library's metadata
# without parsing the text again, for the country codes whose national prefix (if any) is 0,
# which such a number cannot start with; anything else goes through validation.phone.
_E164 = re.compile(r"\+([1-9]\d{6,14})")


@cache
def _plain_country_code(code: int) -> bool:
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    if not regions or phonenumbers.UNKNOWN_REGION in regions:
        return False
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        if metadata is None or metadata.national_prefix_transform_rule:
            return False
        if metadata.national_prefix_for_parsing not in (None, "0"):
            return False
    return True


def _fast_phone(value: str) -> bool:
    match = _E164.fullmatch(value)
    if match is None:
        return False
    digits = match.group(1)
    for length in (1, 2, 3):
        code = int(digits[:length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = digits[length:]
            if not national or national[0] == "0" or not _plain_country_code(code):
                return False
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
            return phonenumbers.is_valid_number(number)
    return False


def phone(value: str) -> str | None | Invalid:
    if _fast_phone(value):
        return value
    return validation.phone(value)


@lru_cache(maxsize=settings.IMPORT_MEMO_SIZE)
def country(value: str) -> str | None | Invalid:
    if not value.strip():
        return None  # a required column says so itself
    return validation.country(value)


@lru_cache(maxsize=settings.IMPORT_MEMO_SIZE)
def postal_code(value: str, country_code: str) -> str | None | Invalid:
    return validation.postal_code(value, country_code)


# --- what registry.validation does not cover ---


def required_text(max_length: int) -> Check:
    """One line of required text (an external id, a product)."""

    def check(value: str) -> str | None | Invalid:
        return validation.optional_text(value, max_length)

    return memo(check)


def long_text(value: str) -> str | None | Invalid:
    """Several lines (evidence); empty is None."""
    if not value.strip():
        return None
    return validation.free_text(value, settings.MAX_LONG_TEXT)


def enumeration(values: Iterable[StrEnum]) -> Check:
    """One of an enumeration's values, in any case, with spaces for underscores."""
    allowed = {v.value for v in values}
    listed = ", ".join(sorted(allowed))

    def check(value: str) -> str | None | Invalid:
        key = validation.one_line(value).lower().replace(" ", "_")
        if not key:
            return None
        if key in allowed:
            return key
        return Invalid(f"Use one of: {listed}.")

    return memo(check)


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FINNISH_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_FINNISH_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")
_DATE_FORMS = "2026-03-15 or 15.3.2026"
EARLIEST_DATE = dt.date(1900, 1, 1)


def _day(value: str) -> dt.date | None | Invalid:
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _FINNISH_DATE.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
    else:
        return None
    try:
        result = dt.date(year, month, day)
    except ValueError:
        return Invalid(f"There is no such day: {value}.")
    if result < EARLIEST_DATE:
        return Invalid(f"A date before {EARLIEST_DATE.year} is not plausible here.")
    return result


@lru_cache(maxsize=settings.IMPORT_MEMO_SIZE)
def date(value: str) -> dt.date | None | Invalid:
    """A calendar date: 2026-03-15 (ISO) or 15.3.2026 (as Finnish Excel writes it)."""
    value = value.strip()
    if not value:
        return None
    day = _day(value)
    if day is None:
        return Invalid(f"Write the date as {_DATE_FORMS}.")
    return day


def moment(value: str) -> dt.datetime | dt.date | None | Invalid:
    """A point in time; a date alone comes back as a date, for the kind's rule to place.

    ISO 8601 (2026-03-15T14:05:00+02:00, Z for UTC) or Finnish (15.3.2026 14.05). A time
    without a UTC offset is Helsinki time, as the registry reads every date a user enters.
    """
    value = value.strip()
    if not value:
        return None
    day = _day(value)
    if isinstance(day, dt.date | Invalid):
        return day
    moment_value: dt.datetime | None = None
    if " " in value and (parts := value.split(None, 1)) and _FINNISH_DATE.fullmatch(parts[0]):
        finnish_day = _day(parts[0])
        time = _FINNISH_TIME.fullmatch(parts[1])
        if isinstance(finnish_day, Invalid):
            return finnish_day
        if finnish_day is None or time is None:
            return Invalid(f"Write the time as 15.3.2026 14.05 or {_ISO_EXAMPLE}.")
        hour, minute, second = (int(g) if g else 0 for g in time.groups())
        try:
            moment_value = dt.datetime.combine(finnish_day, dt.time(hour, minute, second))
        except ValueError:
            return Invalid(f"There is no such time of day: {parts[1]}.")
    else:
        try:
            moment_value = dt.datetime.fromisoformat(value)
        except ValueError:
            return Invalid(f"Write the time as {_ISO_EXAMPLE} or 15.3.2026 14.05.")
    if moment_value.tzinfo is None:
        moment_value = moment_value.replace(tzinfo=settings.REGISTRY_TZ)
    if moment_value.date() < EARLIEST_DATE:
        return Invalid(f"A time before {EARLIEST_DATE.year} is not plausible here.")
    return moment_value.astimezone(dt.UTC)


_ISO_EXAMPLE = "2026-03-15T14:05:00+02:00"
_AMOUNT = re.compile(r"(\d+)(?:[.,](\d{1,2}))?")
MAX_AMOUNT = Decimal("9999999999.99")  # customer_order.amount_eur is NUMERIC(12, 2)


@lru_cache(maxsize=settings.IMPORT_MEMO_SIZE)
def amount(value: str) -> Decimal | None | Invalid:
    """Euros with at most two decimals, with a point or a comma; no thousands separators."""
    value = value.strip()
    if not value:
        return None
    if value.startswith("-"):
        return Invalid("An amount cannot be negative.")
    match = _AMOUNT.fullmatch(value)
    if match is None:
        return Invalid(
            "Write the amount in euros as 1234.50 or 1234,50: digits, at most two decimals, "
            "no currency sign or thousands separators."
        )
    try:
        result = Decimal(f"{match.group(1)}.{match.group(2) or '0'}")
    except InvalidOperation:
        return Invalid("This is not an amount.")
    if result > MAX_AMOUNT:
        return Invalid(f"An amount above {MAX_AMOUNT:,} euros is not plausible.")
    return result


_Y_TUNNUS = re.compile(r"(\d{7})-(\d)")
_Y_TUNNUS_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
_OTHER_BUSINESS_ID = re.compile(r"[A-Z0-9](?:[A-Z0-9 .-]*[A-Z0-9])?")
MAX_BUSINESS_ID_LENGTH = 20  # organisation.business_id


def business_id(value: str, country_code: str) -> str | None | Invalid:
    """A Finnish business ID (Y-tunnus, 1234567-8 with its check digit), or another
    country's registration number: letters, digits, spaces, dots and hyphens."""
    value = validation.one_line(value).upper()
    if not value:
        return None
    if country_code == "FI":
        match = _Y_TUNNUS.fullmatch(value)
        if match is None:
            return Invalid("Write a Finnish business ID as 1234567-8.")
        remainder = (
            sum(int(d) * w for d, w in zip(match.group(1), _Y_TUNNUS_WEIGHTS, strict=True)) % 11
        )
        if remainder == 1 or (0 if remainder == 0 else 11 - remainder) != int(match.group(2)):
            return Invalid("The check digit of this business ID is wrong.")
        return value
    if len(value) > MAX_BUSINESS_ID_LENGTH or not _OTHER_BUSINESS_ID.fullmatch(value):
        return Invalid(
            f"Use letters, digits, spaces, dots and hyphens, at most "
            f"{MAX_BUSINESS_ID_LENGTH} characters."
        )
    return value


def lookup_key(value: str) -> str:
    """A business ID as the organisation table holds it, for looking it up."""
    return validation.one_line(value).upper()
