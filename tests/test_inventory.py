"""gi_pipeline.inventory's partition rules and gi_pipeline.progress's meter (pure, no Dagster)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pyarrow as pa

from gi_pipeline import warehouse
from gi_pipeline.inventory import (
    build_inventory,
    changed_partitions,
    changes_since_catalog,
    partitions_to_write,
    stale_partitions,
)
from gi_pipeline.progress import ProgressMeter, meter_line
from gi_pipeline.years import YEARS


def _catalog(*rows: tuple[str, str, str, int | None, str | None]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"source_file": f, "sha256": sha, "role": role, "year": y, "region": r} for f, sha, role, y, r in rows],
        schema=warehouse.CATALOG_SCHEMA,
    )


def test_changed_partitions_are_those_whose_reports_differ() -> None:
    before = _catalog(
        ("a.txt", "1", "report", 2024, "640000"),
        ("b.txt", "2", "report", 2024, "150000"),
        ("c.txt", "3", "report", 2020, "430000"),
        ("d.txt", "4", "quarantined", None, None),
    )
    after = _catalog(
        ("a.txt", "1", "report", 2024, "640000"),  # unchanged
        ("c.txt", "9", "report", 2020, "430000"),  # same path, new content
        ("e.txt", "5", "report", 2023, "360000"),  # new
        ("f.txt", "1", "duplicate", 2024, "640000"),  # a duplicate changes no partition
    )  # b.txt deleted, d.txt (quarantined) deleted
    assert changed_partitions(before, after) == {(2024, "150000"), (2020, "430000"), (2023, "360000")}
    assert changed_partitions(after, after) == set()
    assert changed_partitions(None, after) == {(2024, "640000"), (2020, "430000"), (2023, "360000")}


def test_stale_partitions_and_what_a_full_run_writes() -> None:
    counts = {(2024, "640000"): 2, (2020, "430000"): 1}
    written = {(2024, "640000"), (2023, "150000"), (2020, "150000"), (YEARS[0] - 1, "150000")}
    # Out-of-range years in the warehouse are no partition of ours: left alone.
    assert stale_partitions(counts, written) == {(2023, "150000"), (2020, "150000")}
    assert stale_partitions(counts, written, year=2023) == {(2023, "150000")}
    targets, stale = partitions_to_write(counts, written)
    assert targets == [(2020, "150000"), (2020, "430000"), (2023, "150000"), (2024, "640000")]
    assert stale == {(2023, "150000"), (2020, "150000")}
    assert partitions_to_write(counts, written, year=2024) == ([(2024, "640000")], set())


def test_changes_since_catalog_rehash_only_touched_files(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("one")
    (raw / ".hidden").write_text("skipped")
    catalog = build_inventory(raw).catalog
    assert catalog["source_file"].to_pylist() == ["a.txt"]
    assert changes_since_catalog(raw, catalog) == []
    os.utime(raw / "a.txt", ns=(1, 1))  # touched: read again, same bytes -> no change
    assert changes_since_catalog(raw, catalog) == []
    (raw / "a.txt").write_text("two")
    (raw / "b.txt").write_text("new")
    changes = changes_since_catalog(raw, catalog)
    assert [path for path, _ in changes] == ["a.txt", "b.txt"] and all(digest for _, digest in changes)
    (raw / "a.txt").unlink()
    assert ("a.txt", "") in changes_since_catalog(raw, catalog)  # positively gone


def test_meter_line() -> None:
    assert meter_line("inventory", 0, 2000, 0.0) == "inventory: 0/2000 files"
    assert meter_line("inventory", 500, 2000, 10.0) == "inventory: 500/2000 files, 50/s, ~30 s left"
    assert meter_line("inventory", 3, 6, 2.0, "files parsed") == "inventory: 3/6 files parsed, 1.5/s, ~2 s left"
    assert meter_line("inventory", 6, 6, 4.0) == "inventory: 6/6 files, 1.5/s, 4.0 s"


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_meter_prints_plain_lines_when_piped() -> None:
    out, clock = io.StringIO(), _Clock()
    meter = ProgressMeter("inventory", out, every=2, clock=clock)
    for done in range(1, 6):
        clock.now = float(done)
        meter.update(done, 5)
    assert out.getvalue().splitlines() == [
        "inventory: 2/5 files, 1.0/s, ~3 s left",
        "inventory: 4/5 files, 1.0/s, ~1 s left",
        "inventory: 5/5 files, 1.0/s, 5.0 s",
    ]


def test_meter_redraws_one_line_on_a_terminal() -> None:
    out, clock = _Terminal(), _Clock()
    meter = ProgressMeter("inventory", out, min_interval=1.0, clock=clock)
    for step in range(1, 11):
        clock.now = step * 0.25
        meter.update(step, 10)
    text = out.getvalue()
    assert "\n" not in text.rstrip("\n") and text.endswith("\n")  # one line, ended when done
    draws = text.split("\r\x1b[K")[1:]
    assert len(draws) == 4  # at 0.25 s, 1.25 s, 2.25 s (at most once a second) and the last
    assert draws[-1] == "inventory: 10/10 files, 4.0/s, 2.5 s\n"
