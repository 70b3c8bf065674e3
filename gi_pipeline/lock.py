"""One writer at a time: a lock on the warehouse, held for a whole run.

The lock is the file ``root/_lock.json``; its content names the holder (owner, pid, host, start time,
a random token), as JSON, so a second run can say who it waits for.

* A local warehouse (a path or ``file://``) uses the kernel's lock on that file (``fcntl.flock``): the
  kernel releases it when its holder dies however it dies (SIGKILL, the OOM killer), so a crashed run
  never leaves a lock behind; the JSON is only for messages.  The file itself stays (empty when free):
  removing a file others may be waiting on would let two of them lock two different files.
* Any other fsspec URL (``s3://`` ...) has no kernel lock: the lock is the object's existence, created
  with fsspec's exclusive mode ``"xb"`` (atomic where the store offers a conditional create, as S3
  does; a check-then-write elsewhere, so the token is read back to catch a lost race).  A lock whose
  holder is on this host and no longer runs is stale and broken; a holder on another host cannot be
  checked from here: the message says how to remove the lock by hand.

``WarehouseLock(root, owner=...)`` is a context manager; ``wait`` seconds (default 0) are spent
polling before ``WarehouseLocked`` is raised.  ``exclusive_create=True`` uses the object scheme on a
local directory too (for network mounts that do not honour flock).

Pure library: no Dagster here.
"""

from __future__ import annotations

import datetime
import json
import os
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import fsspec

from . import warehouse
from .processes import pid_alive, process_start_ticks, this_host

LOCK_NAME = "_lock.json"
POLL_SECONDS = 0.5


class WarehouseLocked(RuntimeError):
    """Another run holds the warehouse lock."""


@dataclass(frozen=True)
class LockHolder:
    owner: str  # what runs: "gi-pipeline CLI", "dagster run <id>" ...
    pid: int
    host: str
    started: str  # ISO 8601, UTC
    pid_started: int | None  # the process's start time in clock ticks since boot (tells a reused pid)
    token: str

    def describe(self) -> str:
        return f"{self.owner} (pid {self.pid} on {self.host}, since {self.started})"


def _holder(owner: str) -> LockHolder:
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return LockHolder(owner, os.getpid(), this_host(), started, process_start_ticks(os.getpid()), uuid.uuid4().hex)


def _parse(data: bytes) -> LockHolder | None:
    try:
        found = json.loads(data)
        return LockHolder(**found)
    except (ValueError, TypeError):
        return None  # free (empty), or being written


# A lock whose content cannot be read yet (being written, or its writer died in between).
_UNKNOWN = LockHolder("another run", 0, "?", "?", None, "")


def _encode(holder: LockHolder) -> bytes:
    return json.dumps(asdict(holder), sort_keys=True).encode() + b"\n"


class WarehouseLock:
    """The warehouse's writer lock (module docs); ``with WarehouseLock(root, owner):`` holds it."""

    def __init__(self, root: warehouse.Root, owner: str = "gi-pipeline", wait: float = 0.0,
                 exclusive_create: bool = False) -> None:
        self.root = root
        self.owner = owner
        self.wait = wait
        self.location = warehouse.join(root, LOCK_NAME)
        self.uses_flock = isinstance(self.location, Path) and not exclusive_create
        self.holder: LockHolder | None = None
        self._fd: int | None = None

    # -- local: flock ------------------------------------------------------------------------------

    def _try_local(self) -> LockHolder | None:
        import fcntl

        path = Path(self.location)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return _parse(path.read_bytes()) or _UNKNOWN
        holder = _holder(self.owner)
        os.ftruncate(fd, 0)
        os.pwrite(fd, _encode(holder), 0)
        os.fsync(fd)
        self._fd, self.holder = fd, holder
        return None

    def _release_local(self) -> None:
        import fcntl

        assert self._fd is not None
        try:
            os.ftruncate(self._fd, 0)  # free: no holder to name
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    # -- remote: an object created exclusively -------------------------------------------------------

    def _try_remote(self, attempts: int = 3) -> LockHolder | None:
        fs, path = fsspec.core.url_to_fs(str(self.location))
        holder = _holder(self.owner)
        try:
            with fs.open(path, "xb") as f:
                f.write(_encode(holder))
        except FileExistsError:
            try:
                current = _parse(fs.cat_file(path))
            except FileNotFoundError:
                current = None  # released meanwhile: try again
            else:
                if current is None or current.host != this_host() or pid_alive(current.pid, current.pid_started):
                    return current or _UNKNOWN
                self._break_remote(fs, path, current)  # its holder died on this host
            return self._try_remote(attempts - 1) if attempts > 1 else (current or _UNKNOWN)
        except FileNotFoundError:  # stores with real directories need the parent
            if attempts <= 1:
                raise
            fs.makedirs(fs._parent(path), exist_ok=True)
            return self._try_remote(attempts - 1)
        # Read back: where "xb" is check-then-write, a concurrent creator may have overwritten ours.
        current = _parse(fs.cat_file(path))
        if current is None or current.token != holder.token:
            return current or _UNKNOWN
        self.holder = holder
        return None

    @staticmethod
    def _break_remote(fs, path: str, stale: LockHolder) -> None:
        """Remove a dead holder's lock, unless another run replaced it meanwhile."""
        try:
            if _parse(fs.cat_file(path)) == stale:
                fs.rm_file(path)
        except FileNotFoundError:
            pass

    def _release_remote(self) -> None:
        fs, path = fsspec.core.url_to_fs(str(self.location))
        try:
            current = _parse(fs.cat_file(path))
            if current is not None and self.holder is not None and current.token == self.holder.token:
                fs.rm_file(path)
        except FileNotFoundError:
            pass

    # -- both ------------------------------------------------------------------------------------------

    def acquire(self) -> WarehouseLock:
        deadline = time.monotonic() + self.wait
        while True:
            other = self._try_local() if self.uses_flock else self._try_remote()
            if other is None:
                return self
            if time.monotonic() >= deadline:
                raise WarehouseLocked(self._message(other))
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    def release(self) -> None:
        if self.uses_flock:
            if self._fd is not None:
                self._release_local()
        elif self.holder is not None:
            self._release_remote()
        self.holder = None

    def _message(self, other: LockHolder) -> str:
        waited = f" (waited {self.wait:g} s)" if self.wait else ""
        text = f"warehouse {self.root} is being written by {other.describe()}{waited}: one run at a time."
        if not self.uses_flock and other.host != this_host():
            text += (f" If that run is no longer running, remove {self.location} by hand "
                     "(a holder on another host, or one that died while taking the lock, cannot be "
                     "checked from here).")
        return text

    def __enter__(self) -> WarehouseLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def current_holder(root: warehouse.Root) -> LockHolder | None:
    """Who holds the lock (None when free); for messages, not for decisions.  A local flock holder is
    named by the file; otherwise the file's holder unless it is a dead process of this host."""
    location = warehouse.join(root, LOCK_NAME)
    try:
        if isinstance(location, Path):
            import fcntl

            with open(location, "rb") as f:
                try:
                    fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return _parse(f.read()) or _UNKNOWN
                found = _parse(f.read())  # no flock holder: an exclusive-create lock, or a dead run's
        else:
            fs, path = fsspec.core.url_to_fs(str(location))
            found = _parse(fs.cat_file(path))
    except FileNotFoundError:
        return None
    if found is not None and found.host == this_host() and not pid_alive(found.pid, found.pid_started):
        return None
    return found
