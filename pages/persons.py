"""Persons: find a data subject, see their data as the notice groups it, amend it (Art. 16)
and tell the recipients who had received it (Art. 19).

Other pages link here with st.session_state["persons_selected_id"] (or ?person=ID) and, for a
rectification request, st.session_state["persons_request_id"] (or ?request=ID).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import widgets
from registry import amendments, notifications, persons, settings, transfers, validation
from registry.amendments import FIELD_LABELS, FORM_ERROR, AmendmentConflict
from registry.errors import NotFound, ValidationError
from registry.permissions import Permission
from registry.persons import PersonDetail

actor = widgets.require_page(Permission.VIEW_PERSON)
may_amend = actor.may(Permission.AMEND_PERSON)
ss = st.session_state

SELECTED = "persons_selected_id"
REQUEST = "persons_request_id"
VIEWED = "persons_viewed_id"  # the selection whose viewing has been audited
OPENED = "persons_form_opened"  # amendments.OpenedForm the form was filled from
ERRORS = "persons_form_errors"
CONFLICT = "persons_conflict"  # amendments.AmendmentConflict of the last save
NOTICE = "persons_notice"
TAB = "persons_tab"
TABS = ["Data", "Amend", "History and follow-up"] if may_amend else ["Data", "History"]
GENDERS = ["", "female", "male", "other"]  # what the registry holds; others can be typed


def form_key(field: str) -> str:
    return f"persons_form_{field}"


def label(value: str) -> str:
    """A stored word (email_marketing) as people write it (Email marketing)."""
    return value.replace("_", " ").capitalize()


def when(value: dt.datetime | None) -> str:
    return value.astimezone(settings.REGISTRY_TZ).strftime("%-d.%-m.%Y %H:%M") if value else ""


def day(value: dt.date | None) -> str:
    return value.strftime("%-d.%-m.%Y") if value else ""


def facts(rows: list[tuple[str, object]]) -> None:
    """Label: value lines; registry values are escaped so they show as typed."""
    lines = [f"**{name}:** {widgets.plain(value) if value else '—'}" for name, value in rows]
    st.markdown("  \n".join(lines))


# --- which person: a link from another page, the URL, or the search below ---


def adopt_links() -> None:
    """Take ?person= and ?request= when they are new; keep ?person= in step with the page."""
    for param, key in (("person", SELECTED), ("request", REQUEST)):
        raw = st.query_params.get(param)
        if raw != ss.get(f"persons_seen_{param}"):
            ss[f"persons_seen_{param}"] = raw
            if raw and raw.isdigit():
                ss[key] = int(raw)
    # Other pages may hand over ids as text; anything but an id is dropped.
    for key in (SELECTED, REQUEST):
        value = str(ss.get(key, ""))
        if value.isdigit():
            ss[key] = int(value)
        else:
            ss.pop(key, None)
    if SELECTED in ss and st.query_params.get("person") != str(ss[SELECTED]):
        st.query_params["person"] = ss["persons_seen_person"] = str(ss[SELECTED])
    # A newly linked rectification request opens the form, refilled with it preselected.
    if may_amend and ss.get(REQUEST) not in (None, ss.get("persons_request_opened")):
        ss["persons_request_opened"] = ss[REQUEST]
        ss[TAB] = "Amend"
        ss.pop(OPENED, None)


@widgets.cached
def find(text: str, role: str) -> list[persons.PersonMatch]:
    with widgets.session() as s:
        return persons.search(s, actor, text)


@widgets.cached
def employer_choices(text: str, include: tuple[int | None, ...], role: str) -> dict[int, str]:
    with widgets.session() as s:
        return amendments.employers(s, actor, text, include=include)


def pick_person() -> None:
    # Streamlit keeps a choice by its label; once a name or email changes, the old label
    # comes back as text, which is no choice of a person.
    if isinstance(choice := ss.get("persons_pick"), int):
        ss[SELECTED] = choice
        ss.pop(REQUEST, None)  # a request link belongs to the person it came with
        ss.pop("persons_request_opened", None)


adopt_links()
st.title("Persons")
st.caption(
    "Find a data subject by name, email, phone or username. Viewing a person's data is "
    "recorded in the audit trail."
)
text = st.text_input(
    "Find a person",
    key="persons_search_text",
    placeholder="Name, email, phone number or username",
    max_chars=settings.MAX_SHORT_TEXT,
)
if text.strip():
    matches = find(text, actor.role)
    if matches:
        st.selectbox(
            f"{len(matches)} matching persons"
            + (
                " (the first ones: type more to narrow)"
                if len(matches) >= settings.SEARCH_RESULTS
                else ""
            ),
            [m.id for m in matches],
            index=None,
            format_func={m.id: m.label for m in matches}.get,
            key="persons_pick",
            on_change=pick_person,
            placeholder="Choose a person",
        )
    else:
        st.info("No person's name, email, phone number or username starts with that.")

selected = ss.get(SELECTED)
if selected is None:
    st.info(
        "Find a person to see their data as the registry notice groups it.",
        icon=":material/person_search:",
    )
    st.stop()

first_view = ss.get(VIEWED) != selected
with widgets.session() as s:
    try:
        detail: PersonDetail = persons.person_detail(s, actor, selected, record_view=first_view)
    except NotFound:
        st.warning(f"There is no person #{selected} in the registry.")
        ss.pop(SELECTED, None)
        st.stop()
ss[VIEWED] = selected

st.header(widgets.plain(detail.name), anchor=False)
st.caption(
    f"Person #{detail.id} · {label(detail.relationship)} · source: "
    f"{widgets.plain(detail.source)} · added {when(detail.created_at)} · "
    f"updated {when(detail.updated_at)} · row version {detail.form.version}"
)
if notice := ss.pop(NOTICE, None):
    st.success(notice, icon=":material/check_circle:")


# --- the data, in the notice's four categories ---


def data_tab(d: PersonDetail) -> None:
    left, right = st.columns(2)
    with left.container(border=True):
        st.subheader("Basic information", anchor=False)
        address = ", ".join(
            p for p in [d.street_address, " ".join(filter(None, [d.postal_code, d.city]))] if p
        )
        facts(
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
        facts(
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
            facts(
                [
                    ("Connected as", label(d.relationship)),
                    ("Organisation", org and f"{org.name} ({org.business_id})"),
                    ("Kind, industry", org and f"{label(org.kind)}, {org.industry}"),
                    ("Customer", since if org and org.customer_since else None),
                ]
            )
        with c2:
            o = d.orders
            facts(
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
                            f"#{r.id}",
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


# --- the amendment form ---


def open_form(d: PersonDetail) -> None:
    """Fill the form from the stored values and remember the row version they were read at."""
    ss[OPENED] = d.form
    for field, value in d.form.values.items():
        ss[form_key(field)] = value
    ss[form_key("reason")] = ""
    linked = ss.get(REQUEST)
    ss[form_key("request")] = linked
    ss[ERRORS] = {}
    ss.pop(CONFLICT, None)


def submitted_values() -> dict[str, amendments.FormValue]:
    return {field: ss[form_key(field)] for field in FIELD_LABELS}


def save() -> None:
    with widgets.session() as s:
        try:
            result = amendments.amend_person(
                s,
                actor,
                ss[OPENED],
                submitted_values(),
                ss[form_key("reason")],
                ss[form_key("request")],
            )
        except ValidationError as e:
            ss[ERRORS] = e.field_errors
            return
        except AmendmentConflict as conflict:
            ss[ERRORS] = {}
            ss[CONFLICT] = conflict
            return
    widgets.data_changed()
    told = result.recipients_to_notify
    ss[NOTICE] = f"Amended: {', '.join(f.lower() for f in result.fields)}. " + (
        f"{told} recipient{'s' if told != 1 else ''} received this person's data before the "
        "change: tell them (Art. 19) and tick each below."
        if told
        else "No recipient had received this person's data before: nobody to tell."
    )
    ss.pop(OPENED, None)  # the next run refills the form from the new version
    ss.pop("persons_pick", None)  # its label may show the old name or email
    ss[TAB] = "History and follow-up"


def continue_from_current() -> None:
    """After a conflict: keep what the user changed, take everything else as stored now."""
    conflict: AmendmentConflict = ss[CONFLICT]
    for field, value in amendments.rebase(ss[OPENED], conflict.current, submitted_values()).items():
        ss[form_key(field)] = value
    ss[OPENED] = conflict.current
    ss.pop(CONFLICT, None)


def show_conflict(conflict: AmendmentConflict) -> None:
    with st.container(border=True):
        st.warning(str(conflict), icon=":material/sync_problem:")
        if conflict.fields:
            st.dataframe(
                pd.DataFrame(
                    [
                        (f.label, f.opened, f.current, f.changed_by or "", when(f.changed_at))
                        for f in conflict.fields
                    ],
                    columns=["Field", "When you opened the form", "Now", "Changed by", "When"],
                ),
                hide_index=True,
                width="stretch",
            )
        st.button(
            "Continue from the current version",
            on_click=continue_from_current,
            help="Keeps the fields you changed and takes every other field as it is stored now.",
        )


def amend_tab(d: PersonDetail) -> None:
    if ss.get(OPENED) is None or ss[OPENED].person_id != d.id:
        open_form(d)
    errors = widgets.form_errors(ERRORS)
    if conflict := ss.get(CONFLICT):
        show_conflict(conflict)
    employer_text = st.text_input(
        "Find an employer for the form",
        key="persons_employer_filter",
        placeholder="Organisation name or business ID",
        help=f"The employer list shows at most {settings.EMPLOYER_CHOICES} organisations.",
    )
    include = (ss[OPENED].values["employer"], ss.get(form_key("employer")))
    employers = employer_choices(employer_text, include, actor.role)
    countries = sorted(validation.COUNTRY_CODES | {ss[form_key("country")]} - {""})
    genders = list(dict.fromkeys([*GENDERS, ss[form_key("gender")] or ""]))
    linked = ss.get(REQUEST)
    requests = {
        r.id: f"#{r.id} · received {day(r.received_on)} · {label(r.status)}"
        for r in d.requests
        if r.kind == "rectification"
    }
    if linked is not None and linked not in requests:
        requests[linked] = f"#{linked}"

    with st.form("persons_amend_form", enter_to_submit=False):
        st.caption(
            "Change what is incorrect and say why. Each changed field is kept in the history "
            "with its old value."
        )
        widgets.field_error(errors, FORM_ERROR)

        def text(field: str, limit: int, column: DeltaGenerator | None = None) -> None:
            with column or st.container():
                st.text_input(FIELD_LABELS[field], key=form_key(field), max_chars=limit)
                widgets.field_error(errors, field)

        c1, c2 = st.columns(2)
        text("first_name", settings.MAX_NAME_LENGTH, c1)
        text("last_name", settings.MAX_NAME_LENGTH, c2)
        text("email", settings.MAX_EMAIL_LENGTH, c1)
        text("phone", settings.MAX_SHORT_TEXT, c2)
        text("street_address", settings.MAX_SHORT_TEXT)
        c1, c2, c3 = st.columns(3)
        text("postal_code", settings.MAX_SHORT_TEXT, c1)
        text("city", settings.MAX_NAME_LENGTH, c2)
        with c3:
            st.selectbox(
                FIELD_LABELS["country"],
                countries,
                key=form_key("country"),
                format_func=lambda c: f"{c} · {transfers.country_name(c)}",
            )
            widgets.field_error(errors, "country")
        c1, c2, c3 = st.columns(3)
        text("position", settings.MAX_NAME_LENGTH, c1)
        with c2:
            st.selectbox(
                FIELD_LABELS["employer"],
                [None, *employers],
                key=form_key("employer"),
                format_func=lambda i: "No employer" if i is None else employers.get(i, f"#{i}"),
                placeholder="No employer",
            )
            widgets.field_error(errors, "employer")
        with c3:
            st.selectbox(
                FIELD_LABELS["gender"],
                genders,
                key=form_key("gender"),
                format_func=lambda g: label(g) if g else "Not stated",
                accept_new_options=True,
            )
            widgets.field_error(errors, "gender")
        st.text_area(
            "Reason for the amendment",
            key=form_key("reason"),
            max_chars=settings.MAX_LONG_TEXT,
            placeholder="e.g. The person wrote on 3 May that the email address is wrong.",
        )
        widgets.field_error(errors, "reason")
        st.selectbox(
            "Rectification request (optional)",
            [None, *requests],
            key=form_key("request"),
            format_func=lambda r: "No linked request" if r is None else requests[r],
            placeholder="No linked request",
        )
        widgets.field_error(errors, "request")
        st.form_submit_button("Save amendment", type="primary", on_click=save)


# --- the history, and the recipients to tell ---


def notify(change_id: int, recipient_id: int, name: str) -> None:
    with widgets.session() as s:
        try:
            notifications.mark_notified(s, actor, change_id, recipient_id)
        except ValidationError as e:
            ss[NOTICE] = "; ".join(e.field_errors.values())
            return
    widgets.data_changed()
    ss[NOTICE] = f"Recorded that {name} was told of the change."


def history_tab(d: PersonDetail) -> None:
    st.subheader("Amendment history", anchor=False)
    with widgets.session() as s:
        page_number = int(ss.get("persons_history_page", 1))
        page = amendments.history(
            s, actor, d.id, limit=settings.PAGE_SIZE, offset=(page_number - 1) * settings.PAGE_SIZE
        )
        follow_ups = notifications.follow_ups(s, actor, d.id)
    if not page.total:
        st.info("This person's data has not been amended.")
        return
    total_pages = -(-page.total // settings.PAGE_SIZE)
    st.dataframe(
        pd.DataFrame(
            [
                (
                    when(r.amended_at),
                    r.amended_by,
                    r.label,
                    r.old_value or "",
                    r.new_value or "",
                    r.reason,
                    f"#{r.request_id}" if r.request_id else "",
                )
                for r in page.rows
            ],
            columns=["When", "Who", "Field", "Old value", "New value", "Reason", "Request"],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Field": st.column_config.TextColumn(width="small"),
            "Reason": st.column_config.TextColumn(width="large"),
            "Request": st.column_config.TextColumn(width="small"),
        },
    )
    if total_pages > 1:
        st.number_input(
            f"Page (of {total_pages}, {page.total:,} amendments)",
            min_value=1,
            max_value=total_pages,
            key="persons_history_page",
        )

    st.subheader("Tell the recipients (Art. 19)", anchor=False)
    st.caption(
        "Each recipient that received this person's data before a change must be told of it. "
        "Tick a recipient once they have been told; the tick is stored and audited."
    )
    options = {f.change_id: f for f in follow_ups}
    change_id = st.selectbox(
        "Amendment",
        list(options),
        # Labels that do not change with the ticks, so the choice survives them.
        format_func=lambda c: (
            f"{when(options[c].amended_at)} · {', '.join(options[c].fields)} · "
            f"by {options[c].amended_by}"
        ),
        # Keyed by the newest save, so that a new save opens on its own follow-up.
        key=f"persons_follow_up_change_{follow_ups[0].change_id}",
    )
    follow_up = options[change_id]
    if not follow_up.recipients:
        st.success(
            "No recipient had received this person's data before this change: nobody to tell."
        )
        return
    told = len(follow_up.recipients) - follow_up.pending
    st.caption(f"{told} of {len(follow_up.recipients)} recipients told of this change.")
    header = st.columns([1, 3, 2, 2, 3, 3])
    for column, title in zip(
        header,
        ["Told", "Recipient", "Country", "Disclosures", "Data categories", "Recorded"],
        strict=True,
    ):
        column.markdown(f"**{title}**")
    for r in follow_up.recipients:
        row = st.columns([1, 3, 2, 2, 3, 3], vertical_alignment="center")
        row[0].checkbox(
            f"Told {r.name}",
            value=r.notified_at is not None,
            disabled=r.notified_at is not None or not may_amend,
            # A new key once told: the ticked, locked box is another widget than the open one.
            key=f"persons_told_{change_id}_{r.recipient_id}_{r.notified_at is not None}",
            on_change=notify,
            args=(change_id, r.recipient_id, r.name),
            label_visibility="collapsed",
        )
        row[1].markdown(
            widgets.plain(r.name)
            + (" :orange-badge[outside the EU/EEA]" if r.third_country else "")
        )
        row[2].markdown(widgets.plain(transfers.country_name(r.country)))
        last = r.last_disclosed_at.astimezone(settings.REGISTRY_TZ).date()
        row[3].markdown(f"{r.disclosures} (last {day(last)})")
        row[4].markdown(widgets.plain(", ".join(label(c) for c in r.data_categories)))
        row[5].markdown(
            widgets.plain(f"{when(r.notified_at)} by {r.notified_by}") if r.notified_at else "—"
        )


if TAB in ss and ss[TAB] not in TABS:
    ss.pop(TAB)
# Tracked so a save can switch to the history; every tab is drawn on every run, so the
# form keeps its input while another tab is open.
tabs = st.tabs(TABS, key=TAB, on_change="rerun")
with tabs[0]:
    data_tab(detail)
if may_amend:
    with tabs[1]:
        amend_tab(detail)
with tabs[-1]:
    history_tab(detail)
