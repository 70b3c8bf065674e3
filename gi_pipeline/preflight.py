"""Environment errors fail fast, once: check where a run will write before it reads a single raw file.

Without this, a warehouse or cache that cannot be written, a full disk or a missing filesystem package
shows up as one traceback (and one quarantined report) per file, the real cause buried under them.
``check_environment`` tries each place the way the run will use it -- a real write, read-back and delete
of a small probe -- and raises ``PreflightError`` with one message naming the first problem:

* the URL's filesystem is unknown to fsspec, or its package (s3fs, gcsfs ...) is not installed;
* the warehouse is not persistent (``memory://``: the results would vanish with the process) unless
  the caller allows it (tests and notebooks do, the CLI does not);
* the warehouse or parse cache directory cannot be created, written, read back or cleaned;
* a local warehouse or cache has less free space than ``min_free_bytes``.

Pure library: no Dagster here.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import fsspec

from . import warehouse

# Filesystems whose files live only as long as the process that wrote them.
NON_PERSISTENT_PROTOCOLS = frozenset({"memory"})
# Below this, a run may fill the disk halfway through writing partitions.
MIN_FREE_BYTES = 1 << 30
_PROBE = b"gi-pipeline preflight probe\n"


class PreflightError(RuntimeError):
    """The run cannot write its results; the message says why and where."""


def _protocols(url: str) -> list[str]:
    """Every protocol of a URL, chained ones (``simplecache::s3://``) included."""
    return [fsspec.core.split_protocol(part)[0] or "file" for part in url.split("::")]


def _filesystem_problem(location: warehouse.Root, what: str, persistent: bool) -> str | None:
    if not warehouse.is_url(location):
        return None
    for protocol in _protocols(str(location)):
        try:
            fsspec.get_filesystem_class(protocol)
        except ImportError as exc:
            return f"{what} {location}: the filesystem package for {protocol}:// is not installed ({exc})"
        except ValueError as exc:
            return f"{what} {location}: unknown filesystem {protocol}:// ({exc})"
        if persistent and protocol in NON_PERSISTENT_PROTOCOLS:
            return (f"{what} {location}: {protocol}:// keeps files only inside this process, so the "
                    "results would vanish when the run ends; use a directory or a persistent store")
    return None


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _write_problem(location: warehouse.Root, what: str) -> str | None:
    """A real write, read-back and delete of a probe in ``location`` (created if missing)."""
    resolved = warehouse.resolve_root(location)
    probe = warehouse.join(resolved, f".preflight-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    step = "create"
    try:
        if isinstance(probe, Path):
            probe.parent.mkdir(parents=True, exist_ok=True)
            step = "write"
            with open(probe, "wb") as f:
                f.write(_PROBE)
                f.flush()
                os.fsync(f.fileno())
            step = "read back"
            ok = probe.read_bytes() == _PROBE
            step = "delete"
            probe.unlink()
        else:
            fs, path = fsspec.core.url_to_fs(probe)
            step = "write"
            try:
                fs.pipe_file(path, _PROBE)
            except FileNotFoundError:  # stores with real directories need the parent
                fs.makedirs(fs._parent(path), exist_ok=True)
                fs.pipe_file(path, _PROBE)
            step = "read back"
            ok = fs.cat_file(path) == _PROBE
            step = "delete"
            fs.rm_file(path)
    except Exception as exc:  # noqa: BLE001 - any failure here is the one message of the run
        return f"{what} {resolved} is not usable: could not {step} a file there: {type(exc).__name__}: {exc}"
    if not ok:
        return f"{what} {resolved} is not usable: a file written there read back different bytes"
    return None


def _space_problem(location: warehouse.Root, what: str, min_free_bytes: int) -> str | None:
    local = warehouse.local_dir(location)
    if local is None or min_free_bytes <= 0:
        return None
    where = _nearest_existing(local.expanduser().resolve())
    free = shutil.disk_usage(where).free
    if free < min_free_bytes:
        return (f"{what} {where}: only {free / 2**20:,.0f} MB free on its disk, below the "
                f"{min_free_bytes / 2**20:,.0f} MB a run needs; free some space first")
    return None


def find_problem(warehouse_root: warehouse.Root, cache: warehouse.Root | None = None, persistent: bool = True,
                 min_free_bytes: int = MIN_FREE_BYTES) -> str | None:
    """The first reason a run could not write to ``warehouse_root`` (and ``cache``, the parse cache
    directory when it is elsewhere), or None."""
    places = [(warehouse_root, "warehouse")] + ([(cache, "parse cache")] if cache is not None else [])
    for location, what in places:
        problem = (_filesystem_problem(location, what, persistent) or _write_problem(location, what)
                   or _space_problem(location, what, min_free_bytes))
        if problem:
            return problem
    return None


def check_environment(warehouse_root: warehouse.Root, cache: warehouse.Root | None = None, persistent: bool = True,
                      min_free_bytes: int = MIN_FREE_BYTES) -> None:
    """Raise ``PreflightError`` with ``find_problem``'s message when there is one."""
    problem = find_problem(warehouse_root, cache, persistent, min_free_bytes)
    if problem:
        raise PreflightError(problem)
