"""PostgreSQL: pg_dump inside an exported REPEATABLE READ snapshot, counted in that same
snapshot, the dump read back by pg_restore (its table of contents, then every row) before it
is called good or restored, and pg_restore in one transaction; the client tools must not be
older than the server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from registry import db, settings
from registry.backup.files import (
    UNTOUCHED,
    BackupCheck,
    BackupFailed,
    Manifest,
    Progress,
    RestoreFailed,
    RestoreRefused,
    judge_counts,
    refuse_non_empty,
    row_counts,
    schema_revision,
)
from registry.errors import RegistryError


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore, with the password in the environment (never on
    the command line, where any user's `ps` shows it)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url._replace(drivername="postgresql", password=None)
    return conninfo.render_as_string(hide_password=False), env


def client_tool(name: str, server_major: int, error: type[RegistryError]) -> tuple[str, str]:
    """(path, version line) of pg_dump or pg_restore, refused if older than the server."""
    path = shutil.which(name)
    if path is None:
        raise error(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    version = subprocess.run(
        [path, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    found = re.search(r"\)\s+(\d+)", version)
    if found is None or int(found.group(1)) < server_major:
        raise error(
            f"{version} cannot work with a PostgreSQL {server_major} server: install "
            f"postgresql-client-{server_major} or newer."
        )
    return path, version


def _run_tool(
    command: list[str],
    env: dict[str, str],
    marker: str,
    steps: int,
    span: tuple[float, float],
    report: Progress,
    error: type[RegistryError],
) -> None:
    """Run a PostgreSQL client tool with --verbose, turning its per-table lines into progress."""
    start, end = span
    done = 0
    lines: list[str] = []
    with subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if marker in line:
                done += 1
                table_name = line.split(marker, 1)[1].strip().strip('"')
                report(start + (end - start) * min(done / max(steps, 1), 1.0), table_name)
            else:
                lines.append(line.strip())
    if process.returncode != 0:
        errors = [line for line in lines if "error" in line.lower()] or lines
        tool = Path(command[0]).name
        raise error(f"{tool} failed (exit {process.returncode}): {' '.join(errors[-3:])}")


def dump(engine: Engine, partial: Path, report: Progress) -> tuple[dict[str, int], str | None, str]:
    with engine.connect() as connection:
        # REPEATABLE READ: every statement of this transaction sees the snapshot that
        # pg_dump is handed, so the counts describe exactly the rows in the file.
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            server_major = int((engine.dialect.server_version_info or (0,))[0])
            pg_dump, version = client_tool("pg_dump", server_major, BackupFailed)
            lock_wait_ms = int(settings.BACKUP_LOCK_WAIT_TIMEOUT.total_seconds() * 1000)
            # The counting waits for locks no longer than pg_dump will.
            connection.execute(select(func.set_config("lock_timeout", f"{lock_wait_ms}ms", True)))
            snapshot = connection.scalar(select(func.pg_export_snapshot()))
            try:
                counts = row_counts(connection)
            except OperationalError as e:
                raise BackupFailed(f"A table stayed locked: {str(e.orig).strip()}") from e
            revision = schema_revision(connection)
            report(0.05, "Dumping the tables")
            conninfo, env = _libpq(engine.url)
            command = [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--lock-wait-timeout={lock_wait_ms}",
                "--verbose",
                f"--file={partial}",
                f"--dbname={conninfo}",
            ]
            marker = "dumping contents of table "
            _run_tool(command, env, marker, len(counts), (0.05, 0.8), report, BackupFailed)
    return counts, revision, version


def check_target(target: URL, manifest: Manifest, replace: bool) -> int:
    """Refuse a target holding rows, or tables the backup lacks; its server's major version."""
    safe = target.render_as_string(hide_password=True)
    engine = db.make_engine(target.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            counts = row_counts(connection)
        server_major = int((engine.dialect.server_version_info or (0,))[0])
    except SQLAlchemyError as e:
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        raise RestoreRefused(f"Cannot reach the target database {safe}: {reason}") from e
    finally:
        engine.dispose()
    refuse_non_empty(counts, safe, replace)
    if extra := sorted(set(counts) - set(manifest.row_counts)):
        # pg_restore --clean drops only what the backup holds; these would outlive it.
        raise RestoreRefused(
            f"The target database {safe} has tables the backup does not ({', '.join(extra)}): "
            "its schema is newer. Restore into a new, empty database and run "
            f"`python -m registry migrate` there. {UNTOUCHED}"
        )
    return server_major


def restore(pg_restore: str, file: Path, target: URL, manifest: Manifest, report: Progress) -> None:
    conninfo, env = _libpq(target)
    command = [
        pg_restore,
        # Drop and recreate the objects instead of deleting rows: audit_event refuses DELETE.
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-acl",
        # All or nothing: a failure leaves the target as it was.
        "--single-transaction",
        "--exit-on-error",
        "--verbose",
        f"--dbname={conninfo}",
        str(file),
    ]
    marker = "processing data for table "
    steps = len(manifest.row_counts)
    _run_tool(command, env, marker, steps, (0.15, 0.8), report, RestoreFailed)


CHECK = "pg_restore --list and a read-through of the dump"
_DATA_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ")


def _table_name(qualified: str) -> str:
    """`public."user"` -> `user`: the table's own name, as the row counts key it."""
    name = qualified.split(".", 1)[1] if "." in qualified else qualified
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _last_lines(stream: IO[bytes]) -> str:
    stream.seek(0)
    lines = [line.strip() for line in stream.read().decode("utf-8", "replace").splitlines()]
    return " ".join(line for line in lines[-3:] if line)


def check_backup(engine: Engine, file: Path, expected: dict[str, int]) -> BackupCheck:
    """check_dump with a pg_restore able to read what this server's pg_dump wrote."""
    server_major = int((engine.dialect.server_version_info or (0,))[0])
    pg_restore, _ = client_tool("pg_restore", server_major, BackupFailed)
    return check_dump(pg_restore, file, expected)


def check_dump(pg_restore: str, file: Path, expected: dict[str, int]) -> BackupCheck:
    """Read a dump back without a database: its table of contents must list the data of
    every table (pg_restore --list), and the whole archive must decompress into a script
    (pg_restore --file=-) whose COPY blocks hold the rows expected for each table."""
    listed = subprocess.run(
        [pg_restore, "--list", str(file)], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        why = " ".join(listed.stderr.split()[-30:]) or f"exit {listed.returncode}"
        return judge_counts(expected, expected, CHECK, [f"pg_restore --list: {why}"])
    with_data = {
        _table_name(f"{m.group(1)}.{m.group(2)}")
        for line in listed.stdout.splitlines()
        if (m := _DATA_ENTRY.match(line))
    }
    problems = [
        f"{name}: no data entry in the archive"
        for name in sorted(set(expected) - with_data)
        if expected[name]
    ]
    read: dict[str, int] = {}
    with tempfile.TemporaryFile() as errors:
        with subprocess.Popen(
            [pg_restore, "--file=-", str(file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
        ) as process:
            assert process.stdout is not None
            table_name: str | None = None
            for line in process.stdout:
                if table_name is None:
                    if line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;"):
                        qualified = line[5:].split(b" (", 1)[0].split(b" FROM", 1)[0]
                        table_name = _table_name(qualified.decode("utf-8").strip())
                        read.setdefault(table_name, 0)
                elif line == b"\\.\n":
                    table_name = None
                else:
                    read[table_name] += 1  # COPY text: one line per row, newlines escaped
        if process.returncode != 0:
            problems.append(f"pg_restore read-through: {_last_lines(errors) or 'failed'}")
    # Tables without rows may have no COPY block; they read back as empty.
    for name in with_data:
        read.setdefault(name, 0)
    return judge_counts(expected, read, CHECK, problems)
