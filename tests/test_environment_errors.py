"""An environment error stops the run once instead of quarantining every file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gi_pipeline import parallel, parse_cache


def _jobs(n: int) -> list[parallel.ParseJob]:
    raws = [f"not a report {i}\n".encode() for i in range(n)]
    return [parallel.ParseJob(f"{i}.txt", hashlib.sha256(raw).hexdigest(), raw) for i, raw in enumerate(raws)]


@pytest.mark.parametrize("workers", [1, 2], ids=["one process", "pool"])
def test_unwritable_parse_cache_stops_the_run_with_one_error(tmp_path: Path, workers: int) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache directory should be")
    cache = blocker / "parsed"
    outcomes = []
    with pytest.raises(parse_cache.CacheUnwritable, match=f"parse cache {cache} cannot be written: NotADirectoryError"):
        for outcome in parallel.parse_all(_jobs(parallel.MIN_PARALLEL_FILES + 2), cache, workers=workers):
            outcomes.append(outcome)
    assert outcomes == []  # no file was quarantined for it


def test_a_writable_cache_still_quarantines_a_bad_file_as_that_files_outcome(tmp_path: Path) -> None:
    [outcome] = parallel.parse_all(_jobs(1), tmp_path / "cache", workers=1)
    assert outcome.error is None and outcome.result.reason
