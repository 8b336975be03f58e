"""Consent: who may be contacted for what, how that changed, and recording new events.

Every figure and every write comes from registry.consent; this page reads input and draws.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

import widgets
from registry import consent, consent_review, deadlines, persons, settings
from registry.errors import NotFound, ValidationError
from registry.permissions import Permission
from registry.vocabulary import ConsentStatus, Purpose

actor = widgets.require_page(Permission.VIEW_CONSENT)

PERSON_KEY = "consent_person_id"  # the person shown in "Find a person"
OPENED_KEY = "consent_opened_person_id"  # the person whose view was last audited
ERRORS_KEY = "consent_record_errors"
RESET_KEY = "consent_form_reset"  # set by a successful write: empty the form on the next run
FLASH_KEY = "consent_flash"
MISSING_IDS_KEY = "consent_missing_ids"
TAB_KEY = "consent_tab"
PURPOSE_KEPT = "consent_purpose_kept"  # shared by the status and breakdown tabs
TABS = (
    "Current status",
    "Sources and relationships",
    "Opt-ins and opt-outs",
    "Missing evidence",
    "Find a person",
)

GRANTED, WITHDRAWN, OBJECTED, NEVER_ASKED = (
    ConsentStatus.GRANTED,
    ConsentStatus.WITHDRAWN,
    ConsentStatus.OBJECTED,
    ConsentStatus.NEVER_ASKED,
)
STATUS_ORDER = [consent.STATUS_LABELS[s] for s in (GRANTED, WITHDRAWN, OBJECTED, NEVER_ASKED)]
STATUS_COLOURS = {
    consent.STATUS_LABELS[GRANTED]: "#2e7d32",
    consent.STATUS_LABELS[WITHDRAWN]: "#ef6c00",
    consent.STATUS_LABELS[OBJECTED]: "#c62828",
    consent.STATUS_LABELS[NEVER_ASKED]: "#b0b7c3",
}
BADGE_COLOURS = {GRANTED: "green", WITHDRAWN: "orange", OBJECTED: "red", NEVER_ASKED: "gray"}
ACTION_LABELS = {
    GRANTED: "Grant consent",
    WITHDRAWN: "Withdraw consent",
    OBJECTED: "Object to all direct marketing (Art. 21)",
}
DONE_LABELS = {GRANTED: "a grant", WITHDRAWN: "a withdrawal", OBJECTED: "an objection"}
SUBMIT_LABELS = {
    GRANTED: "Record grant",
    WITHDRAWN: "Record withdrawal",
    OBJECTED: "Record objection",
}
PURPOSE_ORDER = [consent.PURPOSE_LABELS[p] for p in Purpose]

RULE_HELP = """
The current status of a person for a purpose is their **latest consent event** for it.

- **Same moment:** two events with the same timestamp are decided by protection:
  an objection beats a withdrawal, and a withdrawal beats a grant. Between equal events the
  one recorded later counts.
- **Objection (Art. 21(2)):** covers every purpose, profiling for targeting included, and
  takes effect at once. Only an explicit new grant, dated after the objection, makes the
  person contactable again for that one purpose.
- **Withdrawal (Art. 7(3)):** as easy as granting, and also at once: the Segments page
  and every later export leave the person out for that purpose.
- **A date without a time:** a grant dated on an earlier day counts from the start of that
  day (Helsinki time), a withdrawal or objection from its end, so a grant never overrides an
  opt-out made the same day. An event dated today counts from the moment it is recorded.
- **Never asked:** no event at all for the purpose; nobody may be contacted without a grant.
- Events are never edited: a correction is a new event, and the history keeps both.
"""


def label(mapping: dict[str, str], value: str) -> str:
    return mapping.get(value, value.replace("_", " ").capitalize())


def helsinki(moment: dt.datetime) -> str:
    return moment.astimezone(settings.REGISTRY_TZ).strftime("%Y-%m-%d %H:%M")


@widgets.cached
def status_counts() -> dict[Purpose, dict[ConsentStatus, int]]:
    with widgets.session() as s:
        return consent.status_counts(s)


@widgets.cached
def by_source(purpose: str) -> dict[str, dict[ConsentStatus, int]]:
    with widgets.session() as s:
        return consent_review.status_by_source(s, actor, purpose)


@widgets.cached
def by_relationship(purpose: str) -> dict[str, dict[ConsentStatus, int]]:
    with widgets.session() as s:
        return consent_review.status_by_relationship(s, actor, purpose)


@widgets.cached
def changes(purpose: str | None, today: dt.date) -> list[consent_review.MonthlyChanges]:
    with widgets.session() as s:
        return consent_review.changes_per_month(s, actor, purpose, today=today)


@widgets.cached
def missing_counts() -> dict[Purpose, int]:
    with widgets.session() as s:
        return consent_review.missing_evidence_counts(s, actor)


@widgets.cached
def missing_page(purpose: str | None, page: int) -> consent_review.MissingEvidencePage:
    with widgets.session() as s:
        return consent_review.persons_missing_evidence(
            s, actor, purpose, limit=settings.PAGE_SIZE, offset=(page - 1) * settings.PAGE_SIZE
        )


def status_frame(rows: dict[str, dict[ConsentStatus, int]], labels: dict[str, str]) -> pd.DataFrame:
    """Long form (group, status, persons) for a stacked bar chart."""
    return pd.DataFrame(
        [
            (label(labels, group), consent.STATUS_LABELS[status], n)
            for group, counts in rows.items()
            for status, n in counts.items()
            if n
        ],
        columns=["group", "status", "persons"],
    )


def stacked_bars(frame: pd.DataFrame, x: str, y: str, height: int) -> None:
    figure = px.bar(
        frame,
        x=x,
        y=y,
        color="status",
        orientation="h",
        color_discrete_map=STATUS_COLOURS,
        # The biggest group on top.
        category_orders={
            "status": STATUS_ORDER,
            y: list(frame.groupby(y)[x].sum().sort_values(ascending=False).index),
        },
    )
    figure.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        legend_title_text="",
        legend={"orientation": "h", "y": -0.25},
        yaxis_title="",
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})


def reset_form() -> None:
    """Empty the record form; only before its widgets are drawn (Streamlit's rule)."""
    st.session_state.update(
        {
            "consent_action": GRANTED,
            "consent_purposes": [],
            "consent_source": None,
            "consent_evidence": "",
            "consent_day": deadlines.today(),
        }
    )
    widgets.form_errors(ERRORS_KEY).clear()


# Only the open tab runs, and Streamlit forgets a widget that did not run; so a choice
# that should survive a visit to another tab is also kept under a key of its own.
def keep(key: str, kept: str) -> None:
    st.session_state[kept] = st.session_state[key]


def kept_index(kept: str, options: list) -> int:  # type: ignore[type-arg]
    value = st.session_state.get(kept)
    return options.index(value) if value in options else 0


def kept_selectbox(label_text: str, options: list, key: str, kept: str, **kwargs) -> object:  # type: ignore[no-untyped-def, type-arg]
    return st.selectbox(
        label_text,
        options,
        index=kept_index(kept, options),
        key=key,
        on_change=keep,
        args=(key, kept),
        **kwargs,
    )


def pick_person_from_search() -> None:
    st.session_state[PERSON_KEY] = st.session_state.get("consent_pick")


def pick_person_from_missing() -> None:
    rows = st.session_state["consent_missing_table"]["selection"]["rows"]
    ids = st.session_state.get(MISSING_IDS_KEY, [])
    if rows and rows[0] < len(ids):
        st.session_state[PERSON_KEY] = ids[rows[0]]
        st.session_state[TAB_KEY] = "Find a person"


def status_view() -> None:
    """Counts and shares per purpose and status, from consent_state."""
    counts = status_counts()
    total = sum(counts[Purpose.NEWSLETTER].values())
    purpose = kept_selectbox(
        "Purpose",
        list(Purpose),
        "consent_status_purpose",
        PURPOSE_KEPT,
        format_func=lambda p: consent.PURPOSE_LABELS[p],
    )
    cards = st.columns(4)
    for column, status in zip(cards, (GRANTED, WITHDRAWN, OBJECTED, NEVER_ASKED), strict=True):
        n = counts[purpose][status]
        with column, st.container(border=True):
            st.metric(
                consent.STATUS_LABELS[status],
                f"{n:,}",
                help=f"Persons whose current status for {consent.PURPOSE_LABELS[purpose]} "
                f"is {consent.STATUS_LABELS[status].lower()}.",
            )
            st.caption(f"{n / total:.1%} of {total:,} persons" if total else "No persons yet")

    st.subheader("All purposes")
    shares = pd.DataFrame(
        [
            (consent.PURPOSE_LABELS[p], consent.STATUS_LABELS[s], n, n / total if total else 0.0)
            for p in Purpose
            for s, n in counts[p].items()
        ],
        columns=["purpose", "status", "persons", "share"],
    )
    figure = px.bar(
        shares,
        x="share",
        y="purpose",
        color="status",
        orientation="h",
        color_discrete_map=STATUS_COLOURS,
        category_orders={"status": STATUS_ORDER, "purpose": PURPOSE_ORDER},
        hover_data={"persons": ":,", "share": ":.1%"},
    )
    figure.update_layout(
        height=320,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis={"tickformat": ".0%", "title": "share of persons"},
        yaxis_title="",
        legend_title_text="",
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})
    table = shares.pivot(index="purpose", columns="status", values="persons").loc[
        PURPOSE_ORDER, STATUS_ORDER
    ]
    table.index.name = "Purpose"
    st.dataframe(
        table,
        width="stretch",
        column_config={
            s: st.column_config.NumberColumn(s, format="localized") for s in STATUS_ORDER
        },
    )


def breakdown_view() -> None:
    """One purpose's current status by the source of the event and by relationship type."""
    purpose = kept_selectbox(
        "Purpose",
        list(Purpose),
        "consent_breakdown_purpose",
        PURPOSE_KEPT,
        format_func=lambda p: consent.PURPOSE_LABELS[p],
    )
    purpose_label = consent.PURPOSE_LABELS[purpose]
    left, right = st.columns(2)
    with left:
        st.subheader("By source")
        st.caption(f"How the event now in effect for {purpose_label.lower()} reached us.")
        sources = status_frame(by_source(purpose), consent.SOURCE_LABELS)
        if sources.empty:
            st.info(f"Nobody has been asked about {purpose_label.lower()} yet.")
        else:
            stacked_bars(sources, "persons", "group", 340)
    with right:
        st.subheader("By relationship")
        st.caption("How the person is connected to Click2Contract.")
        relationships = status_frame(by_relationship(purpose), consent.RELATIONSHIP_LABELS)
        if relationships.empty:
            st.info("The registry holds no persons yet.")
        else:
            stacked_bars(relationships, "persons", "group", 340)


def trend_view() -> None:
    """Grants above zero, withdrawals and objections below, per month."""
    trend_purpose = kept_selectbox(
        "Purpose",
        [None, *Purpose],
        "consent_trend_purpose",
        "consent_trend_purpose_kept",
        format_func=lambda p: "All purposes" if p is None else consent.PURPOSE_LABELS[p],
    )
    months = changes(trend_purpose, deadlines.today())
    window = settings.CONSENT_TREND_MONTHS
    cards = st.columns(3)
    with cards[0], st.container(border=True):
        st.metric(f"Opt-ins, last {window} months", f"{sum(m.granted for m in months):,}")
    with cards[1], st.container(border=True):
        st.metric(f"Opt-outs, last {window} months", f"{sum(m.opt_outs for m in months):,}")
    with cards[2], st.container(border=True):
        st.metric(
            "Objections in that time",
            f"{sum(m.objected for m in months):,}",
            help="Events: an objection to all direct marketing counts once per purpose.",
        )
    trend = pd.DataFrame(
        [
            row
            for m in months
            for row in (
                (m.month, consent.STATUS_LABELS[GRANTED], m.granted),
                (m.month, consent.STATUS_LABELS[WITHDRAWN], -m.withdrawn),
                (m.month, consent.STATUS_LABELS[OBJECTED], -m.objected),
            )
        ],
        columns=["month", "status", "events"],
    )
    figure = px.bar(
        trend,
        x="month",
        y="events",
        color="status",
        color_discrete_map=STATUS_COLOURS,
        category_orders={"status": STATUS_ORDER},
    )
    figure.update_layout(
        barmode="relative",
        height=420,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        legend_title_text="",
        xaxis={"title": "", "type": "category"},
        yaxis_title="events (opt-outs below zero)",
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})
    st.caption(
        "Consent events per calendar month (UTC): grants above the line, withdrawals and "
        "objections below it. One person's event for several purposes counts once per purpose."
    )


def evidence_view() -> None:
    """Art. 7(1): current grants whose winning event carries no evidence."""
    st.caption(
        "Art. 7(1): Click2Contract must be able to show that a person consented. These are "
        "current grants whose event carries no evidence. Record the evidence as a new grant "
        "in “Find a person”, or withdraw the consent."
    )
    missing = missing_counts()
    if not any(missing.values()):
        st.success("Every current grant has its evidence.", icon=":material/verified:")
        return
    per_purpose = pd.DataFrame(
        [(consent.PURPOSE_LABELS[p], n) for p, n in missing.items()],
        columns=["purpose", "grants"],
    )
    figure = px.bar(
        per_purpose,
        x="grants",
        y="purpose",
        orientation="h",
        text="grants",
        color_discrete_sequence=["#1f5aa6"],  # the theme's primary colour
        category_orders={"purpose": PURPOSE_ORDER},
    )
    figure.update_layout(
        height=260,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis_title="grants without evidence",
        yaxis_title="",
    )
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})

    controls = st.columns([2, 1, 3])
    with controls[0]:
        missing_purpose = kept_selectbox(
            "Purpose",
            [None, *Purpose],
            "consent_missing_purpose",
            "consent_missing_purpose_kept",
            format_func=lambda p: "All purposes" if p is None else consent.PURPOSE_LABELS[p],
        )
    # The total is the same on every page: read the asked-for page, then clamp to it.
    page_number = st.session_state.get("consent_missing_page", 1)
    result = missing_page(missing_purpose, page_number)
    pages = max(1, -(-result.total // settings.PAGE_SIZE))
    if page_number > pages:
        st.session_state["consent_missing_page"] = page_number = pages
        result = missing_page(missing_purpose, page_number)
    controls[1].number_input(
        "Page", min_value=1, max_value=pages, step=1, key="consent_missing_page"
    )
    st.session_state[MISSING_IDS_KEY] = [r.person.id for r in result.rows]
    controls[2].markdown(
        f"<br>Page {page_number} of {pages}: {result.total:,} persons in all. Choose a row "
        "to open the person in “Find a person”.",
        unsafe_allow_html=True,
    )
    st.dataframe(
        pd.DataFrame(
            [
                (
                    r.person.name,
                    r.person.email or r.person.username or "",
                    label(consent.RELATIONSHIP_LABELS, r.person.relationship),
                    ", ".join(consent.PURPOSE_LABELS[g.purpose] for g in r.grants),
                    helsinki(max(g.occurred_at for g in r.grants)),
                    ", ".join(
                        dict.fromkeys(label(consent.SOURCE_LABELS, g.source) for g in r.grants)
                    ),
                )
                for r in result.rows
            ],
            columns=[
                "Person",
                "Email or username",
                "Relationship",
                "Granted without evidence",
                "Latest such grant",
                "Source",
            ],
        ),
        width="stretch",
        height=min(len(result.rows), 20) * 35 + 40,  # up to 20 rows without scrolling
        hide_index=True,
        on_select=pick_person_from_missing,
        selection_mode="single-row",
        key="consent_missing_table",
    )


def opened_person() -> persons.PersonConsent | None:
    """The chosen person's consent; a new choice is a view of one person's data, audited once."""
    person_id = st.session_state.get(PERSON_KEY)
    if person_id is None:
        st.session_state.pop(OPENED_KEY, None)  # choosing the person again is a new view
        return None
    try:
        with widgets.session() as s:
            if st.session_state.get(OPENED_KEY) == person_id:
                return persons.person_consent(s, actor, person_id)
            detail = persons.open_person(s, actor, person_id)
    except NotFound as e:
        st.error(str(e))
        st.session_state.pop(PERSON_KEY, None)
        return None
    st.session_state[OPENED_KEY] = person_id
    reset_form()  # nothing typed for the previous person carries over
    return detail


def record_form(who: persons.PersonMatch) -> None:
    """Grant, withdraw or object: one form, so withdrawing is as easy as granting."""
    st.markdown("##### Record what the person told us")
    if st.session_state.pop(RESET_KEY, False):
        reset_form()
    errors = widgets.form_errors(ERRORS_KEY)
    action = st.radio(
        "The person",
        list(ACTION_LABELS),
        format_func=ACTION_LABELS.get,
        horizontal=True,
        key="consent_action",
        # Messages about the other action's input no longer apply.
        on_change=lambda: widgets.form_errors(ERRORS_KEY).clear(),
    )
    widgets.field_error(errors, "status")
    with st.form("consent_record_form", border=True):
        if action == OBJECTED:
            st.info(
                "An objection covers every purpose, profiling for targeting included. "
                "Only an explicit new grant makes the person contactable again.",
                icon=":material/block:",
            )
        else:
            st.multiselect(
                "Purposes",
                list(Purpose),
                format_func=lambda p: consent.PURPOSE_LABELS[p],
                key="consent_purposes",
                placeholder="Choose one or more purposes",
            )
            widgets.field_error(errors, "purposes")
        left, right = st.columns(2)
        with left:
            st.selectbox(
                "Source",
                list(consent.STAFF_SOURCES),
                format_func=lambda v: consent.SOURCE_LABELS[v],
                index=None,
                placeholder="How did the person tell us?",
                key="consent_source",
            )
            widgets.field_error(errors, "source")
        with right:
            # A visit to another tab forgets the widget; the default is Helsinki's today.
            st.session_state.setdefault("consent_day", deadlines.today())
            st.date_input(
                "Date (Helsinki)",
                min_value=dt.date(2000, 1, 1),
                max_value=deadlines.today(),
                format="YYYY-MM-DD",
                key="consent_day",
                help="The day the person told us. Today counts from the moment you record.",
            )
            widgets.field_error(errors, "occurred_at")
        st.text_area(
            "Evidence",
            key="consent_evidence",
            max_chars=settings.MAX_LONG_TEXT,
            placeholder="e.g. signed order form 2026-014, email of 3 March, web form log id",
            help="Required for a grant (Art. 7(1)): what the person signed, sent or "
            "ticked, with a reference. Optional for a withdrawal or an objection.",
        )
        widgets.field_error(errors, "evidence")
        submitted = st.form_submit_button(SUBMIT_LABELS[action], type="primary")
    if not submitted:
        return

    errors.clear()
    moment = consent.moment_of(st.session_state["consent_day"], action)
    source = st.session_state.get("consent_source") or ""
    evidence = st.session_state.get("consent_evidence", "")
    try:
        with widgets.session() as s:
            if action == OBJECTED:
                recorded = consent.record_objection(s, actor, who.id, source, evidence, moment)
            else:
                purposes = st.session_state.get("consent_purposes", [])
                recorded = consent.record_consent(
                    s, actor, who.id, purposes, action, source, evidence, moment
                )
    except ValidationError as e:
        errors.update(e.field_errors)
    except NotFound as e:
        errors["status"] = str(e)
    else:
        widgets.data_changed()
        purposes_done = ", ".join(consent.PURPOSE_LABELS[e.purpose] for e in recorded)
        st.session_state[FLASH_KEY] = (
            f"Recorded {DONE_LABELS[action]} for {who.name} "
            f"({purposes_done}). Counts and exports use it from now on."
        )
        st.session_state[RESET_KEY] = True
    st.rerun()  # errors are drawn next to their fields, or the new event in the history


def history_table(detail: persons.PersonConsent) -> None:
    st.markdown("##### Consent history, newest first")
    if not detail.history:
        st.info("No consent events: the person has never been asked for any purpose.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                (
                    helsinki(h.occurred_at),
                    consent.PURPOSE_LABELS[h.purpose],
                    consent.STATUS_LABELS[h.status],
                    "yes" if h.in_effect else "",
                    label(consent.SOURCE_LABELS, h.source),
                    h.evidence or "—",
                    h.recorded_by or "imported",
                    helsinki(h.recorded_at),
                )
                for h in detail.history
            ],
            columns=[
                "When (Helsinki)",
                "Purpose",
                "Status",
                "In effect",
                "Source",
                "Evidence",
                "Recorded by",
                "Recorded at",
            ],
        ),
        width="stretch",
        hide_index=True,
    )


def person_view() -> None:
    """Find a person, see their status and whole history, record what they told us."""
    text = st.text_input(
        "Search by name, email or username",
        value=st.session_state.get("consent_search_kept", ""),
        key="consent_search",
        max_chars=settings.MAX_SHORT_TEXT,
        placeholder="e.g. Virtanen, aino.virtanen@, avirtanen",
        on_change=keep,
        args=("consent_search", "consent_search_kept"),
    )
    with widgets.session() as s:
        matches = persons.search(s, actor, text)
    if text and not matches:
        st.info(
            "Nobody matches. Type the start of a first or last name, an email address or a "
            "username (at least two characters)."
        )
    ids = [m.id for m in matches]
    chosen = st.session_state.get(PERSON_KEY)
    st.selectbox(
        "Person",
        ids,
        format_func={m.id: m.label for m in matches}.get,
        index=ids.index(chosen) if chosen in ids else None,
        placeholder="Choose a person from the matches",
        key="consent_pick",
        on_change=pick_person_from_search,
    )

    detail = opened_person()
    if detail is None:
        st.caption("Choose a person to see their consent history and record a new event.")
        return
    who = detail.person
    st.subheader(who.name)
    st.caption(
        " · ".join(
            part
            for part in (
                who.email,
                who.username and f"username {who.username}",
                who.organisation,
                label(consent.RELATIONSHIP_LABELS, who.relationship),
            )
            if part
        )
    )
    badges = st.columns(len(Purpose))
    for column, purpose in zip(badges, Purpose, strict=True):
        status = detail.status[purpose]
        column.markdown(
            f"**{consent.PURPOSE_LABELS[purpose]}**  \n"
            f":{BADGE_COLOURS[status]}-badge[{consent.STATUS_LABELS[status]}]"
        )
    if flash := st.session_state.pop(FLASH_KEY, None):
        st.success(flash, icon=":material/check_circle:")
    record_form(who)
    history_table(detail)


st.title("Consent")
st.caption(
    "Direct-marketing permits and prohibitions: the current status of every person per "
    "purpose, how it changed, and new grants, withdrawals and objections."
)
with st.expander("How the current status is decided", icon=":material/help:"):
    st.markdown(RULE_HELP)

# Only the open tab runs its queries: at a million persons each tab's figures take seconds.
tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
views = (status_view, breakdown_view, trend_view, evidence_view, person_view)
for tab, view in zip(tabs, views, strict=True):
    if tab.open:
        with tab:
            view()
