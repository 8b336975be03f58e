"""The seed run: one transaction that fills an empty, migrated database, part by part, each
part with its own random stream."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, insert, select, text, update

from demo import (
    accounts,
    activity,
    consent,
    disclosures,
    erasures,
    organisations,
    persons,
    requests,
)
from demo.arrays import to_micros
from demo.data.accounts import DEMO_ACCOUNTS, SERVICE_USER_PASSWORDS
from demo.data.rates import NEWSLETTER
from demo.data.texts import RECIPIENTS
from demo.disclosures import DisclosurePlan
from demo.organisations import Organisations
from demo.pools import Pools, build_pools
from demo.sinks import BULK_TABLES, CopySink, InsertSink, Sink, set_aside_secondary
from registry import auth, deadlines, metrics, settings
from registry.errors import RegistryError
from registry.models import (
    AppUser,
    Disclosure,
    Person,
    Recipient,
)

# Persons per chunk: bounds memory (a chunk and the COPY buffers queued behind it).
CHUNK_PERSONS = 50_000


def hash_passwords(passwords: list[str]) -> list[str]:
    """argon2 is slow on purpose; hash the few demo passwords side by side (it frees the GIL)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(auth.hash_password, passwords))


@dataclass
class Ids:
    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str, n: int) -> int:
        first = self.next[table]
        self.next[table] = first + n
        return first


_ID_TABLES = (
    "app_user",
    "segment",
    "organisation",
    "recipient",
    "disclosure",
    "person",
    "consent_event",
    "customer_order",
    "activity",
    "data_subject_request",
    "request_transition",
    "amendment",
    "recipient_notification",
    "audit_event",
)


def seed(
    engine: Engine,
    persons: int,
    random_seed: int,
    *,
    demo_accounts: bool = False,
    progress: Callable[[float, str], None] | None = None,
    today: dt.date | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated database with synthetic data; returns rows written per table."""
    if persons < 1:
        raise RegistryError("Seed at least one person.")
    seeder = Seeder(engine, persons, random_seed, demo_accounts, progress, today)
    return seeder.run()


class Seeder:
    """One seed run's state, which every generator module reads and adds to."""

    # Set during the run, before the parts that read them.
    pools: Pools
    hashes: list[str]
    service_hashes: list[str]
    recipient_ids: dict[str, int]  # recipient name -> id
    plans: list[DisclosurePlan]
    taken_business_ids: set[str]
    orgs: Organisations

    def __init__(
        self,
        engine: Engine,
        persons: int,
        random_seed: int,
        demo_accounts: bool,
        progress: Callable[[float, str], None] | None,
        today: dt.date | None,
    ) -> None:
        self.engine = engine
        self.persons = persons
        self.random_seed = random_seed
        self.demo_accounts = demo_accounts
        self.report = progress or (lambda _fraction, _message: None)
        self.today = today or deadlines.today()
        # Everything happened before today began in Helsinki.
        midnight = dt.datetime.combine(self.today, dt.time(), settings.REGISTRY_TZ)
        self.ref = to_micros(midnight.astimezone(dt.UTC))
        self.ref_datetime = midnight.astimezone(dt.UTC)
        self.today_days = (self.today - dt.date(1970, 1, 1)).days
        self.postgresql = engine.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}
        self.ids = Ids()
        self.users: dict[str, int] = {}  # demo username -> id
        self.disclosed: dict[int, int] = {}

    def rng(self, *stream: int) -> np.random.Generator:
        """An independent generator per part, so each part is deterministic on its own."""
        return np.random.default_rng([self.random_seed, *stream])

    def count(self, table: str, n: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + n

    @property
    def compliance_id(self) -> int | None:
        return self.users.get("compliance")

    def run(self) -> dict[str, int]:
        self.report(0.0, "Checking the database")
        with self.engine.begin() as conn:
            self._refuse_unless_empty(conn)
            for table in _ID_TABLES:
                last = conn.scalar(text(f"SELECT max(id) FROM {table}"))  # noqa: S608 - constants
                self.ids.next[table] = (last or 0) + 1
            self.report(0.01, "Drawing name, address and company pools")
            self.pools = build_pools(self.random_seed)
            self.hashes = hash_passwords(
                [*SERVICE_USER_PASSWORDS, *(a[3] for a in DEMO_ACCOUNTS if self.demo_accounts)]
            )
            self.service_hashes = self.hashes[: len(SERVICE_USER_PASSWORDS)]
            if self.demo_accounts:
                accounts.insert_demo_accounts(self, conn)
            disclosures.insert_recipients(self, conn)
            self.plans = disclosures.disclosure_plans(self)
            disclosures.insert_disclosures(self, conn)
            self.taken_business_ids = set(
                conn.scalars(text("SELECT business_id FROM organisation"))
            )
            put_back: list[str] = []
            if self.postgresql:
                conn.execute(text("SET LOCAL TIME ZONE 'UTC'"))  # how the CSV's times read
                put_back = set_aside_secondary(conn, BULK_TABLES)
            dbapi = conn.connection.dbapi_connection
            sink: Sink = CopySink(dbapi) if self.postgresql else InsertSink(dbapi)
            try:
                organisations.write_organisations(self, sink)
                self._persons(sink)
            finally:
                sink.close()
            self.report(0.86, "Requests, amendments and disclosure counts")
            for disclosure_id, n in self.disclosed.items():
                conn.execute(
                    update(Disclosure).where(Disclosure.id == disclosure_id).values(person_count=n)
                )
            requests.insert_requests(self, conn)
            self.report(0.9, "Person metrics")
            self.counts["person_metrics"] = metrics.refresh_metrics(conn, now=self.ref_datetime)
            if put_back:
                # Sorting millions of index entries in memory rather than in temporary files.
                conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
                for i, statement in enumerate(put_back):
                    what = re.sub(r" ON .*| (FOREIGN KEY|UNIQUE) .*", "", statement)
                    self.report(0.92 + 0.04 * i / len(put_back), f"Rebuilding: {what}")
                    conn.execute(text(statement))
            if self.postgresql:
                self._reset_sequences(conn)
            # After the indexes are back: each erasure finds the person's rows by index.
            self.report(0.96, "Carrying out the completed erasure requests")
            erasures.apply_completed_erasures(self, conn)
        if self.postgresql:
            self.report(0.96, "Statistics and visibility map")
            # VACUUM as well as ANALYZE: freshly loaded pages are not yet marked all-visible,
            # so index-only scans (the Overview's counts) would still read the heap.
            # VACUUM cannot run inside a transaction block.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
        self.report(1.0, f"Seeded {self.persons:,} persons")
        return dict(sorted(self.counts.items()))

    def _refuse_unless_empty(self, conn: Connection) -> None:
        if conn.scalar(select(func.count()).select_from(select(Person.id).limit(1).subquery())):
            n = conn.scalar(select(func.count()).select_from(Person))
            raise RegistryError(
                f"The database already has {n:,} persons: seed only fills an empty registry."
            )
        if self.demo_accounts:
            names = [a[0] for a in DEMO_ACCOUNTS]
            taken = conn.scalars(select(AppUser.username).where(AppUser.username.in_(names))).all()
            if taken:
                raise RegistryError(f"Demo accounts already exist: {', '.join(taken)}.")
        names = [r[0] for r in RECIPIENTS]
        taken = conn.scalars(select(Recipient.name).where(Recipient.name.in_(names))).all()
        if taken:
            raise RegistryError(f"Recipients already exist: {', '.join(taken)}.")

    def _reset_sequences(self, conn: Connection) -> None:
        """COPY with explicit ids leaves the sequences behind; move them past the max."""
        for table in _ID_TABLES:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"coalesce(max(id), 0) + 1, false) FROM {table}"
                )
            )

    def insert(self, conn: Connection, model: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            conn.execute(insert(model.__table__), rows)
            self.count(model.__tablename__, len(rows))

    def _persons(self, sink: Sink) -> None:
        """Persons chunk by chunk, each chunk with its consent, orders, activities and the
        disclosures it was in, from one random stream per chunk."""
        done = 0
        for index, start in enumerate(range(0, self.persons, CHUNK_PERSONS)):
            n = min(CHUNK_PERSONS, self.persons - start)
            rng = self.rng(2, index)
            chunk = persons.person_chunk(self, rng, n, sink)
            granted = consent.consent_chunk(self, rng, chunk, sink)
            activity.order_chunk(self, rng, chunk, sink)
            activity.activity_chunk(self, rng, chunk, granted[NEWSLETTER], sink)
            disclosures.disclosed_chunk(self, rng, chunk, granted, sink)
            done += n
            self.report(0.03 + 0.83 * done / self.persons, f"{done:,} of {self.persons:,} persons")
