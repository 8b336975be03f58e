"""The registry declaration (data/registry.toml) as typed, validated objects.

A bad declaration fails loudly with the key that is wrong, e.g.
`data/registry.toml: purposes[2].text: missing`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from registry import settings
from registry.errors import RegistryError
from registry.vocabulary import (
    BASES_ALLOWED,
    Channel,
    LetterLanguage,
    MarketingBasis,
    Relationship,
    TransferMechanism,
)
from registry.vocabulary import Purpose as ConsentPurpose

# What a segment filter may be declared profiling as (the notice's profiling sentence).
PROFILING_FILTER_KINDS = ("orders", "behaviour", "location")
PROFILING_BASES = (MarketingBasis.CONSENT.value, MarketingBasis.LEGITIMATE_INTERESTS.value)


class DeclarationError(RegistryError):
    pass


@dataclass(frozen=True)
class Party:
    name: str
    email: str
    address: str = ""
    # For letters: the lines of a postal address block, and its country (ISO 3166).
    postal_address: tuple[str, ...] = ()
    country: str = ""


@dataclass(frozen=True)
class Entry:
    """A keyed sentence of the notice: a purpose, data category, data-subject group..."""

    key: str
    text: str


@dataclass(frozen=True)
class Purpose(Entry):
    profiling: bool = False
    profiling_logic: str = ""
    # The Art. 6(1) bases the notice states for the purpose (disclosures.LEGAL_BASES' keys).
    legal_bases: tuple[str, ...] = ()
    # Direct marketing: the bases of [marketing] are relied on for it.
    direct_marketing: bool = False
    # The kinds of data the stated profiling logic says it uses (PROFILING_FILTER_KINDS).
    profiling_uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecipientCategory(Entry):
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gap:
    """Something Art. 13/14 requires that the notice lacks, or relies on wrongly."""

    article: str
    key: str
    text: str


@dataclass(frozen=True)
class BreachLetters:
    """Which language a breach letter to a person is written in (Art. 34(2)), by country."""

    by_country: tuple[tuple[str, str], ...] = (("FI", "fi"), ("AX", "sv"), ("SE", "sv"))
    default: str = LetterLanguage.EN.value

    def language_for(self, country: str | None) -> str:
        return dict(self.by_country).get((country or "").upper(), self.default)


@dataclass(frozen=True)
class LegalHold:
    """What the Accounting Act (Kirjanpitolaki 1336/1997, ch. 2 s. 10) makes the controller
    keep after an erasure (Art. 17(3)(b)), as declared in [legal_hold]."""

    # Vouchers (an order is one): years from the end of the calendar year in which the
    # financial year ended. Books and financial statements: the same, longer.
    voucher_years: int = 6
    books_years: int = 10
    # The month in which the controller's financial year ends (12: the calendar year).
    financial_year_end_month: int = 12


# The retention schedule's rules, by key: whom or what each covers (registry.retention).
PERSON_RULES = (
    "past_customer_contacts",
    "service_users",
    "marketing_opt_ins",
    "other_connections",
)
ROW_RULES = ("website_behaviour", "consent_evidence", "request_records", "orders", "audit_trail")
RETENTION_RULES = PERSON_RULES + ROW_RULES


@dataclass(frozen=True)
class RetentionRule:
    """One rule of the retention schedule (Art. 5(1)(e)): what, how long, from when, why."""

    key: str
    what: str
    starts: str  # what starts the clock
    reason: str
    years: int = 0
    months: int = 0  # a rule has years or months, not both; `orders` has neither: the hold

    @property
    def whole_months(self) -> int:
        return self.years * 12 + self.months

    @property
    def period(self) -> str:
        if self.years:
            return f"{self.years} year{'s' if self.years != 1 else ''}"
        return f"{self.months} month{'s' if self.months != 1 else ''}"

    def cutoff(self, today: dt.date) -> dt.date:
        """The day the period reaches back to: what the clock started before it is due."""
        months = today.year * 12 + today.month - 1 - self.whole_months
        year, month = divmod(months, 12)
        last_day = calendar.monthrange(year, month + 1)[1]
        return dt.date(year, month + 1, min(today.day, last_day))


@dataclass(frozen=True)
class RetentionSchedule:
    decided_by: str
    rules: tuple[RetentionRule, ...]

    def rule(self, key: str) -> RetentionRule:
        return next(r for r in self.rules if r.key == key)


@dataclass(frozen=True)
class Marketing:
    """The bases a target list may rest on (Act 917/2014 ss. 200-202, GDPR Art. 6, 7, 21)."""

    # (relationship, channel) -> the bases tried in order; a pair not named has none.
    bases: dict[tuple[str, str], tuple[str, ...]]
    soft_opt_in_months: int = 24
    opt_out_offered: bool = True
    sharing_purpose: str = ConsentPurpose.SHARING_WITH_DEALERS.value
    sharing_text: str = ""
    sharing_recipients: tuple[str, ...] = ()
    profiling_filters: tuple[str, ...] = PROFILING_FILTER_KINDS
    profiling_basis: str = MarketingBasis.LEGITIMATE_INTERESTS.value

    def bases_for(self, relationship: str, channel: str) -> tuple[str, ...]:
        return self.bases.get((relationship, channel), ())


def _marketing(r: _Reader) -> Marketing:
    months = r.data.get("soft_opt_in_months")
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 120:
        raise DeclarationError(
            f"{r._path('soft_opt_in_months')}: expected a number of months from 1 to 120"
        )
    opt_out_offered = r.flag("opt_out_offered")
    table = r.table("bases")
    bases: dict[tuple[str, str], tuple[str, ...]] = {}
    relationships, channels = {x.value for x in Relationship}, {c.value for c in Channel}
    for relationship in table.data:
        if relationship not in relationships:
            raise DeclarationError(f"{table._path(relationship)}: unknown relationship")
        row = table.table(relationship)
        for channel in row.data:
            if channel not in channels:
                raise DeclarationError(f"{row._path(channel)}: unknown channel")
            declared = row.texts(channel)
            for basis in declared:
                try:
                    allowed = BASES_ALLOWED[MarketingBasis(basis)]
                except (ValueError, KeyError):
                    raise DeclarationError(
                        f"{row._path(channel)}: {basis!r} is not a marketing basis "
                        f"({', '.join(b.value for b in BASES_ALLOWED)})"
                    ) from None
                if Channel(channel) not in allowed:
                    raise DeclarationError(
                        f"{row._path(channel)}: {basis!r} does not cover the {channel} channel"
                    )
                if basis == MarketingBasis.SOFT_OPT_IN and not opt_out_offered:
                    raise DeclarationError(
                        f"{row._path(channel)}: soft_opt_in needs opt_out_offered = true "
                        "(Act 917/2014 s. 200(2))"
                    )
            if len(set(declared)) != len(declared):
                raise DeclarationError(f"{row._path(channel)}: a basis is named twice")
            bases[(relationship, channel)] = declared
    sharing = r.table("sharing")
    purpose = sharing.text("purpose")
    if purpose != ConsentPurpose.SHARING_WITH_DEALERS:
        raise DeclarationError(
            f"{sharing._path('purpose')}: {purpose!r} is not a sharing purpose "
            f"({ConsentPurpose.SHARING_WITH_DEALERS.value})"
        )
    named = sharing.texts("recipients")
    text = sharing.text("text")
    for name in named:
        if name not in text:
            raise DeclarationError(
                f"{sharing._path('recipients')}: {name!r} is not named in the consent text"
            )
    profiling = r.table("profiling")
    filters = profiling.texts("filters")
    for kind in filters:
        if kind not in PROFILING_FILTER_KINDS:
            raise DeclarationError(
                f"{profiling._path('filters')}: unknown filter kind {kind!r} "
                f"({', '.join(PROFILING_FILTER_KINDS)})"
            )
    basis = profiling.text("basis")
    if basis not in PROFILING_BASES:
        raise DeclarationError(
            f"{profiling._path('basis')}: {basis!r} is not a profiling basis "
            f"({', '.join(PROFILING_BASES)})"
        )
    return Marketing(bases, months, opt_out_offered, purpose, text, named, filters, basis)


@dataclass(frozen=True)
class Declaration:
    registry_name: str
    controller: Party
    contact: Party
    purposes: tuple[Purpose, ...]
    data_categories: tuple[Entry, ...]
    data_subjects: tuple[Entry, ...]
    sources: tuple[str, ...]
    recipient_categories: tuple[RecipientCategory, ...]
    third_countries: tuple[str, ...]
    declared_safeguards: tuple[str, ...]
    retention: RetentionSchedule
    rights: dict[str, bool]
    request_form: str
    supervisory_authority: Party
    supervisory_authority_website: str
    legal_bases: tuple[str, ...]
    gaps: tuple[Gap, ...]
    breach_letters: BreachLetters = BreachLetters()
    # Regular sources whose data comes from the person (Art. 13); every other source is a
    # third party, whose data the person must be told of within a month (Art. 14(3)(a)).
    sources_from_the_person: tuple[str, ...] = ()
    legal_hold: LegalHold = LegalHold()
    # Art. 18(1)(d) leaves it to the person to ask for a restriction while an Art. 21(1)
    # objection is decided; the protective reading restricts at once when one is logged.
    restrict_while_objection_pending: bool = True
    marketing: Marketing = Marketing({})
    # The column separator of CSV files people download ([files] csv_delimiter).
    csv_delimiter: str = ";"
    # The legitimate interests pursued, as the notice states them (Art. 13(1)(d)); "": none.
    legitimate_interests: str = ""

    def retention_period_of(self, rule: RetentionRule) -> str:
        """The rule's period in words; the orders' is the Accounting Act's voucher period."""
        if rule.key == "orders":
            return f"{self.legal_hold.voucher_years} years"
        return rule.period

    @property
    def retention_summary(self) -> str:
        """The schedule as one English paragraph (the notice page, Art. 13(2)(a))."""
        return " ".join(
            f"{r.what}: {self.retention_period_of(r)} after {r.starts}."
            for r in self.retention.rules
        )

    @property
    def declared_countries(self) -> frozenset[str]:
        return frozenset(c for cat in self.recipient_categories for c in cat.countries)

    @property
    def profiling_purposes(self) -> tuple[Purpose, ...]:
        return tuple(p for p in self.purposes if p.profiling)


class _Reader:
    """Reads one TOML table, naming the exact key in every error."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise DeclarationError(f"{where}: expected a table")
        self.data, self.where = data, where

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def table(self, key: str) -> _Reader:
        if key not in self.data:
            raise DeclarationError(f"{self._path(key)}: missing")
        return _Reader(self.data[key], self._path(key))

    def text(self, key: str, *, required: bool = True, default: str = "") -> str:
        value = self.data.get(key, None if required else default)
        if value is None:
            raise DeclarationError(f"{self._path(key)}: missing")
        if not isinstance(value, str):
            raise DeclarationError(f"{self._path(key)}: expected text, got {value!r}")
        if required and not value.strip():
            raise DeclarationError(f"{self._path(key)}: empty")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise DeclarationError(f"{self._path(key)}: expected true or false, got {value!r}")
        return value

    def whole(self, key: str, low: int, high: int) -> int:
        value = self.data.get(key)
        if value is None:
            raise DeclarationError(f"{self._path(key)}: missing")
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DeclarationError(
                f"{self._path(key)}: expected a whole number from {low} to {high}, got {value!r}"
            )
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise DeclarationError(f"{self._path(key)}: expected a list of text")
        return tuple(value)

    def tables(self, key: str) -> list[_Reader]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value:
            raise DeclarationError(f"{self._path(key)}: expected at least one [[{key}]] entry")
        return [_Reader(item, f"{self._path(key)}[{i}]") for i, item in enumerate(value)]


def _party(r: _Reader) -> Party:
    country = r.text("country", required=False)
    if country and (len(country) != 2 or not country.isupper()):
        raise DeclarationError(f"{r._path('country')}: {country!r} is not an ISO 3166 country code")
    return Party(
        r.text("name"),
        r.text("email", required=False),
        r.text("address", required=False),
        r.texts("postal_address"),
        country,
    )


def _country_codes(r: _Reader, key: str) -> tuple[str, ...]:
    codes = r.texts(key)
    for code in codes:
        if len(code) != 2 or not code.isupper():
            raise DeclarationError(f"{r._path(key)}: {code!r} is not an ISO 3166 country code")
    return codes


def _breach_letters(r: _Reader) -> BreachLetters:
    languages = {v.value for v in LetterLanguage}
    table = r.table("letter_languages")
    pairs = []
    for country, language in table.data.items():
        if len(country) != 2 or not country.isupper():
            raise DeclarationError(f"{table._path(country)}: not an ISO 3166 country code")
        if language not in languages:
            raise DeclarationError(
                f"{table._path(country)}: {language!r} is not a letter language "
                f"({', '.join(sorted(languages))})"
            )
        pairs.append((country, language))
    default = r.text("default_letter_language")
    if default not in languages:
        raise DeclarationError(
            f"{r._path('default_letter_language')}: {default!r} is not a letter language "
            f"({', '.join(sorted(languages))})"
        )
    return BreachLetters(tuple(pairs), default)


def _legal_hold(r: _Reader) -> LegalHold:
    known = {"voucher_years", "books_years", "financial_year_end_month"}
    for key in r.data:
        if key not in known:
            raise DeclarationError(f"{r._path(key)}: unknown key ({', '.join(sorted(known))})")
    hold = LegalHold(
        r.whole("voucher_years", 1, 30),
        r.whole("books_years", 1, 30),
        r.whole("financial_year_end_month", 1, 12),
    )
    if hold.books_years < hold.voucher_years:
        raise DeclarationError(
            f"{r._path('books_years')}: books are kept at least as long as vouchers"
        )
    return hold


def _retention(r: _Reader) -> RetentionSchedule:
    known = {"decided_by", *RETENTION_RULES}
    for key in r.data:
        if key not in known:
            raise DeclarationError(f"{r._path(key)}: unknown key ({', '.join(sorted(known))})")
    rules = []
    for key in RETENTION_RULES:
        rule = r.table(key)
        fields = {"what", "starts", "reason", "years", "months"}
        for field in rule.data:
            if field not in fields:
                raise DeclarationError(
                    f"{rule._path(field)}: unknown key ({', '.join(sorted(fields))})"
                )
        years = rule.whole("years", 1, 30) if "years" in rule.data else 0
        months = rule.whole("months", 1, 360) if "months" in rule.data else 0
        if key == "orders":
            if years or months:
                raise DeclarationError(
                    f"{rule._path('years' if years else 'months')}: the orders' period is the "
                    "Accounting Act's, declared as [legal_hold].voucher_years"
                )
        elif years and months:
            raise DeclarationError(f"{rule._path('months')}: give years or months, not both")
        elif not years and not months:
            raise DeclarationError(f"{rule._path('years')}: missing (or months)")
        if key == "audit_trail" and not years:
            # The database's guard on old audit events counts whole years (migration 0014).
            raise DeclarationError(f"{rule._path('months')}: the audit trail's period is in years")
        rules.append(
            RetentionRule(
                key, rule.text("what"), rule.text("starts"), rule.text("reason"), years, months
            )
        )
    return RetentionSchedule(r.text("decided_by"), tuple(rules))


def _csv_delimiter(root: _Reader) -> str:
    from registry.spreadsheet import DELIMITERS

    if "files" not in root.data:
        return ";"
    files = root.table("files")
    for key in files.data:
        if key != "csv_delimiter":
            raise DeclarationError(f"{files._path(key)}: unknown setting")
    value = files.text("csv_delimiter", required=False, default=";")
    if value not in DELIMITERS:
        raise DeclarationError(
            f"{files._path('csv_delimiter')}: {value!r} is not a column separator "
            f"({', '.join(repr(d) for d in DELIMITERS)})"
        )
    return value


def parse(data: dict[str, Any], where: str = "") -> Declaration:
    root = _Reader(data, where)
    transfers = root.table("transfers")
    safeguards = transfers.texts("declared_safeguards")
    known = {m.value for m in TransferMechanism} | {"scc"}
    for s in safeguards:
        if s not in known:
            raise DeclarationError(
                f"{transfers._path('declared_safeguards')}: unknown safeguard {s!r}"
            )
    sources = root.table("sources")
    regular_sources = sources.texts("regular")
    from_the_person = sources.texts("from_the_person")
    for source in from_the_person:
        if source not in regular_sources:
            raise DeclarationError(
                f"{sources._path('from_the_person')}: {source!r} is not one of the regular sources"
            )
    retention, rights = root.table("retention"), root.table("rights")
    authority = root.table("supervisory_authority")
    return Declaration(
        registry_name=root.table("registry").text("name"),
        controller=_party(root.table("controller")),
        contact=_party(root.table("contact")),
        purposes=tuple(_purpose(r) for r in root.tables("purposes")),
        data_categories=tuple(
            Entry(r.text("key"), r.text("text")) for r in root.tables("data_categories")
        ),
        data_subjects=tuple(
            Entry(r.text("key"), r.text("text")) for r in root.tables("data_subjects")
        ),
        sources=regular_sources,
        recipient_categories=tuple(
            RecipientCategory(r.text("key"), r.text("text"), _country_codes(r, "countries"))
            for r in root.tables("recipient_categories")
        ),
        third_countries=_country_codes(transfers, "third_countries"),
        declared_safeguards=safeguards,
        retention=_retention(retention),
        rights={k: rights.flag(k) for k in rights.data if k != "request_form"},
        request_form=rights.text("request_form"),
        supervisory_authority=_party(authority),
        supervisory_authority_website=authority.text("website"),
        legal_bases=root.table("legal_bases").texts("declared"),
        gaps=tuple(
            Gap(r.text("article"), r.text("key"), r.text("text")) for r in root.tables("gaps")
        ),
        breach_letters=_breach_letters(root.table("breaches")),
        sources_from_the_person=from_the_person,
        legal_hold=_legal_hold(root.table("legal_hold")),
        restrict_while_objection_pending=_objections(root),
        marketing=_marketing(root.table("marketing")),
        csv_delimiter=_csv_delimiter(root),
        legitimate_interests=root.table("legal_bases").text("legitimate_interests", required=False),
    )


# The lawful bases of Art. 6(1) a purpose may state (as disclosures.LEGAL_BASES names them).
ART6_BASES = (
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
)


def _purpose(r: _Reader) -> Purpose:
    bases, uses = r.texts("legal_bases"), r.texts("profiling_uses")
    for basis in bases:
        if basis not in ART6_BASES:
            raise DeclarationError(
                f"{r._path('legal_bases')}: {basis!r} is not a basis of Art. 6(1) "
                f"({', '.join(ART6_BASES)})"
            )
    for kind in uses:
        if kind not in PROFILING_FILTER_KINDS:
            raise DeclarationError(
                f"{r._path('profiling_uses')}: unknown kind of data {kind!r} "
                f"({', '.join(PROFILING_FILTER_KINDS)})"
            )
    return Purpose(
        r.text("key"),
        r.text("text"),
        r.flag("profiling"),
        r.text("profiling_logic", required=False),
        bases,
        r.flag("direct_marketing"),
        uses,
    )


_OBJECTION_KEYS = ("restrict_while_pending",)


def _objections(root: _Reader) -> bool:
    """[objections]: whether logging an Art. 21(1) objection restricts the person at once."""
    if "objections" not in root.data:
        return True
    table = root.table("objections")
    for key in table.data:
        if key not in _OBJECTION_KEYS:
            raise DeclarationError(
                f"{table._path(key)}: unknown setting (known: {', '.join(_OBJECTION_KEYS)})"
            )
    return table.flag("restrict_while_pending", True)


def load(path: Path | None = None) -> Declaration:
    path = path or settings.declaration_path()
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError as e:
        raise DeclarationError(f"{path}: the registry declaration is missing") from e
    except tomllib.TOMLDecodeError as e:
        # tomllib's message names the line and column.
        raise DeclarationError(f"{path}: not valid TOML: {e}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise DeclarationError(f"{path}: cannot be read: {e}") from e
    try:
        return parse(data)
    except DeclarationError as e:
        raise DeclarationError(f"{path}: {e}") from None


def declaration() -> Declaration:
    """The declaration (data/registry.toml, or REGISTRY_DECLARATION); read once per process
    and file. A malformed one raises DeclarationError naming the file and the line or key,
    every time it is needed, so a fixed file is read at the next use."""
    return _load_once(settings.declaration_path())


@cache
def _load_once(path: Path) -> Declaration:
    return load(path)


def declaration_problem() -> str | None:
    """Why the declaration cannot be read, or None: for pages that work without it."""
    try:
        declaration()
    except DeclarationError as e:
        return str(e)
    return None
