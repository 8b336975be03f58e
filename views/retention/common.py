"""What the Retention page's views share: session keys, labels and times."""

from __future__ import annotations

import datetime as dt

from registry import settings

TAB_KEY = "retention_tab"
TABS = ("Due now", "A person's due data", "Runs")
APPLIED = "retention_applied"  # the flash after a run
RUNS_PAGE = "retention_runs_page"
PERSON = "retention_person"
TOLD = "retention_told"  # the flash after recording a recipient as told
SAMPLE = 20  # due person ids offered for a preview

STATUS_LABELS = {
    "running": "Running, or stopped without an end recorded",
    "completed": "Completed",
    "failed": "Failed: the failing batch was rolled back",
}


def helsinki(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(settings.REGISTRY_TZ).strftime("%Y-%m-%d %H:%M")
