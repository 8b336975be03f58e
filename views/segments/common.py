"""What the Segments views share: session-state keys, colours, the selected segment and
the cached reads (keyed by everything that changes them; a write here clears them all)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from registry import consent, deadlines, export, filters
from registry.permissions import Actor, Permission
from registry.segments import catalogue, composition, counting, explaining, member_list
from registry.vocabulary import Channel, ConsentStatus
from views import widgets

SELECTED_KEY = "segments_selected"  # the picker's own state
CHOSEN_KEY = "segments_chosen"  # the segment chosen, kept for the session across pages
SELECT_NEXT_KEY = "segments_select_next"  # a segment to select on the next run
TAB_KEY = "segments_tab"
BUILDER_KEY = "segments_builder_filters"  # the definition the builder holds
EDITING_KEY = "segments_builder_editing"  # the saved segment being edited, or None
BUILDER_FORM_KEY = "segments_builder_form"  # bumped to redraw the builder with new values
BUILDER_ERRORS = "segments_builder_errors"
SAVE_ERRORS = "segments_save_errors"
FLASH_KEY = "segments_flash"
PAGE_KEY = "segments_members_page"
MEMBERS_QUERY_KEY = "segments_members_query"  # the search and order last shown
MEMBERS_INPUTS = {  # the members form's inputs, by the query field each sets
    "search": "segments_members_search",
    "sort": "segments_members_sort",
    "descending": "segments_members_descending",
}
EXPORT_KEY = "segments_export_request"  # per segment key: its last checked request
EXPORT_FOR_KEY = "segments_export_for"  # the segment the export inputs were filled for
EXPORT_INPUTS = {
    "channel": "segments_export_channel",
    "recipient": "segments_export_recipient",
    "purpose": "segments_export_purpose",
}
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
CHANNEL_ORDER = [c.label for c in Channel]


@dataclass(frozen=True)
class Selection:
    """The segment chosen above the tabs, and what every tab reads with it."""

    choice: catalogue.SegmentChoice
    choices: dict[str, catalogue.SegmentChoice]  # every segment the page offers, by key
    summary: counting.Summary
    day: str  # the Helsinki day, ISO: counts are as of today

    @property
    def key(self) -> str:
        return self.choice.key

    @property
    def definition(self) -> str:
        """The definition as a cache key."""
        return self.choice.definition.key()


def today_iso() -> str:
    return deadlines.today().isoformat()


# --- cached reads -----------------------------------------------------------------------


@widgets.cached_read(Permission.VIEW_SEGMENTS)
def builtin_choices(s: Session, actor: Actor, day: str) -> list[catalogue.SegmentChoice]:
    return catalogue.builtin_segments(s, actor)


def saved_choices(actor: Actor) -> list[catalogue.SegmentChoice]:
    # Not cached: a small table, and a colleague's new segment should show at once.
    with widgets.session() as s:
        return catalogue.saved_segments(s, actor)


@widgets.cached_read(Permission.VIEW_SEGMENTS)
def summary_of(s: Session, actor: Actor, definition: str, day: str) -> counting.Summary:
    return counting.summary(s, actor, json.loads(definition), dt.date.fromisoformat(day))


@widgets.cached_read(Permission.VIEW_SEGMENTS)
def members_page(
    s: Session,
    actor: Actor,
    definition: str,
    sort: str,
    descending: bool,
    search: str,
    limit: int,
    offset: int,
    day: str,
    size: int,
) -> member_list.MemberPage:
    return member_list.members(
        s,
        actor,
        json.loads(definition),
        sort=sort,
        descending=descending,
        search=search,
        limit=limit,
        offset=offset,
        today=dt.date.fromisoformat(day),
        size=size,
    )


@widgets.cached_read(Permission.VIEW_SEGMENTS)
def explanation_of(s: Session, actor: Actor, definition: str, day: str) -> explaining.Explanation:
    return explaining.explain(s, actor, json.loads(definition), dt.date.fromisoformat(day))


@widgets.cached_read(Permission.VIEW_SEGMENTS)
def composition_of(s: Session, actor: Actor, definition: str, day: str) -> composition.Composition:
    return composition.composition(s, actor, json.loads(definition), dt.date.fromisoformat(day))


@widgets.cached_read(Permission.VIEW_SEGMENTS)
def overview_of(s: Session, actor: Actor, day: str) -> list[counting.BuiltinRow]:
    return counting.builtin_overview(s, actor, dt.date.fromisoformat(day))


@widgets.cached_read(Permission.EXPORT_TARGET_LIST)
def preview_of(
    s: Session, actor: Actor, definition: str, channel: str, day: str, recipient: int | None = None
) -> export.ExportPreview:
    return export.preview(
        s, actor, json.loads(definition), channel, dt.date.fromisoformat(day), recipient
    )
