"""an index for the cap on automatic replies (outbox rows per recipient and period)

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_rcpt_created", "outbox", ["mailbox_id", "rcpt_to", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_rcpt_created", "outbox")
