"""The Parquet warehouse on disk: hive-partitioned tables, written atomically and deterministically.

Layout (``root`` is the warehouse directory)::

    root/<table>/year=YYYY/region=NNNNNN/part-0.parquet   the six partitioned tables (schema.SCHEMAS)
    root/quarantine/part-0.parquet                        files that could not be processed (whole set)
    root/_catalog/inventory.parquet                       raw file -> (doc_id, year, region) or reason
    root/_stage/<name>/year=YYYY/region=NNNNNN/part-0.parquet   intermediates (not part of the contract)

``year`` and ``region`` are *not* columns of the files: the hive directory names carry them and
``scan`` types them with ``schema.PARTITION_SCHEMA`` (year Int32, region String, so 000000 stays a
string).  Directories starting with ``_`` are internal.

Every file is written the same way (``write_parquet``): to a hidden temporary file in the target
directory, fsync'd, then ``os.replace``'d over the old file, so a reader (or a crash) sees either the
old file or the new one, never half a file.  Output is deterministic: same rows in, byte-identical
file out (fixed codec and level, no timestamps; pyarrow writes only its version in the footer).

Pure library: no Dagster here.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from . import vocabulary as v
from .schema import COLUMN_DOCS, PARTITION_SCHEMA, SCHEMAS

PART_FILE = "part-0.parquet"
CATALOG_DIR = "_catalog"
STAGE_DIR = "_stage"

# Fixed writer settings: changing any of them changes the bytes of every file.
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 3

# Temporary files of a writer that died are removed by the next write of the same partition once they
# are this old (younger ones may belong to a writer still running; readers never see them anyway:
# they are hidden and do not end in .parquet).
STALE_TMP_SECONDS = 3600
_TMP_PREFIX = ".tmp-"

_REGION_RE = re.compile(r"^\d{6}$")

# --------------------------------------------------------------------------------------------
# Internal tables: the raw-file catalog and stage intermediates.
# --------------------------------------------------------------------------------------------

# One row per raw file.  role: 'report' (parsed, belongs to partition year/region), 'duplicate'
# (same bytes as duplicate_of, which is the 'report' or 'quarantined' row that was parsed) or
# 'quarantined' (reason says why; year/region null).
ROLE_REPORT = "report"
ROLE_DUPLICATE = "duplicate"
ROLE_QUARANTINED = "quarantined"
CATALOG_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("sha256", pa.string()),
        ("size_bytes", pa.int64()),
        ("role", pa.string()),
        ("doc_id", pa.string()),
        ("year", pa.int32()),
        ("region", pa.string()),
        ("duplicate_of", pa.string()),
        ("reason", pa.string()),
    ]
)

STAGE_NORMALIZED_TEXT = "normalized_text"
STAGE_SCHEMAS: dict[str, pa.Schema] = {
    STAGE_NORMALIZED_TEXT: pa.schema([("doc_id", pa.string()), ("source_file", pa.string()), ("text", pa.string())]),
}


# Docs of columns that ``schema.COLUMN_DOCS`` does not describe (yet); COLUMN_DOCS wins when it does.
_EXTRA_COLUMN_DOCS: dict[str, str] = {
    "year": "report year: hive partition directory year=YYYY, not stored in the files",
    "region": "province code of the agency, 6 digits, '000000' = unknown: hive directory region=NNNNNN",
    "section_no": "section number 1-6 of the national template (0 = text before the first heading)",
    "section_key": "section key from the canonical vocabulary ('preamble' before the first heading)",
    "heading": "the section heading as printed (normalized)",
    "text": "normalized text (simplified characters, half-width punctuation)",
    "char_start": "start offset of the section in the report's normalized text",
    "char_end": "end offset of the section in the report's normalized text",
    "error_count": "number of error-severity quality issues of the report",
    "warning_count": "number of warning-severity quality issues of the report",
    "size_bytes": "size of the raw file",
    "role": "'report' (parsed), 'duplicate' (same bytes as duplicate_of) or 'quarantined'",
    "duplicate_of": "for a duplicate: the file with the same bytes that was parsed",
}


def column_docs(schema: pa.Schema, partitioned: bool = False) -> list[tuple[str, str, str]]:
    """(name, type, description) of each column of ``schema`` (plus year/region if partitioned)."""
    fields = list(schema) + (list(PARTITION_SCHEMA) if partitioned else [])
    return [(f.name, str(f.type), COLUMN_DOCS.get(f.name) or _EXTRA_COLUMN_DOCS.get(f.name, "")) for f in fields]


def schema_markdown() -> str:
    """The Parquet contract as markdown (the README's schema section is generated from this)."""
    out: list[str] = []
    for name in (*v.PARTITIONED_TABLES, *v.UNPARTITIONED_TABLES):
        partitioned = name in v.PARTITIONED_TABLES
        where = "year=YYYY/region=NNNNNN/part-0.parquet" if partitioned else "part-0.parquet"
        out += [f"**{name}** (`{name}/{where}`)", "", "| column | type | description |", "|---|---|---|"]
        out += [
            f"| `{col}` | {type_} | {doc.replace('|', '/')} |"
            for col, type_, doc in column_docs(SCHEMAS[name], partitioned=partitioned)
        ]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------


def _check_key(year: int, region: str) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ValueError(f"year must be a 4-digit int, got {year!r}")
    if not isinstance(region, str) or not _REGION_RE.match(region):
        raise ValueError(f"region must be a 6-digit code string, got {region!r}")


def partition_dir(root: str | os.PathLike, table: str, year: int, region: str) -> Path:
    """``root/<table>/year=YYYY/region=NNNNNN``."""
    _check_key(year, region)
    return Path(root) / table / f"year={year:04d}" / f"region={region}"


def stage_dir(root: str | os.PathLike, name: str, year: int, region: str) -> Path:
    """``root/_stage/<name>/year=YYYY/region=NNNNNN`` (intermediates, not part of the contract)."""
    return partition_dir(Path(root) / STAGE_DIR, name, year, region)


def catalog_path(root: str | os.PathLike) -> Path:
    return Path(root) / CATALOG_DIR / "inventory.parquet"


def table_path(root: str | os.PathLike, table: str) -> Path:
    """``root/<table>/part-0.parquet`` of an unpartitioned table (quarantine, cross_year_issues)."""
    return Path(root) / table / PART_FILE


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _conform(table: pa.Table, schema: pa.Schema, name: str) -> pa.Table:
    if not table.schema.equals(schema, check_metadata=False):
        raise ValueError(
            f"{name}: schema does not match the warehouse contract\n"
            f"expected:\n{schema.to_string(show_schema_metadata=False)}\n"
            f"got:\n{table.schema.to_string(show_schema_metadata=False)}"
        )
    # Drop schema metadata (e.g. pandas') so it cannot leak into the bytes; combine chunks so the
    # row-group layout depends on the rows only, not on how the table was assembled.
    return table.replace_schema_metadata(None).combine_chunks()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _mkdirs(path: Path) -> None:
    # A concurrent writer emptying a sibling partition may rmdir the shared parent between our
    # mkdir calls: retry a few times.
    for attempt in range(5):
        try:
            path.mkdir(parents=True, exist_ok=True)
            return
        except FileNotFoundError:
            if attempt == 4:
                raise


def write_parquet(path: str | os.PathLike, table: pa.Table) -> Path:
    """Write ``table`` to ``path`` atomically and deterministically; return the path.

    The bytes go to a hidden temporary file in the same directory, are fsync'd, and the file is
    ``os.replace``'d over ``path``: the previous file stays intact if anything fails before that.
    """
    path = Path(path)
    for attempt in range(5):
        _mkdirs(path.parent)
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f"{_TMP_PREFIX}{path.name}.", dir=path.parent)
            break
        except FileNotFoundError:
            if attempt == 4:
                raise
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            pq.write_table(
                table,
                f,
                compression=COMPRESSION,
                compression_level=COMPRESSION_LEVEL,
                use_dictionary=True,
                write_statistics=True,
                data_page_size=1 << 20,
                row_group_size=1 << 20,
            )
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def _remove_stale(directory: Path, keep: str | None) -> None:
    """Remove every entry of ``directory`` but ``keep`` (old temp files only when abandoned)."""
    if not directory.is_dir():
        return
    now = time.time()
    for entry in directory.iterdir():
        if entry.name == keep:
            continue
        if entry.name.startswith(_TMP_PREFIX):
            try:
                if now - entry.stat().st_mtime < STALE_TMP_SECONDS:
                    continue  # may belong to a writer still running
            except FileNotFoundError:
                continue
        if entry.is_dir() and not entry.is_symlink():
            _remove_tree(entry)
        else:
            entry.unlink(missing_ok=True)


def _remove_tree(directory: Path) -> None:
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            _remove_tree(entry)
        else:
            entry.unlink(missing_ok=True)
    directory.rmdir()


def _replace_partition(directory: Path, table: pa.Table) -> Path | None:
    if table.num_rows == 0:
        # A partition whose reports disappeared must not keep stale facts.
        _remove_stale(directory, keep=None)
        for d in (directory, directory.parent):  # region=..., then year=... if now empty
            try:
                d.rmdir()
            except OSError:  # not empty (other regions, a young temp file) or already gone
                break
        return None
    path = write_parquet(directory / PART_FILE, table)
    _remove_stale(directory, keep=PART_FILE)
    return path


def write_partition(root: str | os.PathLike, table: str, year: int, region: str, arrow_table: pa.Table) -> Path | None:
    """Replace partition (year, region) of ``table`` with ``arrow_table``.

    Writes exactly one file, ``part-0.parquet``, and removes anything else in the partition
    directory.  An empty ``arrow_table`` removes the partition (files and directory) and returns None.
    """
    if table not in v.PARTITIONED_TABLES:
        raise ValueError(f"not a partitioned warehouse table: {table!r}")
    data = _conform(arrow_table, SCHEMAS[table], table)
    return _replace_partition(partition_dir(root, table, year, region), data)


def write_stage(root: str | os.PathLike, name: str, year: int, region: str, arrow_table: pa.Table) -> Path | None:
    """Like ``write_partition`` for an intermediate under ``root/_stage``."""
    data = _conform(arrow_table, STAGE_SCHEMAS[name], name)
    return _replace_partition(stage_dir(root, name, year, region), data)


def write_table(root: str | os.PathLike, table: str, arrow_table: pa.Table) -> Path:
    """Replace ``root/<table>/part-0.parquet`` of an unpartitioned table (kept even when empty).

    Merging policy: these tables are *not* appended to. Each is a pure function of its input: the
    inventory scans the whole raw directory every time and rewrites the whole quarantine set (entries
    of files fixed or removed disappear, re-runs never duplicate rows); the cross-year check reads
    the whole warehouse.
    """
    data = _conform(arrow_table, SCHEMAS[table], table)
    directory = table_path(root, table).parent
    path = write_parquet(directory / PART_FILE, data)
    _remove_stale(directory, keep=PART_FILE)
    return path


def write_catalog(root: str | os.PathLike, arrow_table: pa.Table) -> Path:
    """Replace the raw-file catalog (``root/_catalog/inventory.parquet``)."""
    data = _conform(arrow_table, CATALOG_SCHEMA, "catalog")
    return write_parquet(catalog_path(root), data)


def read_partition(root: str | os.PathLike, table: str, year: int, region: str, columns: list[str]) -> pa.Table:
    """Columns of one partition's file as written (empty when the partition has none)."""
    path = partition_dir(root, table, year, region) / PART_FILE
    if not path.exists():
        return SCHEMAS[table].empty_table().select(columns)
    return pq.read_table(path, columns=columns, schema=SCHEMAS[table])


def read_catalog(root: str | os.PathLike) -> pa.Table:
    """The raw-file catalog; raises FileNotFoundError when the inventory has not run yet."""
    path = catalog_path(root)
    if not path.exists():
        raise FileNotFoundError(f"no catalog at {path}: materialize raw_inventory first")
    return pq.read_table(path, schema=CATALOG_SCHEMA)


def existing_partitions(root: str | os.PathLike, table: str) -> list[tuple[int, str]]:
    """(year, region) pairs that currently have a directory for ``table``, sorted."""
    base = Path(root) / table
    found: list[tuple[int, str]] = []
    if not base.is_dir():
        return found
    for ydir in base.glob("year=*"):
        year = ydir.name.removeprefix("year=")
        if not year.isdigit():
            continue
        for rdir in ydir.glob("region=*"):
            region = rdir.name.removeprefix("region=")
            if _REGION_RE.match(region):
                found.append((int(year), region))
    return sorted(found)


def written_partitions(root: str | os.PathLike) -> set[tuple[int, str]]:
    """(year, region) pairs with a directory in any partitioned table or stage intermediate."""
    names = [*v.PARTITIONED_TABLES, *(f"{STAGE_DIR}/{name}" for name in STAGE_SCHEMAS)]
    return {key for name in names for key in existing_partitions(root, name)}


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _polars_schema(schema: pa.Schema) -> pl.Schema:
    return pl.from_arrow(schema.empty_table()).schema  # type: ignore[union-attr]


def scan(table: str, root: str | os.PathLike) -> pl.LazyFrame:
    """Lazily read a warehouse table.

    Partitioned tables get the hive columns ``year`` (Int32) and ``region`` (String) after the file
    columns; a table with no files yet gives an empty LazyFrame with the same schema.
    """
    if table not in SCHEMAS:
        raise ValueError(f"unknown warehouse table: {table!r}")
    file_schema = _polars_schema(SCHEMAS[table])
    base = Path(root) / table
    if table in v.UNPARTITIONED_TABLES:
        files = sorted(base.glob("*.parquet"))
        if not files:
            return pl.LazyFrame(schema=file_schema)
        return pl.scan_parquet([str(f) for f in files], schema=file_schema)

    hive_schema = _polars_schema(PARTITION_SCHEMA)
    full_schema = pl.Schema({**file_schema, **hive_schema})
    pattern = "year=*/region=*/*.parquet"
    if not any(base.glob(pattern)):
        return pl.LazyFrame(schema=full_schema)
    return pl.scan_parquet(
        str(base / pattern),
        hive_partitioning=True,
        hive_schema=hive_schema,
        schema=file_schema,
        try_parse_hive_dates=False,
    ).select(list(full_schema))
