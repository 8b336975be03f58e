"""What the Disclosures views share: formats and the cached reads (everything that changes
the answer is an argument or in the key; writes clear them all)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from registry import disclosure_by_hand, disclosure_log, formats, recipients
from registry.disclosure_log import DisclosureFilter, LogRow
from registry.disclosures import CATEGORY_LABELS
from registry.permissions import Actor, Permission
from registry.transfers import MECHANISM_LABELS
from views import widgets


def helsinki(at: dt.datetime) -> str:
    return formats.helsinki_padded(at)


def categories_text(keys: list[str]) -> str:
    return ", ".join(CATEGORY_LABELS.get(k, k) for k in keys)


def basis_then(mechanism: str | None, agreed: dt.date | None, from_register: bool) -> str:
    """The transfer basis a disclosure relied on when made, and its agreement date."""
    if mechanism is None:
        return "Not recorded"
    text = MECHANISM_LABELS.get(mechanism, mechanism)
    if agreed:
        text += f", agreement {agreed:%d.%m.%Y}"
    # Revision 0007 copied the register's value to rows made before the basis was kept.
    return text + (" (from the register; not recorded at the time)" if from_register else "")


kpis = widgets.cached_read(Permission.VIEW_DISCLOSURES)(disclosure_log.kpis)
filter_options = widgets.cached_read(Permission.VIEW_DISCLOSURES)(disclosure_log.filter_options)
per_month = widgets.cached_read(Permission.VIEW_DISCLOSURES)(disclosure_log.per_month_by_recipient)
persons_by_country = widgets.cached_read(Permission.VIEW_DISCLOSURES)(
    disclosure_log.persons_by_country
)
segment_choices = widgets.cached_read(Permission.RECORD_DISCLOSURE)(
    disclosure_by_hand.segment_choices
)


@widgets.cached_read(Permission.VIEW_DISCLOSURES)
def log_page(
    s: Session, actor: Actor, f: DisclosureFilter, limit: int, offset: int
) -> tuple[list[LogRow], int]:
    rows = disclosure_log.log(s, actor, f, limit=limit, offset=offset)
    return rows, disclosure_log.count(s, actor, f)


@widgets.cached_read(Permission.MANAGE_RECIPIENTS)
def active_recipients(s: Session, actor: Actor) -> list[recipients.RecipientRow]:
    return recipients.register(s, actor, active_only=True)
