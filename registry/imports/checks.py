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
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from email_validator import SPECIAL_USE_DOMAIN_NAMES

from registry import settings, validation
from registry.validation import Invalid

Scalar = Callable[[str], Any]  # -> the value, None (empty) or Invalid
Mask = Callable[[pa.Array], np.ndarray]  # -> True where the scalar would return the text as is


@dataclass(frozen=True)
class Check:
    """How one column's cells are checked: `fast` picks, for a whole chunk at once, the cells
    that `scalar` would return unchanged; `scalar` (the registry's validator) checks the rest."""

    scalar: Scalar
    fast: Mask | None = None


def memo(check: Scalar, size: int = settings.IMPORT_MEMO_SIZE) -> Scalar:
    """The check with a bounded memory of its answers: for values that repeat."""
    return lru_cache(maxsize=size)(check)


def _matching(pattern: str, max_length: int | None = None) -> Mask:
    """Cells the whole of which match `pattern` (RE2, as Arrow runs it), within a length."""
    anchored = f"^(?:{pattern})$"

    def mask(cells: pa.Array) -> np.ndarray:
        ok = pc.match_substring_regex(cells, anchored)
        if max_length is not None:
            ok = pc.and_(ok, pc.less_equal(pc.utf8_length(cells), max_length))
        return np.asarray(ok.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)

    return mask


def _one_of(values: Iterable[str]) -> Mask:
    allowed = pa.array(sorted(set(values)), pa.string())

    def mask(cells: pa.Array) -> np.ndarray:
        found = pc.is_in(cells, value_set=allowed)
        return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)

    return mask


# --- fast paths over registry.validation ---

# Letters of Latin-1 and Latin Extended-A (Finnish, Swedish and most European names): every
# one is alphabetic, precomposed (so the text is already NFC) and no whitespace.
_LETTERS = "A-Za-zÀ-ÖØ-öø-ž"
_NAME = rf"[{_LETTERS}]+(?:(?:\. |[ '’.-])[{_LETTERS}]+)*\.?"
# Printable ASCII and Latin-1/Extended-A characters other than spaces (no-break space and
# soft hyphen left out), words separated by single spaces: what one_line leaves as it is.
_TEXT_CHARACTERS = "!-~¡-¬®-ž"
_TEXT = rf"[{_TEXT_CHARACTERS}]+(?: [{_TEXT_CHARACTERS}]+)*"
_FAST_NAME = re.compile(_NAME)
_FAST_TEXT = re.compile(_TEXT)


def name(max_length: int = settings.MAX_NAME_LENGTH) -> Check:
    def check(text: str) -> str | Invalid | None:
        if _FAST_NAME.fullmatch(text) and len(text) <= max_length:
            return text
        if not text.strip():
            return None  # a required column says so itself
        return validation.name(text, max_length)

    return Check(memo(check), _matching(_NAME, max_length))


def text(max_length: int, repeats: bool = True) -> Check:
    def check(value: str) -> str | Invalid | None:
        if _FAST_TEXT.fullmatch(value) and len(value) <= max_length:
            return value
        return validation.optional_text(value, max_length)

    return Check(memo(check) if repeats else check, _matching(_TEXT, max_length))


# An ASCII address in dot-atom form: email-validator keeps its local part as written and
# lower-cases its domain, unless the top-level domain is one of the special-use names it
# refuses (checked beside the match). The chunk-wide mask takes lower-case domains only.
_LOCAL = r"[A-Za-z0-9](?:\.?[A-Za-z0-9_+-])*"
_FAST_EMAIL = re.compile(_LOCAL + r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_USE_END = r"\.(?:" + "|".join(sorted(_SPECIAL_USE)) + ")$"


def _fast_email(value: str) -> bool:
    if len(value) > settings.MAX_EMAIL_LENGTH or not _FAST_EMAIL.fullmatch(value):
        return False
    local, domain = value.split("@")
    domain = domain.lower()
    labels = domain.split(".")
    return (
        len(local) <= 64
        and "--" not in domain
        and labels[-1] not in _SPECIAL_USE
        and all(len(label) <= 63 for label in labels)
    )


def _email_mask(cells: pa.Array) -> np.ndarray:
    shape = _matching(
        _LOCAL + r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}",
        settings.MAX_EMAIL_LENGTH,
    )(cells)
    refused = [
        r"^[^@]{65,}@",  # a local part over 64 characters
        r"@.*--",
        _SPECIAL_USE_END,
        r"[a-z0-9-]{64}",  # a domain label over 63 characters
    ]
    for pattern in refused:
        found = pc.match_substring_regex(cells, pattern).fill_null(False)
        shape &= ~np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    return shape


def _email(value: str) -> str | Invalid | None:
    if _fast_email(value):
        local, domain = value.split("@")
        return f"{local}@{domain.lower()}"
    return validation.email(value)


email = Check(_email, _email_mask)


# A number written in E.164 already (+358401234567) is checked against the library's own
# metadata, compiled once per region and length, without parsing the text again: the same
# test phonenumbers.is_valid_number makes (a pattern of the region's, then of one of its
# number types), in one regular expression instead of up to eleven. Only for country codes
# whose national prefix (if any) is 0, which such a number cannot start with, so that parsing
# would strip nothing; anything else goes through validation.phone.
_E164 = re.compile(r"\+([1-9]\d{6,14})")
_NUMBER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def _fits(desc: Any, length: int) -> bool:
    """The desc's lengths allow this length (no lengths: any), and it has a pattern."""
    if desc is None or not desc.national_number_pattern:
        return False
    return not desc.possible_length or length in desc.possible_length


@lru_cache(maxsize=4_096)
def _region_pattern(region: str, length: int) -> re.Pattern[str] | None:
    """National numbers of `length` digits valid in `region`, as one pattern (None: none)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    general_desc = metadata.general_desc if metadata is not None else None
    if metadata is None or general_desc is None or not _fits(general_desc, length):
        return None
    types = [
        desc.national_number_pattern
        for desc in (getattr(metadata, t) for t in _NUMBER_TYPES)
        if _fits(desc, length)
    ]
    if not types:
        return None
    general = general_desc.national_number_pattern
    return re.compile(f"(?=(?:{general})$)(?:{'|'.join(f'(?:{t})' for t in types)})")


@cache
def _plain_regions(code: int) -> tuple[tuple[str, re.Pattern[str] | None], ...] | None:
    """The regions of a country code, each with its leading-digits pattern; None where
    parsing could strip a national prefix other than 0 (the slow path decides those)."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    if not regions or phonenumbers.UNKNOWN_REGION in regions:
        return None
    found = []
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if metadata is None or metadata.national_prefix_transform_rule:
            return None
        if metadata.national_prefix_for_parsing not in (None, "0"):
            return None
        leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        found.append((region, leading))
    return tuple(found)


def _valid_in(region: str, national: str) -> bool:
    pattern = _region_pattern(region, len(national))
    return pattern is not None and pattern.fullmatch(national) is not None


# Country calling codes by their digits: ITU codes are prefix-free, so at most one of a
# number's first one, two or three digits is a code.
_CODES = {str(code): code for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}


def _fast_phone(value: str) -> bool:
    if _E164.fullmatch(value) is None:
        return False
    digits = value[1:]
    for length in (1, 2, 3):
        code = _CODES.get(digits[:length])
        if code is None:
            continue
        national = digits[length:]
        regions = _plain_regions(code)
        if regions is None or not national or national[0] == "0":
            return False
        # As phonenumbers.region_code_for_number picks the region, then validates in it.
        for region, leading in regions:
            if leading is not None:
                if leading.match(national):
                    return _valid_in(region, national)
            elif _valid_in(region, national):
                return True
        return False
    return False


# Digits with spaces or hyphens between them, as people write numbers: parsing drops them.
_WRITTEN_NUMBER = re.compile(r"(\+|0)[1-9][0-9]*(?:[ -][0-9]+)*")
_DEFAULT_CODE = str(phonenumbers.country_code_for_region(settings.PHONE_DEFAULT_REGION))


def _phone(value: str) -> str | Invalid | None:
    if _fast_phone(value):
        return value
    if match := _WRITTEN_NUMBER.fullmatch(value):
        digits = value.replace(" ", "").replace("-", "")
        # 040 123 4567 is read in the default region (FI) with its national prefix 0, as
        # validation.phone reads it; the country code's own region rules then apply.
        e164 = digits if match.group(1) == "+" else f"+{_DEFAULT_CODE}{digits[1:]}"
        if _fast_phone(e164):
            return e164
    return validation.phone(value)


phone = Check(_phone)


@lru_cache(maxsize=settings.IMPORT_MEMO_SIZE)
def _country(value: str) -> str | Invalid | None:
    if not value.strip():
        return None  # a required column says so itself
    return validation.country(value)


country = Check(_country, _one_of(validation.COUNTRY_CODES))


@lru_cache(maxsize=settings.IMPORT_MEMO_SIZE)
def postal_code(value: str, country_code: str) -> str | Invalid | None:
    return validation.postal_code(value, country_code)


# Postal codes as validation.postal_code writes them, per country: it returns these as is.
CANONICAL_POSTAL_CODES = {
    "FI": r"[0-9]{5}",
    "EE": r"[0-9]{5}",
    "DE": r"[0-9]{5}",
    "SE": r"[0-9]{3} [0-9]{2}",
    "NO": r"[0-9]{4}",
    "DK": r"[0-9]{4}",
}


# --- what registry.validation does not cover ---


def _long_text(value: str) -> str | Invalid | None:
    """Several lines (evidence); empty is None."""
    if not value.strip():
        return None
    return validation.free_text(value, settings.MAX_LONG_TEXT)


long_text = Check(_long_text)


def enumeration(values: Iterable[StrEnum]) -> Check:
    """One of an enumeration's values, in any case, with spaces for underscores."""
    allowed = {v.value for v in values}
    listed = ", ".join(sorted(allowed))

    def check(value: str) -> str | Invalid | None:
        key = validation.one_line(value).lower().replace(" ", "_")
        if not key:
            return None
        if key in allowed:
            return key
        return Invalid(f"Use one of: {listed}.")

    return Check(memo(check), _one_of(allowed))


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FINNISH_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_FINNISH_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")
_DATE_FORMS = "2026-03-15 or 15.3.2026"
EARLIEST_DATE = dt.date(1900, 1, 1)


def _day(value: str) -> dt.date | Invalid | None:
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
def _date(value: str) -> dt.date | Invalid | None:
    """A calendar date: 2026-03-15 (ISO) or 15.3.2026 (as Finnish Excel writes it)."""
    value = value.strip()
    if not value:
        return None
    day = _day(value)
    if day is None:
        return Invalid(f"Write the date as {_DATE_FORMS}.")
    return day


date = Check(_date)


def _moment(value: str) -> dt.datetime | dt.date | Invalid | None:
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


moment = Check(_moment)


_ISO_EXAMPLE = "2026-03-15T14:05:00+02:00"
_AMOUNT = re.compile(r"(\d+)(?:[.,](\d{1,2}))?")
MAX_AMOUNT = Decimal("9999999999.99")  # customer_order.amount_eur is NUMERIC(12, 2)


@lru_cache(maxsize=settings.IMPORT_MEMO_SIZE)
def _amount(value: str) -> Decimal | Invalid | None:
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


amount = Check(_amount)


_Y_TUNNUS = re.compile(r"(\d{7})-(\d)")
_Y_TUNNUS_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
_OTHER_BUSINESS_ID = re.compile(r"[A-Z0-9](?:[A-Z0-9 .-]*[A-Z0-9])?")
MAX_BUSINESS_ID_LENGTH = 20  # organisation.business_id


def business_id(value: str, country_code: str) -> str | Invalid | None:
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


@lru_cache(maxsize=settings.IMPORT_MEMO_SIZE)
def lookup_key(value: str) -> str:
    """A business ID as the organisation table holds it, for looking it up."""
    return validation.one_line(value).upper()


def as_given(value: str) -> str:
    """A cell kept as it is, for a check that needs other cells of its row."""
    return value


given = Check(as_given)
