"""Completing an erasure request (Art. 17): the preview per table, then the erasure itself,
and afterwards the recipients to tell (Art. 19)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from registry import erasure, erasure_follow_up, settings
from registry.errors import NotFound, RegistryError, ValidationError
from registry.permissions import Actor
from registry.requests.request_view import RequestView
from registry.requests.rules import Action, finnish_date
from views import widgets
from views.requests.common import conflict, helsinki, step, step_errors

_WHAT = {"deleted": "Deleted", "anonymised": "Anonymised", "kept": "Kept"}


def erasure_form(actor: Actor, view: RequestView, today: dt.date) -> None:
    errors = step_errors(Action.COMPLETE)
    conflict(Action.COMPLETE)
    try:
        with widgets.session() as s:
            shown = erasure.preview(s, actor, view.id, today)
    except (ValidationError, NotFound) as e:
        reason = e.field_errors.get("request", str(e)) if isinstance(e, ValidationError) else e
        st.error(f"This erasure cannot be carried out: {reason}", icon=":material/block:")
        return
    st.markdown("**What the erasure will do** (one transaction, with its audit event)")
    st.dataframe(
        [
            {
                "Table": e.table,
                "Action": _WHAT[e.what],
                "Rows": e.rows,
                "Why": e.why,
                "Kept until": finnish_date(e.until) if e.until else "",
            }
            for e in shown.effects
        ],
        hide_index=True,
        width="stretch",
        key="requests_erasure_preview",
    )
    for e in shown.kept:
        if e.rows:
            until = f" until {finnish_date(e.until)}" if e.until else " until settled"
            st.warning(f"{e.rows} {e.table} rows kept{until}: {e.why}", icon=":material/lock:")
    if shown.exceptions:
        st.caption(
            "Exceptions used (Art. 17(3)): "
            + "; ".join(erasure.EXCEPTIONS[x] for x in shown.exceptions)
        )
    with st.form("requests_erasure_form"):
        grounds = st.multiselect(
            "Grounds (Art. 17(1))",
            list(erasure.GROUNDS),
            format_func=erasure.GROUNDS.__getitem__,
            key="requests_erasure_grounds",
        )
        widgets.field_error(errors, "grounds")
        outcome = st.text_area(
            "Outcome",
            max_chars=settings.MAX_LONG_TEXT,
            height=80,
            help="What was erased and what the person was told.",
            key="requests_erasure_outcome",
        )
        widgets.field_error(errors, "outcome")
        if st.form_submit_button("Erase and complete the request", type="primary"):
            step(
                Action.COMPLETE,
                lambda s: erasure.erase_for_request(s, actor, view.id, grounds, outcome),
                f"Request #{view.id} completed: person {view.person_id} erased.",
            )


def follow_ups(actor: Actor, view: RequestView) -> None:
    """After the erasure: the recipients to tell (Art. 19), each marked as told."""
    try:
        with widgets.session() as s:
            found = erasure_follow_up.of_request(s, actor, view.id)
    except RegistryError:
        return
    if found is None:
        return
    st.markdown("#### Recipients to tell of the erasure (Art. 19)")
    if not found.recipients:
        st.caption("No recipient had received the person's data.")
        return
    for r in found.recipients:
        cols = st.columns([3, 2, 2])
        where = r.country + (", third country" if r.third_country else "")
        how = (
            f"{r.disclosures} disclosures, the last {helsinki(r.last_disclosed_at)}"
            if r.disclosures
            else "holds the data of persons like this one (its scope)"
        )
        cols[0].markdown(f"**{widgets.plain(r.name)}** ({where}): {how}")
        if r.notified_at:
            cols[1].markdown(f"Told {helsinki(r.notified_at)} by {widgets.plain(r.notified_by)}")
        elif cols[2].button("Mark told", key=f"requests_erasure_told_{r.recipient_id}"):
            with widgets.session() as s:
                erasure_follow_up.mark_notified(s, actor, found.journal_id, r.recipient_id)
            widgets.data_changed()
            st.rerun()
