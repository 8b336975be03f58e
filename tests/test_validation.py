"""Field validators: normalised value or a message, never an exception, never raw text."""

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import settings as registry_settings
from registry import validation
from registry.validation import Invalid

HOSTILE = ["'; DROP TABLE person; --", "<script>alert(1)</script>", "Robert'); --"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Anna  ", "Anna"),
        ("Anna\t  Maria\n", "Anna Maria"),
        ("Jokela-Ähtäri", "Jokela-Ähtäri"),
        ("O'Brien", "O'Brien"),
        ("E\u0301lodie", "\u00c9lodie"),  # NFC: e + combining acute is stored as one É
        *[(h, h) for h in HOSTILE],  # stored literally; the page renders it as text
    ],
)
def test_name_is_trimmed_and_normalised(text, expected):
    assert validation.name(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "A name is required."),
        ("   \n ", "A name is required."),
        ("12345", "A name needs at least one letter."),
        ("Anna\x00", "Remove the control character U+0000."),
        ("x" * 5_000, "Use at most 100 characters (this has 5,000)."),
    ],
)
def test_name_refusals_say_why(text, message):
    assert validation.name(text) == Invalid(message)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Anna.Virtanen@Example.FI ", "Anna.Virtanen@example.fi"),
        ("matti@yritys.fi", "matti@yritys.fi"),
        ("", None),
        ("   ", None),
    ],
)
def test_email_is_normalised(text, expected):
    assert validation.email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "no-at-sign",
        "two@@example.com",
        "a@b",
        "anna virtanen@example.fi",
        "<script>alert(1)</script>@example.com",
        "'; DROP TABLE person; --",
        "a" * 250 + "@example.com",
    ],
)
def test_bad_email_is_refused_with_a_message(text):
    result = validation.email(text)
    assert isinstance(result, Invalid) and result.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("040 123 4567", "+358401234567"),
        ("+358 40 123 4567", "+358401234567"),
        ("(09) 1234 567", "+35891234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("+1 202-456-1414", "+12024561414"),
        ("", None),
    ],
)
def test_phone_is_stored_in_e164(text, expected):
    assert validation.phone(text) == expected


@pytest.mark.parametrize("text", ["12", "abc", "040", "+358 40 123 4567 890 12", "'; --"])
def test_bad_phone_is_refused(text):
    assert isinstance(validation.phone(text), Invalid)


@pytest.mark.parametrize(
    ("country", "text", "expected"),
    [
        ("FI", "20520", "20520"),
        ("FI", " FI-00100 ", "00100"),
        ("EE", "10111", "10111"),
        ("DE", "10115", "10115"),
        ("SE", "11455", "114 55"),
        ("SE", "se-114 55", "114 55"),
        ("NO", "0150", "0150"),
        ("DK", "DK-1050", "1050"),
        ("US", "20500", "20500"),
        ("US", "20500 0003", "20500-0003"),
        ("GB", "sw1a2aa", "SW1A 2AA"),
        ("GB", "M1 1AE", "M1 1AE"),
        ("NL", "1234 ab", "1234 AB"),
        ("CA", "k1a  0b1", "K1A 0B1"),
        ("FI", "", None),
    ],
)
def test_postal_code_follows_the_country(country, text, expected):
    assert validation.postal_code(text, country) == expected


@pytest.mark.parametrize(
    ("country", "text"),
    [
        ("FI", "2052"),
        ("FI", "205200"),
        ("FI", "\u0661\u0662\u0663\u0664\u0665"),  # Arabic-Indic digits are not ASCII
        ("SE", "1145"),
        ("NO", "01500"),
        ("DK", "10500"),
        ("EE", "ABCDE"),
        ("DE", "1011"),
        ("US", "2050"),
        ("GB", "12345"),
        ("NL", "#12-34"),
        ("NL", "1" * 13),
    ],
)
def test_postal_code_in_the_wrong_format_is_refused(country, text):
    result = validation.postal_code(text, country)
    assert isinstance(result, Invalid) and result.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fi", "FI"),
        (" SE ", "SE"),
        ("Finland", Invalid("Use a two-letter ISO country code, such as FI, SE or DE.")),
        ("XX", Invalid("Use a two-letter ISO country code, such as FI, SE or DE.")),
        ("", Invalid("A country is required.")),
    ],
)
def test_country_is_an_iso_code(text, expected):
    assert validation.country(text) == expected


def test_optional_text_limits_and_empties():
    assert validation.optional_text("  Sales  director ", 100) == "Sales director"
    assert validation.optional_text(" \t ", 100) is None
    assert validation.optional_text("x" * 101, 100) == Invalid(
        "Use at most 100 characters (this has 101)."
    )


def test_free_text_keeps_line_breaks():
    assert validation.free_text("  Letter of 3 May:\r\n  wrong email  \r\n\n") == (
        "Letter of 3 May:\n  wrong email"
    )
    assert validation.free_text(" \n ") == Invalid("This is required.")
    assert isinstance(validation.free_text("a\x07b"), Invalid)


# --- property: any text is accepted in normalised form or refused with a message ---

# Every code point, surrogates and controls included: what a hostile client could send.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=300)
# Mostly characters that can form valid values, so that the accepted branch is exercised.
LIKELY_TEXT = st.text(st.sampled_from("abcAB019 +-@._()'<>;\t\nÄöé\u0301\x00"), max_size=40)

VALIDATORS: dict[str, Callable[[str], object]] = {
    "name": validation.name,
    "email": validation.email,
    "phone": validation.phone,
    "country": validation.country,
    "street_address": lambda t: validation.optional_text(t, registry_settings.MAX_SHORT_TEXT),
    "gender": lambda t: validation.optional_text(t, registry_settings.MAX_GENDER_LENGTH),
    "reason": validation.free_text,
    **{
        f"postal_code_{c}": (lambda t, c=c: validation.postal_code(t, c))
        for c in [*validation.POSTAL_FORMATS, "NL", "JP"]
    },
}
LIMITS = {
    "name": registry_settings.MAX_NAME_LENGTH,
    "email": registry_settings.MAX_EMAIL_LENGTH,
    "phone": 16,  # E.164: + and at most 15 digits
    "country": 2,
    "street_address": registry_settings.MAX_SHORT_TEXT,
    "gender": registry_settings.MAX_GENDER_LENGTH,
    "reason": registry_settings.MAX_LONG_TEXT,
}


def _check_outcome(kind: str, text: str) -> None:
    validator = VALIDATORS[kind]
    result = validator(text)  # must not raise
    if isinstance(result, Invalid):
        assert result.message.strip(), (kind, text)
        return
    if result is None:
        assert not text.strip(), (kind, text)
        return
    assert isinstance(result, str) and result, (kind, text, result)
    # Normalised: checking the stored value again changes nothing.
    assert validator(result) == result, (kind, text, result)
    assert result == result.strip()
    assert "\x00" not in result
    assert len(result) <= LIMITS.get(kind, registry_settings.MAX_POSTAL_CODE_LENGTH)
    result.encode("utf-8")  # storable: no lone surrogates


# Texts shaped like valid values of a kind, so that acceptance is exercised too.
SHAPED = {
    "email": st.emails(),
    "phone": st.from_regex(r"\+?[0-9 ()-]{5,20}", fullmatch=True),
    "postal_code_GB": st.from_regex(
        r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}", fullmatch=True
    ),
}


@pytest.mark.parametrize("kind", list(VALIDATORS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_text_is_normalised_or_refused(kind, data):
    text = data.draw(st.one_of(ANY_TEXT, LIKELY_TEXT, SHAPED.get(kind, LIKELY_TEXT)))
    _check_outcome(kind, text)


@pytest.mark.parametrize("kind", list(VALIDATORS))
def test_hostile_and_huge_inputs_are_normalised_or_refused(kind):
    for text in [*HOSTILE, "x" * 5_000, "Ä" * 5_000 + "@example.com", "\ud800", "\x00"]:
        _check_outcome(kind, text)
