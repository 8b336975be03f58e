"""Which declared basis allows a channel for a person, in SQL (Act 917/2014 ss. 200-202).

The declaration (data/registry.toml [marketing]) names, per relationship and channel, the
bases tried in order; the first whose conditions hold is the person's basis:
  consent               a current grant whose event carries evidence (Art. 7(1)): a grant
                        without evidence is no consent the controller can demonstrate;
  soft_opt_in           the person's own order within the declared months (s. 200(2));
  business_opt_out      a contact person of an organisation, in their work role (s. 202);
  legitimate_interests  post and person-made calls (Art. 6(1)(f)).
Nobody who objected (Art. 21(3)) or withdrew (Art. 7(3)) for the channel's purpose has a
basis, whatever the declaration; the opt-out bases rest on exactly that opt-out.

A list for an independent controller (a dealer) rests only on the person's evidenced grant
of the declared sharing purpose, whose text names the controllers (Art. 7; s. 200: a consent
belongs to the one it was given to).

Each person's statuses are read as bit masks over the purposes (one row per person, one hash
join), so counts of every channel at once cost one join, as do the preview and the export.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import KeyedColumnElement

from registry import consent
from registry.derived_values import reachable
from registry.models import Order, Person
from registry.notice import Marketing, declaration
from registry.vocabulary import (
    CHANNEL_PURPOSE,
    DELIVERS,
    DELIVERY_LABELS,
    MARKETING_BASIS_LABELS,
    Channel,
    ConsentStatus,
    DeliveryService,
    MarketingBasis,
    Purpose,
    RecipientRole,
)

PURPOSE_BITS: dict[Purpose, int] = {p: 1 << i for i, p in enumerate(Purpose)}
BASES: frozenset[str] = frozenset(b.value for b in MarketingBasis)


class NoBasis(StrEnum):
    """Why no declared basis allows the channel for a person (after objections and
    withdrawals, which come first)."""

    NO_EVIDENCE = "no_evidence"  # Art. 7(1)
    NEVER_GRANTED = "never_granted"
    CONDITIONS_NOT_MET = "conditions_not_met"
    NOT_DECLARED = "not_declared"
    NO_SHARING_CONSENT = "no_sharing_consent"


NO_BASIS_LABELS: dict[str, str] = {
    NoBasis.NO_EVIDENCE: "Consent cannot be demonstrated: a grant without evidence (Art. 7(1))",
    NoBasis.NEVER_GRANTED: "Never granted consent, and no other declared basis holds",
    NoBasis.CONDITIONS_NOT_MET: "The declared basis's conditions do not hold "
    "(no recent own order, or no organisation)",
    NoBasis.NOT_DECLARED: "No basis declared for the relationship on this channel",
    NoBasis.NO_SHARING_CONSENT: "No consent to sharing with the dealers (Art. 7)",
}


def basis_label(basis: str) -> str:
    return MARKETING_BASIS_LABELS.get(basis, basis)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day if it has none)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def status_masks(purposes: Iterable[Purpose]) -> Any:
    """One row per person with any current status for the purposes: a bit per purpose in
    each of `granted` (with evidence), `unevidenced` (a grant without evidence),
    `withdrawn` and `objected`; to outer-join on person_id."""
    wanted = list(dict.fromkeys(purposes))
    states = consent.current_states(*(p.value for p in wanted)).subquery("states")
    bit = case(*((states.c.purpose == p.value, PURPOSE_BITS[p]) for p in wanted), else_=0)

    def mask(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, bit), else_=0))

    granted = states.c.status == ConsentStatus.GRANTED.value
    return (
        select(
            states.c.person_id,
            mask(and_(granted, states.c.has_evidence)).label("granted"),
            mask(and_(granted, ~states.c.has_evidence)).label("unevidenced"),
            mask(states.c.status == ConsentStatus.WITHDRAWN.value).label("withdrawn"),
            mask(states.c.status == ConsentStatus.OBJECTED.value).label("objected"),
        )
        .group_by(states.c.person_id)
        .subquery("masks")
    )


class Classifier:
    """The SQL deciding, per person and channel, the basis or why there is none."""

    def __init__(
        self,
        masks: Any,
        today: dt.date,
        marketing: Marketing | None = None,
        *,
        sharing: bool = False,
    ) -> None:
        self.masks, self.today, self.sharing = masks, today, sharing
        self.marketing = marketing or declaration().marketing
        # s. 200(2): own customers, those with their own order within the declared months;
        # one grouped subquery joined once, not a probe per person and channel.
        since = months_before(today, self.marketing.soft_opt_in_months)
        self.customers = (
            select(Order.person_id)
            .where(Order.ordered_on >= since, Order.person_id.is_not(None))
            .group_by(Order.person_id)
            .subquery("own_customers")
        )

    @classmethod
    def for_channels(
        cls,
        channels: Iterable[Channel],
        today: dt.date,
        marketing: Marketing | None = None,
        *,
        sharing: bool = False,
    ) -> Classifier:
        purposes = [CHANNEL_PURPOSE[c] for c in channels]
        if sharing:
            purposes.append(Purpose.SHARING_WITH_DEALERS)
        return cls(status_masks(purposes), today, marketing, sharing=sharing)

    def join(self, query: Select[Any]) -> Select[Any]:
        query = query.outerjoin(self.masks, self.masks.c.person_id == Person.id)
        if self._soft_opt_in_declared():
            query = query.outerjoin(self.customers, self.customers.c.person_id == Person.id)
        return query

    def _soft_opt_in_declared(self) -> bool:
        return not self.sharing and any(
            MarketingBasis.SOFT_OPT_IN in bases for bases in self.marketing.bases.values()
        )

    def has(self, column: str, purpose: Purpose) -> ColumnElement[bool]:
        mask: KeyedColumnElement[Any] = self.masks.c[column]
        return func.coalesce(mask, 0).op("&")(PURPOSE_BITS[purpose]) != 0

    def _condition(self, basis: str, channel: Channel) -> ColumnElement[bool]:
        match MarketingBasis(basis):
            case MarketingBasis.CONSENT:
                return self.has("granted", CHANNEL_PURPOSE[channel])
            case MarketingBasis.SOFT_OPT_IN:
                # s. 200(2): contact details obtained from the person's own purchase.
                return self.customers.c.person_id.is_not(None)
            case MarketingBasis.BUSINESS_OPT_OUT:
                return Person.organisation_id.is_not(None)  # s. 202: in their work role
            case _:
                return literal(True)

    def _declared(self, channel: Channel) -> dict[str, tuple[str, ...]]:
        return {
            relationship: bases
            for (relationship, declared_channel), bases in self.marketing.bases.items()
            if declared_channel == channel.value and bases
        }

    def basis(self, channel: Channel) -> ColumnElement[Any]:
        """SQL: the first declared basis that holds for the person, or NULL. Objections and
        withdrawals are decided before it (`whens`)."""
        if self.sharing:
            return case(
                (
                    self.has("granted", Purpose.SHARING_WITH_DEALERS),
                    MarketingBasis.SHARING_CONSENT.value,
                ),
                else_=None,
            )
        whens = [
            (and_(Person.relationship == relationship, self._condition(b, channel)), b)
            for relationship, bases in self._declared(channel).items()
            for b in bases
        ]
        return case(*whens, else_=None) if whens else literal(None)

    def why_not(self, channel: Channel) -> ColumnElement[str]:
        """SQL: why the person has no basis (read only where `basis` is NULL)."""
        if self.sharing:
            return case(
                (self.has("unevidenced", Purpose.SHARING_WITH_DEALERS), NoBasis.NO_EVIDENCE.value),
                else_=NoBasis.NO_SHARING_CONSENT.value,
            )
        declared = self._declared(channel)
        with_consent = [r for r, bases in declared.items() if MarketingBasis.CONSENT in bases]
        purpose = CHANNEL_PURPOSE[channel]
        return case(
            (Person.relationship.not_in(list(declared) or [""]), NoBasis.NOT_DECLARED.value),
            (
                and_(
                    Person.relationship.in_(with_consent or [""]),
                    self.has("unevidenced", purpose),
                ),
                NoBasis.NO_EVIDENCE.value,
            ),
            (Person.relationship.in_(with_consent or [""]), NoBasis.NEVER_GRANTED.value),
            else_=NoBasis.CONDITIONS_NOT_MET.value,
        )

    def opted_out(self, channel: Channel) -> ColumnElement[bool]:
        purpose = CHANNEL_PURPOSE[channel]
        return or_(self.has("objected", purpose), self.has("withdrawn", purpose))

    def whens(
        self, channel: Channel, objected: str, withdrawn: str, no_contact: str
    ) -> list[tuple[ColumnElement[bool], Any]]:
        """The reasons in the order they are decided, for a CASE whose ELSE is `basis`."""
        purpose = CHANNEL_PURPOSE[channel]
        return [
            (self.has("objected", purpose), objected),  # Art. 21(3)
            (self.has("withdrawn", purpose), withdrawn),  # Art. 7(3)
            (self.basis(channel).is_(None), self.why_not(channel)),
            (~reachable(channel), no_contact),
        ]

    def allowed(self, channel: Channel) -> ColumnElement[bool]:
        """SQL: the channel may be used for the person and reaches them (counts)."""
        return and_(~self.opted_out(channel), self.basis(channel).is_not(None), reachable(channel))


def recipient_refusal(
    name: str, role: str, delivers: str | None, channel: Channel, marketing: Marketing | None = None
) -> str | None:
    """Why a target list for the channel may not go to this recipient; None if it may.

    A processor receives a list only to deliver that channel's messages for the controller
    (Art. 28(3)(a): only on documented instructions; Art. 5(1)(b)); an independent controller
    only where the declared sharing consent names it, and then only for persons who gave it.
    """
    marketing = marketing or declaration().marketing
    if role == RecipientRole.CONTROLLER:
        if name in marketing.sharing_recipients:
            return None
        return (
            f"{name} is an independent controller that no consent to sharing names (Art. 7; "
            "Act 917/2014 s. 200: a consent belongs to the one it was given to)"
        )
    if delivers in DELIVERS and channel in DELIVERS[DeliveryService(delivers)]:
        return None
    service = DELIVERY_LABELS.get(delivers or "", "no marketing delivery")
    return (
        f"{name} is a processor whose service ({service.lower()}) does not deliver "
        f"{channel.value.replace('_', '-')} messages; a target list goes only to a processor "
        "delivering that channel's messages (Art. 28(3)(a), Art. 5(1)(b))"
    )
