"""The code location (``workspace.yaml``, ``[tool.dg]`` in pyproject.toml): every module of
``assets/defs`` -- partitions, resources, ingest, facts, cross_year, checks, jobs, sensors -- loaded by
Dagster's ``load_from_defs_folder``."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
