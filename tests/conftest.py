"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL cases need REGISTRY_TEST_DATABASE_URL (a server URL such as
postgresql+psycopg://postgres@127.0.0.1:5432/postgres); each test session creates its own
uniquely named databases there and drops them afterwards, so runs can go in parallel.
Without the variable the PostgreSQL cases skip with a reason, unless
REGISTRY_REQUIRE_POSTGRES=1 (set by .ci/run), when they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from registry import db
from registry.models import AppUser, Base
from registry.permissions import Actor
from registry.vocabulary import Role

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgresql"]
SERVER_URL_VAR = "REGISTRY_TEST_DATABASE_URL"
# argon2id hash of TEST_PASSWORD, made once so fixtures need not pay argon2's cost.
TEST_PASSWORD = "correct-horse-battery"


def _server_url() -> str:
    url = os.environ.get(SERVER_URL_VAR)
    if not url:
        message = f"PostgreSQL case: {SERVER_URL_VAR} is not set"
        if os.environ.get("REGISTRY_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " but REGISTRY_REQUIRE_POSTGRES=1", pytrace=False)
        pytest.skip(message)
    return url


def create_database(backend: str, directory: Path) -> str:
    """A new, empty, migrated database of the backend; returns its URL."""
    if backend == "sqlite":
        url = f"sqlite:///{directory / f'registry-{uuid.uuid4().hex[:8]}.db'}"
    else:
        server = make_url(_server_url())
        name = f"registry_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = server.set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    db.migrate(engine)
    engine.dispose()
    return url


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").unlink(missing_ok=True)
        return
    admin = create_engine(make_url(_server_url()), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Make extra databases (e.g. a restore target); all are dropped at the end."""
    made: list[str] = []
    directory = tmp_path_factory.mktemp("databases")

    def make(backend: str) -> str:
        url = create_database(backend, directory)
        made.append(url)
        return url

    yield make
    for url in made:
        drop_database(url)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def _empty_template(backend: str, database_factory: Callable[[str], str]) -> str:
    return database_factory(backend)


def _reset(engine: Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            # TRUNCATE is not a row DELETE: the append-only audit trigger does not fire.
            c.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(backend: str, _empty_template: str, tmp_path: Path) -> str:
    """A fresh, empty, migrated database for one test."""
    if backend == "sqlite":
        path = tmp_path / "registry.db"
        shutil.copyfile(make_url(_empty_template).database or "", path)
        return f"sqlite:///{path}"
    engine = db.make_engine(_empty_template)
    _reset(engine)
    engine.dispose()
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


@pytest.fixture(scope="session")
def seeded_url(backend: str, database_factory: Callable[[str], str]) -> str:
    """A migrated database seeded with synthetic data and the demo accounts.

    Tests that write to it must only add rows that no other test counts on.
    """
    from registry import seed

    url = database_factory(backend)
    engine = db.make_engine(url)
    seed.seed(engine, persons=SEEDED_PERSONS, random_seed=7, demo_accounts=True)
    engine.dispose()
    return url


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
def app_test(monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
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

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IDLE_SELECTOR = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveApp:
    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]


def start_app(database_url: str, log_path: Path, script: str = "dashboard.py") -> LiveApp:
    port = _free_port()
    env = {**os.environ, db.ENV_VAR: database_url}
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script,
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return LiveApp(base, database_url, process)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"streamlit did not start; see {log_path}")


@pytest.fixture(scope="session")
def live_app(seeded_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    app = start_app(seeded_url, tmp_path_factory.mktemp("server") / "streamlit.log")
    yield app
    app.process.terminate()
    app.process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(COUNT_SCRIPT_RUNS)
    p = context.new_page()
    p.set_default_timeout(30_000)
    yield p
    context.close()


# Counts the script runs that finish in the page, so that wait_idle can tell the rerun an
# action started from the idle state left by the run before it (on a loaded machine a rerun
# may start well after the click, and the old page would be read as the new one).
COUNT_SCRIPT_RUNS = """
window.__stRuns = {epoch: Math.random(), finished: 0};
new MutationObserver((records) => {
  for (const r of records) {
    if (r.attributeName === 'data-test-script-state' && r.oldValue === 'running') {
      window.__stRuns.finished++;
    }
  }
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
"""
RERUN_START_GRACE_MS = 3_000


def _runs_finished(page) -> list | None:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "() => window.__stRuns ? [window.__stRuns.epoch, window.__stRuns.finished] : null"
    )


def wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished the script run that the last action started."""
    before, now = getattr(page, "_runs_seen", None), _runs_finished(page)
    if before is not None and now is not None and before[0] == now[0]:
        try:
            page.wait_for_function(
                "n => window.__stRuns.finished > n", arg=before[1], timeout=RERUN_START_GRACE_MS
            )
        except PlaywrightTimeout:
            pass  # the action started no run
    else:
        page.wait_for_timeout(200)  # a new document, or a page without the counter
    page.wait_for_selector(IDLE_SELECTOR, timeout=30_000)
    page._runs_seen = _runs_finished(page)


SCREENSHOTS = ROOT / "docs" / "screenshots"


def screenshot(page, backend: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """docs/screenshots/NAME.png of the whole page content, from the SQLite run only."""
    if backend != "sqlite":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let expanders and charts finish drawing
    # Streamlit scrolls inside its main block, so grow the window to the content first.
    size = page.viewport_size
    height = page.evaluate(
        'Math.max(...[...document.querySelectorAll(\'[data-testid="stMain"], '
        '[data-testid="stAppViewContainer"]\')].map(e => e.scrollHeight), 0)'
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    page.wait_for_timeout(300)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    page.set_viewport_size(size)


def sign_in(page, app: LiveApp, username: str, password: str, path: str = "") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{app.base_url}/{path}")
    wait_idle(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)  # not "Show password"
    page.get_by_role("button", name="Sign in").click()
    wait_idle(page)
