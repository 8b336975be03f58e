"""What a builder change and an export preview cost the database server, for the code of a
given tree, so two versions can be compared on one database at one load.

    python benchmarks/basis_cost.py TREE [--url URL]

TREE is a directory holding a `registry` package (this worktree, or an older commit unpacked
with `git archive COMMIT registry demo data | tar -x -C DIR`). The session turns off parallel
workers, so one backend process does all the work and its CPU time (utime + stime from
/proc/PID/stat, read before and after) is the statement's cost, which a busy machine slows
down less than the wall time. Medians of 3; the load average is printed after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/registry_bench_segments"
DEFINITIONS: list[list[dict[str, Any]]] = [
    [{"field": "region", "op": "in", "value": ["uusimaa", "pirkanmaa"]}],
    [
        {"field": "relationship", "op": "in", "value": ["customer_contact"]},
        {"field": "order_total_eur", "op": "gte", "value": 5000},
        {"field": "last_order_days", "op": "lte", "value": 365},
    ],
    [
        {"field": "industry", "op": "in", "value": ["IT services", "Accounting"]},
        {"field": "consent_email", "op": "in", "value": ["granted"]},
    ],
    [{"field": "engagement", "op": "in", "value": ["newsletter_reader", "event_attendee"]}],
]
EVENT_ATTENDEES = [{"field": "engagement", "op": "in", "value": ["event_attendee"]}]


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tree")
    parser.add_argument("--url", default=os.environ.get("REGISTRY_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.tree))
    os.chdir(args.tree)  # the tree's own data/registry.toml
    from sqlalchemy import select, text

    from registry import db, deadlines, export
    from registry.models import AppUser
    from registry.permissions import Actor
    from registry.segments import counting
    from registry.vocabulary import Channel

    engine = db.make_engine(args.url)
    today = deadlines.today()
    with db.make_sessionmaker(engine)() as s:
        actor = Actor.of(s.scalar(select(AppUser).where(AppUser.username == "marketing")))
        s.execute(text("SET max_parallel_workers_per_gather = 0"))
        pid = s.scalar(text("SELECT pg_backend_pid()"))

        def timed(name: str, call: Callable[[], Any]) -> None:
            walls, cpus = [], []
            for _ in range(3):
                cpu, started = cpu_seconds(pid), time.perf_counter()
                call()
                walls.append(time.perf_counter() - started)
                cpus.append(cpu_seconds(pid) - cpu)
            print(
                f"{name}: wall {statistics.median(walls):.2f} s, "
                f"server CPU {statistics.median(cpus):.2f} s",
                flush=True,
            )

        for i, definition in enumerate(DEFINITIONS, 1):
            timed(
                f"builder change {i}",
                lambda d=definition: counting.summary(s, actor, d, today),  # type: ignore[misc]
            )
        timed(
            "export preview (event attendees, newsletter)",
            lambda: export.preview(s, actor, EVENT_ATTENDEES, Channel.NEWSLETTER, today),
        )
    print("load average after:", " ".join(open("/proc/loadavg").read().split()[:3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
