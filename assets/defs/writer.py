"""One writer at a time, in Dagster runs too: the warehouse lock (``gi_pipeline.lock``) around a write.

``gi-pipeline run`` takes the lock for its whole run and materializes the assets in its own process;
an asset that takes the lock again there must not wait for itself, so the lock is re-entrant within a
process (a set of the roots this process holds).  A UI, sensor or backfill run takes it in the ingest
asset.  Before writing, the holder checks the environment once (``gi_pipeline.preflight``) and removes
the temporary files dead writers left behind.

Partition runs write disjoint partitions and may run side by side (a backfill runs several at once),
so they do not take the lock; they only wait until no other process holds it (``no_other_writer``):
they never write while an inventory or a CLI run rewrites the catalog they read.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from gi_pipeline import lock, parse_cache, preflight, warehouse

_HELD: set[str] = set()  # roots whose lock this process holds


def holds(root: warehouse.Root) -> bool:
    return str(root) in _HELD


@contextlib.contextmanager
def writing(root: warehouse.Root, owner: str, wait: float = 0.0, persistent: bool = True) -> Iterator[list]:
    """Check the environment, take the lock of ``root`` (unless this process holds it), remove dead
    writers' temporary files; yields the removed files.  Raises ``preflight.PreflightError`` or
    ``lock.WarehouseLocked`` with a message saying why, before anything is written."""
    if holds(root):
        yield []
        return
    preflight.check_environment(root, cache=parse_cache.cache_dir(root), persistent=persistent)
    with lock.WarehouseLock(root, owner=owner, wait=wait):
        _HELD.add(str(root))
        try:
            yield warehouse.remove_dead_temp_files(root)
        finally:
            _HELD.discard(str(root))


def no_other_writer(root: warehouse.Root, wait: float = 0.0) -> None:
    """Return when no other process holds the lock of ``root`` (this one may); raise
    ``lock.WarehouseLocked`` naming the holder when one still does after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while not holds(root) and (holder := lock.current_holder(root)) is not None:
        if time.monotonic() >= deadline:
            waited = f" (waited {wait:g} s)" if wait else ""
            raise lock.WarehouseLocked(f"warehouse {root} is being written by {holder.describe()}{waited}: "
                                       "partitions are written after it finishes; run them again then")
        time.sleep(lock.POLL_SECONDS)
