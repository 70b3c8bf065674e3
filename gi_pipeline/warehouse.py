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

``root`` is a local directory (a path, or a ``file://`` URL, both handled by the local code above)
or any other fsspec URL (``s3://bucket/wh`` with s3fs installed, ``gs://``, ``memory://`` ...), so
workers on other machines can share one warehouse on object storage.  Remote objects are written
whole in one PUT (object stores replace an object atomically, so readers again see the old or the
new file) from bytes built in memory: the bytes are identical to a local write.  Functions that
return a location give a ``Path`` for a local root and a URL string for a remote one.  Credentials
and endpoints come from fsspec's own configuration (``FSSPEC_S3='{"endpoint_url": ...}'``,
``AWS_*`` variables, ``~/.config/fsspec``), the same in every process.

Pure library: no Dagster here.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import fsspec
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from . import vocabulary as v
from .processes import host_tag, pid_alive
from .schema import COLUMN_DOCS, PARTITION_SCHEMA, PROVENANCE_DOCS, SCHEMAS

PART_FILE = "part-0.parquet"
CATALOG_DIR = "_catalog"
STAGE_DIR = "_stage"
STAGE_EXPLAIN = "explain"  # the explain pages of a partition's flagged reports (gi_pipeline.explain_pages)

# Fixed writer settings: changing any of them changes the bytes of every file.
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 3

# Temporary files are named after their writer: ``.tmp-<file>.w<pid>@<host>.<random>``.  One whose
# writer is a dead process of this host is removed by the next write of its directory, or by
# ``remove_dead_temp_files`` at a run's start; one of another host (or of an older version, without a
# writer in its name) once it is this old (younger ones may belong to a writer still running; readers
# never see them anyway: they are hidden and do not end in .parquet).
STALE_TMP_SECONDS = 3600
_TMP_PREFIX = ".tmp-"
_TMP_WRITER = re.compile(r"\.w(\d+)@([A-Za-z0-9_-]*)\.[^.]*$")

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
        ("mtime_ns", pa.int64()),
        ("role", pa.string()),
        ("doc_id", pa.string()),
        ("year", pa.int32()),
        ("region", pa.string()),
        ("duplicate_of", pa.string()),
        ("reason", pa.string()),
        ("parser_version", pa.string()),
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
    "mtime_ns": "modification time of the raw file when it was hashed (ns): a file whose size and mtime match is not read again",
    "parser_version": "the parser version (parse_cache.parser_version) that classified the file",
    "role": "'report' (parsed), 'duplicate' (same bytes as duplicate_of) or 'quarantined'",
    "duplicate_of": "for a duplicate: the file with the same bytes that was parsed",
}


def column_docs(schema: pa.Schema, partitioned: bool = False) -> list[tuple[str, str, str]]:
    """(name, type, description) of each column of ``schema`` (plus year/region if partitioned)."""
    fields = list(schema) + (list(PARTITION_SCHEMA) if partitioned else [])
    facts = PROVENANCE_DOCS if "raw" in schema.names else {}  # a fact table: char_start is its cell's
    docs = [facts.get(f.name) or COLUMN_DOCS.get(f.name) or _EXTRA_COLUMN_DOCS.get(f.name, "") for f in fields]
    return [(f.name, str(f.type), doc) for f, doc in zip(fields, docs)]


def schema_markdown() -> str:
    """The Parquet contract as markdown (docs/schema.md's columns section is generated from this)."""
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


# A warehouse root: a local directory (path, or file:// URL) or an fsspec URL of another filesystem.
Root = str | os.PathLike
# A location inside the warehouse: a Path under a local root, a URL string under a remote one.
Location = Path | str

# fsspec rather than universal-pathlib's UPath (both are already installed: dagster depends on
# universal-pathlib, which is built on fsspec): the warehouse needs five operations (put bytes,
# list, glob, remove, read bytes), all plain fsspec calls, and pyarrow takes an fsspec filesystem
# directly; a Path-like layer over it would add a second set of semantics to reason about for no gain.


def is_url(root: Root) -> bool:
    """True for a URL string (``scheme://...``, also fsspec chains ``a::b://...``), even ``file://``."""
    return not isinstance(root, os.PathLike) and "://" in str(root)


def local_dir(root: Root) -> Path | None:
    """The local directory of ``root`` (a path, or a URL of the local filesystem such as
    ``file:///data/wh``), or None when ``root`` is on another filesystem."""
    if not is_url(root):
        return Path(root)
    url = str(root)
    # By protocol, without instantiating the filesystem (s3:// must not need s3fs just to join paths).
    if fsspec.core.split_protocol(url)[0] in LocalFileSystem.protocol and "::" not in url:
        return Path(LocalFileSystem._strip_protocol(url))
    return None


def resolve_root(root: Root) -> Location:
    """A local root as an absolute Path (``~`` expanded, ``file://`` stripped); a remote URL as given
    (without a trailing slash)."""
    local = local_dir(root)
    return local.expanduser().resolve() if local is not None else str(root).rstrip("/")


def join(root: Root, *parts: str) -> Location:
    """``root/part/...``: a Path under a local root, a URL string under a remote one."""
    local = local_dir(root)
    if local is not None:
        return local.joinpath(*parts)
    return "/".join([str(root).rstrip("/"), *parts])


def partition_dir(root: Root, table: str, year: int, region: str) -> Location:
    """``root/<table>/year=YYYY/region=NNNNNN``."""
    _check_key(year, region)
    return join(root, table, f"year={year:04d}", f"region={region}")


def stage_dir(root: Root, name: str, year: int, region: str) -> Location:
    """``root/_stage/<name>/year=YYYY/region=NNNNNN`` (intermediates, not part of the contract)."""
    return partition_dir(join(root, STAGE_DIR), name, year, region)


def catalog_path(root: Root) -> Location:
    return join(root, CATALOG_DIR, "inventory.parquet")


def table_path(root: Root, table: str) -> Location:
    """``root/<table>/part-0.parquet`` of an unpartitioned table (quarantine, cross_year_issues)."""
    return join(root, table, PART_FILE)


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


def _write_table_to(table: pa.Table, sink) -> None:
    """The one place the writer settings live: every file, local or remote, gets the same bytes."""
    pq.write_table(
        table,
        sink,
        compression=COMPRESSION,
        compression_level=COMPRESSION_LEVEL,
        use_dictionary=True,
        write_statistics=True,
        data_page_size=1 << 20,
        row_group_size=1 << 20,
    )


def parquet_bytes(table: pa.Table) -> bytes:
    """The bytes ``write_parquet`` writes for ``table`` (already conformed)."""
    sink = pa.BufferOutputStream()
    _write_table_to(table, sink)
    return sink.getvalue().to_pybytes()


def write_parquet(path: Root, table: pa.Table) -> Location:
    """Write ``table`` to ``path`` atomically and deterministically; return the path.

    Local: the bytes go to a hidden temporary file in the same directory, are fsync'd, and the file
    is ``os.replace``'d over ``path``: the previous file stays intact if anything fails before that.
    Remote (an fsspec URL): one PUT of the whole object (see ``_put_remote``).
    """
    local = local_dir(path)
    if local is None:
        return _put_remote(str(path), table)
    _replace_local(local, lambda f: _write_table_to(table, f), durable=True)
    return local


def _replace_local(path: Path, write: Callable[[BinaryIO], object], durable: bool) -> None:
    """``write`` the file's bytes to a hidden temporary file in ``path``'s directory (named after its
    writer, so ``remove_dead_temp_files`` knows it), then ``os.replace`` it over ``path``: the previous
    file stays intact if anything fails before that. ``durable``: fsync the file and the directory."""
    for attempt in range(5):
        _mkdirs(path.parent)
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f"{_TMP_PREFIX}{path.name}.w{os.getpid()}@{host_tag()}.",
                                            dir=path.parent)
            break
        except FileNotFoundError:  # the directory was removed (emptied) meanwhile: make it again
            if attempt == 4:
                raise
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(path.parent)


def write_local_file(path: Path, data: bytes) -> None:
    """Write ``data`` to the local file ``path`` atomically (``_replace_local``), unless the file already
    holds exactly these bytes (unchanged: same inode, same mtime). For files beside the tables, such as
    the explain pages; no fsync: they are made again from the tables."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    _replace_local(path, lambda f: f.write(data), durable=False)


def temp_file_abandoned(path: Path, now: float | None = None) -> bool:
    """True when the temporary file ``path`` belongs to no running writer: its writer is a dead process
    of this host, or (writer unknown or elsewhere) it is older than STALE_TMP_SECONDS."""
    found = _TMP_WRITER.search(path.name)
    if found and found.group(2) == host_tag() and not pid_alive(int(found.group(1))):
        return True
    try:
        return (time.time() if now is None else now) - path.stat().st_mtime >= STALE_TMP_SECONDS
    except FileNotFoundError:
        return False  # gone already


def remove_dead_temp_files(root: Root, all_dead: bool = False) -> list[Path]:
    """Remove the temporary files of dead writers anywhere in a local warehouse; return them.

    ``all_dead=True`` removes every temporary file: for a run that holds the warehouse lock
    (``lock.WarehouseLock``) and has started no writer yet, every one is a crashed run's.  A remote
    warehouse has none (objects are written whole).
    """
    local = local_dir(root)
    if local is None or not local.is_dir():
        return []
    removed = []
    for dirpath, _, filenames in os.walk(local):
        for name in filenames:
            if not name.startswith(_TMP_PREFIX):
                continue  # (no Path made for the others: the parse cache alone holds a file per report)
            path = Path(dirpath, name)
            if all_dead or temp_file_abandoned(path):
                path.unlink(missing_ok=True)
                removed.append(path)
    return sorted(removed)


def _remove_stale(directory: Path, keep: str | None) -> None:
    """Remove every entry of ``directory`` but ``keep`` (temp files only when abandoned)."""
    if not directory.is_dir():
        return
    now = time.time()
    for entry in directory.iterdir():
        if entry.name == keep:
            continue
        if entry.name.startswith(_TMP_PREFIX) and not temp_file_abandoned(entry, now):
            continue  # may belong to a writer still running
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


# --------------------------------------------------------------------------------------------
# Remote filesystems (fsspec URLs other than the local filesystem)
# --------------------------------------------------------------------------------------------


def _remote(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """(filesystem, path without protocol) of ``url``; fsspec caches filesystem instances."""
    return fsspec.core.url_to_fs(url)


def _put_remote(url: str, table: pa.Table) -> str:
    """Write ``table`` as the object ``url`` in one PUT.

    No temporary object and rename: object stores (S3, GCS, Azure) make a PUT visible atomically --
    readers get the old object or the new one, never part of one -- and have no atomic rename.  The
    bytes are built in memory first (a partition file is small), so a failure while encoding
    leaves the old object untouched.
    """
    data = parquet_bytes(table)
    fs, path = _remote(url)
    try:
        fs.pipe_file(path, data)
    except FileNotFoundError:  # filesystems with real directories (sftp, hdfs ...) need the parent
        fs.makedirs(fs._parent(path), exist_ok=True)
        fs.pipe_file(path, data)
    return url


def _remote_entries(fs: fsspec.AbstractFileSystem, path: str) -> list[str]:
    fs.invalidate_cache(path)  # listings may be cached (s3fs): another process may have written
    try:
        return [entry.rstrip("/") for entry in fs.ls(path, detail=False)]
    except FileNotFoundError:
        return []


def _remove_stale_remote(directory: str, keep: str | None) -> None:
    """Remove every object under the prefix ``directory`` but ``keep`` (no temp files remotely)."""
    fs, path = _remote(directory)
    stale = [e for e in _remote_entries(fs, path) if e.rsplit("/", 1)[-1] != keep and e != path]
    if stale:
        fs.rm(stale, recursive=True)


def _replace_partition_remote(directory: str, table: pa.Table) -> str | None:
    if table.num_rows == 0:
        _remove_stale_remote(directory, keep=None)
        # Object stores have no empty directories; filesystems that do (memory, sftp) keep them.
        fs, path = _remote(directory)
        for d in (path, fs._parent(path)):  # region=..., then year=... if now empty
            try:
                if not fs.isdir(d) or fs.ls(d, detail=False):
                    break
                fs.rmdir(d)
            except (OSError, NotImplementedError):
                break
        return None
    url = _put_remote(f"{directory}/{PART_FILE}", table)
    _remove_stale_remote(directory, keep=PART_FILE)
    return url


def _replace_partition(directory: Location, table: pa.Table) -> Location | None:
    if isinstance(directory, str):
        return _replace_partition_remote(directory, table)
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


def write_partition(root: Root, table: str, year: int, region: str, arrow_table: pa.Table) -> Location | None:
    """Replace partition (year, region) of ``table`` with ``arrow_table``.

    Writes exactly one file, ``part-0.parquet``, and removes anything else in the partition
    directory.  An empty ``arrow_table`` removes the partition (files and directory) and returns None.
    """
    if table not in v.PARTITIONED_TABLES:
        raise ValueError(f"not a partitioned warehouse table: {table!r}")
    data = _conform(arrow_table, SCHEMAS[table], table)
    return _replace_partition(partition_dir(root, table, year, region), data)


def write_stage(root: Root, name: str, year: int, region: str, arrow_table: pa.Table) -> Location | None:
    """Like ``write_partition`` for an intermediate under ``root/_stage``."""
    data = _conform(arrow_table, STAGE_SCHEMAS[name], name)
    return _replace_partition(stage_dir(root, name, year, region), data)


def write_table(root: Root, table: str, arrow_table: pa.Table) -> Location:
    """Replace ``root/<table>/part-0.parquet`` of an unpartitioned table (kept even when empty).

    Merging policy: these tables are *not* appended to. Each is a pure function of its input: the
    inventory scans the whole raw directory every time and rewrites the whole quarantine set (entries
    of files fixed or removed disappear, re-runs never duplicate rows); the cross-year check reads
    the whole warehouse.
    """
    data = _conform(arrow_table, SCHEMAS[table], table)
    location = table_path(root, table)
    if isinstance(location, str):
        path = _put_remote(location, data)
        _remove_stale_remote(location.rsplit("/", 1)[0], keep=PART_FILE)
        return path
    directory = location.parent
    local = directory / PART_FILE
    written = local if _holds(local, data) else write_parquet(local, data)
    _remove_stale(directory, keep=PART_FILE)
    return written


def _holds(path: Path, table: pa.Table) -> bool:
    """True when the local file ``path`` already has exactly the bytes ``table`` would be written as:
    a run that changed nothing rewrites nothing (same inode, same mtime)."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    data = parquet_bytes(table)
    if size != len(data):
        return False
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def write_catalog(root: Root, arrow_table: pa.Table) -> Location:
    """Replace the raw-file catalog (``root/_catalog/inventory.parquet``); left alone when it
    already holds these rows."""
    data = _conform(arrow_table, CATALOG_SCHEMA, "catalog")
    path = catalog_path(root)
    if isinstance(path, Path) and _holds(path, data):
        return path
    return write_parquet(path, data)


def exists(location: Location) -> bool:
    """Whether a file of the warehouse exists (local path or URL)."""
    if isinstance(location, str):
        fs, path = _remote(location)
        return fs.exists(path)
    return location.exists()


def read_bytes(location: Location) -> bytes:
    """The bytes of one warehouse file, a local path or an fsspec URL (FileNotFoundError when absent)."""
    if isinstance(location, str):
        fs, path = _remote(location)
        return fs.cat_file(path)
    return location.read_bytes()


def _read_remote(url: str, **kwargs) -> pa.Table | None:
    """The Parquet object at ``url`` in one GET (None when there is none)."""
    fs, path = _remote(url)
    try:
        data = fs.cat_file(path)
    except FileNotFoundError:
        return None
    return pq.read_table(pa.BufferReader(data), **kwargs)


def read_partition(root: Root, table: str, year: int, region: str, columns: list[str]) -> pa.Table:
    """Columns of one partition's file as written (empty when the partition has none)."""
    directory = partition_dir(root, table, year, region)
    if isinstance(directory, str):
        found = _read_remote(f"{directory}/{PART_FILE}", columns=columns, schema=SCHEMAS[table])
        return found if found is not None else SCHEMAS[table].empty_table().select(columns)
    path = directory / PART_FILE
    if not path.exists():
        return SCHEMAS[table].empty_table().select(columns)
    return pq.read_table(path, columns=columns, schema=SCHEMAS[table])


def read_catalog(root: Root) -> pa.Table:
    """The raw-file catalog; raises FileNotFoundError when the inventory has not run yet."""
    path = catalog_path(root)
    if isinstance(path, str):
        found = _read_remote(path, schema=CATALOG_SCHEMA)
        if found is None:
            raise FileNotFoundError(f"no catalog at {path}: materialize raw_inventory first")
        return found
    if not path.exists():
        raise FileNotFoundError(f"no catalog at {path}: materialize raw_inventory first")
    return pq.read_table(path, schema=CATALOG_SCHEMA)


def _partition_key(year_name: str, region_name: str) -> tuple[int, str] | None:
    year = year_name.removeprefix("year=")
    region = region_name.removeprefix("region=")
    if year.isdigit() and _REGION_RE.match(region):
        return int(year), region
    return None


def existing_partitions(root: Root, table: str) -> list[tuple[int, str]]:
    """(year, region) pairs that currently have a directory for ``table``, sorted."""
    base = join(root, table)
    if isinstance(base, str):  # remote: a "directory" is a prefix with objects under it
        fs, path = _remote(base)
        fs.invalidate_cache(path)
        keys = (_partition_key(*p.rstrip("/").rsplit("/", 2)[-2:]) for p in fs.glob(f"{path}/year=*/region=*"))
        return sorted(k for k in keys if k is not None)
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


def written_partitions(root: Root) -> set[tuple[int, str]]:
    """(year, region) pairs with a directory in any partitioned table or stage intermediate."""
    names = [*v.PARTITIONED_TABLES, *(f"{STAGE_DIR}/{name}" for name in (*STAGE_SCHEMAS, STAGE_EXPLAIN))]
    return {key for name in names for key in existing_partitions(root, name)}


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _polars_schema(schema: pa.Schema) -> pl.Schema:
    return pl.from_arrow(schema.empty_table()).schema  # type: ignore[union-attr]


def _scan_remote(base: str, pattern: str, file_schema: pa.Schema, partitioned: bool) -> pl.LazyFrame | None:
    """Lazily read the objects under ``base`` matching ``pattern`` through pyarrow's dataset API on
    the fsspec filesystem (polars' own cloud reader does not know fsspec-only filesystems such as
    ``memory://`` and takes its credentials elsewhere); None when there are none."""
    fs, path = _remote(base)
    fs.invalidate_cache(path)
    files = sorted(fs.glob(f"{path}/{pattern}"))
    if not files:
        return None
    arrow_schema = pa.schema([*file_schema, *(PARTITION_SCHEMA if partitioned else [])])
    dataset = ds.dataset(
        files,
        filesystem=fs,
        format="parquet",
        schema=arrow_schema,
        partitioning=ds.partitioning(PARTITION_SCHEMA, flavor="hive") if partitioned else None,
        partition_base_dir=path if partitioned else None,
    )
    return pl.scan_pyarrow_dataset(dataset)


def scan(table: str, root: Root) -> pl.LazyFrame:
    """Lazily read a warehouse table.

    Partitioned tables get the hive columns ``year`` (Int32) and ``region`` (String) after the file
    columns; a table with no files yet gives an empty LazyFrame with the same schema.
    """
    if table not in SCHEMAS:
        raise ValueError(f"unknown warehouse table: {table!r}")
    file_schema = _polars_schema(SCHEMAS[table])
    base = join(root, table)
    if table in v.UNPARTITIONED_TABLES:
        if isinstance(base, str):
            frame = _scan_remote(base, "*.parquet", SCHEMAS[table], partitioned=False)
            return frame if frame is not None else pl.LazyFrame(schema=file_schema)
        files = sorted(base.glob("*.parquet"))
        if not files:
            return pl.LazyFrame(schema=file_schema)
        return pl.scan_parquet([str(f) for f in files], schema=file_schema)

    hive_schema = _polars_schema(PARTITION_SCHEMA)
    full_schema = pl.Schema({**file_schema, **hive_schema})
    pattern = "year=*/region=*/*.parquet"
    if isinstance(base, str):
        frame = _scan_remote(base, pattern, SCHEMAS[table], partitioned=True)
        return frame.select(list(full_schema)) if frame is not None else pl.LazyFrame(schema=full_schema)
    if not any(base.glob(pattern)):
        return pl.LazyFrame(schema=full_schema)
    return pl.scan_parquet(
        str(base / pattern),
        hive_partitioning=True,
        hive_schema=hive_schema,
        schema=file_schema,
        try_parse_hive_dates=False,
    ).select(list(full_schema))
