"""Incremental runs: a run rewrites only what its inputs changed (issue 14).

``gi-pipeline run`` twice over the same raw files touches no file of the warehouse; a changed raw
file rewrites exactly its partition; a parser or suites version bump rewrites every partition; the
raw files sensor's cursor is a pointer, not per-file state."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from importlib import resources
from pathlib import Path

import dagster as dg
import pytest

from assets import cli_runs
from assets.assets import ALL_ASSETS, INGEST_KEYS
from assets.cli import run
from assets.defs.resources import PipelineStorage
from assets.defs.sensors import raw_files_sensor
from gi_pipeline import manifest, parse_cache, raw_listing, warehouse
from gi_pipeline.lock import LOCK_NAME

SAMPLES = Path(str(resources.files("gi_pipeline") / "data" / "sample_reports"))
SEED_000 = "000_086aff29061571b0.txt"  # 2024 | 640000


def _snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file of the warehouse: (inode, mtime_ns, sha256 of its bytes). Not the writers' lock
    (gi_pipeline.lock): every run takes it, and it holds no data."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME
    }


def _run(raw: Path, wh: Path, verify: bool = False) -> str:
    out = io.StringIO()
    assert run(raw, wh, None, out=out, workers=1, ephemeral=True, verify=verify) == 0, out.getvalue()
    return out.getvalue()


@pytest.fixture
def listings(monkeypatch) -> list[Path]:
    """The raw directories listed (``raw_listing.list_raw``) from now on, one entry per listing."""
    listed: list[Path] = []
    real = raw_listing.list_raw

    def counting(raw_dir):
        listed.append(Path(raw_dir))
        return real(raw_dir)

    monkeypatch.setattr(raw_listing, "list_raw", counting)
    return listed


def _partition_files(snapshot: dict, year: int, region: str) -> set[str]:
    return {p for p in snapshot if f"/year={year}/region={region}/" in p}


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path, dict]:
    raw, wh = tmp_path / "raw", tmp_path / "warehouse"
    shutil.copytree(SAMPLES, raw)
    _run(raw, wh)
    return raw, wh, _snapshot(wh)


def test_second_run_with_nothing_changed_rewrites_no_file(built, monkeypatch, listings) -> None:
    raw, wh, first = built

    def no_dagster_run(*args, **kwargs):
        raise AssertionError("a run with nothing changed started the Dagster runs")

    monkeypatch.setattr(cli_runs, "run_pipeline", no_dagster_run)
    out = _run(raw, wh)
    assert _snapshot(wh) == first  # same inodes, mtimes and bytes: nothing was rewritten
    assert "nothing changed, 10 partitions unchanged" in out
    assert "  reports                  11 rows" in out  # the tables' summary still printed
    assert listings == [raw]  # listed (and stat'ed) once


def test_verified_run_with_nothing_changed_runs_the_ingest_and_rewrites_no_file(built) -> None:
    raw, wh, first = built
    out = _run(raw, wh, verify=True)  # --verify: every file read and hashed, through Dagster
    assert _snapshot(wh) == first
    assert "inventory: 11 files, 11 reports" in out
    assert "partitions: all 10 unchanged, nothing written" in out
    assert "2024|640000: unchanged (1 report)" in out and "cross-year consistency: unchanged" in out


def test_a_run_lists_the_raw_directory_once(built, listings) -> None:
    raw, _, _ = built
    with (raw / SEED_000).open("ab") as f:
        f.write(b"\n")
    out = _run(raw, built[1])
    assert "2024|640000: 1 report" in out  # the ingest saw the change ...
    assert listings == [raw]  # ... in the listing the CLI made


def test_changed_file_rewrites_exactly_its_partition(built) -> None:
    raw, wh, first = built
    with (raw / SEED_000).open("ab") as f:  # new bytes, same report: same partition
        f.write(b"\n")
    out = _run(raw, wh)
    second = _snapshot(wh)
    touched = _partition_files(first, 2024, "640000")
    assert touched and _partition_files(second, 2024, "640000") == touched
    rewritten = {p for p in first if p in second and second[p][:2] != first[p][:2]}
    # The partition's tables, text and manifest; the catalog; the cross-year table is unchanged
    # (no finding moved) but its region's stage file was recomputed.
    partition_rewritten = {p for p in rewritten if "/year=" in p}
    assert partition_rewritten == touched
    assert {p for p in rewritten if "/year=" not in p} <= {
        "_catalog/inventory.parquet", "_stage/cross_year/manifest.json", "_stage/cross_year/region=640000/part-0.parquet"
    }
    assert "2024|640000: 1 report" in out and "2024|150000: unchanged (1 report)" in out
    assert "regions recomputed: 640000 " in out
    # The parse cache holds the new content's parse and no longer the old one.
    parsed = [p for p in second if p.startswith("_stage/parsed/")]
    assert len(parsed) == 11


@pytest.mark.parametrize("bump", ["suites", "parser"])
def test_version_bump_rewrites_every_partition(built, monkeypatch, bump: str) -> None:
    raw, wh, first = built
    if bump == "suites":
        monkeypatch.setattr(manifest, "suites_version", lambda: "bumped-suites")
    else:
        monkeypatch.setattr(parse_cache, "parser_version", lambda: "bumped-parser")
    out = _run(raw, wh)
    second = _snapshot(wh)
    partition_files = {p for p in first if "/year=" in p and not p.startswith(("_stage/cross_year", "_stage/explain"))}
    assert partition_files and all(second[p][:2] != first[p][:2] for p in partition_files)
    # The flagged reports' explain pages: the same bytes, so not even rewritten (explain_pages).
    pages = {p for p in first if p.startswith("_stage/explain/")}
    assert pages and all(second[p] == first[p] for p in pages)
    assert "in 10 partitions written (0 unchanged" in out
    # Same inputs, same code: byte-identical tables.
    assert {p: second[p][2] for p in partition_files if not p.endswith(".json")} == {
        p: first[p][2] for p in partition_files if not p.endswith(".json")
    }


def test_sensor_cursor_stays_small_with_many_files(tmp_path: Path) -> None:
    raw, wh = tmp_path / "raw", tmp_path / "warehouse"
    for i in range(2000):
        folder = raw / f"{i // 500:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note_{i:05d}.txt").write_text(f"not a report {i}\n", encoding="utf-8")
    storage = PipelineStorage(raw_dir=str(raw), warehouse_dir=str(wh), parse_workers=1)
    with dg.instance_for_test() as instance:
        first = raw_files_sensor(dg.build_sensor_context(instance=instance, resources={"storage": storage}))
        assert isinstance(first, dg.SensorResult) and len(first.run_requests) == 1
        assert len(first.cursor) < 200
        # The same changes again: already requested.
        again = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor,
                                                         resources={"storage": storage}))
        assert isinstance(again, dg.SkipReason)
        assert dg.materialize(ALL_ASSETS, selection=INGEST_KEYS, instance=instance,
                              resources={"storage": storage}).success
        assert warehouse.read_catalog(wh).num_rows == 2000  # the per-file state lives in the catalog
        quiet = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor,
                                                         resources={"storage": storage}))
        assert isinstance(quiet, dg.SkipReason)
        (raw / "00" / "note_00000.txt").write_text("changed\n", encoding="utf-8")
        changed = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor,
                                                           resources={"storage": storage}))
        assert isinstance(changed, dg.SensorResult) and len(changed.cursor) < 200
        assert set(json.loads(changed.cursor)) == {"catalog", "requested", "verified"}


def test_partition_runs_cover_exactly_the_changed_partitions() -> None:
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG as END
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_START_TAG as START

    from assets.cli import partition_runs

    regions = ["110000", "120000", "130000", "140000"]
    ranges = lambda runs: [(r[START], r[END]) for r in runs]
    # A first run: every partition changed or empty -> one box over the years, as a backfill.
    every = {(y, r) for y in (2023, 2024) for r in regions}
    assert ranges(partition_runs(every, set(), regions)) == [("110000|2023", "140000|2024")]
    # Two changed partitions of a year, an empty one between them joins them; an unchanged one
    # after them is left out; another year gets its own range.
    changed = {(2024, "110000"), (2024, "130000"), (2023, "140000")}
    runs = partition_runs(changed, {(2024, "120000")}, regions)
    assert ranges(runs) == [("140000|2023", "140000|2023"), ("110000|2024", "130000|2024")]
    # Without the empty partition between them: two ranges.
    assert len(partition_runs(changed, set(), regions)) == 3
    assert partition_runs(set(), set(), regions) == []
