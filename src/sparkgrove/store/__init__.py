"""The relational store: catalog, model registry and run records, through SQLAlchemy.

The database URL picks the back end (SQLite by default, PostgreSQL works the same). Stores return
plain frozen entities from :mod:`sparkgrove.store.entities`, never ORM rows. States are the
StrEnums of :mod:`sparkgrove.store.states`. Names are imported on first use, so that reading
the states does not load SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sparkgrove.store.catalog_store import CatalogStore
    from sparkgrove.store.db import Database, open_database
    from sparkgrove.store.model_store import ModelStore

_LAZY = {"CatalogStore": "sparkgrove.store.catalog_store", "Database": "sparkgrove.store.db",
         "open_database": "sparkgrove.store.db", "ModelStore": "sparkgrove.store.model_store"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sparkgrove.store' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = ["CatalogStore", "Database", "ModelStore", "open_database"]
