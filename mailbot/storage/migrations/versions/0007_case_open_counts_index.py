"""an index for the open cases per helper, counted for every user's mail (routing)

Without it the count read every case of the mailbox, closed ones included, whole rows and
all: 2 ms a mail at 1,000 cases, growing with every case the school ever had.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_open_counts", "case", ["mailbox_id", "status", "assignee"])


def downgrade() -> None:
    op.drop_index("ix_case_open_counts", "case")
