"""Seed benchmark: N synthetic persons, with all their rows, into a scratch PostgreSQL database.

    python benchmarks/seed.py                      # 1,000,000 persons, then drop the database
    python benchmarks/seed.py --persons 200000 --keep registry_seed_small

Creates the database next to --url (any database on the server; default the local trust
server), migrates it, seeds it, prints the elapsed seconds, each phase, rows per table and
rows per second, and drops it unless --keep. The load average is printed too: on a shared
2-core machine it explains more of the spread than anything in the seed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from demo import seeder
from registry import db

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a local process, from /proc (None if not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _create(server: URL, name: str) -> bool:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            if c.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                return False
            c.execute(text(f'CREATE DATABASE "{name}"'))
        return True
    finally:
        admin.dispose()


def _drop(server: URL, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", nargs="?", default="registry_seed_bench")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_SERVER, help="a URL of the PostgreSQL server")
    parser.add_argument("--random-seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--profile", metavar="FILE", help="write a pyinstrument profile (text)")
    args = parser.parse_args(argv)

    server = make_url(args.url)
    if not _create(server, args.database):
        print(f"Database {args.database} exists: drop it or name another.", file=sys.stderr)
        return 2
    engine = db.make_engine(server.set(database=args.database).render_as_string(False))
    # (seconds since start, python CPU, server CPU, message) at each progress report
    marks: list[tuple[float, float, float | None, str]] = []
    started = 0.0
    backend_pid = 0

    def progress(fraction: float, message: str) -> None:
        at = time.perf_counter() - started
        marks.append((at, time.process_time(), cpu_seconds(backend_pid), message))
        print(f"\r[{fraction:6.1%}] {at:7.1f} s  {message:<50}", end="", flush=True)

    try:
        db.migrate(engine)
        # The pool hands this connection to the seed: its server process does the loading.
        with engine.connect() as c:
            backend_pid = c.scalar(text("SELECT pg_backend_pid()"))
        server_cpu_before = cpu_seconds(backend_pid)
        load_before = os.getloadavg()
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        started = time.perf_counter()
        cpu_before = time.process_time()
        counts = seeder.seed(engine, args.persons, args.random_seed, progress=progress)
        elapsed = time.perf_counter() - started
        python_cpu = time.process_time() - cpu_before
        load_after = os.getloadavg()
        if profiler is not None:
            profiler.stop()
            Path(args.profile).write_text(profiler.output_text(unicode=False, color=False))
        with engine.connect() as c:
            same_backend = c.scalar(text("SELECT pg_backend_pid()")) == backend_pid
        server_cpu_after = cpu_seconds(backend_pid)
    finally:
        engine.dispose()
        if not args.keep:
            _drop(server, args.database)

    print()
    rows = sum(counts.values())
    print(f"persons {args.persons:,}: {elapsed:.1f} s, {rows:,} rows, {rows / elapsed:,.0f} rows/s")
    print(f"load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"python process CPU {python_cpu:.1f} s (both threads)")
    if same_backend and server_cpu_before is not None and server_cpu_after is not None:
        server_cpu = server_cpu_after - server_cpu_before
        print(f"server process CPU {server_cpu:.1f} s (without parallel index-build workers)")
    print("phases: wall seconds, python CPU, server CPU")
    steps: list[tuple[str, str, float, float, float | None]] = []  # phase, step, wall, cpu...
    for (at, py, srv, message), (at2, py2, srv2, _next) in itertools.pairwise(marks):
        # A phase is named by the report that starts it.
        if message.startswith(f"{args.persons:,} of "):
            phase = "waiting for the last COPY batches"
        elif " of " in message or message.startswith("Drawing"):
            phase = "pools, then persons chunk by chunk (generate + COPY)"
        elif message.startswith("Rebuilding"):
            phase = "rebuilding secondary indexes and constraints"
        else:
            phase = message
        server = None if srv is None or srv2 is None else srv2 - srv
        steps.append((phase, message, at2 - at, py2 - py, server))

    def show(wall: float, py: float, server: float | None, label: str) -> None:
        server_text = "?" if server is None else f"{server:.1f}"
        print(f"  {wall:7.1f} {py:7.1f} {server_text:>7}  {label}")

    for phase in dict.fromkeys(step[0] for step in steps):
        mine = [step for step in steps if step[0] == phase]
        servers = [step[4] for step in mine]
        total = None if None in servers else sum(v for v in servers if v is not None)
        show(sum(m[2] for m in mine), sum(m[3] for m in mine), total, phase)
        if phase.startswith("rebuilding"):
            for _phase, message, wall, py, server in sorted(mine, key=lambda m: -m[2]):
                show(wall, py, server, "  " + message.removeprefix("Rebuilding: "))
    print("rows per table:")
    for table, n in counts.items():
        print(f"  {table:<24}{n:>12,}")
    print("kept" if args.keep else "dropped", args.database)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
