"""Parse every raw file once: parse results kept between the inventory and the partition runs.

The inventory must parse every raw file to learn its (year, region); the partition runs need the same
parse.  ``parse_report`` is pure, so its result is a function of the bytes, the file name (the reader
falls back on the extension) and the parser itself.  Entries live in the warehouse's stage area::

    root/_stage/parsed/<parser version>/<key>.pickle      key = sha256(content sha256, file name)

``parser_version`` hashes the parser's source and data files and the versions of the libraries it
reads with, so changed code never meets an old entry (the inventory prunes other versions).  Entries
are written in place, without temporary file or fsync (one PUT remotely): a missing, torn or
unreadable entry is a cache miss and the file is parsed again, so no output depends on the cache.
They are not compressed (~15 KB a report; zlib would cost a fifth of a parse).  They are pickles:
the stage area is written and read by this pipeline only, like the rest of the warehouse.

Pure library apart from that file I/O: no Dagster here.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import fsspec

from . import frames, warehouse
from . import report as gi_report
from .records import ParsedReport, Quarantined

CACHE_DIR = "parsed"
_SUFFIX = ".pickle"
# Libraries whose behaviour is part of a parse result.
_PARSER_LIBRARIES = (
    "opencc", "lxml", "pypdfium2", "pdfplumber", "pdfminer.six", "rapidfuzz", "charset-normalizer",
    "rapidocr-onnxruntime", "onnxruntime", "opencv-python",
)


@functools.cache
def parser_version() -> str:
    """A short hash of everything a parse result depends on besides its input."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    files = sorted(p for p in package.rglob("*") if p.is_file() and "sample_reports" not in p.parts
                   and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _PARSER_LIBRARIES:
        try:
            digest.update(f"{name}=={importlib.metadata.version(name)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            continue
    return digest.hexdigest()[:16]


def entry_key(sha256: str, source_file: str) -> str:
    return hashlib.sha256(f"{sha256}\0{source_file}".encode()).hexdigest()


def cache_dir(root: warehouse.Root) -> warehouse.Location:
    """``root/_stage/parsed/<parser version>``."""
    return warehouse.join(root, warehouse.STAGE_DIR, CACHE_DIR, parser_version())


def _entry(directory: warehouse.Location, key: str) -> warehouse.Location:
    # One flat directory: ext4 indexes large directories, and spreading ~15 KB files over 256
    # subdirectories made each write 2x slower here.
    return warehouse.join(directory, key + _SUFFIX)


@dataclass(frozen=True)
class ParsedSummary:
    """What the inventory needs of a parsed report."""

    doc_id: str
    year: int | None
    region: str


@dataclass(frozen=True)
class CachedParse:
    """A parse result as kept: its summary and, for a report, its rows of every table."""

    summary: ParsedSummary | Quarantined
    columns: frames.ReportColumns | None  # None for a quarantined file
    details: frames.ReportDetails | None = None  # the rest of the ParsedReport (frames.parsed_report)


def cached(result: ParsedReport | Quarantined) -> CachedParse:
    if isinstance(result, ParsedReport):
        summary = ParsedSummary(result.doc_id, result.year, result.region)
        return CachedParse(summary, frames.report_columns(result), frames.report_details(result))
    return CachedParse(result, None)


class CacheUnwritable(RuntimeError):
    """The cache cannot be written (permissions, a full disk, a missing filesystem package): an error of
    the environment, the same for every file, so the run stops with it instead of quarantining each
    file as a parse error."""


def store(directory: warehouse.Location, key: str, entry: CachedParse) -> None:
    """Write an entry in place: no temporary file and rename, no fsync -- a reader that meets a torn
    or half-written entry gets a miss (``load``), and every writer of a key writes the same bytes.
    Raises ``CacheUnwritable`` when the write fails."""
    data = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
    path = _entry(directory, key)
    try:
        if isinstance(path, str):
            fs, remote = fsspec.core.url_to_fs(path)
            fs.pipe_file(remote, data)
            return
        try:
            path.write_bytes(data)
        except FileNotFoundError:  # the version's directory, on the first store
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except (OSError, ImportError) as exc:
        raise CacheUnwritable(f"parse cache {directory} cannot be written: {type(exc).__name__}: {exc}") from None


def load(directory: warehouse.Location, key: str) -> CachedParse | None:
    """The stored result, or None when there is none or it cannot be read (a miss)."""
    path = _entry(directory, key)
    try:
        result = pickle.loads(warehouse.read_bytes(path))
    except Exception:  # noqa: BLE001 - absent, torn or from another Python: parse again
        return None
    return result if isinstance(result, CachedParse) else None


def prune(root: warehouse.Root, keep: Iterable[str]) -> int:
    """Remove the entries of other parser versions and those whose key is not in ``keep``; returns
    how many entries were removed."""
    base = warehouse.join(root, warehouse.STAGE_DIR, CACHE_DIR)
    wanted = {key + _SUFFIX for key in keep}
    version = parser_version()
    if isinstance(base, str):
        fs, path = fsspec.core.url_to_fs(base)
        fs.invalidate_cache(path)
        try:
            found = fs.find(path)
        except FileNotFoundError:
            return 0
        stale = [f for f in found if f"/{version}/" not in f or f.rsplit("/", 1)[-1] not in wanted]
        if stale:
            fs.rm(stale)
        return len(stale)
    if not base.is_dir():
        return 0
    removed = 0
    # os.walk, no Path per entry: the cache holds a file per report and this runs on every change.
    for dirpath, _, filenames in os.walk(base, topdown=False):  # a directory after its contents
        current = os.path.relpath(dirpath, base).split(os.sep)[0] == version
        for name in filenames:
            if not current or name not in wanted:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(dirpath, name))
                removed += 1
        if dirpath != str(base):
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)  # only when empty
    return removed


def parse_cached(raw: bytes, sha256: str, source_file: str, directory: warehouse.Location | None) -> CachedParse:
    """The file's parse from the cache, or parsed now (and stored when there is a cache)."""
    key = entry_key(sha256, source_file)
    entry = load(directory, key) if directory is not None else None
    if entry is None:
        entry = cached(gi_report.parse_report(raw, source_file))
        if directory is not None:
            store(directory, key, entry)
    return entry
