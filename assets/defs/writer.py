"""One writer at a time, in Dagster runs too: the warehouse lock (``gi_pipeline.lock``) around a write.

``gi-pipeline run`` takes the lock for its whole run and materializes the assets in its own process;
an asset that takes the lock again there must not wait for itself, so the lock is re-entrant within a
process (a set of the roots this process holds).  A UI, sensor or backfill run takes it in the asset.
Before writing, the holder checks the environment once (``gi_pipeline.preflight``) and removes the
temporary files dead writers left behind.
"""

from __future__ import annotations

import contextlib
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
