"""Alembic revisions of the store's schema, one file each under ``versions/``, each with the
frozen DDL of its change (never today's models). :mod:`sparkgrove.store.db` applies them when a
database is opened; the revision ids are ``0001``, ``0002``, ... in order."""
