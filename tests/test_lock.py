"""The warehouse lock between real processes: the second run is told who writes; a killed holder's lock
does not outlive it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gi_pipeline import lock, processes

ROOT = Path(__file__).resolve().parents[1]

_RUN = """
import json, sys, time
from gi_pipeline import lock, processes
root, owner, hold, exclusive = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1"
try:
    with lock.WarehouseLock(root, owner=owner, wait=0, exclusive_create=exclusive) as held:
        print(json.dumps({"locked": held.holder.pid}), flush=True)
        time.sleep(hold)
except lock.WarehouseLocked as exc:
    print(json.dumps({"refused": str(exc)}), flush=True)
    sys.exit(3)
"""


def _start(root: Path, owner: str, hold: float, exclusive: bool) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _RUN, str(root), owner, str(hold), "1" if exclusive else "0"],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _first_line(proc: subprocess.Popen) -> dict:
    line = proc.stdout.readline()
    assert line, f"process exited with {proc.wait()} before reporting"
    return json.loads(line)


@pytest.mark.parametrize("exclusive", [False, True], ids=["flock", "exclusive-create"])
def test_second_run_is_refused_and_a_killed_holder_frees_the_lock(tmp_path: Path, exclusive: bool) -> None:
    first = _start(tmp_path, "run A", 60, exclusive)
    try:
        assert _first_line(first) == {"locked": first.pid}
        holder = lock.current_holder(tmp_path)
        assert holder is not None and holder.owner == "run A" and holder.pid == first.pid
        assert holder.host == lock.this_host() and holder.started

        second = _start(tmp_path, "run B", 0, exclusive)
        refused = _first_line(second)["refused"]
        assert second.wait(timeout=30) == 3
        assert f"being written by run A (pid {first.pid} on {lock.this_host()}, since " in refused

        # In-process contender too (same host, other open file): refused while A lives.
        with pytest.raises(lock.WarehouseLocked, match="run A"):
            lock.WarehouseLock(tmp_path, owner="C", exclusive_create=exclusive).acquire()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    # A died without releasing: its lock is stale (flock: released by the kernel; exclusive create:
    # its pid is dead on this host) and the next run gets it.
    third = _start(tmp_path, "run C", 0, exclusive)
    assert _first_line(third) == {"locked": third.pid}
    assert third.wait(timeout=30) == 0
    assert lock.current_holder(tmp_path) is None  # released on exit


def test_waiting_run_gets_the_lock_when_the_holder_finishes(tmp_path: Path) -> None:
    first = _start(tmp_path, "run A", 1.0, False)
    assert "locked" in _first_line(first)
    started = time.monotonic()
    with lock.WarehouseLock(tmp_path, owner="B", wait=30) as held:
        assert held.holder.owner == "B" and time.monotonic() - started < 25
        assert lock.current_holder(tmp_path).owner == "B"
    assert first.wait(timeout=30) == 0


def test_remote_lock_on_an_fsspec_url() -> None:
    # memory:// is per process: this checks the object scheme's own logic, not cross-process exclusion.
    url = "memory://locks-test/wh"
    with lock.WarehouseLock(url, owner="A"):
        with pytest.raises(lock.WarehouseLocked, match="being written by A"):
            lock.WarehouseLock(url, owner="B").acquire()
        assert lock.current_holder(url).owner == "A"
    assert lock.current_holder(url) is None
    with lock.WarehouseLock(url, owner="B") as held:
        assert held.holder.owner == "B"


def test_lock_of_a_dead_pid_elsewhere_is_not_broken(tmp_path: Path) -> None:
    # Another host's holder cannot be checked: the message says how to remove the lock by hand.
    (tmp_path / lock.LOCK_NAME).write_text(json.dumps(
        {"owner": "far run", "pid": 1, "host": "elsewhere", "started": "2026-01-01T00:00:00+00:00",
         "pid_started": None, "token": "x"}))
    with pytest.raises(lock.WarehouseLocked, match=r"remove .*_lock\.json by hand"):
        lock.WarehouseLock(tmp_path, exclusive_create=True).acquire()


def test_pid_alive() -> None:
    assert processes.pid_alive(os.getpid(), processes.process_start_ticks(os.getpid()))
    assert not processes.pid_alive(os.getpid(), started=1)  # same pid, other start: a reused pid
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not processes.pid_alive(proc.pid)
