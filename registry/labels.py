"""How a stored code reads on a page: its label, or for a code without one, the code as
people write it (email_marketing -> Email marketing). The one fallback every view uses."""

from __future__ import annotations

from collections.abc import Mapping


def humanised(code: str) -> str:
    """A stored word (email_marketing) as people write it (Email marketing)."""
    return code.replace("_", " ").capitalize()


def label(labels: Mapping[str, str], code: str | None, empty: str = "") -> str:
    """The label of `code`; an unlabelled code humanised; `empty` when there is no code."""
    if not code:
        return empty
    return labels.get(code, humanised(code))
