"""Defaults the CLI and the Dagster resources share, importable without Dagster (a CLI run that finds
nothing changed never imports it)."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

DEFAULT_WAREHOUSE_DIR = "warehouse"


def bundled_sample_reports() -> Path:
    """The sample reports shipped inside the ``gi_pipeline`` package (``data/sample_reports``)."""
    return Path(str(importlib.resources.files("gi_pipeline") / "data" / "sample_reports"))

# Explain pages a partition by default: gi_pipeline.explain_pages.PAGES_PER_PARTITION, which imports polars
# (tests/test_explain_pages.py keeps the two equal).
EXPLAIN_PAGES = 3
