"""Page speed and server memory at scale, in a real browser.

    python benchmarks/run.py --persons 1000000

Seeds a PostgreSQL database (kept between runs: `--reuse` skips seeding when it is there),
starts the dashboard and an empty Streamlit page (the floor), signs in as each demo role in
headless Chromium and opens every page of the role twice: cold (first run of the page in a
fresh server process) and warm (again, caches filled). A page counts as loaded when its
heading shows and Streamlit reports the script is no longer running. Also times the segment
export and the access report through the domain, and reads the server's peak resident
memory (VmHWM). Prints a table and writes it to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from navigation import PAGES  # noqa: E402
from registry import db  # noqa: E402
from registry.permissions import ROLE_PERMISSIONS  # noqa: E402
from registry.vocabulary import Role  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, IDLE_SELECTOR, start_app  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
TARGET_WARM_S, TARGET_COLD_S, TARGET_RSS_MB = 1.0, 3.0, 600


def prepare_database(server_url: str, name: str, persons: int, reuse: bool) -> str:
    from demo import seeder
    from registry.models import Person

    server = make_url(server_url)
    url = server.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        exists = c.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists and not reuse:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = False
        if not exists:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = db.make_engine(url)
    db.migrate(engine)
    with engine.connect() as c:
        have = c.scalar(select(func.count()).select_from(Person))
    if have == 0:
        started = time.perf_counter()
        seeder.seed(
            engine,
            persons=persons,
            random_seed=1,
            demo_accounts=True,
            progress=lambda f, m: print(f"\r  seed {f:6.1%} {m:<50}", end="", flush=True),
        )
        print(f"\n  seeded {persons:,} persons in {time.perf_counter() - started:.0f} s")
    elif have != persons:
        print(f"  note: reusing {name} with {have:,} persons", flush=True)
    engine.dispose()
    return url


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_loaded(page, heading: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
    page.wait_for_selector(IDLE_SELECTOR, timeout=120_000)


def time_floor(browser, log_dir: Path) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    port_app = start_app(
        "sqlite:///:memory:", log_dir / "empty.log", script="benchmarks/empty_page.py"
    )
    try:
        context = browser.new_context()
        page = context.new_page()
        times = []
        for _ in range(2):
            started = time.perf_counter()
            page.goto(port_app.base_url)
            wait_loaded(page, "Empty page")
            times.append(time.perf_counter() - started)
        context.close()
        return times[0], times[1]
    finally:
        port_app.process.terminate()


def time_role(
    browser, app, role: Role, username: str, password: str
) -> list[tuple[str, str, float, float]]:  # type: ignore[no-untyped-def]
    """Cold and warm times of each page of one role, in a fresh server process."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app.base_url)
    page.wait_for_selector(IDLE_SELECTOR)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    started = time.perf_counter()
    page.get_by_role("button", name="Sign in").click()
    wait_loaded(page, "Overview")
    cold = {"Overview": time.perf_counter() - started}  # signing in lands on the Overview
    links = page.get_by_test_id("stSidebarNavLink")
    specs = [s for s in PAGES if s.permission in ROLE_PERMISSIONS[role]]
    warm: dict[str, float] = {}
    for timings in (cold, warm):
        for spec in specs:
            if spec.title in timings:
                continue
            if page.get_by_role("heading", name=spec.title).count():
                # Already on it: go elsewhere first, so the click really loads the page.
                other = next(o for o in specs if o.title != spec.title)
                links.filter(has_text=other.title).first.click()
                wait_loaded(page, other.title)
            started = time.perf_counter()
            links.filter(has_text=spec.title).first.click()
            wait_loaded(page, spec.title)
            timings[spec.title] = time.perf_counter() - started
    context.close()
    return [(role.value, s.title, cold[s.title], warm[s.title]) for s in specs]


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    python = platform.python_version()
    return f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB, Python {python}, {pg}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument(
        "--server-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from demo.data.accounts import DEMO_ACCOUNTS

    print(f"Preparing {args.database} with {args.persons:,} persons…", flush=True)
    url = prepare_database(args.server_url, args.database, args.persons, args.reuse)
    log_dir = ROOT / "benchmarks" / "out"
    log_dir.mkdir(exist_ok=True)
    accounts = {u: (Role(r), p) for u, _n, r, p in DEMO_ACCOUNTS}
    domain = time_domain(url)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        floor_cold, floor_warm = time_floor(browser, log_dir)
        rows, rss = [], 0.0
        for username, (role, password) in accounts.items():
            app = start_app(url, log_dir / f"app-{role}.log")
            try:
                rows += time_role(browser, app, role, username, password)
                rss = max(rss, peak_rss_mb(app.process.pid))
            finally:
                app.process.terminate()
                app.process.wait(timeout=30)
        browser.close()
    report = render(args, rows, floor_cold, floor_warm, rss, domain)
    print(report)
    if not args.no_write:
        write_results(report)
    missed = [r for r in rows if r[2] > TARGET_COLD_S or r[3] > TARGET_WARM_S]
    return 1 if missed or rss > TARGET_RSS_MB else 0


def time_domain(url: str) -> list[tuple[str, float, str]]:
    """The segment export and the access report, timed through the domain functions."""
    from benchmarks.domain_timings import measure

    return measure(url)


def render(args, rows, floor_cold, floor_warm, rss, domain) -> str:  # type: ignore[no-untyped-def]
    def ok(cold: float, warm: float) -> str:
        return "yes" if cold <= TARGET_COLD_S and warm <= TARGET_WARM_S else "NO"

    command = f"python benchmarks/run.py --persons {args.persons}"
    lines = [
        f"Measured {dt.date.today().isoformat()} with `{command}` on {machine()}.",
        "",
        f"Targets: every page under {TARGET_WARM_S:.0f} s warm and {TARGET_COLD_S:.0f} s cold; "
        f"server under {TARGET_RSS_MB} MB resident. Time runs from the click on the page's "
        "link until its heading shows and Streamlit reports the script is no longer running.",
        "",
        "| role | page | cold (s) | warm (s) | warm / floor | within target |",
        "| --- | --- | ---: | ---: | ---: | --- |",
        f"| - | empty Streamlit page (floor) | {floor_cold:.2f} | {floor_warm:.2f} | 1.0 | - |",
    ]
    for role, title, cold, warm in rows:
        ratio = warm / floor_warm
        lines.append(
            f"| {role} | {title} | {cold:.2f} | {warm:.2f} | {ratio:.1f} | {ok(cold, warm)} |"
        )
    lines += ["", "| operation | seconds | detail |", "| --- | ---: | --- |"]
    lines += [f"| {name} | {secs:.2f} | {detail} |" for name, secs, detail in domain]
    lines += [
        "",
        f"Server peak resident memory (VmHWM): **{rss:.0f} MB** (target {TARGET_RSS_MB} MB).",
    ]
    return "\n".join(lines)


def write_results(report: str) -> None:
    heading = "## Pages at scale"
    existing = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if heading in existing:
        start = existing.index(heading)
        rest = existing[start + len(heading) :]
        end = rest.find("\n## ")
        existing = existing[:start] + (rest[end + 1 :] if end >= 0 else "")
    RESULTS.write_text(existing.rstrip() + f"\n\n{heading}\n\n{report}\n")


if __name__ == "__main__":
    sys.exit(main())
