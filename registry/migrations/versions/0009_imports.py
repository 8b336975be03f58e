"""imports from the notice's regular sources (issue 19)

- import_run: each import of a file, with its source, format and counts;
- person: third_party_at, informed_at, informed_by (Art. 14), import_run_id;
- customer_order, activity: source and the source's own id (external_id), unique together,
  so that importing the same file twice changes nothing the second time.

No existing row changes: the new columns start empty. A person whose source the declaration
does not name as the person's own counts as obtained from a third party from created_at
(registry.imports.informing), so no backfill is needed.

Revision ID: 0009_imports
Revises: 0005_recipients_scope (rebased onto main; written against 0004)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_imports"
down_revision: str | None = "0008_breaches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_format", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("skip_invalid", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("new_rows", sa.Integer(), nullable=False),
        sa.Column("updated_rows", sa.Integer(), nullable=False),
        sa.Column("unchanged_rows", sa.Integer(), nullable=False),
        sa.Column("rejected_rows", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_import_run_actor_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_run")),
    )
    op.create_index("ix_import_run_started_at", "import_run", ["started_at"])

    # Plain ALTER TABLE on both engines: a batch rebuild of person on SQLite would drop its
    # expression indexes (lower(email) ...), and copy a million rows to add four columns.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, column_type, references in (
        ("third_party_at", sa.DateTime(timezone=True), None),
        ("informed_at", sa.DateTime(timezone=True), None),
        ("informed_by", sa.Integer(), "app_user"),
        ("import_run_id", sa.Integer(), "import_run"),
    ):
        if sqlite and references:
            # SQLite takes a foreign key only inline, when the column is added.
            op.execute(
                f"ALTER TABLE person ADD COLUMN {name} INTEGER "
                f"CONSTRAINT fk_person_{name}_{references} REFERENCES {references} (id)"
            )
            continue
        op.add_column("person", sa.Column(name, column_type, nullable=True))
        if references:
            op.create_foreign_key(
                f"fk_person_{name}_{references}", "person", references, [name], ["id"]
            )

    for table in ("customer_order", "activity"):
        op.add_column(table, sa.Column("source", sa.String(length=100), nullable=True))
        op.add_column(table, sa.Column("external_id", sa.String(length=100), nullable=True))
        op.create_index(
            f"ix_{table}_source_external_id", table, ["source", "external_id"], unique=True
        )


def downgrade() -> None:
    for table in ("activity", "customer_order"):
        op.drop_index(f"ix_{table}_source_external_id", table_name=table)
        op.drop_column(table, "external_id")
        op.drop_column(table, "source")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, references in (
        ("import_run_id", "import_run"),
        ("informed_by", "app_user"),
        ("informed_at", None),
        ("third_party_at", None),
    ):
        if references and not sqlite:
            op.drop_constraint(f"fk_person_{name}_{references}", "person", type_="foreignkey")
        # SQLite (3.35+) drops a column whose only constraint is its inline foreign key.
        op.execute(f"ALTER TABLE person DROP COLUMN {name}")
    op.drop_index("ix_import_run_started_at", table_name="import_run")
    op.drop_table("import_run")
