"""Paths as Glue scripts write them: ``s3://bucket/key`` maps to ``<object store>/bucket/key``.

The object store is ``<workspace>/s3`` unless ``SPARKGROVE_S3_ROOT`` names another folder, so a
script's S3 paths need no edit. Local paths and ``file://`` URLs are used as they are.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sparkgrove.errors import ConfigError
from sparkgrove.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def object_store_root(settings: Settings | None) -> Path:
    """The folder that stands in for S3."""
    if settings is None:
        raise ConfigError("s3:// paths need a workspace (or SPARKGROVE_S3_ROOT).")
    return settings.object_store


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


S3_SCHEMES = ("s3", "s3a", "s3n")
BUCKET_PATTERN = re.compile(r"\bs3[an]?://([A-Za-z0-9][A-Za-z0-9.\-_]{0,254})")


def buckets_in(text: str) -> set[str]:
    """Bucket names of the ``s3://bucket/...`` URLs in a script or its arguments."""
    return set(BUCKET_PATTERN.findall(text))


def mount_object_store(spark: SparkSession, settings: Settings | None,
                       buckets: set[str] | None = None) -> None:
    """Make ``s3://bucket/key`` (and ``s3a://``, ``s3n://``) reach the same local folder in
    plain Spark as in the Glue API: Hadoop's ``ViewFileSystemOverloadScheme`` serves the
    schemes, with one mount table per bucket whose fallback link is ``<object store>/bucket``.

    Buckets are mounted for every folder already in the object store and for ``buckets``
    (the runner passes those named in the script and its arguments). The file-system cache
    is off for these schemes, so a later mount (or another workspace) takes effect at once.
    """
    root = object_store_root(settings)
    names = set(buckets or ())
    if root.is_dir():
        names |= {p.name for p in root.iterdir() if p.is_dir()}
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    for scheme in S3_SCHEMES:
        conf.set(f"fs.{scheme}.impl",
                 "org.apache.hadoop.fs.viewfs.ViewFileSystemOverloadScheme")
        conf.set(f"fs.viewfs.overload.scheme.target.{scheme}.impl",
                 "org.apache.hadoop.fs.RawLocalFileSystem")
        conf.set(f"fs.{scheme}.impl.disable.cache", "true")
    for bucket in sorted(names):
        if bucket in (".", "..") or "/" in bucket:
            continue
        folder = root / bucket
        folder.mkdir(parents=True, exist_ok=True)
        conf.set(f"fs.viewfs.mounttable.{bucket}.linkFallback", folder.resolve().as_uri())
