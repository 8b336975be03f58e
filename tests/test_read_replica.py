"""Read scaling (registry/db.py): cached reads go to a declared read-only copy, or to the
database itself over connections that refuse every write. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from registry import db
from registry.vocabulary import Role


def test_a_read_only_engine_refuses_every_write(database_url):
    engine = db.make_engine(database_url, read_only=True)
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM data_version")) in (0, 1)
            with pytest.raises(DBAPIError):
                connection.execute(text("INSERT INTO data_version (id, version) VALUES (2, 0)"))
    finally:
        engine.dispose()


def test_the_read_url_comes_from_the_environment_or_the_secrets(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[connections.registry]\nurl = "postgresql+psycopg://app@primary/registry"\n'
        'read_url = "postgresql+psycopg://app@replica/registry"\n'
    )
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    monkeypatch.delenv(db.READ_ENV_VAR, raising=False)
    config = db.database_config(secrets)
    assert config.url.endswith("@primary/registry")
    assert config.reads_from.endswith("@replica/registry")
    monkeypatch.setenv(db.READ_ENV_VAR, "postgresql+psycopg://app@other/registry")
    assert db.database_config(secrets).reads_from.endswith("@other/registry")
    monkeypatch.delenv(db.READ_ENV_VAR)
    assert db.database_config(tmp_path / "absent.toml").reads_from.endswith("registry.db")


def test_cached_numbers_come_from_the_replica(
    database_url, seeded_url, actors, app_test, monkeypatch
):
    """The primary here is empty and the declared replica seeded: the page's counts (cached
    reads) are the replica's, while the sign-in check still reads the primary."""
    monkeypatch.setenv(db.READ_ENV_VAR, seeded_url)
    at = app_test(database_url, actors[Role.MARKETING], "pages/consent.py")
    assert not at.exception, at.exception
    granted = next(m.value for m in at.metric if m.label == "Granted")
    assert granted not in ("0", ""), granted
    monkeypatch.delenv(db.READ_ENV_VAR)
    at.run()
    assert next(m.value for m in at.metric if m.label == "Granted") == "0"
