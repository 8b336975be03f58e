"""What reading a backup back costs: a backup of a seeded registry, then its check alone.

    python benchmarks/backup_check.py [--server URL] [--persons 100000] [--engine both]

Seeds a scratch registry per engine (`demo.seeder.seed`; SQLite in a temporary folder,
PostgreSQL as registry_bench_backupcheck_<hex> on the server, default
REGISTRY_TEST_DATABASE_URL or the local trust-auth server), times `make_backup` (copy or
dump, the check, checksum, records) and then the check alone on the file it made
(`sqlite.check`: PRAGMA integrity_check and every table read through; `postgresql.check_dump`:
pg_restore --list and the read-through). Prints the figures with the load average, then
drops the database and removes the files.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from registry import db  # noqa: E402
from registry.backup import making, postgresql, sqlite  # noqa: E402
from registry.backup.files import human_size  # noqa: E402
from registry.permissions import Actor  # noqa: E402

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure(url: str, persons: int, folder: Path) -> None:
    from demo import seeder

    engine = db.make_engine(url)
    try:
        db.migrate(engine)
        seeder.seed(engine, persons=persons, random_seed=1)
        actor = Actor.command_line("benchmark")
        started = time.perf_counter()
        made = making.make_backup(engine, actor, folder)
        whole = time.perf_counter() - started
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            checked = postgresql.check_backup(engine, made.path, made.manifest.row_counts)
        else:
            checked = sqlite.check(made.path, made.manifest.row_counts)
        alone = time.perf_counter() - started
    finally:
        engine.dispose()
    rows = sum(made.manifest.row_counts.values())
    print(
        f"{engine.dialect.name}: {persons:,} persons, {rows:,} rows, "
        f"{human_size(made.manifest.size_bytes)}; make_backup {whole:.2f} s, the check alone "
        f"{alone:.2f} s ({alone / whole:.0%}); {checked.result}; load {load()}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("REGISTRY_TEST_DATABASE_URL"))
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    os.environ.setdefault("REGISTRY_SUPPRESSION_KEY", uuid.uuid4().hex + uuid.uuid4().hex)
    with tempfile.TemporaryDirectory(prefix="registry-bench-backupcheck-") as folder:
        if args.engine in ("sqlite", "both"):
            measure(f"sqlite:///{folder}/registry.db", args.persons, Path(folder) / "sqlite")
        if args.engine in ("postgresql", "both"):
            server = make_url(args.server or DEFAULT_SERVER)
            name = f"registry_bench_backupcheck_{uuid.uuid4().hex[:8]}"
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = server.set(database=name).render_as_string(hide_password=False)
                measure(url, args.persons, Path(folder) / "postgresql")
            finally:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
