"""The asset graph, wired from its modules in ``assets/defs`` (for the CLI and tests that
materialize assets directly).

Graph (groups in brackets)::

    raw_inventory [ingest] ──> quarantine [ingest]
          │
          └──> normalized_text [parse] ──> sections [parse] ──> reports, active_disclosure, requests,
                                                                review_litigation, quality_issues [facts]
                                                                      └──> cross_year_issues [quality]

The domain (inventory, partition writing, checks) is in ``gi_pipeline``; these modules only wire it
to Dagster.  Everything is written as Parquet by ``gi_pipeline.warehouse``; the default IO manager
stores nothing (the assets return ``MaterializeResult``, or -- ``parse_reports`` -- one
``AssetMaterialization`` per partition written).
"""

from .defs.checks import SUITES
from .defs.common import CROSS_YEAR, INGEST_KEYS, NORMALIZED_TEXT, QUARANTINE, RAW_INVENTORY, TABLE_KEYS
from .defs.cross_year import cross_year_issues
from .defs.facts import BACKFILL_POLICY, PARSE_SPECS, parse_reports
from .defs.ingest import ingest_raw_files

ALL_ASSETS = [ingest_raw_files, parse_reports, cross_year_issues]

__all__ = [
    "ALL_ASSETS",
    "BACKFILL_POLICY",
    "CROSS_YEAR",
    "INGEST_KEYS",
    "NORMALIZED_TEXT",
    "PARSE_SPECS",
    "QUARANTINE",
    "RAW_INVENTORY",
    "SUITES",
    "TABLE_KEYS",
    "cross_year_issues",
    "ingest_raw_files",
    "parse_reports",
]
