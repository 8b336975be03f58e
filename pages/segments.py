"""Segments: browse built-in segments, build and save your own, see who is in them, and export
consent-clean target lists. Every figure and write comes from registry.segments and
registry.export; this page reads input and draws."""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

import widgets
from registry import consent, deadlines, export, filters, regions, settings
from registry.errors import ConflictError, NotFound, ValidationError
from registry.filters import CHANNEL_LABELS, FIELDS
from registry.permissions import Permission
from registry.segments import catalogue, composition, counting, member_list, saving
from registry.vocabulary import Channel, ConsentStatus

actor = widgets.require_page(Permission.VIEW_SEGMENTS)

SELECTED_KEY = "segments_selected"
SELECT_NEXT_KEY = "segments_select_next"  # a segment to select on the next run
TAB_KEY = "segments_tab"
BUILDER_KEY = "segments_builder_filters"  # the definition the builder holds
EDITING_KEY = "segments_builder_editing"  # the saved segment being edited, or None
BUILDER_FORM_KEY = "segments_builder_form"  # bumped to redraw the builder with new values
BUILDER_ERRORS = "segments_builder_errors"
SAVE_ERRORS = "segments_save_errors"
FLASH_KEY = "segments_flash"
PAGE_KEY = "segments_members_page"
MEMBERS_QUERY_KEY = "segments_members_query"
EXPORT_KEY = "segments_export_request"
EXPORT_ERRORS = "segments_export_errors"
# Members first: the cheapest view of a million persons opens the page; charts are a click away.
TABS = ("Members", "Composition", "Builder", "Export", "All segments")

STATUS_COLOURS = {
    consent.STATUS_LABELS[ConsentStatus.GRANTED]: "#2e7d32",
    consent.STATUS_LABELS[ConsentStatus.WITHDRAWN]: "#ef6c00",
    consent.STATUS_LABELS[ConsentStatus.OBJECTED]: "#c62828",
    consent.STATUS_LABELS[ConsentStatus.NEVER_ASKED]: "#b0b7c3",
}
CUSTOMER_COLOURS = {
    filters.CUSTOMER_STATUSES["current"]: "#1f5fbf",
    filters.CUSTOMER_STATUSES["past"]: "#8fb3e8",
    filters.CUSTOMER_STATUSES["none"]: "#b0b7c3",
}
CHANNEL_ORDER = [CHANNEL_LABELS[c] for c in Channel]
SHORT_STATUS = {
    ConsentStatus.GRANTED: "✓ granted",
    ConsentStatus.WITHDRAWN: "withdrawn",
    ConsentStatus.OBJECTED: "objected",
    ConsentStatus.NEVER_ASKED: "–",
}
TARGETABLE_HELP = (
    "Members whose current consent for the channel is a grant and who have the contact "
    "detail it needs (email address, phone number, postal address or app account)."
)


def today_iso() -> str:
    return deadlines.today().isoformat()


# --- cached reads: aggregates and segment lists, keyed by everything that changes them ---
# (the database, the definition, the Helsinki day; a write here clears them all)


@widgets.cached
def builtin_choices(database: str, day: str) -> list[catalogue.SegmentChoice]:
    with widgets.session() as s:
        return catalogue.builtin_segments(s, actor)


def saved_choices() -> list[catalogue.SegmentChoice]:
    # Not cached: a small table, and a colleague's new segment should show at once.
    with widgets.session() as s:
        return catalogue.saved_segments(s, actor)


@widgets.cached
def summary_of(database: str, definition: str, day: str) -> counting.Summary:
    with widgets.session() as s:
        return counting.summary(s, actor, json.loads(definition), dt.date.fromisoformat(day))


@widgets.cached
def members_page(
    database: str,
    definition: str,
    sort: str,
    descending: bool,
    search: str,
    page: int,
    day: str,
    size: int,
) -> member_list.MemberPage:
    with widgets.session() as s:
        return member_list.members(
            s,
            actor,
            json.loads(definition),
            sort=sort,
            descending=descending,
            search=search,
            limit=settings.PAGE_SIZE,
            offset=page * settings.PAGE_SIZE,
            today=dt.date.fromisoformat(day),
            size=size,
        )


@widgets.cached
def composition_of(database: str, definition: str, day: str) -> composition.Composition:
    with widgets.session() as s:
        return composition.composition(s, actor, json.loads(definition), dt.date.fromisoformat(day))


@widgets.cached
def overview_of(database: str, day: str) -> list[counting.BuiltinRow]:
    with widgets.session() as s:
        return counting.builtin_overview(s, actor, dt.date.fromisoformat(day))


@widgets.cached
def preview_of(database: str, definition: str, channel: str, day: str) -> export.ExportPreview:
    with widgets.session() as s:
        return export.preview(s, actor, json.loads(definition), channel, dt.date.fromisoformat(day))


def flash() -> None:
    if message := st.session_state.pop(FLASH_KEY, None):
        st.success(message, icon=":material/check_circle:")


# --- which segment ----------------------------------------------------------------------

st.title("Segments")
st.caption(
    "Target groups built from the registry's purchasing, transaction and location data. "
    "Counts and exports leave out, at once, everyone who withdrew consent or objected "
    "(Art. 7(3), Art. 21)."
)
flash()

day = today_iso()
database = widgets.database().url
choices = {c.key: c for c in [*builtin_choices(database, day), *saved_choices()]}
if (pending := st.session_state.pop(SELECT_NEXT_KEY, None)) in choices:
    st.session_state[SELECTED_KEY] = pending
if st.session_state.get(SELECTED_KEY) not in choices:
    st.session_state[SELECTED_KEY] = "builtin:everyone"
order = ["Registry", "Saved", *dict.fromkeys(c.group for c in choices.values())]
keys = sorted(choices, key=lambda k: order.index(choices[k].group))
selected_key = st.selectbox(
    "Segment",
    keys,
    format_func=lambda k: choices[k].label,
    key=SELECTED_KEY,
    help="Built-in segments come from the registry; saved ones from the builder.",
)
choice = choices[selected_key]
if choice.problem:
    st.error(f"This saved segment cannot be counted. {choice.problem}")
    st.stop()
definition_key = choice.definition.key()

st.markdown(widgets.plain(choice.definition.sentence()))
if choice.segment_id is not None:
    updated = choice.updated_at.astimezone(settings.REGISTRY_TZ) if choice.updated_at else None
    st.caption(
        widgets.plain(
            f"Saved by {choice.owner}"
            + (f", changed {updated:%Y-%m-%d %H:%M}" if updated else "")
            + (f". {choice.description}" if choice.description else "")
        )
    )

summary = summary_of(database, definition_key, day)
columns = st.columns(1 + len(Channel))
with columns[0]:
    widgets.metric_card("Members", f"{summary.members:,}")
for column, channel in zip(columns[1:], Channel, strict=True):
    with column:
        widgets.metric_card(
            CHANNEL_LABELS[channel], f"{summary.targetable[channel]:,}", help=TARGETABLE_HELP
        )
st.caption(
    "Per channel: members who may be contacted there today (a current grant) and can be "
    "reached (the contact detail the channel needs)."
)
if choice.definition.profiling:
    st.info(
        f"Built on orders or behaviour (profiling): {summary.refused_profiling:,} persons "
        "who match but withdrew from or objected to profiling are left out.",
        icon=":material/privacy_tip:",
    )

tabs = dict(zip(TABS, st.tabs(TABS, key=TAB_KEY, on_change="rerun"), strict=True))


# --- composition ------------------------------------------------------------------------


def bar(data: dict[Any, int], x: str, y: str, **kw: Any) -> Any:
    frame = pd.DataFrame(list(data.items()), columns=[y, x])
    figure = px.bar(frame, x=x, y=y, orientation="h", **kw)
    figure.update_layout(
        height=max(220, 28 * len(frame) + 80),
        margin={"l": 0, "r": 10, "t": 10, "b": 0},
        yaxis={"categoryorder": "array", "categoryarray": list(frame[y])[::-1], "title": None},
    )
    return figure


with tabs["Composition"]:
    if tabs["Composition"].open and summary.members == 0:
        st.info("Nobody is in this segment today.")
    elif tabs["Composition"].open:
        c = composition_of(database, definition_key, day)
        left, right = st.columns(2)
        with left, st.container(border=True):
            st.markdown("**By region**")
            st.plotly_chart(bar(c.by_place, "members", "region"), width="stretch")
        with right, st.container(border=True):
            st.markdown("**Consent per channel**")
            rows = [
                (CHANNEL_LABELS[ch], consent.STATUS_LABELS[s], n)
                for ch, counts in c.consent.items()
                for s, n in counts.items()
            ]
            frame = pd.DataFrame(rows, columns=["channel", "status", "members"])
            figure = px.bar(
                frame,
                x="members",
                y="channel",
                color="status",
                orientation="h",
                color_discrete_map=STATUS_COLOURS,
                category_orders={"status": list(STATUS_COLOURS), "channel": CHANNEL_ORDER},
            )
            figure.update_layout(
                height=320,
                margin={"l": 0, "r": 10, "t": 10, "b": 0},
                legend={"orientation": "h", "y": -0.2, "title": None},
                yaxis={"title": None},
            )
            st.plotly_chart(figure, width="stretch")
        left, right = st.columns(2)
        with left, st.container(border=True):
            st.markdown("**Lifecycle**")
            frame = pd.DataFrame(
                [(r, s, n) for (r, s), n in c.by_lifecycle.items()],
                columns=["relationship", "customer status", "members"],
            )
            figure = px.bar(
                frame,
                x="members",
                y="relationship",
                color="customer status",
                orientation="h",
                color_discrete_map=CUSTOMER_COLOURS,
                category_orders={"customer status": list(CUSTOMER_COLOURS)},
            )
            figure.update_layout(
                height=300,
                margin={"l": 0, "r": 10, "t": 10, "b": 0},
                legend={"orientation": "h", "y": -0.25, "title": None},
                yaxis={"title": None},
            )
            st.plotly_chart(figure, width="stretch")
        with right, st.container(border=True):
            st.markdown("**Order value band** (recency, frequency and value of orders)")
            st.plotly_chart(bar(c.by_value_band, "members", "band"), width="stretch")
        left, right = st.columns(2)
        with left, st.container(border=True):
            st.markdown("**Industry**")
            top = dict(list(c.by_industry.items())[: settings.SEGMENT_TOP_POSITIONS])
            st.plotly_chart(bar(top, "members", "industry"), width="stretch")
        with right, st.container(border=True):
            st.markdown("**Segment size over time**")
            months = pd.DataFrame(c.added_per_month, columns=["month", "joined"])
            months["members"] = months["joined"].cumsum()
            figure = px.area(months, x="month", y="members")
            figure.update_layout(height=300, margin={"l": 0, "r": 10, "t": 10, "b": 0})
            st.plotly_chart(figure, width="stretch")
            st.caption(
                "Today's members by the month they entered the registry, added up: how the "
                "segment as defined today has grown."
            )


# --- members ----------------------------------------------------------------------------

with tabs["Members"]:
    if tabs["Members"].open:
        query = st.session_state.setdefault(
            MEMBERS_QUERY_KEY, {"search": "", "sort": "name", "descending": False}
        )
        with st.form("segments_members_form"):
            search_col, sort_col, order_col = st.columns([3, 2, 1])
            search = search_col.text_input(
                "Find by name, organisation or city",
                value=query["search"],
                max_chars=settings.MAX_SHORT_TEXT,
            )
            sort = sort_col.selectbox(
                "Sort by",
                list(member_list.MEMBER_SORTS),
                index=list(member_list.MEMBER_SORTS).index(query["sort"]),
                format_func=lambda k: member_list.MEMBER_SORTS[k][0],
            )
            descending = order_col.toggle("Descending", value=query["descending"])
            if st.form_submit_button("Show"):
                st.session_state[MEMBERS_QUERY_KEY] = query = {
                    "search": search,
                    "sort": sort,
                    "descending": descending,
                }
                st.session_state[PAGE_KEY] = 0
        page_index = st.session_state.get(PAGE_KEY, 0)
        page = members_page(
            database,
            definition_key,
            query["sort"],
            query["descending"],
            query["search"],
            page_index,
            day,
            summary.members,
        )
        pages = max(1, -(-page.total // settings.PAGE_SIZE))
        frame = pd.DataFrame(
            [
                {
                    "Name": m.name,
                    "Organisation": m.organisation,
                    "Position": m.position,
                    "City": m.city,
                    "Country": regions.country_label(m.country),
                    **{
                        CHANNEL_LABELS[ch]: SHORT_STATUS[status] for ch, status in m.consent.items()
                    },
                }
                for m in page.members
            ]
        )
        if frame.empty:
            st.info("No members match.")
        else:
            st.dataframe(
                frame.fillna(""),
                hide_index=True,
                width="stretch",
                height=35 * (len(frame) + 1) + 3,
                column_config={
                    "Name": st.column_config.TextColumn(width="medium"),
                    **{
                        CHANNEL_LABELS[c]: st.column_config.TextColumn(width="small")
                        for c in Channel
                    },
                },
            )
        previous, where, following = st.columns([1, 3, 1])
        if previous.button("Previous", disabled=page_index == 0, width="stretch"):
            st.session_state[PAGE_KEY] = page_index - 1
            st.rerun()
        where.markdown(
            f"Page {page_index + 1:,} of {pages:,} · {page.total:,} members",
            text_alignment="center",
        )
        if following.button("Next", disabled=page_index + 1 >= pages, width="stretch"):
            st.session_state[PAGE_KEY] = page_index + 1
            st.rerun()
        st.caption(
            "Consent per channel is the person's current status: the latest event wins. "
            "Only what marketing needs is shown; contact details leave only in an export."
        )


# --- builder ----------------------------------------------------------------------------


def start_builder(raw: list[dict[str, Any]], editing: int | None) -> None:
    st.session_state[BUILDER_KEY] = raw
    st.session_state[EDITING_KEY] = editing
    st.session_state[BUILDER_FORM_KEY] = st.session_state.get(BUILDER_FORM_KEY, 0) + 1
    st.session_state[BUILDER_ERRORS] = {}
    st.session_state[SAVE_ERRORS] = {}


def range_inputs(name: str, ranges: dict[str, tuple[Any, Any]], form: int) -> tuple[Any, Any]:
    spec = FIELDS[name]
    low, high = ranges.get(name, (None, None))
    unit = {"money": " (€)"}.get(spec.kind, "")
    step = 100.0 if spec.kind == "money" else 1
    st.markdown(f"{spec.label.capitalize()}{unit}")
    left, right = st.columns(2)
    cast = float if spec.kind == "money" else int
    minimum = left.number_input(
        f"{spec.label.capitalize()}: at least",
        min_value=cast(0),
        value=None if low is None else cast(low),
        step=step,
        key=f"segments_builder_{name}_min_{form}",
        placeholder="at least",
        label_visibility="collapsed",
    )
    maximum = right.number_input(
        f"{spec.label.capitalize()}: at most",
        min_value=cast(0),
        value=None if high is None else cast(high),
        step=step,
        key=f"segments_builder_{name}_max_{form}",
        placeholder="at most",
        label_visibility="collapsed",
    )
    return minimum, maximum


with tabs["Builder"]:
    if tabs["Builder"].open:
        raw = st.session_state.setdefault(BUILDER_KEY, [])
        editing = st.session_state.get(EDITING_KEY)
        mine = choice.segment_id is not None and choice.owner_id == actor.user_id
        new_col, copy_col, edit_col = st.columns(3)
        if new_col.button("Start a new segment", width="stretch"):
            start_builder([], None)
            st.rerun()
        if copy_col.button("Copy the selected segment", width="stretch"):
            start_builder(choice.definition.as_list(), None)
            st.rerun()
        if edit_col.button(
            "Edit the selected segment",
            disabled=not mine,
            width="stretch",
            help=None if mine else "Only your own saved segments can be edited.",
        ):
            start_builder(choice.definition.as_list(), choice.segment_id)
            st.rerun()
        saved_by_id = {c.segment_id: c for c in choices.values() if c.segment_id is not None}
        if editing is not None and editing in saved_by_id:
            st.markdown(f"Editing **{widgets.plain(saved_by_id[editing].title)}**")
        chosen, ranges, kept = filters.builder_values(raw)
        errors = widgets.form_errors(BUILDER_ERRORS)
        form = st.session_state.get(BUILDER_FORM_KEY, 0)
        industries = [c.title for c in choices.values() if c.group == "Industry"]
        positions = [c.title for c in choices.values() if c.group == "Position"]
        countries = sorted(set(regions.COUNTRY_NAMES) | set(chosen.get("country", [])))

        def multiselect(name: str, options: list[str], **kw: Any) -> list[str]:
            spec = FIELDS[name]
            options = list(dict.fromkeys([*options, *chosen.get(name, [])]))
            picked = st.multiselect(
                spec.label.capitalize(),
                options,
                default=chosen.get(name, []),
                format_func=lambda v: (spec.choices or {}).get(v) or spec.value_label(v),
                key=f"segments_builder_{name}_{form}",
                **kw,
            )
            widgets.field_error(errors, name)
            return picked

        with st.form("segments_builder"):
            picked: dict[str, list[str]] = {}
            bounds: dict[str, tuple[Any, Any]] = {}
            who, where = st.columns(2)
            with who, st.container(border=True):
                st.markdown("**Who**")
                picked["relationship"] = multiselect(
                    "relationship", list(FIELDS["relationship"].choices or {})
                )
                picked["customer_status"] = multiselect(
                    "customer_status", list(filters.CUSTOMER_STATUSES)
                )
                picked["industry"] = multiselect("industry", industries)
                picked["position"] = multiselect("position", positions, accept_new_options=True)
            with where, st.container(border=True):
                st.markdown("**Where**")
                picked["area"] = multiselect("area", list(regions.AREAS))
                picked["region"] = multiselect("region", list(regions.REGIONS))
                picked["country"] = multiselect("country", countries)
            orders, behaviour = st.columns(2)
            with orders, st.container(border=True):
                st.markdown("**Orders** (profiling)")
                picked["value_band"] = multiselect("value_band", list(filters.VALUE_BANDS))
                for name in ("order_count", "order_total_eur", "last_order_days"):
                    bounds[name] = range_inputs(name, ranges, form)
                    widgets.field_error(errors, name)
            with behaviour, st.container(border=True):
                st.markdown("**Behaviour** (profiling)")
                picked["engagement"] = multiselect("engagement", list(filters.ENGAGEMENT))
                for name in (
                    "last_app_use_days",
                    "last_newsletter_open_days",
                    "last_event_days",
                    "last_website_visit_days",
                ):
                    bounds[name] = range_inputs(name, ranges, form)
                    widgets.field_error(errors, name)
            with st.container(border=True):
                st.markdown("**Consent** (current status for a channel)")
                consent_cols = st.columns(3)
                for i, channel in enumerate(Channel):
                    with consent_cols[i % 3]:
                        picked[f"consent_{channel.value}"] = multiselect(
                            f"consent_{channel.value}", list(FIELDS["consent_email"].choices or {})
                        )
            if kept:
                st.caption(
                    widgets.plain(
                        "Also kept, as the builder cannot show them: "
                        + "; ".join(f.sentence() for f in kept)
                    )
                )
            widgets.field_error(errors, "definition")
            counted = st.form_submit_button("Count", type="primary")
        if counted:
            candidate = filters.builder_definition(picked, bounds) + [f.as_dict() for f in kept]
            try:
                built = filters.parse_definition(candidate)
            except ValidationError as e:
                st.session_state[BUILDER_ERRORS] = e.field_errors
                st.rerun()
            st.session_state[BUILDER_KEY] = raw = built.as_list()
            st.session_state[BUILDER_ERRORS] = {}
            st.rerun()

        built = filters.parse_definition(raw)
        with st.container(border=True):
            st.markdown(widgets.plain(built.sentence()))
            size = summary_of(database, built.key(), day)
            size_cols = st.columns(1 + len(Channel))
            size_cols[0].metric("Members", f"{size.members:,}")
            for column, channel in zip(size_cols[1:], Channel, strict=True):
                column.metric(CHANNEL_LABELS[channel], f"{size.targetable[channel]:,}")
            if built.profiling:
                st.caption(
                    f"Profiling: {size.refused_profiling:,} who refused profiling are left out."
                )

        save_errors = widgets.form_errors(SAVE_ERRORS)
        editing_choice = saved_by_id.get(editing) if editing is not None else None
        with st.form("segments_save"):
            st.markdown("**Save these filters**" if editing_choice is None else "**Save changes**")
            name = st.text_input(
                "Name",
                value=editing_choice.title if editing_choice else "",
                max_chars=settings.MAX_NAME_LENGTH,
                key=f"segments_save_name_{form}",
            )
            widgets.field_error(save_errors, "name")
            description = st.text_area(
                "Description",
                value=editing_choice.description if editing_choice else "",
                key=f"segments_save_description_{form}",
                help=f"At most {settings.MAX_LONG_TEXT:,} characters.",
            )
            widgets.field_error(save_errors, "description")
            widgets.field_error(save_errors, "definition")
            widgets.field_error(save_errors, "segment")
            save_col, delete_col = st.columns([3, 1])
            saved = save_col.form_submit_button(
                "Save as a new segment" if editing_choice is None else "Save changes",
                type="primary",
            )
            confirm = delete_col.checkbox(
                "Delete it", disabled=editing_choice is None, key=f"segments_delete_{form}"
            )
            deleted = delete_col.form_submit_button("Delete", disabled=editing_choice is None)
        if saved:
            try:
                with widgets.session() as s:
                    if editing_choice is None:
                        segment = saving.save_segment(s, actor, name, description, raw)
                    else:
                        segment = saving.update_segment(
                            s,
                            actor,
                            editing_choice.segment_id,
                            name,
                            description,
                            raw,
                            expected_updated_at=editing_choice.updated_at,
                        )
            except ValidationError as e:
                st.session_state[SAVE_ERRORS] = e.field_errors
                st.rerun()
            except (ConflictError, NotFound) as e:
                st.session_state[SAVE_ERRORS] = {"segment": str(e)}
                st.rerun()
            widgets.data_changed()
            st.session_state[SAVE_ERRORS] = {}
            st.session_state[EDITING_KEY] = segment.id
            st.session_state[SELECT_NEXT_KEY] = f"saved:{segment.id}"
            st.session_state[FLASH_KEY] = f"Saved the segment {segment.name}."
            st.rerun()
        if deleted and editing_choice is not None:
            if not confirm:
                st.session_state[SAVE_ERRORS] = {"segment": "Tick “Delete it” to confirm."}
                st.rerun()
            try:
                with widgets.session() as s:
                    saving.delete_segment(s, actor, editing_choice.segment_id)
            except ValidationError as e:
                st.session_state[SAVE_ERRORS] = e.field_errors
                st.rerun()
            except NotFound as e:
                st.session_state[SAVE_ERRORS] = {"segment": str(e)}
                st.rerun()
            widgets.data_changed()
            start_builder([], None)
            st.session_state[SELECT_NEXT_KEY] = "builtin:everyone"
            st.session_state[FLASH_KEY] = f"Deleted the segment {editing_choice.title}."
            st.rerun()


# --- export -----------------------------------------------------------------------------


def export_file(request: dict[str, Any], target: catalogue.SegmentChoice) -> bytes:
    """Runs when the download is clicked: the export is recorded as it is written. The domain
    streams the rows to a temporary file; Streamlit serves the finished file's bytes."""
    with tempfile.TemporaryFile() as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        with widgets.session() as s:
            export.export_target_list(
                s, actor, target, request["channel"], request["recipient"], request["purpose"], text
            )
        text.detach()  # flushes, and leaves the file to the with block
        spool.seek(0)
        data = spool.read()
    widgets.data_changed()
    return data


with tabs["Export"]:
    if tabs["Export"].open and not actor.may(Permission.EXPORT_TARGET_LIST):
        st.info(f"The {actor.role} role may not export target lists.")
    elif tabs["Export"].open:
        with widgets.session() as s:
            recipients = {r.id: r for r in export.recipients(s, actor)}
            recent = export.recent_exports(s, actor)
        export_errors = widgets.form_errors(EXPORT_ERRORS)
        request = st.session_state.get(EXPORT_KEY) or {}
        with st.form("segments_export"):
            channel_col, recipient_col = st.columns(2)
            channel = channel_col.selectbox(
                "Channel",
                list(Channel),
                index=list(Channel).index(Channel(request.get("channel", Channel.NEWSLETTER))),
                format_func=lambda c: CHANNEL_LABELS[c],
                key="segments_export_channel",
            )
            widgets.field_error(export_errors, "channel")
            recipient_ids = list(recipients)
            default_recipient = request.get("recipient")
            recipient_id = recipient_col.selectbox(
                "Recipient (from the recipients register)",
                recipient_ids,
                index=recipient_ids.index(default_recipient)
                if default_recipient in recipient_ids
                else None,
                format_func=lambda i: (
                    recipients[i].label
                    + (" — no valid transfer basis" if recipients[i].problem else "")
                ),
                placeholder="Choose who receives the list",
                key="segments_export_recipient",
            )
            widgets.field_error(export_errors, "recipient")
            purpose = st.text_input(
                "Purpose of the disclosure",
                value=request.get("purpose", ""),
                max_chars=settings.MAX_SHORT_TEXT,
                placeholder=f"e.g. {CHANNEL_LABELS[Channel.NEWSLETTER]} of "
                f"{deadlines.today():%B %Y} to {choice.title}",
                key="segments_export_purpose",
            )
            widgets.field_error(export_errors, "purpose")
            checked = st.form_submit_button("Check the list", type="primary")
        if checked:
            errors: dict[str, str] = {}
            if recipient_id is None:
                errors["recipient"] = "Choose who receives the list."
            elif problem := recipients[recipient_id].problem:
                errors["recipient"] = f"{recipients[recipient_id].name}: {problem}."
            if not purpose.strip():
                errors["purpose"] = "Say what the list is for."
            st.session_state[EXPORT_ERRORS] = errors
            st.session_state[EXPORT_KEY] = {
                "channel": channel.value,
                "recipient": recipient_id,
                "purpose": purpose,
                "segment": selected_key,
                "ready": not errors,
            }
            st.rerun()
        if request.get("ready") and request.get("segment") == selected_key:
            shown = preview_of(database, definition_key, request["channel"], day)
            target_channel = Channel(request["channel"])
            st.markdown(
                f"**{shown.exported:,}** of {shown.matched:,} persons matching the segment go "
                f"on the {CHANNEL_LABELS[target_channel].lower()} list. Left out:"
            )
            st.dataframe(
                pd.DataFrame(
                    [(shown.label(r), n) for r, n in shown.left_out.items()],
                    columns=["Reason", "Persons"],
                ),
                hide_index=True,
                width="content",
            )
            receiver = recipients[request["recipient"]]
            categories = ", ".join(
                c.replace("_", " ") for c in export.DATA_CATEGORIES[target_channel]
            )
            st.caption(
                widgets.plain(
                    f"Downloading records a disclosure to {receiver.name} of these "
                    f"{shown.exported:,} persons ({categories} data; legal basis: "
                    f"{export.LEGAL_BASIS}) and an audit event."
                )
            )
            st.download_button(
                "Download the list (CSV)",
                data=lambda: export_file(request, choice),
                file_name=export.file_name(choice, target_channel),
                mime="text/csv",
                type="primary",
                icon=":material/download:",
                disabled=shown.exported == 0,
                on_click="ignore",
            )
        if recent:
            st.markdown("**Your latest exports**")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "When": r.disclosed_at.astimezone(settings.REGISTRY_TZ).strftime(
                                "%Y-%m-%d %H:%M"
                            ),
                            "Recipient": r.recipient,
                            "Purpose": r.purpose,
                            "Persons": r.persons,
                        }
                        for r in recent
                    ]
                ),
                hide_index=True,
                width="stretch",
            )


# --- all segments -----------------------------------------------------------------------

with tabs["All segments"]:
    if tabs["All segments"].open:
        rows = overview_of(database, day)
        st.markdown("**Built-in segments**: members, and how many may be contacted per channel")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Group": r.segment.group,
                        "Segment": r.segment.title,
                        "Members": r.members,
                        **{CHANNEL_LABELS[c]: r.targetable[c] for c in Channel},
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
            width="stretch",
            height=35 * (len(rows) + 1) + 3,
            column_config={
                "Group": st.column_config.TextColumn(width="medium"),
                "Segment": st.column_config.TextColumn(width="large"),
                **{
                    label: st.column_config.NumberColumn(format="localized")
                    for label in ["Members", *CHANNEL_ORDER]
                },
            },
        )
        saved = [c for c in choices.values() if c.segment_id is not None]
        st.markdown("**Saved segments** (choose one above to count it)")
        if saved:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Name": c.title,
                            "Owner": c.owner,
                            "Filters": c.definition.sentence(),
                            "Description": c.description,
                        }
                        for c in saved
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.info("Nobody has saved a segment yet: use the builder.")
