"""recipients: role (processor or independent controller) and scope (whose data each holds)

An access report must name every recipient of the person's data (Art. 15(1)(c), CJEU
C-154/21), not only those found in disclosure rows: a hosting processor holds everyone's
data without any disclosure being recorded. The scope says whose data a recipient holds.

Existing rows: dealers are independent controllers that receive data per disclosure;
subcontractors and processors act under Art. 28 agreements; hosting and backup services
hold every person's data, website analytics that of persons with website visits, and the
rest receive what their disclosure rows say.

Revision ID: 0005_recipients_scope
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_recipients_scope"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY_LIST = sa.text("'[]'")


def upgrade() -> None:
    with op.batch_alter_table("recipient") as batch:
        batch.add_column(
            sa.Column("role", sa.String(20), nullable=False, server_default="processor")
        )
        batch.add_column(
            sa.Column("scope", sa.String(20), nullable=False, server_default="per_disclosure")
        )
        batch.add_column(
            sa.Column("scope_categories", sa.JSON(), nullable=False, server_default=EMPTY_LIST)
        )
        batch.add_column(
            sa.Column("scope_relationships", sa.JSON(), nullable=False, server_default=EMPTY_LIST)
        )
    recipient = sa.table(
        "recipient",
        sa.column("kind", sa.String),
        sa.column("service", sa.String),
        sa.column("role", sa.String),
        sa.column("scope", sa.String),
        sa.column("scope_categories", sa.JSON),
    )
    service = sa.func.lower(recipient.c.service)
    op.execute(
        recipient.update()
        .where(recipient.c.kind == "dealer")
        .values(role="controller", scope="per_disclosure")
    )
    op.execute(
        recipient.update()
        .where(recipient.c.kind != "dealer")
        .where(service.like("%hosting%") | service.like("%backup%"))
        .values(scope="all_persons")
    )
    op.execute(
        recipient.update()
        .where(recipient.c.kind != "dealer")
        .where(service.like("%analytics%"))
        .values(scope="categories", scope_categories=["website_visit"])
    )


def downgrade() -> None:
    with op.batch_alter_table("recipient") as batch:
        batch.drop_column("scope_relationships")
        batch.drop_column("scope_categories")
        batch.drop_column("scope")
        batch.drop_column("role")
