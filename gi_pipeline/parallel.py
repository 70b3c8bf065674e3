"""Parse many raw files on several processes, results in input order.

Parsing is CPU-bound pure Python, so the cores are used with processes, not threads.  Workers are
*spawned* (not forked: the caller may be a Dagster run with threads of its own), take batches of
files, store each full result in the parse cache themselves and send back only a small summary, so
neither big objects nor the whole corpus ever sit in the parent.  One process (``workers=1``, or a
batch too small to pay for starting processes) parses in the caller, where a monkeypatched
``report.parse_report`` is seen.

A worker that dies (a crash in a native library, the OOM killer) takes the batches in flight down with
it: their files are retried one at a time on one process, so only the file that kills a process is
lost -- as a quarantine row saying so.

Workers die with the process that started them (``die_with_parent``): a parent killed with SIGKILL
cannot shut its pool down, and orphaned workers would go on parsing (and holding memory) for nobody.

The pool is pluggable: ``parse_all(..., pool=DaskPool(address))`` sends the batches to an existing
``dask.distributed`` cluster instead (the raw bytes travel with the batch; the parse cache location
must be one every worker can write, e.g. a shared directory or an object-store URL).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import parse_cache
from .records import Quarantined
from .warehouse import Location

if TYPE_CHECKING:
    import distributed

# Files per batch and worker: large enough to amortize a round trip, small enough to bound memory
# (the raw bytes of one batch are in flight) and to keep progress lines coming.
BATCH_PER_WORKER = 64
# Fewer files than this are parsed in the calling process: starting workers costs ~0.3 s.
MIN_PARALLEL_FILES = 2 * BATCH_PER_WORKER
# Batches queued per worker: one being parsed, one waiting, so a worker never idles between them.
BATCHES_IN_FLIGHT_PER_WORKER = 2


@dataclass(frozen=True)
class ParseJob:
    source_file: str
    sha256: str
    raw: bytes


@dataclass(frozen=True)
class ParseOutcome:
    source_file: str
    result: parse_cache.ParsedSummary | Quarantined | None  # None when parsing raised
    error: str | None = None  # "ExceptionType: message"
    traceback: str | None = None


def default_workers() -> int:
    """One worker per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def parse_and_store(job: ParseJob, cache: Location | None) -> ParseOutcome:
    """Parse one file, keep the full result in the cache, return its summary (a file parsed by this
    parser version before is not parsed again)."""
    try:
        entry = parse_cache.parse_cached(job.raw, job.sha256, job.source_file, cache)
        return ParseOutcome(job.source_file, entry.summary)
    except parse_cache.CacheUnwritable:
        raise  # the environment's error, not this file's: it stops the run (``parse_all`` raises it)
    except Exception as exc:  # noqa: BLE001 - reported to the caller as that file's outcome
        return ParseOutcome(job.source_file, None, f"{type(exc).__name__}: {exc}", traceback.format_exc())


def _parse_batch(jobs: list[ParseJob], cache: Location | None) -> list[ParseOutcome]:
    return [parse_and_store(job, cache) for job in jobs]


# How often a worker's watchdog checks that its parent still lives.
PARENT_POLL_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """Worker initializer: end this process when ``parent`` ends.  On Linux the kernel sends SIGKILL
    at once (prctl PR_SET_PDEATHSIG); everywhere a watchdog thread polls ``os.getppid()`` (the parent
    changes when it dies: the worker is re-parented), which also covers a worker busy in C code when
    the signal is unavailable."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no prctl in this libc
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=die_with_parent, initargs=(os.getpid(),))


def _one_by_one(jobs: list[ParseJob], cache: Location | None) -> Iterator[ParseOutcome]:
    """After a worker died: the files it may have taken down, one at a time on one process, so a
    file that kills that process again is the only one lost (and the process is only replaced then)."""
    pool = _pool(1)
    try:
        for job in jobs:
            try:
                yield from pool.submit(_parse_batch, [job], cache).result()
            except BrokenProcessPool:
                yield ParseOutcome(job.source_file, None, "worker process died while parsing "
                                   "(a crash in a native library or out of memory)")
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _pool(1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class DaskPool:
    """Batches parsed on an existing ``dask.distributed`` cluster (``address``: ``tcp://host:8786``).

    Use as a context manager; it connects a client on entry and closes it on exit.  Needs the
    ``scale`` extra (``distributed``), imported only here."""

    def __init__(self, address: str):
        self.address = address
        self.client: distributed.Client | None = None
        self.workers = 1

    def __enter__(self) -> DaskPool:
        import distributed

        client = self.client = distributed.Client(self.address, set_as_default=False)
        self.workers = max(1, len(client.scheduler_info()["workers"]))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def submit(self, fn, *args):  # the concurrent.futures shape
        # pure=False: two batches with equal arguments are still two tasks (Dask dedupes by key).
        return self.client.submit(fn, *args, pure=False)


def _on_cluster(batches: Iterator[list[ParseJob]], cache: Location | None, pool: DaskPool) -> Iterator[ParseOutcome]:
    in_flight: collections.deque = collections.deque()
    while True:
        while len(in_flight) < BATCHES_IN_FLIGHT_PER_WORKER * pool.workers and (batch := next(batches, None)):
            in_flight.append((batch, pool.submit(_parse_batch, batch, cache)))
        if not in_flight:
            return
        batch, future = in_flight.popleft()
        try:
            yield from future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker (KilledWorker): this batch's files fail
            for job in batch:
                yield ParseOutcome(job.source_file, None, f"cluster worker failed: {type(exc).__name__}: {exc}")


def parse_all(
    jobs: Iterable[ParseJob], cache: Location | None, workers: int = 1, pool: DaskPool | None = None
) -> Iterator[ParseOutcome]:
    """One outcome per job, in the order of ``jobs`` (consumed lazily, a batch at a time): on
    ``pool`` when given (an entered ``DaskPool``), else on ``workers`` local processes.  Raises
    ``parse_cache.CacheUnwritable`` at the first file whose result cannot be stored."""
    jobs = iter(jobs)
    if pool is not None:  # a running cluster costs nothing to start: every batch goes there
        yield from _on_cluster(iter(lambda: list(itertools.islice(jobs, BATCH_PER_WORKER)), []), cache, pool)
        return
    head = list(itertools.islice(jobs, MIN_PARALLEL_FILES))
    # A daemonic process (a Dask worker, by default) may not start processes of its own.
    if workers <= 1 or len(head) < MIN_PARALLEL_FILES or multiprocessing.current_process().daemon:
        for job in itertools.chain(head, jobs):
            yield parse_and_store(job, cache)
        return
    pending = itertools.chain(head, jobs)
    batches = iter(lambda: list(itertools.islice(pending, BATCH_PER_WORKER)), [])
    # Batches are submitted as others finish, so no worker waits for the slowest of a round.
    in_flight: collections.deque[tuple[list[ParseJob], Future]] = collections.deque()
    processes = _pool(workers)
    try:
        while True:
            while len(in_flight) < BATCHES_IN_FLIGHT_PER_WORKER * workers and (batch := next(batches, None)):
                in_flight.append((batch, processes.submit(_parse_batch, batch, cache)))
            if not in_flight:
                return
            batch, future = in_flight.popleft()
            try:
                outcomes = future.result()
            except BrokenProcessPool:
                # Every batch in flight died with the pool: redo their files one at a time (those
                # parsed before the crash are in the cache and not parsed again).
                processes.shutdown(wait=False, cancel_futures=True)
                lost = batch + [job for jobs_in_flight, _ in in_flight for job in jobs_in_flight]
                in_flight.clear()
                yield from _one_by_one(lost, cache)
                processes = _pool(workers)
                continue
            yield from outcomes
    finally:
        processes.shutdown(wait=True, cancel_futures=True)
