"""The Per person tab: every disclosure of one person's data, with the safeguard of each
third-country transfer (Art. 15(2))."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry import disclosures
from registry.permissions import Actor
from registry.transfers import country_name
from views import widgets
from views.disclosures.common import basis_then, categories_text, helsinki

VIEWED_KEY = "disclosures_person_viewed"


def per_person_tab(actor: Actor) -> None:
    st.markdown("All disclosures of one person's data, for an access report or an amendment.")
    person = widgets.person_finder(
        "disclosures_person_q", "disclosures_person_id", pick_label="Person", choose_first=True
    )
    if person is None:
        return
    # The first look at a chosen person is audited; reruns of the same view are not.
    with widgets.session() as s:
        if st.session_state.get(VIEWED_KEY) == person.id:
            found = disclosures.of_person(s, actor, person.id)
        else:
            found = disclosures.view_of_person(s, actor, person.id)
            st.session_state[VIEWED_KEY] = person.id
    if not found:
        st.info(f"{widgets.plain(person.name)}'s data has not been disclosed.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Disclosed (Helsinki)": [helsinki(x.disclosed_at) for x in found],
                "Recipient": [x.recipient_name for x in found],
                "Country": [country_name(x.country) for x in found],
                "EU/EEA": ["Outside" if x.third_country else "Inside" for x in found],
                "Purpose": [x.purpose for x in found],
                "Data categories": [categories_text(x.data_categories) for x in found],
                # Art. 15(2): the safeguard each third-country transfer relied on then.
                "Safeguard then": [
                    basis_then(x.transfer_mechanism, x.agreement_date, x.basis_from_register)
                    if x.third_country
                    else ""
                    for x in found
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )
