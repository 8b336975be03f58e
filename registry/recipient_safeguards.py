"""What a recipient's transfer safeguard has on record (registry.transfers.safeguard_problem
says what it lacks): the form's fields, each only with the mechanism it belongs to, and the
register's words for them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from registry import deadlines, formats, settings, validation
from registry.transfers import MECHANISM_LABELS, adequacy_decision
from registry.vocabulary import TransferMechanism

if TYPE_CHECKING:
    from registry.recipients import RecipientInput, RecipientRow

# The earliest agreement or safeguard date accepted: the Data Protection Directive (95/46/EC).
EARLIEST_AGREEMENT = dt.date(1995, 10, 24)


_SAFEGUARD_FIELDS: dict[str, tuple[str, ...]] = {
    # field -> the mechanisms it belongs to
    "dpf_checked_on": (TransferMechanism.DPF,),
    "tia_on": (TransferMechanism.SCC_2021, TransferMechanism.SCC_PRE_2021),
    "bcr_reference": (TransferMechanism.BCR,),
}
_SAFEGUARD_NAMES = {
    "dpf_checked_on": "The DPF check date",
    "tia_on": "The transfer impact assessment date",
    "bcr_reference": "The BCR approval reference",
}


def checked_safeguard(
    errors: dict[str, str], data: RecipientInput
) -> tuple[dt.date | None, dt.date | None, str | None]:
    """The safeguard's record, each field only with the mechanism it belongs to."""
    reference = " ".join((data.bcr_reference or "").split()) or None
    values: dict[str, dt.date | str | None] = {
        "dpf_checked_on": data.dpf_checked_on,
        "tia_on": data.tia_on,
        "bcr_reference": reference,
    }
    today = deadlines.today()
    for field, value in values.items():
        if value is None:
            continue
        if data.transfer_mechanism not in _SAFEGUARD_FIELDS[field]:
            errors[field] = (
                f"{_SAFEGUARD_NAMES[field]} belongs only to "
                + " or ".join(MECHANISM_LABELS[m] for m in _SAFEGUARD_FIELDS[field])
                + "."
            )
        elif isinstance(value, dt.date) and value > today:
            errors[field] = "The date cannot be in the future."
        elif isinstance(value, dt.date) and value < EARLIEST_AGREEMENT:
            errors[field] = "The date is before data protection law existed."
    if reference is not None and "bcr_reference" not in errors:
        validation.refuse_hidden(errors, {"bcr_reference": reference})
        if len(reference) > settings.MAX_SHORT_TEXT:
            errors["bcr_reference"] = f"Use at most {settings.MAX_SHORT_TEXT} characters."
    return data.dpf_checked_on, data.tia_on, reference


def safeguard_record(row: RecipientRow) -> str:
    """What the register holds for the recipient's safeguard, in words (dates as in Finland)."""
    if row.inside_eea:
        return ""
    match row.transfer_mechanism:
        case TransferMechanism.ADEQUACY:
            return adequacy_decision(row.country) or "No adequacy decision"
        case TransferMechanism.DPF:
            checked = (
                f"certification checked {formats.finnish_date(row.dpf_checked_on)}"
                if row.dpf_checked_on
                else "certification not checked"
            )
            return f"{adequacy_decision('US')}; {checked}"
        case TransferMechanism.SCC_2021 | TransferMechanism.SCC_PRE_2021:
            if row.tia_on:
                return f"Transfer impact assessment {formats.finnish_date(row.tia_on)}"
            return "No transfer impact assessment"
        case TransferMechanism.BCR:
            return (
                f"Approval: {row.bcr_reference}" if row.bcr_reference else "No approval reference"
            )
        case TransferMechanism.ART49_DEROGATION:
            return "Occasional transfers only (Art. 49)"
    return ""
