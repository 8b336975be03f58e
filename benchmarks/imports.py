"""Import benchmark: a synthetic persons CSV imported with `python -m registry import`.

    python benchmarks/imports.py                       # 1,000,000 rows into PostgreSQL,
                                                       # 100,000 into SQLite
    python benchmarks/imports.py --postgresql-rows 200000 --sqlite-rows 0
    python benchmarks/imports.py --twice               # then the same file again (unchanged)
    python benchmarks/imports.py --update              # then every person's city changed

Writes the CSV (semicolon-delimited UTF-8 with a BOM, as Excel saves "CSV UTF-8"; about one
row in ten in other spellings that take the validators' slow paths: national phone numbers,
upper-case email domains, extra spaces) with names from Faker's Finnish and Swedish pools,
creates a scratch PostgreSQL database (dropped afterwards) and a scratch SQLite file, migrates
them, adds the importing account, and times the command line import as a subprocess. Prints
the wall-clock seconds, rows per second, the import's peak resident memory (the child's
ru_maxrss), the CPU seconds of the import process and of its PostgreSQL server process, and
the load average before and after, which on a shared 2-core machine explains most of the
spread of the wall-clock figures (the CPU seconds vary much less).
All data is synthetic.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faker import Faker  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.seed import cpu_seconds  # noqa: E402
from registry import db  # noqa: E402
from registry.auth import hash_password  # noqa: E402
from registry.models import AppUser  # noqa: E402
from registry.vocabulary import Relationship, Role  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HEADER = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "street_address",
    "postal_code",
    "city",
    "country",
    "position",
    "organisation_business_id",
    "relationship",
]
USER = "import-bench"
MOBILE_PREFIXES = ("40", "41", "42", "44", "45", "46", "50")  # Finnish mobile networks
SOURCE = "Customer data system and billing database"


def ascii_slug(text: str) -> str:
    """An email's local part as people make one from a name: ä -> a, no spaces or quotes."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "").replace("'", "")


def write_csv(path: Path, rows: int, random_seed: int) -> None:
    """`rows` distinct synthetic persons; memory stays small (pools, not rows, are kept)."""
    fake = Faker(["fi_FI", "sv_SE"])
    fake.seed_instance(random_seed)
    rng = random.Random(random_seed)
    firsts = sorted({fake.first_name() for _ in range(3_000)})
    lasts = sorted({fake.last_name() for _ in range(3_000)})
    streets = sorted({fake.street_name() for _ in range(2_000)})
    places = [(f"{rng.randrange(100, 99_999):05d}", fake.city()) for _ in range(1_500)]
    positions = sorted({fake.job()[:100] for _ in range(500)})
    relationships = [r.value for r in Relationship]
    domains = ["example.fi", "example.com", "example.se", "example.org", "example.net"]
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        for i in range(rows):
            first, last = rng.choice(firsts), rng.choice(lasts)
            local = ascii_slug(f"{first}.{last}.{i}")
            email = f"{local}@{rng.choice(domains)}"
            number = f"{MOBILE_PREFIXES[i % len(MOBILE_PREFIXES)]}{i:07d}"  # unique: i is in it
            phone = f"+358{number}"
            postal, city = rng.choice(places)
            odd = rng.random() < 0.1
            if odd:  # spellings the validators normalise (their slow paths)
                phone = f"0{number[:2]} {number[2:5]} {number[5:]}"
                email = f"{local}@{rng.choice(domains).upper()}"
                first = f" {first} "
            writer.writerow(
                [
                    first,
                    last,
                    email,
                    phone,
                    f"{rng.choice(streets)} {rng.randrange(1, 120)}",
                    postal,
                    city,
                    "FI",
                    rng.choice(positions) if rng.random() < 0.7 else "",
                    "",
                    rng.choice(relationships),
                ]
            )


def prepare(url: str) -> None:
    engine = db.make_engine(url)
    db.migrate(engine)
    with db.make_sessionmaker(engine)() as s:
        s.add(
            AppUser(
                username=USER,
                display_name="Import benchmark",
                role=Role.COMPLIANCE,
                password_hash=hash_password(uuid.uuid4().hex),
                active=True,
                failed_sign_ins=0,
            )
        )
        s.commit()
    engine.dispose()


@dataclass
class Measure:
    seconds: float
    peak_kib: int  # the import process's peak resident memory
    python_cpu: float  # the import process's user + system CPU
    server_cpu: float | None  # its PostgreSQL backend's CPU (None on SQLite)
    load: tuple[float, float]  # 1-minute load average before and after
    output: str


def run_import(url: str, path: Path) -> Measure:
    postgresql = url.startswith("postgresql")
    if postgresql:  # named, so that its server process can be found and its CPU read
        url += ("&" if "?" in url else "?") + "application_name=import-bench"
    env = {**os.environ, db.ENV_VAR: url}
    command = [
        sys.executable,
        "-m",
        "registry",
        "import",
        "persons",
        str(path),
        "--source",
        SOURCE,
        "--user",
        USER,
    ]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    server_cpu: float | None = None
    watcher = (
        create_engine(url.replace("import-bench", "import-bench-watch")) if postgresql else None
    )
    backend = None
    while True:
        # wait4 without waiting: the process's own CPU and memory come with its exit.
        done, status, usage = os.wait4(process.pid, os.WNOHANG if watcher else 0)
        if done:
            break
        assert watcher is not None
        with watcher.connect() as c:
            backend = backend or c.scalar(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = 'import-bench'")
            )
        if backend and (cpu := cpu_seconds(backend)) is not None:
            server_cpu = cpu
        time.sleep(0.5)
    if watcher is not None:
        watcher.dispose()
    elapsed = time.perf_counter() - started
    output = process.stdout.read() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import failed:\n{output}")
    return Measure(
        elapsed,
        usage.ru_maxrss,
        usage.ru_utime + usage.ru_stime,
        server_cpu,
        (load_before, os.getloadavg()[0]),
        output.strip(),
    )


def report(engine_name: str, rows: int, path: Path, m: Measure) -> None:
    size = path.stat().st_size / 1e6
    server = f", server CPU {m.server_cpu:.1f} s" if m.server_cpu is not None else ""
    print(
        f"{engine_name:<10} {rows:>9,} rows  {size:6.1f} MB  {m.seconds:6.1f} s  "
        f"{rows / m.seconds:8,.0f} rows/s  peak RSS {m.peak_kib / 1024:4.0f} MB  "
        f"Python CPU {m.python_cpu:.1f} s{server}  load {m.load[0]:.1f} -> {m.load[1]:.1f}"
    )
    print("           " + m.output.replace("\n", "\n           "))


def bench(engine_name: str, url: str, rows: int, args: argparse.Namespace, work: Path) -> None:
    path = work / f"persons-{rows}.csv"
    if not path.exists():
        t = time.perf_counter()
        write_csv(path, rows, args.random_seed)
        print(f"wrote {path.name} in {time.perf_counter() - t:.1f} s")
    prepare(url)
    rounds = 2 if args.twice else 1
    for _ in range(rounds):
        report(engine_name, rows, path, run_import(url, path))
    if args.update:
        # Every person moves: one changed field per row, an amendment per person.
        moved = work / f"persons-{rows}-moved.csv"
        with (
            path.open(encoding="utf-8-sig", newline="") as f,
            moved.open("w", encoding="utf-8-sig", newline="") as out,
        ):
            writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
            for i, row in enumerate(csv.reader(f, delimiter=";")):
                writer.writerow(row if i == 0 else [*row[:6], "Vaasa", *row[7:]])
        report(engine_name, rows, moved, run_import(url, moved))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql-rows", type=int, default=1_000_000)
    parser.add_argument("--sqlite-rows", type=int, default=100_000)
    parser.add_argument("--url", default=DEFAULT_SERVER, help="a URL of the PostgreSQL server")
    parser.add_argument("--random-seed", type=int, default=2026)
    parser.add_argument("--twice", action="store_true", help="import the same file again")
    parser.add_argument(
        "--update", action="store_true", help="then a copy in which every person's city changed"
    )
    parser.add_argument(
        "--keep-files", metavar="DIR", help="write the CSV files here and keep them"
    )
    args = parser.parse_args(argv)

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with tempfile.TemporaryDirectory(prefix="import-bench-") as scratch:
        work = Path(args.keep_files) if args.keep_files else Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        if args.postgresql_rows:
            server = make_url(args.url)
            name = f"registry_import_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = server.set(database=name).render_as_string(hide_password=False)
                bench("PostgreSQL", url, args.postgresql_rows, args, work)
            finally:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        if args.sqlite_rows:
            url = f"sqlite:///{Path(scratch) / 'registry.db'}"
            bench("SQLite", url, args.sqlite_rows, args, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
