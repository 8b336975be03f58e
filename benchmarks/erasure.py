"""Erasing one person (Art. 17) at 1,000,000 persons on PostgreSQL.

    python benchmarks/erasure.py [--server URL] [--persons 1000000] [--erasures 5]
                                 [--keep | --reuse NAME]

Creates a scratch database on the server (default: REGISTRY_TEST_DATABASE_URL or the local
trust-auth server), migrates it and seeds it (`demo.seeder.seed`, demo accounts included,
as `python -m registry seed --persons N --demo-accounts` does), then, signed in as the demo
compliance account, completes verified erasure requests for the persons with the most
activity, consent events and disclosures: each timed from the call to its commit (preview
timed apart). Prints the figures with the load average; drops the database unless --keep.
REGISTRY_SUPPRESSION_KEY is set to a throwaway key if not given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from registry import db, erasure, erasure_journal  # noqa: E402
from registry.models import (  # noqa: E402
    Activity,
    AppUser,
    DataSubjectRequest,
    DisclosedPerson,
    Person,
)
from registry.permissions import Actor  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_SECONDS = 1.0


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("REGISTRY_TEST_DATABASE_URL"))
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--erasures", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", metavar="NAME", help="a database kept by --keep: no seed")
    args = parser.parse_args()
    os.environ.setdefault("REGISTRY_SUPPRESSION_KEY", uuid.uuid4().hex + uuid.uuid4().hex)
    os.environ.setdefault(
        erasure_journal.ENV_VAR, str(ROOT / "benchmarks" / "out" / "erasure-journal.jsonl")
    )
    server = make_url(args.server or DEFAULT_SERVER)
    name = args.reuse or f"registry_bench_erasure_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    print(f"Scratch database {name}; load {load()}", flush=True)
    try:
        from demo import seeder

        engine = db.make_engine(url)
        db.migrate(engine)
        if not args.reuse:
            started = time.perf_counter()
            seeder.seed(engine, persons=args.persons, random_seed=1, demo_accounts=True)
            print(f"Seeded {args.persons:,} persons in {time.perf_counter() - started:.0f} s")
        with db.make_sessionmaker(engine)() as s:
            officer = Actor.of(
                s.scalars(select(AppUser).where(AppUser.role == "compliance")).first()
            )
            busiest = s.execute(
                select(Activity.person_id, func.count())
                .join(Person, Person.id == Activity.person_id)
                .where(
                    Person.erased_at.is_(None),
                    Activity.person_id.in_(select(DisclosedPerson.person_id)),
                )
                .group_by(Activity.person_id)
                .order_by(func.count().desc())
                .limit(args.erasures)
            ).all()
            today = dt.date.today()
            requests = []
            for person_id, _ in busiest:
                r = DataSubjectRequest(
                    kind="erasure", channel="email", received_on=today, due_on=today,
                    requester_name="Benchmark", requester_contact="bench@example.org",
                    details="", person_id=person_id, status="verified",
                    identity_verified_at=dt.datetime.now(dt.UTC), identity_method="bench",
                )  # fmt: skip
                s.add(r)
                requests.append(r)
            s.commit()
            ids = [(r.id, r.person_id) for r in requests]
        previews, erasures = [], []
        for request_id, person_id in ids:
            with db.make_sessionmaker(engine)() as s:
                t = time.perf_counter()
                shown = erasure.preview(s, officer, request_id)
                previews.append(time.perf_counter() - t)
                t = time.perf_counter()
                applied = erasure.erase_for_request(s, officer, request_id, ["objected"], "bench")
                erasures.append(time.perf_counter() - t)
            rows = sum(e.rows for e in shown.effects if e.what == "deleted")
            print(
                f"person {person_id}: {rows} rows deleted, {applied.recipients} recipients; "
                f"preview {previews[-1]:.3f} s, erasure {erasures[-1]:.3f} s (load {load()})",
                flush=True,
            )
        print(
            f"Erasure at {args.persons:,} persons: median {statistics.median(erasures):.3f} s, "
            f"max {max(erasures):.3f} s (target {TARGET_SECONDS} s); preview median "
            f"{statistics.median(previews):.3f} s; load {load()}"
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
