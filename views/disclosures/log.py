"""The Log tab: filters, the charts of what went where, the log a page at a time, and the
persons of the disclosure selected in it (the first look audited)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from registry import disclosure_log, validation
from registry.disclosure_log import DisclosureFilter, LogRow
from registry.disclosures import CATEGORY_LABELS, LEGAL_BASES
from registry.permissions import Actor
from registry.transfers import country_name, in_eea, iso3
from views import widgets
from views.disclosures.common import (
    basis_then,
    categories_text,
    filter_options,
    helsinki,
    log_page,
    per_month,
    persons_by_country,
)

FILTER_KEY = "disclosures_filter"
PAGE_KEY = "disclosures_page"
ANY = None
THIRD_LABELS = {ANY: "Anywhere", True: "Outside the EU/EEA", False: "Inside the EU/EEA"}


def filter_form(today: dt.date) -> DisclosureFilter:
    options = filter_options()
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
    return current


def charts(current: DisclosureFilter) -> None:
    months = pd.DataFrame(
        per_month(current), columns=["month", "recipient", "disclosures", "persons"]
    )
    by_country = pd.DataFrame(persons_by_country(current), columns=["code", "persons"])
    columns = st.columns(2)
    with columns[0], st.container(border=True):
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
    with columns[1], st.container(border=True):
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


def log_table(actor: Actor, current: DisclosureFilter) -> None:
    # A new filter starts again from page 1.
    page = widgets.paged(
        PAGE_KEY, lambda limit, offset: log_page(current, limit, offset), restart_on=current
    )
    rows = page.rows
    st.subheader("Log")
    if not rows:
        st.info("No disclosures match the filters.")
        return
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
            # Art. 15(2): the basis relied on when the disclosure was made.
            "Transfer basis then": [
                basis_then(r.transfer_mechanism, r.agreement_date, r.basis_from_register)
                for r in rows
            ],
            "Persons": [r.persons for r in rows],
            "Recorded by": [
                r.recorded_by or ("segment export" if r.segment else "command line") for r in rows
            ],
            "Segment": [r.segment or "" for r in rows],
        }
    )
    st.caption("Select a row to see whose data it held.")
    picked = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"disclosures_table_{page.offset}",
    )
    widgets.pager(PAGE_KEY, page, "disclosures")
    if picked.selection.rows:
        chosen = rows[picked.selection.rows[0]]
        if chosen.id != validation.record_id(st.query_params.get("disclosure")):
            drill_down(actor, chosen)  # (a linked one is open above already)


def drill_down(actor: Actor, chosen: LogRow) -> None:
    """Whose data the disclosure held, a page at a time; audited once per disclosure opened."""
    first_look = st.session_state.get("disclosures_viewed_id") != chosen.id

    def read(limit: int, offset: int) -> tuple[list[disclosure_log.DisclosedPersonRow], int]:
        nonlocal first_look
        with widgets.session() as s:
            people = disclosure_log.persons_of(
                s, actor, chosen.id, limit=limit, offset=offset, audit_view=first_look
            )
        first_look = False
        return people, chosen.persons

    page_key = f"disclosures_persons_page_{chosen.id}"
    page = widgets.paged(page_key, read)
    st.session_state["disclosures_viewed_id"] = chosen.id
    people = page.rows
    with st.container(border=True):
        st.markdown(
            f"**Disclosure #{chosen.id}**: {chosen.persons:,} persons to "
            f"{widgets.plain(chosen.recipient_name)} ({country_name(chosen.country)}) on "
            f"{helsinki(chosen.disclosed_at)} for {widgets.plain(chosen.purpose)}"
        )
        if chosen.note:
            st.caption(widgets.plain(chosen.note))
        if not people:
            st.caption("No persons are recorded for this disclosure.")
        may_open = widgets.may_open(actor, "person")
        picked = st.dataframe(
            pd.DataFrame(
                {
                    # The name links to the person's own page, for a role that may open it.
                    "Name": [
                        widgets.record_url(actor, "person", p.id, p.name) if may_open else p.name
                        for p in people
                    ],
                    "Email": [p.email or "" for p in people],
                    "Organisation": [p.organisation or "" for p in people],
                    "City": [p.city or "" for p in people],
                    "Country": [p.country for p in people],
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={"Name": widgets.link_column("Name")} if may_open else None,
            key=f"disclosures_persons_table_{chosen.id}",
            on_select="rerun" if may_open else "ignore",
            selection_mode="single-row",
        )
        if may_open and people:
            st.caption("Select a person to open their data on the Persons page.")
        if (row := widgets.selected_row(picked)) is not None:
            widgets.open_record(actor, "person", people[row].id)
        widgets.pager(page_key, page, "persons")


def linked_disclosure(actor: Actor) -> None:
    """The disclosure a link named (?disclosure=12, from the audit trail), above the log."""
    linked = validation.record_id(st.query_params.get("disclosure"))
    if linked is None:
        return
    with widgets.session() as s:
        found = disclosure_log.log(s, actor, DisclosureFilter(disclosure_id=linked), limit=1)
    if not found:
        st.warning(f"Disclosure #{linked} is not in the log.")
        return
    st.subheader(f"Disclosure #{linked}")
    drill_down(actor, found[0])
    if st.button("Close", key="disclosures_linked_close", icon=":material/close:"):
        st.query_params.pop("disclosure", None)
        st.rerun()


def log_tab(actor: Actor, today: dt.date) -> None:
    linked_disclosure(actor)
    current = filter_form(today)
    charts(current)
    log_table(actor, current)
