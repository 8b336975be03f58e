"""Labels live on the enumerations (registry.labels): every member has one, a stored code
that is no member reads humanised, and pages show labels, not codes."""

from __future__ import annotations

import pytest

from registry import labels
from registry.labels import Labelled
from registry.vocabulary import (
    Channel,
    RecipientRole,
    RecipientScope,
    RequestChannel,
    RequestKind,
    RequestStatus,
    Role,
)


def labelled_enums() -> list[type[Labelled]]:
    return [
        Channel,
        RecipientRole,
        RecipientScope,
        RequestChannel,
        RequestKind,
        RequestStatus,
        Role,
    ]


@pytest.mark.parametrize("enum", labelled_enums(), ids=lambda e: e.__name__)
def test_every_member_has_a_label_that_is_not_its_code(enum):
    for member in enum:
        assert member.label and member.label != member.value, member


def test_a_label_is_read_from_the_enum_or_from_a_stored_code():
    assert Role.COMPLIANCE.label == "Compliance"
    assert labels.of(RecipientRole, "controller") == "Independent controller"
    assert labels.of(RecipientScope, "gone_value") == "Gone value"  # no member: humanised
    assert labels.of(Role, None, empty="—") == "—"
    assert labels.choices(RecipientRole) == {
        "processor": "Processor (Art. 28 agreement)",
        "controller": "Independent controller",
    }


def test_a_labelled_enum_without_every_label_is_refused():
    class Colour(Labelled):
        RED = "red"
        BLUE = "blue"

    with pytest.raises(AssertionError, match="without a label"):
        labels.labelled(Colour, {Colour.RED: "Red"})
