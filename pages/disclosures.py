"""Disclosures: who received whose data, where, and on which legal basis."""

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

import widgets
from registry import deadlines, disclosure_log, disclosures, persons, recipients, settings
from registry.disclosure_log import DisclosureFilter, FilterOptions, Kpis, LogRow
from registry.disclosures import CATEGORY_LABELS, LEGAL_BASES, DisclosureInput
from registry.errors import ValidationError
from registry.permissions import Permission
from registry.recipients import RecipientRow
from registry.transfers import MECHANISM_LABELS, country_name, in_eea, iso3

actor = widgets.require_page(Permission.VIEW_DISCLOSURES)
# The cache scope: another database, or another role, is another answer.
SCOPE = (widgets.database().url, actor.role)
st.title("Disclosures")
st.caption(
    "What went to which dealer, subcontractor or processor, when, why and whose data. "
    "Segment exports are recorded here automatically; other disclosures are recorded by hand."
)

FILTER_KEY = "disclosures_filter"
PAGE_KEY = "disclosures_page"
ANY = None
THIRD_LABELS = {ANY: "Anywhere", True: "Outside the EU/EEA", False: "Inside the EU/EEA"}


def helsinki(at: dt.datetime) -> str:
    return at.astimezone(settings.REGISTRY_TZ).strftime("%d.%m.%Y %H:%M")


def categories_text(keys: list[str]) -> str:
    return ", ".join(CATEGORY_LABELS.get(k, k) for k in keys)


# Cached reads: everything that changes the answer is an argument; writes clear them all.
@widgets.cached
def cached_kpis(scope: tuple[str, str], today: dt.date) -> Kpis:
    with widgets.session() as s:
        return disclosure_log.kpis(s, actor, today)


@widgets.cached
def cached_options(scope: tuple[str, str]) -> FilterOptions:
    with widgets.session() as s:
        return disclosure_log.filter_options(s, actor)


@widgets.cached
def cached_log(
    scope: tuple[str, str], f: DisclosureFilter, offset: int
) -> tuple[list[LogRow], int]:
    with widgets.session() as s:
        rows = disclosure_log.log(s, actor, f, limit=settings.PAGE_SIZE, offset=offset)
        return rows, disclosure_log.count(s, actor, f)


@widgets.cached
def cached_months(scope: tuple[str, str], f: DisclosureFilter) -> list[tuple[str, str, int, int]]:
    with widgets.session() as s:
        return disclosure_log.per_month_by_recipient(s, actor, f)


@widgets.cached
def cached_countries(scope: tuple[str, str], f: DisclosureFilter) -> list[tuple[str, int]]:
    with widgets.session() as s:
        return disclosure_log.persons_by_country(s, actor, f)


@widgets.cached
def cached_recipients(scope: tuple[str, str]) -> list[RecipientRow]:
    with widgets.session() as s:
        return recipients.register(s, actor, active_only=True)


@widgets.cached
def cached_segments(scope: tuple[str, str]) -> list[tuple[int, str]]:
    with widgets.session() as s:
        return disclosures.segment_choices(s, actor)


today = deadlines.today()
k = cached_kpis(SCOPE, today)
cards = st.columns(3)
with cards[0]:
    widgets.metric_card(
        "Disclosures in the last 30 days",
        f"{k.disclosures_last_30_days:,}",
        help="Counted by Helsinki date, today included.",
    )
with cards[1]:
    widgets.metric_card(
        "Persons disclosed to third countries",
        f"{k.persons_to_third_countries:,}",
        help="Distinct persons whose data has ever gone to a recipient outside the EU/EEA.",
    )
with cards[2]:
    widgets.metric_card(
        "Recipients with a problem",
        f"{k.recipients_with_problem} of {k.active_recipients}",
        help="Active recipients whose transfer basis is not valid today; see Recipients.",
        delta="review" if k.recipients_with_problem else None,
        delta_color="inverse",
    )

log_tab, record_tab, person_tab = st.tabs(["Log", "Record a disclosure", "Per person"])

with log_tab:
    options = cached_options(SCOPE)
    current: DisclosureFilter = st.session_state.get(FILTER_KEY, DisclosureFilter())
    recipient_names = dict(options.recipients)
    recorder_names = dict(options.recorders)
    with st.form("disclosures_filter_form", enter_to_submit=False):
        row1 = st.columns(4)
        recipient_id = row1[0].selectbox(
            "Recipient",
            [ANY, *recipient_names],
            format_func=lambda i: "All recipients" if i is None else recipient_names[i],
        )
        country = row1[1].selectbox(
            "Country",
            [ANY, *options.countries],
            format_func=lambda c: "All countries" if c is None else f"{country_name(c)} ({c})",
        )
        third = row1[2].selectbox(
            "Inside or outside the EU/EEA", list(THIRD_LABELS), format_func=THIRD_LABELS.get
        )
        recorded_by = row1[3].selectbox(
            "Recorded by",
            [ANY, *recorder_names],
            format_func=lambda i: "Anyone" if i is None else recorder_names[i],
        )
        row2 = st.columns(4)
        purpose = row2[0].selectbox(
            "Purpose",
            [ANY, *options.purposes],
            format_func=lambda p: "All purposes" if p is None else p,
        )
        category = row2[1].selectbox(
            "Data category",
            [ANY, *CATEGORY_LABELS],
            format_func=lambda c: "All categories" if c is None else CATEGORY_LABELS[c],
        )
        since = row2[2].date_input("From", value=None, max_value=today, format="DD.MM.YYYY")
        until = row2[3].date_input("To", value=None, max_value=today, format="DD.MM.YYYY")
        if st.form_submit_button("Apply filters", icon=":material/filter_alt:"):
            current = DisclosureFilter(
                recipient_id=recipient_id,
                country=country,
                third_country=third,
                purpose=purpose,
                data_category=category,
                since=since,
                until=until,
                recorded_by=recorded_by,
            )
            st.session_state[FILTER_KEY] = current
            st.session_state[PAGE_KEY] = 0

    months = pd.DataFrame(
        cached_months(SCOPE, current), columns=["month", "recipient", "disclosures", "persons"]
    )
    by_country = pd.DataFrame(cached_countries(SCOPE, current), columns=["code", "persons"])
    charts = st.columns(2)
    with charts[0], st.container(border=True):
        st.markdown("**Disclosures per month, by recipient**")
        if months.empty:
            st.caption("No disclosures match the filters.")
        else:
            bars = px.bar(
                months,
                x="month",
                y="disclosures",
                color="recipient",
                hover_data=["persons"],
                labels={"month": "Month (UTC)", "disclosures": "Disclosures", "recipient": ""},
            )
            bars.update_layout(
                height=380, margin={"l": 0, "r": 0, "t": 10, "b": 0}, legend={"font": {"size": 10}}
            )
            st.plotly_chart(bars, width="stretch")
    with charts[1], st.container(border=True):
        st.markdown("**Destination countries, sized by persons disclosed**")
        st.caption("A person counts once for each disclosure of their data.")
        if by_country.empty:
            st.caption("No disclosures match the filters.")
        else:
            by_country["country"] = [country_name(c) for c in by_country["code"]]
            by_country["iso3"] = [iso3(c) for c in by_country["code"]]
            by_country["where"] = [
                "Inside the EU/EEA" if in_eea(c) else "Outside the EU/EEA"
                for c in by_country["code"]
            ]
            world = px.scatter_geo(
                by_country,
                locations="iso3",
                size="persons",
                color="where",
                hover_name="country",
                hover_data={"persons": ":,", "iso3": False, "where": False},
                projection="natural earth",
                color_discrete_map={
                    "Outside the EU/EEA": "#d62728",
                    "Inside the EU/EEA": "#1f77b4",
                },
                size_max=40,
            )
            world.update_geos(
                showcountries=True,
                countrycolor="#ffffff",
                showland=True,
                landcolor="#dfe3e8",
                showocean=True,
                oceancolor="#f5f8fb",
                showframe=False,
                lataxis_range=[-58, 85],
            )
            world.update_layout(
                height=380,
                margin={"l": 0, "r": 0, "t": 10, "b": 0},
                legend={"title": "", "orientation": "h", "y": -0.05},
            )
            # Outlines from static/ (served by Streamlit), not from plotly's CDN.
            st.plotly_chart(world, width="stretch", config={"topojsonURL": "app/static/"})

    page_no = st.session_state.get(PAGE_KEY, 0)
    rows, total = cached_log(SCOPE, current, page_no * settings.PAGE_SIZE)
    pages = max(1, -(-total // settings.PAGE_SIZE))
    st.subheader("Log")
    if not rows:
        st.info("No disclosures match the filters.")
    else:
        table = pd.DataFrame(
            {
                "#": [r.id for r in rows],
                "Disclosed (Helsinki)": [helsinki(r.disclosed_at) for r in rows],
                "Recipient": [r.recipient_name for r in rows],
                "Country": [f"{country_name(r.country)} ({r.country})" for r in rows],
                "EU/EEA": ["Outside" if r.third_country else "Inside" for r in rows],
                "Purpose": [r.purpose for r in rows],
                "Data categories": [categories_text(r.data_categories) for r in rows],
                "Legal basis": [LEGAL_BASES.get(r.legal_basis, r.legal_basis) for r in rows],
                "Persons": [r.persons for r in rows],
                "Recorded by": [
                    r.recorded_by or ("segment export" if r.segment else "command line")
                    for r in rows
                ],
                "Segment": [r.segment or "" for r in rows],
            }
        )
        st.caption(
            f"{total:,} disclosures; page {page_no + 1} of {pages}. "
            "Select a row to see whose data it held."
        )
        picked = st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key=f"disclosures_table_{page_no}",
        )
        nav = st.columns([1, 1, 6])
        if nav[0].button("Previous", disabled=page_no == 0, icon=":material/chevron_left:"):
            st.session_state[PAGE_KEY] = page_no - 1
            st.rerun()
        if nav[1].button("Next", disabled=page_no + 1 >= pages, icon=":material/chevron_right:"):
            st.session_state[PAGE_KEY] = page_no + 1
            st.rerun()

        selected = picked.selection.rows
        if selected:
            chosen = rows[selected[0]]
            person_page_key = f"disclosures_persons_page_{chosen.id}"
            person_page = st.session_state.get(person_page_key, 0)
            # The look at whose data went out is audited once per disclosure opened.
            first_look = st.session_state.get("disclosures_viewed_id") != chosen.id
            with widgets.session() as s:
                people = disclosure_log.persons_of(
                    s,
                    actor,
                    chosen.id,
                    offset=person_page * settings.PAGE_SIZE,
                    audit_view=first_look,
                )
            st.session_state["disclosures_viewed_id"] = chosen.id
            with st.container(border=True):
                st.markdown(
                    f"**Disclosure #{chosen.id}**: {chosen.persons:,} persons to "
                    f"{chosen.recipient_name} ({country_name(chosen.country)}) on "
                    f"{helsinki(chosen.disclosed_at)} for {chosen.purpose}"
                )
                if chosen.note:
                    st.caption(chosen.note)
                if not people:
                    st.caption("No persons are recorded for this disclosure.")
                st.dataframe(
                    pd.DataFrame(
                        {
                            "Person id": [p.id for p in people],
                            "Name": [p.name for p in people],
                            "Email": [p.email or "" for p in people],
                            "Organisation": [p.organisation or "" for p in people],
                            "City": [p.city or "" for p in people],
                            "Country": [p.country for p in people],
                        }
                    ),
                    hide_index=True,
                    width="stretch",
                )
                person_pages = max(1, -(-chosen.persons // settings.PAGE_SIZE))
                pnav = st.columns([1, 1, 6])
                if pnav[0].button(
                    "Previous",
                    disabled=person_page == 0,
                    key=f"{person_page_key}_prev",
                    icon=":material/chevron_left:",
                ):
                    st.session_state[person_page_key] = person_page - 1
                    st.rerun()
                if pnav[1].button(
                    "Next",
                    disabled=person_page + 1 >= person_pages,
                    key=f"{person_page_key}_next",
                    icon=":material/chevron_right:",
                ):
                    st.session_state[person_page_key] = person_page + 1
                    st.rerun()
                pnav[2].caption(f"Persons page {person_page + 1} of {person_pages}")

with record_tab:
    if not actor.may(Permission.RECORD_DISCLOSURE):
        st.info(f"The {actor.role} role may not {Permission.RECORD_DISCLOSURE}.")
    else:
        active = {r.id: r for r in cached_recipients(SCOPE)}
        segment_names = dict(cached_segments(SCOPE))
        errors = widgets.form_errors("disclosures_record_errors")
        if done := st.session_state.pop("disclosures_recorded", None):
            st.success(done, icon=":material/check_circle:")
        round_no = st.session_state.get("disclosures_record_round", 0)
        with st.form(f"disclosures_record_{round_no}", enter_to_submit=False):
            left, right = st.columns(2)
            with left:
                recipient_id = st.selectbox(
                    "Recipient",
                    list(active),
                    index=None,
                    placeholder="Choose a recipient from the register",
                    format_func=lambda i: (
                        f"{active[i].name} ({active[i].country_name})"
                        + (" ⚠️" if active[i].problem else "")
                    ),
                )
                widgets.field_error(errors, "recipient")
                purpose = st.text_input(
                    "Purpose", max_chars=settings.MAX_SHORT_TEXT, placeholder="e.g. Event catering"
                )
                widgets.field_error(errors, "purpose")
                categories = st.multiselect(
                    "Data categories", list(CATEGORY_LABELS), format_func=CATEGORY_LABELS.get
                )
                widgets.field_error(errors, "data_categories")
                basis = st.selectbox(
                    "Legal basis", list(LEGAL_BASES), index=None, format_func=LEGAL_BASES.get
                )
                widgets.field_error(errors, "legal_basis")
            with right:
                people_text = st.text_area(
                    "Persons (ids)",
                    placeholder="Person ids separated by commas, spaces or lines",
                    help=f"At most {settings.MANUAL_DISCLOSURE_MAX_PERSONS:,} persons. "
                    "Find ids on the Persons page or under Per person.",
                )
                segment_id = st.selectbox(
                    "Or the current members of a saved segment",
                    list(segment_names),
                    index=None,
                    placeholder="No segment",
                    format_func=segment_names.get,
                )
                widgets.field_error(errors, "persons")
                disclosed_on = st.date_input(
                    "Date of the disclosure", value=today, max_value=today, format="DD.MM.YYYY"
                )
                widgets.field_error(errors, "disclosed_on")
                note = st.text_area("Note", max_chars=settings.MAX_LONG_TEXT)
                widgets.field_error(errors, "note")
            submitted = st.form_submit_button("Record disclosure", type="primary")
        if recipient_id is not None and active[recipient_id].problem:
            st.warning(
                f"{active[recipient_id].name}: {active[recipient_id].problem}. The disclosure "
                "is still recorded as it happened.",
                icon=":material/gpp_maybe:",
            )
        if submitted:
            data = DisclosureInput(
                recipient_id=recipient_id,
                purpose=purpose,
                data_categories=tuple(categories),
                legal_basis=basis or "",
                persons=people_text,
                disclosed_on=disclosed_on,
                note=note,
                segment_id=segment_id,
            )
            with widgets.session() as s:
                try:
                    made = disclosures.record_disclosure(s, actor, data)
                except ValidationError as e:
                    st.session_state["disclosures_record_errors"] = e.field_errors
                else:
                    st.session_state["disclosures_record_errors"] = {}
                    st.session_state["disclosures_record_round"] = round_no + 1
                    st.session_state["disclosures_recorded"] = (
                        f"Recorded disclosure #{made.id}: {made.person_count:,} persons to "
                        f"{active[made.recipient_id].name}."
                    )
                    widgets.data_changed()
            st.rerun()

with person_tab:
    st.markdown("All disclosures of one person's data, for an access report or an amendment.")
    query = st.text_input(
        "Find a person", placeholder="Name, email, phone or username", key="disclosures_person_q"
    )
    if query.strip():
        with widgets.session() as s:
            matches = persons.search(s, actor, query)
        if not matches:
            st.caption("No person matches.")
        else:
            by_pid = {m.id: m for m in matches}
            pid = st.selectbox(
                "Person",
                list(by_pid),
                format_func=lambda i: f"#{i} {by_pid[i].label}",
                key="disclosures_person_id",
            )
            with widgets.session() as s:
                found = disclosures.of_person(s, actor, pid)
            if not found:
                st.info(f"{by_pid[pid].name}'s data has not been disclosed.")
            else:
                st.dataframe(
                    pd.DataFrame(
                        {
                            "Disclosed (Helsinki)": [helsinki(x.disclosed_at) for x in found],
                            "Recipient": [x.recipient_name for x in found],
                            "Country": [country_name(x.country) for x in found],
                            "EU/EEA": ["Outside" if x.third_country else "Inside" for x in found],
                            "Purpose": [x.purpose for x in found],
                            "Data categories": [categories_text(x.data_categories) for x in found],
                            # Art. 15(2): the safeguard of each third-country transfer.
                            "Safeguard": [
                                MECHANISM_LABELS.get(x.transfer_mechanism, x.transfer_mechanism)
                                if x.third_country
                                else ""
                                for x in found
                            ],
                        }
                    ),
                    hide_index=True,
                    width="stretch",
                )
