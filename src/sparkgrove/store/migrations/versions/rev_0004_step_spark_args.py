"""The spark-submit options of steps (EMR's Spark step ``Args`` before the script).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database from before Alembic may have made its steps table with this column already.
    if "spark_args" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("steps")}:
        op.add_column("steps", sa.Column("spark_args", sa.JSON, nullable=False,
                                         server_default="[]"))


def downgrade() -> None:
    op.drop_column("steps", "spark_args")
