"""The Dagster UI for real: `dagster dev` on loopback, driven through the webserver's GraphQL API.

What a user does in the UI, done with the same GraphQL calls the UI makes:

* the asset graph lists every asset in its group, with the GX suites as asset checks;
* materializing ``raw_inventory`` (+ ``quarantine``) registers the ``region`` partitions it sees;
* one (year, region) partition of the ``parse_reports`` assets is launched with the partition tags
  the Materialize dialog sets; its Parquet files appear and its checks are evaluated;
* a year is backfilled across all regions (``launchPartitionBackfill``, the Materialize dialog's
  "launch backfill"), which the backfill policy turns into one run.

``dagster dev`` runs as its own process group (webserver, daemon, code server, run workers) with a
temporary DAGSTER_HOME, and is stopped with SIGTERM to the group (SIGKILL if it lingers).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assets.assets import PARSE_SPECS
from assets.defs.resources import RAW_DIR_ENV, WAREHOUSE_DIR_ENV, bundled_sample_reports
from gi_pipeline import manifest
from gi_pipeline.years import report_years

pytestmark = [pytest.mark.ui, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
LOCATION = "gi_pipeline"  # workspace.yaml
REPOSITORY = "__repository__"  # the implicit repository of a Definitions object
ASSET_JOB = "__ASSET_JOB"  # the implicit job the UI launches asset materializations with

STARTUP_TIMEOUT_S = 120  # webserver answering and code location loaded
RUN_TIMEOUT_S = 240  # one run or backfill to finish
STOP_TIMEOUT_S = 30  # SIGTERM grace before SIGKILL

# 2024|150000 (seed 004), 2024|640000 (seed 000), 2025|360000 (synthetic identity violation).
RAW_FILES = ["004_656a75cba6cb305a.txt", "000_086aff29061571b0.txt", "synthetic_05_pipe_utf-8_identity_violation.txt"]
PARSE_KEYS = [spec.key.to_user_string() for spec in PARSE_SPECS]


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class DagsterDev:
    url: str
    process: subprocess.Popen
    log: Path
    warehouse: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.load(response)
        assert not payload.get("errors"), f"GraphQL errors: {payload['errors']}"
        return payload["data"]


def _get(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except (OSError, ValueError):  # not listening yet, reset, timeout, half-started
        return None


WORKSPACE_QUERY = """
query Workspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name jobs { name } } }
          ... on PythonError { message }
        }
      }
    }
  }
}
"""


def wait_until_ready(server: DagsterDev) -> dict:
    """Wait for /server_info, then for the code location to be loaded; return its entry."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"dagster dev exited with {server.process.returncode}:\n{server.log_tail()}")
        info = _get(f"{server.url}/server_info")
        if info and "dagster_webserver_version" in info:
            try:
                workspace = server.graphql(WORKSPACE_QUERY)["workspaceOrError"]
            except (OSError, urllib.error.URLError):
                workspace = {}
            entries = {e["name"]: e for e in workspace.get("locationEntries", [])}
            entry = entries.get(LOCATION)
            if entry and entry["loadStatus"] == "LOADED":
                return entry
        time.sleep(1)
    pytest.fail(f"dagster dev not ready after {STARTUP_TIMEOUT_S} s:\n{server.log_tail()}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the whole process group (webserver, daemon, code server, run workers), then SIGKILL."""
    clean = True
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            clean = False
    # Children that outlived the parent, or a parent that ignored SIGTERM.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=STOP_TIMEOUT_S)
    if not clean:
        warnings.warn(f"dagster dev ignored SIGTERM for {STOP_TIMEOUT_S} s and was killed", stacklevel=2)


# `dagster dev` maps SIGTERM to its SIGINT handler; a process started from a non-interactive shell's
# background job inherits SIGINT *ignored*, and would then ignore SIGTERM too.  This trampoline
# restores the default disposition before exec'ing dagster, so SIGTERM always stops it cleanly.
_EXEC_WITH_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, make_dagster_home) -> Iterator[DagsterDev]:
    base = tmp_path_factory.mktemp("ui")
    home, raw, warehouse = make_dagster_home(), base / "raw", base / "warehouse"
    raw.mkdir()
    for name in RAW_FILES:
        shutil.copy(bundled_sample_reports() / name, raw / name)
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        RAW_DIR_ENV: str(raw),
        WAREHOUSE_DIR_ENV: str(warehouse),
        "PYTHONUNBUFFERED": "1",
    }
    log = base / "dagster-dev.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-c", _EXEC_WITH_SIGINT,
             "-m", "dagster", "dev", "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
    server = DagsterDev(url=f"http://127.0.0.1:{port}", process=process, log=log, warehouse=warehouse)
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop(process)


# --------------------------------------------------------------------------------------------
# GraphQL: launching and waiting
# --------------------------------------------------------------------------------------------

LAUNCH_MUTATION = """
mutation Launch($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on PipelineNotFoundError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""

RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId status tags { key value } }
    ... on RunNotFoundError { message }
    ... on PythonError { message }
  }
}
"""

BACKFILL_MUTATION = """
mutation Backfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PartitionKeysNotFoundError { message }
    ... on InvalidSubsetError { message }
    ... on PythonError { message stack }
  }
}
"""

BACKFILL_QUERY = """
query Backfill($backfillId: String!) {
  partitionBackfillOrError(backfillId: $backfillId) {
    __typename
    ... on PartitionBackfill { id status numPartitions runs(limit: 20) { runId status tags { key value } } }
    ... on PythonError { message }
  }
}
"""

ASSET_NODES_QUERY = """
query AssetGraph {
  assetNodes {
    assetKey { path }
    groupName
    partitionDefinition { type dimensionTypes { name type dynamicPartitionsDefinitionName } }
    assetChecksOrError { __typename ... on AssetChecks { checks { name } } }
  }
}
"""

PARTITION_KEYS_QUERY = """
query PartitionKeys($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    __typename
    ... on AssetNode { partitionKeysByDimension { name type partitionKeys } }
  }
}
"""

LATEST_QUERY = """
query Latest($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    __typename
    ... on AssetNode {
      assetMaterializations(limit: 5) {
        partition
        runId
        metadataEntries { label ... on IntMetadataEntry { intValue } }
      }
      assetChecksOrError {
        ... on AssetChecks {
          checks {
            name
            executionForLatestMaterialization {
              runId
              status
              evaluation {
                success
                severity
                metadataEntries { label ... on TextMetadataEntry { text } }
              }
            }
          }
        }
      }
    }
  }
}
"""


def asset_selection(keys: list[str]) -> list[dict]:
    return [{"path": [key]} for key in keys]


def launch(server: DagsterDev, keys: list[str], tags: dict[str, str] | None = None) -> str:
    """Launch the assets through the implicit asset job, as the UI's Materialize button does."""
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "pipelineName": ASSET_JOB,
            "assetSelection": asset_selection(keys),
        },
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
    }
    result = server.graphql(LAUNCH_MUTATION, {"executionParams": params})["launchPipelineExecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return result["run"]["runId"]


def wait_for_run(server: DagsterDev, run_id: str) -> dict:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        run = server.graphql(RUN_QUERY, {"runId": run_id})["runOrError"]
        assert run["__typename"] == "Run", run
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            assert run["status"] == "SUCCESS", f"run {run_id} ended {run['status']}:\n{server.log_tail()}"
            return run
        time.sleep(1)
    pytest.fail(f"run {run_id} not finished after {RUN_TIMEOUT_S} s:\n{server.log_tail()}")


def partition_keys(server: DagsterDev, asset: str) -> dict[str, list[str]]:
    node = server.graphql(PARTITION_KEYS_QUERY, {"assetKey": {"path": [asset]}})["assetNodeOrError"]
    assert node["__typename"] == "AssetNode", node
    return {d["name"]: d["partitionKeys"] for d in node["partitionKeysByDimension"]}


def parquet_partition(server: DagsterDev, table: str, year: int, region: str) -> Path:
    return server.warehouse / table / f"year={year}" / f"region={region}" / "part-0.parquet"


# --------------------------------------------------------------------------------------------
# Tests (in file order: each builds on the server state the previous one left)
# --------------------------------------------------------------------------------------------


def test_server_serves_the_code_location(server: DagsterDev) -> None:
    info = _get(f"{server.url}/server_info")
    assert info is not None and info["dagster_version"].startswith("1.13")
    entry = server.graphql(WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"][0]
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    (repository,) = location["repositories"]
    assert repository["name"] == REPOSITORY
    assert ASSET_JOB in {job["name"] for job in repository["jobs"]}


def test_asset_graph_groups_and_checks(server: DagsterDev) -> None:
    nodes = {"/".join(n["assetKey"]["path"]): n for n in server.graphql(ASSET_NODES_QUERY)["assetNodes"]}
    assert {key: node["groupName"] for key, node in nodes.items()} == {
        "raw_inventory": "ingest",
        "quarantine": "ingest",
        "normalized_text": "parse",
        "sections": "parse",
        "reports": "facts",
        "active_disclosure": "facts",
        "requests": "facts",
        "review_litigation": "facts",
        "quality_issues": "quality",
        "cross_year_issues": "quality",
    }
    partitioned = nodes["requests"]["partitionDefinition"]
    assert partitioned["type"] == "MULTIPARTITIONED"
    dimensions = {(d["name"], d["type"]) for d in partitioned["dimensionTypes"]}
    assert dimensions == {("year", "STATIC"), ("region", "DYNAMIC")}
    assert nodes["raw_inventory"]["partitionDefinition"] is None

    def checks(key: str) -> set[str]:
        found = nodes[key]["assetChecksOrError"]
        assert found["__typename"] == "AssetChecks", found
        return {c["name"] for c in found["checks"]}

    assert checks("requests") == {
        "requests_completeness",
        "requests_identities",
        "requests_nonnegative",
        "requests_vocabulary",
    }
    assert checks("review_litigation") == {
        "review_litigation_identities",
        "review_litigation_nonnegative",
        "review_litigation_vocabulary",
    }
    assert checks("cross_year_issues") == {"cross_year_identities"}


def test_raw_inventory_registers_region_partitions(server: DagsterDev) -> None:
    assert partition_keys(server, "requests")["region"] == []  # a new instance knows no region yet
    wait_for_run(server, launch(server, ["raw_inventory", "quarantine"]))
    keys = partition_keys(server, "requests")
    assert sorted(keys["region"]) == ["150000", "360000", "640000"]
    assert keys["year"] == [str(y) for y in report_years()]
    assert (server.warehouse / "_catalog" / "inventory.parquet").is_file()
    assert (server.warehouse / "quarantine" / "part-0.parquet").is_file()


def test_one_partition_from_the_materialize_dialog(server: DagsterDev) -> None:
    # The Materialize dialog of a multi-partitioned asset tags the run with the partition key
    # (dimensions in name order: region|year) and one tag per dimension.
    tags = {"dagster/partition": "360000|2025", "dagster/partition/region": "360000", "dagster/partition/year": "2025"}
    run = wait_for_run(server, launch(server, PARSE_KEYS, tags))
    assert {t["key"]: t["value"] for t in run["tags"]}.items() >= tags.items()

    for table in ("reports", "sections", "requests", "active_disclosure", "review_litigation", "quality_issues"):
        assert parquet_partition(server, table, 2025, "360000").is_file(), table
    assert not parquet_partition(server, "reports", 2024, "150000").exists()  # only that partition ran

    latest = server.graphql(LATEST_QUERY, {"assetKey": {"path": ["requests"]}})["assetNodeOrError"]
    (materialization,) = [m for m in latest["assetMaterializations"] if m["runId"] == run["runId"]]
    assert materialization["partition"] == "360000|2025"
    meta = {e["label"]: e.get("intValue") for e in materialization["metadataEntries"]}
    assert meta["partitions_in_run"] == 1 and meta["dagster/partition_row_count"] > 0

    # The synthetic report breaks the accounting identities: a WARN check fails, naming the file.
    checks = {c["name"]: c["executionForLatestMaterialization"] for c in latest["assetChecksOrError"]["checks"]}
    assert all(c is not None and c["runId"] == run["runId"] for c in checks.values()), checks
    identities = checks["requests_identities"]
    assert identities["status"] == "FAILED"
    assert identities["evaluation"]["severity"] == "WARN" and identities["evaluation"]["success"] is False
    check_meta = {e["label"]: e.get("text") for e in identities["evaluation"]["metadataEntries"]}
    assert check_meta["source_files"] == RAW_FILES[2]
    assert checks["requests_vocabulary"]["status"] == "SUCCEEDED"


def backfill_year(server: DagsterDev, year: int) -> dict:
    """"Materialize..." -> the year, all regions -> "Launch backfill" (this mutation); the finished
    backfill."""
    regions = sorted(partition_keys(server, "requests")["region"])
    params = {
        "partitionNames": [f"{region}|{year}" for region in regions],
        "assetSelection": asset_selection(PARSE_KEYS),
        "fromFailure": False,
        "tags": [],
    }
    result = server.graphql(BACKFILL_MUTATION, {"backfillParams": params})["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result

    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        backfill = server.graphql(BACKFILL_QUERY, {"backfillId": result["backfillId"]})["partitionBackfillOrError"]
        assert backfill["__typename"] == "PartitionBackfill", backfill
        if backfill["status"] not in ("REQUESTED", "CANCELING", "FAILING"):
            return backfill
        if time.monotonic() > deadline:
            pytest.fail(f"backfill not finished after {RUN_TIMEOUT_S} s: {backfill}\n{server.log_tail()}")
        time.sleep(1)


def test_backfill_a_year_across_all_regions(server: DagsterDev) -> None:
    backfill = backfill_year(server, 2024)
    assert backfill["status"] == "COMPLETED_SUCCESS", f"{backfill}\n{server.log_tail()}"
    assert backfill["numPartitions"] == 3
    # BackfillPolicy.multi_run(10): the three partitions of the year go in one run.
    (run,) = backfill["runs"]
    assert run["status"] == "SUCCESS"
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        "150000|2024",
        "640000|2024",
    )
    # The regions with a 2024 report got their files; 360000 has none that year and stays empty.
    assert parquet_partition(server, "reports", 2024, "150000").is_file()
    assert parquet_partition(server, "reports", 2024, "640000").is_file()
    assert not (server.warehouse / "reports" / "year=2024" / "region=360000").exists()
    assert parquet_partition(server, "reports", 2025, "360000").is_file()  # the earlier run's partition stays


VERSIONS_QUERY = """
query Versions($assetKey: AssetKeyInput!, $partitions: [String!]) {
  assetNodeOrError(assetKey: $assetKey) {
    __typename
    ... on AssetNode {
      opVersion  # the code version
      staleStatusByPartition(partitions: $partitions)
      assetMaterializations(limit: 20) {
        partition
        runId
        tags { key value }
        metadataEntries { label ... on BoolMetadataEntry { boolValue } }
      }
    }
  }
}
"""


def test_backfill_again_rewrites_nothing_and_records_the_same_data_versions(server: DagsterDev) -> None:
    """Issue 14 in the UI: a second backfill of the year finds every partition unchanged -- no
    file rewritten -- and still completes (Dagster fails a backfill whose runs leave a targeted
    partition without a materialization), recording each partition again, marked unchanged, with
    the data version it was written with; the partitions stay fresh."""
    files = {p: p.stat().st_mtime_ns for p in (server.warehouse / "reports").rglob("*.parquet")}
    partitions = ["150000|2024", "360000|2024", "640000|2024"]

    def versions() -> dict:
        node = server.graphql(VERSIONS_QUERY, {"assetKey": {"path": ["reports"]}, "partitions": partitions})
        return node["assetNodeOrError"]

    before = versions()
    backfill = backfill_year(server, 2024)
    assert backfill["status"] == "COMPLETED_SUCCESS", f"{backfill}\n{server.log_tail()}"
    (run,) = backfill["runs"]
    assert {p: p.stat().st_mtime_ns for p in (server.warehouse / "reports").rglob("*.parquet")} == files

    after = versions()
    assert after["opVersion"] == manifest.code_version()
    assert after["staleStatusByPartition"] == ["FRESH", "FRESH", "FRESH"]

    def by_partition(node: dict, run_id: str) -> dict[str, dict]:
        return {m["partition"]: m for m in node["assetMaterializations"] if m["runId"] == run_id}

    recorded = by_partition(after, run["runId"])
    assert sorted(recorded) == partitions
    for partition, m in recorded.items():
        assert {e["label"]: e.get("boolValue") for e in m["metadataEntries"]}["unchanged"] is True
        tags = {t["key"]: t["value"] for t in m["tags"]}
        earlier = next(e for e in before["assetMaterializations"] if e["partition"] == partition)
        assert tags["dagster/data_version"] == {t["key"]: t["value"] for t in earlier["tags"]}["dagster/data_version"]
        assert tags["dagster/code_version"] == manifest.code_version()
