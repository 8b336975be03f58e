"""erasure that erases (issue 14): suppression list, erasure journal, legal holds

- person.erased_at: the row stays, emptied, for what a legal hold keeps;
- customer_order.held_until, hold_reason: an order kept after an erasure, and why;
- data_subject_request.erasure_grounds, erasure_exceptions (Art. 17(1), 17(3));
- suppression: keyed hashes of an erased or objecting person's email and phone;
- erasure_journal (ids and time), erasure_follow_up (Art. 19 recipients to tell);
- consent_state.event_id indexed: deleting a consent event checks its foreign key;
- audit details that named a data subject ("First Last (person N)", written when a request
  was matched) now say "person N"; so do the request_transition notes of those steps.
  The append-only trigger is set aside for that one rewrite and put back.

Revision ID: 0010_erasure
Revises: 0013_daily (main's head when merged; written against 0009_imports)
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_erasure"
down_revision: str | None = "0013_daily"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAMED = re.compile(r"^.*\(person (\d+)\)$", re.DOTALL)


def _unname(table: str, column: str, action_column: str, action: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            f"SELECT id, {column} FROM {table} "  # noqa: S608 - fixed names
            f"WHERE {action_column} = :action AND {column} LIKE '%(person %)'"
        ),
        {"action": action},
    ).all()
    for row_id, value in rows:
        match = _NAMED.match(value)
        if match:
            bind.execute(
                sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),  # noqa: S608
                {"v": f"person {match.group(1)}", "id": row_id},
            )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("person", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("customer_order", sa.Column("held_until", sa.Date(), nullable=True))
    op.add_column("customer_order", sa.Column("hold_reason", sa.String(200), nullable=True))
    op.add_column("data_subject_request", sa.Column("erasure_grounds", sa.JSON(), nullable=True))
    op.add_column(
        "data_subject_request", sa.Column("erasure_exceptions", sa.JSON(), nullable=True)
    )
    # An erasure deletes consent events; their foreign key check needs this index.
    op.create_index("ix_consent_state_event_id", "consent_state", ["event_id"])
    op.create_table(
        "suppression",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_hmac", sa.String(length=64), nullable=True),
        sa.Column("phone_hmac", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppression")),
    )
    op.create_index("ix_suppression_email_hmac", "suppression", ["email_hmac"])
    op.create_index("ix_suppression_phone_hmac", "suppression", ["phone_hmac"])
    op.create_table(
        "erasure_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_journal")),
    )
    op.create_index("ix_erasure_journal_person_id", "erasure_journal", ["person_id"])
    op.create_table(
        "erasure_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journal_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("disclosures", sa.Integer(), nullable=False),
        sa.Column("last_disclosed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["journal_id"],
            ["erasure_journal.id"],
            name=op.f("fk_erasure_follow_up_journal_id_erasure_journal"),
        ),
        sa.ForeignKeyConstraint(
            ["notified_by"], ["app_user.id"], name=op.f("fk_erasure_follow_up_notified_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipient.id"],
            name=op.f("fk_erasure_follow_up_recipient_id_recipient"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_follow_up")),
        sa.UniqueConstraint("journal_id", "recipient_id", name=op.f("uq_erasure_follow_up_journal_id")),
    )

    # Audit without names: the one write path that put a name in a detail was matching.
    if sqlite:
        op.execute("DROP TRIGGER audit_event_no_update")
    else:
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
    _unname("audit_event", "detail", "action", "request_match")
    if sqlite:
        op.execute(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN "
            "SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END"
        )
    else:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    _unname("request_transition", "note", "action", "match")


def downgrade() -> None:
    op.drop_index("ix_consent_state_event_id", table_name="consent_state")
    op.drop_table("erasure_follow_up")
    op.drop_index("ix_erasure_journal_person_id", table_name="erasure_journal")
    op.drop_table("erasure_journal")
    op.drop_index("ix_suppression_phone_hmac", table_name="suppression")
    op.drop_index("ix_suppression_email_hmac", table_name="suppression")
    op.drop_table("suppression")
    op.drop_column("data_subject_request", "erasure_exceptions")
    op.drop_column("data_subject_request", "erasure_grounds")
    op.drop_column("customer_order", "hold_reason")
    op.drop_column("customer_order", "held_until")
    op.drop_column("person", "erased_at")
