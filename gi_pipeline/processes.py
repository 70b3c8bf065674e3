"""Is a process of this host still running?  (For locks and temporary files left by dead writers.)"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path


def this_host() -> str:
    return socket.gethostname()


def host_tag(host: str | None = None) -> str:
    """``host`` (default: this one) as a file-name-safe tag: letters, digits and '-' kept, others '_'."""
    return re.sub(r"[^A-Za-z0-9-]", "_", this_host() if host is None else host)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2:].split()  # the command name may contain spaces and parentheses


def process_start_ticks(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, /proc/<pid>/stat field 22); None if unknown."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def pid_alive(pid: int, started: int | None = None) -> bool:
    """True when process ``pid`` of this host runs (a zombie does not; nor a reused pid whose start time
    differs from ``started``)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    fields = _stat_fields(pid)
    if fields and fields[0] == "Z":
        return False
    if started is not None:
        now = process_start_ticks(pid)
        return now is None or now == started
    return True
