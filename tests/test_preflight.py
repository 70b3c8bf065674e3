"""Preflight: the run's places to write are tried for real before any file is read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from fsspec.registry import known_implementations

from gi_pipeline import parse_cache, preflight

ROOT = Path(__file__).resolve().parents[1]


def test_a_writable_local_warehouse_and_cache_pass_and_leave_nothing(tmp_path: Path) -> None:
    wh = tmp_path / "new" / "wh"
    preflight.check_environment(wh, cache=parse_cache.cache_dir(wh), min_free_bytes=1)
    assert wh.is_dir() and [p for p in wh.rglob("*") if p.is_file()] == []  # probes deleted


def test_memory_warehouse_is_refused_unless_allowed() -> None:
    with pytest.raises(preflight.PreflightError, match="memory:// keeps files only inside this process"):
        preflight.check_environment("memory://preflight/wh")
    preflight.check_environment("memory://preflight/wh", persistent=False)
    fs = fsspec.filesystem("memory")
    assert fs.find("/preflight") == []  # the probe was written, read back and deleted


def _uninstalled_protocol() -> str:
    for protocol in sorted(known_implementations):
        try:
            fsspec.get_filesystem_class(protocol)
        except ImportError:
            return protocol
    pytest.skip("every fsspec filesystem package is installed")


def test_missing_filesystem_package_or_unknown_protocol_is_one_message() -> None:
    protocol = _uninstalled_protocol()
    problem = preflight.find_problem(f"{protocol}://bucket/wh")
    assert problem.startswith(f"warehouse {protocol}://bucket/wh: the filesystem package for {protocol}:// is not installed")
    assert "unknown filesystem nosuchfs://" in preflight.find_problem("nosuchfs://x/wh")
    assert "parse cache" in preflight.find_problem("memory://ok/wh", cache=f"{protocol}://b/c", persistent=False)


def test_too_little_free_space_is_refused(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(preflight.PreflightError, match="MB free on its disk, below the"):
        preflight.check_environment(tmp_path / "wh", min_free_bytes=free * 2)
    preflight.check_environment(tmp_path / "wh", min_free_bytes=free // 2)


@pytest.fixture
def root_owned_dir() -> Iterator[Path]:
    """A directory other users may enter but not write (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="gi-preflight-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


_CHECK_AS_NOBODY = """
import json, os, sys
from gi_pipeline import preflight
if os.getuid() == 0:  # root writes anywhere whatever the modes: check as nobody
    os.setgid(65534)
    os.setuid(65534)
print(json.dumps(preflight.find_problem(sys.argv[1], cache=sys.argv[2] if len(sys.argv) > 2 else None,
                                        min_free_bytes=1)))
"""


def _as_nobody(*args: str) -> str | None:
    done = subprocess.run([sys.executable, "-c", _CHECK_AS_NOBODY, *args], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_warehouse_or_cache_not_writable_is_one_message(root_owned_dir: Path) -> None:
    open_dir = root_owned_dir / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    assert _as_nobody(str(open_dir)) is None
    problem = _as_nobody(str(root_owned_dir / "wh"))
    assert problem == (f"warehouse {root_owned_dir / 'wh'} is not usable: could not create a file there: "
                       f"PermissionError: [Errno 13] Permission denied: '{root_owned_dir / 'wh'}'")
    problem = _as_nobody(str(open_dir), str(root_owned_dir / "cache"))
    assert problem.startswith(f"parse cache {root_owned_dir / 'cache'} is not usable: could not create")
