"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL cases need REGISTRY_TEST_DATABASE_URL (a server URL such as
postgresql+psycopg://postgres@127.0.0.1:5432/postgres); each test session creates its own
uniquely named databases there and drops them afterwards, so runs can go in parallel.
Without the variable the PostgreSQL cases skip with a reason, unless
REGISTRY_REQUIRE_POSTGRES=1 (set by .ci/run), when they fail instead.

Databases are migrated once per backend and session, then copied (a file copy on SQLite,
CREATE DATABASE ... TEMPLATE on PostgreSQL); the seeded database is seeded once and copied
the same way for the tests that write to one of their own.

Markers, given here so that nobody has to remember them: `browser` for every test with a
real browser or server, `postgres` for every PostgreSQL case. `pytest -m "not browser"` is
the quick loop.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from registry import db
from registry.models import AppUser, Base
from registry.permissions import Actor
from registry.vocabulary import Role
from tests.browser import CHROMIUM, CHROMIUM_ARGS, COUNT_SCRIPT_RUNS, ROOT, LiveApp, start_app

BACKENDS = ["sqlite", "postgresql"]
SERVER_URL_VAR = "REGISTRY_TEST_DATABASE_URL"
# argon2id hash of TEST_PASSWORD, made once so fixtures need not pay argon2's cost.
TEST_PASSWORD = "correct-horse-battery"

# The suppression list's HMAC key (registry.suppression); servers started by tests inherit it.
os.environ.setdefault("REGISTRY_SUPPRESSION_KEY", "test-suppression-key-not-a-secret")
# The erasure journal (registry.erasure_journal) of this test process, never data/'s.
os.environ.setdefault(
    "REGISTRY_ERASURE_JOURNAL",
    str(Path(tempfile.gettempdir()) / f"registry-test-erasure-journal-{os.getpid()}.jsonl"),
)

# Fixtures that mean a real browser or a server of the app: their tests are marked `browser`.
BROWSER_FIXTURES = frozenset({"page", "browser", "live_app", "live_app_factory"})


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker and xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        if backend == "postgresql":
            item.add_marker(pytest.mark.postgres)
        if BROWSER_FIXTURES.intersection(fixtures):
            item.add_marker(pytest.mark.browser)
            # With --dist loadgroup, the tests that share a server (the session's live_app,
            # or a module's own) run on one worker, which then starts that server once.
            shared = "live_app" if "live_app" in fixtures else item.nodeid.split("::")[0]
            item.add_marker(pytest.mark.xdist_group(f"{shared}-{backend}"))


def _server_url() -> str:
    url = os.environ.get(SERVER_URL_VAR)
    if not url:
        message = f"PostgreSQL case: {SERVER_URL_VAR} is not set"
        if os.environ.get("REGISTRY_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " but REGISTRY_REQUIRE_POSTGRES=1", pytrace=False)
        pytest.skip(message)
    return url


def _admin_engine() -> Engine:
    return create_engine(make_url(_server_url()), isolation_level="AUTOCOMMIT")


def _create_postgresql(template: str | None) -> str:
    server = make_url(_server_url())
    name = f"registry_test_{uuid.uuid4().hex[:10]}"
    statement = f'CREATE DATABASE "{name}"'
    if template is not None:
        statement += f' TEMPLATE "{make_url(template).database}"'
    admin = _admin_engine()
    try:
        for attempt in range(50):
            try:
                with admin.connect() as c:
                    c.execute(text(statement))
                break
            except OperationalError as error:
                # A template's last connection may still be closing on the server.
                if "being accessed by other users" not in str(error) or attempt == 49:
                    raise
                time.sleep(0.1)
    finally:
        admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def create_database(backend: str, directory: Path, template: str | None = None) -> str:
    """A new database of the backend; returns its URL.

    Without a template it is created empty and migrated; with one (a database of the same
    backend that nobody is connected to) it is a copy of that.
    """
    if backend == "sqlite":
        path = directory / f"registry-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        if template is not None:
            shutil.copyfile(make_url(template).database or "", path)
            return url
    else:
        url = _create_postgresql(template)
        if template is not None:
            return url
    engine = db.make_engine(url)
    db.migrate(engine)
    engine.dispose()
    return url


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = _admin_engine()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


SHARED_RECORD = ".shared-url"


class Databases:
    """Makes the databases of a test session; `databases(backend)` is a new migrated, empty
    one, `databases(backend, template=url)` a copy of that database. All are dropped at the
    end of the session.

    The templates (migrated, seeded) are made once per test run: under pytest-xdist the first
    worker that needs one makes it in the folder the workers share, and the others copy the
    same; the controller drops them when every worker has finished (pytest_sessionfinish).
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.directory = tmp_path_factory.mktemp("databases")
        in_worker = os.environ.get("PYTEST_XDIST_WORKER") is not None
        self.shared = tmp_path_factory.getbasetemp().parent if in_worker else None
        self.made: list[str] = []
        self.templates: dict[str, str] = {}

    def __call__(self, backend: str, template: str | None = None) -> str:
        url = create_database(backend, self.directory, template or self.migrated(backend))
        self.made.append(url)
        return url

    def migrated(self, backend: str) -> str:
        return self.once(f"migrated-{backend}", lambda folder: create_database(backend, folder))

    def once(self, key: str, make: Callable[[Path], str]) -> str:
        """make(folder) once per test run, and its URL thereafter."""
        if key in self.templates:
            return self.templates[key]
        if self.shared is None:
            url = make(self.directory)
            self.made.append(url)
        else:
            with (self.shared / f"{key}.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                record = self.shared / f"{key}{SHARED_RECORD}"
                if record.exists():
                    url = record.read_text()
                else:
                    url = make(self.shared)
                    record.write_text(url)
        self.templates[key] = url
        return url

    def drop_all(self) -> None:
        for url in self.made:
            drop_database(url)


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Make extra databases (e.g. a restore target); all are dropped at the end."""
    databases = Databases(tmp_path_factory)
    yield databases
    databases.drop_all()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In the xdist controller, once all workers are done: drop the templates they shared."""
    if os.environ.get("PYTEST_XDIST_WORKER") is not None:
        return
    factory = getattr(session.config, "_tmp_path_factory", None)  # as xdist itself reads it
    if factory is None:
        return
    for record in factory.getbasetemp().glob(f"*{SHARED_RECORD}"):
        drop_database(record.read_text())


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


class _Emptier:
    """Empties a PostgreSQL test database between tests, sequences restarted.

    Deleting the few rows a test left, with triggers off for the transaction
    (session_replication_role, a superuser setting), takes a tenth of what TRUNCATE takes on
    this many tables; where the role may not, TRUNCATE ... RESTART IDENTITY does it.
    """

    def __init__(self, url: str) -> None:
        self.engine = db.make_engine(url)
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with self.engine.connect() as c:
            sequences = c.scalars(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            ).all()
        # The names come from the models and the catalogue, never from input.
        deletes = [f"DELETE FROM {t};" for t in tables]  # noqa: S608
        restarts = [f'ALTER SEQUENCE "{s}" RESTART;' for s in sequences]
        self.fast = " ".join(["SET LOCAL session_replication_role = replica;", *deletes, *restarts])
        # TRUNCATE is not a row DELETE: the append-only audit trigger does not fire.
        self.slow = f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
        self.use_fast = True

    def empty(self) -> None:
        if self.use_fast:
            try:
                with self.engine.begin() as c:
                    c.exec_driver_sql(self.fast)
                return
            except DBAPIError:
                self.use_fast = False
        with self.engine.begin() as c:
            c.exec_driver_sql(self.slow)


@pytest.fixture(scope="session")
def _empty_template(backend: str, database_factory: Databases) -> str:
    """The database the PostgreSQL tests share, emptied before each (SQLite ones copy it)."""
    return database_factory(backend)


@pytest.fixture(scope="session")
def _emptier(backend: str, _empty_template: str) -> Iterator[_Emptier | None]:
    if backend == "sqlite":
        yield None
        return
    emptier = _Emptier(_empty_template)
    yield emptier
    emptier.engine.dispose()


@pytest.fixture
def database_url(
    backend: str, _empty_template: str, _emptier: _Emptier | None, tmp_path: Path
) -> str:
    """A fresh, empty, migrated database for one test."""
    if _emptier is None:
        path = tmp_path / "registry.db"
        shutil.copyfile(make_url(_empty_template).database or "", path)
        return f"sqlite:///{path}"
    _emptier.empty()
    return _empty_template


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    e = db.make_engine(database_url)
    yield e
    e.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with db.make_sessionmaker(engine)() as s:
        yield s


_TEST_HASH: str | None = None


def make_user(session: Session, role: Role, username: str | None = None) -> AppUser:
    global _TEST_HASH
    if _TEST_HASH is None:
        from registry.auth import hash_password

        _TEST_HASH = hash_password(TEST_PASSWORD)
    user = AppUser(
        username=username or f"{role.value}-user",
        display_name=f"Test {role.value}",
        email=f"{username or role.value}@click2contract.example",
        role=role,
        password_hash=_TEST_HASH,
        active=True,
        failed_sign_ins=0,
    )
    session.add(user)
    session.commit()
    return user


@pytest.fixture
def actors(session: Session) -> dict[Role, Actor]:
    """One signed-in actor per role, with accounts in the test database."""
    return {role: Actor.of(make_user(session, role)) for role in Role}


# --- a small seeded database per backend, shared read-only by page and browser tests ---

SEEDED_PERSONS = 300
SEEDED_RANDOM_SEED = 7


@pytest.fixture(scope="session")
def _seeded_template(backend: str, database_factory: Databases) -> str:
    """Seeded once per backend and test run, then only copied: nobody connects to it."""
    from demo import seeder

    def seeded(folder: Path) -> str:
        url = create_database(backend, folder, database_factory.migrated(backend))
        engine = db.make_engine(url)
        seeder.seed(
            engine, persons=SEEDED_PERSONS, random_seed=SEEDED_RANDOM_SEED, demo_accounts=True
        )
        engine.dispose()
        return url

    return database_factory.once(f"seeded-{backend}", seeded)


@pytest.fixture(scope="session")
def seeded_copy(
    backend: str, _seeded_template: str, database_factory: Databases
) -> Callable[[], str]:
    """A new copy of the seeded database, for tests and servers that write to their own."""
    return lambda: database_factory(backend, template=_seeded_template)


@pytest.fixture(scope="session")
def seeded_url(seeded_copy: Callable[[], str]) -> str:
    """A migrated database seeded with synthetic data and the demo accounts.

    Tests that write to it must only add rows that no other test counts on.
    """
    return seeded_copy()


@pytest.fixture
def seeded_session(seeded_url: str) -> Iterator[Session]:
    engine = db.make_engine(seeded_url)
    with db.make_sessionmaker(engine)() as s:
        yield s
    engine.dispose()


def demo_actor(session: Session, role: Role) -> Actor:
    from sqlalchemy import select

    user = session.scalars(select(AppUser).where(AppUser.role == role, AppUser.active)).first()
    assert user is not None, f"no {role} account in the seeded database"
    return Actor.of(user)


# --- page tests with streamlit.testing.v1.AppTest ---


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """AppTest runs pages in this process: a query result cached for another test's
    database (on PostgreSQL even one with the same URL) must not leak into this test."""
    import streamlit as st

    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def app_test(monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> Callable[..., object]:
    """Run dashboard.py signed in as `actor` on `url`, then switch to `page` if given."""
    from streamlit.testing.v1 import AppTest

    from registry.models import utcnow

    monkeypatch.chdir(ROOT)

    def run(url: str, actor: Actor | None, page: str | None = None) -> AppTest:
        monkeypatch.setenv(db.ENV_VAR, url)
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        if actor is not None:
            at.session_state["auth_user_id"] = actor.user_id
            at.session_state["auth_actor"] = actor
            at.session_state["auth_last_activity"] = utcnow()
        at.run()
        if page is not None:
            at.switch_page(page)
            at.run()
        return at

    return run


# --- browser journeys: a real server and Debian's Chromium driven by Playwright ---

StartLiveApp = Callable[..., LiveApp]


@pytest.fixture(scope="session")
def live_app_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartLiveApp]:
    """Start the dashboard on a database: `live_app_factory(url, env={...})`.

    Use the server in a `with` block to stop it when done; any still running are stopped at
    the end of the session. Its log is `app.log_text()`.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    started: list[LiveApp] = []

    def start(database_url: str, env: Mapping[str, str] | None = None) -> LiveApp:
        log = tmp_path_factory.mktemp("server") / "streamlit.log"
        app = start_app(database_url, log, env=env)
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


@pytest.fixture(scope="session")
def live_app(seeded_url: str, live_app_factory: StartLiveApp) -> Iterator[LiveApp]:
    """A server on the shared seeded database (read-only, as seeded_url)."""
    with live_app_factory(seeded_url) as app:
        yield app


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


FAILURES = ROOT / "tests" / "output" / "failures"


@pytest.hookimpl(wrapper=True, trylast=True)  # innermost: what it prints is the test's output
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A journey that fails leaves what the browser showed: a screenshot under
    tests/output/failures/ and the page's text in the test's report (CI keeps only that)."""
    try:
        return (yield)
    except BaseException:
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None:
            FAILURES.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(FAILURES / f"{item.name}.png"), full_page=True)
                shown = page.locator("body").inner_text(timeout=5_000)
            except Exception as e:  # the page may be gone; the failure itself is what matters
                shown = f"(the page could not be read: {e})"
            print(f"--- what the page showed ({page.url}) ---\n{shown[-4000:]}")
        raise


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(COUNT_SCRIPT_RUNS)
    p = context.new_page()
    p.set_default_timeout(30_000)
    yield p
    context.close()
