"""``cross_year_issues``: consecutive reports of the same agency checked against each other."""


import dagster as dg

from gi_pipeline import cross_year, quality, suites, warehouse
from gi_pipeline import vocabulary as v
from gi_pipeline.schema import SCHEMAS

from .checks import CROSS_YEAR_SUITES, check_results, check_specs
from .common import CROSS_YEAR, GROUP_QUALITY, TABLE_KEYS, definition_metadata, markdown_preview
from .resources import PipelineStorage


@dg.asset(
    key=CROSS_YEAR,
    deps=[TABLE_KEYS[v.TABLE_REPORTS], TABLE_KEYS[v.TABLE_REQUESTS], TABLE_KEYS[v.TABLE_ACTIVE_DISCLOSURE]],
    group_name=GROUP_QUALITY,
    kinds={"parquet"},
    check_specs=check_specs(CROSS_YEAR_SUITES),
    description=(
        "Consistency of the same agency's consecutive reports (matched by agency name without spaces "
        "or punctuation, plus place code): carried_over(t) = carried_forward(t-1) per applicant, and "
        "in_force(t) = in_force(t-1) + issued(t) - repealed(t) for rules and normative documents. "
        "Mismatches are findings naming both reports; nothing is deleted.\n\n"
        f"Parquet: `warehouse/{v.TABLE_CROSS_YEAR_ISSUES}/part-0.parquet` (unpartitioned, rewritten whole)."
    ),
    metadata=definition_metadata(
        SCHEMAS[v.TABLE_CROSS_YEAR_ISSUES], False, f"{v.TABLE_CROSS_YEAR_ISSUES}/part-0.parquet"
    ),
)
def cross_year_issues(storage: PipelineStorage) -> dg.MaterializeResult:
    # Region by region, and only the regions whose partitions changed since the last run
    # (gi_pipeline.cross_year): memory stays bounded and an unchanged warehouse costs no GX call.
    warehouse_dir = storage.warehouse_path
    update = cross_year.update(warehouse_dir, quality.default_runner(suites.WAREHOUSE))
    findings = update.table
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": findings.num_rows,
            "path": dg.MetadataValue.path(str(warehouse.table_path(warehouse_dir, v.TABLE_CROSS_YEAR_ISSUES))),
            "reports_compared": update.reports_compared,
            "regions": update.regions,
            "regions_recomputed": ", ".join(update.recomputed) or "(none: no region changed)",
            "preview": dg.MetadataValue.md(markdown_preview(findings)),
        },
        check_results=check_results(CROSS_YEAR_SUITES, update.results),
    )


defs = dg.Definitions(assets=[cross_year_issues])
