"""ETL job bookmarks and job runs (Glue's).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookmarks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("ctx", sa.String(200), nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("job", "ctx", name="uq_bookmarks"),
    )
    op.create_table(
        "etl_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("script", sa.Text, nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("rows_read", sa.BigInteger, nullable=False),
        sa.Column("rows_written", sa.BigInteger, nullable=False),
        sa.Column("error_records", sa.BigInteger, nullable=False),
        sa.Column("log_path", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("etl_runs")
    op.drop_table("bookmarks")
