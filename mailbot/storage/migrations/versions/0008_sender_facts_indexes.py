"""indexes for what the desk reads of every user's mail's writer (store.sender_facts)

- The outbox index per recipient and period also holds each row's status and whether it was
  automatic, so the cap on automatic replies and the check for a hard bounce read the index
  alone. Before, both read the rows themselves; in SQLite a row's status lies after its raw
  bytes (tens of KB, over overflow pages), so a helper who had been sent a hundred notices
  cost 0.7 ms a mail.
- Cases are found by mailbox and writer together. With the writer's own index only, SQLite
  chose the mailbox's index (it gives the newest case first) and read every case of the
  school for a writer's case stopped under clause 5: 0.8 ms a mail at 1,000 cases, growing.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_rcpt_facts", "outbox",
                    ["mailbox_id", "rcpt_to", "created_at", "status", "automatic"])
    op.drop_index("ix_outbox_rcpt_created", "outbox")
    op.create_index("ix_case_requester", "case", ["mailbox_id", "requester_addr", "status"])


def downgrade() -> None:
    op.drop_index("ix_case_requester", "case")
    op.create_index("ix_outbox_rcpt_created", "outbox", ["mailbox_id", "rcpt_to", "created_at"])
    op.drop_index("ix_outbox_rcpt_facts", "outbox")
