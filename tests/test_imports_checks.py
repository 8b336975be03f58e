"""The imports' fast paths are exact shortcuts: on any text, a check gives what the
registry's validator gives, and the chunk-wide masks pick only text the validator returns
unchanged. No database."""

from __future__ import annotations

import random

import phonenumbers
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import validation
from registry.imports import checks
from registry.vocabulary import ConsentStatus

# Text near the fast paths' edges: letters of several scripts, digits, spaces of several
# kinds, punctuation the patterns treat specially, control and combining characters.
ALPHABET = st.sampled_from(
    [
        *list("aAzZöÖåÅžŽ’'.-@_+ 0123456789"),
        "\xa0",
        "\t",
        "́",
        "\xad",
        "\x01",
        "ß",
        "İ",
        "Ⅻ",
        "²",
        "漢",
        "ﬁ",
        "=",
        "\u2028",
    ]
)
TEXTS = st.text(ALPHABET, max_size=30)
EMAILISH = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.text(st.sampled_from(list("aZ09._+-ö")), min_size=0, max_size=70),
    st.text(st.sampled_from(list("aZ09-.")), min_size=0, max_size=70),
    st.sampled_from(["fi", "FI", "com", "test", "local", "x", "museum", "fi1"]),
)


def _masked(check: checks.Check, values: list[str]) -> list[bool]:
    assert check.fast is not None
    return list(check.fast(pa.array(values, pa.string())))


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_names_and_text(value):
    for max_length in (3, 100):
        name = checks.name(max_length)
        expected = validation.name(value, max_length)
        got = name.scalar(value)
        assert got == (
            None if isinstance(expected, validation.Invalid) and not value.strip() else expected
        )
        [fast] = _masked(name, [value])
        if fast:
            assert expected == value
        text = checks.text(max_length)
        assert text.scalar(value) == validation.optional_text(value, max_length)
        [fast] = _masked(text, [value])
        if fast:
            assert validation.optional_text(value, max_length) == value


@settings(max_examples=600, deadline=None)
@given(st.one_of(EMAILISH, TEXTS))
def test_emails(value):
    expected = validation.email(value)
    assert checks.email.scalar(value) == expected
    [fast] = _masked(checks.email, [value])
    if fast:
        assert expected == value


def test_long_email_parts_are_left_to_the_validator():
    for value in ("a" * 65 + "@x.fi", "a@" + "b" * 64 + ".fi", "a@b--c.fi", "a@b.test"):
        assert checks.email.scalar(value) == validation.email(value)
        assert _masked(checks.email, [value]) == [False]


def test_phones_on_every_region_s_numbers_and_near_misses():
    rng = random.Random(19)
    tried = fast = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in range(12):
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is None:
                continue
            national = str(example.national_number)
            variants = [national]
            for _ in range(3):
                digits = list(national)
                digits[rng.randrange(len(digits))] = str(rng.randrange(10))
                if rng.random() < 0.3:
                    digits.append(str(rng.randrange(10)))
                variants.append("".join(digits))
            for digits in variants:
                number = phonenumbers.PhoneNumber(
                    country_code=example.country_code, national_number=int(digits)
                )
                for form in (
                    phonenumbers.PhoneNumberFormat.E164,
                    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                    phonenumbers.PhoneNumberFormat.NATIONAL,
                ):
                    text = phonenumbers.format_number(number, form)
                    for value in (text, "0" + digits, f"0{digits[:2]} {digits[2:]}"):
                        tried += 1
                        fast += checks._fast_phone(value)
                        assert checks.phone.scalar(value) == validation.phone(value), value
    assert tried > 25_000 and fast > 1_500  # the fast path is taken, and checked, often


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_phones_on_any_text(value):
    assert checks.phone.scalar(value) == validation.phone(value)


def test_countries_and_enumerations():
    values = ["FI", "fi", " SE ", "XX", "", "Suomi"]
    for value in values:
        assert checks.country.scalar(value) == (validation.country(value) if value else None)
    assert _masked(checks.country, values) == [True, False, False, False, False, False]
    status = checks.enumeration([ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN])
    assert status.scalar(" Granted ") == "granted"
    assert isinstance(status.scalar("maybe"), validation.Invalid)
