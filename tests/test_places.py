"""Places: page chrome stripped from titles and agencies, the sourced alias table of areas that are not
GB/T 2260 units, and place names one character off a real one (resolved only with a second signal)."""

from __future__ import annotations

import csv
import io
from importlib.resources import files
from pathlib import Path

import pytest

from gi_pipeline import vocabulary as v
from gi_pipeline.metadata import find_agency, find_title, strip_page_chrome
from gi_pipeline.records import ParsedReport
from gi_pipeline.regions import gazetteer, resolve_region
from gi_pipeline.report import parse_report

FIXTURES = Path(__file__).parent / "fixtures"
SEED_000 = files("gi_pipeline") / "data" / "sample_reports" / "000_086aff29061571b0.txt"


# --------------------------------------------------------------------------------------------
# Page chrome
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "stripped"),
    [
        ("标题: 平潭综合实验区2019年度政府信息公开工作年度报告", "平潭综合实验区2019年度政府信息公开工作年度报告"),
        ("发布机构: 平潭综合实验区管委会", "平潭综合实验区管委会"),
        ("首页 > 政务公开 > 政府信息公开年报 > 某县2020年政府信息公开工作年度报告", "某县2020年政府信息公开工作年度报告"),
        ("当前位置:首页 > 政府信息公开 > 政府信息公开年报 > 2024年度", "2024年度"),
        ("标题: 首页 > 年报 > 某局2021年政府信息公开工作年度报告", "某局2021年政府信息公开工作年度报告"),
        ("某局2021年政府信息公开工作年度报告", "某局2021年政府信息公开工作年度报告"),  # nothing to strip
        ("标题党整治工作情况", "标题党整治工作情况"),  # a label only with its colon
    ],
)
def test_strip_page_chrome(line: str, stripped: str) -> None:
    assert strip_page_chrome(line) == stripped


def test_an_empty_publisher_field_does_not_take_the_next_line() -> None:
    assert find_agency(None, "发布时间: 2020-01-20\n发布机构: \n栏目: 政府信息公开年报\n") is None
    assert find_agency(None, "发布机构: 平潭综合实验区管委会\n") == "平潭综合实验区管委会"


@pytest.mark.parametrize("name", ["pingtan_2019.txt", "pingtan_2022.txt"])
def test_scraped_pingtan_reports_have_clean_title_agency_and_their_county(name: str) -> None:
    report = parse_report((FIXTURES / name).read_bytes(), name)
    assert isinstance(report, ParsedReport), report
    m = report.metadata
    year = int(name[-8:-4])
    assert m.title == f"平潭综合实验区{year}年度政府信息公开工作年度报告"
    assert m.agency == "平潭综合实验区"
    assert (m.region.admin_code, m.region.county, m.region.province_code) == ("350128", "平潭县", "350000")
    assert not [i for i in report.issues if i.check.startswith("region")]


def test_title_after_a_scraper_label_and_breadcrumb() -> None:
    text = "标题: 首页 > 政务公开 > 泾源县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n"
    assert find_title(text) == "泾源县人民政府2023年政府信息公开工作年度报告"


# --------------------------------------------------------------------------------------------
# Areas that are not GB/T 2260 units
# --------------------------------------------------------------------------------------------


def _alias_rows() -> list[dict[str, str]]:
    text = (files("gi_pipeline") / "data" / "region_aliases.tsv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def test_alias_table_rows_are_sourced_and_point_to_units_in_use() -> None:
    gaz = gazetteer()
    rows = _alias_rows()
    assert len({r["name"] for r in rows}) == len(rows)
    for row in rows:
        assert row["reason"].strip() and row["source"].strip(), row
        in_use = [d for d in gaz.by_code[row["admin_code"]] if d.end is None]
        assert [d.name for d in in_use] == [row["governing_unit"]], row
        assert all(d.name != row["name"] for divisions in gaz.by_code.values() for d in divisions)


@pytest.mark.parametrize(
    ("title", "admin_code", "province_code"),
    [
        ("河北雄安新区管理委员会2023年政府信息公开工作年度报告", "130600", "130000"),  # 3 counties of 保定
        ("重庆两江新区管理委员会2022年政府信息公开工作年度报告", "500000", "500000"),  # several districts
        ("平潭综合实验区管理委员会2021年政府信息公开工作年度报告", "350128", "350000"),
        ("上海市浦东新区人民政府2021年政府信息公开工作年度报告", "310115", "310000"),  # itself a unit
    ],
)
def test_areas_resolve_to_the_unit_governing_them(title: str, admin_code: str, province_code: str) -> None:
    region = resolve_region(title, None, "", int(title.split("年")[0][-4:]))
    assert (region.admin_code, region.province_code) == (admin_code, province_code)


# --------------------------------------------------------------------------------------------
# One character off
# --------------------------------------------------------------------------------------------

MISREAD_TITLE = "大武囗区应急管理局2024年政府信息公开工作年度报告"  # 囗 (enclosure) for 口


@pytest.mark.parametrize(
    ("body", "evidence"),
    [("根据石嘴山市统一部署", "石嘴山市"), ("联系电话:0952-2012345", "landline area code of 石嘴山")],
)
def test_a_misread_name_confirmed_by_a_second_signal(body: str, evidence: str) -> None:
    region = resolve_region(MISREAD_TITLE, "大武囗区应急管理局", body, 2024)
    assert (region.admin_code, region.county) == ("640202", "大武口区")
    assert region.issues == ((v.Check.REGION_FUZZY, f"大武囗区 read as 大武口区 (640202), confirmed by {evidence}"),)


@pytest.mark.parametrize("body", ["本局认真贯彻条例", "根据南京市统一部署"])
def test_a_misread_name_without_agreeing_evidence_is_never_guessed(body: str) -> None:
    region = resolve_region(MISREAD_TITLE, "大武囗区应急管理局", body, 2024)
    assert region.admin_code != "640202"
    assert v.Check.REGION_FUZZY not in {check for check, _ in region.issues}


def test_a_misreading_two_real_names_fit_stays_at_the_level_the_evidence_decides() -> None:
    # 沐阳县: one character off 沭阳县 and 泗阳县, both counties of 宿迁市 (area code 0527).
    body = "按照宿迁市政府信息公开工作要求……联系电话:0527-83532000"
    region = resolve_region("沐阳县人民政府2023年政府信息公开工作年度报告", "沐阳县人民政府", body, 2023)
    assert (region.admin_code, region.county) == ("321300", None)  # the prefecture both lie in
    assert region.issues == (
        (v.Check.REGION_AMBIGUOUS, "沐阳县 is one character off 沭阳县 (321322), 泗阳县 (321323), all fitting 宿迁市"),
    )
    spelled_right = resolve_region("沐阳县人民政府2023年政府信息公开工作年度报告", None, "沭阳县" + body, 2023)
    assert (spelled_right.admin_code, spelled_right.county) == ("321322", "沭阳县")
    assert spelled_right.issues[0][0] == v.Check.REGION_FUZZY


def test_a_real_report_misread_in_every_place_name_has_no_region() -> None:
    """Seed 000 names only 大武口区 (no city, province or phone): misread everywhere, nothing confirms it."""
    raw = SEED_000.read_text(encoding="utf-8").replace("大武口区", "大武囗区").encode("utf-8")
    report = parse_report(raw, "000_misread.txt")
    assert isinstance(report, ParsedReport)
    assert report.metadata.region.admin_code is None
    assert report.region == v.UNKNOWN_REGION
    # Misread in the title and agency only: the body's own spelling confirms it, with a warning.
    text = SEED_000.read_text(encoding="utf-8")
    head, body = text.split("一、总体情况", 1)
    report = parse_report((head.replace("大武口区", "大武囗区") + "一、总体情况" + body).encode("utf-8"), "000.txt")
    assert report.metadata.region.admin_code == "640202"
    fuzzy = [i for i in report.issues if i.check == v.Check.REGION_FUZZY]
    assert [(i.severity, i.table, i.detail) for i in fuzzy] == [
        (v.SEVERITY_WARNING, v.TABLE_REPORTS, "大武囗区 read as 大武口区 (640202), confirmed by 大武口区 in the text")
    ]
