"""The Data tab: the person's data in the notice's four categories."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from registry import transfers, validation
from registry.permissions import Actor
from registry.persons import PersonDetail
from views import widgets
from views.persons.common import day, label, when


def data_tab(actor: Actor, d: PersonDetail) -> None:
    left, right = st.columns(2)
    with left.container(border=True):
        st.subheader("Basic information", anchor=False)
        address = ", ".join(
            p for p in [d.street_address, " ".join(filter(None, [d.postal_code, d.city]))] if p
        )
        widgets.facts(
            [
                ("Name", d.name),
                ("Email", d.email),
                ("Phone", validation.display_phone(d.phone)),
                ("Address", address),
                ("Country", f"{transfers.country_name(d.country)} ({d.country})"),
            ]
        )
    with right.container(border=True):
        st.subheader("Service-user data", anchor=False)
        location = ", ".join(p for p in [d.city, transfers.country_name(d.country)] if p)
        if d.latitude is not None and d.longitude is not None:
            location += f" (app location {d.latitude:.4f}, {d.longitude:.4f})"
        widgets.facts(
            [
                ("Username", d.username),
                ("Password", "stored as a one-way hash" if d.has_password else "none stored"),
                ("Position", d.position),
                ("Employer", d.organisation.name if d.organisation else None),
                ("Gender", d.gender and label(d.gender)),
                ("Location", location),
            ]
        )
    with st.container(border=True):
        st.subheader("Customer relationship", anchor=False)
        org = d.organisation
        c1, c2, c3 = st.columns([2, 2, 3])
        with c1:
            since = f"{day(org.customer_since)}–{day(org.customer_until)}" if org else ""
            widgets.facts(
                [
                    ("Connected as", label(d.relationship)),
                    ("Organisation", org and f"{org.name} ({org.business_id})"),
                    ("Kind, industry", org and f"{label(org.kind)}, {org.industry}"),
                    ("Customer", since if org and org.customer_since else None),
                ]
            )
        with c2:
            o = d.orders
            widgets.facts(
                [
                    ("Orders", f"{o.count:,}"),
                    ("Total", f"{o.total_eur:,.2f} €" if o.count else None),
                    ("First and last", o.count and f"{day(o.first_on)} and {day(o.last_on)}"),
                    ("In recovery", f"{o.in_recovery:,}" if o.in_recovery else None),
                ]
            )
        with c3:
            st.dataframe(
                pd.DataFrame(
                    [(label(p), label(s)) for p, s in d.consent.items()],
                    columns=["Direct marketing", "Status"],
                ),
                hide_index=True,
                width="stretch",
            )
        if d.recent_orders:
            st.markdown("**Latest orders**")
            st.dataframe(
                pd.DataFrame(
                    [
                        (day(r.ordered_on), r.product, r.amount_eur, label(r.status))
                        for r in d.recent_orders
                    ],
                    columns=["Ordered", "Product", "Amount €", "Status"],
                ),
                hide_index=True,
                width="stretch",
                column_config={"Amount €": st.column_config.NumberColumn(format="%.2f")},
            )
        if d.requests:
            st.markdown("**Data-subject requests**")
            st.dataframe(
                pd.DataFrame(
                    [
                        (
                            # The request's own page, for a role that may handle requests.
                            widgets.record_url(
                                actor, "data_subject_request", r.id, f"Request #{r.id}"
                            )
                            or f"#{r.id}",
                            label(r.kind),
                            label(r.status),
                            day(r.received_on),
                            day(r.due_on),
                        )
                        for r in d.requests
                    ],
                    columns=["Request", "Kind", "Status", "Received", "Due"],
                ),
                hide_index=True,
                width="stretch",
                column_config={"Request": widgets.link_column("Request")}
                if widgets.may_open(actor, "data_subject_request")
                else None,
            )
    with st.container(border=True):
        st.subheader("Transactions and behaviour", anchor=False)
        if not d.activity_counts:
            st.caption("No website visits, newsletter reads, events, contacts or app use recorded.")
            return
        counts, latest = st.columns([1, 2])
        with counts:
            chart = pd.DataFrame(
                [(label(k), n) for k, n in d.activity_counts.items()], columns=["Activity", "Count"]
            )
            figure = px.bar(chart, x="Count", y="Activity", orientation="h", text="Count")
            figure.update_layout(
                height=260, margin={"l": 0, "r": 0, "t": 10, "b": 0}, yaxis_title=None
            )
            st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})
        with latest:
            st.dataframe(
                pd.DataFrame(
                    [
                        (when(a.occurred_at), label(a.kind), a.detail or "", a.city or "")
                        for a in d.recent_activities
                    ],
                    columns=["When", "Activity", "Detail", "City"],
                ),
                hide_index=True,
                width="stretch",
            )
