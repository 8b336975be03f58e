"""A restricted person (Art. 18): marked above the tabs, the lifting with its reason and the
day the person was told (Art. 18(3)), and the recipients to tell (Art. 19)."""

from __future__ import annotations

import streamlit as st

from registry import deadlines, restrictions, settings, transfers
from registry.errors import ValidationError
from registry.permissions import Actor, Permission
from registry.persons import PersonDetail
from views import widgets
from views.persons.common import NOTICE, day, ss, when

ERRORS = "persons_lift_errors"


def lift(actor: Actor, person_id: int) -> None:
    with widgets.session() as s:
        try:
            restrictions.lift(
                s,
                actor,
                person_id,
                ss.get("persons_lift_reason", ""),
                ss.get("persons_lift_told_on"),
                ss.get("persons_lift_told_how") or "",
            )
        except ValidationError as e:
            ss[ERRORS] = e.field_errors
            return
    ss[ERRORS] = {}
    widgets.data_changed()
    widgets.flash(
        NOTICE, "Restriction lifted: the person is in segments, exports and metrics again."
    )


def notify(actor: Actor, restriction_id: int, recipient_id: int, name: str) -> None:
    with widgets.session() as s:
        try:
            restrictions.mark_notified(s, actor, restriction_id, recipient_id)
        except ValidationError as e:
            widgets.flash(NOTICE, "; ".join(e.field_errors.values()))
            return
    widgets.data_changed()
    widgets.flash(NOTICE, f"Recorded that {name} was told of the restriction.")


def lift_form(actor: Actor, person_id: int) -> None:
    errors = widgets.form_errors(ERRORS)
    with st.form("persons_lift_form"):
        st.caption(
            "Tell the person before the restriction is lifted (Art. 18(3)), then record "
            "when and how, and why it is lifted."
        )
        st.text_area(
            "Reason for lifting", key="persons_lift_reason", max_chars=settings.MAX_LONG_TEXT
        )
        widgets.field_error(errors, "reason")
        left, right = st.columns(2)
        with left:
            st.date_input(
                "Person told on",
                value=None,
                max_value=deadlines.today(),
                format="DD.MM.YYYY",
                key="persons_lift_told_on",
            )
            widgets.field_error(errors, "told_on")
        with right:
            st.selectbox(
                "Told by",
                restrictions.TOLD_HOW,
                index=None,
                placeholder="How was the person told?",
                key="persons_lift_told_how",
            )
            widgets.field_error(errors, "told_how")
        st.form_submit_button("Lift the restriction", on_click=lift, args=(actor, person_id))


def follow_up_table(actor: Actor, follow_up: restrictions.RestrictionFollowUp) -> None:
    r = follow_up.restriction
    if not follow_up.recipients:
        st.caption("No recipient had received this person's data before: nobody to tell.")
        return
    told = len(follow_up.recipients) - follow_up.pending
    st.caption(
        f"Tell each recipient that received the data before the restriction (Art. 19): "
        f"{told} of {len(follow_up.recipients)} told."
    )
    may_tick = actor.may(Permission.AMEND_PERSON)
    for rec in follow_up.recipients:
        row = st.columns([1, 4, 3, 4], vertical_alignment="center")
        row[0].checkbox(
            f"Told {rec.name}",
            value=rec.notified_at is not None,
            disabled=rec.notified_at is not None or not may_tick,
            key=f"persons_restriction_told_{r.id}_{rec.recipient_id}_{rec.notified_at is not None}",
            on_change=notify,
            args=(actor, r.id, rec.recipient_id, rec.name),
            label_visibility="collapsed",
        )
        row[1].markdown(
            widgets.plain(rec.name)
            + (" :orange-badge[outside the EU/EEA]" if rec.third_country else "")
        )
        row[2].markdown(
            f"{rec.disclosures} disclosure{'s' if rec.disclosures != 1 else ''}, "
            f"{widgets.plain(transfers.country_name(rec.country))}"
        )
        row[3].markdown(
            widgets.plain(f"told {when(rec.notified_at)} by {rec.notified_by}")
            if rec.notified_at
            else "not told yet"
        )


def panel(actor: Actor, d: PersonDetail) -> None:
    """Drawn only for a person who is or was restricted."""
    with widgets.session() as s:
        follow_ups = restrictions.follow_ups(s, actor, d.id)
    if not follow_ups:
        return
    latest = follow_ups[0]
    r = latest.restriction
    if d.restricted and r.lifted_at is None:
        st.error(
            f"**Processing restricted** since {when(r.since)} (Art. 18): "
            f"{widgets.plain(r.ground_label)}. Only stored: left out of segments, exports, "
            "metrics and disclosures." + (f" Request #{r.request_id}." if r.request_id else ""),
            icon=":material/lock:",
        )
    with st.expander(
        "Restriction, recipients to tell" if d.restricted else "Earlier restrictions",
        expanded=d.restricted and latest.pending > 0,
    ):
        for follow_up in follow_ups:
            v = follow_up.restriction
            st.markdown(
                f"**Restriction #{v.id}** · since {when(v.since)} by {v.restricted_by or '—'} · "
                f"{widgets.plain(v.ground_label)}"
            )
            st.caption(widgets.plain(v.reason))
            if v.lifted_at:
                st.caption(
                    widgets.plain(
                        f"Lifted {when(v.lifted_at)} by {v.lifted_by or '—'}: {v.lift_reason}. "
                        f"Person told {day(v.person_told_on)} by "
                        f"{(v.person_told_how or '').lower()}."
                    )
                )
            follow_up_table(actor, follow_up)
        if d.restricted and actor.may(Permission.AMEND_PERSON):
            st.markdown("**Lift the restriction**")
            lift_form(actor, d.id)
