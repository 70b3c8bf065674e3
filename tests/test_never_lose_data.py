"""Never lose data (issue 12), end to end: ``gi-pipeline run`` in real processes on real files.

* a raw root that is empty or not mounted, a subdirectory that cannot be read, a parse cache that
  cannot be written: the warehouse is byte-identical afterwards, the exit status non-zero, one message;
* a large removal is refused until ``--allow-removals`` confirms it;
* a file name that is not UTF-8 is processed like any other (``source_file`` escaped);
* two runs on one warehouse never interleave (the warehouse lock);
* a writer killed mid-write leaves no temporary file after the next run, and its Dagster run is
  marked failed.

Root reads any directory whatever its mode: the permission scenarios build the warehouse as root,
then run the CLI again in the same child process after ``os.setuid(65534)`` (nobody; the Python
installation under /root cannot be read by nobody, so the modules are imported before).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.defs.resources import bundled_sample_reports
from gi_pipeline import vocabulary as v
from gi_pipeline import warehouse

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted(p for p in bundled_sample_reports().iterdir() if p.is_file())
GBK_NAME = "报告".encode("gbk") + b".txt"  # b"\xb1\xa8\xb8\xe6.txt": not UTF-8
_SNAPSHOT = "SNAPSHOT"


def _env(**extra: str) -> dict[str, str]:
    env = {k: val for k, val in os.environ.items() if k != "DAGSTER_HOME"}
    return {**env, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", **extra}


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assets.cli", "run", "--workers", "1", *args], capture_output=True,
                          text=True, env=env or _env(), timeout=timeout, cwd=ROOT)


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (the lock file included: empty when free)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _raw(root: Path, split: int = 6) -> Path:
    """The bundled samples, the first ``split`` under a/, the others under b/."""
    for i, sample in enumerate(SAMPLES):
        target = root / ("a" if i < split else "b") / sample.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, target)
    return root


def _reports(wh: Path) -> list[str]:
    return sorted(warehouse.scan(v.TABLE_REPORTS, wh).collect()["source_file"].to_list())


# ------------------------------------------------------------------------------------------------
# The raw root is empty or not mounted
# ------------------------------------------------------------------------------------------------


def test_empty_or_missing_raw_root_changes_nothing(tmp_path: Path) -> None:
    raw, wh = _raw(tmp_path / "raw"), tmp_path / "wh"
    first = _cli("--ephemeral", "--raw-dir", str(raw), "--warehouse", str(wh))
    assert first.returncode == 0, first.stderr
    before = snapshot(wh)
    assert _reports(wh)

    (tmp_path / "unmounted").mkdir()  # a mount point with nothing mounted
    for raw_dir, why in [(tmp_path / "unmounted", "holds no file (not mounted?)"),
                         (tmp_path / "missing", "does not exist (not mounted?)")]:
        done = _cli("--ephemeral", "--raw-dir", str(raw_dir), "--warehouse", str(wh))
        assert done.returncode == 3
        assert done.stderr == f"gi-pipeline: raw directory {raw_dir} {why}\n"
        assert "inventory" not in done.stdout
        assert snapshot(wh) == before


# ------------------------------------------------------------------------------------------------
# A subdirectory cannot be read; the parse cache cannot be written (as nobody)
# ------------------------------------------------------------------------------------------------

_AS_NOBODY = f"""
import hashlib, json, os, sys
from pathlib import Path
from assets import cli
from gi_pipeline import parse_cache
raw, wh, breaks = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
args = ["run", "--ephemeral", "--workers", "1", "--raw-dir", str(raw), "--warehouse", str(wh)]
assert cli.main(args) == 0, "the first run (as root) failed"
for d, dirs, files in os.walk(wh):
    for name in [d] + [os.path.join(d, f) for f in files]:
        os.chown(name, 65534, 65534)
if breaks == "subdirectory":
    os.chmod(raw / "b", 0)
elif breaks == "cache":
    os.chmod(parse_cache.cache_dir(wh), 0o555)
print({_SNAPSHOT!r}, json.dumps({{p.relative_to(wh).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                                for p in sorted(wh.rglob("*")) if p.is_file()}}), flush=True)
print({_SNAPSHOT!r}, file=sys.stderr, flush=True)
os.setgid(65534)
os.setuid(65534)
sys.exit(cli.main(args))
"""


def _second_run_as_nobody(shared: Path, breaks: str) -> tuple[int, dict, str, str]:
    """(exit status, warehouse snapshot before, stdout, stderr) of the second run, as nobody."""
    raw, wh = _raw(shared / "raw"), shared / "wh"
    done = subprocess.run([sys.executable, "-c", _AS_NOBODY, str(raw), str(wh), breaks], capture_output=True,
                          text=True, env=_env(HOME=str(shared)), timeout=900, cwd=shared)
    out, err = done.stdout.splitlines(), done.stderr.splitlines()
    [marker] = [i for i, line in enumerate(out) if line.startswith(_SNAPSHOT)]
    assert _SNAPSHOT in err, done.stderr
    before = json.loads(out[marker][len(_SNAPSHOT) + 1:])
    after_err = err[err.index(_SNAPSHOT) + 1:]
    return done.returncode, before, "\n".join(out[marker + 1:]), "\n".join(after_err)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to become nobody")
def test_unreadable_subdirectory_keeps_its_facts(shared_dir: Path) -> None:
    status, before, out, err = _second_run_as_nobody(shared_dir, "subdirectory")
    assert status == 4, out + err
    assert "  cannot read b: PermissionError: [Errno 13] Permission denied" in out
    assert out.splitlines()[-1].startswith("INCOMPLETE: 1 part of the raw directory could not be read (b)")
    assert "Traceback" not in err
    assert snapshot(shared_dir / "wh") == before  # b's reports and facts still there, nothing else moved
    assert any(name.startswith("b/") for name in _reports(shared_dir / "wh"))


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to become nobody")
def test_unwritable_parse_cache_stops_the_run_before_anything_is_written(shared_dir: Path) -> None:
    status, before, out, err = _second_run_as_nobody(shared_dir, "cache")
    assert status == 3, out + err
    [message] = err.splitlines()
    assert message.startswith(f"gi-pipeline: parse cache {shared_dir / 'wh' / '_stage' / 'parsed'}")
    assert "is not usable: could not write a file there: PermissionError" in message
    assert "quarantined" not in out and "inventory" not in out
    assert snapshot(shared_dir / "wh") == before


# ------------------------------------------------------------------------------------------------
# A large removal needs confirmation
# ------------------------------------------------------------------------------------------------


def test_large_removal_is_refused_then_confirmed(tmp_path: Path) -> None:
    raw, wh = _raw(tmp_path / "raw"), tmp_path / "wh"
    assert _cli("--ephemeral", "--raw-dir", str(raw), "--warehouse", str(wh)).returncode == 0
    reports = _reports(wh)
    gone = [name for name in reports if name.startswith("b/")]
    assert gone and len(gone) / len(reports) > 0.1
    shutil.rmtree(raw / "b")
    before = snapshot(wh)

    refused = _cli("--ephemeral", "--raw-dir", str(raw), "--warehouse", str(wh))
    assert refused.returncode == 3
    assert refused.stderr.startswith(f"gi-pipeline: refusing to remove {len(gone)} of {len(reports)} catalogued "
                                     "reports")
    assert "nothing was written" in refused.stderr and "run again with --allow-removals" in refused.stderr
    assert all(name in refused.stderr for name in gone)
    assert snapshot(wh) == before

    confirmed = _cli("--ephemeral", "--raw-dir", str(raw), "--warehouse", str(wh), "--allow-removals")
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    assert f"{len(gone)} catalogued files deleted from the raw directory" in confirmed.stdout
    assert _reports(wh) == [name for name in reports if name not in gone]


# ------------------------------------------------------------------------------------------------
# A file name that is not UTF-8
# ------------------------------------------------------------------------------------------------


def test_non_utf8_file_name_is_processed_end_to_end(tmp_path: Path) -> None:
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    (raw / "2024").mkdir(parents=True)
    seed = next(p for p in SAMPLES if p.name.startswith("000"))
    with open(os.path.join(os.fsencode(raw / "2024"), GBK_NAME), "wb") as f:
        f.write(seed.read_bytes())
    shutil.copyfile(SAMPLES[1], raw / SAMPLES[1].name)
    done = _cli("--ephemeral", "--raw-dir", str(raw), "--warehouse", str(wh))
    assert done.returncode == 0, done.stdout + done.stderr
    escaped = "2024/\\xb1\\xa8\\xb8\\xe6.txt"
    catalog = warehouse.read_catalog(wh).to_pylist()
    [row] = [r for r in catalog if r["source_file"] == escaped]
    assert row["role"] == warehouse.ROLE_REPORT
    reports = warehouse.scan(v.TABLE_REPORTS, wh).collect()
    assert escaped in reports["source_file"].to_list()
    requests = warehouse.scan(v.TABLE_REQUESTS, wh).filter(pl.col("doc_id") == row["doc_id"]).collect()
    assert requests.height > 0


# ------------------------------------------------------------------------------------------------
# One writer at a time
# ------------------------------------------------------------------------------------------------

# The real CLI, paused right after it took the lock (when it preloads GX) until a line on stdin.
# A CLI run that stops, holding the lock, before it reads anything and again after it has written
# everything (until it reads a line each time): what is on disk then is its own doing.
_PAUSED_CLI = """
import sys
from assets import cli, cli_runs
from gi_pipeline import inventory
survey, run_pipeline = inventory.survey_raw_dir, cli_runs.run_pipeline
def paused(*args, **kwargs):
    print("HOLDING THE LOCK", flush=True)
    sys.stdin.readline()
    return survey(*args, **kwargs)
def written(*args, **kwargs):
    code = run_pipeline(*args, **kwargs)
    print("WRITTEN, HOLDING THE LOCK", flush=True)
    sys.stdin.readline()
    return code
inventory.survey_raw_dir, cli_runs.run_pipeline = paused, written
sys.exit(cli.main(sys.argv[1:]))
"""


def test_two_runs_on_one_warehouse_never_interleave(tmp_path: Path) -> None:
    wh = tmp_path / "wh"
    raw_a = _raw(tmp_path / "raw_a", split=len(SAMPLES))  # everything under a/
    raw_c = tmp_path / "raw_c"
    (raw_c / "c").mkdir(parents=True)
    for sample in SAMPLES[:3]:
        shutil.copyfile(sample, raw_c / "c" / sample.name)
    args = ["run", "--ephemeral", "--workers", "1", "--warehouse", str(wh)]
    first = subprocess.Popen([sys.executable, "-c", _PAUSED_CLI, *args, "--raw-dir", str(raw_a)], cwd=ROOT,
                             env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    waiting = None
    try:
        out_first = []
        while (line := first.stdout.readline()) and line != "HOLDING THE LOCK\n":
            out_first.append(line)
        assert line, first.stderr.read()
        # A second run gives up at once, naming the first ...
        second = _cli("--ephemeral", "--raw-dir", str(raw_c), "--warehouse", str(wh))
        assert second.returncode == 3
        assert second.stderr.startswith(f"gi-pipeline: warehouse {wh} is being written by gi-pipeline CLI "
                                        f"(pid {first.pid} on ")
        assert second.stderr.rstrip().endswith(": one run at a time.")
        assert second.stdout == ""
        # ... a third waits for it (and then replaces everything: confirmed).
        waiting = subprocess.Popen([sys.executable, "-m", "assets.cli", *args, "--raw-dir", str(raw_c), "--wait", "600",
                                    "--allow-removals"], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        with contextlib.suppress(subprocess.TimeoutExpired):
            waiting.wait(timeout=15)
        assert waiting.returncode is None  # still waiting
        assert not (wh / "_catalog").exists()  # the first run has written nothing yet, nor the third
        first.stdin.write("go\n")
        first.stdin.flush()
        while (line := first.stdout.readline()) and line != "WRITTEN, HOLDING THE LOCK\n":
            out_first.append(line)
        assert line, first.stderr.read()
        after_first = _reports(wh)  # the third waits still: the first holds the lock until told
        assert after_first == sorted(f"a/{p.name}" for p in SAMPLES if not _quarantined(wh, f"a/{p.name}"))
        assert waiting.poll() is None
        first.stdin.write("go\n")
        first.stdin.close()
        assert first.wait(timeout=600) == 0, first.stderr.read()
        out, err = waiting.communicate(timeout=600)
        assert waiting.returncode == 0, out + err
    finally:
        for proc in (first, waiting):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert _reports(wh) == sorted(f"c/{p.name}" for p in SAMPLES[:3] if not _quarantined(wh, f"c/{p.name}"))
    assert sorted(r["source_file"] for r in warehouse.read_catalog(wh).to_pylist()) == sorted(
        f"c/{p.name}" for p in SAMPLES[:3])


def _quarantined(wh: Path, source_file: str) -> bool:
    return any(r["source_file"] == source_file and r["role"] != warehouse.ROLE_REPORT
               for r in warehouse.read_catalog(wh).to_pylist())


# ------------------------------------------------------------------------------------------------
# A writer killed mid-write
# ------------------------------------------------------------------------------------------------

# The real CLI, frozen between writing a partition's temporary file and renaming it into place.
_FROZEN_CLI = """
import os, sys, time
from assets import cli
replace = os.replace
def frozen(src, dst):
    if "year=" in str(dst):
        print("TEMP", src, flush=True)
        time.sleep(600)
    replace(src, dst)
os.replace = frozen
sys.exit(cli.main(sys.argv[1:]))
"""


def test_killed_writer_leaves_no_temp_file_and_no_started_run(tmp_path: Path) -> None:
    raw, wh, home = _raw(tmp_path / "raw"), tmp_path / "wh", tmp_path / "dagster_home"
    env = _env(DAGSTER_HOME=str(home))
    args = ["run", "--workers", "1", "--raw-dir", str(raw), "--warehouse", str(wh)]
    writer = subprocess.Popen([sys.executable, "-c", _FROZEN_CLI, *args], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while (line := writer.stdout.readline()) and not line.startswith("TEMP "):
            pass
        assert line, writer.stderr.read()
        temp = Path(line.split(" ", 1)[1].strip())
        assert temp.exists() and temp.name.startswith(".tmp-")
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
    left = sorted(wh.rglob(".tmp-*"))  # what a killed writer leaves (a batch writes its tables at once)
    assert temp in left
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [killed] = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))

    done = _cli(*args[3:], env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"removed {len(left)} temporary file{'s' if len(left) > 1 else ''} of dead writers")
    assert f"marked run {killed.run_id} failed: its gi-pipeline CLI was killed" in done.stdout
    assert not [p for p in wh.rglob(".tmp-*")]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])) == []
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE


_HOLDER = """
import sys, time
from gi_pipeline.lock import WarehouseLock
with WarehouseLock(sys.argv[1], owner="another writer"):
    print("HOLDING", flush=True)
    sys.stdin.readline()
"""


def test_dagster_runs_keep_to_one_writer(tmp_path: Path) -> None:
    """Ingest runs (UI, sensor) take the lock; partition runs (backfills) do not write while another
    process holds it."""
    from assets.assets import ALL_ASSETS, INGEST_KEYS, parse_reports
    from assets.cli import _failure_message
    from assets.defs.resources import PipelineStorage

    raw, wh = _raw(tmp_path / "raw"), tmp_path / "wh"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(wh)], env=_env(), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "HOLDING\n"
        resources = {"storage": PipelineStorage(raw_dir=str(raw), warehouse_dir=str(wh), parse_workers=1)}
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions("region", ["640000"])
            for selection, partition in [(INGEST_KEYS, None), (list(parse_reports.keys), "640000|2024")]:
                result = dg.materialize(ALL_ASSETS, selection=selection, instance=instance, resources=resources,
                                        partition_key=partition, raise_on_error=False)
                assert not result.success
                assert f"warehouse {wh} is being written by another writer (pid {holder.pid} on " in \
                    _failure_message(result)
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
    assert not (wh / "_catalog").exists()
