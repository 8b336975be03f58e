"""One import of a file: plan, validate, stage, match, then write all or nothing.

1. The file's format is detected and said (reading.detect); its header is mapped to the
   kind's columns by name, or by the mapping the page's user chose.
2. Every row is checked with the registry's validators, chunk by chunk; valid rows go to a
   staging table, refused cells to the rejects report (row, column, value as given, reason).
3. Set-based statements find each row's record and count what would be new, updated and
   unchanged; refusals found there (a duplicate, an unknown person) join the report.
4. With any refused row and no `skip_invalid`, or on a dry run, the transaction is rolled
   back: nothing of the file is written. Otherwise the valid rows, the run's row and its audit
   event are written and committed together: one transaction.

A refused or failed run is recorded afterwards (import_run and an audit event), so the
attempt is on record though nothing of its file is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from registry import audit, settings
from registry.imports import reading
from registry.imports.base import (
    Chunk,
    Context,
    Kind,
    Progress,
    Reject,
    Stager,
    create_stage,
    drop_stage,
)
from registry.imports.matching import (
    counts,
    rejects,
)
from registry.imports.plan import (
    KINDS,
    ImportFailed,
    ImportRefused,
    Plan,
    is_third_party,
    plan,
    resolve_source,
)
from registry.imports.rejects import _Refusals, write_rejects
from registry.models import ImportRun, utcnow
from registry.permissions import Actor, Permission, require
from registry.vocabulary import ImportKind, ImportStatus

# --- the run ---


@dataclass
class ImportResult:
    kind: ImportKind
    file_format: str
    source: str | None
    dry_run: bool
    skip_invalid: bool
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    status: ImportStatus | None = None  # None on a dry run
    run_id: int | None = None
    rejects_path: Path | None = None
    rejects_delimiter: str = ","  # the uploaded file's, which the rejects report keeps
    first_rejects: list[Reject] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return self.status == ImportStatus.COMPLETED

    def sentence(self) -> str:
        counts_text = (
            f"{self.new:,} new, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.rejected:,} rejected"
        )
        if self.dry_run:
            would = (
                "an import would be refused"
                if self.rejected and not self.skip_invalid
                else "an import would write the valid rows"
            )
            return f"Dry run, nothing written: {counts_text} of {self.rows:,} rows; {would}."
        if self.status == ImportStatus.REFUSED:
            return (
                f"Nothing was written: {self.rejected:,} of {self.rows:,} rows are invalid "
                f"({counts_text}). Correct them and import again, or import only the valid "
                "rows (skip invalid rows)."
            )
        left_out = f"; the {self.rejected:,} rejected rows were left out" if self.rejected else ""
        return f"Import #{self.run_id} done: {counts_text} of {self.rows:,} rows{left_out}."


def _chunks(rows: Iterator[reading.Row], size: int) -> Iterator[list[reading.Row]]:
    chunk: list[reading.Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _fingerprint(path: Path) -> tuple[str, int]:
    """SHA-256 of the file and its number of line breaks (for the progress bar)."""
    digest, lines = hashlib.sha256(), 0
    with path.open("rb") as f:
        while block := f.read(settings.IMPORT_READ_BYTES):
            digest.update(block)
            lines += block.count(b"\n")
    return digest.hexdigest(), lines


def import_file(
    session: Session,
    actor: Actor,
    kind: ImportKind,
    path: Path,
    *,
    source: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    rejects_path: Path | None = None,
    file_name: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import `path` as `kind`; see the module's docstring for the steps.

    `rejects_path`: where the rejects report goes (a stale one there is removed when there
    are no rejects). Raises FileRefused or ImportRefused before reading any row, ImportFailed
    if the run stopped on an error (nothing written, the failure recorded).
    """
    require(actor, Permission.IMPORT_DATA)
    if actor.user_id is None:
        # Amendments and consent events name the dashboard account that wrote them.
        raise ImportRefused("An import runs as a named dashboard account (--user NAME).")
    kind = ImportKind(kind)
    spec = KINDS[kind]
    chosen_source = resolve_source(kind, source)
    the_plan = plan(kind, path, mapping)
    sha256, lines = _fingerprint(path)
    report = progress or (lambda fraction, message: None)
    ctx = Context(
        session,
        actor,
        kind,
        chosen_source,
        is_third_party(chosen_source) and kind == ImportKind.PERSONS,
        utcnow(),
        file_name or path.name,
    )
    result = ImportResult(
        kind,
        the_plan.fmt.describe(),
        chosen_source,
        dry_run,
        skip_invalid,
        ignored_columns=the_plan.ignored,
    )
    refusals = _Refusals()
    try:
        try:
            stage = _read_and_stage(ctx, spec, the_plan, refusals, result, lines, report)
            report(0.75, "Matching rows with the registry")
            spec.match(ctx, stage)
            new, updated, unchanged, refused_here = counts(ctx, stage, spec.target)
            result.new, result.updated, result.unchanged = new, updated, unchanged
            result.rejected = refusals.row_count + refused_here
            if refused_here and len(result.first_rejects) < settings.IMPORT_REJECTS_SHOWN:
                merged = heapq.merge(result.first_rejects, rejects(ctx, stage), key=lambda r: r.row)
                result.first_rejects = [
                    r for _, r in zip(range(settings.IMPORT_REJECTS_SHOWN), merged, strict=False)
                ]
            if rejects_path is not None:
                if result.rejected:
                    delimiter = the_plan.fmt.delimiter or ","
                    write_rejects(
                        heapq.merge(refusals.read(), rejects(ctx, stage), key=lambda r: r.row),
                        rejects_path,
                        delimiter,
                    )
                    result.rejects_path = rejects_path
                    result.rejects_delimiter = delimiter
                else:
                    rejects_path.unlink(missing_ok=True)  # an earlier run's, now stale
            if dry_run or (result.rejected and not skip_invalid):
                session.rollback()
                drop_stage(session)
                session.commit()
                if not dry_run:
                    result.status = ImportStatus.REFUSED
                    result.run_id = _record_attempt(ctx, result, the_plan, sha256, "")
                report(1.0, "Nothing written")
                return result
            report(0.85, "Writing")
            _write(ctx, spec, stage, result, the_plan, sha256)
            report(1.0, "Done")
            return result
        except Exception as e:
            database_error = session.get_bind().dialect.loaded_dbapi.Error
            if not isinstance(e, SQLAlchemyError | OSError | database_error):
                raise
            session.rollback()
            reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:300]
            message = f"{type(e).__name__}: {reason}"
            result.status = ImportStatus.FAILED
            try:
                result.run_id = _record_attempt(ctx, result, the_plan, sha256, message)
            except SQLAlchemyError:
                session.rollback()  # the database itself is failing: the message says so
            raise ImportFailed(
                f"The import stopped and wrote nothing of the file ({message})."
            ) from e
        except BaseException:
            session.rollback()
            raise
    finally:
        refusals.close()
        if session.get_bind().dialect.name == "sqlite":
            # A temporary table outlives a rollback on SQLite's pooled connection.
            try:
                drop_stage(session)
                session.commit()
            except SQLAlchemyError:
                session.rollback()


def _read_and_stage(
    ctx: Context,
    spec: Kind,
    the_plan: Plan,
    refusals: _Refusals,
    result: ImportResult,
    lines: int,
    report: Progress,
) -> Table:
    """Read the file in chunks: check each chunk column by column, stage its valid rows,
    note the refused cells. Memory holds one chunk at a time."""
    stage = create_stage(ctx.session, spec)
    stager = Stager(ctx.session, stage)
    width = the_plan.width
    xlsx = the_plan.fmt.container == "xlsx"
    rows = reading.rows(the_plan.path, the_plan.fmt)
    next(rows)  # the header
    for part in _chunks(rows, settings.IMPORT_CHUNK_ROWS):
        refusals.next_chunk()
        numbers: list[int] = []
        kept: list[list[str]] = []
        misshapen: list[Reject] = []
        for number, cells in part:
            if len(cells) != width:
                if xlsx and len(cells) < width:
                    cells = cells + [""] * (width - len(cells))  # a sheet row ends at its value
                elif len(cells) > width and not any(cells[width:]):
                    cells = cells[:width]  # empty cells past the header, as Excel may write
                else:
                    misshapen.append(
                        Reject(
                            number,
                            "",
                            (the_plan.fmt.delimiter or ",").join(cells),
                            f"The row has {len(cells)} cells; the header has {width} columns.",
                        )
                    )
                    continue
            numbers.append(number)
            kept.append(cells)
        result.rows += len(part)
        columns = list(zip(*kept, strict=True)) if kept else [()] * width
        chunk = Chunk(
            numbers, {name: list(columns[index]) for name, index in the_plan.columns.items()}
        )
        spec.check(ctx, chunk)
        for reject in heapq.merge(misshapen, chunk.rejects(), key=lambda r: r.row):
            refusals.add(reject)
        stager.write(spec.staged(ctx, chunk, chunk.valid_rows()))
        result.first_rejects = refusals.first
        if lines and not xlsx:
            report(min(0.7, 0.7 * part[-1][0] / lines), f"Checked {result.rows:,} rows")
        else:
            report(0.35, f"Checked {result.rows:,} rows")
    stager.analyse()
    return stage


def _write(
    ctx: Context, spec: Kind, stage: Table, result: ImportResult, the_plan: Plan, sha256: str
) -> None:
    session = ctx.session
    run = _run_row(ctx, result, sha256, ImportStatus.COMPLETED, ctx.now, "")
    session.add(run)
    session.flush()
    ctx.run_id = run.id
    spec.write(ctx, stage)
    persons = spec.persons(ctx, stage, settings.IMPORT_AUDIT_MAX_IDS + 1)
    run.finished_at = utcnow()
    audit.record(
        session,
        ctx.actor,
        "import_completed",
        "import_run",
        run.id,
        _audit_detail(ctx, result, persons),
    )
    drop_stage(session)
    session.commit()
    result.status = ImportStatus.COMPLETED
    result.run_id = run.id


def _run_row(
    ctx: Context,
    result: ImportResult,
    sha256: str,
    status: str,
    finished_at: dt.datetime,
    message: str,
) -> ImportRun:
    """The run's row in import_run: the file, its figures and who ran it."""
    return ImportRun(
        kind=ctx.kind,
        source=ctx.source,
        file_name=ctx.file_name[:255],
        file_format=result.file_format[:200],
        file_sha256=sha256,
        skip_invalid=result.skip_invalid,
        status=status,
        rows=result.rows,
        new_rows=result.new,
        updated_rows=result.updated,
        unchanged_rows=result.unchanged,
        rejected_rows=result.rejected,
        actor_id=ctx.actor.user_id,
        actor_name=ctx.actor.username,
        started_at=ctx.now,
        finished_at=finished_at,
        message=message[: settings.MAX_LONG_TEXT],
    )


def _audit_detail(ctx: Context, result: ImportResult, persons: list[int]) -> str:
    """The run in figures, and the persons it added or changed by id only (never names)."""
    text = (
        f"{ctx.kind} from {ctx.source or 'no named source'}: {result.new} new, "
        f"{result.updated} updated, {result.unchanged} unchanged, {result.rejected} rejected "
        f"of {result.rows} rows"
    )
    if persons:
        shown = persons[: settings.IMPORT_AUDIT_MAX_IDS]
        more = " and more (see the run)" if len(persons) > len(shown) else ""
        text += f"; persons {', '.join(f'#{p}' for p in shown)}{more}"
    return text


def _record_attempt(
    ctx: Context, result: ImportResult, the_plan: Plan, sha256: str, message: str
) -> int:
    """A refused or failed run on record, in a transaction of its own (nothing of the file)."""
    session = ctx.session
    assert result.status is not None
    run = _run_row(ctx, result, sha256, result.status, utcnow(), message)
    session.add(run)
    session.flush()
    detail = f"{ctx.kind} from {ctx.source or 'no named source'}: nothing written; " + (
        message or f"{result.rejected} of {result.rows} rows invalid"
    )
    audit.record(session, ctx.actor, f"import_{result.status}", "import_run", run.id, detail)
    session.commit()
    return run.id
