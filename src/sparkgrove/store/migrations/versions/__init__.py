"""The revisions (Alembic reads these files; nothing imports them)."""
