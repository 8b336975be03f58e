"""Recipients: the register of dealers, subcontractors and processors, and whether each is fine."""

import datetime as dt

import pandas as pd
import streamlit as st

from registry import deadlines, labels, recipient_safeguards, recipients, settings
from registry.errors import ValidationError
from registry.permissions import Permission
from registry.recipients import (
    RELATIONSHIP_LABELS,
    SCOPE_CATEGORY_LABELS,
    RecipientInput,
    RecipientRow,
)
from registry.transfers import COUNTRIES, MECHANISM_LABELS, country_name
from registry.vocabulary import (
    DELIVERY_LABELS,
    RecipientKind,
    RecipientRole,
    RecipientScope,
    TransferMechanism,
)
from views import widgets

actor = widgets.require_page(Permission.MANAGE_RECIPIENTS)
st.title("Recipients")
st.caption(
    "Dealers, subcontractors and processors that receive registry data, with the basis each "
    "transfer outside the EU/EEA relies on. The status is checked against today's law."
)

KIND_LABELS = {k.value: k.value.capitalize() for k in RecipientKind}
# Countries by name, so the picker reads like a list of countries rather than of codes.
COUNTRY_CODES = sorted(COUNTRIES, key=lambda c: COUNTRIES[c][1])
MECHANISMS = [m.value for m in TransferMechanism]
ROLES = list(RecipientRole)
SCOPES = list(RecipientScope)


def scope_text(r: RecipientRow) -> str:
    """The scope in words: whose data the recipient holds."""
    if r.scope != RecipientScope.CATEGORIES:
        return labels.of(RecipientScope, r.scope)
    named = [SCOPE_CATEGORY_LABELS.get(c, c) for c in r.scope_categories] + [
        RELATIONSHIP_LABELS.get(x, x) for x in r.scope_relationships
    ]
    return "Persons with: " + ", ".join(named)


TABLE_ROW_PX, TABLE_MAX_PX = 35, 700
FLASH = "recipients_saved"


rows = widgets.cached_read(Permission.MANAGE_RECIPIENTS)(recipients.register)()
active = [r for r in rows if r.active]
problems = [r for r in active if r.problem]

cards = st.columns(3)
with cards[0]:
    widgets.metric_card("Active recipients", len(active), help="Inactive ones stay listed.")
with cards[1]:
    widgets.metric_card(
        "Outside the EU/EEA",
        sum(1 for r in active if not r.inside_eea),
        help="Active recipients in third countries: each needs a valid transfer mechanism.",
    )
with cards[2]:
    widgets.metric_card(
        "Recipients with a problem",
        len(problems),
        delta="review" if problems else None,
        delta_color="inverse",
    )

for r in problems:
    st.warning(
        f"**{widgets.plain(r.name)}** ({widgets.plain(r.country_name)}): "
        f"{widgets.plain(r.problem)}.",
        icon=":material/gpp_maybe:",
    )


def helsinki_day(at: dt.datetime | None) -> dt.date | None:
    return at.astimezone(settings.REGISTRY_TZ).date() if at else None


st.subheader("Register")
if not rows:
    st.info("The register is empty. Add the first recipient below.")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "Name": [r.name for r in rows],
                "Status": [f"Problem: {r.problem}" if r.problem else "Fine" for r in rows],
                "Country": [f"{r.country_name} ({r.country})" for r in rows],
                "EU/EEA": ["Inside" if r.inside_eea else "Outside" for r in rows],
                "Transfer mechanism": [
                    MECHANISM_LABELS.get(r.transfer_mechanism, r.transfer_mechanism) for r in rows
                ],
                "Safeguard on record": [recipient_safeguards.safeguard_record(r) for r in rows],
                "Kind": [KIND_LABELS.get(r.kind, r.kind) for r in rows],
                "Role": [labels.of(RecipientRole, r.role) for r in rows],
                "Delivers": [DELIVERY_LABELS.get(r.delivers or "", "") for r in rows],
                "Whose data": [scope_text(r) for r in rows],
                "Service": [r.service for r in rows],
                "Agreement": [r.agreement_date for r in rows],
                "Active": [r.active for r in rows],
                "Disclosures": [r.disclosures for r in rows],
                "Last disclosed": [helsinki_day(r.last_disclosed_at) for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
        # Tall enough for the whole register: it is a few dozen rows at most.
        height=min(TABLE_ROW_PX * (len(rows) + 1) + 3, TABLE_MAX_PX),
        column_config={
            "Name": st.column_config.TextColumn(pinned=True),
            "Status": st.column_config.TextColumn(width="large"),
            "Whose data": st.column_config.TextColumn(width="medium"),
            "Safeguard on record": st.column_config.TextColumn(width="medium"),
            "Agreement": st.column_config.DateColumn(format="D.M.YYYY"),
            "Last disclosed": st.column_config.DateColumn(format="D.M.YYYY"),
        },
    )


def recipient_form(key: str, current: RecipientRow | None) -> RecipientInput | None:
    """The add or edit form; returns the input when submitted. Keys carry the page prefix."""
    errors = widgets.form_errors(f"{key}_errors")
    with st.form(key, enter_to_submit=False):
        left, right = st.columns(2)
        with left:
            name = st.text_input(
                "Name", value=current.name if current else "", max_chars=settings.MAX_SHORT_TEXT
            )
            widgets.field_error(errors, "name")
            kind = st.selectbox(
                "Kind",
                list(KIND_LABELS),
                index=list(KIND_LABELS).index(current.kind) if current else 0,
                format_func=KIND_LABELS.get,
            )
            widgets.field_error(errors, "kind")
            service = st.text_input(
                "Service provided",
                value=current.service if current else "",
                max_chars=settings.MAX_SHORT_TEXT,
                placeholder="e.g. newsletter delivery, hosting, resale",
            )
            widgets.field_error(errors, "service")
        with right:
            country = st.selectbox(
                "Country",
                COUNTRY_CODES,
                index=COUNTRY_CODES.index(current.country if current else "FI"),
                format_func=lambda c: f"{country_name(c)} ({c})",
            )
            widgets.field_error(errors, "country")
            mechanism = st.selectbox(
                "Transfer mechanism",
                MECHANISMS,
                index=MECHANISMS.index(current.transfer_mechanism) if current else 0,
                format_func=MECHANISM_LABELS.get,
                help="What a transfer outside the EU/EEA relies on (GDPR Chapter V). "
                "Inside the EU/EEA none is needed.",
            )
            widgets.field_error(errors, "transfer_mechanism")
            agreement = st.date_input(
                "Agreement date",
                value=current.agreement_date if current else None,
                min_value=recipients.EARLIEST_AGREEMENT,
                max_value=deadlines.today(),
                format="DD.MM.YYYY",
            )
            widgets.field_error(errors, "agreement_date")
            is_active = st.checkbox("Active", value=current.active if current else True)
        dpf_col, tia_col, bcr_col = st.columns(3)
        with dpf_col:
            dpf_checked_on = st.date_input(
                "DPF certification checked on",
                value=current.dpf_checked_on if current else None,
                min_value=recipients.EARLIEST_AGREEMENT,
                max_value=deadlines.today(),
                format="DD.MM.YYYY",
                help="Only for the EU-US Data Privacy Framework: the day the organisation was "
                "found certified on the DPF list. Flagged when older than a year.",
            )
            widgets.field_error(errors, "dpf_checked_on")
        with tia_col:
            tia_on = st.date_input(
                "Transfer impact assessment",
                value=current.tia_on if current else None,
                min_value=recipients.EARLIEST_AGREEMENT,
                max_value=deadlines.today(),
                format="DD.MM.YYYY",
                help="Only for Standard Contractual Clauses: the date of the assessment of "
                "the recipient country's law (C-311/18). Flagged when missing.",
            )
            widgets.field_error(errors, "tia_on")
        with bcr_col:
            bcr_reference = st.text_input(
                "BCR approval reference",
                value=(current.bcr_reference or "") if current else "",
                max_chars=settings.MAX_SHORT_TEXT,
                help="Only for binding corporate rules: the approving authority's decision "
                "(Art. 47(1)). Flagged when missing.",
            )
            widgets.field_error(errors, "bcr_reference")
        role = st.selectbox(
            "Role",
            ROLES,
            index=ROLES.index(current.role) if current else 0,
            format_func=lambda role: labels.of(RecipientRole, role),
            help="A processor acts on our behalf under an Art. 28 agreement; an independent "
            "controller decides for itself what it does with the data.",
        )
        widgets.field_error(errors, "role")
        delivers = st.selectbox(
            "Delivers marketing messages",
            [None, *DELIVERY_LABELS],
            index=[None, *DELIVERY_LABELS].index(current.delivers) if current else 0,
            format_func=lambda d: "None" if d is None else DELIVERY_LABELS[d],
            help="A target list goes only to a processor that delivers that channel's "
            "messages for us (Art. 28(3)(a)).",
        )
        widgets.field_error(errors, "delivers")
        scope = st.selectbox(
            "Whose data it holds",
            SCOPES,
            index=SCOPES.index(current.scope) if current else SCOPES.index("per_disclosure"),
            format_func=lambda scope: labels.of(RecipientScope, scope),
            help="Access reports name every recipient whose scope covers the person: "
            "all persons (e.g. hosting), persons in the categories or relationships chosen "
            "below, or only the persons in its recorded disclosures.",
        )
        widgets.field_error(errors, "scope")
        cat_col, rel_col = st.columns(2)
        with cat_col:
            categories = st.multiselect(
                "Data categories",
                list(SCOPE_CATEGORY_LABELS),
                default=list(current.scope_categories) if current else [],
                format_func=SCOPE_CATEGORY_LABELS.get,
                help="Only for the scope by categories or relationships: persons with "
                "data of any of these categories.",
            )
            widgets.field_error(errors, "scope_categories")
        with rel_col:
            relationships = st.multiselect(
                "Relationships",
                list(RELATIONSHIP_LABELS),
                default=list(current.scope_relationships) if current else [],
                format_func=RELATIONSHIP_LABELS.get,
                help="Only for the scope by categories or relationships: persons "
                "connected to us in any of these ways.",
            )
            widgets.field_error(errors, "scope_relationships")
        submitted = st.form_submit_button("Save" if current else "Add recipient", type="primary")
    if not submitted:
        return None
    return RecipientInput(
        name,
        kind,
        service,
        country,
        mechanism,
        agreement,
        is_active,
        role,
        scope,
        tuple(categories),
        tuple(relationships),
        delivers,
        dpf_checked_on,
        tia_on,
        bcr_reference,
    )


def save(key: str, data: RecipientInput, recipient_id: int | None) -> None:
    with widgets.session() as s:
        try:
            if recipient_id is None:
                saved = recipients.add_recipient(s, actor, data)
            else:
                saved = recipients.update_recipient(s, actor, recipient_id, data)
        except ValidationError as e:
            st.session_state[f"{key}_errors"] = e.field_errors
        else:
            st.session_state[f"{key}_errors"] = {}
            widgets.flash(FLASH, f"Saved {widgets.plain(saved.name)}.")
            if recipient_id is None:
                # A new form key gives the next recipient empty fields.
                st.session_state["recipients_add_round"] = add_round + 1
            widgets.data_changed()
    st.rerun()


widgets.show_flash(FLASH)

add_round = st.session_state.get("recipients_add_round", 0)
add_tab, edit_tab = st.tabs(["Add a recipient", "Edit a recipient"])
with add_tab:
    if data := recipient_form(f"recipients_add_{add_round}", None):
        save(f"recipients_add_{add_round}", data, None)
with edit_tab:
    if not rows:
        st.caption("Nothing to edit yet.")
    else:
        by_id = {r.id: r for r in rows}
        chosen = st.selectbox(
            "Recipient",
            list(by_id),
            format_func=lambda i: f"{by_id[i].name} ({by_id[i].country})",
            key="recipients_edit_id",
        )
        # One form per recipient, so switching recipients shows that recipient's values.
        form_key = f"recipients_edit_{chosen}"
        if data := recipient_form(form_key, by_id[chosen]):
            save(form_key, data, chosen)
