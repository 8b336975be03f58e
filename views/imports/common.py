"""What the Import page's views share: session keys, labels, the upload on the server, and
the counts and rejects of a check or an import."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from registry import formats, settings, spreadsheet
from registry.imports import rejects, run
from registry.vocabulary import ImportKind, ImportStatus

ss = st.session_state

FILE = "imports_file"  # the uploader
SAVED = "imports_saved"  # (upload id, path on the server) of the uploaded file
CHECKED = "imports_checked"  # what the last check was of, and its result
DONE = "imports_done"  # the last import's result, shown after the rerun
NO_SOURCE = "(no named source)"
SKIP = "— do not import —"
TAB_KEY = "imports_tab"
TABS = ("Import a file", "Imports made", "To be told (Art. 14)")
KIND_LABELS = {
    ImportKind.ORGANISATIONS: "Organisations (customers, dealers, partners)",
    ImportKind.PERSONS: "Persons",
    ImportKind.ORDERS: "Orders (billing)",
    ImportKind.CONSENT: "Consent events (grants, withdrawals, objections)",
    ImportKind.ACTIVITIES: "Activities (visits, newsletters, events, contacts, app use)",
}
STATUS_LABELS = {
    ImportStatus.COMPLETED: "Completed",
    ImportStatus.REFUSED: "Refused: nothing written",
    ImportStatus.FAILED: "Failed: nothing written",
}
WORK_DIR = Path(tempfile.gettempdir()) / "registry-imports"


def helsinki(moment: object) -> str:
    return formats.helsinki_colon(moment) if isinstance(moment, dt.datetime) else ""


def sweep_work_dir() -> None:
    """Uploads and rejects reports hold personal data: none outlives its use for long."""
    if not WORK_DIR.exists():
        return
    oldest = time.time() - settings.IMPORT_UPLOAD_KEPT.total_seconds()
    for path in WORK_DIR.iterdir():
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
        except OSError:
            pass  # another session's sweep took it


def forget_upload() -> None:
    if previous := ss.pop(SAVED, None):
        Path(previous[1]).unlink(missing_ok=True)
        Path(previous[1]).with_suffix(".rejects.csv").unlink(missing_ok=True)


def saved_upload(uploaded: object) -> Path:
    """The upload as a file on the server, so it is read in blocks like any other file."""
    data = uploaded.getvalue()  # type: ignore[attr-defined]
    key = hashlib.sha256(data).hexdigest()
    previous = ss.get(SAVED)
    if previous and previous[0] == key and Path(previous[1]).exists():
        return Path(previous[1])
    forget_upload()
    WORK_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    suffix = ".xlsx" if data[:4] == b"PK\x03\x04" else ".csv"
    with tempfile.NamedTemporaryFile(dir=WORK_DIR, suffix=suffix, delete=False) as f:
        f.write(data)
    ss[SAVED] = (key, f.name)
    return Path(f.name)


def show_rejects(result: run.ImportResult) -> None:
    if not result.rejected:
        return
    shown = result.first_rejects
    st.markdown(
        f"**Rejected rows: {result.rejected:,}**"
        + (f" (the first {len(shown):,} reasons below)" if result.rejected > len(shown) else "")
    )
    st.dataframe(
        pd.DataFrame(
            [(r.row, r.column, r.value, r.reason) for r in shown],
            columns=["Row", "Column", "Value as given", "Reason"],
        ),
        hide_index=True,
        width="stretch",
    )
    if result.rejects_path is not None and result.rejects_path.exists():
        report, delimiter = result.rejects_path, result.rejects_delimiter
        left, right, _ = st.columns([1, 1, 2])
        left.download_button(
            "Download the rejects report (CSV)",
            report.read_bytes(),
            file_name="rejects.csv",
            mime="text/csv",
            icon=":material/download:",
            key=f"imports_rejects_{result.run_id or 'check'}",
        )
        right.download_button(
            "Download the rejects report (XLSX)",
            data=lambda: rejects.rejects_workbook(report, delimiter),
            file_name="rejects.xlsx",
            mime=spreadsheet.FileFormat.XLSX.mime,
            icon=":material/download:",
            on_click="ignore",
            key=f"imports_rejects_xlsx_{result.run_id or 'check'}",
        )


def show_counts(result: run.ImportResult) -> None:
    cards = st.columns(4)
    for card, (label, value) in zip(
        cards,
        (
            ("New", result.new),
            ("Updated", result.updated),
            ("Unchanged", result.unchanged),
            ("Rejected", result.rejected),
        ),
        strict=True,
    ):
        with card, st.container(border=True):
            st.metric(label, f"{value:,}")
