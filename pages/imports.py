"""Import: load a file from one of the notice's regular sources, checked before it is written.

Upload a CSV or XLSX file; the page says how it reads it (encoding, delimiter or sheet) and
shows its first rows, maps headers that differ from the registry's names, checks every row
(the rejects report can be downloaded), then imports with a progress bar, all or nothing
unless told to skip invalid rows. Below: the imports made, and the persons whose data came
from a third party and who must be told of it within a month (Art. 14(3)(a)).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import time
from pathlib import Path

import pandas as pd
import streamlit as st

import widgets
from registry import notice, settings
from registry.auth import Permission
from registry.errors import RegistryError, ValidationError
from registry.imports import informing, run
from registry.imports.reading import FileRefused
from registry.vocabulary import ImportKind, ImportStatus

actor = widgets.require_page(Permission.IMPORT_DATA)
ss = st.session_state

FILE = "imports_file"  # the uploader
SAVED = "imports_saved"  # (upload id, path on the server) of the uploaded file
CHECKED = "imports_checked"  # what the last check was of, and its result
DONE = "imports_done"  # the last import's result, shown after the rerun
NO_SOURCE = "(no named source)"
SKIP = "— do not import —"
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
    if not isinstance(moment, dt.datetime):
        return ""
    return moment.astimezone(settings.REGISTRY_TZ).strftime("%-d.%-m.%Y %H:%M")


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
        st.download_button(
            "Download the rejects report (CSV)",
            result.rejects_path.read_bytes(),
            file_name="rejects.csv",
            mime="text/csv",
            icon=":material/download:",
            key=f"imports_rejects_{result.run_id or 'check'}",
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


st.title("Import")
st.caption(
    "Data comes in from the registry's regular sources, as the privacy notice names them. "
    "Every row is checked with the registry's own rules before anything is written; with "
    "any invalid row nothing is written unless you choose to import only the valid rows. "
    "Persons are found again by email, then phone; organisations by business ID; orders and "
    "activities by the source's own id; so importing a file twice changes nothing the second "
    "time. An empty cell leaves the stored value as it is."
)

import_tab, runs_tab, inform_tab = st.tabs(
    ["Import a file", "Imports made", "To be told (Art. 14)"]
)

with import_tab:
    left, right = st.columns(2)
    kind = left.selectbox(
        "What the file holds",
        list(ImportKind),
        index=list(ImportKind).index(ImportKind.PERSONS),  # the commonest file
        format_func=lambda k: KIND_LABELS[k],
        key="imports_kind",
    )
    spec = run.KINDS[kind]
    sources = list(notice.declaration().sources)
    source_choice = right.selectbox(
        "Where it comes from (the notice's regular sources)",
        sources if spec.needs_source else [NO_SOURCE, *sources],
        index=None if spec.needs_source else 0,
        placeholder="Choose the source",
        key=f"imports_source_{kind}",
        help="Each person records the source their data came from; the access report names "
        "it. Data from a source that is not the person must be told to the person within a "
        "month (Art. 14).",
    )
    source = None if source_choice in (None, NO_SOURCE) else source_choice
    with st.expander(f"The {kind} columns"):
        st.markdown(
            "  \n".join(f"`{f.name}`{' (required)' if f.required else ''}" for f in spec.fields)
            + (
                f"  \nand at least one of {', '.join(f'`{n}`' for n in spec.one_of)}"
                if spec.one_of
                else ""
            )
        )
    uploaded = st.file_uploader(
        "The file: CSV (UTF-8 or Windows-1252, comma or semicolon) or XLSX",
        type=["csv", "xlsx"],
        key=FILE,
    )
    sweep_work_dir()
    if uploaded is None:
        forget_upload()
        st.info("Upload a file to see how it is read.", icon=":material/upload_file:")
    else:
        path = saved_upload(uploaded)
        try:
            seen = run.preview(kind, path)
        except FileRefused as e:
            st.error(f"This file cannot be imported: {e}", icon=":material/error:")
            seen = None
        if seen is not None:
            st.success(
                f"Read as {seen.fmt.describe()}: {len(seen.header)} columns.",
                icon=":material/check_circle:",
            )
            st.caption(
                f"The first {len(seen.rows)} rows, as given. Times without a UTC offset are "
                "read as Helsinki time."
            )
            width = len(seen.header)
            st.dataframe(
                pd.DataFrame(
                    [(cells + [""] * width)[:width] for _, cells in seen.rows],
                    columns=[f"{i + 1}: {h}" for i, h in enumerate(seen.header)],
                    index=[n for n, _ in seen.rows],
                ),
                width="stretch",
            )
            names = spec.field_names
            with st.expander(
                "Columns: which file column fills which", expanded=bool(seen.unmatched)
            ):
                if seen.unmatched:
                    st.warning(
                        "These headers are not the registry's names: choose what each holds, "
                        f"or not to import it: {', '.join(repr(h) for h in seen.unmatched)}.",
                        icon=":material/warning:",
                    )
                mapping: dict[str, str | None] = {}
                for i, header in enumerate(seen.header):
                    suggested = seen.mapping.get(header)
                    choice = st.selectbox(
                        f"{i + 1}: {header or '(no header)'}",
                        [SKIP, *names],
                        index=names.index(suggested) + 1 if suggested else 0,
                        key=f"imports_map_{kind}_{i}_{header}",
                    )
                    mapping[header] = None if choice == SKIP else choice
            skip_invalid = st.checkbox(
                "Import the valid rows even if some rows are invalid",
                key="imports_skip_invalid",
                help="Without this, a file with any invalid row writes nothing.",
            )
            what = (ss[SAVED][0], kind, source, str(mapping))
            check_col, import_col = st.columns(2)
            checked = ss.get(CHECKED)
            ready = checked is not None and checked[0] == what
            check = check_col.button(
                "Check every row", icon=":material/fact_check:", key="imports_check"
            )
            start = import_col.button(
                "Import",
                type="primary",
                icon=":material/upload:",
                disabled=not ready,
                key="imports_start",
                help=None if ready else "Check the file first.",
            )
            rejects_path = path.with_suffix(".rejects.csv")
            if check or start:
                with st.status(
                    "Checking every row…" if check else "Importing…", expanded=True
                ) as status:
                    bar = st.progress(0.0, text="Starting")
                    try:
                        with widgets.session() as s:
                            result = run.import_file(
                                s,
                                actor,
                                kind,
                                path,
                                source=source,
                                mapping=mapping,
                                skip_invalid=skip_invalid,
                                dry_run=bool(check),
                                rejects_path=rejects_path,
                                file_name=uploaded.name,
                                progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
                            )
                    except (RegistryError, ValidationError) as e:
                        bar.empty()
                        status.update(label="Not imported", state="error")
                        st.error(str(e), icon=":material/error:")
                        result = None
                    else:
                        bar.empty()
                        if check:
                            status.update(label="Checked: nothing written", state="complete")
                            ss[CHECKED] = (what, result)
                        else:
                            ok = result.status == ImportStatus.COMPLETED
                            status.update(
                                label=result.sentence() if ok else "Nothing was written",
                                state="complete" if ok else "error",
                            )
                            ss[DONE] = result
                            ss.pop(CHECKED, None)
                    if start:
                        widgets.data_changed()  # refused and failed runs are recorded too
                if result is not None:
                    # Redrawn from the state: after a check the Import button is ready, after
                    # an import it waits for the next check.
                    st.rerun()
            checked = ss.get(CHECKED)
            if checked is not None and checked[0] == what:
                result = checked[1]
                st.subheader("What an import would do")
                st.write(result.sentence())
                if result.ignored_columns:
                    st.caption(
                        "Not imported: " + ", ".join(repr(c) for c in result.ignored_columns) + "."
                    )
                show_counts(result)
                show_rejects(result)
    done = ss.get(DONE)
    if done is not None:
        st.subheader("The last import")
        if done.status == ImportStatus.COMPLETED:
            st.success(done.sentence(), icon=":material/check_circle:")
        else:
            st.error(done.sentence(), icon=":material/error:")
        show_counts(done)
        show_rejects(done)

with runs_tab:
    with widgets.session() as s:
        runs = run.recent_runs(s, actor)
    if not runs:
        st.info("No import has been made yet.", icon=":material/info:")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Import": f"#{r.id}",
                        "Started (Helsinki)": helsinki(r.started_at),
                        "Result": STATUS_LABELS.get(ImportStatus(r.status), r.status),
                        "Holds": r.kind,
                        "File": r.file_name,
                        "Rows": r.rows,
                        "New": r.new,
                        "Updated": r.updated,
                        "Unchanged": r.unchanged,
                        "Rejected": r.rejected,
                        "By": r.actor_name,
                        "Source": r.source or "",
                        "Read as": r.file_format,
                        "Why it stopped": r.message,
                    }
                    for r in runs
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(f"The latest {settings.IMPORT_RECENT_RUNS} imports.")

with inform_tab:
    st.caption(
        "Data not obtained from the person must be told to the person within a month "
        "(GDPR Art. 14(3)(a)): the source, the categories of data, the purposes and the "
        "person's rights. Which sources are the person's own is declared in the registry "
        "notice (data/registry.toml, sources.from_the_person); every other source counts as a "
        "third party. A person leaves this list when it is recorded that they were told."
    )
    with widgets.session() as s:
        counts = informing.summary(s, actor)
    cards = st.columns(2)
    with cards[0], st.container(border=True):
        st.metric("Persons to be told", f"{counts.awaiting:,}")
    with cards[1], st.container(border=True):
        st.metric(
            "Past the month",
            f"{counts.overdue:,}",
            delta="act now" if counts.overdue else None,
            delta_color="inverse",
            delta_arrow="off",
        )
    if not actor.may(Permission.VIEW_PERSON):
        st.info(
            "The list names persons: the compliance role reads it and records who was told.",
            icon=":material/lock:",
        )
    elif counts.awaiting:
        today = dt.datetime.now(settings.REGISTRY_TZ).date()
        with widgets.session() as s:
            waiting = informing.persons_to_inform(s, actor, limit=settings.PAGE_SIZE)
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Person": p.person_id,
                        "Name": p.name,
                        "Source": p.source,
                        "Data came in": helsinki(p.obtained_at),
                        "Tell by": p.inform_by.strftime("%-d.%-m.%Y"),
                        "": "overdue" if p.overdue(today) else "",
                        "Import": f"#{p.import_run_id}" if p.import_run_id else "",
                    }
                    for p in waiting
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        if counts.awaiting > len(waiting):
            st.caption(f"The {len(waiting)} waiting longest of {counts.awaiting:,}.")
        if actor.may(Permission.AMEND_PERSON):
            errors = widgets.form_errors("imports_inform_errors")
            with st.form("imports_inform"):
                st.markdown("**Record that a person was told**")
                who = st.selectbox(
                    "Person",
                    [p.person_id for p in waiting],
                    format_func=lambda pid: next(
                        f"#{p.person_id} {p.name}" for p in waiting if p.person_id == pid
                    ),
                )
                told_on = st.date_input(
                    "Told on", value=today, max_value=today, format="DD.MM.YYYY"
                )
                widgets.field_error(errors, "informed_on")
                record = st.form_submit_button("Record", type="primary")
            if record and who is not None:
                with widgets.session() as s:
                    try:
                        informing.record_informed(s, actor, who, told_on)
                    except ValidationError as e:
                        ss["imports_inform_errors"] = e.field_errors
                    else:
                        ss["imports_inform_errors"] = {}
                        widgets.data_changed()
                st.rerun()
