"""The declared marketing bases applied in plain Python, independently of the SQL in
registry.marketing_basis: what the tests hold the export, preview and counts to."""

from __future__ import annotations

import datetime as dt

from registry.marketing_basis import months_before
from registry.notice import Marketing, declaration


def outcome(
    relationship: str,
    channel: str,
    status: str | None,
    evidenced: bool,
    *,
    organisation: bool,
    last_own_order: dt.date | None,
    reachable: bool,
    today: dt.date,
    marketing: Marketing | None = None,
) -> str:
    """The basis relied on, or why the person is left out (after a profiling refusal, which
    the caller decides)."""
    marketing = marketing or declaration().marketing
    if status in ("objected", "withdrawn"):
        return status
    declared = marketing.bases_for(relationship, channel)
    since = months_before(today, marketing.soft_opt_in_months)
    holds = {
        "consent": status == "granted" and evidenced,
        "soft_opt_in": last_own_order is not None and last_own_order >= since,
        "business_opt_out": organisation,
        "legitimate_interests": True,
    }
    basis = next((b for b in declared if holds[b]), None)
    if basis is None:
        if not declared:
            return "not_declared"
        if "consent" in declared:
            return "no_evidence" if status == "granted" else "never_granted"
        return "conditions_not_met"
    return basis if reachable else "no_contact"
