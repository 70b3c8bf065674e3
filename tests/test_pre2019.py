"""Reports of 2008-2018: free-form, before the national templates. They are reports (metadata and
sections) with template ``pre-2019`` and a ``template_unsupported`` warning, never quarantined, and the
GX completeness suite does not expect table rows of them."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from assets.cli import run
from gi_pipeline import vocabulary as v
from gi_pipeline import warehouse
from gi_pipeline.inventory import build_inventory
from gi_pipeline.records import ParsedReport
from gi_pipeline.report import parse_report
from gi_pipeline.years import report_years

FIXTURES = Path(__file__).parent / "fixtures"
REPORT_2012 = "pre2019_dingcheng_2012.txt"


def _raw_2012() -> bytes:
    return (FIXTURES / REPORT_2012).read_bytes()


def test_report_years_run_from_the_regulations_to_the_given_year() -> None:
    assert report_years(2025) == tuple(range(2008, 2026))
    assert report_years(2031)[-1] == 2031
    assert report_years()[0] == v.FIRST_REPORT_YEAR == 2008


def test_a_2012_report_is_a_report_with_sections_and_no_tables() -> None:
    report = parse_report(_raw_2012(), REPORT_2012)
    assert isinstance(report, ParsedReport), report
    m = report.metadata
    assert (m.year, m.template, m.agency) == (2012, v.TEMPLATE_PRE_2019, "常德市鼎城区人民政府")
    assert (m.region.admin_code, m.region.province_code) == ("430703", "430000")
    headings = {s.section_key: s.heading for s in report.sections}
    assert list(headings) == ["preamble", *(s.key for s in v.SECTIONS)]
    assert headings["requests"] == "三、依申请公开政府信息情况"  # the pre-2019 heading
    assert "受理政府信息公开申请42件" in next(s.text for s in report.sections if s.section_key == "requests")
    # No table facts, no table errors: one warning says why.
    assert (report.disclosure, report.requests, report.review) == ((), (), ())
    assert [(i.check, i.severity) for i in report.issues] == [(v.Check.TEMPLATE_UNSUPPORTED, v.SEVERITY_WARNING)]
    assert report.status == v.STATUS_OK


def test_inventory_keeps_2012_and_quarantines_a_year_before_the_regulations(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / REPORT_2012).write_bytes(_raw_2012())
    (raw / "dingcheng_2007.txt").write_bytes(_raw_2012().decode("utf-8").replace("2012", "2007").encode("utf-8"))
    inventory = build_inventory(raw)
    rows = {r["source_file"]: r for r in inventory.catalog.to_pylist()}
    assert (rows[REPORT_2012]["role"], rows[REPORT_2012]["year"], rows[REPORT_2012]["region"]) == (
        "report",
        2012,
        "430000",
    )
    reasons = {q.source_file: q.reason for q in inventory.quarantined}
    assert set(reasons) == {"dingcheng_2007.txt"}
    assert reasons["dingcheng_2007.txt"].startswith("year_out_of_range")


def test_cli_writes_the_2012_report_and_its_completeness_check_passes(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / REPORT_2012).write_bytes(_raw_2012())
    wh = tmp_path / "warehouse"
    out = io.StringIO()
    assert run(raw, wh, None, out=out, ephemeral=True) == 0, out.getvalue()
    assert "checks failed" not in out.getvalue()
    reports = warehouse.scan(v.TABLE_REPORTS, wh).collect()
    assert reports.select("year", "region", "template", "status").rows() == [
        (2012, "430000", v.TEMPLATE_PRE_2019, v.STATUS_OK)
    ]
    issues = warehouse.scan(v.TABLE_QUALITY_ISSUES, wh).collect()
    assert issues["check"].to_list() == [v.Check.TEMPLATE_UNSUPPORTED]
    sections = warehouse.scan(v.TABLE_SECTIONS, wh).collect()
    assert sections.height == 1 + len(v.SECTIONS)
    for table in v.FACT_TABLES:
        assert warehouse.scan(table, wh).collect().filter(pl.col("year") == 2012).height == 0
