"""A process that imports Great Expectations ahead of need and runs the default suites for this one.

Importing GX takes seconds of CPU.  A run that rewrites a partition or two would spend most of its
wall waiting for it, and a thread does not help (the import holds this process's GIL).  ``start``
spawns one process that imports GX at once, on another core and at low priority, while this one
goes on (imports Dagster, lists the raw directory, runs the inventory); ``quality.SuiteRunner``
then hands it the frames of the default suites and gets the results back by pickle -- the same
code, the same results -- and a run of many batches validates one there while it writes another.
This module imports nothing heavy itself, so a program can start the process first thing.  A pipe,
not a process pool: ending the process mid-import leaves nothing behind (no semaphores for the
resource tracker).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler

_PROCESS: tuple[BaseProcess, Connection] | None = None
_LOCK = threading.Lock()  # one request at a time on the pipe
_SERVED = [False]  # the process answered: it reads the pipe, and ends by itself when it closes


class Unavailable(RuntimeError):
    """The process is gone (killed, out of memory): validate in this one instead."""


def _serve(parent: int, conn: Connection) -> None:
    from . import memory, parallel, quality

    parallel.die_with_parent(parent)
    memory.use_system_allocator()
    os.nice(10)  # ahead of need: the parent's own work (and a run that needs no GX) goes first
    quality.warm_up()
    while True:
        try:
            scope, tables = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, quality.default_runner(scope).run(tables)))
        except Exception as exc:  # noqa: BLE001 - handed back, raised there
            conn.send((False, exc))
        del tables
        memory.release()  # the batch's frames, in pandas too: freed, and handed back


def start() -> None:
    """Spawn the process (it starts importing GX now); no-op when one is running."""
    global _PROCESS
    if _PROCESS is None:
        ours, theirs = multiprocessing.Pipe()
        process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(os.getpid(), theirs), name="gi-pipeline-gx", daemon=True)
        process.start()
        theirs.close()
        _PROCESS = (process, ours)


def active() -> bool:
    return _PROCESS is not None


def submit(scope: str, tables: dict) -> Callable[[], list]:
    """Hand the default suites of ``scope`` over ``tables`` to the process and return at once; the
    returned function waits for their results (``quality.SuiteRunner.run``'s).  The request is
    written on a thread: a process still importing GX reads it only then, and the caller goes on
    meanwhile (``partition_writer`` writes one batch while the next is validated).  One request at a
    time: the next ``submit`` waits until this one's results are taken, so they must be taken, once.
    Raises ``Unavailable`` when there is no process or, from the returned function, when it died."""
    running = _PROCESS
    if running is None:
        raise Unavailable("no GX process")
    process, conn = running
    # Pickled here, written on the thread: a thread's allocations go to an arena of its own, which
    # glibc keeps (a sending thread that pickled held ~0.5 GB more at 20,000 reports).
    request = [ForkingPickler.dumps((scope, tables))]  # dropped once written, not when the results come
    _LOCK.acquire()
    failed: list[BaseException] = []

    def send() -> None:
        try:
            conn.send_bytes(request.pop())
        except (OSError, EOFError) as exc:
            failed.append(exc)

    sender = threading.Thread(target=send, name="gi-pipeline-gx-send", daemon=True)
    sender.start()

    def results() -> list:
        try:
            sender.join()
            if failed:
                raise Unavailable(f"GX process {process.pid} ended: {failed[0]}")
            ok, value = conn.recv()
            _SERVED[0] = True
        except (EOFError, OSError) as exc:
            raise Unavailable(f"GX process {process.pid} ended: {exc}") from None
        finally:
            _LOCK.release()
        if not ok:
            raise value
        return value

    return results


@contextlib.contextmanager
def serving(wanted: bool) -> Iterator[None]:
    """The process for a block of work that can use it (``wanted``): started here when none runs,
    and then stopped after the block; one already running (the CLI's) is left as it is."""
    started = wanted and _PROCESS is None
    if started:
        start()
    try:
        yield
    finally:
        if started:
            stop()


def stop() -> None:
    """End the process: one that has served ends by itself when the pipe closes (cleaning up what
    GX made there: tqdm's lock is a semaphore); one still importing is not waited for."""
    global _PROCESS
    running, _PROCESS = _PROCESS, None
    if running is None:
        return
    process, conn = running
    conn.close()
    process.join(timeout=10 if _SERVED[0] else 0)
    _SERVED[0] = False
    if process.is_alive():
        process.terminate()
        process.join(timeout=5)
