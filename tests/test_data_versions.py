"""What the Dagster UI sees of incremental partition runs (issue 14): a run over several partitions
records materializations only for the partitions it rewrote, each carrying its data version (the
partition's manifest fingerprint) and the code version (parser, suites, schema); a backfill also
records its unchanged partitions, with the data version they already had.

The real parser on the bundled sample reports, a persistent test instance, runs over a year's
partition range as a backfill (BACKFILL_POLICY) makes them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.data_version import CODE_VERSION_TAG, DATA_VERSION_TAG
from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value
from dagster._core.storage.tags import BACKFILL_ID_TAG

from assets.assets import ALL_ASSETS, INGEST_KEYS, TABLE_KEYS, parse_reports
from assets.cli_runs import partition_range_tags
from assets.defs.partitions import REGION_DIMENSION, report_partition_key
from assets.defs.resources import PipelineStorage
from gi_pipeline import manifest, warehouse
from gi_pipeline import vocabulary as v
from gi_pipeline.partition_writer import partition_report_counts

SAMPLES = Path(str(resources.files("gi_pipeline") / "data" / "sample_reports"))
SEED_000 = "000_086aff29061571b0.txt"  # 2024 | 640000
CHANGED = "640000|2024"
PARSE_KEYS = list(parse_reports.keys)
REPORTS = TABLE_KEYS[v.TABLE_REPORTS]


@dataclass
class Pipeline:
    raw: Path
    warehouse: Path
    instance: dg.DagsterInstance

    def materialize(self, selection, tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
        storage = PipelineStorage(raw_dir=str(self.raw), warehouse_dir=str(self.warehouse), parse_workers=1)
        return dg.materialize(ALL_ASSETS, selection=selection, instance=self.instance,
                              resources={"storage": storage}, tags=tags)

    def year_2024(self, tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
        """One run over every region of 2024, as a backfill of the year makes it."""
        regions = self.instance.get_dynamic_partitions(REGION_DIMENSION)
        return self.materialize(PARSE_KEYS, {**partition_range_tags(2024, 2024, regions), **(tags or {})})


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLES, raw)
    with dg.instance_for_test() as instance:
        built = Pipeline(raw, tmp_path / "warehouse", instance)
        assert built.materialize(INGEST_KEYS).success
        yield built


def _events(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str | None], dg.AssetMaterialization]:
    """(asset, partition) -> its materialization in the run."""
    found = {}
    for event in result.get_asset_materialization_events():
        m = event.step_materialization_data.materialization
        found[(m.asset_key.to_user_string(), m.partition)] = m
    return found


def _meta(m: dg.AssetMaterialization, label: str):
    return getattr(m.metadata[label], "value", m.metadata[label])


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file() and "/year=" in p.as_posix()}


def test_code_version_is_the_manifests_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(parse_reports.code_versions_by_key.values()) == {manifest.code_version()}
    # One source of truth: the versions every manifest records -- another suite is another code version.
    before = manifest.code_version()
    monkeypatch.setattr(manifest, "suites_version", lambda: "bumped-suites")
    assert manifest.code_version() != before


def test_a_run_records_only_the_partitions_it_rewrote(pipeline: Pipeline) -> None:
    catalog = warehouse.read_catalog(pipeline.warehouse)
    with_reports = sorted(str(report_partition_key(y, r)) for y, r in partition_report_counts(catalog) if y == 2024)
    assert CHANGED in with_reports and len(with_reports) >= 2

    first = pipeline.year_2024()
    assert first.success
    events = _events(first)
    # Every partition with reports written, each table its own materialization with its data
    # version: the fingerprint its manifest records.
    for key in with_reports:
        year, region = int(key.split("|")[1]), key.split("|")[0]
        fingerprint = manifest.read_fingerprint(pipeline.warehouse, year, region)
        for asset in PARSE_KEYS:
            m = events[(asset.to_user_string(), key)]
            assert m.tags[DATA_VERSION_TAG] == fingerprint and m.tags[CODE_VERSION_TAG] == manifest.code_version()
            assert _meta(m, "unchanged") is False
        assert _meta(events[(v.TABLE_REPORTS, key)], "dagster/partition_row_count") == partition_report_counts(
            catalog)[(year, region)]
    # The regions without a 2024 report have nothing on disk: unchanged, recorded once because this
    # instance had never seen them (else the UI would show them missing).
    empty = {p for _, p in events} - set(with_reports)
    assert empty and all(_meta(events[(v.TABLE_REPORTS, p)], "unchanged") for p in empty)
    assert {m.tags[DATA_VERSION_TAG] for (_, p), m in events.items() if p in empty} == {manifest.empty_fingerprint()}
    assert first.get_asset_check_evaluations()  # the written partitions were validated

    # The same run again: nothing rewritten, nothing recorded, no check evaluated.
    before = _files(pipeline.warehouse)
    again = pipeline.year_2024()
    assert again.success
    assert _events(again) == {}
    assert again.get_asset_check_evaluations() == []
    assert _files(pipeline.warehouse) == before
    for asset in PARSE_KEYS:  # the instance still knows every partition as materialized
        assert pipeline.instance.get_materialized_partitions(asset) == {p for _, p in events}
    # ... and the UI's partition status shows none failed or in progress (the run succeeded).
    status = get_and_update_asset_status_cache_value(pipeline.instance, REPORTS, parse_reports.partitions_def)
    assert status is not None
    assert list(status.deserialize_failed_partition_subsets(parse_reports.partitions_def).get_partition_keys()) == []
    assert list(status.deserialize_in_progress_partition_subsets(parse_reports.partitions_def).get_partition_keys()) == []

    # One report changes: its partition alone is rewritten and recorded, with a new data version.
    with (pipeline.raw / SEED_000).open("ab") as f:
        f.write(b"\n")
    assert pipeline.materialize(INGEST_KEYS).success
    third = pipeline.year_2024()
    assert third.success
    changed = _events(third)
    assert set(changed) == {(asset.to_user_string(), CHANGED) for asset in PARSE_KEYS}
    new_version = changed[(v.TABLE_REPORTS, CHANGED)].tags[DATA_VERSION_TAG]
    assert new_version == manifest.read_fingerprint(pipeline.warehouse, 2024, "640000")
    assert new_version != events[(v.TABLE_REPORTS, CHANGED)].tags[DATA_VERSION_TAG]
    # Its checks are evaluated: the run's result, and the partition's own share.
    evaluations = third.get_asset_check_evaluations()
    assert {e.partition for e in evaluations} == {None, CHANGED}
    assert {e.check_name for e in evaluations if e.partition == CHANGED} == {
        e.check_name for e in evaluations if e.partition is None}
    run_level = [e for e in evaluations if e.partition is None]
    assert all(_meta_text(e, "partitions") == CHANGED for e in run_level)
    assert pipeline.instance.get_latest_data_version_record(REPORTS, partition_key=CHANGED).event_log_entry.tags[
        DATA_VERSION_TAG] == new_version


def _meta_text(evaluation, label: str) -> str:
    return evaluation.metadata[label].value


def test_a_backfill_records_unchanged_partitions_with_the_same_data_version(pipeline: Pipeline) -> None:
    """Dagster 1.13 fails a backfill whose successful run leaves a targeted partition without a
    materialization: in a backfill the unchanged partitions are recorded, marked unchanged, with
    the data version they were written with (nothing downstream turns stale)."""
    first = pipeline.year_2024()
    assert first.success
    before = _files(pipeline.warehouse)
    backfill = pipeline.year_2024(tags={BACKFILL_ID_TAG: "backfill-1"})
    assert backfill.success
    assert _files(pipeline.warehouse) == before  # nothing rewritten
    again = _events(backfill)
    assert set(again) == set(_events(first))
    for key, m in again.items():
        assert _meta(m, "unchanged") is True
        assert m.tags[DATA_VERSION_TAG] == _events(first)[key].tags[DATA_VERSION_TAG]
    assert backfill.get_asset_check_evaluations() == []


def _staleness(pipeline: Pipeline, key: dg.AssetKey, partition: str, assets=ALL_ASSETS):
    """(status, reasons) of one partition as the UI computes them."""
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
    from dagster._core.definitions.data_version import CachingStaleStatusResolver
    from dagster._core.loader import LoadingContextForTest

    resolver = CachingStaleStatusResolver(
        pipeline.instance, AssetGraph.from_assets(assets), LoadingContextForTest(pipeline.instance)
    )
    return resolver.get_status(key, partition).value, [c.reason for c in resolver.get_stale_causes(key, partition)]


def test_the_ui_marks_partitions_stale_on_new_code_or_new_inputs(pipeline: Pipeline) -> None:
    text = dg.AssetKey(warehouse.STAGE_NORMALIZED_TEXT)
    assert pipeline.year_2024().success
    assert _staleness(pipeline, text, CHANGED) == ("FRESH", [])
    assert _staleness(pipeline, REPORTS, CHANGED) == ("FRESH", [])
    # Another parser, suites or schema: another code version, every partition stale.
    bumped = parse_reports.map_asset_specs(lambda spec: spec.replace_attributes(code_version="another"))
    others = [a for a in ALL_ASSETS if a is not parse_reports]
    assert _staleness(pipeline, REPORTS, CHANGED, [*others, bumped]) == ("STALE", ["has a new code version"])
    # An inventory that changed no partition's inputs leaves them fresh (its data version is the
    # hash of the partitions' fingerprints) ...
    assert pipeline.materialize(INGEST_KEYS).success
    assert _staleness(pipeline, text, CHANGED) == ("FRESH", [])
    # ... one that changed a report makes the partitions stale through raw_inventory, until rewritten.
    with (pipeline.raw / SEED_000).open("ab") as f:
        f.write(b"\n")
    assert pipeline.materialize(INGEST_KEYS).success
    assert _staleness(pipeline, text, CHANGED) == ("STALE", ["has a new dependency data version"])
    assert pipeline.year_2024().success
    assert _staleness(pipeline, text, CHANGED) == ("FRESH", [])
    # raw_inventory is one unpartitioned asset: the partitions it did not change stay marked stale
    # (docs/ui.md; its partitions_touched names the changed ones).
    assert _staleness(pipeline, text, "150000|2024")[0] == "STALE"
