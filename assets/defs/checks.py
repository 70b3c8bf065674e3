"""Asset checks: one per GX suite (expectations/*.json), on the table the suite is about.

As in Dagster's own data platform they are declared on the asset (``check_specs``) and their results
are returned by its step (``AssetCheckResult`` for the run, ``AssetCheckEvaluation`` per partition), which
works for multi-partition runs.  No definitions
here: the specs travel with the assets of ``facts`` and ``cross_year``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import dagster as dg

from gi_pipeline import quality, suites
from gi_pipeline import vocabulary as v

from .common import CROSS_YEAR, TABLE_KEYS

SUITES = quality.load_suites(scope=suites.PARTITION)
CROSS_YEAR_SUITES = quality.load_suites(scope=suites.WAREHOUSE)
_SUITE_ASSETS = {**TABLE_KEYS, v.TABLE_CROSS_YEAR_ISSUES: CROSS_YEAR}
_CHECK_SEVERITY = {suites.ERROR: dg.AssetCheckSeverity.ERROR, suites.WARN: dg.AssetCheckSeverity.WARN}


def check_specs(suite_list: Sequence[quality.Suite]) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name=s.name,
            asset=_SUITE_ASSETS[s.table],
            description=f"GX suite expectations/{s.name}.json ({s.severity}): "
            + "; ".join(e["meta"]["notes"] for e in s.body["expectations"]),
        )
        for s in suite_list
    ]


FACT_CHECK_SPECS = check_specs(SUITES)


def check_results(
    suite_list: Sequence[quality.Suite],
    results: Sequence[quality.SuiteResult],
    partitions: Sequence[str] = (),
    failed_partitions: Mapping[str, Sequence[str]] | None = None,
) -> list[dg.AssetCheckResult]:
    """One result per suite for the run, its partitions' results merged (a suite that saw no rows
    passes with rows_checked 0); ``failed_partitions``: suite -> the partitions of the run failing it."""
    by_suite: dict[str, list[quality.SuiteResult]] = {s.name: [] for s in suite_list}
    for result in results:
        by_suite[result.suite].append(result)
    out = []
    for suite in suite_list:
        parts = by_suite[suite.name]
        merged = quality.SuiteResult(
            suite.name,
            suite.table,
            suite.severity,
            all(p.success for p in parts),
            sum(p.rows_checked for p in parts),
            tuple(f for p in parts for f in p.findings),
        )
        out.append(
            dg.AssetCheckResult(
                asset_key=_SUITE_ASSETS[suite.table],
                check_name=suite.name,
                passed=merged.success,
                severity=_CHECK_SEVERITY[suite.severity],
                metadata={
                    "partitions": ", ".join(partitions) or "-",
                    **({"failed_partitions": ", ".join(failed_partitions.get(suite.name, ())) or "-"}
                       if failed_partitions is not None else {}),
                    **quality.check_metadata(merged),
                },
            )
        )
    return out


def partition_check_evaluations(
    partition: str, results: Sequence[quality.SuiteResult]
) -> Iterator[dg.AssetCheckEvaluation]:
    """One partition's check evaluations in a run over several partitions."""
    for result in results:
        yield dg.AssetCheckEvaluation(
            asset_key=_SUITE_ASSETS[result.table],
            check_name=result.suite,
            passed=result.success,
            severity=_CHECK_SEVERITY[result.severity],
            metadata=quality.check_metadata(result),
            partition=partition,
        )
