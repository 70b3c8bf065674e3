"""Hand freed heap memory back to the operating system between batches.

A batch's rows are millions of small Python objects; once they are freed, glibc keeps most of the
pages they lived on, so a process's resident size stays at its largest batch plus the holes the
next one does not fill. ``malloc_trim(0)`` returns the free pages at once (a few ms), and Arrow's
own allocator (mimalloc) is asked to do the same for its buffers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa


@functools.cache
def _libc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None


def release() -> None:
    """Return the free pages of Arrow's pool and of the C heap (glibc) to the OS.  (No ``gc.collect``:
    a batch's rows hold no reference cycles, reference counting has freed them.)"""
    pa.default_memory_pool().release_unused()
    trim = _libc_trim()
    if trim is not None:
        trim(0)
