"""The retention schedule at 1,000,000 persons on PostgreSQL: the listing, and applying it.

    python benchmarks/retention.py [--server URL] [--persons 1000000] [--apply-persons 1000]
                                   [--batch-persons 1000] [--keep | --reuse NAME]

Creates a scratch database on the server (default: REGISTRY_TEST_DATABASE_URL or the local
trust-auth server), migrates and seeds it (`demo.seeder.seed`, as `python -m registry seed`
does), then times the listing (`registry.retention.listing`, three times) and one bounded
application of the person rules (`registry.retention_apply.apply` with max_persons, through
the erasure path, in batches), with the PostgreSQL backends' CPU time beside the wall
time (parallel workers' CPU is not in it). Prints every figure with the load average; drops the
database unless --keep. REGISTRY_SUPPRESSION_KEY is set to a throwaway key if not given.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from registry import db, erasure_journal, retention, retention_apply  # noqa: E402
from registry.notice import PERSON_RULES  # noqa: E402
from registry.permissions import Actor  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def server_cpu(pids: set[int]) -> float:
    """CPU seconds the PostgreSQL backends `pids` have used (the server runs on this machine).

    On two cores shared with other work, wall time says more about the neighbours than about
    the statements; the backends' own CPU time is the steadier figure.
    """
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("REGISTRY_TEST_DATABASE_URL"))
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--apply-persons", type=int, default=1_000)
    parser.add_argument("--batch-persons", type=int, default=retention_apply.BATCH_PERSONS)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", metavar="NAME", help="a database kept by --keep: no seed")
    args = parser.parse_args()
    os.environ.setdefault("REGISTRY_SUPPRESSION_KEY", uuid.uuid4().hex + uuid.uuid4().hex)
    os.environ.setdefault(
        erasure_journal.ENV_VAR, str(ROOT / "benchmarks" / "out" / "retention-journal.jsonl")
    )
    server = make_url(args.server or DEFAULT_SERVER)
    name = args.reuse or f"registry_bench_retention_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    print(f"Scratch database {name}; load {load()}", flush=True)
    actor = Actor.command_line("benchmark")
    try:
        from demo import seeder

        engine = db.make_engine(url)
        backends: set[int] = set()  # every connection's server process, for its CPU time

        @event.listens_for(engine, "connect")
        def remember(dbapi_connection: Any, _record: Any) -> None:
            backends.add(dbapi_connection.info.backend_pid)

        db.migrate(engine)
        if not args.reuse:
            started = time.perf_counter()
            seeder.seed(engine, persons=args.persons, random_seed=1, demo_accounts=True)
            print(f"Seeded {args.persons:,} persons in {time.perf_counter() - started:.0f} s")
        with engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
        listings = []
        for _ in range(3):
            with db.make_sessionmaker(engine)() as s:
                s.execute(text("SELECT 1"))
                cpu = server_cpu(backends)
                t = time.perf_counter()
                due = retention.listing(s, actor)
                listings.append(time.perf_counter() - t)
                cpu = server_cpu(backends) - cpu
            print(
                f"listing {listings[-1]:.2f} s, server CPU {cpu:.2f} s (load {load()})",
                flush=True,
            )
        for d in due:
            print(f"  {d.rule.key:<24} persons {d.persons:>9,} rows {d.rows:>10,}")
        print(
            f"Listing at {args.persons:,} persons: median {statistics.median(listings):.2f} s, "
            f"max {max(listings):.2f} s (target 10 s); load {load()}",
            flush=True,
        )
        cpu = server_cpu(backends)
        client = time.process_time()
        t = time.perf_counter()
        done = retention_apply.apply(
            engine,
            actor,
            max_persons=args.apply_persons,
            rules=PERSON_RULES,
            batch_persons=args.batch_persons,
            progress=lambda f, m: print(f"  [{f:4.0%}] {m} (load {load()})", flush=True),
        )
        took = time.perf_counter() - t
        client = time.process_time() - client
        cpu = server_cpu(backends) - cpu
        print(
            f"Applied the person rules to {done.persons_erased:,} persons in {took:.1f} s "
            f"({done.persons_erased / took:.1f} persons/s, batches of {args.batch_persons}), "
            f"server CPU {cpu:.1f} s, this process's CPU {client:.1f} s; load {load()}"
        )
        engine.dispose()
    finally:
        if not args.keep:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"Dropped {name}")
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
