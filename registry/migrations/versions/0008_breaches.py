"""breach and breach_change: the register of personal data breaches (issue 22)

Art. 33(5) requires every breach to be documented, notified or not, so nothing here is
deleted: the database refuses DELETE on breach, and UPDATE or DELETE on breach_change (the
history of who changed what, when), as it does for audit_event (0002).

Revision ID: 0008_breaches
Revises: 0007_report
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_breaches"
down_revision: str | None = "0007_report"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
# (table, operations refused, message)
GUARDS = (
    ("breach", ("DELETE",), "breach rows are never deleted"),
    ("breach_change", ("UPDATE", "DELETE"), "breach_change is append-only"),
)


def upgrade() -> None:
    op.create_table(
        "breach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("aware_at", WHEN, nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("source_recipient_id", sa.Integer(), nullable=True),
        sa.Column("source_user_id", sa.Integer(), nullable=True),
        sa.Column("source_disclosure_id", sa.Integer(), nullable=True),
        sa.Column("source_detail", sa.String(length=200), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("relationships", sa.JSON(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("risk", sa.String(length=20), nullable=True),
        sa.Column("risk_reasoning", sa.Text(), nullable=False),
        sa.Column("authority_decision", sa.String(length=20), nullable=True),
        sa.Column("authority_notified_at", WHEN, nullable=True),
        sa.Column("authority_reference", sa.String(length=100), nullable=False),
        sa.Column("authority_reason", sa.Text(), nullable=False),
        sa.Column("delay_reasons", sa.Text(), nullable=False),
        sa.Column("persons_decision", sa.String(length=20), nullable=True),
        sa.Column("persons_told_at", WHEN, nullable=True),
        sa.Column("persons_how", sa.String(length=200), nullable=False),
        sa.Column("persons_exemption", sa.String(length=20), nullable=True),
        sa.Column("persons_reason", sa.Text(), nullable=False),
        sa.Column("affected_persons", sa.Integer(), nullable=True),
        sa.Column("affected_records", sa.Integer(), nullable=True),
        sa.Column("affected_counted_at", WHEN, nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_recipient_id"],
            ["recipient.id"],
            name=op.f("fk_breach_source_recipient_id_recipient"),
        ),
        sa.ForeignKeyConstraint(
            ["source_user_id"], ["app_user.id"], name=op.f("fk_breach_source_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["source_disclosure_id"],
            ["disclosure.id"],
            name=op.f("fk_breach_source_disclosure_id_disclosure"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_breach_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach")),
    )
    op.create_index("ix_breach_aware_at", "breach", ["aware_at"])
    op.create_table(
        "breach_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("breach_id", sa.Integer(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"], ["breach.id"], name=op.f("fk_breach_change_breach_id_breach")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_breach_change_actor_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_change")),
    )
    op.create_index("ix_breach_change_breach_id", "breach_change", ["breach_id", "at"])

    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, operations, message in GUARDS:
        if postgresql:
            op.execute(
                f"""
                CREATE FUNCTION {table}_guard() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '{message}: % refused', TG_OP;
                END;
                $$ LANGUAGE plpgsql
                """
            )
            op.execute(
                f"CREATE TRIGGER {table}_guard BEFORE {' OR '.join(operations)} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_guard()"
            )
        else:
            for operation in operations:
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} "
                    f"ON {table} BEGIN SELECT RAISE(ABORT, '{message}: {operation} refused'); END"
                )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, operations, _ in GUARDS:
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_guard ON {table}")
            op.execute(f"DROP FUNCTION {table}_guard()")
        else:
            for operation in operations:
                op.execute(f"DROP TRIGGER {table}_no_{operation.lower()}")
    op.drop_index("ix_breach_change_breach_id", table_name="breach_change")
    op.drop_table("breach_change")
    op.drop_index("ix_breach_aware_at", table_name="breach")
    op.drop_table("breach")
