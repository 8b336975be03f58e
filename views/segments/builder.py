"""The Builder tab: filters in a form, counted on submit; saved, edited or deleted by their
owner (registry.segments decides who may)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from registry import filters, regions, settings
from registry.errors import ConflictError, NotFound, ValidationError
from registry.filters import FIELDS
from registry.permissions import Actor
from registry.segments import explaining, saving
from registry.vocabulary import Channel
from views import widgets
from views.segments.common import (
    BUILDER_ERRORS,
    BUILDER_FORM_KEY,
    BUILDER_KEY,
    EDITING_KEY,
    FLASH_KEY,
    SAVE_ERRORS,
    SELECT_NEXT_KEY,
    Selection,
    explanation_of,
    summary_of,
)


def start_builder(raw: list[dict[str, Any]], editing: int | None) -> None:
    st.session_state[BUILDER_KEY] = raw
    st.session_state[EDITING_KEY] = editing
    st.session_state[BUILDER_FORM_KEY] = st.session_state.get(BUILDER_FORM_KEY, 0) + 1
    st.session_state[BUILDER_ERRORS] = {}
    st.session_state[SAVE_ERRORS] = {}


def range_inputs(name: str, ranges: dict[str, tuple[Any, Any]], form: int) -> tuple[Any, Any]:
    """Two number inputs, at least and at most, that can be left empty or cleared.

    A number input given a value= never returns empty again (Streamlit falls back to the
    value), so a counted bound could not be cleared: the bound is put into the input's state
    before it is drawn instead, and value= stays None."""
    spec = FIELDS[name]
    low, high = ranges.get(name, (None, None))
    unit = {"money": " (€)"}.get(spec.kind, "")
    step = 100.0 if spec.kind == "money" else 1
    st.markdown(f"{spec.label.capitalize()}{unit}")
    left, right = st.columns(2)
    cast = float if spec.kind == "money" else int
    bounds = []
    for column, word, bound in ((left, "at least", low), (right, "at most", high)):
        key = f"segments_builder_{name}_{'min' if word == 'at least' else 'max'}_{form}"
        if key not in st.session_state:
            st.session_state[key] = None if bound is None else cast(bound)
        bounds.append(
            column.number_input(
                f"{spec.label.capitalize()}: {word}",
                min_value=cast(0),
                value=None,
                step=step,
                key=key,
                placeholder=word,
                label_visibility="collapsed",
            )
        )
    return bounds[0], bounds[1]


def funnel(explanation: explaining.Explanation, members: int) -> None:
    """The count after each filter, and why the segment is empty when it is."""
    if (reason := explanation.reason()) is not None:
        st.warning(widgets.plain(reason), icon=":material/filter_alt_off:")
    rows = [("Everyone in the registry", explanation.everyone, explanation.everyone)]
    rows += [(f"and {s.sentence}", s.remaining, s.alone) for s in explanation.steps]
    with st.expander("Count after each filter", expanded=explanation.emptied_by is not None):
        st.dataframe(
            pd.DataFrame(rows, columns=["Filter", "Persons left", "Matching this filter alone"]),
            hide_index=True,
            width="stretch",
            column_config={"Filter": st.column_config.TextColumn(width="large")},
        )
        if members != explanation.steps[-1].remaining:
            st.caption(
                f"{members:,} members after leaving out those who refused profiling (Art. 21(2))."
            )


def builder_tab(actor: Actor, selection: Selection) -> None:
    choice, choices, day = selection.choice, selection.choices, selection.day
    raw = st.session_state.setdefault(BUILDER_KEY, [])
    editing = st.session_state.get(EDITING_KEY)
    mine = saving.may_change(actor, choice)
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
        size = summary_of(built.key(), day)
        size_cols = st.columns(1 + len(Channel))
        size_cols[0].metric("Members", f"{size.members:,}")
        for column, channel in zip(size_cols[1:], Channel, strict=True):
            column.metric(channel.label, f"{size.targetable[channel]:,}")
        if built.profiling:
            st.caption(f"Profiling: {size.refused_profiling:,} who refused profiling are left out.")
        if size.restricted:
            st.caption(f"Restricted (Art. 18): {size.restricted:,} who match are left out.")
        if built.filters:
            funnel(explanation_of(built.key(), day), size.members)

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
        widgets.flash(FLASH_KEY, f"Saved the segment {widgets.plain(segment.name)}.")
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
        widgets.flash(FLASH_KEY, f"Deleted the segment {widgets.plain(editing_choice.title)}.")
        st.rerun()
