"""The catalog: databases, tables, versions and partitions, and the crawler that fills it."""

from sparkgrove.catalog.api import Catalog
from sparkgrove.catalog.crawler import CrawlReport, FileProblem, SchemaChange, crawl_path

__all__ = ["Catalog", "CrawlReport", "FileProblem", "SchemaChange", "crawl_path"]
