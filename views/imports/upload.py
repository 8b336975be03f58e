"""The Import page's first tab: upload a file, see how it is read, map its headers,
check every row, import."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry import notice
from registry.errors import RegistryError, ValidationError
from registry.imports import plan, run
from registry.imports.reading import FileRefused
from registry.permissions import Actor
from registry.vocabulary import ImportKind, ImportStatus
from views import widgets
from views.imports.common import (
    CHECKED,
    DONE,
    FILE,
    KIND_LABELS,
    NO_SOURCE,
    SAVED,
    SKIP,
    forget_upload,
    saved_upload,
    show_counts,
    show_rejects,
    ss,
    sweep_work_dir,
)


def import_view(actor: Actor) -> None:
    """Upload, read, map, check and import a file."""
    left, right = st.columns(2)
    kind = left.selectbox(
        "What the file holds",
        list(ImportKind),
        index=list(ImportKind).index(ImportKind.PERSONS),  # the commonest file
        format_func=lambda k: KIND_LABELS[k],
        key="imports_kind",
    )
    spec = plan.KINDS[kind]
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
            seen = plan.preview(kind, path)
        except FileRefused as e:
            st.error(f"This file cannot be imported: {widgets.plain(e)}", icon=":material/error:")
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
                        "or not to import it: "
                        + widgets.plain(", ".join(repr(h) for h in seen.unmatched))
                        + ".",
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
                        "Not imported: "
                        + widgets.plain(", ".join(repr(c) for c in result.ignored_columns))
                        + "."
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
