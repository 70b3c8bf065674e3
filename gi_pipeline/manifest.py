"""What each (year, region) partition was built from, so a run rewrites only what changed.

A partition's files are a function of its reports (doc id, sha256 and source file, sorted), the
parser, the GX suites and the Parquet schema and writer settings.  After writing a partition the
writer records the fingerprint of those inputs in a small manifest next to its stage files::

    root/_stage/manifests/year=YYYY/region=NNNNNN/manifest.json

A run compares the fingerprint the catalog implies with the recorded one and skips the partition
when they are equal (and its files are still there).  The manifest is written after the partition's
files, so a run that dies in between leaves an old or no manifest: the partition is rewritten next
time, never wrongly skipped.

The fingerprint is also the partition's data version in Dagster (its materializations carry it), and
``code_version`` -- a hash of the versions the fingerprint includes -- is the assets' code version:
one source of truth for "what changed" in the CLI, the manifest and the UI.  Pure library: no Dagster.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
from collections.abc import Iterable
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.compute as pc

from . import parse_cache, warehouse
from . import vocabulary as v
from .schema import SCHEMAS
from .suites import default_directory

MANIFEST_DIR = "manifests"
MANIFEST_FILE = "manifest.json"
_FORMAT = 1

PartitionKey = tuple[int, str]
Report = tuple[str, str, str]  # (doc_id, sha256, source_file)


@functools.cache
def suites_version() -> str:
    """A short hash of the expectation suites and the GX version that runs them."""
    digest = hashlib.sha256()
    for path in sorted(default_directory().glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        digest.update(importlib.metadata.version("great_expectations").encode())
    return digest.hexdigest()[:16]


@functools.cache
def schema_version() -> str:
    """A short hash of the tables' Arrow schemas, the writer settings and pyarrow's version."""
    text = "\n".join(
        [f"{name}: {schema.to_string(show_schema_metadata=False)}" for name, schema in
         sorted((SCHEMAS | warehouse.STAGE_SCHEMAS).items())]
        + [f"{warehouse.COMPRESSION}/{warehouse.COMPRESSION_LEVEL}", pa.__version__]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def versions() -> dict[str, str]:
    return {"parser": parse_cache.parser_version(), "suites": suites_version(), "schema": schema_version()}


def code_version() -> str:
    """A short hash of ``versions()``: what a partition is built with besides its reports (the
    parser, the suites, the schema).  A partition built under another code version is stale."""
    return hashlib.sha256(json.dumps(versions(), sort_keys=True).encode()).hexdigest()[:16]


def fingerprint(reports: Iterable[Report], built_with: dict[str, str] | None = None) -> str:
    """The hash of a partition's inputs: its sorted reports and the versions it was built with."""
    digest = hashlib.sha256(json.dumps(built_with or versions(), sort_keys=True).encode())
    for report in sorted(reports):
        digest.update("\0".join(report).encode() + b"\n")
    return digest.hexdigest()


def reports_by_partition(catalog: pa.Table) -> dict[PartitionKey, list[Report]]:
    """Each non-empty partition's reports (doc_id, sha256, source_file), from a catalog."""
    reports = catalog.filter(pc.equal(catalog["role"], warehouse.ROLE_REPORT))
    found: dict[PartitionKey, list[Report]] = {}
    columns = [reports[c].to_pylist() for c in ("year", "region", "doc_id", "sha256", "source_file")]
    for year, region, doc_id, sha, source_file in zip(*columns, strict=True):
        found.setdefault((year, region), []).append((doc_id, sha, source_file))
    return found


def expected_fingerprints(catalog: pa.Table) -> dict[PartitionKey, str]:
    """Partition -> the fingerprint its files must carry to be up to date (non-empty partitions)."""
    built_with = versions()
    return {key: fingerprint(reports, built_with) for key, reports in reports_by_partition(catalog).items()}


def inventory_version(catalog: pa.Table) -> str:
    """A hash of every non-empty partition's fingerprint: what the partitions read from the
    catalog.  The inventory's data version in Dagster: an inventory that changed no partition's
    inputs (nothing new, or only files that are not reports) keeps it."""
    digest = hashlib.sha256()
    for (year, region), found in sorted(expected_fingerprints(catalog).items()):
        digest.update(f"{year}|{region}|{found}\n".encode())
    return digest.hexdigest()


def manifest_path(root: warehouse.Root, year: int, region: str) -> warehouse.Location:
    return warehouse.join(warehouse.stage_dir(root, MANIFEST_DIR, year, region), MANIFEST_FILE)


def read_fingerprint(root: warehouse.Root, year: int, region: str) -> str | None:
    """The recorded fingerprint, or None (no manifest, unreadable, or the partition's reports file
    is gone: the files must be written again)."""
    path = manifest_path(root, year, region)
    try:
        if isinstance(path, str):
            fs, remote = fsspec.core.url_to_fs(path)
            data = fs.cat_file(remote)
        else:
            reports = warehouse.partition_dir(root, v.TABLE_REPORTS, year, region)
            if isinstance(reports, Path) and not (reports / warehouse.PART_FILE).exists():
                return None
            data = path.read_bytes()
        return json.loads(data)["fingerprint"]
    except Exception:  # noqa: BLE001 - absent or torn: rewrite the partition
        return None


def _read(root: warehouse.Root, year: int, region: str) -> dict | None:
    path = manifest_path(root, year, region)
    try:
        return json.loads(warehouse.read_bytes(path))
    except Exception:  # noqa: BLE001
        return None


def row_counts(root: warehouse.Root, keys: Iterable[PartitionKey]) -> dict[str, int] | None:
    """Rows per table over these partitions, as their manifests record them (None when one has no
    manifest with counts: count from the files instead)."""
    total: dict[str, int] = {}
    for key in keys:
        body = _read(root, *key)
        if body is None or "rows" not in body:
            return None
        for name, rows in body["rows"].items():
            total[name] = total.get(name, 0) + rows
    return total


def write(root: warehouse.Root, year: int, region: str, reports: Iterable[Report],
          rows: dict[str, int] | None = None) -> str:
    """Record what partition (year, region) was just written from (after its files), and the rows
    each of its tables holds; returns its fingerprint."""
    reports = sorted(reports)
    built_with = versions()
    found = fingerprint(reports, built_with)
    body = {
        "format": _FORMAT,
        "fingerprint": found,
        "built_with": built_with,
        "reports": [list(r) for r in reports],
        "rows": rows or {},
    }
    data = json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
    path = manifest_path(root, year, region)
    if isinstance(path, str):
        fs, remote = fsspec.core.url_to_fs(path)
        fs.pipe_file(remote, data)
        return found
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_bytes(data)
    tmp.replace(path)  # no fsync: a lost manifest only means the partition is written again
    return found


def remove(root: warehouse.Root, year: int, region: str) -> None:
    """Forget an emptied partition's manifest."""
    path = manifest_path(root, year, region)
    if isinstance(path, str):
        fs, remote = fsspec.core.url_to_fs(path)
        with contextlib.suppress(FileNotFoundError):
            fs.rm(remote)
        return
    path.unlink(missing_ok=True)
    for directory in (path.parent, path.parent.parent):
        try:
            directory.rmdir()
        except OSError:
            break


def out_of_date(root: warehouse.Root, catalog: pa.Table, keys: Iterable[PartitionKey],
                expected: dict[PartitionKey, str] | None = None) -> list[PartitionKey]:
    """The partitions of ``keys`` whose files do not match what the catalog says they hold, sorted.
    An empty partition (no reports) is out of date while anything of it is on disk (stale files to
    remove), up to date when nothing is.  ``expected``: the catalog's ``expected_fingerprints``
    when the caller has them."""
    expected = expected_fingerprints(catalog) if expected is None else expected
    keys = list(keys)
    on_disk = warehouse.written_partitions(root) if any(key not in expected for key in keys) else set()
    return sorted(
        key for key in keys
        if (key in on_disk if key not in expected else read_fingerprint(root, *key) != expected[key])
    )


def empty_fingerprint() -> str:
    """The fingerprint (data version) of a partition without reports."""
    return fingerprint(())
