"""The registry declaration (data/registry.toml) held against the live data.

Three questions: does the disclosure log reach recipients, countries or safeguards the
declaration does not name; does the registry hold data categories or data-subject groups it
does not list; and what does Art. 13/14 require that the declaration lacks, including what
the registry itself relies on and the notice omits: the legal basis of each purpose, the
legitimate interests relied on, and the kinds of data the profiling uses. Every answer is
an aggregate over a few rows (recipients, distinct values, EXISTS), so anyone may see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from registry import filters
from registry.disclosures import CATEGORY_LABELS, LEGAL_BASES
from registry.errors import ValidationError
from registry.models import (
    Activity,
    ConsentEvent,
    DataSubjectRequest,
    Disclosure,
    Order,
    Person,
    Recipient,
    Segment,
)
from registry.notice import Declaration
from registry.permissions import Actor, Permission, require
from registry.transfers import MECHANISM_LABELS, country_name, in_eea
from registry.vocabulary import DataCategory, MarketingBasis, TransferMechanism

# The declaration may say only "scc" (as the notice does: "templates approved by the EU
# Commission"); that covers either set of clauses for the check of what it names.
_DECLARED_AS: dict[str, str] = {
    TransferMechanism.SCC_2021: "scc",
    TransferMechanism.SCC_PRE_2021: "scc",
}

# Rights Art. 13(2)(b)-(d) require the notice to state, with the article that demands each.
_RIGHTS = {
    "erasure": ("Art. 13(2)(b)", "the right to erasure"),
    "restriction": ("Art. 13(2)(b)", "the right to restriction of processing"),
    "objection": ("Art. 13(2)(b), Art. 21(4)", "the right to object, also to direct marketing"),
    "portability": ("Art. 13(2)(b)", "the right to data portability"),
    "withdraw_consent": ("Art. 13(2)(c)", "the right to withdraw consent at any time"),
}


@dataclass(frozen=True)
class Finding:
    """One thing the declaration does not cover, in a sentence a compliance officer can act on."""

    subject: str  # what it is about: a recipient, a country code, a category key, a gap key
    text: str
    article: str = ""
    declared: bool = False  # an Art. 13/14 item the declaration itself records as a gap


@dataclass(frozen=True)
class DeclarationCheck:
    recipients: list[Finding] = field(default_factory=list)
    countries: list[Finding] = field(default_factory=list)
    safeguards: list[Finding] = field(default_factory=list)
    data_categories: list[Finding] = field(default_factory=list)
    data_subjects: list[Finding] = field(default_factory=list)
    missing_items: list[Finding] = field(default_factory=list)

    @property
    def live_data_findings(self) -> int:
        return sum(
            len(x)
            for x in (
                self.recipients,
                self.countries,
                self.safeguards,
                self.data_categories,
                self.data_subjects,
            )
        )


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n:,} times"


def _disclosed_recipients(session: Session) -> list[tuple[Recipient, int]]:
    counts = (
        select(Disclosure.recipient_id, func.count().label("n"))
        .group_by(Disclosure.recipient_id)
        .subquery()
    )
    query = (
        select(Recipient, counts.c.n)
        .join(counts, counts.c.recipient_id == Recipient.id)
        .order_by(Recipient.name)
    )
    return [(r, n) for r, n in session.execute(query)]


def _log_findings(
    declaration: Declaration, disclosed: list[tuple[Recipient, int]]
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    categories = {c.key: c for c in declaration.recipient_categories}
    declared_countries = declaration.declared_countries
    recipients: list[Finding] = []
    countries: dict[str, Finding] = {}
    safeguards: list[Finding] = []
    for r, n in disclosed:
        where = country_name(r.country)
        category = categories.get(r.kind)
        if category is None:
            recipients.append(
                Finding(
                    r.name,
                    f"{r.name} ({r.kind}, {where}) received data {_times(n)}; "
                    f"the declaration names no {r.kind} recipients.",
                    "Art. 13(1)(e)",
                )
            )
        elif r.country not in category.countries:
            recipients.append(
                Finding(
                    r.name,
                    f"{r.name} received data {_times(n)} in {where}; the declaration names "
                    f"{r.kind} recipients only in "
                    f"{', '.join(country_name(c) for c in category.countries) or 'no country'}.",
                    "Art. 13(1)(e)",
                )
            )
        third = not in_eea(r.country)
        if r.country not in declared_countries and r.country not in countries:
            countries[r.country] = Finding(
                r.country,
                f"{where}: data was disclosed there, but the declaration names no recipient "
                "in that country.",
                "Art. 13(1)(e)",
            )
        if third and r.country not in declaration.third_countries:
            countries[r.country] = Finding(
                r.country,
                f"{where} is outside the EU/EEA and received data, but the declaration does not "
                "name it among the third countries data is transferred to.",
                "Art. 13(1)(f)",
            )
        mechanism = r.transfer_mechanism
        declared_as = _DECLARED_AS.get(mechanism, mechanism)
        if third and declared_as not in declaration.declared_safeguards:
            safeguards.append(
                Finding(
                    r.name,
                    f"{r.name} ({where}) relies on "
                    f"{MECHANISM_LABELS.get(mechanism, mechanism)}, a safeguard the "
                    "declaration does not name.",
                    "Art. 13(1)(f)",
                )
            )
    return recipients, sorted(countries.values(), key=lambda f: f.subject), safeguards


def _held_categories(session: Session) -> set[str]:
    """The notice's data categories of which the registry holds at least one record."""
    held = {
        DataCategory.BASIC: exists().where(Person.id.is_not(None)),
        DataCategory.CUSTOMER_RELATIONSHIP: or_(
            exists().where(Order.id.is_not(None)),
            exists().where(ConsentEvent.id.is_not(None)),
            exists().where(DataSubjectRequest.id.is_not(None)),
        ),
        DataCategory.SERVICE_USER: exists().where(
            or_(
                Person.username.is_not(None),
                Person.password_hash.is_not(None),
                Person.latitude.is_not(None),
            )
        ),
        DataCategory.TRANSACTIONS: exists().where(Activity.id.is_not(None)),
    }
    found = {str(key) for key, clause in held.items() if session.scalar(select(clause))}
    # Categories named in the disclosure log count too: what went out was held.
    for text in session.scalars(select(cast(Disclosure.data_categories, String)).distinct()):
        found.update(key for key in DataCategory if f'"{key}"' in (text or ""))
    return found


# The Art. 6(1) basis under each marketing basis (vocabulary.MARKETING_BASIS_LABELS): the soft
# opt-in and the business recipients' opt-out are legitimate interests under the GDPR.
_ART6_OF: dict[str, str] = {
    MarketingBasis.CONSENT: "consent",
    MarketingBasis.SHARING_CONSENT: "consent",
    MarketingBasis.SOFT_OPT_IN: "legitimate_interests",
    MarketingBasis.BUSINESS_OPT_OUT: "legitimate_interests",
    MarketingBasis.LEGITIMATE_INTERESTS: "legitimate_interests",
}
_LI_USES: dict[str, str] = {
    MarketingBasis.SOFT_OPT_IN: "own customers' marketing of similar products (soft opt-in)",
    MarketingBasis.BUSINESS_OPT_OUT: "contact persons in their work role (business opt-out)",
    MarketingBasis.LEGITIMATE_INTERESTS: "marketing with an opt-out",
}


def relied_bases(declaration: Declaration) -> dict[str, list[str]]:
    """Purpose key -> the Art. 6(1) bases the registry relies on for it, from [marketing]:
    its bases for a direct-marketing purpose, its profiling basis for a profiling one."""
    marketing = declaration.marketing
    relied: dict[str, list[str]] = {}
    for p in declaration.purposes:
        bases: list[str] = []
        if p.direct_marketing:
            bases += [_ART6_OF[b] for declared in marketing.bases.values() for b in declared]
            if marketing.sharing_recipients:
                bases.append("consent")
        if p.profiling:
            bases.append(_ART6_OF[marketing.profiling_basis])
        relied[p.key] = [b for b in LEGAL_BASES if b in bases]
    return relied


def _legitimate_interest_uses(declaration: Declaration) -> list[str]:
    """Where [marketing] relies on legitimate interests, in words (channels per basis)."""
    marketing = declaration.marketing
    uses: list[str] = []
    for basis, words in _LI_USES.items():
        channels = sorted({c for (_, c), bases in marketing.bases.items() if basis in bases})
        if channels:
            uses.append(f"{words}: {', '.join(c.replace('_', '-') for c in channels)}")
    if marketing.profiling_basis == MarketingBasis.LEGITIMATE_INTERESTS:
        uses.append("profiling of persons never asked")
    return uses


def _basis_findings(declaration: Declaration) -> list[Finding]:
    """Art. 13(1)(c), (d): each purpose's legal basis, and the legitimate interests."""
    items: list[Finding] = []
    relied = relied_bases(declaration)
    for p in declaration.purposes:
        name = p.key.replace("_", " ")
        relies = relied[p.key]
        said = f"; the registry relies on {_named(relies)} for it ([marketing])" if relies else ""
        if not p.legal_bases:
            text = f"The purpose “{name}” states no legal basis{said}."
        elif missing := [b for b in relies if b not in p.legal_bases]:
            text = (
                f"The purpose “{name}” states {_named(list(p.legal_bases))} but not "
                f"{_named(missing)}, which the registry relies on for it ([marketing])."
            )
        else:
            continue
        items.append(Finding(f"legal_basis:{p.key}", text, "Art. 13(1)(c)"))
    uses = _legitimate_interest_uses(declaration)
    if uses and not declaration.legitimate_interests.strip():
        items.append(
            Finding(
                "legitimate_interests",
                "The registry relies on legitimate interests (Art. 6(1)(f)) for "
                + "; ".join(uses)
                + ", but the notice states no legitimate interests pursued.",
                "Art. 13(1)(d)",
            )
        )
    return items


def _named(bases: list[str]) -> str:
    return " and ".join(LEGAL_BASES.get(b, b) for b in bases)


def _profiling_kinds_in_use(session: Session) -> dict[str, int]:
    """Kind of profiled data -> how many saved segments filter on it (a few dozen rows)."""
    used: dict[str, int] = {}
    for raw in session.scalars(select(Segment.definition)):
        try:
            definition = filters.parse_definition(raw)
        except ValidationError:
            continue  # an unreadable definition profiles nobody: no segment can use it
        kinds = {
            kind
            for f in definition.filters
            if (kind := filters.PROFILING_KIND_OF_GROUP.get(f.spec.group))
        }
        for kind in kinds:
            used[kind] = used.get(kind, 0) + 1
    return used


def _profiling_findings(declaration: Declaration, in_use: dict[str, int]) -> list[Finding]:
    """Art. 13(2)(f), 15(1)(h): the stated logic names every kind of data profiled."""
    items: list[Finding] = []
    profiled = declaration.marketing.profiling_filters
    for p in declaration.profiling_purposes:
        if not p.profiling_logic.strip():
            continue  # the missing logic is its own finding
        for kind in (k for k in profiled if k not in p.profiling_uses):
            n = in_use.get(kind, 0)
            live = f"; {n} saved {'segment uses' if n == 1 else 'segments use'} it" if n else ""
            items.append(
                Finding(
                    f"profiling_uses:{kind}",
                    f"The profiling logic stated does not say it uses {kind} data, which the "
                    f"declaration profiles by ([marketing.profiling]){live}.",
                    "Art. 13(2)(f), Art. 15(1)(h)",
                )
            )
    return items


def _missing_items(declaration: Declaration) -> list[Finding]:
    """Art. 13/14 items the declaration lacks: its own recorded gaps, then any its fields show."""
    items = [
        Finding(
            g.key,
            # The gap is the notice's; the schedule the controller decided is stated beside it.
            f"{g.text} The schedule: {declaration.retention_summary}"
            if g.key == "retention"
            else g.text,
            g.article,
            declared=True,
        )
        for g in declaration.gaps
    ]
    recorded = {g.key for g in declaration.gaps}

    def lacks(key: str, article: str, text: str) -> None:
        if key not in recorded:
            items.append(Finding(key, text, article))

    if not declaration.legal_bases:
        lacks("legal_bases", "Art. 13(1)(c)", "No legal basis is stated for any purpose.")
    if not declaration.rights.get("complaint_to_authority"):
        lacks(
            "complaint_to_authority",
            "Art. 13(2)(d)",
            "The right to lodge a complaint with "
            f"{declaration.supervisory_authority.name} is not stated.",
        )
    unstated = [(a, t) for k, (a, t) in _RIGHTS.items() if not declaration.rights.get(k)]
    if unstated:
        articles = ", ".join(dict.fromkeys(a for a, _ in unstated))
        lacks("rights", articles, "Not stated: " + "; ".join(t for _, t in unstated) + ".")
    if TransferMechanism.PRIVACY_SHIELD in declaration.declared_safeguards:
        lacks(
            "privacy_shield",
            "Art. 13(1)(f), Art. 46",
            "The declared safeguard EU-US Privacy Shield has been invalid since 16 July 2020.",
        )
    if "scc" in declaration.declared_safeguards:
        lacks(
            "scc_version",
            "Art. 13(1)(f)",
            "Standard Contractual Clauses are named without saying which set; the pre-2021 "
            "clauses expired on 27 December 2022.",
        )
    if declaration.third_countries and not declaration.declared_safeguards:
        lacks("safeguards", "Art. 13(1)(f)", "Transfers to third countries name no safeguard.")
    if any(not p.profiling_logic.strip() for p in declaration.profiling_purposes):
        lacks(
            "profiling_logic",
            "Art. 13(2)(f), Art. 22",
            "Profiling is declared without its logic or consequences.",
        )
    if "writing" in declaration.request_form.lower():
        lacks(
            "requests_in_writing",
            "Art. 12(2)",
            f"The notice asks for requests “{declaration.request_form}”, but the controller "
            "must facilitate requests in any form: requests by phone or in person are logged "
            "and answered too.",
        )
    if not declaration.sources:
        lacks("sources", "Art. 14(2)(f)", "The sources of the personal data are not stated.")
    return items


def check(session: Session, actor: Actor, declaration: Declaration) -> DeclarationCheck:
    """Hold the declaration against the database: everything it fails to name or state."""
    require(actor, Permission.VIEW_NOTICE)
    recipients, countries, safeguards = _log_findings(declaration, _disclosed_recipients(session))
    declared_categories = {c.key for c in declaration.data_categories}
    categories = [
        Finding(
            key,
            f"The registry holds data of the category “{CATEGORY_LABELS[key]}” that the "
            "declaration does not list.",
            "Art. 14(1)(d)",
        )
        for key in sorted(_held_categories(session) - declared_categories)
    ]
    declared_groups = {s.key for s in declaration.data_subjects}
    groups = session.execute(
        select(Person.relationship, func.count())
        .where(Person.relationship.not_in(sorted(declared_groups)))
        .group_by(Person.relationship)
        .order_by(Person.relationship)
    ).all()
    subjects = [
        Finding(
            group,
            f"{n:,} {'person is' if n == 1 else 'persons are'} held as "
            f"{group.replace('_', ' ')}, a group of data subjects the declaration does not name.",
            "Art. 14(1)(d)",
        )
        for group, n in groups
    ]
    return DeclarationCheck(
        recipients=recipients,
        countries=countries,
        safeguards=safeguards,
        data_categories=categories,
        data_subjects=subjects,
        missing_items=_missing_items(declaration)
        + _basis_findings(declaration)
        + _profiling_findings(declaration, _profiling_kinds_in_use(session)),
    )
