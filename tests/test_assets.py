"""The Dagster layer: definitions, inventory, partition runs, the CLI, idempotence.

Most tests use a tiny fake ``parse_report`` (monkeypatched) so they test the pipeline, not the
parser; the ``integration`` tests at the end run the real parser over the bundled sample reports.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

import gi_pipeline.report
from assets import cli
from assets.assets import (
    ALL_ASSETS,
    BACKFILL_POLICY,
    CROSS_YEAR,
    NORMALIZED_TEXT,
    QUARANTINE,
    RAW_INVENTORY,
    TABLE_KEYS,
    parse_reports,
)
from assets.definitions import defs
from assets.defs.partitions import report_partition_key, split_partition_key
from assets.defs.resources import PipelineStorage, bundled_sample_reports
from gi_pipeline import vocabulary as v
from gi_pipeline import warehouse
from gi_pipeline.inventory import build_inventory
from gi_pipeline.records import (
    DisclosureFact,
    ParsedReport,
    QualityIssue,
    Quarantined,
    RegionMatch,
    ReportMetadata,
    RequestFact,
    ReviewFact,
    SectionRecord,
)
from gi_pipeline.schema import SCHEMAS
from gi_pipeline.years import report_years

REPO = Path(__file__).resolve().parents[1]
PARSE_KEYS = list(parse_reports.keys)
INGEST_KEYS = [RAW_INVENTORY, QUARANTINE]


# --------------------------------------------------------------------------------------------
# A fake parser: "REPORT year=2024 region=640000 [n=3] [bad=1]" -> ParsedReport
# --------------------------------------------------------------------------------------------


def fake_parse_report(raw: bytes, source_file: str) -> ParsedReport | Quarantined:
    sha = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8")
    if text.startswith("BOOM"):
        raise ValueError(f"parser bug on {source_file}")
    if not text.startswith("REPORT"):
        return Quarantined(source_file, sha, "not an annual report")
    fields = dict(part.split("=", 1) for part in text.split()[1:])
    region = fields.get("region", v.UNKNOWN_REGION)
    year = int(fields["year"]) if "year" in fields else None
    issues = [QualityIssue(v.Check.BLANK_CELL, v.SEVERITY_WARNING, v.TABLE_REQUESTS, "granted", "blank")]
    if "bad" in fields:
        issues.append(QualityIssue(v.Check.TABLE_MISSING, v.SEVERITY_ERROR, v.TABLE_REVIEW_LITIGATION, None, "none"))
    meta = ReportMetadata(
        title=f"{source_file} 政府信息公开工作年度报告",
        agency="某某局",
        year=year,
        published_date="2025-01-23",
        template=None,  # no template: the GX completeness suite expects no rows of a fake report
        traditional=False,
        region=RegionMatch(
            admin_code=None if region == v.UNKNOWN_REGION else region,
            province_code=None if region == v.UNKNOWN_REGION else region,
        ),
    )
    return ParsedReport(
        doc_id=sha,
        source_file=source_file,
        metadata=meta,
        original_text=text,
        text=text,
        sections=(SectionRecord(1, "overview", "一、总体情况", text, 0, len(text)),),
        disclosure=(DisclosureFact("rules", "issued", 1.0),),
        requests=(RequestFact("new_received", "total", int(fields.get("n", 1))),),
        review=(ReviewFact("review", "upheld", 0),),
        issues=tuple(issues),
    )


@pytest.fixture
def fake_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gi_pipeline.report, "parse_report", fake_parse_report)


def write_raw(raw_dir: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = raw_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return raw_dir


RAW_FILES: dict[str, str | bytes] = {
    "nx/a.txt": "REPORT year=2024 region=640000 n=3",
    "nx/b.txt": "REPORT year=2024 region=640000 n=4 bad=1",
    "nx/copy-of-a.txt": "REPORT year=2024 region=640000 n=3",
    "zj/c.txt": "REPORT year=2021 region=330000",
    "unknown.txt": "REPORT year=2024",
    "notes.txt": "meeting notes",
    "broken.txt": "BOOM",
    "no-year.txt": "REPORT region=110000",
    "old.txt": "REPORT year=2007 region=110000",  # before the Regulations (2008)
    ".hidden": "REPORT year=2024 region=640000",
}


def storage(raw_dir: Path, warehouse_dir: Path) -> dict[str, PipelineStorage]:
    return {"storage": PipelineStorage(raw_dir=str(raw_dir), warehouse_dir=str(warehouse_dir))}


def parquet_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


# --------------------------------------------------------------------------------------------
# Definitions
# --------------------------------------------------------------------------------------------


def test_definitions_load() -> None:
    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    graph = loaded.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {"raw_inventory", "quarantine", "normalized_text", *v.PARTITIONED_TABLES, v.TABLE_CROSS_YEAR_ISSUES}

    def parents(key: dg.AssetKey) -> set[dg.AssetKey]:
        return set(graph.get(key).parent_keys)

    assert parents(NORMALIZED_TEXT) == {RAW_INVENTORY}
    assert parents(TABLE_KEYS[v.TABLE_SECTIONS]) == {NORMALIZED_TEXT}
    for name in v.PARTITIONED_TABLES:
        if name != v.TABLE_SECTIONS:
            assert parents(TABLE_KEYS[name]) == {TABLE_KEYS[v.TABLE_SECTIONS]}
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["raw_inventory"] == groups["quarantine"] == "ingest"
    assert groups["normalized_text"] == groups["sections"] == "parse"
    assert {groups[n] for n in (*v.FACT_TABLES, v.TABLE_REPORTS)} == {"facts"}
    assert groups[v.TABLE_QUALITY_ISSUES] == groups[v.TABLE_CROSS_YEAR_ISSUES] == "quality"
    assert parents(CROSS_YEAR) == {TABLE_KEYS[n] for n in (v.TABLE_REPORTS, v.TABLE_REQUESTS, v.TABLE_ACTIVE_DISCLOSURE)}


def test_every_asset_documents_its_parquet_contract() -> None:
    specs = {spec.key: spec for a in ALL_ASSETS for spec in a.specs}
    for key, spec in specs.items():
        assert spec.description and spec.group_name, key
        column_schema = spec.metadata["dagster/column_schema"]
        assert all(column.description for column in column_schema.columns), key
    for name in [*v.PARTITIONED_TABLES, *v.UNPARTITIONED_TABLES]:
        columns = [c.name for c in specs[dg.AssetKey(name)].metadata["dagster/column_schema"].columns]
        expected = SCHEMAS[name].names + (["year", "region"] if name in v.PARTITIONED_TABLES else [])
        assert columns == expected


def test_partition_keys() -> None:
    key = report_partition_key(2024, "640000")
    assert str(key) == "640000|2024"  # dimensions are ordered by name
    assert split_partition_key(key) == split_partition_key("640000|2024") == (2024, "640000")
    dims = {d.name: d.partitions_def for d in parse_reports.partitions_def.partitions_defs}
    assert dims["region"].name == "region"  # dynamic, registered by raw_inventory
    assert dims["year"].get_partition_keys() == [str(y) for y in report_years()]
    assert BACKFILL_POLICY.max_partitions_per_run and BACKFILL_POLICY.max_partitions_per_run > 1


# --------------------------------------------------------------------------------------------
# Inventory
# --------------------------------------------------------------------------------------------


def test_inventory_catalogs_duplicates_and_quarantines_failures(tmp_path: Path, fake_parser: None) -> None:
    raw = write_raw(tmp_path / "raw", RAW_FILES | {"dup-of-broken.txt": "BOOM"})
    errors: list[str] = []
    inventory = build_inventory(raw, on_error=lambda f, tb: errors.append(f))
    rows = {r["source_file"]: r for r in inventory.catalog.to_pylist()}
    assert list(rows) == sorted(rows)  # stable order
    assert ".hidden" not in rows
    assert rows["nx/a.txt"]["role"] == "report"
    assert (rows["nx/a.txt"]["year"], rows["nx/a.txt"]["region"]) == (2024, "640000")
    assert rows["nx/copy-of-a.txt"]["role"] == "duplicate"
    assert rows["nx/copy-of-a.txt"]["duplicate_of"] == "nx/a.txt"
    assert rows["unknown.txt"]["region"] == "000000"
    assert inventory.partitions == {(2021, "330000"): 1, (2024, "000000"): 1, (2024, "640000"): 2}
    reasons = {q.source_file: q.reason for q in inventory.quarantined}
    assert set(reasons) == {"notes.txt", "broken.txt", "dup-of-broken.txt", "no-year.txt", "old.txt"}
    assert reasons["broken.txt"].startswith("parse_error: ValueError: parser bug on broken.txt")
    assert reasons["dup-of-broken.txt"] == reasons["broken.txt"]
    assert reasons["no-year.txt"].startswith("year_unknown")
    assert reasons["old.txt"].startswith("year_out_of_range")
    assert errors == ["broken.txt"]  # parsed once, the duplicate is not re-parsed


# --------------------------------------------------------------------------------------------
# Materializing partitions
# --------------------------------------------------------------------------------------------


def _materialize(instance, resources, partition_key=None, selection=PARSE_KEYS, **kwargs):
    return dg.materialize(
        ALL_ASSETS,
        selection=selection,
        instance=instance,
        resources=resources,
        partition_key=str(partition_key) if partition_key is not None else None,
        **kwargs,
    )


def _metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict:
    for event in result.get_asset_materialization_events():
        m = event.step_materialization_data.materialization
        if m.asset_key == key:
            return {k: getattr(val, "value", val) for k, val in m.metadata.items()}
    raise AssertionError(f"no materialization of {key}")


def test_materialize_one_partition(tmp_path: Path, fake_parser: None) -> None:
    raw = write_raw(tmp_path / "raw", RAW_FILES)
    wh = tmp_path / "warehouse"
    res = storage(raw, wh)
    with dg.instance_for_test() as instance:
        ingest = _materialize(instance, res, selection=INGEST_KEYS)
        assert ingest.success
        assert instance.get_dynamic_partitions("region") == ["000000", "330000", "640000"]
        assert _metadata(ingest, QUARANTINE)["dagster/row_count"] == 4
        assert warehouse.scan(v.TABLE_QUARANTINE, wh).collect().height == 4

        result = _materialize(instance, res, report_partition_key(2024, "640000"))
        assert result.success
        reports_meta = _metadata(result, TABLE_KEYS[v.TABLE_REPORTS])
        assert reports_meta["reports_parsed"] == 2
        assert reports_meta["error_issues"] == 1 and reports_meta["warning_issues"] == 2
        assert reports_meta["dagster/partition_row_count"] == 2
        assert _metadata(result, TABLE_KEYS[v.TABLE_REQUESTS])["dagster/partition_row_count"] == 2
        materialized = {(e.asset_key.to_user_string(), e.partition) for e in result.get_asset_materialization_events()}
        assert materialized == {(k.to_user_string(), "640000|2024") for k in PARSE_KEYS}

    for name in v.PARTITIONED_TABLES:
        assert warehouse.existing_partitions(wh, name) == [(2024, "640000")]
    reports = warehouse.scan(v.TABLE_REPORTS, wh).collect()
    assert sorted(reports["source_file"]) == ["nx/a.txt", "nx/b.txt"]  # the copy is not a second report
    assert sorted(reports["status"]) == ["flagged", "ok"]
    assert reports.schema["year"] == pl.Int32
    text = pl.read_parquet(warehouse.stage_dir(wh, "normalized_text", 2024, "640000") / "part-0.parquet")
    assert text.height == 2


def test_empty_partitions_succeed_and_remove_stale_files(tmp_path: Path, fake_parser: None) -> None:
    raw = write_raw(tmp_path / "raw", RAW_FILES)
    wh = tmp_path / "warehouse"
    res = storage(raw, wh)
    with dg.instance_for_test() as instance:
        assert _materialize(instance, res, selection=INGEST_KEYS).success
        assert _materialize(instance, res, report_partition_key(2021, "330000")).success
        assert warehouse.existing_partitions(wh, v.TABLE_REPORTS) == [(2021, "330000")]

        # A partition that never had reports: succeeds, writes nothing.
        empty = _materialize(instance, res, report_partition_key(2019, "640000"))
        assert empty.success
        assert _metadata(empty, TABLE_KEYS[v.TABLE_REPORTS])["reports_parsed"] == 0

        # The report disappears: the partition's files must go -- once confirmed, as it was the
        # year's only report (deletion of a whole year looks like an accident).
        (raw / "zj/c.txt").unlink()
        refused = _materialize(instance, res, selection=INGEST_KEYS, raise_on_error=False)
        assert not refused.success
        assert "refusing to remove 1 of 4 catalogued reports" in cli._failure_message(refused)
        confirmed = {"ops": {"ingest_raw_files": {"config": {"allow_removals": True}}}}
        assert _materialize(instance, res, selection=INGEST_KEYS, run_config=confirmed).success
        assert _materialize(instance, res, report_partition_key(2021, "330000")).success
    assert not any((wh / name / "year=2021").exists() for name in v.PARTITIONED_TABLES)
    assert not (wh / "_stage/normalized_text/year=2021").exists()
    assert warehouse.scan(v.TABLE_REPORTS, wh).collect().height == 0


def test_one_run_can_carry_several_partitions(tmp_path: Path, fake_parser: None) -> None:
    """What a backfill under BACKFILL_POLICY does: one run, a range of partition keys."""
    raw = write_raw(tmp_path / "raw", RAW_FILES)
    wh = tmp_path / "warehouse"
    res = storage(raw, wh)
    with dg.instance_for_test() as instance:
        assert _materialize(instance, res, selection=INGEST_KEYS).success
        # Regions were registered in sorted order: 000000, 330000, 640000 -> the whole 2024 row.
        tags = {ASSET_PARTITION_RANGE_START_TAG: "000000|2024", ASSET_PARTITION_RANGE_END_TAG: "640000|2024"}
        result = _materialize(instance, res, tags=tags)
        assert result.success
        meta = _metadata(result, TABLE_KEYS[v.TABLE_REPORTS])
        assert meta["partitions_in_run"] == 3 and meta["reports_parsed"] == 3
        partitions = {e.partition for e in result.get_asset_materialization_events()}
        assert partitions == {"000000|2024", "330000|2024", "640000|2024"}
    assert warehouse.existing_partitions(wh, v.TABLE_REPORTS) == [(2024, "000000"), (2024, "640000")]


def _planned_events(instance: dg.DagsterInstance, run_id: str) -> list:
    entries = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    return [entry.dagster_event.event_specific_data for entry in entries]


@pytest.mark.parametrize("ephemeral", [True, False])
def test_cli_plans_a_range_run_per_asset_on_an_ephemeral_instance(tmp_path: Path, fake_parser: None, ephemeral: bool) -> None:
    """Dagster's opt-in for one planned event per asset of a range run: taken only where no one reads
    the per-partition ones (if Dagster renamed it, the ephemeral case would see one per partition)."""
    raw = write_raw(tmp_path / "raw", RAW_FILES)
    res = storage(raw, tmp_path / "warehouse")
    make = dg.DagsterInstance.ephemeral if ephemeral else dg.instance_for_test
    tags = {ASSET_PARTITION_RANGE_START_TAG: "000000|2024", ASSET_PARTITION_RANGE_END_TAG: "640000|2024"}
    with make() as instance:
        assert _materialize(instance, res, selection=INGEST_KEYS).success
        with cli._planned_events_per_asset(instance):
            result = _materialize(instance, res, tags=tags)
        assert result.success
        ranged = [p for p in _planned_events(instance, result.run_id) if p.asset_key in PARSE_KEYS]
    assert cli._PLANNED_SUBSET_ENV not in os.environ  # restored
    if ephemeral:
        assert len(ranged) == len(PARSE_KEYS)
        assert all(set(p.partitions_subset.get_partition_keys()) == {"000000|2024", "330000|2024", "640000|2024"}
                   for p in ranged)
    else:
        assert sorted((p.asset_key.to_user_string(), p.partition) for p in ranged) == sorted(
            (k.to_user_string(), key) for k in PARSE_KEYS for key in ("000000|2024", "330000|2024", "640000|2024")
        )


def test_changed_raw_file_fails_the_partition_clearly(tmp_path: Path, fake_parser: None) -> None:
    raw = write_raw(tmp_path / "raw", RAW_FILES)
    res = storage(raw, tmp_path / "warehouse")
    with dg.instance_for_test() as instance:
        assert _materialize(instance, res, selection=INGEST_KEYS).success
        (raw / "nx/a.txt").write_text("REPORT year=2024 region=640000 n=999")
        result = _materialize(instance, res, report_partition_key(2024, "640000"), raise_on_error=False)
        assert not result.success
        assert "changed since the inventory" in cli._failure_message(result)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def test_cli_runs_every_partition_and_summarizes(tmp_path: Path, fake_parser: None, capsys) -> None:
    raw = write_raw(tmp_path / "raw", RAW_FILES)
    wh = tmp_path / "warehouse"
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(raw), "--warehouse", str(wh)]) == 0
    out = capsys.readouterr().out
    assert "inventory: 9 files, 4 reports, 1 duplicate, 4 quarantined" in out
    assert "[1/3] 2021|330000: 1 report, 0 errors, 1 warning" in out
    assert "[3/3] 2024|640000: 2 reports, 1 error, 2 warnings" in out
    assert f"explain pages of the flagged reports: 1 under {wh / '_stage' / 'explain'}" in out  # nx/b.txt
    assert "  reports                   4 rows" in out
    assert "  quarantine                4 files" in out
    assert warehouse.existing_partitions(wh, v.TABLE_REPORTS) == [(2021, "330000"), (2024, "000000"), (2024, "640000")]


def test_cli_is_idempotent(tmp_path: Path, fake_parser: None, capsys) -> None:
    raw = write_raw(tmp_path / "raw", RAW_FILES)
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w1")]) == 0
    first = parquet_files(tmp_path / "w1")
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w1")]) == 0
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w2")]) == 0
    assert parquet_files(tmp_path / "w1") == first == parquet_files(tmp_path / "w2")
    assert "_catalog/inventory.parquet" in first and "quarantine/part-0.parquet" in first


def test_cli_year_rewrites_only_that_year_and_empties_stale_partitions(
    tmp_path: Path, fake_parser: None, capsys
) -> None:
    raw = write_raw(tmp_path / "raw", RAW_FILES)
    wh = tmp_path / "warehouse"
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(raw), "--warehouse", str(wh)]) == 0
    before_2021 = parquet_files(wh / "reports" / "year=2021")
    (raw / "unknown.txt").unlink()  # 2024|000000 loses its only report
    (raw / "zj/c.txt").write_text("REPORT year=2021 region=330000 n=7")  # 2021 changes, but is not rewritten
    capsys.readouterr()
    # 1 of 4 reports gone is more than a run removes unconfirmed: refused, nothing written.
    catalog = (wh / "_catalog" / "inventory.parquet").read_bytes()
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(raw), "--warehouse", str(wh), "--year", "2024"]) == 3
    assert "refusing to remove 1 of 4 catalogued reports" in capsys.readouterr().err
    assert (wh / "_catalog" / "inventory.parquet").read_bytes() == catalog
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(raw), "--warehouse", str(wh), "--year", "2024",
                     "--allow-removals"]) == 0
    out = capsys.readouterr().out
    assert "2024|000000: 0 reports" in out and "stale files removed" in out
    assert "2021|" not in out
    assert "warehouse tables (year 2024)" in out
    assert warehouse.existing_partitions(wh, v.TABLE_REPORTS) == [(2021, "330000"), (2024, "640000")]
    assert parquet_files(wh / "reports" / "year=2021") == before_2021


def test_cli_exit_codes(tmp_path: Path, fake_parser: None, capsys) -> None:
    # Only bad inputs: handled, exit 0.
    raw = write_raw(tmp_path / "raw", {"a.txt": "BOOM", "b.bin": b"\x00\xff\xfe"})
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w")]) == 0
    assert "2 quarantined" in capsys.readouterr().out
    # An empty or missing raw directory is an error (an unmounted share looks like that): stopped.
    (tmp_path / "empty").mkdir()
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(tmp_path / "empty"), "--warehouse", str(tmp_path / "w0")]) == 3
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(tmp_path / "missing"), "--warehouse", str(tmp_path / "w")]) == 3
    assert "does not exist (not mounted?)" in capsys.readouterr().err
    # Usage errors.
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w"), "--year", "2007"]) == 2  # before 2008
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2
    # The warehouse cannot be written: stopped before anything is read, one message.
    (tmp_path / "not-a-dir").write_text("")
    good = write_raw(tmp_path / "good", {"a.txt": "REPORT year=2024 region=640000"})
    capsys.readouterr()
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(good), "--warehouse", str(tmp_path / "not-a-dir")]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"gi-pipeline: warehouse {tmp_path / 'not-a-dir'} is not usable") and err.count("\n") == 1


def test_cli_records_runs_in_dagster_home(
    tmp_path: Path, fake_parser: None, monkeypatch, capsys, make_dagster_home
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(make_dagster_home()))
    raw = write_raw(tmp_path / "raw", {"a.txt": "REPORT year=2024 region=640000"})
    assert cli.main(["run", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w")]) == 0
    with dg.DagsterInstance.get() as instance:
        assert len(instance.get_runs()) == 3  # inventory, one partition, cross-year consistency
        assert instance.get_dynamic_partitions("region") == ["640000"]
        _assert_every_asset_materialized(instance, "640000|2024")


def _assert_every_asset_materialized(instance: dg.DagsterInstance, partition: str) -> None:
    """What the UI reads: every asset has a materialization record, the partitioned ones for
    ``partition`` (and only there)."""
    for key in [*INGEST_KEYS, CROSS_YEAR]:
        assert instance.get_latest_materialization_event(key) is not None, key
    for key in PARSE_KEYS:
        assert instance.get_materialized_partitions(key) == {partition}, key
        record = instance.fetch_materializations(key, limit=1).records[0]
        assert record.partition_key == partition


def test_cli_records_into_the_project_dagster_home_by_default(
    tmp_path: Path, fake_parser: None, monkeypatch, capsys
) -> None:
    """`make run` then `make dev`: without DAGSTER_HOME the CLI uses ./.dagster_home, the instance
    `make dev` opens, so the UI shows the assets materialized; --ephemeral leaves nothing there."""
    monkeypatch.delenv("DAGSTER_HOME")  # conftest's session-wide one
    monkeypatch.chdir(tmp_path)
    raw = write_raw(tmp_path / "raw", {"a.txt": "REPORT year=2024 region=640000"})
    assert cli.main(["run", "--ephemeral", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w0")]) == 0
    assert not (tmp_path / ".dagster_home").exists()
    assert cli.main(["run", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w")]) == 0
    assert f"dagster:     {tmp_path / '.dagster_home'}" in capsys.readouterr().out
    with dg.DagsterInstance.from_config(str(tmp_path / ".dagster_home")) as instance:
        assert instance.is_persistent
        assert len(instance.get_runs()) == 3
        _assert_every_asset_materialized(instance, "640000|2024")


# --------------------------------------------------------------------------------------------
# Integration: the real parser (gi_pipeline.report.parse_report) on the bundled sample reports
# --------------------------------------------------------------------------------------------

SAMPLES = sorted(p.name for p in bundled_sample_reports().iterdir() if p.is_file())


def test_integration_real_parser_one_partition(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(bundled_sample_reports(), raw)
    write_raw(raw, {"dup/" + SAMPLES[0]: (raw / SAMPLES[0]).read_bytes(), "garbage.bin": os.urandom(256)})
    wh = tmp_path / "warehouse"
    res = storage(raw, wh)
    with dg.instance_for_test() as instance:
        assert _materialize(instance, res, selection=INGEST_KEYS).success
        catalog = warehouse.read_catalog(wh).to_pylist()
        by_file = {r["source_file"]: r for r in catalog}
        assert all(by_file[name]["role"] == "report" for name in SAMPLES), by_file
        assert by_file["dup/" + SAMPLES[0]]["role"] == "duplicate"
        assert by_file["garbage.bin"]["role"] == "quarantined"
        first = by_file[SAMPLES[0]]
        key = report_partition_key(first["year"], first["region"])
        result = _materialize(instance, res, key)
        assert result.success
    reports = warehouse.scan(v.TABLE_REPORTS, wh).collect()
    assert SAMPLES[0] in reports["source_file"].to_list()
    assert (reports["year"] == first["year"]).all() and (reports["region"] == first["region"]).all()
    assert warehouse.scan(v.TABLE_REQUESTS, wh).collect().height > 0
    assert warehouse.scan(v.TABLE_SECTIONS, wh).collect().height > 0


def test_integration_cli_on_bundled_samples_is_byte_identical(tmp_path: Path, capsys) -> None:
    wh = tmp_path / "warehouse"
    assert cli.main(["run", "--ephemeral", "--warehouse", str(wh)]) == 0
    out = capsys.readouterr().out
    assert f"inventory: {len(SAMPLES)} files, {len(SAMPLES)} reports" in out
    first = parquet_files(wh)
    assert cli.main(["run", "--ephemeral", "--warehouse", str(wh)]) == 0
    assert parquet_files(wh) == first
    assert warehouse.scan(v.TABLE_REPORTS, wh).collect().height == len(SAMPLES)


@pytest.mark.slow
def test_integration_console_script_exit_code(tmp_path: Path) -> None:
    raw = write_raw(tmp_path / "raw", {"empty.txt": b"", "noise.bin": os.urandom(64)})
    script = Path(sys.executable).with_name("gi-pipeline")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "assets.cli"]
    env = {k: val for k, val in os.environ.items() if k != "DAGSTER_HOME"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [*command, "run", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 files quarantined" in done.stdout
    assert "dagster - DEBUG" not in done.stdout + done.stderr  # Dagster's own logging is quiet


# --------------------------------------------------------------------------------------------
# The code location as Dagster's tools load it, and `make dev`'s port check
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_dg_check_defs_loads_the_code_location() -> None:
    """`dg check defs` ([tool.dg] in pyproject.toml -> assets/definitions.py -> assets/defs)."""
    dg_cli = Path(sys.executable).with_name("dg")
    if not dg_cli.exists():
        pytest.skip("dagster-dg-cli is not installed")
    env = {**os.environ, "PATH": f"{dg_cli.parent}{os.pathsep}{os.environ['PATH']}"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [str(dg_cli), "check", "defs"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All definitions loaded successfully" in done.stdout + done.stderr


def test_make_dev_refuses_a_busy_port(capsys) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as exc:
            cli.require_free_port(port)
    assert exc.value.code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    cli.require_free_port(port)  # free again: returns
