"""restriction of processing (Art. 18) and objections that take effect at once (issue 14)

- restriction: a person's restriction with its ground, reason, request, since and by whom;
  lifted with a reason and the day the person was told (Art. 18(3));
- restriction_notification: a recipient told of a restriction (Art. 19);
- data_subject_request: objection_recorded_at (Art. 21(3): recorded when logged or matched),
  data_exported_at (Art. 20: the portable data generated).

No existing row changes: the new columns start empty.

Revision ID: 0011_restriction
Revises: 0010_erasure (written against 0009_imports; re-chained after merging main)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_restriction"
down_revision: str | None = "0010_erasure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "restriction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ground", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restricted_by", sa.Integer(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.Integer(), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.Column("person_told_on", sa.Date(), nullable=True),
        sa.Column("person_told_how", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_restriction_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["data_subject_request.id"],
            name=op.f("fk_restriction_request_id_data_subject_request"),
        ),
        sa.ForeignKeyConstraint(
            ["restricted_by"], ["app_user.id"], name=op.f("fk_restriction_restricted_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by"], ["app_user.id"], name=op.f("fk_restriction_lifted_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restriction")),
    )
    op.create_index("ix_restriction_person_id", "restriction", ["person_id", "lifted_at"])
    op.create_table(
        "restriction_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("restriction_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("notified_by", sa.Integer(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["restriction_id"],
            ["restriction.id"],
            name=op.f("fk_restriction_notification_restriction_id_restriction"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipient.id"],
            name=op.f("fk_restriction_notification_recipient_id_recipient"),
        ),
        sa.ForeignKeyConstraint(
            ["notified_by"],
            ["app_user.id"],
            name=op.f("fk_restriction_notification_notified_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restriction_notification")),
        sa.UniqueConstraint(
            "restriction_id",
            "recipient_id",
            name=op.f("uq_restriction_notification_restriction_id"),
        ),
    )
    for name in ("objection_recorded_at", "data_exported_at"):
        op.add_column(
            "data_subject_request", sa.Column(name, sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    for name in ("data_exported_at", "objection_recorded_at"):
        op.execute(f"ALTER TABLE data_subject_request DROP COLUMN {name}")
    op.drop_table("restriction_notification")
    op.drop_index("ix_restriction_person_id", table_name="restriction")
    op.drop_table("restriction")
