"""After a crash: a dead writer's temporary files are removed, a live one's kept; parse workers die with
the process that started them.  Real processes, killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa

from gi_pipeline import vocabulary as v
from gi_pipeline import warehouse
from gi_pipeline.processes import pid_alive
from gi_pipeline.schema import SCHEMAS

ROOT = Path(__file__).resolve().parents[1]
_ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

def _requests_table() -> pa.Table:
    schema = SCHEMAS[v.TABLE_REQUESTS]
    return pa.Table.from_pylist([{f.name: None for f in schema} | {"doc_id": "d1"}], schema=schema)


# A writer frozen between writing its temporary file and renaming it over the partition file, as a
# writer killed at that moment leaves things.
_WRITER = """
import os, sys, time
import pyarrow as pa
from gi_pipeline import warehouse, vocabulary as v
from gi_pipeline.schema import SCHEMAS
def frozen(src, dst):
    print(src, flush=True)
    time.sleep(60)
os.replace = frozen  # only in this child: it stops right before the rename
schema = SCHEMAS[v.TABLE_REQUESTS]
table = pa.Table.from_pylist([{f.name: None for f in schema} | {"doc_id": "d1"}], schema=schema)
warehouse.write_partition(sys.argv[1], v.TABLE_REQUESTS, 2024, sys.argv[2], table)
"""


def _frozen_writer(root: Path, region: str) -> tuple[subprocess.Popen, Path]:
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(root), region], stdout=subprocess.PIPE,
                            text=True, env=_ENV)
    line = proc.stdout.readline().strip()
    assert line, f"writer exited with {proc.wait()}"
    return proc, Path(line)


def test_dead_writers_temp_files_go_live_ones_stay(tmp_path: Path) -> None:
    dead, dead_tmp = _frozen_writer(tmp_path, "640000")
    live, live_tmp = _frozen_writer(tmp_path, "110000")
    try:
        assert dead_tmp.name.startswith(f".tmp-part-0.parquet.w{dead.pid}@")
        dead.send_signal(signal.SIGKILL)
        dead.wait(timeout=30)
        assert dead_tmp.exists() and live_tmp.exists()
        assert warehouse.remove_dead_temp_files(tmp_path) == [dead_tmp]  # not an hour later: now
        assert live_tmp.exists()
        # The next write of a partition also removes a dead writer's temp file there at once.
        dead2, dead2_tmp = _frozen_writer(tmp_path, "640000")
        dead2.send_signal(signal.SIGKILL)
        dead2.wait(timeout=30)
        warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests_table())
        assert sorted(p.name for p in dead2_tmp.parent.iterdir()) == ["part-0.parquet"]
        # A run holding the warehouse lock, before starting writers: every temp file is a dead run's.
        assert warehouse.remove_dead_temp_files(tmp_path, all_dead=True) == [live_tmp]
    finally:
        live.kill()
        live.wait(timeout=30)


_POOL_PARENT = """
import json, os, sys, time
from gi_pipeline import parallel
pool = parallel._pool(2)
ready = set()  # workers that ran a task, so their initializer ran
while len(ready) < 2:
    ready |= {f.result() for f in [pool.submit(os.getpid) for _ in range(8)]}
futures = [pool.submit(time.sleep, 60) for _ in range(2)]
print(json.dumps(sorted(ready)), flush=True)
time.sleep(60)
"""


def test_parse_workers_die_with_their_parent() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _POOL_PARENT], stdout=subprocess.PIPE, text=True, env=_ENV)
    try:
        workers = json.loads(parent.stdout.readline())
        assert len(workers) == 2 and all(pid_alive(pid) for pid in workers)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
    deadline = time.monotonic() + 5
    while any(pid_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [pid for pid in workers if pid_alive(pid)]
    for pid in alive:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert alive == []
