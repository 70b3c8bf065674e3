"""Region resolution on the bundled seed reports, real Shanghai excerpts and shared district names."""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.resources import files

import pytest
from opencc import OpenCC

from gi_pipeline.regions import find_division_names, find_landline_places, resolve_region
from gi_pipeline.vocabulary import UNKNOWN_REGION, Check

GULOU_TITLE = "鼓楼区人民政府2023年政府信息公开工作年度报告"


@cache
def _to_simplified() -> OpenCC:
    return OpenCC("t2s")


def _normalized(text: str) -> str:
    """Simplified characters and half-width punctuation, as the parser hands texts over."""
    return unicodedata.normalize("NFKC", _to_simplified().convert(text))


def _seed_text(stem: str) -> str:
    path = files("gi_pipeline") / "data" / "sample_reports" / f"{stem}.txt"
    return _normalized(path.read_text(encoding="utf-8"))


SEEDS = [
    # (file, title, agency, year, admin_code, province_code, province, prefecture, county)
    (
        "000_086aff29061571b0",
        "大武口区应急管理局2024年政府信息公开工作年度报告",
        "大武口区应急管理局",
        2024,
        "640202",
        "640000",
        "宁夏回族自治区",
        "石嘴山市",
        "大武口区",
    ),
    # No place in the title: the body's 奉化区 decides.
    (
        "001_2db193ee677bda1d",
        "政府信息公开工作年度报告",
        None,
        2021,
        "330213",
        "330000",
        "浙江省",
        "宁波市",
        "奉化区",
    ),
    (
        "002_540522f8d1d44ca2",
        "鼎城区应急管理局2020年政府信息公开工作年度报告",
        "鼎城区应急管理局",
        2020,
        "430703",
        "430000",
        "湖南省",
        "常德市",
        "鼎城区",
    ),
    # A prefecture-level agency: no county, although the body names counties of the city.
    (
        "003_68281a0ece325528",
        "中卫市应急管理局 2023 年政府信息公开工作年度报告",
        "中卫市应急管理局",
        2023,
        "640500",
        "640000",
        "宁夏回族自治区",
        "中卫市",
        None,
    ),
    # Traditional characters in the file (包頭市昆都侖區).
    (
        "004_656a75cba6cb305a",
        _normalized("包頭市昆都侖區2024年政府信息公開工作年度報告"),
        None,
        2024,
        "150203",
        "150000",
        "内蒙古自治区",
        "包头市",
        "昆都仑区",
    ),
]


@pytest.mark.parametrize(
    ("stem", "title", "agency", "year", "admin_code", "province_code", "province", "prefecture", "county"),
    SEEDS,
)
def test_seed_reports(stem, title, agency, year, admin_code, province_code, province, prefecture, county):
    region = resolve_region(title, agency, _seed_text(stem), year)

    assert region.issues == ()
    assert region.admin_code == admin_code
    assert region.admin_code_as_reported == admin_code  # all in use in their year
    assert region.province_code == province_code
    assert region.partition == province_code
    assert (region.province, region.prefecture, region.county) == (province, prefecture, county)


# Opening lines of /work/shared/samples/real/ (normalized).
SHANGHAI_STCSM_2024 = (
    "根据《中华人民共和国政府信息公开条例》和《上海市政府信息公开规定》的要求,市科委编制了2024年度政务公开"
    "工作报告。年度报告电子版可以通过市科委网站(https://stcsm.sh.gov.cn)下载。一、总体情况 上海市科委2024年"
    "深入贯彻《政府信息公开条例》和《上海市政府信息公开规定》"
)
SHANGHAI_GOV_OFFICE_2019 = (
    "本年度报告电子版可从“中国上海”门户网站(www.shanghai.gov.cn)下载。一、总体情况 2019年,上海市人民政府"
    "办公厅坚持以习近平新时代中国特色社会主义思想为指导。指导普陀、金山、徐汇、虹口、浦东五个国家试点区进一步"
    "拓展试点覆盖范围。"
)


@pytest.mark.parametrize(
    ("title", "agency", "body", "year"),
    [
        ("2024年上海市科委政府信息公开工作年度报告", "上海市科学技术委员会", SHANGHAI_STCSM_2024, 2024),
        (
            "2019年上海市人民政府办公厅政府信息公开工作年度报告",
            "上海市人民政府办公厅",
            SHANGHAI_GOV_OFFICE_2019,
            2019,
        ),
    ],
)
def test_provincial_agency_gets_the_province_code(title, agency, body, year):
    region = resolve_region(title, agency, body, year)

    assert region.issues == ()
    assert (region.admin_code, region.province_code) == ("310000", "310000")
    assert (region.province, region.prefecture, region.county) == ("上海市", None, None)


def test_shared_name_without_context_is_ambiguous():
    region = resolve_region(GULOU_TITLE, None, "本机关认真贯彻落实《条例》要求。", 2023)

    assert region.admin_code is None
    assert region.province_code is None
    assert region.partition == UNKNOWN_REGION
    assert region.issues == ((Check.REGION_AMBIGUOUS, "鼓楼区: 320106, 320302, 350102, 410204"),)


def test_prefecture_named_in_body_settles_shared_name():
    region = resolve_region(GULOU_TITLE, None, "福州市鼓楼区人民政府办公室负责编制本报告。", 2023)

    # 350102 is 在用; its 新代码 350111[1995] records part of its area going to 晋安区 in 1995:
    # a partial transfer, not a successor.
    assert region.issues == ()
    assert (region.admin_code, region.admin_code_as_reported, region.province_code) == (
        "350102",
        "350102",
        "350000",
    )
    assert (region.province, region.prefecture, region.county) == ("福建省", "福州市", "鼓楼区")


@pytest.mark.parametrize("phone", ["电话:0591-8888888", "电话:(0591)8888888", "联系电话 0591 8888888"])
def test_landline_area_code_settles_shared_name(phone):
    region = resolve_region(GULOU_TITLE, None, f"如对本报告有疑问,请联系我们({phone})。", 2023)

    assert region.issues == ()
    assert region.admin_code == "350102"
    assert region.province_code == "350000"


def test_province_landline_settles_municipal_district():
    # 朝阳区: Beijing and Changchun; 010 is Beijing's code (the city is the province).
    region = resolve_region("朝阳区2023年政府信息公开工作年度报告", None, "咨询电话:010-12345678", 2023)

    assert (region.admin_code, region.province_code, region.prefecture) == ("110105", "110000", None)


def test_province_short_name_settles_shared_name():
    region = resolve_region("朝阳区2023年政府信息公开工作年度报告", None, "受理地址:北京东三环中路。", 2023)

    assert region.admin_code == "110105"


def test_context_in_a_different_province_does_not_settle():
    # 辽宁省 has 朝阳市, but neither 朝阳区 lies in Liaoning.
    region = resolve_region("朝阳区2023年政府信息公开工作年度报告", None, "辽宁省朝阳市来访交流。", 2023)

    assert region.admin_code is None
    assert region.issues == ((Check.REGION_AMBIGUOUS, "朝阳区: 110105, 220104"),)


def test_prefecture_in_title_confirms_county():
    assert resolve_region("南京市鼓楼区2023年政府信息公开工作年度报告", None, "", 2023).admin_code == "320106"

    conflict = resolve_region("常德市昆都仑区2023年政府信息公开工作年度报告", None, "", 2023)
    assert conflict.admin_code is None
    assert conflict.issues[0][0] == Check.REGION_AMBIGUOUS


def test_renamed_county_reported_under_its_old_code():
    region = resolve_region("奉化市人民政府2015年政府信息公开工作年度报告", None, "", 2015)

    assert (region.admin_code, region.admin_code_as_reported) == ("330213", "330283")
    assert (region.province_code, region.prefecture, region.county) == ("330000", "宁波市", "奉化区")


def test_without_a_year_any_period_counts():
    region = resolve_region("奉化市人民政府政府信息公开工作年度报告", None, "", None)

    assert (region.admin_code, region.admin_code_as_reported) == ("330213", "330283")


def test_names_must_be_in_use_in_the_report_year():
    # 崇文区 merged into 东城区 (110101) in 2010.
    merged = resolve_region("崇文区2009年政府信息公开工作年度报告", None, "", 2009)
    assert (merged.admin_code, merged.admin_code_as_reported) == ("110101", "110103")

    too_late = resolve_region("崇文区2015年政府信息公开工作年度报告", None, "", 2015)
    assert too_late.admin_code is None
    assert too_late.issues[0][0] == Check.REGION_UNKNOWN


def test_split_county_keeps_its_reported_code():
    # 邯郸县 (retired 2016) went to two districts, 130402;130403: no single current code.
    region = resolve_region("邯郸县2015年政府信息公开工作年度报告", None, "", 2015)

    assert (region.admin_code, region.admin_code_as_reported, region.province_code) == (
        "130421",
        "130421",
        "130000",
    )


def test_short_province_name_in_agency_gives_the_province():
    region = resolve_region("宁夏应急管理厅2023年政府信息公开工作年度报告", None, "", 2023)

    assert (region.admin_code, region.province_code, region.province) == (
        "640000",
        "640000",
        "宁夏回族自治区",
    )


def test_no_place_is_unknown():
    region = resolve_region("政府信息公开工作年度报告", None, "本机关认真贯彻落实《条例》要求。", 2023)

    assert region.admin_code is None
    assert region.partition == UNKNOWN_REGION
    assert region.issues[0][0] == Check.REGION_UNKNOWN


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("宁夏回族自治区中卫市", ["宁夏回族自治区", "中卫市"]),  # no 卫市, no 宁夏 inside
        ("包头市昆都仑区", ["包头市", "昆都仑区"]),
        ("武汉市东西湖区", ["武汉市", "东西湖区"]),  # not 西湖区
        ("济南市市中区", ["济南市", "市中区"]),
        ("阳泉市城区人民政府", ["阳泉市", "城区"]),
        ("和县人民政府", ["和县"]),
        ("各区和县要加强", []),  # 和县 inside a phrase
        ("制定县级政府责任清单", []),  # 定县
        ("推进老城区和新城区改造", []),
        ("推动主城区发展", []),
        ("城北区域发展", []),  # 城北区 + 域
        ("壮大县域经济", []),
        ("全市中区县", []),
    ],
)
def test_division_names_avoid_false_matches(text, names):
    assert [hit.name for hit in find_division_names(text)] == names


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("(0955)7068553", ("宁夏", "中卫")),
        ("0955 7068553", ("宁夏", "中卫")),
        ("电话:0472-5990381", ("内蒙古", "包头")),
        ("02112345678", ("上海", "上海")),
    ],
)
def test_landline_codes(text, place):
    assert find_landline_places(text) == [place]


def test_numbers_inside_longer_digit_runs_are_not_landlines():
    assert find_landline_places("文号20210955123456") == []
