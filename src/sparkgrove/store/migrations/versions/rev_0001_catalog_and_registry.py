"""The catalog (databases, tables, versions, partitions, files) and the model registry.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def _created() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "databases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        _created(),
    )
    op.create_table(
        "tables",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("database_id", sa.Integer,
                  sa.ForeignKey("databases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("partition_keys", sa.JSON, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("database_id", "name", name="uq_tables_database_name"),
    )
    op.create_table(
        "table_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("table_id", sa.Integer, sa.ForeignKey("tables.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        _created(),
        sa.UniqueConstraint("table_id", "version", name="uq_table_versions"),
    )
    op.create_table(
        "partitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("table_id", sa.Integer, sa.ForeignKey("tables.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("values_key", sa.String(1000), nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        _created(),
        sa.UniqueConstraint("table_id", "values_key", name="uq_partitions"),
    )
    op.create_table(
        "table_files",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("table_id", sa.Integer, sa.ForeignKey("tables.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime", sa.Float, nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
        sa.Column("malformed", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _created(),
        sa.UniqueConstraint("table_id", "path", name="uq_table_files"),
    )
    op.create_table(
        "models",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        _created(),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("engine", sa.String(32), nullable=False),
        sa.Column("task", sa.String(32), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("lineage", sa.JSON, nullable=False),
        sa.Column("artifact_path", sa.Text, nullable=False),
        _created(),
        sa.UniqueConstraint("model_id", "version", name="uq_model_versions"),
    )


def downgrade() -> None:
    for name in ("model_versions", "models", "table_files", "partitions", "table_versions",
                 "tables", "databases"):
        op.drop_table(name)
