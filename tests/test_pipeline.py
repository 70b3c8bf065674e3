"""End to end through Dagster: the seeds plus synthetic reports with injected identity violations,
run with ``gi-pipeline run`` against a persistent instance, then read back from the warehouse and
from the instance's asset-check records."""

from __future__ import annotations

import io
import math
import shutil
from importlib import resources

import dagster as dg
import polars as pl
import pytest

from assets.assets import SUITES, TABLE_KEYS
from assets.cli import run
from assets.defs.partitions import report_partition_key
from gi_pipeline import identities as ids
from gi_pipeline import vocabulary as v
from gi_pipeline import warehouse
from tests.synth import generate_report

from .seed_labels import SEEDS

pytestmark = pytest.mark.slow  # the whole pipeline through Dagster on a persistent instance

SAMPLES = resources.files("gi_pipeline") / "data" / "sample_reports"
SEED_PARTITIONS = {(s.year, s.province_code) for s in SEEDS}
IDENTITY_SUITES = [s for s in SUITES if s.check is None]


def _violating_reports(count: int) -> list:
    """Synthetic reports whose totals are off, each in a partition of its own (none of the seeds')."""
    found, used = [], set(SEED_PARTITIONS)
    seed = 0
    while len(found) < count:
        seed += 1
        s = generate_report(seed, defect="identity_violation", noise=False)
        if (s.year, s.province_code) not in used:
            used.add((s.year, s.province_code))
            found.append(s)
    return found


SEED_004 = next(s for s in SEEDS if s.file.startswith("004"))
NEXT_YEAR_004 = "004_next_year_carried_over_error.txt"


def _next_year_of_seed_004() -> bytes:
    """Seed 004's agency one year later, with carried_over 5 where 2024 carried 4 forward; its
    normative documents still say 8 in force where 8 + 4 issued - 1 repealed = 11 was due."""
    text = (SAMPLES / SEED_004.file).read_text(encoding="utf-8").replace("2024", "2025")
    row = "二、上年結轉政府信息公開申請數量 | 4 | 0 | 0 | 0 | 0 | 0 | 4 |"
    assert row in text
    return text.replace(row, row.replace("| 4 |", "| 5 |")).encode("utf-8")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, make_dagster_home) -> dict:
    root = tmp_path_factory.mktemp("pipeline")
    raw = root / "raw"
    raw.mkdir()
    for seed in SEEDS:
        shutil.copyfile(SAMPLES / seed.file, raw / seed.file)
    violating = _violating_reports(3)
    for s in violating:
        (raw / s.name).write_bytes(s.raw)
    (raw / NEXT_YEAR_004).write_bytes(_next_year_of_seed_004())
    home = make_dagster_home()  # its own instance: the checks it records are read back below
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(home))
    out = io.StringIO()
    wh = root / "warehouse"
    code = run(raw, wh, None, out=out)
    yield {"code": code, "out": out.getvalue(), "warehouse": wh, "violating": violating, "home": home}
    mp.undo()


def test_run_succeeds_and_reports_progress(pipeline) -> None:
    assert pipeline["code"] == 0, pipeline["out"]
    assert "[9/9]" in pipeline["out"]
    assert "checks failed: " in pipeline["out"]


def test_seed_cells_through_the_warehouse(pipeline) -> None:
    wh = pipeline["warehouse"]
    reports = warehouse.scan(v.TABLE_REPORTS, wh).collect()
    for seed in SEEDS:
        row = reports.filter(pl.col("source_file") == seed.file).row(0, named=True)
        assert (row["year"], row["region"], row["admin_code"], row["template"]) == (
            seed.year, seed.province_code, seed.admin_code, seed.template
        )
        doc = row["doc_id"]
        requests = warehouse.scan(v.TABLE_REQUESTS, wh).filter(pl.col("doc_id") == doc).collect()
        assert {(r, a): x for r, a, x in requests.select("row_key", "applicant", "value").iter_rows()} == seed.requests()
        disclosure = warehouse.scan(v.TABLE_ACTIVE_DISCLOSURE, wh).filter(pl.col("doc_id") == doc).collect()
        got = {(i, m): x for i, m, x in disclosure.select("item", "metric", "value").iter_rows()}
        assert got.keys() == seed.disclosure.keys()
        assert all(math.isclose(got[k], seed.disclosure[k]) for k in got)
        review = warehouse.scan(v.TABLE_REVIEW_LITIGATION, wh).filter(pl.col("doc_id") == doc).collect()
        assert {(p, o): x for p, o, x in review.select("proceeding", "outcome", "value").iter_rows()} == seed.review_cells()
        issues = warehouse.scan(v.TABLE_QUALITY_ISSUES, wh).filter(pl.col("doc_id") == doc).collect()
        errors = {(c, t, r) for c, s, t, r in issues.select("check", "severity", "table", "row_key").iter_rows() if s == "error"}
        assert errors == seed.errors
        assert not any(c.startswith(v.Check.IDENTITY_PREFIX) for c in issues["check"]), seed.file


def test_quality_issues_name_each_violating_report(pipeline) -> None:
    wh = pipeline["warehouse"]
    issues = warehouse.scan(v.TABLE_QUALITY_ISSUES, wh).filter(pl.col("check").str.starts_with("identity")).collect()
    reports = warehouse.scan(v.TABLE_REPORTS, wh).collect()
    flagged = set(reports.join(issues, on="doc_id")["source_file"])
    # The next-year copy of seed 004 breaks its own balance too (new + carried over = 109 + 5).
    assert flagged == {s.name for s in pipeline["violating"]} | {NEXT_YEAR_004}


def _check_records(instance: dg.DagsterInstance, suite) -> dict[str, bool]:
    """Latest evaluation of a check per partition (a run over several partitions records each
    partition's evaluation; a one-partition run's evaluation belongs to the run's partition)."""
    key = dg.AssetCheckKey(TABLE_KEYS[suite.table], suite.name)
    history = instance.event_log_storage.get_asset_check_execution_history(key, limit=100)
    by_partition: dict[str, bool] = {}
    for record in reversed(history):  # oldest first, so the latest evaluation wins
        if record.evaluation is not None:
            partition = record.evaluation.partition or instance.get_run_by_id(record.run_id).tags.get("dagster/partition")
            if partition is not None:  # not the run-wide result of a multi-partition run
                by_partition[partition] = record.evaluation.passed
    return by_partition


def bad_keys_of(pipeline) -> set[str]:
    """Partitions of the reports that break an identity (the next-year copy of seed 004 included)."""
    keys = {str(report_partition_key(s.year, s.province_code)) for s in pipeline["violating"]}
    return keys | {str(report_partition_key(2025, SEED_004.province_code))}


def _run_wide_failed_partitions(instance: dg.DagsterInstance, suite) -> set[str]:
    """The partitions that the latest run-wide evaluation of a check names as failing it."""
    key = dg.AssetCheckKey(TABLE_KEYS[suite.table], suite.name)
    for record in instance.event_log_storage.get_asset_check_execution_history(key, limit=100):
        evaluation = record.evaluation
        if evaluation is not None and evaluation.partition is None and "failed_partitions" in evaluation.metadata:
            return set(evaluation.metadata["failed_partitions"].value.split(", ")) - {"-"}
    raise AssertionError(f"no run-wide evaluation of {suite.name}")


def test_instance_records_failed_checks_for_violating_partitions_only(pipeline) -> None:
    with dg.DagsterInstance.from_config(str(pipeline["home"])) as instance:
        records = {suite.name: _check_records(instance, suite) for suite in SUITES}
        run_wide = {suite.name: _run_wide_failed_partitions(instance, suite) for suite in SUITES}
    # The run's own result of each check names the partitions failing it.
    assert run_wide == {name: {k for k, passed in by_key.items() if not passed} for name, by_key in records.items()}
    assert set().union(*run_wide.values()) == bad_keys_of(pipeline)
    seed_keys = {str(report_partition_key(y, r)) for y, r in SEED_PARTITIONS}
    bad_keys = bad_keys_of(pipeline)
    for suite in SUITES:
        assert set(records[suite.name]) == seed_keys | bad_keys, suite.name
        for key in seed_keys:
            assert records[suite.name][key], (suite.name, key)
    for key in bad_keys:
        assert any(not records[s.name][key] for s in IDENTITY_SUITES), key
        assert all(records[s.name][key] for s in SUITES if s not in IDENTITY_SUITES), key


def test_cross_year_asset_names_both_reports_of_each_mismatch(pipeline) -> None:
    wh = pipeline["warehouse"]
    files = dict(warehouse.scan(v.TABLE_REPORTS, wh).select("doc_id", "source_file").collect().iter_rows())
    found = warehouse.scan(v.TABLE_CROSS_YEAR_ISSUES, wh).collect()
    got = sorted(
        (files[d], files[p], c, s, r) for d, p, c, s, r in found.select(
            "doc_id", "previous_doc_id", "check", "severity", "row_key"
        ).iter_rows()
    )
    pair = (NEXT_YEAR_004, SEED_004.file)
    assert got == [
        (*pair, ids.CROSS_YEAR_CARRY_OVER, v.SEVERITY_WARNING, "natural_person"),
        (*pair, ids.CROSS_YEAR_CARRY_OVER, v.SEVERITY_WARNING, "total"),
        (*pair, ids.CROSS_YEAR_IN_FORCE, v.SEVERITY_WARNING, "normative_documents"),
    ]
    assert "normative_documents: 8 ≠ 11 (off by -3)" in found["detail"].to_list()[-1]
    with dg.DagsterInstance.from_config(str(pipeline["home"])) as instance:
        key = dg.AssetCheckKey(dg.AssetKey(v.TABLE_CROSS_YEAR_ISSUES), "cross_year_identities")
        latest = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)[0]
        assert latest.evaluation.passed is False
        assert latest.evaluation.severity == dg.AssetCheckSeverity.WARN
