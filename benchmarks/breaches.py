"""Who a breach affected, counted in SQL, at 1,000,000 persons on PostgreSQL (target: 3 s).

    python benchmarks/breaches.py [--url URL | --server URL] [--persons 1000000] [--rounds 3]

With --url, uses that seeded database as it is. Otherwise creates a database on the server
(default: REGISTRY_TEST_DATABASE_URL or the local trust-auth server), migrates it, seeds it
with `python -m registry seed --persons N --random-seed 2026`, and drops it at the end
(unless --keep).

Each case records a breach in a transaction that is rolled back at the end, so a reused
database is left as it was: a hosting processor of everyone (all four categories; then
narrowed to two relationships), the per-disclosure newsletter provider, the website
analytics processor (a scope by category), an internal system, and a dashboard account
with 20,000 views of persons and one exported list in its audit trail. For each: the count
(registry.breaches.affected.affected_counts, the statement count_affected runs), the first
page of the list, and a person's membership (what the access report asks per breach).
Figures are medians of --rounds runs after a first, cold one; written to
benchmarks/out/breaches.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import breaches, db  # noqa: E402
from registry.auth import Actor  # noqa: E402
from registry.breaches import affected  # noqa: E402
from registry.models import (  # noqa: E402
    AppUser,
    AuditEvent,
    Breach,
    Disclosure,
    Person,
    Recipient,
    utcnow,
)
from registry.vocabulary import Role  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_S = 3.0
ALL_CATEGORIES = ("basic", "customer_relationship", "service_user", "transactions")


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def seed_database(server: str, persons: int) -> str:
    name = f"breaches_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    env = {**os.environ, db.ENV_VAR: url}
    for command in (
        ["migrate"],
        ["seed", "--persons", str(persons), "--random-seed", "2026"],
    ):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "registry", *command], cwd=ROOT, env=env, check=True)
        print(f"{' '.join(command)}: {time.perf_counter() - started:.0f} s", flush=True)
    return url


def drop_database(server: str, url: str) -> None:
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def server_cpu(pid: int) -> float | None:
    """CPU seconds the PostgreSQL backend `pid` has used, if the server runs on this machine.

    On two cores shared with other work, wall time says more about the neighbours than about
    the statement; the backend's own CPU time is the steadier figure.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def timed(
    rounds: int, call: Callable[[], object], pid: int
) -> tuple[float, float, float | None, object]:
    """(first, median of the next `rounds`) in seconds, the median server CPU seconds of
    those rounds, and the last result."""
    started = time.perf_counter()
    result = call()
    first = time.perf_counter() - started
    times, cpu = [], []
    for _ in range(rounds):
        cpu_before = server_cpu(pid)
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
        cpu_after = server_cpu(pid)
        if cpu_before is not None and cpu_after is not None:
            cpu.append(cpu_after - cpu_before)
    return first, statistics.median(times), statistics.median(cpu) if cpu else None, result


def run(url: str, rounds: int) -> dict[str, object]:
    engine = db.make_engine(url)
    session = db.make_sessionmaker(engine)()
    persons = session.scalar(select(func.count()).select_from(Person)) or 0
    print(f"{persons:,} persons; load average before: {load()}", flush=True)
    # One transaction, rolled back at the end: breaches and audit rows leave no trace.
    officer = AppUser(
        username=f"bench-officer-{uuid.uuid4().hex[:6]}",
        display_name="Benchmark officer",
        role=Role.COMPLIANCE,
    )
    suspect = AppUser(
        username=f"bench-suspect-{uuid.uuid4().hex[:6]}",
        display_name="Benchmark suspect",
        role=Role.COMPLIANCE,
    )
    session.add_all([officer, suspect])
    session.flush()
    actor = Actor.of(officer)
    now = utcnow()
    start = now - dt.timedelta(days=30)

    def recipient(name: str) -> int:
        found = session.scalar(select(Recipient.id).where(Recipient.name == name))
        assert found is not None, f"{name} is not in the seeded register"
        return found

    # The suspect viewed 20,000 persons spread over the table and exported the biggest list.
    step = max(1, persons // 20_000)
    session.execute(
        text(
            "INSERT INTO audit_event (at, actor_id, actor_name, action, record_type, record_id,"
            " detail) SELECT :at, :uid, :uname, 'view_person', 'person', CAST(id AS varchar), ''"
            " FROM person WHERE id % :step = 0"
        ),
        {
            "at": now - dt.timedelta(days=2),
            "uid": suspect.id,
            "uname": suspect.username,
            "step": step,
        },
    )
    biggest = session.scalar(select(Disclosure.id).order_by(Disclosure.person_count.desc()))
    session.add(
        AuditEvent(
            at=now - dt.timedelta(days=1),
            actor_id=suspect.id,
            actor_name=suspect.username,
            action="target_list_exported",
            record_type="disclosure",
            record_id=str(biggest),
            detail="",
        )
    )
    session.flush()
    session.execute(text("ANALYZE audit_event"))

    cases = {
        "hosting processor of everyone, 4 categories": {
            "source": "recipient",
            "source_recipient_id": recipient("CloudHost Inc."),
            "data_categories": ALL_CATEGORIES,
        },
        "hosting processor, 2 relationships, 2 categories": {
            "source": "recipient",
            "source_recipient_id": recipient("Polder Hosting B.V."),
            "data_categories": ("basic", "transactions"),
            "relationships": ("service_user", "marketing_opt_in"),
        },
        "newsletter provider (per disclosure), 2 categories": {
            "source": "recipient",
            "source_recipient_id": recipient("Emerald Mailworks Ltd"),
            "data_categories": ("basic", "transactions"),
        },
        "website analytics (scope by category), 2 categories": {
            "source": "recipient",
            "source_recipient_id": recipient("Rhein Analytics GmbH"),
            "data_categories": ("basic", "transactions"),
        },
        "internal system (everyone), 2 categories": {
            "source": "internal_system",
            "source_detail": "CRM database",
            "data_categories": ("basic", "customer_relationship"),
        },
        "dashboard account: 20,000 views and 1 export": {
            "source": "dashboard_account",
            "source_user_id": suspect.id,
            "data_categories": ALL_CATEGORIES,
        },
    }
    results: dict[str, object] = {"persons": persons, "load_before": load(), "cases": {}}
    probe = session.scalar(select(func.max(Person.id)))
    backend = session.scalar(select(func.pg_backend_pid()))
    for name, values in cases.items():
        columns = {"source_detail": "", "relationships": [], **values}
        breach = Breach(
            summary=name,
            description="benchmark",
            occurred_at=start,
            aware_at=now - dt.timedelta(hours=1),
            recorded_by=officer.id,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in columns.items()},
        )
        session.add(breach)
        session.flush()
        count_first, count_median, count_cpu, counts = timed(
            rounds,
            lambda b=breach: affected.affected_counts(session, actor, b.id, now),
            backend,
        )
        page_first, page_median, _, _ = timed(
            rounds, lambda b=breach: affected.page_of(session, b, now, 50, 0), backend
        )
        member_first, member_median, _, _ = timed(
            rounds, lambda b=breach: affected.concerns(session, b, probe, now), backend
        )
        row = {
            "affected persons": counts.persons,
            "records": counts.records,
            "count first s": round(count_first, 2),
            "count median s": round(count_median, 2),
            "count server CPU s": None if count_cpu is None else round(count_cpu, 2),
            "first page first s": round(page_first, 3),
            "first page median s": round(page_median, 3),
            "one person median s": round(member_median, 4),
            "one person first s": round(member_first, 4),
        }
        results["cases"][name] = row  # type: ignore[index]
        verdict = "ok" if count_median < TARGET_S else "OVER TARGET"
        print(
            f"{name}: {counts.persons:,} persons, {counts.records:,} records; count "
            f"{count_first:.2f} s first, {count_median:.2f} s median ({verdict}), server CPU "
            f"{'-' if count_cpu is None else f'{count_cpu:.2f} s'}; first page "
            f"{page_median * 1000:.0f} ms; one person {member_median * 1000:.1f} ms",
            flush=True,
        )
    started = time.perf_counter()
    found = breaches.breaches_concerning(session, probe, now)
    results["access report: breaches concerning one person s"] = round(
        time.perf_counter() - started, 3
    )
    print(
        f"breaches_concerning (the access report) over the {len(cases)} breaches: "
        f"{results['access report: breaches concerning one person s']} s, {len(found)} found"
    )
    results["load_after"] = load()
    session.rollback()
    session.close()
    engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a seeded database to use as it is")
    parser.add_argument(
        "--server", default=os.environ.get("REGISTRY_TEST_DATABASE_URL", DEFAULT_SERVER)
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database it seeded")
    args = parser.parse_args()
    url = args.url or seed_database(args.server, args.persons)
    try:
        results = run(url, args.rounds)
    finally:
        if not args.url and not args.keep:
            drop_database(args.server, url)
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "breaches.json").write_text(json.dumps(results, indent=2))
    slow = [n for n, r in results["cases"].items() if r["count median s"] >= TARGET_S]  # type: ignore[union-attr]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
