"""The Segments page and its export at 1,000,000 persons on PostgreSQL.

    python benchmarks/segments.py [--url URL] [--persons 1000000] [--rounds 3] [--no-pages]

Uses the database at --url (default: REGISTRY_DATABASE_URL, else the local trust-auth server's
registry_bench_segments), migrating it and seeding it with --persons (demo accounts included)
if it is empty. Then, signed in as the demo marketing account:

- the page through AppTest: the first render with empty Streamlit caches (cold) and a rerun
  (warm), for the default view and for each tab;
- a builder change: a definition counted for the first time (members and the six
  targetable counts), for several definitions;
- the export preview of that segment (its counts per basis and per reason left out);
- the export of the built-in segment whose newsletter list is nearest 100,000 persons, to a
  file, with the Python heap's peak (tracemalloc) while it streams; each round's disclosure
  is deleted afterwards (the audit events stay), so rounds and runs insert alike.

Each figure is the median of --rounds runs. The load average is printed with them: the
machine is shared, and a busy one makes every figure slower. Results go to stdout and to
benchmarks/out/segments.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select  # noqa: E402

from registry import db, deadlines, export, filters  # noqa: E402
from registry.models import AppUser, DisclosedPerson, Disclosure, Person  # noqa: E402
from registry.permissions import Actor  # noqa: E402
from registry.segments import composition, counting, member_list  # noqa: E402
from registry.vocabulary import Channel  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/registry_bench_segments"
TARGETS = {"page warm": 1.0, "page cold": 3.0, "builder change": 1.0, "export": 5.0}
OUT = ROOT / "benchmarks" / "out" / "segments.json"

BUILDER_DEFINITIONS: list[list[dict[str, Any]]] = [
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


def prepare(url: str, persons: int) -> None:
    from demo import seeder

    engine = db.make_engine(url)
    db.migrate(engine)
    with engine.connect() as c:
        have = c.scalar(select(func.count()).select_from(Person))
    if not have:
        print(f"Seeding {persons:,} persons…", flush=True)
        seeder.seed(engine, persons=persons, random_seed=1, demo_accounts=True)
    engine.dispose()


def median_of(rounds: int, run: Callable[[], Any]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def page_timings(url: str, actor: Actor, rounds: int) -> dict[str, float]:
    """AppTest renders of the page: cold (empty caches) and warm, per tab."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from registry.models import utcnow

    os.environ[db.ENV_VAR] = url
    os.chdir(ROOT)

    def app(tab: str | None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
        at.session_state["auth_user_id"] = actor.user_id
        at.session_state["auth_actor"] = actor
        at.session_state["auth_last_activity"] = utcnow()
        at.run()  # the Overview: signing in lands there
        at.switch_page("pages/segments.py")
        if tab:
            at.session_state["segments_tab"] = tab
        return at

    results: dict[str, float] = {}
    for tab in (None, "Composition", "Builder", "Export", "All segments"):
        name = tab or "default view (Members)"
        cold, warm = [], []
        for _ in range(rounds):
            at = app(tab)
            st.cache_data.clear()
            started = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - started)
            assert not at.exception, at.exception
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
        results[f"page cold: {name}"] = statistics.median(cold)
        results[f"page warm: {name}"] = statistics.median(warm)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=os.environ.get(db.ENV_VAR, DEFAULT_URL))
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--no-pages", action="store_true", help="leave out the AppTest renders of the page"
    )
    args = parser.parse_args()
    prepare(args.url, args.persons)
    engine = db.make_engine(args.url)
    sessions = db.make_sessionmaker(engine)
    with sessions() as s:
        persons = s.scalar(select(func.count()).select_from(Person)) or 0
        actor = Actor.of(s.scalar(select(AppUser).where(AppUser.username == "marketing")))
    print(f"{persons:,} persons at {db.DatabaseConfig(args.url, 'bench').safe_url}")
    print(f"load average before: {load()}", flush=True)
    figures: dict[str, float] = {}

    if not args.no_pages:
        figures.update(page_timings(args.url, actor, args.rounds))
        print("page done", flush=True)

    today = deadlines.today()
    for i, definition in enumerate(BUILDER_DEFINITIONS):
        with sessions() as s:
            figures[f"builder change {i + 1}: {filters.describe(definition)}"] = median_of(
                args.rounds, lambda d=definition, s=s: counting.summary(s, actor, d, today)
            )
    for name, call in (
        ("domain: all built-in segments (overview)", counting.builtin_overview),
        ("domain: composition of everyone", lambda s, a: composition.composition(s, a, [])),
        ("domain: first members page of everyone", lambda s, a: member_list.members(s, a, [])),
    ):
        with sessions() as s:
            figures[name] = median_of(args.rounds, lambda c=call, s=s: c(s, actor))

    with sessions() as s:
        rows = counting.builtin_overview(s, actor, today)
        target = min(rows, key=lambda r: abs(r.targetable[Channel.NEWSLETTER] - 100_000))
        recipient = export.find_recipient(s, actor, "Emerald Mailworks Ltd")
        shown = export.preview(s, actor, target.segment.definition, Channel.NEWSLETTER)
        figures[
            f"export preview: {target.segment.label}, newsletter ({shown.exported:,} listed, "
            f"{sum(shown.left_out.values()):,} left out)"
        ] = median_of(
            args.rounds,
            lambda s=s: export.preview(
                s, actor, target.segment.definition, Channel.NEWSLETTER, today, recipient
            ),
        )
    export_times, peak, exported = [], 0.0, 0
    with tempfile.TemporaryDirectory() as directory:
        # The last round traces the heap (tracing slows Python down, so it is not timed).
        for round_ in range(args.rounds + 1):
            traced = round_ == args.rounds
            with sessions() as s, (Path(directory) / "list.csv").open("w", newline="") as out:
                if traced:
                    tracemalloc.start()
                started = time.perf_counter()
                result = export.export_target_list(
                    s, actor, target.segment, Channel.NEWSLETTER, recipient, "Benchmark", out
                )
                if traced:
                    peak = tracemalloc.get_traced_memory()[1] / 2**20
                    tracemalloc.stop()
                else:
                    export_times.append(time.perf_counter() - started)
                exported = result.rows
                # Leave the database as it was, so that every round and run inserts alike.
                s.execute(
                    delete(DisclosedPerson).where(
                        DisclosedPerson.disclosure_id == result.disclosure_id
                    )
                )
                s.execute(delete(Disclosure).where(Disclosure.id == result.disclosure_id))
                s.commit()
    figures[f"export: {target.segment.label}, newsletter, {exported:,} rows"] = statistics.median(
        export_times
    )
    figures["export: Python heap peak while streaming (MiB)"] = peak

    print(f"load average after: {load()}")
    width = max(len(k) for k in figures)
    for name, value in figures.items():
        unit = "" if "MiB" in name else " s"
        print(f"{name:<{width}}  {value:8.2f}{unit}")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(
        json.dumps(
            {"persons": persons, "rounds": args.rounds, "load": load(), "figures": figures},
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
