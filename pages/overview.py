"""Overview: the registry at a glance, in aggregate numbers only."""

import pandas as pd
import plotly.express as px
import streamlit as st

from registry import breaches, consistency, deadlines, labels, notice, overview
from registry.consent import PURPOSE_LABELS
from registry.permissions import Permission
from registry.vocabulary import RequestKind, RequestStatus
from views import widgets

actor = widgets.require_page(Permission.VIEW_OVERVIEW)
st.title("Overview")
st.caption(
    "Click2Contract Oy's customer and marketing registry on "
    f"{deadlines.today():%-d %B %Y} (Helsinki). Counts only: no personal data on this page."
)

if problem := notice.declaration_problem():
    # The figures below do not need it; the notice, reports and exports do.
    st.error(widgets.declaration_failure(problem), icon=":material/description:")

# Aggregates only: the same for everyone of a role.
o = widgets.cached_read(Permission.VIEW_OVERVIEW)(overview.overview)()

row1 = st.columns(3)
with row1[0]:
    added = pd.DataFrame(o.persons_added_per_month, columns=["month", "persons"])
    widgets.metric_card(
        "Persons in the registry",
        f"{o.persons:,}",
        px.bar(added, x="month", y="persons", labels={"month": ""}) if not added.empty else None,
        help="Data subjects held (erased persons are not counted); the chart shows those "
        "added per month over the last year.",
    )
    widgets.drill_down(actor, "pages/persons.py", Permission.VIEW_PERSON, "Find a person")
with row1[1]:
    by_status = pd.DataFrame(
        [(labels.of(RequestStatus, s), n) for s, n in o.open_requests_by_status.items()],
        columns=["status", "n"],
    )
    widgets.metric_card(
        "Open data-subject requests",
        o.open_requests,
        px.bar(by_status, x="status", y="n", labels={"n": "requests", "status": ""})
        if not by_status.empty
        else None,
    )
    widgets.drill_down(
        actor, "pages/requests.py", Permission.HANDLE_REQUESTS, "Open requests, soonest due first"
    )
with row1[2]:
    by_kind = pd.DataFrame(
        [(labels.of(RequestKind, k), n) for k, n in o.overdue_by_kind.items()],
        columns=["kind", "n"],
    )
    widgets.metric_card(
        "Overdue requests",
        o.overdue_requests,
        px.bar(
            by_kind,
            x="kind",
            y="n",
            labels={"n": "requests", "kind": ""},
            color_discrete_sequence=["#d62728"],
        )
        if not by_kind.empty
        else None,
        help="Open requests past their Art. 12(3) due date.",
        delta="act now" if o.overdue_requests else None,
        delta_color="inverse",
    )
    # The queue lists open requests soonest due first: the overdue ones lead it, in red.
    widgets.drill_down(
        actor, "pages/requests.py", Permission.HANDLE_REQUESTS, "Overdue requests lead the queue"
    )

row2 = st.columns(3)
with row2[0]:
    coverage = pd.DataFrame(
        [(PURPOSE_LABELS[p], share) for p, share in o.consent_coverage.items()],
        columns=["purpose", "share"],
    )
    best = max(o.consent_coverage.values(), default=0.0)
    widgets.metric_card(
        "Consent coverage (best purpose)",
        f"{best:.0%}",
        px.bar(
            coverage,
            x="share",
            y="purpose",
            orientation="h",
            range_x=[0, 1],
            labels={"purpose": "", "share": ""},
        )
        .update_xaxes(tickformat=".0%")
        .update_yaxes(dtick=1),
        help="Share of persons whose current status for each purpose is a grant.",
        chart_height=200,
    )
    widgets.drill_down(actor, "pages/consent.py", Permission.VIEW_CONSENT, "Consent by purpose")
with row2[1]:
    per_day = pd.DataFrame(o.disclosures_per_day, columns=["day", "n"])
    widgets.metric_card(
        "Disclosures in the last 30 days",
        o.disclosures_last_30_days,
        px.area(per_day, x="day", y="n", labels={"n": "disclosures", "day": ""})
        if not per_day.empty
        else None,
    )
    widgets.drill_down(
        actor, "pages/disclosures.py", Permission.VIEW_DISCLOSURES, "The disclosure log"
    )
with row2[2]:
    widgets.metric_card(
        "Transfers without a valid basis",
        len(o.transfer_problems),
        help="Recipients outside the EU/EEA whose transfer mechanism is not valid today.",
        delta="review" if o.transfer_problems else None,
        delta_color="inverse",
    )
    for p in o.transfer_problems:
        st.markdown(
            f"- **{widgets.plain(p.name)}** ({widgets.plain(p.country)}): "
            + widgets.plain(p.problem)
        )
    widgets.drill_down(
        actor, "pages/recipients.py", Permission.MANAGE_RECIPIENTS, "The recipients register"
    )

if actor.may(Permission.HANDLE_REQUESTS):
    # Rights recorded as honoured that the data contradicts (python -m registry check).
    found = widgets.cached_read(Permission.HANDLE_REQUESTS)(consistency.contradiction_count)()
    with st.container(border=True):
        st.metric(
            "Records contradicted by the data",
            found,
            delta="act now" if found else None,
            delta_color="inverse",
            help="Completed erasure requests whose person still has data. "
            "`python -m registry check` lists them.",
        )

if actor.may(Permission.MANAGE_BREACHES):
    # The 72-hour clock of each breach awaiting the Ombudsman decision (Art. 33(1)).
    with widgets.session() as s:
        clocks = breaches.open_clocks(s, actor)
    with st.container(border=True):
        st.metric("Breaches awaiting the Ombudsman decision", len(clocks))
        for r in clocks:
            st.markdown(
                f":{r.clock.colour}-badge[:material/timer: {r.reference} · {r.clock.text}] "
                f"deadline {r.clock.deadline_text} · {widgets.plain(r.summary)}"
            )
