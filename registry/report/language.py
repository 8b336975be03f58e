"""The letters' languages: Finnish, Swedish and English words, dates, numbers and countries.

Words come from messages/<language>.toml, which must hold the same keys in every language
(checked when loaded, so a letter never falls back to English halfway). Dates, numbers,
amounts and country names are formatted by Babel in the letter's locale.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from registry import settings
from registry.errors import RegistryError
from registry.formats import finnish_date

MESSAGES_DIR = Path(__file__).with_name("messages")

# The reply languages, in the order the page offers them.
LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
# Swedish as written in Finland; English with day-month-year dates.
LOCALES: dict[str, str] = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
LANGUAGE_NAMES: dict[str, str] = {"fi": "Finnish", "sv": "Swedish", "en": "English"}

# Where a request says nothing of its language: the language of the person's country.
COUNTRY_LANGUAGES: dict[str, str] = {"FI": "fi", "SE": "sv", "AX": "sv"}

# Common words that tell the three languages apart in a request's text.
_MARKERS: dict[str, frozenset[str]] = {
    "fi": frozenset(
        "ja että minun minua minusta tietoni tietojani haluan pyydän olen ei ovat kaikki "
        "tiedot tietoja teillä rekisterissä kiitos ystävällisin terveisin".split()
    ),
    "sv": frozenset(
        "och att jag mina mig om är inte vill begär alla uppgifter ni har hos er registret "
        "tack vänliga hälsningar".split()
    ),
    "en": frozenset(
        "the and my me please data all you your hold about i want request register thank "
        "regards".split()
    ),
}
_WORD = re.compile(r"[a-zåäö]+")


class LanguageError(RegistryError):
    """The words of a language are missing or unreadable: no letter is made in it."""


def detect(text: str) -> str | None:
    """The language a request is written in, when its words say so clearly; else None."""
    words = _WORD.findall(text.lower())
    hits = {lang: sum(w in markers for w in words) for lang, markers in _MARKERS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    ranked = sorted(hits.values(), reverse=True)
    return best if ranked[0] >= 2 and ranked[0] > ranked[1] else None


def default_language(details: str, person_country: str | None, contact: str = "") -> str:
    """The reply language a request starts with: that of its text, else of the person's
    country, else of the contact's domain (.fi, .se), else Finnish, the registry's own."""
    if found := detect(details):
        return found
    if person_country and person_country.upper() in COUNTRY_LANGUAGES:
        return COUNTRY_LANGUAGES[person_country.upper()]
    if person_country:
        return "en"  # a person abroad outside Sweden gets English
    domain = contact.rsplit("@", 1)[-1].lower() if "@" in contact else ""
    if domain.endswith(".se"):
        return "sv"
    return "fi"


def _flatten(data: dict[str, object], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        elif isinstance(value, str):
            flat[path] = value
        else:
            raise LanguageError(f"{path}: expected text, got {value!r}")
    return flat


@cache
def _messages(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise LanguageError(f"No letters in {language!r}: choose one of {', '.join(LANGUAGES)}.")
    path = MESSAGES_DIR / f"{language}.toml"
    try:
        with path.open("rb") as f:
            flat = _flatten(tomllib.load(f))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise LanguageError(f"{path.name}: {e}") from e
    if language != "en":
        english = _messages("en")
        if missing := sorted(set(english) - set(flat)):
            raise LanguageError(f"{path.name}: missing {', '.join(missing[:5])}")
        if extra := sorted(set(flat) - set(english)):
            raise LanguageError(f"{path.name}: not in en.toml: {', '.join(extra[:5])}")
    return flat


@dataclass(frozen=True)
class Words:
    """The words and formats of one language, as the templates call them."""

    language: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(LOCALES[self.language])

    def __call__(self, key: str, **values: object) -> str:
        """The text of `key` ("section.name"), with {placeholders} filled in."""
        try:
            text = _messages(self.language)[key]
        except KeyError:
            raise LanguageError(f"{self.language}.toml: no text for {key}") from None
        return text.format(**values) if values else text

    def label(self, group: str, code: object, *, free_text: bool = False) -> str:
        """The word for a stored code, e.g. label("purpose", "newsletter"). A field that
        holds free text as well as codes (gender) shows text it has no word for as stored."""
        if code is None or code == "":
            return ""
        key = f"{group}.{code}"
        if free_text and key not in _messages(self.language):
            return str(code)
        return self(key)

    def date(self, day: dt.date | None, style: str = "medium") -> str:
        if day is None:
            return ""
        if isinstance(day, dt.datetime):
            day = day.astimezone(settings.REGISTRY_TZ).date()
        if self.language == "fi" and style == "medium":
            return finnish_date(day)  # Finnish style: 5.3.2026
        return format_date(day, style, locale=self.locale)

    def when(self, moment: dt.datetime | None) -> str:
        """A moment in Helsinki time."""
        if moment is None:
            return ""
        local = moment.astimezone(settings.REGISTRY_TZ)
        time = format_time(local.time(), "short", locale=self.locale)
        return f"{self.date(local.date())} {time}"

    def number(self, value: int | Decimal | float) -> str:
        return format_decimal(value, locale=self.locale)

    def money(self, value: Decimal, currency: str = "EUR") -> str:
        return format_currency(value, currency, locale=self.locale)

    def country(self, code: str | None) -> str:
        """The country's name in the language: FI is Suomi, Finland or Finland."""
        if not code:
            return ""
        return self.locale.territories.get(code.upper(), code)

    def yes_no(self, value: bool) -> str:
        return self("letter.yes") if value else self("letter.no")

    def join(self, texts: list[str]) -> str:
        """A list in running text: "a, b and c" in the language."""
        from babel.lists import format_list

        return format_list([t for t in texts if t], locale=self.locale)


def words(language: str) -> Words:
    """The words of `language`; raises LanguageError when they are incomplete."""
    _messages(language)
    return Words(language)
