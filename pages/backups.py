"""Backups: that the registry is backed up, a backup on demand, and its download.

Nothing here is cached: a backup made by the scheduled job must show at once, and the
backup table grows by a row or two a day. Restoring is left to the command line.
"""

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from registry import formats, settings
from registry.backup import files, making, records
from registry.backup.files import BackupOperation, BackupResult, CheckResult
from registry.errors import RegistryError
from registry.permissions import Permission
from views import widgets

OPERATION_LABELS = {BackupOperation.BACKUP: "Backup", BackupOperation.RESTORE: "Restore"}
RESULT_LABELS = {BackupResult.SUCCEEDED: "Succeeded", BackupResult.FAILED: "Failed"}
PAGE_KEY = "backups_page"

actor = widgets.require_page(Permission.MANAGE_BACKUPS)
st.title("Backups")
st.caption(
    'The notice promises that "the filing system is backed up safely and can be restored as '
    'needed". Backups made here and by the scheduled `python -m registry backup` job are '
    "listed below. Each copy is read back before it is called good (SQLite: its integrity "
    "check and every table read through; PostgreSQL: the dump read through by `pg_restore`); "
    "only a backup whose check passed shows as checked. A restore is done on the command line "
    "with `python -m registry restore`, which verifies the checksum, checks the copy before it "
    "replaces the target, and compares the row counts."
)


def helsinki(moment: dt.datetime) -> str:
    return formats.helsinki_iso(moment)


def duration(entry: records.BackupEntry) -> str:
    if entry.finished_at is None:
        return ""
    seconds = (entry.finished_at - entry.started_at).total_seconds()
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


health = st.container()  # drawn below, after a backup started on this run has been made

with st.container(border=True):
    text, action = st.columns([3, 1], vertical_alignment="center")
    text.markdown("**A backup on demand**")
    text.caption(
        "A consistent copy of the whole registry, taken while the dashboard stays in use. "
        f"It is written on the server to `{settings.BACKUP_DIR}`, with its SHA-256 checksum "
        "and row counts beside it."
    )
    start = action.button(
        "Make a backup now", type="primary", icon=":material/backup:", key="backups_make"
    )
    if start:
        with st.status("Making a backup…", expanded=True) as status:
            bar = st.progress(0.0, text="Starting")
            try:
                made = making.make_backup(
                    widgets.engine(),
                    actor,
                    settings.BACKUP_DIR,
                    progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
                )
            except RegistryError as e:
                bar.empty()
                status.update(label="The backup failed", state="error")
                st.error(str(e), icon=":material/error:")
            else:
                m = made.manifest
                bar.empty()  # the status label says it is done
                status.update(
                    label=f"Backup made and checked: {widgets.plain(made.path.name)}",
                    state="complete",
                )
                st.markdown(
                    f"{files.human_size(m.size_bytes)}, "
                    f"{files.rows(sum(m.row_counts.values()))} in {len(m.row_counts)} tables.  \n"
                    f"SHA-256 `{m.sha256}`  \n"
                    f"Checked: {widgets.plain(m.check_detail)}"
                )
        widgets.data_changed()  # failed attempts are recorded too

read: dict[int, records.BackupsOverview] = {}  # by offset: the figures come with the rows


def read_backups(limit: int, offset: int) -> tuple[list[records.BackupEntry], int]:
    with widgets.session() as s:
        read[offset] = records.overview(s, actor, limit=limit, offset=offset)
    return read[offset].entries, read[offset].total


page = widgets.paged(PAGE_KEY, read_backups)
view = read[page.offset]

with health:
    max_hours = int(settings.BACKUP_MAX_AGE.total_seconds() // 3600)
    last, age = view.last_success, view.age
    if last is None or age is None:
        st.error(
            "No successful backup of this database is recorded. Make one now, and schedule "
            "`python -m registry backup` to run every night.",
            icon=":material/error:",
        )
    elif view.stale:
        st.warning(
            f"The newest successful backup is {files.describe_age(age)} old: older than the "
            f"{max_hours} hours allowed. Check the scheduled backup job, and make one now.",
            icon=":material/warning:",
        )
    cards = st.columns(3)
    with cards[0], st.container(border=True):
        st.metric(
            "Last successful backup (Helsinki time)",
            helsinki(last.started_at) if last else "none",
            delta=f"{files.describe_age(age)} ago" if age is not None else None,
            delta_color="inverse" if view.stale else "normal",
            delta_arrow="off",
            help=f"A warning shows when the newest is older than {max_hours} hours.",
        )
        if last:
            st.caption(
                f"By {widgets.plain(last.actor_name)} · {widgets.plain(last.file_name)} · "
                f"{last.check_label.lower()}"
            )
    with cards[1], st.container(border=True):
        st.metric(
            f"Backups in the last {settings.BACKUP_HISTORY_DAYS} days",
            view.succeeded_recently,
            delta=f"{view.failed_recently} failed" if view.failed_recently else None,
            delta_color="inverse",
            delta_arrow="off",
            help="Successful backups; the chart shows the size of each.",
        )
        if view.recent_sizes:
            sizes = pd.DataFrame(
                [(at.astimezone(settings.REGISTRY_TZ), n / 1e6) for at, n in view.recent_sizes],
                columns=["made", "MB"],
            )
            figure = px.line(sizes, x="made", y="MB", markers=True)
            figure.update_yaxes(rangemode="tozero")
            # The whole window, so one backup is a dot in its month, not a lone millisecond.
            today = dt.datetime.now(settings.REGISTRY_TZ)
            window = [
                today - dt.timedelta(days=settings.BACKUP_HISTORY_DAYS),
                today + dt.timedelta(days=1),  # room for today's dot
            ]
            figure.update_xaxes(range=window, tickformat="%-d %b", title=None)
            figure.update_layout(height=120, margin={"l": 0, "r": 0, "t": 0, "b": 0})
            st.plotly_chart(figure, width="stretch", config={"displayModeBar": False})
    with cards[2], st.container(border=True):
        st.metric(
            "Size of the last backup",
            files.human_size(last.size_bytes) if last else "none",
            help="Its SHA-256 checksum is in the table below and in the .sha256 file beside it.",
        )
        if last and last.total_rows is not None:
            st.caption(f"{files.rows(last.total_rows)}")

st.subheader("Backups and restores")
if not view.entries:
    st.info("No backup or restore has been recorded in this database yet.")
else:
    table = pd.DataFrame(
        [
            {
                "Started (Helsinki)": helsinki(e.started_at),
                "Operation": OPERATION_LABELS.get(e.operation, e.operation),
                "Result": RESULT_LABELS.get(e.result, e.result),
                "Check": e.check_label,
                "By": e.actor_name,
                "Size": files.human_size(e.size_bytes),
                "Rows": "" if e.total_rows is None else f"{e.total_rows:,}",
                "Took": duration(e),
                "File": e.file_name,
                "Note": e.message,
                "SHA-256": e.sha256 or "",
                "Check detail": e.check_detail,
            }
            for e in view.entries
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Rows": st.column_config.TextColumn(alignment="right"),
            "Note": st.column_config.TextColumn(width="large"),
            "Check detail": st.column_config.TextColumn(width="large"),
        },
    )
    widgets.pager(PAGE_KEY, page, "backups and restores, newest first")

st.subheader("Download a backup")
downloadable = [e for e in view.entries if e.download_problem is None]
if not downloadable:
    st.info(
        "No backup file listed here is on this server, small enough to download, and "
        "complete with its checksum and manifest."
    )
else:
    chosen = st.selectbox(
        "Backup",
        downloadable,
        format_func=lambda e: (
            f"{helsinki(e.started_at)} · {e.file_name} · {files.human_size(e.size_bytes)} · "
            f"{e.check_label.lower()}"
        ),
        key="backups_download_choice",
    )
    st.caption(
        "One .tar holding the backup file with its .sha256 and .json, which "
        "`python -m registry restore` needs beside it. The backup holds personal data: the "
        "download is recorded in the audit trail; keep the file encrypted and off shared drives."
    )
    chosen_id = chosen.id
    if chosen.check_result == CheckResult.FAILED:
        st.error(
            "This backup failed its check: it is not a good backup and the file's name says "
            f"so. {widgets.plain(chosen.check_detail)}",
            icon=":material/error:",
        )
    elif not chosen.checked:
        st.warning(
            "This backup was made before backups were checked: it was never read back, and "
            "the file's name says so. Make a new backup to have a checked one.",
            icon=":material/warning:",
        )

    def bundle() -> bytes:
        # Runs when the button is clicked, on a thread of its own: the audit event is
        # written only for a download that happens.
        with widgets.session() as s:
            return records.download_backup(s, actor, chosen_id)

    st.download_button(
        "Download backup" if chosen.checked else f"Download backup ({chosen.check_label.lower()})",
        data=bundle,
        file_name=chosen.download_name,
        mime="application/x-tar",
        icon=":material/download:",
        on_click="ignore",
        key="backups_download",
    )
