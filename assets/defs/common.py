"""What every asset module shares: asset keys and groups, the Parquet-contract metadata of the
specs, markdown previews and the progress log (no definitions here)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import dagster as dg
import pyarrow as pa

from gi_pipeline import vocabulary as v
from gi_pipeline import warehouse
from gi_pipeline.partition_writer import PREVIEW_ROWS

GROUP_INGEST = "ingest"
GROUP_PARSE = "parse"
GROUP_FACTS = "facts"
GROUP_QUALITY = "quality"

RAW_INVENTORY = dg.AssetKey("raw_inventory")
QUARANTINE = dg.AssetKey(v.TABLE_QUARANTINE)
NORMALIZED_TEXT = dg.AssetKey(warehouse.STAGE_NORMALIZED_TEXT)
CROSS_YEAR = dg.AssetKey(v.TABLE_CROSS_YEAR_ISSUES)
TABLE_KEYS: dict[str, dg.AssetKey] = {name: dg.AssetKey(name) for name in v.PARTITIONED_TABLES}
INGEST_KEYS = [RAW_INVENTORY, QUARANTINE]

# Metadata key of raw_inventory's materialization: the partition keys whose reports it changed,
# which the partitions sensor runs.
PARTITIONS_TOUCHED = "partitions_touched"
# Run tag: "true" makes the ingest read and hash every raw file, trusting no size and mtime.
VERIFY_TAG = "gi_pipeline/verify"
# ... and the partition keys holding a catalogued file it could not read: left as they are.
KEPT_PARTITIONS = "partitions_kept"

def table_schema(schema: pa.Schema, partitioned: bool) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=name, type=type_, description=doc or None)
            for name, type_, doc in warehouse.column_docs(schema, partitioned=partitioned)
        ]
    )


def definition_metadata(schema: pa.Schema, partitioned: bool, relative_path: str) -> dict:
    return {
        "dagster/column_schema": table_schema(schema, partitioned),
        "storage": relative_path,
    }


# Progress lines of long runs.  Dagster's run log gets them (context.log); so does this logger,
# which ``gi-pipeline run`` prints (a record of a partition carries ``partition=(year, region)``).
PROGRESS_LOG = logging.getLogger("gi_pipeline.progress")


def progress(context: dg.AssetExecutionContext | dg.OpExecutionContext, message: str,
             partition: tuple[int, str] | None = None) -> None:
    context.log.info(message)
    PROGRESS_LOG.info(message, extra={"partition": partition})


def _cell(value: object, width: int = 40) -> str:
    if value is None:
        return ""
    text = str(value).replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"


def markdown_preview(
    table: pa.Table, limit: int = PREVIEW_ROWS, columns: Sequence[str] | None = None, total: int | None = None
) -> str:
    """The first ``limit`` rows as a small markdown table (``total``: the rows ``table`` is the head of)."""
    columns = list(columns or table.column_names)
    head = table.select(columns).slice(0, limit).to_pylist()
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row[c]) for c in columns) + " |" for row in head]
    total = table.num_rows if total is None else total
    if total > limit:
        lines.append(f"\n… {total - limit} more rows")
    return "\n".join(lines)
