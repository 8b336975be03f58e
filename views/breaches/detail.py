"""One breach: its clock, then its details (the edit form), decisions, who was affected,
documents and history in tabs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry import breaches
from registry.breaches.affected import AffectedCounts
from registry.models import Breach
from registry.permissions import Actor
from views import widgets
from views.breaches import affected as breach_affected
from views.breaches import decisions as breach_decisions
from views.breaches import documents as breach_documents
from views.breaches.common import (
    COUNTS,
    DETAIL_TAB,
    SELECTED,
    moment,
    save,
    ss,
)
from views.breaches.form import breach_form

ACTION_LABELS = {
    "recorded": "Recorded",
    "changed": "Changed",
    "authority_decision": "Ombudsman decision",
    "persons_decision": "Persons decision",
    "affected_counted": "Affected persons counted",
    "letters_listed": "Letters list produced",
}


def show(actor: Actor, rows: list[breaches.RegisterRow]) -> None:
    """The breach chosen in the register, below it."""
    breach_id = ss[SELECTED]
    row = next(r for r in rows if r.id == breach_id)
    with widgets.session() as s:
        breach = breaches.get(s, actor, breach_id)
        s.expunge(breach)
    st.subheader(f"{widgets.plain(row.reference)} · {widgets.plain(row.summary)}")
    st.markdown(
        f":{row.clock.colour}-badge[:material/timer: {row.clock.text}] "
        f"Aware {moment(row.aware_at)}; the Ombudsman deadline is "
        f"{row.clock.deadline_text}."
    )
    details, decisions, affected, documents, history = st.tabs(
        ["Details", "Decisions", "Who was affected", "Documents", "History"],
        key=DETAIL_TAB,
        on_change="rerun",
    )
    with details:
        edit(actor, breach, row)
    with decisions:
        breach_decisions.show(actor, breach, row)
    counts: AffectedCounts | None = ss.get(COUNTS, {}).get(breach.id)
    with affected:
        breach_affected.show(actor, breach, counts)
    with documents:
        breach_documents.show(actor, breach, row, counts)
    with history:
        changes_of(actor, breach)


def edit(actor: Actor, breach: Breach, row: breaches.RegisterRow) -> None:
    """The breach's record in the form, saved as a change with its history row."""
    key = f"breaches_edit_{breach.id}_{breach.version}"
    if changed := breach_form(key, breach):
        save(
            key,
            lambda s: breaches.update_breach(s, actor, breach.id, changed, breach.version),
            f"{row.reference} saved.",
            "conflict",
        )


def changes_of(actor: Actor, breach: Breach) -> None:
    """Who recorded and changed the breach, when, and what."""
    with widgets.session() as s:
        changes = breaches.history(s, actor, breach.id)
    st.dataframe(
        pd.DataFrame(
            {
                "When": [moment(c.at) for c in changes],
                "Who": [c.actor_name for c in changes],
                "What": [ACTION_LABELS.get(c.action, c.action) for c in changes],
                "Changes": [
                    "; ".join(
                        f"{f}: {old or '—'} → {new or '—'}" for f, (old, new) in c.changes.items()
                    )
                    for c in changes
                ],
                "Note": [c.note for c in changes],
            }
        ),
        hide_index=True,
        width="stretch",
    )
