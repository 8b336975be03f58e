"""How a stored code reads on a page: its label, or for a code without one, the code as
people write it (email_marketing -> Email marketing). The one fallback every view uses.

Labels live on the enumeration (Role.COMPLIANCE.label), as Django's TextChoices keep them:
an enumeration derives from `Labelled` and names its labels once, beside its members, with
`labelled(Enum, {...})`; every page, chart axis and file header reads `.label`, or `of(Enum,
code)` for a stored code that may be no member (an old or imported value)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

_LABELS: dict[type[StrEnum], Mapping[str, str]] = {}
E = TypeVar("E", bound="Labelled")


class Labelled(StrEnum):
    """A stored word with the label people read."""

    @property
    def label(self) -> str:
        return _LABELS.get(type(self), {}).get(self.value) or humanised(self.value)


def labelled(enum: type[E], labels: Mapping[E, str]) -> type[E]:
    """Give `enum`'s members their labels (every member must have one)."""
    missing = set(enum) - set(labels)
    assert not missing, f"{enum.__name__} members without a label: {missing}"
    _LABELS[enum] = {member.value: text for member, text in labels.items()}
    return enum


def of(enum: type[Labelled], code: str | None, empty: str = "") -> str:
    """The label of a stored `code` of `enum`; a code that is no member humanised."""
    if not code:
        return empty
    try:
        return enum(code).label
    except ValueError:
        return humanised(code)


def choices(enum: type[Labelled]) -> dict[str, str]:
    """Every member's value and label, in the enumeration's order (for a selectbox)."""
    return {member.value: member.label for member in enum}


def humanised(code: str) -> str:
    """A stored word (email_marketing) as people write it (Email marketing)."""
    return code.replace("_", " ").capitalize()


def label(labels: Mapping[str, str], code: str | None, empty: str = "") -> str:
    """The label of `code`; an unlabelled code humanised; `empty` when there is no code."""
    if not code:
        return empty
    return labels.get(code, humanised(code))
