"""The chosen person: read once per run (the first view of a selection is audited) and
named above the tabs."""

from __future__ import annotations

import streamlit as st

from registry import persons
from registry.errors import NotFound
from registry.permissions import Actor
from registry.persons import PersonDetail
from views import widgets
from views.persons.common import NOTICE, SELECTED, VIEWED, label, ss, when


def load(actor: Actor, selected: int) -> PersonDetail | None:
    """The person's data; None (and the selection dropped) if there is no such person."""
    first_view = ss.get(VIEWED) != selected
    with widgets.session() as s:
        try:
            detail = persons.person_detail(s, actor, selected, record_view=first_view)
        except NotFound:
            st.warning(f"There is no person #{selected} in the registry.")
            ss.pop(SELECTED, None)
            return None
    ss[VIEWED] = selected
    return detail


def header(detail: PersonDetail) -> None:
    if detail.erased_at is not None:
        st.header(f"Erased person #{detail.id}", anchor=False)
        st.info(
            f"Erased {when(detail.erased_at)} (Art. 17): the name, contact details, consent, "
            "behaviour and disclosures were deleted. What remains below is only what a legal "
            "obligation keeps (orders under the Accounting Act, a claim in recovery), each "
            "until the end of its period; nothing here can be amended.",
            icon=":material/delete_forever:",
        )
        return
    st.header(widgets.plain(detail.name), anchor=False)
    st.caption(
        f"Person #{detail.id} · {label(detail.relationship)} · source: "
        f"{widgets.plain(detail.source)} · added {when(detail.created_at)} · "
        f"updated {when(detail.updated_at)} · row version {detail.form.version}"
    )
    widgets.show_flash(NOTICE)
