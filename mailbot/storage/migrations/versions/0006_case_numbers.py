"""case numbers of their own per mailbox (several schools in one database): case.number

Existing cases keep their id as their number, so the tags already sent ([ЭЖ #42]) stay valid.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
    op.execute('UPDATE "case" SET number = id')
    with op.batch_alter_table("case") as batch:
        batch.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_case_mailbox_number", ["mailbox_id", "number"])


def downgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.drop_constraint("uq_case_mailbox_number", type_="unique")
        batch.drop_column("number")
