"""sparkgrove: a self-hosted, Python-first workbench for distributed machine learning."""

__version__ = "0.1.0"
