"""The KPI cards above the tabs."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from views import widgets
from views.disclosures.common import kpis


def cards(today: dt.date) -> None:
    k = kpis(today)
    columns = st.columns(3)
    with columns[0]:
        widgets.metric_card(
            "Disclosures in the last 30 days",
            f"{k.disclosures_last_30_days:,}",
            help="Counted by Helsinki date, today included.",
        )
    with columns[1]:
        widgets.metric_card(
            "Persons disclosed to third countries",
            f"{k.persons_to_third_countries:,}",
            help="Distinct persons whose data has ever gone to a recipient outside the EU/EEA.",
        )
    with columns[2]:
        widgets.metric_card(
            "Recipients with a problem",
            f"{k.recipients_with_problem} of {k.active_recipients}",
            help="Active recipients whose transfer basis is not valid today; see Recipients.",
            delta="review" if k.recipients_with_problem else None,
            delta_color="inverse",
        )
