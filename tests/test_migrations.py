"""The Alembic migrations build exactly the schema that registry.models declares.

An empty database is migrated to the head revision and compared with the models' metadata,
on SQLite and on PostgreSQL: a column, type, index, foreign key or table added on one side
only fails here. Alembic's comparison skips indexes on expressions (lower(email) ...), so
index names are also compared straight from each database's catalogue.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, String, text
from sqlalchemy.schema import SchemaItem

from registry.models import Base


def declared_for(item: SchemaItem, dialect: str) -> bool:
    """False for an object the models create on another dialect only (`.ddl_if(dialect=)`)."""
    condition = getattr(item, "_ddl_if", None)
    if condition is None or condition.dialect is None:
        return True
    dialects = (condition.dialect,) if isinstance(condition.dialect, str) else condition.dialect
    return dialect in dialects


def schema_differences(engine: Engine, metadata: MetaData) -> list[Any]:
    dialect = engine.dialect.name

    def include(item: Any, _name: str | None, _type: str, reflected: bool, _other: Any) -> bool:
        return reflected or declared_for(item, dialect)

    with engine.connect() as connection, warnings.catch_warnings():
        # Alembic and SQLAlchemy say, each time, that expression indexes cannot be compared;
        # the catalogue test below covers them.
        warnings.filterwarnings("ignore", message=".*expression-based index")
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include}
        )
        return compare_metadata(context, metadata)


def test_the_migrated_schema_is_the_models_schema(engine):
    assert schema_differences(engine, Base.metadata) == []


def test_every_declared_index_exists_and_no_other(engine):
    dialect = engine.dialect.name
    declared = {
        index.name
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if declared_for(index, dialect)
    }
    with engine.connect() as c:
        if dialect == "sqlite":
            # Indexes SQLite makes itself for UNIQUE and PRIMARY KEY have no SQL.
            query = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        else:
            query = (
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
        built = set(c.scalars(text(query)))
    assert built == declared


def test_a_model_that_differs_from_the_migrations_is_caught(engine):
    """The comparison can fail: a column only the models have is reported."""
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["person"].append_column(Column("nickname", String(40)))
    changed.tables["recipient"].append_column(Column("rank", Integer))
    differences = schema_differences(engine, changed)
    assert {(d[0], d[2], d[3].name) for d in differences if d[0] == "add_column"} == {
        ("add_column", "person", "nickname"),
        ("add_column", "recipient", "rank"),
    }


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_an_index_for_another_dialect_is_not_expected(dialect):
    [pattern] = [
        i for i in Base.metadata.tables["person"].indexes if i.name == "ix_person_phone_pattern"
    ]
    assert declared_for(pattern, dialect) == (dialect == "postgresql")
