"""Configuration: where the database URL comes from, and what is migrated automatically."""

import pytest
from sqlalchemy import inspect

from registry import db


def test_environment_wins_over_secrets(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[connections.registry]\nurl = "postgresql+psycopg://a@h/db"\n')
    monkeypatch.setenv(db.ENV_VAR, "sqlite:///x.db")
    assert db.database_config(secrets).url == "sqlite:///x.db"
    monkeypatch.delenv(db.ENV_VAR)
    config = db.database_config(secrets)
    assert config.url == "postgresql+psycopg://a@h/db"
    assert not config.is_embedded_demo


def test_embedded_demo_is_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    config = db.database_config(tmp_path / "absent.toml")
    assert config.is_embedded_demo and config.url.endswith("data/registry.db")


def test_password_is_masked_in_messages():
    config = db.DatabaseConfig("postgresql+psycopg://app:s3cret@db:5432/registry", "test")
    assert "s3cret" not in config.safe_url


def test_a_configured_database_is_never_migrated_behind_the_users_back(database_factory):
    # prepare_embedded_demo only ever touches the embedded demo.
    config = db.DatabaseConfig("sqlite:///never-created.db", "environment variable")
    assert db.prepare_embedded_demo(config) is False


def test_migrations_build_every_table_and_report_current(engine):
    names = set(inspect(engine).get_table_names())
    assert {"person", "consent_event", "consent_state", "audit_event", "disclosed_person"} <= names
    assert db.schema_is_current(engine)


def test_unmigrated_database_is_explained(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    problem = db.database_problem(engine, db.DatabaseConfig(str(engine.url), "test"))
    assert problem and "python -m registry migrate" in problem


@pytest.mark.parametrize("url", ["postgresql+psycopg://nobody@127.0.0.1:1/registry"])
def test_unreachable_database_is_explained(url):
    engine = db.make_engine(url)
    problem = db.database_problem(engine, db.DatabaseConfig(url, "test"))
    assert problem and "Cannot reach" in problem and "What to check" in problem
