"""The relational store: catalog, model registry and run records, through SQLAlchemy.

The database URL picks the back end (SQLite by default, PostgreSQL works the same). Stores return
plain frozen entities from :mod:`sparkgrove.store.entities`, never ORM rows.
"""

from sparkgrove.store.catalog_store import CatalogStore
from sparkgrove.store.db import Database, open_database
from sparkgrove.store.model_store import ModelStore

__all__ = ["CatalogStore", "Database", "ModelStore", "open_database"]
