"""Engine and sessions from configuration, migrations, and the embedded SQLite default.

The database URL comes from, in this order: the environment variable REGISTRY_DATABASE_URL,
`[connections.registry] url` in .streamlit/secrets.toml, or the embedded demo database
data/registry.db. Only the embedded demo is migrated and seeded automatically.

Reads the dashboard caches may go to a read-only copy (a PostgreSQL replica): its URL comes
from REGISTRY_READ_DATABASE_URL or `[connections.registry] read_url`. Without one they go to
the same database over read-only connections, so a cached read can never write anywhere.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from registry import settings

ENV_VAR = "REGISTRY_DATABASE_URL"
READ_ENV_VAR = "REGISTRY_READ_DATABASE_URL"
SECRETS_PATH = settings.PROJECT_ROOT / ".streamlit" / "secrets.toml"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class DatabaseConfig:
    url: str
    origin: str  # where the URL came from, said in error messages
    read_url: str | None = None  # a replica for the cached reads, if one is declared

    @property
    def reads_from(self) -> str:
        """Where cached reads go: the replica, else the database itself (read-only)."""
        return self.read_url or self.url

    @property
    def is_embedded_demo(self) -> bool:
        return self.origin == "embedded demo"

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, fit to show on a page."""
        return make_url(self.url).render_as_string(hide_password=True)


def database_config(secrets_path: Path = SECRETS_PATH) -> DatabaseConfig:
    declared: dict[str, str] = {}
    if secrets_path.exists():
        with secrets_path.open("rb") as f:
            declared = tomllib.load(f).get("connections", {}).get("registry", {})
    read_url = os.environ.get(READ_ENV_VAR) or declared.get("read_url") or None
    if url := os.environ.get(ENV_VAR):
        return DatabaseConfig(url, f"environment variable {ENV_VAR}", read_url)
    if url := declared.get("url"):
        return DatabaseConfig(url, f"[connections.registry] in {secrets_path}", read_url)
    return DatabaseConfig(f"sqlite:///{settings.DEMO_DATABASE_PATH}", "embedded demo", read_url)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the one writer
    cursor.execute(f"PRAGMA busy_timeout={int(settings.SQLITE_BUSY_TIMEOUT_MS)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_query_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine on URL; `read_only` makes the database itself refuse any write on it."""
    # hide_parameters: an error's message and traceback name the SQL, never the values bound
    # to it (names, addresses), so no log line carries personal data from a failed query.
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        if read_only:
            event.listen(engine, "connect", _sqlite_query_only)
        return engine
    options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        hide_parameters=True,
        connect_args=options,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: pages keep reading objects after the write that returned them.
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def schema_is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def prepare_embedded_demo(
    config: DatabaseConfig, progress: Callable[[float, str], None] | None = None
) -> bool:
    """Create, migrate and seed the embedded demo database if it is new. True if it was made."""
    if not config.is_embedded_demo or settings.DEMO_DATABASE_PATH.exists():
        return False
    from demo import seeder  # seeding pulls in Faker; only the first start needs it

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    partial = settings.DEMO_DATABASE_PATH.with_suffix(".partial.db")
    partial.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{partial}")
    try:
        migrate(engine)
        seeder.seed(
            engine,
            persons=settings.DEMO_PERSONS,
            random_seed=settings.DEMO_RANDOM_SEED,
            demo_accounts=True,
            progress=progress,
        )
    finally:
        engine.dispose()
    # A half-seeded file is never left where the app would take it for the demo.
    partial.replace(settings.DEMO_DATABASE_PATH)
    return True


# Words in a driver's message that mean another transaction held what this one needed.
_BUSY = ("database is locked", "database table is locked", "lock timeout", "deadlock detected")
BUSY_MESSAGE = (
    "The database was busy with another save, and this one waited too long: nothing was "
    "saved. What you typed is kept: save again."
)


def is_busy(error: DBAPIError) -> bool:
    """Whether `error` is a lock that another transaction held (worth a retry)."""
    text = str(error.orig).lower()
    return any(word in text for word in _BUSY)


def failure_message(error: DBAPIError, engine: Engine, config: DatabaseConfig) -> str:
    """What a user is told when the database fails a request: busy, gone, or refusing."""
    if is_busy(error):
        return BUSY_MESSAGE
    return database_problem(engine, config) or (
        f"The database refused the request ({type(error.orig).__name__}): nothing was saved. "
        "Try again; if it fails again, tell the administrator the time it happened."
    )


def database_problem(engine: Engine, config: DatabaseConfig) -> str | None:
    """What is wrong with the configured database, in words fit for the page; None if fine."""
    where = f"{config.safe_url} (from {config.origin})"
    try:
        current = schema_is_current(engine)
    except Exception as e:  # any driver error: the page explains instead of a traceback
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:300]
        return (
            f"Cannot reach the registry database {where}.\n\n"
            f"What failed: {type(e).__name__}: {reason}\n\n"
            "What to check: that the database server is running and reachable from this "
            "machine, that the URL, user name and password are right, and that the database "
            "exists."
        )
    if not current:
        return (
            f"The registry database {where} is reachable, but its schema is not at the newest "
            "revision. An operator should run `python -m registry migrate` against it; the "
            "dashboard never migrates a configured database on its own."
        )
    return None
