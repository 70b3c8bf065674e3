"""Partitions, declared once: (year, region) of the reports.

``year`` is static (2008, the Regulations' first year, to the current year: ``gi_pipeline.years``);
``region`` is dynamic, named "region", with 6-digit province codes registered by ``raw_inventory`` (and
nowhere else) as it sees them (``000000`` = region unknown).  Multi-partition keys order dimensions by
*name*, so the key string is ``640000|2024``: always build keys with ``report_partition_key`` and read them with ``split_partition_key``.
"""

from __future__ import annotations

import dagster as dg

from gi_pipeline.vocabulary import UNKNOWN_REGION
from gi_pipeline.years import YEARS  # the one definition of the accepted years

YEAR_DIMENSION = "year"
REGION_DIMENSION = "region"

year_partitions = dg.StaticPartitionsDefinition([str(y) for y in YEARS])
region_partitions = dg.DynamicPartitionsDefinition(name=REGION_DIMENSION)

report_partitions = dg.MultiPartitionsDefinition({YEAR_DIMENSION: year_partitions, REGION_DIMENSION: region_partitions})

__all__ = [
    "UNKNOWN_REGION",
    "YEARS",
    "region_partitions",
    "report_partition_key",
    "report_partitions",
    "split_partition_key",
    "year_partitions",
]


def report_partition_key(year: int, region: str) -> dg.MultiPartitionKey:
    """The Dagster key of partition (year, region); its string form is ``f"{region}|{year}"``."""
    return dg.MultiPartitionKey({YEAR_DIMENSION: str(year), REGION_DIMENSION: region})


def split_partition_key(key: str | dg.MultiPartitionKey) -> tuple[int, str]:
    """(year, region) of a multi-partition key (a MultiPartitionKey or its ``region|year`` string)."""
    if isinstance(key, dg.MultiPartitionKey):
        dims = key.keys_by_dimension
    else:
        dims = report_partitions.get_partition_key_from_str(key).keys_by_dimension
    return int(dims[YEAR_DIMENSION]), dims[REGION_DIMENSION]
