"""Paths as Glue scripts write them: ``s3://bucket/key`` maps to ``<object store>/bucket/key``.

The object store is ``<workspace>/s3`` unless ``SPARKGROVE_S3_ROOT`` names another folder, so a
script's S3 paths need no edit. Local paths and ``file://`` URLs are used as they are.
"""

from __future__ import annotations

import os
from pathlib import Path

from sparkgrove.errors import ConfigError
from sparkgrove.settings import Settings


def object_store_root(settings: Settings | None) -> Path:
    """The folder that stands in for S3."""
    override = os.environ.get("SPARKGROVE_S3_ROOT")
    if override:
        return Path(override)
    if settings is None:
        raise ConfigError("s3:// paths need a workspace (or SPARKGROVE_S3_ROOT).")
    return settings.workspace / "s3"


def resolve_path(path: str, settings: Settings | None) -> Path:
    """A local path for ``path`` (``s3://``, ``s3a://``, ``file://`` or a plain path)."""
    for scheme in ("s3://", "s3a://", "s3n://"):
        if path.startswith(scheme):
            key = path[len(scheme):].strip("/")
            parts = [p for p in key.split("/") if p]
            if not parts or any(p in (".", "..") for p in parts):
                raise ConfigError(f"The S3 path {path!r} needs a bucket and no '.' or '..' "
                                  "segments.")
            return object_store_root(settings).joinpath(*parts)
    if path.startswith("file://"):
        return Path(path[len("file://"):])
    return Path(path)
