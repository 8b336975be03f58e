"""the access report: reply language, extension notice, redactions, sent copies, basis at the time

- data_subject_request.reply_language: the language of every letter on the request (fi, sv
  or en); existing requests get the language of the matched person's country (Finland:
  Finnish, Sweden and Åland: Swedish), English otherwise.
- data_subject_request.extension_told_on / extension_told_channel: when and how the person
  was told of an extension (Art. 12(3): within the first month, with the reasons).
- disclosure.transfer_mechanism / agreement_date: the basis a disclosure relied on when it
  was made. Existing rows get the recipient's values as the register holds them now, and
  basis_from_register = true says so: the basis at the time was not recorded for them.
- report_redaction: passages withheld from an access report to protect others (Art. 15(4)).
- sent_document: the exact letters and data sent on a request, with SHA-256 checksums.

Revision ID: 0007_report
Revises: 0005_recipients_scope
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_report"
down_revision: str | None = "0005_recipients_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("data_subject_request") as batch:
        batch.add_column(
            sa.Column("reply_language", sa.String(2), nullable=False, server_default="fi")
        )
        batch.add_column(sa.Column("extension_told_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("extension_told_channel", sa.String(20), nullable=True))
    request = sa.table(
        "data_subject_request",
        sa.column("person_id", sa.Integer),
        sa.column("reply_language", sa.String),
    )
    person = sa.table("person", sa.column("id", sa.Integer), sa.column("country", sa.String))
    country = (
        sa.select(person.c.country).where(person.c.id == request.c.person_id).scalar_subquery()
    )
    op.execute(
        request.update().values(
            reply_language=sa.case(
                (country == "FI", "fi"),
                (country.in_(["SE", "AX"]), "sv"),
                else_="en",
            )
        )
    )

    with op.batch_alter_table("disclosure") as batch:
        # Nullable: a row written outside the recording paths says "not recorded", never a
        # basis it did not rely on.
        batch.add_column(sa.Column("transfer_mechanism", sa.String(30), nullable=True))
        batch.add_column(sa.Column("agreement_date", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column(
                "basis_from_register", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    disclosure = sa.table(
        "disclosure",
        sa.column("recipient_id", sa.Integer),
        sa.column("transfer_mechanism", sa.String),
        sa.column("agreement_date", sa.Date),
        sa.column("basis_from_register", sa.Boolean),
    )
    recipient = sa.table(
        "recipient",
        sa.column("id", sa.Integer),
        sa.column("transfer_mechanism", sa.String),
        sa.column("agreement_date", sa.Date),
    )

    def of_recipient(column: str) -> sa.ScalarSelect:  # type: ignore[type-arg]
        return (
            sa.select(recipient.c[column])
            .where(recipient.c.id == disclosure.c.recipient_id)
            .scalar_subquery()
        )

    op.execute(
        disclosure.update().values(
            transfer_mechanism=of_recipient("transfer_mechanism"),
            agreement_date=of_recipient("agreement_date"),
            basis_from_register=True,
        )
    )

    op.create_table(
        "report_redaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(30), nullable=False),
        sa.Column("record_id", sa.String(50), nullable=False),
        sa.Column("field", sa.String(30), nullable=False),
        sa.Column("passage", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("redacted_by", sa.Integer(), nullable=True),
        sa.Column("redacted_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", UTC_TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["data_subject_request.id"],
            name=op.f("fk_report_redaction_request_id_data_subject_request"),
        ),
        sa.ForeignKeyConstraint(
            ["redacted_by"], ["app_user.id"], name=op.f("fk_report_redaction_redacted_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"],
            ["app_user.id"],
            name=op.f("fk_report_redaction_withdrawn_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_redaction")),
    )
    op.create_index("ix_report_redaction_request_id", "report_redaction", ["request_id"])

    op.create_table(
        "sent_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("html_sha256", sa.String(64), nullable=False),
        sa.Column("json", sa.Text(), nullable=True),
        sa.Column("json_sha256", sa.String(64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["data_subject_request.id"],
            name=op.f("fk_sent_document_request_id_data_subject_request"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_sent_document_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_document")),
    )
    op.create_index("ix_sent_document_request_id", "sent_document", ["request_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_sent_document_request_id", table_name="sent_document")
    op.drop_table("sent_document")
    op.drop_index("ix_report_redaction_request_id", table_name="report_redaction")
    op.drop_table("report_redaction")
    with op.batch_alter_table("disclosure") as batch:
        batch.drop_column("basis_from_register")
        batch.drop_column("agreement_date")
        batch.drop_column("transfer_mechanism")
    with op.batch_alter_table("data_subject_request") as batch:
        batch.drop_column("extension_told_channel")
        batch.drop_column("extension_told_on")
        batch.drop_column("reply_language")
