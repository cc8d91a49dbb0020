"""conversations and routing: case owner, category, role, flags; message sender role

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_CASE_COLUMNS = [
    sa.Column("category", sa.String(30), nullable=False, server_default=""),
    sa.Column("role", sa.String(20), nullable=False, server_default=""),
    sa.Column("assignee", sa.String(64), nullable=False, server_default=""),
    sa.Column("route", sa.String(100), nullable=False, server_default=""),
    sa.Column("analysis", sa.Text(), nullable=False, server_default=""),
    sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("about", sa.String(64), nullable=False, server_default=""),
    sa.Column("linked_case_id", sa.Integer(), nullable=True),
    sa.Column("vendor_ticket", sa.String(100), nullable=False, server_default=""),
    sa.Column("escalated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column("first_response_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
]
_MESSAGE_COLUMNS = [
    sa.Column("sender_role", sa.String(10), nullable=False, server_default="user"),
    sa.Column("person_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("kind", sa.String(20), nullable=False, server_default="question"),
]


def upgrade() -> None:
    with op.batch_alter_table("case") as batch:
        for column in _CASE_COLUMNS:
            batch.add_column(column)
        batch.create_index("ix_case_category", ["category"])
        batch.create_index("ix_case_assignee", ["assignee"])
        batch.create_index("ix_case_vendor_ticket", ["vendor_ticket"])
    with op.batch_alter_table("message") as batch:
        for column in _MESSAGE_COLUMNS:
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        for column in _MESSAGE_COLUMNS:
            batch.drop_column(column.name)
    with op.batch_alter_table("case") as batch:
        for name in ("ix_case_category", "ix_case_assignee", "ix_case_vendor_ticket"):
            batch.drop_index(name)
        for column in _CASE_COLUMNS:
            batch.drop_column(column.name)
