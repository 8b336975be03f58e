"""Breaches: the register of personal data breaches, the 72-hour clock, who was affected,
the decisions and the documents. Rules, counts and writes are in registry.breaches,
registry.breach_persons and registry.breach_documents.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import streamlit as st

from registry import breach_documents, breach_persons, breaches, deadlines, settings
from registry.breach_persons import AffectedCounts
from registry.breaches import AuthorityInput, BreachInput, ClockState, PersonsInput
from registry.disclosures import CATEGORY_LABELS
from registry.errors import ConflictError, NotFound, ValidationError
from registry.models import Breach
from registry.permissions import Permission
from registry.recipients import RELATIONSHIP_LABELS
from registry.vocabulary import (
    AUTHORITY_DECISION_LABELS,
    BREACH_RISK_LABELS,
    BREACH_SOURCE_LABELS,
    LETTER_LANGUAGE_LABELS,
    PERSONS_DECISION_LABELS,
    PERSONS_EXEMPTION_LABELS,
    AuthorityDecision,
    PersonsDecision,
)
from views import widgets

actor = widgets.require_page(Permission.MANAGE_BREACHES)
ss = st.session_state

SELECTED = "breaches_selected"
FLASH = "breaches_flash"
ERRORS = "breaches_errors"  # {form key: {field: message}}
COUNTS = "breaches_counts"  # {breach id: AffectedCounts} counted in this session
LISTED = "breaches_listed"  # (breach id, offset, rows) of the affected list last shown
LETTER = "breaches_letter"  # (breach id, person id, language, html) prepared for download
LETTERS = "breaches_letters"  # (breach id, LettersList, bytes, mime) produced for download
ADD_ROUND = "breaches_add_round"
TAB = "breaches_tab"
DETAIL_TAB = "breaches_detail_tab"
GOTO = "breaches_goto"  # the tab to open on the next run

CLOCK_STYLE = {
    ClockState.AMBER: "background-color: #fff4e0; color: #8a4b00",
    ClockState.PASSED: "background-color: #fdecea; color: #b71c1c",
}
ACTION_LABELS = {
    "recorded": "Recorded",
    "changed": "Changed",
    "authority_decision": "Ombudsman decision",
    "persons_decision": "Persons decision",
    "affected_counted": "Affected persons counted",
    "letters_listed": "Letters list produced",
}
LANGUAGES = list(LETTER_LANGUAGE_LABELS)
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

st.title("Breaches")
st.caption(
    "Personal data breaches: every one is documented, notified or not (GDPR Art. 33(5)). "
    "The Data Protection Ombudsman is notified within 72 hours of awareness unless no risk "
    "is likely (Art. 33(1)); the persons are told of a high risk (Art. 34). Times are "
    "Helsinki time."
)


def errors_of(key: str) -> dict[str, str]:
    return ss.get(ERRORS, {}).get(key, {})


def set_errors(key: str, errors: dict[str, str]) -> None:
    ss[ERRORS] = {**ss.get(ERRORS, {}), key: errors}


def done(key: str, message: str) -> None:
    widgets.data_changed()
    set_errors(key, {})
    ss[FLASH] = message
    st.rerun()


def label(mapping: dict[str, str], value: str | None, empty: str = "—") -> str:
    return mapping.get(value, value) if value else empty


def moment(value: dt.datetime | None) -> str:
    return breaches.helsinki_text(value) or "—"


def local_parts(value: dt.datetime | None) -> tuple[dt.date | None, dt.time | None]:
    if value is None:
        return None, None
    local = breaches.helsinki(value)
    return local.date(), local.time().replace(second=0, microsecond=0)


def when_input(
    label_: str, key: str, value: dt.datetime | None, help_: str | None = None
) -> tuple[dt.date | None, dt.time | None]:
    """A date and a time side by side, in Helsinki time."""
    day, time = local_parts(value)
    left, right = st.columns(2)
    picked_day = left.date_input(
        f"{label_}: date",
        value=day,
        max_value=deadlines.today(),
        format="DD.MM.YYYY",
        key=f"{key}_day",
        help=help_,
    )
    picked_time = right.time_input(
        f"{label_}: time", value=time, step=dt.timedelta(minutes=5), key=f"{key}_time"
    )
    return picked_day, picked_time


def combined(
    parts: tuple[dt.date | None, dt.time | None], field: str, errors: dict[str, str]
) -> dt.datetime | None:
    """The Helsinki wall time the two inputs make, or None; half an entry is an error."""
    day, time = parts
    if day is None and time is None:
        return None
    if day is None or time is None:
        errors[field] = "Enter both the date and the time (Helsinki)."
        return None
    return dt.datetime.combine(day, time)


def show_flash() -> None:
    if message := ss.pop(FLASH, None):
        st.success(message, icon=":material/check_circle:")


# --- reads ----------------------------------------------------------------------------


def register() -> list[breaches.RegisterRow]:
    # Not cached: the clock moves, and the register is a handful of rows.
    with widgets.session() as s:
        return breaches.register(s, actor)


choices = widgets.cached_read(Permission.MANAGE_BREACHES)(breaches.source_choices)
mailing_processors = widgets.cached_read(Permission.MANAGE_BREACHES)(
    breach_documents.mailing_choices
)
rows = register()
show_flash()

# --- the clocks of the open breaches ------------------------------------------------------

open_rows = [r for r in rows if r.clock.is_open]
if open_rows:
    for r in open_rows:
        st.markdown(
            f":{r.clock.colour}-badge[:material/timer: {r.reference} · {r.clock.text}] "
            f"{widgets.plain(r.summary)} — the Ombudsman deadline is "
            f"**{r.clock.deadline_text}** (72 h from awareness, {moment(r.aware_at)})."
        )
elif rows:
    st.caption("No breach is waiting for the Ombudsman decision.")

# The tabs keep their place across reruns; a write may ask for another one (GOTO).
if goto := ss.pop(GOTO, None):
    ss[TAB] = goto
register_tab, record_tab = st.tabs(["Register", "Record a breach"], key=TAB, on_change="rerun")

# --- the form ---------------------------------------------------------------------------


def breach_form(key: str, current: Breach | None) -> BreachInput | None:
    """The record or edit form; returns the input when submitted (None: not submitted)."""
    errors = errors_of(key)
    options = choices()
    recipients = dict(options.recipients)
    accounts = dict(options.accounts)
    with st.form(key, enter_to_submit=False):
        widgets.field_error(errors, "conflict")
        summary = st.text_input(
            "What happened, in a line",
            key=f"{key}_summary",
            value=current.summary if current else "",
            max_chars=settings.MAX_SHORT_TEXT,
        )
        widgets.field_error(errors, "summary")
        description = st.text_area(
            "Description: the nature of the breach",
            key=f"{key}_description",
            value=current.description if current else "",
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "description")
        occurred = when_input(
            "Happened (or began)", f"{key}_occurred", current.occurred_at if current else None
        )
        widgets.field_error(errors, "occurred_at")
        aware = when_input(
            "Controller became aware",
            f"{key}_aware",
            current.aware_at if current else None,
            "The 72 hours to notify the Ombudsman start here (Art. 33(1)).",
        )
        widgets.field_error(errors, "aware_at")
        ended = when_input(
            "Ended (leave empty while it goes on)",
            f"{key}_ended",
            current.ended_at if current else None,
        )
        widgets.field_error(errors, "ended_at")

        sources = list(BREACH_SOURCE_LABELS)
        source = st.selectbox(
            "Source",
            sources,
            key=f"{key}_source",
            index=sources.index(current.source) if current else 0,
            format_func=BREACH_SOURCE_LABELS.get,
            help="Fill in below the field that goes with the source; the others are ignored.",
        )
        widgets.field_error(errors, "source")
        left, right = st.columns(2)
        recipient_ids = list(recipients)
        recipient_id = left.selectbox(
            "Recipient (for a recipient's breach)",
            recipient_ids,
            key=f"{key}_recipient",
            index=recipient_ids.index(current.source_recipient_id)
            if current and current.source_recipient_id in recipients
            else None,
            format_func=recipients.get,
        )
        with left:
            widgets.field_error(errors, "source_recipient_id")
        account_ids = list(accounts)
        user_id = right.selectbox(
            "Dashboard account (for a misused account)",
            account_ids,
            key=f"{key}_account",
            index=account_ids.index(current.source_user_id)
            if current and current.source_user_id in accounts
            else None,
            format_func=accounts.get,
        )
        with right:
            widgets.field_error(errors, "source_user_id")
        detail = left.text_input(
            "System or device (for an internal system or a lost device)",
            key=f"{key}_detail",
            value=current.source_detail if current else "",
            max_chars=settings.MAX_SHORT_TEXT,
        )
        with left:
            widgets.field_error(errors, "source_detail")
        disclosure_text = right.text_input(
            "Disclosure # of the list it held (optional)",
            key=f"{key}_disclosure",
            value=str(current.source_disclosure_id or "") if current else "",
            help="The id in the disclosure log of an exported list on the device or in the "
            "system. Empty: it held the whole registry.",
        )
        with right:
            widgets.field_error(errors, "source_disclosure_id")

        cat_col, rel_col = st.columns(2)
        categories = cat_col.multiselect(
            "Data categories concerned",
            list(CATEGORY_LABELS),
            key=f"{key}_categories",
            default=list(current.data_categories) if current else [],
            format_func=CATEGORY_LABELS.get,
        )
        with cat_col:
            widgets.field_error(errors, "data_categories")
        relationships = rel_col.multiselect(
            "Relationships concerned (empty: all)",
            list(RELATIONSHIP_LABELS),
            key=f"{key}_relationships",
            default=list(current.relationships) if current else [],
            format_func=RELATIONSHIP_LABELS.get,
        )
        with rel_col:
            widgets.field_error(errors, "relationships")
        consequences = st.text_area(
            "Likely consequences",
            key=f"{key}_consequences",
            value=current.consequences if current else "",
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "consequences")
        measures = st.text_area(
            "Measures taken or proposed",
            key=f"{key}_measures",
            value=current.measures if current else "",
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "measures")
        risks = list(BREACH_RISK_LABELS)
        risk = st.selectbox(
            "Risk to persons",
            risks,
            key=f"{key}_risk",
            index=risks.index(current.risk) if current and current.risk else None,
            format_func=BREACH_RISK_LABELS.get,
            placeholder="Not assessed yet",
        )
        widgets.field_error(errors, "risk")
        reasoning = st.text_area(
            "Reasoning of the risk assessment",
            key=f"{key}_reasoning",
            value=current.risk_reasoning if current else "",
            max_chars=settings.MAX_LONG_TEXT,
        )
        widgets.field_error(errors, "risk_reasoning")
        submitted = st.form_submit_button(
            "Save changes" if current else "Record breach", type="primary"
        )
    if not submitted:
        return None
    page_errors: dict[str, str] = {}
    disclosure_id: int | None = None
    if disclosure_text.strip():
        if disclosure_text.strip().isdigit():
            disclosure_id = int(disclosure_text.strip())
        else:
            page_errors["source_disclosure_id"] = "Enter the number of the disclosure."
    data = BreachInput(
        summary=summary,
        description=description,
        occurred_at=combined(occurred, "occurred_at", page_errors),
        aware_at=combined(aware, "aware_at", page_errors),
        ended_at=combined(ended, "ended_at", page_errors),
        source=source or "",
        source_recipient_id=recipient_id,
        source_user_id=user_id,
        source_disclosure_id=disclosure_id,
        source_detail=detail,
        data_categories=tuple(categories),
        relationships=tuple(relationships),
        consequences=consequences,
        measures=measures,
        risk=risk,
        risk_reasoning=reasoning,
    )
    if page_errors:
        # Half-entered times are the page's to refuse; the domain reports the other fields.
        with widgets.session() as s:
            try:
                breaches.validate(s, data, current=current)
            except ValidationError as e:
                page_errors = {**e.field_errors, **page_errors}
        set_errors(key, page_errors)
        st.rerun()
    return data


with record_tab:
    add_round = ss.get(ADD_ROUND, 0)
    add_key = f"breaches_add_{add_round}"
    if new := breach_form(add_key, None):
        with widgets.session() as s:
            try:
                made = breaches.record_breach(s, actor, new)
            except ValidationError as e:
                set_errors(add_key, e.field_errors)
                st.rerun()
        ss[ADD_ROUND] = add_round + 1
        ss[SELECTED] = made.id
        ss[GOTO] = "Register"
        done(add_key, f"{breaches.reference(made.id)} recorded. The clock runs from awareness.")

# --- the register ------------------------------------------------------------------------


def clock_style(states: pd.Series) -> list[str]:  # type: ignore[type-arg]
    return [CLOCK_STYLE.get(s, "") for s in states]


with register_tab:
    if not rows:
        st.info("No breach is recorded. Record one in the next tab.")
    else:
        table = pd.DataFrame(
            {
                "Reference": [r.reference for r in rows],
                "What happened": [r.summary for r in rows],
                "Source": [
                    f"{label(BREACH_SOURCE_LABELS, r.source)}: {r.source_name}" for r in rows
                ],
                "Aware": [moment(r.aware_at) for r in rows],
                "Deadline": [r.clock.deadline_text for r in rows],
                "Clock": [r.clock.text for r in rows],
                "Risk": [label(BREACH_RISK_LABELS, r.risk, "Not assessed") for r in rows],
                "Ombudsman": [
                    label(AUTHORITY_DECISION_LABELS, r.authority_decision, "Not decided")
                    for r in rows
                ],
                "Persons": [
                    label(PERSONS_DECISION_LABELS, r.persons_decision, "Not decided") for r in rows
                ],
                "Affected persons": [
                    "not counted" if r.affected_persons is None else f"{r.affected_persons:,}"
                    for r in rows
                ],
            }
        )
        states = pd.Series([r.clock.state for r in rows])
        styled = table.style.apply(lambda _: clock_style(states), subset=["Clock"])
        st.dataframe(styled, hide_index=True, width="stretch")

        by_id = {r.id: r for r in rows}
        ids = list(by_id)
        chosen = st.selectbox(
            "Open a breach",
            ids,
            index=ids.index(ss[SELECTED]) if ss.get(SELECTED) in by_id else 0,
            format_func=lambda i: f"{by_id[i].reference} · {by_id[i].summary}",
            key="breaches_open",
        )
        ss[SELECTED] = chosen

if rows and ss.get(SELECTED) in {r.id for r in rows}:
    breach_id = ss[SELECTED]
    row = next(r for r in rows if r.id == breach_id)
    with widgets.session() as s:
        breach = breaches.get(s, actor, breach_id)
        s.expunge(breach)
    with register_tab:
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

        # --- details ---
        with details:
            key = f"breaches_edit_{breach.id}_{breach.version}"
            if changed := breach_form(key, breach):
                with widgets.session() as s:
                    try:
                        breaches.update_breach(s, actor, breach.id, changed, breach.version)
                    except ValidationError as e:
                        set_errors(key, e.field_errors)
                        st.rerun()
                    except (ConflictError, NotFound) as e:
                        set_errors(key, {"conflict": str(e)})
                        st.rerun()
                done(key, f"{row.reference} saved.")

        # --- decisions ---
        with decisions:
            st.markdown("**The Data Protection Ombudsman (Art. 33)**")
            if breach.authority_decision == AuthorityDecision.NOTIFIED:
                st.caption(
                    f"Notified {moment(breach.authority_notified_at)}"
                    + (
                        f", reference {widgets.plain(breach.authority_reference)}"
                        if breach.authority_reference
                        else ""
                    )
                    + f"; {row.clock.text}."
                )
            elif breach.authority_decision == AuthorityDecision.NOT_NOTIFIED:
                st.caption(f"Not notified: {widgets.plain(breach.authority_reason)}")
            else:
                st.caption(f"Not decided; {row.clock.text} (deadline {row.clock.deadline_text}).")
            key = f"breaches_authority_{breach.id}_{breach.version}"
            errors = errors_of(key)
            with st.form(key, enter_to_submit=False):
                decisions_ = list(AUTHORITY_DECISION_LABELS)
                decision = st.radio(
                    "Decision",
                    decisions_,
                    key=f"{key}_decision",
                    index=decisions_.index(breach.authority_decision)
                    if breach.authority_decision
                    else None,
                    format_func=AUTHORITY_DECISION_LABELS.get,
                    horizontal=True,
                )
                widgets.field_error(errors, "decision")
                notified = when_input("Notified", f"{key}_notified", breach.authority_notified_at)
                widgets.field_error(errors, "notified_at")
                reference = st.text_input(
                    "The Ombudsman's reference (optional)",
                    key=f"{key}_reference",
                    value=breach.authority_reference,
                    max_chars=settings.MAX_SHORT_TEXT,
                )
                widgets.field_error(errors, "reference")
                delay = st.text_area(
                    "Reasons for the delay (needed after the 72 hours)",
                    key=f"{key}_delay",
                    value=breach.delay_reasons,
                    max_chars=settings.MAX_LONG_TEXT,
                )
                widgets.field_error(errors, "delay_reasons")
                reason = st.text_area(
                    "Why it is not notified (only when no risk is likely)",
                    key=f"{key}_reason",
                    value=breach.authority_reason,
                    max_chars=settings.MAX_LONG_TEXT,
                )
                widgets.field_error(errors, "reason")
                if st.form_submit_button("Record the Ombudsman decision", type="primary"):
                    page_errors: dict[str, str] = {}
                    notified_at = combined(notified, "notified_at", page_errors)
                    if page_errors:
                        set_errors(key, page_errors)
                        st.rerun()
                    with widgets.session() as s:
                        try:
                            breaches.decide_authority(
                                s,
                                actor,
                                breach.id,
                                AuthorityInput(decision, notified_at, reference, reason, delay),
                                breach.version,
                            )
                        except ValidationError as e:
                            set_errors(key, e.field_errors)
                            st.rerun()
                        except (ConflictError, NotFound) as e:
                            set_errors(key, {"decision": str(e)})
                            st.rerun()
                    done(key, f"{row.reference}: the Ombudsman decision is recorded.")

            st.markdown("**The persons (Art. 34)**")
            if breach.persons_decision == PersonsDecision.TOLD:
                st.caption(
                    f"Told {moment(breach.persons_told_at)}: {widgets.plain(breach.persons_how)}"
                )
            elif breach.persons_decision == PersonsDecision.NOT_TOLD:
                ground = label(PERSONS_EXEMPTION_LABELS, breach.persons_exemption, "")
                st.caption(
                    f"Not told{': ' + ground if ground else ''}. "
                    + widgets.plain(breach.persons_reason)
                )
            else:
                st.caption("Not decided.")
            key = f"breaches_persons_{breach.id}_{breach.version}"
            errors = errors_of(key)
            with st.form(key, enter_to_submit=False):
                decisions_ = list(PERSONS_DECISION_LABELS)
                decision = st.radio(
                    "Decision",
                    decisions_,
                    key=f"{key}_decision",
                    index=decisions_.index(breach.persons_decision)
                    if breach.persons_decision
                    else None,
                    format_func=PERSONS_DECISION_LABELS.get,
                    horizontal=True,
                )
                widgets.field_error(errors, "decision")
                told = when_input("Told", f"{key}_told", breach.persons_told_at)
                widgets.field_error(errors, "told_at")
                how = st.text_input(
                    "How they were told",
                    key=f"{key}_how",
                    value=breach.persons_how,
                    max_chars=settings.MAX_SHORT_TEXT,
                    placeholder="e.g. letters by post and email through the mailing processor",
                )
                widgets.field_error(errors, "how")
                grounds = list(PERSONS_EXEMPTION_LABELS)
                exemption = st.selectbox(
                    "Art. 34(3) ground (for a high risk not told one by one)",
                    grounds,
                    key=f"{key}_exemption",
                    index=grounds.index(breach.persons_exemption)
                    if breach.persons_exemption
                    else None,
                    format_func=PERSONS_EXEMPTION_LABELS.get,
                )
                widgets.field_error(errors, "exemption")
                reason = st.text_area(
                    "Why they are not told",
                    key=f"{key}_reason",
                    value=breach.persons_reason,
                    max_chars=settings.MAX_LONG_TEXT,
                )
                widgets.field_error(errors, "reason")
                if st.form_submit_button("Record the persons decision", type="primary"):
                    page_errors = {}
                    told_at = combined(told, "told_at", page_errors)
                    if page_errors:
                        set_errors(key, page_errors)
                        st.rerun()
                    with widgets.session() as s:
                        try:
                            breaches.decide_persons(
                                s,
                                actor,
                                breach.id,
                                PersonsInput(decision, told_at, how, exemption, reason),
                                breach.version,
                            )
                        except ValidationError as e:
                            set_errors(key, e.field_errors)
                            st.rerun()
                        except (ConflictError, NotFound) as e:
                            set_errors(key, {"decision": str(e)})
                            st.rerun()
                    done(key, f"{row.reference}: the persons decision is recorded.")

        # --- who was affected ---
        counts: AffectedCounts | None = ss.get(COUNTS, {}).get(breach.id)
        with affected:
            st.caption(
                "Counted from the registry's own rows: the recipient's scope and disclosure "
                "rows, or the account's views and exports in the audit trail, in the breach "
                "window, narrowed to the categories and relationships concerned."
            )
            if st.button("Count who was affected", type="primary", key="breaches_count"):
                with widgets.session() as s:
                    counted = breach_persons.count_affected(s, actor, breach.id)
                ss[COUNTS] = {**ss.get(COUNTS, {}), breach.id: counted}
                ss.pop(LISTED, None)
                widgets.data_changed()
                st.rerun()
            if counts is None:
                if breach.affected_persons is not None:
                    st.caption(
                        f"Last counted {moment(breach.affected_counted_at)}: "
                        f"{breach.affected_persons:,} persons. Count again to see the details."
                    )
            else:
                cards = st.columns(2)
                with cards[0]:
                    widgets.metric_card("Persons affected", f"{counts.persons:,}")
                with cards[1]:
                    widgets.metric_card(
                        "Records concerned",
                        f"{counts.records:,}",
                        help="Each affected person's data in each category concerned.",
                    )
                st.caption(
                    f"Counted {moment(counts.counted_at)} for the window "
                    f"{moment(counts.window_start)} – {moment(counts.window_end)}"
                    + (" (the end is not recorded: counted to now)." if counts.window_open else ".")
                )
                parts = st.columns(3)
                parts[0].dataframe(
                    pd.DataFrame(
                        {
                            "Data category": [
                                CATEGORY_LABELS.get(c, c) for c in counts.by_category
                            ],
                            "Persons": list(counts.by_category.values()),
                        }
                    ),
                    hide_index=True,
                )
                parts[1].dataframe(
                    pd.DataFrame(
                        {
                            "Relationship": [
                                RELATIONSHIP_LABELS.get(r, r) for r in counts.by_relationship
                            ],
                            "Persons": list(counts.by_relationship.values()),
                        }
                    ),
                    hide_index=True,
                )
                parts[2].dataframe(
                    pd.DataFrame(
                        {
                            "Country": list(counts.by_country),
                            "Persons": list(counts.by_country.values()),
                        }
                    ),
                    hide_index=True,
                )

                st.markdown("**The affected persons**")
                st.caption("Each page shown is recorded in the audit trail.")
                listed = ss.get(LISTED)
                offset = listed[1] if listed and listed[0] == breach.id else None
                nav = st.columns([2, 1, 1, 4])

                def show(at: int) -> None:
                    with widgets.session() as s:
                        page = breach_persons.affected_persons(
                            s, actor, breach.id, offset=at, limit=settings.PAGE_SIZE
                        )
                    ss[LISTED] = (breach.id, at, page)
                    st.rerun()

                if nav[0].button("Show the affected persons", key="breaches_list_show"):
                    show(0)
                if offset is not None:
                    if nav[1].button("Previous", disabled=offset == 0, key="breaches_list_prev"):
                        show(max(0, offset - settings.PAGE_SIZE))
                    if nav[2].button(
                        "Next",
                        disabled=offset + settings.PAGE_SIZE >= counts.persons,
                        key="breaches_list_next",
                    ):
                        show(offset + settings.PAGE_SIZE)
                    page = listed[2]
                    nav[3].caption(
                        f"Persons {offset + 1:,}–{offset + len(page):,} of {counts.persons:,}"
                        if page
                        else "No persons on this page."
                    )
                    st.dataframe(
                        pd.DataFrame(
                            {
                                "#": [p.id for p in page],
                                "Name": [p.name for p in page],
                                "Email": [p.email or "" for p in page],
                                "City": [p.city or "" for p in page],
                                "Country": [p.country for p in page],
                                "Relationship": [
                                    RELATIONSHIP_LABELS.get(p.relationship, p.relationship)
                                    for p in page
                                ],
                            }
                        ),
                        hide_index=True,
                        width="stretch",
                    )

        # --- documents ---
        with documents:
            st.markdown("**Notification to the Data Protection Ombudsman (Art. 33(3))**")
            if counts is None:
                st.caption(
                    "Count who was affected first to put the numbers in it; without them it "
                    "says they follow in phases (Art. 33(4))."
                )
            columns = st.columns(3)
            with widgets.session() as s:
                for column, language in zip(columns, LANGUAGES, strict=True):
                    column.download_button(
                        f"Notification ({LETTER_LANGUAGE_LABELS[language]})",
                        data=breach_documents.notification(s, actor, breach.id, language, counts),
                        file_name=f"{row.reference.lower()}-notification-{language}.html",
                        mime="text/html",
                        icon=":material/download:",
                        on_click="ignore",
                        key=f"breaches_notification_{language}",
                    )
                st.markdown("**The letter to the persons (Art. 34)**")
                st.caption(
                    "The letter the mailing processor sends with the letters list, in each "
                    "language; or one person's letter, with their name and address."
                )
                columns = st.columns(3)
                for column, language in zip(columns, LANGUAGES, strict=True):
                    column.download_button(
                        f"Letter ({LETTER_LANGUAGE_LABELS[language]})",
                        data=breach_documents.letter(s, actor, breach.id, language),
                        file_name=f"{row.reference.lower()}-letter-{language}.html",
                        mime="text/html",
                        icon=":material/download:",
                        on_click="ignore",
                        key=f"breaches_letter_{language}",
                    )
            key = f"breaches_one_letter_{breach.id}"
            errors = errors_of(key)
            with st.form(key, enter_to_submit=False):
                left, right = st.columns(2)
                person_text = left.text_input(
                    "Person #", help="An affected person's id.", key=f"{key}_person"
                )
                with left:
                    widgets.field_error(errors, "person")
                language = right.selectbox(
                    "Language",
                    ["auto", *LANGUAGES],
                    key=f"{key}_language",
                    format_func=lambda v: (
                        "The person's (by country)" if v == "auto" else LETTER_LANGUAGE_LABELS[v]
                    ),
                )
                if st.form_submit_button("Prepare the person's letter"):
                    if not person_text.strip().isdigit():
                        set_errors(key, {"person": "Enter the id of an affected person."})
                        st.rerun()
                    pid = int(person_text.strip())
                    with widgets.session() as s:
                        try:
                            if language == "auto":
                                from registry.models import Person

                                person = s.get(Person, pid)
                                language = breach_documents.letter_language(
                                    person.country if person else None
                                )
                            html = breach_documents.letter(s, actor, breach.id, language, pid)
                        except ValidationError as e:
                            set_errors(key, e.field_errors)
                            st.rerun()
                    ss[LETTER] = (breach.id, pid, language, html)
                    set_errors(key, {})
                    st.rerun()
            prepared = ss.get(LETTER)
            if prepared and prepared[0] == breach.id:
                _, pid, language, html = prepared
                st.download_button(
                    f"Download the letter to person #{pid} ({LETTER_LANGUAGE_LABELS[language]})",
                    data=html,
                    file_name=f"{row.reference.lower()}-letter-{pid}-{language}.html",
                    mime="text/html",
                    icon=":material/download:",
                    on_click="ignore",
                    key="breaches_one_letter_download",
                )

            st.markdown("**Sending the letters: the list for the mailing processor**")
            st.caption(
                "The affected persons with an email or postal address, with each one's letter "
                "language. The list is recorded as a disclosure to the processor. Record the "
                "persons decision once the letters have gone out."
            )
            key = f"breaches_letters_{breach.id}"
            errors = errors_of(key)
            processors = dict(mailing_processors())
            with st.form(key, enter_to_submit=False):
                left, right = st.columns(2)
                mailing_id = left.selectbox(
                    "Mailing processor",
                    list(processors),
                    key=f"{key}_recipient",
                    index=None,
                    format_func=processors.get,
                    placeholder="Choose an active processor",
                )
                with left:
                    widgets.field_error(errors, "recipient")
                file_format = right.radio(
                    "Format",
                    list(breach_documents.FILE_FORMATS),
                    key=f"{key}_format",
                    format_func=breach_documents.FILE_FORMATS.get,
                    horizontal=True,
                )
                with right:
                    widgets.field_error(errors, "file_format")
                if st.form_submit_button("Produce the letters list", type="primary"):
                    out = io.BytesIO()
                    with widgets.session() as s:
                        try:
                            made = breach_documents.letters_list(
                                s, actor, breach.id, mailing_id, file_format, out
                            )
                        except ValidationError as e:
                            set_errors(key, e.field_errors)
                            st.rerun()
                    ss[LETTERS] = (breach.id, made, out.getvalue(), MIME[file_format])
                    done(
                        key,
                        f"Letters list for {made.rows:,} persons recorded as disclosure "
                        f"#{made.disclosure_id} to {made.recipient}"
                        + (
                            f"; {made.without_address:,} affected persons have no email or "
                            "postal address (consider a public communication, Art. 34(3)(c))."
                            if made.without_address
                            else "."
                        ),
                    )
            widgets.field_error(errors, "letters")
            produced = ss.get(LETTERS)
            if produced and produced[0] == breach.id:
                _, made, data, mime = produced
                st.download_button(
                    f"Download the letters list ({made.rows:,} persons)",
                    data=data,
                    file_name=made.file_name,
                    mime=mime,
                    icon=":material/download:",
                    on_click="ignore",
                    key="breaches_letters_download",
                )

        # --- history ---
        with history:
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
                                f"{f}: {old or '—'} → {new or '—'}"
                                for f, (old, new) in c.changes.items()
                            )
                            for c in changes
                        ],
                        "Note": [c.note for c in changes],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
