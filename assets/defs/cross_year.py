"""``cross_year_issues``: consecutive reports of the same agency checked against each other."""


import dagster as dg

from gi_pipeline import quality, suites, warehouse
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
    warehouse_dir = storage.warehouse_path
    tables = {
        name: warehouse.scan(name, warehouse_dir).collect()
        for name in (v.TABLE_REPORTS, v.TABLE_REQUESTS, v.TABLE_ACTIVE_DISCLOSURE)
    }
    results = quality.default_runner(suites.WAREHOUSE).run(tables)
    findings = quality.cross_year_table(results)
    path = warehouse.write_table(warehouse_dir, v.TABLE_CROSS_YEAR_ISSUES, findings)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": findings.num_rows,
            "path": dg.MetadataValue.path(str(path)),
            "reports_compared": tables[v.TABLE_REPORTS].height,
            "preview": dg.MetadataValue.md(markdown_preview(findings)),
        },
        check_results=check_results(CROSS_YEAR_SUITES, results),
    )


defs = dg.Definitions(assets=[cross_year_issues])
