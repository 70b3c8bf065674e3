"""Shared fixtures.

Dagster: `gi-pipeline run` records into $DAGSTER_HOME, else ./.dagster_home.  A test must never write
into the repository, so the whole session runs with DAGSTER_HOME set to a temporary directory (a test
that forgets ``--ephemeral`` records there); a test that inspects its own runs asks
``make_dagster_home`` for an empty instance directory of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Telemetry off: no network and no files outside the instance directory.
DAGSTER_YAML = "telemetry:\n  enabled: false\n"


@pytest.fixture(scope="session")
def make_dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """A factory of empty Dagster instance directories under the session's temporary directory."""

    def make() -> Path:
        home = tmp_path_factory.mktemp("dagster_home")
        (home / "dagster.yaml").write_text(DAGSTER_YAML)
        return home

    return make


@pytest.fixture(scope="session", autouse=True)
def dagster_home(make_dagster_home: Callable[[], Path]) -> Iterator[Path]:
    """The session's DAGSTER_HOME: a temporary directory, never ./.dagster_home of the repository."""
    home = make_dagster_home()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        yield home


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user can enter (pytest's tmp_path is private to root): the permission tests
    run a child as nobody, since root ignores file modes."""
    path = Path(tempfile.mkdtemp(prefix="gi-pipeline-test-"))
    path.chmod(0o755)
    yield path
    for d, _, _ in os.walk(path):
        os.chmod(d, 0o755)
    shutil.rmtree(path)
