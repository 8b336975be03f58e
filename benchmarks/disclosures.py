"""The Disclosures page at 1,000,000 disclosed-person rows on PostgreSQL.

    python benchmarks/disclosures.py [--rows 1000000] [--server URL] [--keep | --reuse NAME]

Builds its own database on the server (default: REGISTRY_TEST_DATABASE_URL or the local
trust-auth server), fills it with SQL generate_series (persons, recipients, disclosures of
200 persons each), then times each query the page makes, cold and warm, and the whole page
through AppTest: first render (empty caches) and a rerun (warm caches). Figures are printed
and written to benchmarks/out/disclosures.json. The database is dropped unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import db, disclosure_log, disclosures  # noqa: E402
from registry.disclosure_log import DisclosureFilter  # noqa: E402
from registry.models import AppUser  # noqa: E402
from registry.permissions import Actor  # noqa: E402

PERSONS_PER_DISCLOSURE = 200
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# name, kind, country, mechanism: EEA dealers and processors, and US/IN/JP processors.
RECIPIENTS = [
    ("Pohjan Jälleenmyynti Oy", "dealer", "FI", "not_needed"),
    ("Svea Partner AB", "dealer", "SE", "not_needed"),
    ("Fjord Salg AS", "dealer", "NO", "not_needed"),
    ("Baltic Leping OÜ", "dealer", "EE", "not_needed"),
    ("Turun Tuki Oy", "subcontractor", "FI", "not_needed"),
    ("Rhein Druck GmbH", "subcontractor", "DE", "not_needed"),
    ("Emerald Mail Ltd", "processor", "IE", "not_needed"),
    ("Polder Hosting B.V.", "processor", "NL", "not_needed"),
    ("CloudHost Inc.", "processor", "US", "dpf"),
    ("PipeCRM Inc.", "processor", "US", "scc_2021"),
    ("SurveyPeak LLC", "processor", "US", "privacy_shield"),
    ("Mumbai Support Pvt", "processor", "IN", "scc_2021"),
    ("Kyoto Analytics KK", "processor", "JP", "adequacy"),
]


def build(url: str, rows: int) -> Actor:
    engine = db.make_engine(url)
    db.migrate(engine)
    disclosure_count = rows // PERSONS_PER_DISCLOSURE
    persons = max(rows // 5, PERSONS_PER_DISCLOSURE)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO person (first_name, last_name, email, country, relationship, source,"
                " created_at, updated_at, version)"
                " SELECT 'First' || g, 'Last' || g, 'p' || g || '@example.com', 'FI',"
                " 'customer_contact', 'benchmark', now(), now(), 1"
                " FROM generate_series(1, :n) g"
            ),
            {"n": persons},
        )
        c.execute(
            text(
                "INSERT INTO app_user (username, display_name, role, active, failed_sign_ins,"
                " created_at) VALUES ('bench', 'Benchmark officer', 'compliance', true, 0, now())"
            )
        )
        for i, (name, kind, country, mechanism) in enumerate(RECIPIENTS, start=1):
            c.execute(
                text(
                    "INSERT INTO recipient (id, name, kind, service, country, transfer_mechanism,"
                    " active) VALUES (:i, :name, :kind, 'IT', :country, :m, true)"
                ),
                {"i": i, "name": name, "kind": kind, "country": country, "m": mechanism},
            )
        # Spread over two years up to now; purposes and categories vary with the id.
        c.execute(
            text(
                "INSERT INTO disclosure (id, recipient_id, disclosed_at, purpose, data_categories,"
                " legal_basis, note, recorded_by, person_count)"
                " SELECT g, 1 + g % :r, now() - (g % 730) * interval '1 day' - (g % 24) * interval"
                " '1 hour', (ARRAY['Newsletter delivery','Hosting','Resale','Customer surveys'])"
                '[1 + g % 4], CAST((ARRAY[\'["basic"]\',\'["basic", "transactions"]\','
                " '[\"customer_relationship\"]','[\"service_user\"]'])[1 + g % 4] AS json),"
                " 'contract', '', 1, :p FROM generate_series(1, :d) g"
            ),
            {"r": len(RECIPIENTS), "d": disclosure_count, "p": PERSONS_PER_DISCLOSURE},
        )
        # Each disclosure takes a run of consecutive persons starting at a scattered offset.
        c.execute(
            text(
                "INSERT INTO disclosed_person (disclosure_id, person_id)"
                " SELECT d, 1 + ((d * 7919) % (:persons - :p) + k)"
                " FROM generate_series(1, :d) d, generate_series(0, :p - 1) k"
            ),
            {"persons": persons, "p": PERSONS_PER_DISCLOSURE, "d": disclosure_count},
        )
    # As autovacuum would leave it: statistics, and a visibility map for index-only scans.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return bench_actor(url)


def bench_actor(url: str) -> Actor:
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as s:
        actor = Actor.of(s.query(AppUser).filter_by(username="bench").one())
    engine.dispose()
    return actor


def timed(fn: Callable[[], object], repeats: int = 5) -> dict[str, float]:
    start = time.perf_counter()
    fn()
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - start)
    return {
        "first_ms": round(cold * 1000, 1),
        "warm_median_ms": round(statistics.median(warm) * 1000, 1),
    }


def query_timings(url: str, actor: Actor, rows: int) -> dict[str, dict[str, float]]:
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    everything = DisclosureFilter()
    third = DisclosureFilter(third_country=True, data_category="transactions")
    window = DisclosureFilter(
        since=dt.date.today() - dt.timedelta(days=90), purpose="Hosting", country="US"
    )
    person_id = 42
    middle_disclosure = max(1, rows // PERSONS_PER_DISCLOSURE // 2)
    cases: dict[str, Callable[..., object]] = {
        "kpis": lambda s: disclosure_log.kpis(s, actor),
        "filter_options": lambda s: disclosure_log.filter_options(s, actor),
        "log page 1": lambda s: disclosure_log.log(s, actor, everything),
        "log page 80": lambda s: disclosure_log.log(s, actor, everything, offset=79 * 50),
        "count": lambda s: disclosure_log.count(s, actor, everything),
        "log, third countries + category": lambda s: disclosure_log.log(s, actor, third),
        "log, US + purpose + 90 days": lambda s: disclosure_log.log(s, actor, window),
        "per month by recipient": lambda s: disclosure_log.per_month_by_recipient(
            s, actor, everything
        ),
        "persons by country (map)": lambda s: disclosure_log.persons_by_country(
            s, actor, everything
        ),
        "persons by country, third": lambda s: disclosure_log.persons_by_country(s, actor, third),
        "drill-down persons": lambda s: disclosure_log.persons_of(s, actor, middle_disclosure),
        "per person": lambda s: disclosures.of_person(s, actor, person_id),
    }
    results = {}
    with sessions() as s:
        for name, case in cases.items():
            results[name] = timed(lambda case=case: case(s))
    engine.dispose()
    return results


def page_timings(url: str, actor: Actor) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    from registry.models import utcnow

    os.environ[db.ENV_VAR] = url
    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["auth_user_id"] = actor.user_id
    at.session_state["auth_actor"] = actor
    at.session_state["auth_last_activity"] = utcnow()
    at.run()
    at.switch_page("pages/disclosures.py")
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    assert not at.exception, at.exception
    warm = []
    for _ in range(5):
        start = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - start)
    return {
        "first_render_ms": round(cold * 1000, 1),
        "warm_rerun_median_ms": round(statistics.median(warm) * 1000, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="disclosed-person rows")
    parser.add_argument(
        "--server", default=os.environ.get("REGISTRY_TEST_DATABASE_URL", DEFAULT_SERVER)
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--reuse", metavar="NAME", help="time a database kept by --keep")
    args = parser.parse_args()

    name = args.reuse or f"registry_bench_disclosures_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(args.server), isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.server).set(database=name).render_as_string(hide_password=False)
    try:
        if args.reuse:
            actor = bench_actor(url)
        else:
            start = time.perf_counter()
            actor = build(url, args.rows)
            print(
                f"built {args.rows:,} disclosed-person rows in {time.perf_counter() - start:.1f} s"
            )
        results = {
            "rows": args.rows,
            "database": name,
            "queries": query_timings(url, actor, args.rows),
            "page": page_timings(url, actor),
        }
    finally:
        if not (args.keep or args.reuse):
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    width = max(len(k) for k in results["queries"])
    print(f"{'query':<{width}}  first ms  warm ms")
    for query, t in results["queries"].items():
        print(f"{query:<{width}}  {t['first_ms']:>8}  {t['warm_median_ms']:>7}")
    print(f"page: {results['page']}")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "disclosures.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
