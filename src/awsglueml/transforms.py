"""``from awsglueml.transforms import FindMatches``: present, and refused when called."""

from sparkgrove.etl.transforms import FillMissingValues, FindIncrementalMatches, FindMatches

__all__ = ["FillMissingValues", "FindIncrementalMatches", "FindMatches"]
