"""Registry notice: the declaration (data/registry.toml) as the notice reads, and its check."""

import streamlit as st
from sqlalchemy.orm import Session

from registry import deadlines, declaration_check, notice
from registry.declaration_check import DeclarationCheck, Finding
from registry.disclosures import LEGAL_BASES
from registry.permissions import Actor, Permission
from registry.transfers import MECHANISM_LABELS, country_name, transfer_problem
from views import widgets

actor = widgets.require_page(Permission.VIEW_NOTICE)
st.title("Registry notice")

d = notice.declaration()
st.caption(
    f"{d.registry_name}: the privacy notice as declared in data/registry.toml, and below it a "
    "check of the declaration against the registry's live data."
)

RIGHT_LABELS = {
    "access": "Access: check what data is held (Art. 15)",
    "rectification": "Rectification of incorrect data (Art. 16)",
    "erasure": "Erasure (Art. 17)",
    "restriction": "Restriction of processing (Art. 18)",
    "objection": "Objection, also to direct marketing (Art. 21)",
    "portability": "Data portability (Art. 20)",
    "withdraw_consent": "Withdrawal of consent at any time (Art. 7(3))",
    "complaint_to_authority": "Complaint to the supervisory authority (Art. 77)",
}
SAFEGUARD_LABELS = {**MECHANISM_LABELS, "scc": "Standard Contractual Clauses (set not named)"}
NOT_STATED = "*Not stated in the notice.*"
STATED = ":green[:material/check_circle:]"
MISSING = ":red[:material/cancel:]"


def safeguard(key: str) -> str:
    """The safeguard's name, marked in red with the reason where it is not valid today."""
    label = SAFEGUARD_LABELS.get(key, key)
    if key not in MECHANISM_LABELS or not d.third_countries:
        return label
    problem = transfer_problem(d.third_countries[0], key, deadlines.today())
    return f"{label} {MISSING} :red[{problem}]" if problem else label


notice_tab, check_tab = st.tabs(["Notice", "Check against the live data"])

with notice_tab:
    left, right = st.columns(2)
    with left:
        st.subheader("Controller")
        st.markdown(f"**{d.controller.name}**  \n{d.controller.address}  \n{d.controller.email}")
    with right:
        st.subheader("Contact person")
        st.markdown(f"**{d.contact.name}**  \n{d.contact.email}")

    st.subheader("Purposes of the filing system")
    for p in d.purposes:
        st.markdown(f"- {p.text}")
        bases = ", ".join(LEGAL_BASES.get(b, b) for b in p.legal_bases)
        st.caption(f"Legal basis: {bases or 'not stated.'}")
        if p.profiling:
            st.caption(f"How the profiling works: {p.profiling_logic or 'not stated.'}")
    st.markdown("**Legal basis:** " + (", ".join(d.legal_bases) or NOT_STATED))

    st.subheader("Data subjects and information categories")
    st.markdown("\n".join(f"- {s.text}" for s in d.data_subjects))
    st.markdown("\n".join(f"- {c.text}" for c in d.data_categories))

    st.subheader("Regular sources of information")
    st.markdown("\n".join(f"- {s}" for s in d.sources))

    st.subheader("Regular disclosure of information")
    for c in d.recipient_categories:
        places = ", ".join(country_name(code) for code in c.countries)
        st.markdown(f"- {c.text}  \n  *Countries:* {places}")
    st.markdown(
        "**Transfers outside the EU/EEA:** "
        + (", ".join(country_name(c) for c in d.third_countries) or "none declared")
    )
    st.markdown(
        "**Safeguards named:** "
        + (", ".join(safeguard(s) for s in d.declared_safeguards) or NOT_STATED)
    )

    st.subheader("Retention")
    # The schedule the controller decided ([retention]); the notice itself states none.
    st.caption(f"Decided by {d.retention.decided_by}; applied by the retention schedule.")
    st.markdown(
        "\n".join(
            f"- **{r.what}**: {d.retention_period_of(r)} after {r.starts}.  \n  *Why:* {r.reason}"
            for r in d.retention.rules
        )
    )

    st.subheader("Rights of the data subject")
    st.markdown(
        "\n".join(
            f"- {STATED if d.rights.get(key) else MISSING + ' not stated:'} {label}"
            for key, label in RIGHT_LABELS.items()
        )
    )
    st.markdown(f"**How to make a request:** {d.request_form}")
    authority = d.supervisory_authority
    st.markdown(
        f"**Supervisory authority:** {authority.name}, {authority.address}, "
        f"{d.supervisory_authority_website}"
    )


@widgets.cached_read(Permission.VIEW_NOTICE)
def live_check(s: Session, actor: Actor) -> DeclarationCheck:
    # Aggregates over recipients and distinct values only: the same for every role.
    return declaration_check.check(s, actor, d)


def findings(title: str, items: list[Finding], none: str) -> None:
    st.markdown(f"**{title}**")
    if not items:
        st.markdown(f"{STATED} {none}")
    for f in items:
        st.markdown(f"- {f.text}" + (f" *({f.article})*" if f.article else ""))


with check_tab:
    result = live_check()
    cards = st.columns(2)
    with cards[0]:
        widgets.metric_card(
            "Live data the declaration does not cover",
            result.live_data_findings,
            help="Recipients, countries, safeguards, data categories and groups of persons "
            "that the registry uses but the declaration does not name.",
        )
    with cards[1]:
        widgets.metric_card(
            "Art. 13/14 items the declaration lacks",
            len(result.missing_items),
            help="What the GDPR requires a privacy notice to state that this one does not.",
        )
    st.subheader("The disclosure log against the declared recipients")
    findings(
        "Recipients",
        result.recipients,
        "Every recipient in the log belongs to a declared category and country.",
    )
    findings("Countries", result.countries, "Every destination country is declared.")
    findings(
        "Transfer safeguards",
        result.safeguards,
        "Every third-country transfer relies on a safeguard the declaration names.",
    )
    st.subheader("Data held against the declared categories")
    findings("Information categories", result.data_categories, "Every category held is listed.")
    findings("Groups of data subjects", result.data_subjects, "Every group held is named.")
    st.subheader("What Art. 13/14 requires that the declaration lacks")
    for f in result.missing_items:
        st.markdown(f"- **{f.article}**: {f.text}")
