"""Segment filters: one small object, (field, operator, value), that speaks twice.

Each filter compiles both to a SQLAlchemy condition with bound parameters and to the phrase
the page shows above the numbers, so what is counted and what is described cannot drift apart
(Datasette's filters.py). A definition is a list of filters that all hold; saved as JSON:
[{"field": "relationship", "op": "in", "value": ["service_user"]},
 {"field": "last_app_use_days", "op": "lte", "value": 90}].

Fields on orders and behaviour read `person_metrics` (one row per person, kept by
registry.metrics) and make a definition profiling. "N days ago" counts Helsinki calendar days.
Consent fields read the current status only through registry.consent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_

from registry import consent, notice, regions, settings
from registry.derived_values import (
    area_condition,
    before,
    customer_status,
    engaged,
    region_condition,
    since,
    value_band,
)
from registry.errors import ValidationError
from registry.models import Organisation, Person, PersonMetrics
from registry.vocabulary import CHANNEL_PURPOSE, Channel, ConsentStatus

# --- the registry's words for segments ---------------------------------------------------

CUSTOMER_STATUSES: dict[str, str] = {
    "current": "Current customer",
    "past": "Past customer",
    "none": "Not a customer",
}

# Recency, frequency and monetary value of a person's orders, in the order they are decided:
# the first band whose rule holds is the person's band (thresholds in settings).
VALUE_BANDS: dict[str, str] = {
    "no_orders": "No orders",
    "new": "New",
    "champions": "Champions",
    "loyal": "Loyal",
    "occasional": "Occasional",
    "at_risk": "At risk",
    "lapsed": "Lapsed",
}

ENGAGEMENT: dict[str, str] = {
    "newsletter_reader": "Newsletter reader",
    "event_attendee": "Event attendee",
    "app_user": "Active app user",
}

OPS: dict[str, str] = {
    "in": "is one of",
    "not_in": "is none of",
    "gte": "is at least",
    "lte": "is at most",
    "between": "is between",
}
CHOICE_OPS = ("in", "not_in")
RANGE_OPS = ("gte", "lte", "between")


# --- fields a filter can use ------------------------------------------------------------

# The declaration's profiling filter kinds (data/registry.toml [marketing.profiling]) by the
# group a field is in: the notice uses "purchasing, transaction and location information"
# for profiling.
PROFILING_KIND_OF_GROUP = {"Orders": "orders", "Behaviour": "behaviour", "Where": "location"}


def is_profiling(field: Field) -> bool:
    kind = PROFILING_KIND_OF_GROUP.get(field.group)
    return kind in notice.declaration().marketing.profiling_filters


@dataclass(frozen=True)
class Field:
    """One thing a segment can filter on, and how a sentence names it."""

    name: str
    label: str
    group: str
    kind: str  # "choice", "count", "money" or "days"
    profiling: bool = False
    # The fixed vocabulary of a choice field; None: any value the registry holds.
    choices: Mapping[str, str] | None = None

    def value_label(self, value: Any) -> str:
        if self.kind == "money":
            return f"€{Decimal(str(value)):,.0f}"
        if self.kind in ("days", "count"):
            return f"{int(value):,}"
        if self.name == "country":
            return regions.country_label(str(value))
        if self.name == "region":
            return regions.region_label(str(value)) if value in regions.REGIONS else str(value)
        label = self.choices.get(value, str(value)) if self.choices else str(value)
        # "relationship is service user": the registry's own words read in lower case.
        return label.lower() if self.name in _LOWER_CASE_FIELDS else label


_LOWER_CASE_FIELDS = {
    "relationship",
    "customer_status",
    "value_band",
    "engagement",
    *(f"consent_{c.value}" for c in Channel),
}
_CONSENT_STATUS_CHOICES = {s.value: consent.STATUS_LABELS[s] for s in ConsentStatus}

FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field(
            "relationship",
            "relationship",
            "Who",
            "choice",
            choices=dict(consent.RELATIONSHIP_LABELS),
        ),
        Field("customer_status", "customer status", "Who", "choice", choices=CUSTOMER_STATUSES),
        Field("industry", "industry", "Who", "choice"),
        Field("position", "position", "Who", "choice"),
        Field("area", "area", "Where", "choice", choices=regions.AREAS),
        Field(
            "region",
            "region",
            "Where",
            "choice",
            choices={k: v[0] for k, v in regions.REGIONS.items()},
        ),
        Field("country", "country", "Where", "choice"),
        Field("value_band", "order value band", "Orders", "choice", True, VALUE_BANDS),
        Field("order_count", "number of orders", "Orders", "count", True),
        Field("order_total_eur", "order total", "Orders", "money", True),
        Field("last_order_days", "days since the last order", "Orders", "days", True),
        Field("engagement", "engagement", "Behaviour", "choice", True, ENGAGEMENT),
        Field("last_app_use_days", "days since the last app use", "Behaviour", "days", True),
        Field(
            "last_newsletter_open_days",
            "days since a newsletter was last opened",
            "Behaviour",
            "days",
            True,
        ),
        Field("last_event_days", "days since the last event", "Behaviour", "days", True),
        Field(
            "last_website_visit_days",
            "days since the last website visit",
            "Behaviour",
            "days",
            True,
        ),
        *(
            Field(
                f"consent_{channel.value}",
                f"{channel.label.lower()} consent",
                "Consent",
                "choice",
                choices=_CONSENT_STATUS_CHOICES,
            )
            for channel in Channel
        ),
    )
}

# Plain columns of a choice field: IN over them lets the database use its indexes.
_CHOICE_COLUMNS: dict[str, Any] = {
    "relationship": Person.relationship,
    "industry": Organisation.industry,
    "position": Person.position,
    "country": Person.country,
}

# Days fields: the column and whether it holds a date (else a timestamp).
_DAYS_COLUMNS: dict[str, tuple[Any, bool]] = {
    "last_order_days": (PersonMetrics.last_order_on, True),
    "last_app_use_days": (PersonMetrics.last_app_use_at, False),
    "last_newsletter_open_days": (PersonMetrics.last_newsletter_open_at, False),
    "last_event_days": (PersonMetrics.last_event_at, False),
    "last_website_visit_days": (PersonMetrics.last_website_visit_at, False),
}

_NUMBER_COLUMNS: dict[str, Any] = {
    "order_count": func.coalesce(PersonMetrics.order_count, 0),
    "order_total_eur": func.coalesce(PersonMetrics.order_total_eur, 0),
}


def _consent_condition(channel: Channel, statuses: Sequence[str]) -> ColumnElement[bool]:
    purpose = CHANNEL_PURPOSE[channel]
    asked = [s for s in statuses if s != ConsentStatus.NEVER_ASKED]
    conditions = []
    if asked:
        conditions.append(consent.status_is(purpose, asked, Person.id))
    if ConsentStatus.NEVER_ASKED in statuses:
        recorded = [s for s in ConsentStatus if s != ConsentStatus.NEVER_ASKED]
        conditions.append(~consent.status_is(purpose, recorded, Person.id))
    return or_(*conditions)


def _choice_condition(name: str, values: Sequence[str], today: dt.date) -> ColumnElement[bool]:
    if name in _CHOICE_COLUMNS:
        return _CHOICE_COLUMNS[name].in_(list(values))
    if name.startswith("consent_"):
        return _consent_condition(Channel(name.removeprefix("consent_")), values)
    one: Callable[[str], ColumnElement[bool]] = {
        "customer_status": lambda v: customer_status(today) == v,
        "value_band": lambda v: value_band(today) == v,
        "engagement": lambda v: engaged(v, today),
        "region": region_condition,
        "area": area_condition,
    }[name]
    return or_(*(one(v) for v in values))


# --- filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """(field, operator, value): a condition in SQL and a phrase in a sentence."""

    field: str
    op: str
    value: Any

    @property
    def spec(self) -> Field:
        return FIELDS[self.field]

    def condition(self, today: dt.date) -> ColumnElement[bool]:
        """The SQL condition on a person row (joined to its organisation and metrics)."""
        spec = self.spec
        if spec.kind == "choice":
            inside = _choice_condition(self.field, self.value, today)
            # A person with no value (no organisation, say) is "none of" any list.
            return inside if self.op == "in" else inside.is_not(True)
        low, high = self.bounds
        if spec.kind == "days":
            column, is_date = _DAYS_COLUMNS[self.field]
            # More days ago is earlier: a minimum of days bounds the date from above.
            conditions = []
            if low is not None:
                conditions.append(before(column, low, today, is_date))
            if high is not None:
                conditions.append(since(column, high, today, is_date))
            return and_(*conditions)
        column = _NUMBER_COLUMNS[self.field]
        conditions = []
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column <= high)
        return and_(*conditions)

    @property
    def bounds(self) -> tuple[Any, Any]:
        """(minimum, maximum) of a range filter; None where open."""
        match self.op:
            case "gte":
                return self.value, None
            case "lte":
                return None, self.value
            case _:
                return self.value[0], self.value[1]

    def sentence(self) -> str:
        spec = self.spec
        if self.op in CHOICE_OPS:
            labels = [spec.value_label(v) for v in self.value]
            if len(labels) == 1:
                verb = "is" if self.op == "in" else "is not"
                return f"{spec.label} {verb} {labels[0]}"
            listed = ", ".join(labels[:-1]) + (" or " if self.op == "in" else " nor ") + labels[-1]
            verb = "is" if self.op == "in" else "is neither"
            return f"{spec.label} {verb} {listed}"
        if self.op == "between":
            low, high = self.value
            return f"{spec.label} is between {spec.value_label(low)} and {spec.value_label(high)}"
        return f"{spec.label} {OPS[self.op]} {spec.value_label(self.value)}"

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, Decimal):
            value = _json_number(value)
        elif isinstance(value, tuple):
            value = [_json_number(v) if isinstance(v, Decimal) else v for v in value]
        return {"field": self.field, "op": self.op, "value": value}


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class Definition:
    """A segment: the persons who match every filter."""

    filters: tuple[Filter, ...] = ()

    @property
    def profiling(self) -> bool:
        """Built on a filter the declaration names profiling (orders, behaviour and location
        by default): profiling refusals leave persons out of it."""
        return any(is_profiling(f.spec) for f in self.filters)

    def conditions(self, today: dt.date) -> list[ColumnElement[bool]]:
        return [f.condition(today) for f in self.filters]

    def sentence(self) -> str:
        if not self.filters:
            return "Everyone in the registry."
        return "Persons whose " + ", and whose ".join(f.sentence() for f in self.filters) + "."

    def as_list(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self.filters]

    def key(self) -> str:
        """A stable text form, for cache keys."""
        return json.dumps(self.as_list(), sort_keys=True, ensure_ascii=False)


def _number(value: Any, kind: str) -> int | Decimal | str:
    """The value as a number of the field's kind, or the message to show."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return "Enter a number."
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return "Enter a number."
    if not number.is_finite():
        return "Enter a number."
    if number < 0:
        return "Use zero or more."
    if number > settings.SEGMENT_MAX_NUMBER:
        return f"Use at most {settings.SEGMENT_MAX_NUMBER:,}."
    if kind == "money":
        return number.quantize(Decimal("0.01"))
    if number != number.to_integral_value():
        return "Use a whole number."
    return int(number)


def _parse_filter(raw: Any) -> tuple[Filter | None, str, str | None]:
    """(filter, error key, error message); the key is the field's name where known."""
    if not isinstance(raw, Mapping) or set(raw) != {"field", "op", "value"}:
        return None, "definition", 'Each filter needs exactly "field", "op" and "value".'
    name, op, value = raw["field"], raw["op"], raw["value"]
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        return None, "definition", f"Unknown field: {name!r}."
    allowed = CHOICE_OPS if spec.kind == "choice" else RANGE_OPS
    if op not in allowed:
        return None, name, f"The {spec.label} filter takes {', '.join(allowed)}, not {op!r}."
    if spec.kind == "choice":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not value:
            return None, name, f"Choose at least one {spec.label}."
        if not all(isinstance(v, str) and 0 < len(v) <= settings.MAX_SHORT_TEXT for v in value):
            return None, name, f"Each {spec.label} must be a short text."
        if spec.choices is not None and (unknown := [v for v in value if v not in spec.choices]):
            return None, name, f"Unknown {spec.label}: {', '.join(unknown)}."
        return Filter(name, op, tuple(dict.fromkeys(value))), name, None
    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            return None, name, "Give a minimum and a maximum."
        low, high = (_number(v, spec.kind) for v in value)
        if isinstance(low, str) or isinstance(high, str):
            return None, name, low if isinstance(low, str) else str(high)
        if low > high:
            return (
                None,
                name,
                (
                    f"The minimum ({spec.value_label(low)}) is greater than the maximum "
                    f"({spec.value_label(high)})."
                ),
            )
        return Filter(name, op, (low, high)), name, None
    number = _number(value, spec.kind)
    if isinstance(number, str):
        return None, name, number
    return Filter(name, op, number), name, None


def parse_definition(raw: Any) -> Definition:
    """Check a definition (a list of {"field", "op", "value"}); ValidationError names the fields."""
    if isinstance(raw, Definition):
        return raw
    if not isinstance(raw, list | tuple):
        raise ValidationError({"definition": "A definition is a list of filters."})
    if len(raw) > settings.SEGMENT_MAX_FILTERS:
        raise ValidationError(
            {"definition": f"Use at most {settings.SEGMENT_MAX_FILTERS} filters."}
        )
    filters: list[Filter] = []
    errors: dict[str, str] = {}
    for item in raw:
        parsed, key, message = _parse_filter(item)
        if message is not None:
            errors.setdefault(key, message)
        elif parsed is not None:
            filters.append(parsed)
    if errors:
        raise ValidationError(errors)
    return Definition(tuple(filters))


def range_filter(name: str, minimum: Any, maximum: Any) -> dict[str, Any] | None:
    """The filter of a min/max pair of inputs; None when both are empty."""
    if minimum is None and maximum is None:
        return None
    if maximum is None:
        return {"field": name, "op": "gte", "value": minimum}
    if minimum is None:
        return {"field": name, "op": "lte", "value": maximum}
    return {"field": name, "op": "between", "value": [minimum, maximum]}


def describe(raw: Any) -> str:
    """The sentence the page shows above a segment's numbers."""
    return parse_definition(raw).sentence()


# --- the page's builder: widget values to a definition and back -------------------------

CHOICE_FIELDS = [name for name, f in FIELDS.items() if f.kind == "choice"]
RANGE_FIELDS = [name for name, f in FIELDS.items() if f.kind != "choice"]


def builder_definition(
    chosen: Mapping[str, Sequence[str]], ranges: Mapping[str, tuple[Any, Any]]
) -> list[dict[str, Any]]:
    """The definition of the builder's inputs: a filter per non-empty choice or range."""
    definition: list[dict[str, Any]] = [
        {"field": name, "op": "in", "value": list(values)}
        for name in CHOICE_FIELDS
        if (values := chosen.get(name))
    ]
    for name in RANGE_FIELDS:
        minimum, maximum = ranges.get(name, (None, None))
        if (item := range_filter(name, minimum, maximum)) is not None:
            definition.append(item)
    return definition


def builder_values(
    raw: Any,
) -> tuple[dict[str, list[str]], dict[str, tuple[Any, Any]], list[Filter]]:
    """What the builder's inputs show for a definition, and the filters they cannot show
    ("none of", or two filters on one field), kept as they are."""
    chosen: dict[str, list[str]] = {}
    ranges: dict[str, tuple[Any, Any]] = {}
    kept: list[Filter] = []
    for f in parse_definition(raw).filters:
        if f.field in chosen or f.field in ranges or f.op == "not_in":
            kept.append(f)
        elif f.op == "in":
            chosen[f.field] = list(f.value)
        else:
            ranges[f.field] = f.bounds
    return chosen, ranges, kept
