"""Synthetic annual reports (政府信息公开工作年度报告) with known values.

Used by the tests (a few hundred reports: the parser must get every cell of a clean report right and
raise the expected checks on every defective one) and by the benchmarks (tens of thousands of reports,
fast, deterministic by seed).  Pure: the same arguments always give the same bytes.

What a generated file looks like (the parser writer's contract)
---------------------------------------------------------------
* Title line ``{agency}{year}年政府信息公开工作年度报告``; with noise also ``{agency} {year} 年…``,
  ``{agency}`` and ``{year}年政府信息公开工作年度报告`` on two lines, ``{year}年{agency}政府信息…`` and
  ``{agency}{year}年度政府信息…``.  Optional lines around it: a breadcrumb ``当前位置：首页 > … > {year}年度``
  before it, ``发布日期：2025年01月23日`` / ``发布日期：2025-01-23`` (maybe followed by ``来源：…``) after it,
  a preamble citing 国办公开办函〔2021〕30号 (years 2021–2025) or 〔2019〕60号 (2019–2020).
* Six section headings ``一、总体情况`` … ``六、其他需要报告的事项`` at the start of a line (with noise: a
  leading or trailing ``?``, a space after ``、``); prose paragraphs never start with ``一、``…``六、``.
  Section 一 may contain ``（一）主动公开政府信息情况`` as a sub-heading (like seed 000) and the preamble may
  list the section titles in one sentence (like seed 004).
* Tables in sections 二, 三, 四 in one of four layouts:
  - ``pipe``: ``label | 0 | 0 | 0 |`` then ``" " + "|" * n`` padding for merged cells (sometimes absent);
    header rows lose their empty cells (moved to the padding).  A blank cell inside a data row is an
    empty field between two numbers: ``0 |  | 0``.
  - ``tab``: cells joined by ``\\t``, empty leading fields for merged label cells (the number of label
    fields varies from row to row, like seed 003), sometimes a trailing ``\\t``.  A blank cell is an
    empty field between two numbers.  Blank lines may occur inside a table.
  - ``cell_per_line``: one cell per line, each line starting with ``\\t`` (an empty cell is a line holding
    only ``\\t``), rows separated by one blank line, leading ``\\t`` lines for merged label cells (seed 001).
  - ``markdown``: ``| a | b |`` with a fixed column count per table (empty cells ``|  |``), a separator
    line (``|---|---|`` or ``| --- | --- |``) after the first row of a table and after the first row that
    follows a page-break line; sometimes a caption line ``## 表三：…`` right after the section heading.
  Table 三 rows carry their labels in up to three label slots (``三、本年度办理结果`` / ``（一）予以公开``,
  ``（三）不予公开`` / ``1.属于国家秘密``, ``2.其他法律…``); the seven numbers follow the labels in applicant
  order (自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计).  Table 四 is three header rows
  and one row of 15 numbers.  Table 二 is one block per 第二十条 clause (title row, 信息内容 header row,
  item rows); 2021 template items have 1 or 3 numbers, 2019 template items 2 or 3.
* Numbers: ASCII digits; with noise sometimes full-width digits (``１２``) or thousands separators
  (``61,950``; also in fees: ``2,096.132``).  Fees (2021 ``本年收费金额（单位：万元）``) are decimals in 万元.
  The 2019 ``采购总金额`` cell carries its unit (``197.3万``, ``197.3万元`` -> 197.3; ``251000元`` -> 25.1)
  unless the header says ``采购总金额（万元）``; a zero amount never appears without a unit.  The 2019
  ``本年增/减`` (``change``) may be negative, printed ``-12``.
* Page-break lines (noise) match ``^(- ?\\d+ ?-|— ?\\d+ ?—|– ?\\d+ ?–|第 ?\\d+ ?页( ?共 ?\\d+ ?页)?)$`` and
  never start with a tab.  They occur between prose paragraphs, between table rows, inside a
  ``cell_per_line`` row (between two cell lines) and inside a split ``pipe`` row: a table 三 row printed
  as ``label | v1 | … | vk |`` (k < 7), the page-break line, then a continuation line holding only the
  remaining 7 - k numbers (``v(k+1) | … | v7 |`` plus padding) and no label.  A defective row is never
  split, and a continuation line always directly follows (after the page line) the row it continues.
* Traditional reports are OpenCC ``s2t`` conversions; with noise some characters carry a pinyin residue
  everywhere they occur: ``區(qū)``, ``發(fā)``, ``規(guī)``, ``業(yè)`` … (``CJK + "(" + latin-with-tones + ")"``).
* Other noise: labels broken by spaces (``商业 企业``, ``（三）不予 公开``), typos a fuzzy matcher should
  survive (``考研机构``, ``钩稽``, ``属于四类过程信息``, ``（四）无法提取``, ``其它``), half-width or mixed
  punctuation, ``[bookmark: _GoBack]``, lines holding ``?``, ``</span>`` residue in prose, prose lines
  broken mid-sentence, encodings (UTF-8, UTF-8 with BOM, GB18030, UTF-16 with BOM), CRLF line endings.

Defects (``DEFECT_CHECKS`` gives the checks each one must raise; affected cells are expected ``None``):
``missing_cell`` (a table 三 row with 6 numbers), ``extra_cell`` (8 numbers), ``unreadable_cell``
(one digit swapped for a look-alike letter from ``OlZSbBg``: ``1O``, ``l2``, ``O``, ``-l2``; in a count cell
of table 二, 三 or 四), ``dash_cell`` (``—``, ``——``, ``/``, ``／``, ``-``, ``－``, ``无``; same places),
``blank_cell`` (an empty table 三 cell between two numbers, never the first or last column),
``table4_no_numbers`` (table 四 headers only), ``missing_row`` (a table 三 row not printed),
``identity_violation`` (a total off: values still expected as printed; any ``identity*`` check),
``duplicate_row`` (a table 三 row printed twice with different numbers: the row is None),
``amount_unit_unknown`` (2019 procurement amount with no unit in cell or header), ``negative_count``
(a table 三 count printed negative: expected as printed), ``table_missing`` (table 三 or 四 absent, its
section holding one sentence), ``section_missing`` (section 五 or 六 absent).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from . import vocabulary as V
from .vocabulary import Check

__all__ = [
    "DEFECTS",
    "DEFECT_CHECKS",
    "ENCODINGS",
    "LAYOUTS",
    "PLACES",
    "Place",
    "SyntheticReport",
    "generate_corpus",
    "generate_report",
    "identity_errors",
]

LAYOUTS: tuple[str, ...] = ("pipe", "tab", "cell_per_line", "markdown")
ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "gb18030", "utf-16")

DEFECT_CHECKS: dict[str, tuple[str, ...]] = {
    "missing_cell": (Check.CELL_COUNT,),
    "extra_cell": (Check.CELL_COUNT,),
    "unreadable_cell": (Check.UNREADABLE_CELL,),
    "dash_cell": (Check.PLACEHOLDER_CELL,),
    "blank_cell": (Check.BLANK_CELL,),
    "table4_no_numbers": (Check.TABLE_NO_NUMBERS,),
    "missing_row": (Check.ROW_MISSING,),
    "identity_violation": (Check.IDENTITY_PREFIX,),
    "duplicate_row": (Check.DUPLICATE_ROW,),
    "amount_unit_unknown": (Check.AMOUNT_UNIT_UNKNOWN,),
    "negative_count": (Check.NONNEGATIVE,),  # raised by the GX suites, not the parser
    "table_missing": (Check.TABLE_MISSING,),
    "section_missing": (Check.SECTION_MISSING,),
}
DEFECTS: tuple[str, ...] = tuple(DEFECT_CHECKS)
_DEFECTS_2019_ONLY = frozenset({"amount_unit_unknown"})


@dataclass(frozen=True)
class SyntheticReport:
    name: str  # e.g. "synth_00042.txt"
    raw: bytes  # the file as it would be downloaded
    year: int
    template: str  # vocabulary.TEMPLATE_2021 / TEMPLATE_2019
    agency: str  # simplified, without pinyin residue
    admin_code: str  # current GB/T 2260 code of the place
    province_code: str
    layout: str  # "pipe" | "tab" | "cell_per_line" | "markdown"
    encoding: str  # "utf-8" | "utf-8-sig" | "gb18030" | "utf-16"
    traditional: bool
    disclosure: dict[tuple[str, str], float | None]  # (item, metric) -> expected value
    requests: dict[tuple[str, str], int | None]  # (row_key, applicant) -> expected value
    review: dict[tuple[str, str], int | None]  # (proceeding, outcome) -> expected value
    defects: tuple[str, ...]  # names of injected defects; () for a clean report
    expected_checks: tuple[str, ...]  # Check names the parser must raise ("identity" = any identity_*)
    published_date: str | None = None  # ISO date of the 发布日期 line, None when not printed
    seed: int = 0

    @property
    def text(self) -> str:
        """The file decoded with its declared encoding (BOM removed)."""
        return self.raw.decode(self.encoding).lstrip("\ufeff")


# --------------------------------------------------------------------------------------------
# Places: real, unambiguous county/prefecture names with their current GB/T 2260 codes (checked
# against the areacodes reference; none of them renamed or recoded since 2019).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    name: str
    code: str
    parent: str | None  # printed before a county's name sometimes; None for prefecture-level places

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"


PLACES: tuple[Place, ...] = (
    Place("大武口区", "640202", "石嘴山市"),
    Place("中卫市", "640500", None),
    Place("鼎城区", "430703", "常德市"),
    Place("昆都仑区", "150203", "包头市"),
    Place("奉化区", "330213", "宁波市"),
    Place("顺德区", "440606", "佛山市"),
    Place("南海区", "440605", "佛山市"),
    Place("江宁区", "320115", "南京市"),
    Place("浦东新区", "310115", "上海市"),
    Place("晋江市", "350582", "泉州市"),
    Place("凤凰县", "433123", "湘西土家族苗族自治州"),
    Place("阳朔县", "450321", "桂林市"),
    Place("寿光市", "370783", "潍坊市"),
    Place("瑞丽市", "533102", "德宏傣族景颇族自治州"),
    Place("喀什市", "653101", "喀什地区"),
    Place("延吉市", "222401", "延边朝鲜族自治州"),
    Place("嘉峪关市", "620200", None),
    Place("景德镇市", "360200", None),
    Place("株洲市", "430200", None),
    Place("乐清市", "330382", "温州市"),
    Place("永康市", "330784", "金华市"),
    Place("增城区", "440118", "广州市"),
    Place("吴江区", "320509", "苏州市"),
    Place("海淀区", "110108", "北京市"),
    Place("闵行区", "310112", "上海市"),
    Place("双流区", "510116", "成都市"),
    Place("金水区", "410105", "郑州市"),
    Place("雁塔区", "610113", "西安市"),
    Place("思明区", "350203", "厦门市"),
    Place("岳麓区", "430104", "长沙市"),
    Place("兴庆区", "640104", "银川市"),
    Place("红寺堡区", "640303", "吴忠市"),
    Place("郫都区", "510117", "成都市"),
    Place("洪山区", "420111", "武汉市"),
)

# (department, how the report calls itself)
_DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("应急管理局", "我局"),
    ("教育局", "我局"),
    ("人民政府办公室", "我办"),
    ("生态环境局", "我局"),
    ("财政局", "我局"),
    ("民政局", "我局"),
    ("司法局", "我局"),
    ("自然资源局", "我局"),
    ("住房和城乡建设局", "我局"),
    ("交通运输局", "我局"),
    ("农业农村局", "我局"),
    ("水利局", "我局"),
    ("卫生健康局", "我局"),
    ("市场监督管理局", "我局"),
    ("人力资源和社会保障局", "我局"),
    ("文化和旅游局", "我局"),
    ("审计局", "我局"),
    ("统计局", "我局"),
    ("退役军人事务局", "我局"),
    ("医疗保障局", "我局"),
    ("发展和改革委员会", "我委"),
    ("人民政府", "本机关"),
    ("", "本机关"),  # the place's government itself, titled with the place name only (seed 004)
)

# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_TO_FULL = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，", ";": "；"})
_TO_HALF = str.maketrans({"（": "(", "）": ")", "：": ":", "，": ",", "；": ";"})
_FW_DIGITS = str.maketrans("0123456789.,", "０１２３４５６７８９．，")

_PINYIN_RESIDUE: tuple[tuple[str, str], ...] = (
    ("區", "qū"),
    ("發", "fā"),
    ("規", "guī"),
    ("業", "yè"),
    ("統", "tǒng"),
    ("聯", "lián"),
    ("穩", "wěn"),
    ("執", "zhí"),
    ("鎮", "zhèn"),
    ("協", "xié"),
    ("監", "jiān"),
    ("優", "yōu"),
    ("續", "xù"),
)

_PAGE_FORMS = ("- {p} -", "-{p}-", "— {p} —", "– {p} –", "第 {p} 页", "第{p}页", "第{p}页 共{n}页")

_OPENCC = None


def _converter():
    global _OPENCC
    if _OPENCC is None:
        from opencc import OpenCC

        _OPENCC = OpenCC("s2t")
    return _OPENCC


@functools.lru_cache(maxsize=1 << 16)
def _s2t(s: str) -> str:
    return _converter().convert(s)


@functools.lru_cache(maxsize=4096)
def _plain_label(norm: str, traditional: bool) -> str:
    """A label printed without noise: full-width punctuation (half-width reports are translated later)."""
    s = norm.translate(_TO_FULL)
    return _s2t(s) if traditional else s


def _identity(s: str) -> str:
    return s


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _insert_space(s: str, r: random.Random) -> str:
    spots = [i for i in range(1, len(s)) if _is_cjk(s[i - 1]) and _is_cjk(s[i])]
    if not spots:
        return s
    i = r.choice(spots)
    return s[:i] + " " + s[i:]


# Typos a fuzzy label matcher must still resolve (keys: normalized labels).
_TYPOS: dict[str, tuple[str, ...]] = {
    "科研机构": ("考研机构",),
    "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)": (
        "(本列数据的钩稽关系为:第一项加第二项之和,等于第三项加第四项之和)",
    ),
    "6.属于四类过程性信息": ("6.属于四类过程信息",),
    "(四)无法提供": ("(四)无法提取",),
    "3.危及“三安全一稳定”": ("3.危及三安全一稳定", '3.危及"三安全一稳定"'),
    "5.要求行政机关确认或重新出具已获取信息": ("5.要求行政机关确认或者重新出具已获取信息",),
    "1.本机关不掌握相关政府信息": ("1.本机关不掌握相关的政府信息",),
    "4.无正当理由大量反复申请": ("4.无正当理由大量、反复申请",),
    "2.其他法律行政法规禁止公开": ("2.其它法律行政法规禁止公开",),
    "(二)部分公开(区分处理的,只计这一情形,不计其他情形)": (
        "(二)部分公开(区分处理的,只计这一情形,不计其它情形)",
        "(二)部分公开",
    ),
    "二、上年结转政府信息公开申请数量": ("二、上年结转政府信息公开申请数",),
    "行政事业性收费": ("行政事业收费",),
}

# --------------------------------------------------------------------------------------------
# Table 三 layout: label slots per row (normalized labels)
# --------------------------------------------------------------------------------------------

_GROUP_OF_FIRST = {
    "granted": "三、本年度办理结果",
    "withheld_state_secret": "(三)不予公开",
    "unable_not_held": "(四)无法提供",
    "not_processed_petition": "(五)不予处理",
    "other_overdue_correction": "(六)其他处理",
}
_TOP_LEVEL = ("new_received", "carried_over", "carried_forward")
_SECOND_LEVEL = ("granted", "partially_granted", "other_handling", "results_total")


def _t3_slots(key: str) -> list[str]:
    label = V.REQUEST_ROW_BY_KEY[key].labels[0]
    if key in _TOP_LEVEL:
        return [label, "", ""]
    if key == "granted":
        return [_GROUP_OF_FIRST[key], label, ""]
    if key in _SECOND_LEVEL:
        return ["", label, ""]
    if key in _GROUP_OF_FIRST:
        return ["", _GROUP_OF_FIRST[key], label]
    return ["", "", label]


_T3_HEAD = "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"
_APPL = [V.APPLICANT_LABELS[a][0] for a in V.APPLICANTS]  # 自然人 … 其他, 总计

# Result-row weights: (probability of a non-zero cell, share of the column's scale)
_RESULT_WEIGHTS: dict[str, tuple[float, float]] = {
    "granted": (0.8, 0.45),
    "partially_granted": (0.3, 0.1),
    "withheld_state_secret": (0.03, 0.05),
    "withheld_prohibited_by_law": (0.05, 0.05),
    "withheld_three_safeties": (0.03, 0.05),
    "withheld_third_party": (0.15, 0.1),
    "withheld_internal_affairs": (0.12, 0.1),
    "withheld_process_info": (0.15, 0.1),
    "withheld_enforcement_files": (0.05, 0.05),
    "withheld_administrative_query": (0.1, 0.1),
    "unable_not_held": (0.6, 0.35),
    "unable_needs_creation": (0.2, 0.1),
    "unable_unclear": (0.2, 0.1),
    "not_processed_petition": (0.2, 0.15),
    "not_processed_repeated": (0.2, 0.1),
    "not_processed_publication": (0.05, 0.05),
    "not_processed_excessive": (0.05, 0.1),
    "not_processed_confirmation": (0.1, 0.05),
    "other_overdue_correction": (0.1, 0.1),
    "other_unpaid_fee": (0.03, 0.05),
    "other_misc": (0.15, 0.1),
    "other_handling": (0.2, 0.15),
}

# --------------------------------------------------------------------------------------------
# Prose (simplified, full-width punctuation; {agency} {short} {we} {year} {place} {upper} … filled in)
# --------------------------------------------------------------------------------------------

_PREAMBLE_2021 = (
    (
        "根据《中华人民共和国政府信息公开条例》规定和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国"
        "政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求，现发布《{agency}{yr}年政府信息公开"
        "工作年度报告》，本报告统计数据从{yr}年1月1日至12月31日。"
    ),
    (
        "本年度报告根据《中华人民共和国政府信息公开条例》《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国"
        "政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）制作。全文包括总体情况，主动公开政府信息"
        "情况，收到和处理政府信息公开申请情况，政府信息公开行政复议、行政诉讼情况，存在的主要问题及改进情况，其他需要"
        "报告的事项。所列数据统计期限为{yr}年1月1日至{yr}年12月31日。"
    ),
)
_PREAMBLE_2019 = (
    (
        "根据《中华人民共和国政府信息公开条例》和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息"
        "公开工作年度报告格式〉的通知》（国办公开办函〔2019〕60号）要求，编制本报告。本报告所列数据统计期限为{yr}年1月"
        "1日至12月31日。"
    ),
    (
        "本年度报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和国办公开办函〔2019〕60号文件要求编制，"
        "全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、行政诉讼情况、"
        "存在的主要问题及改进情况、其他需要报告的事项。本年度报告中所列数据统计期限从{yr}年1月1日到12月31日止。"
    ),
)
_PREAMBLE_ANY = (
    (
        "本年度报告根据《中华人民共和国政府信息公开条例》和上级关于政务公开工作的要求，由{agency}编制。本报告电子版可在"
        "{place}人民政府门户网站查阅或下载。"
    ),
)

_OVERVIEW_INTRO = (
    (
        "{year}年，{short}高度重视政务公开工作，全面贯彻落实《中华人民共和国政府信息公开条例》精神，遵循公正、公平、"
        "合法、便民的原则，着力提高工作透明度，将信息主动公开作为提升工作效能、保障公众知情权的重要抓手，不断提升信息"
        "公开的数量和质量。"
    ),
    (
        "{year}年，{short}在{upper}的正确领导和统一部署下，坚持以习近平新时代中国特色社会主义思想为指导，严格按照"
        "《中华人民共和国政府信息公开条例》要求，依法依规公开政府信息，丰富公开内容，不断提高公开质量和实效，有效保障了"
        "人民群众的知情权、参与权和监督权。"
    ),
    (
        "{year}年，{agency}坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党中央、国务院关于全面推进政务公开"
        "工作的决策部署，紧紧围绕中心工作和公众关切，加强政府信息公开工作，提升政府信息公开标准化、规范化水平。"
    ),
    (
        "根据《条例》要求，{year}年{short}进一步加强政府信息公开工作，全面推进政府信息公开，以公开促落实、以公开促规范、"
        "以公开促服务，打造法治政府、创新政府、廉洁政府、服务型政府。"
    ),
    (
        "{year}年，{short}认真贯彻落实上级关于政务公开工作的部署要求，坚持“公开为常态、不公开为例外”的原则，不断拓展"
        "公开内容，完善公开制度，持续推动政府信息公开工作高质量发展。"
    ),
)
_SUB_ACTIVE_HEADS = ("（一）主动公开情况", "（一）主动公开方面", "（一）主动公开工作情况", "（一）主动公开政府信息情况")
_SUB_ACTIVE = (
    (
        "通过{place}人民政府门户网站主动公开信息共{n1}条，涉及机构设置、政策文件、规划计划、财政预决算、办事服务、监管"
        "执法信息等领域，其中行政许可{lic}项，行政处罚{pen}项。"
    ),
    (
        "{year}年度公开政府信息共计{n1}项，其中政策文件{n2}条、工作动态{n3}条、通知公告{n4}条，行政许可和行政处罚信息均"
        "按照“双公示”要求在规定时限内公开。"
    ),
    (
        "全年累计发布各类信息{n1}条，其中重点领域信息{n2}条，政策解读{n3}篇。坚持“谁公开、谁负责”的原则，对所公开事项"
        "内容进行审核、把关，确保公开内容合法、准确。"
    ),
    (
        "坚持“以公开为常态、不公开为例外”，在政府网站相关栏目及时发布政府信息{n1}余条，准确公开部门预算、“三公”经费等"
        "财政信息，行政许可、行政处罚等事项全面公开。"
    ),
)
_SUB_REQUEST_HEADS = ("（二）依申请公开情况", "（二）依申请公开方面", "（二）依申请公开工作情况")
_SUB_REQUEST_NONE = (
    "{year}年，{we}未收到政府信息公开申请，未发生因政府信息公开引起的复议和诉讼。",
    "畅通依申请公开受理渠道，规范依申请公开流程。{year}年，没有收到公民、法人或者其他组织申请公开政府信息事项。",
)
_SUB_REQUEST_SOME = (
    (
        "{year}年，{we}共收到政府信息公开申请{nr}件，上年结转{co}件，均已按照法定时限和要求予以答复，结转下年度继续办理"
        "{cf}件。"
    ),
    (
        "进一步规范政府信息公开申请办理，优化申请登记、审查、办理、答复、归档等流程。全年新收到依申请公开{nr}件，"
        "办结{done}件。"
    ),
)
_SUB_MANAGE = (
    (
        "（三）政府信息管理情况。严格执行保密审查制度，切实做到“该公开的公开，该保密的保密”，按照“谁提供，谁审核，谁负责”"
        "的原则，加强信息审核，确保公开内容规范有效。"
    ),
    (
        "（三）政府信息管理情况。及时调整政府信息公开工作领导小组成员，明确责任科室和分管领导，实行制发文件和公开信息"
        "台账化管理，落实公文公开属性源头认定和动态调整。"
    ),
    (
        "（三）政府信息管理情况。不断完善政府信息公开相关制度，明确信息公开的范围、流程、责任主体等，对公开的政府信息"
        "进行严格审核，确保信息的准确性、完整性和合法性。"
    ),
)
_SUB_PLATFORM = (
    (
        "（四）平台建设情况。积极拓宽政府信息公开渠道，充分利用政府门户网站、政务新媒体等平台，广泛宣传工作动态，"
        "不断提升政务新媒体工作规范化水平。"
    ),
    (
        "（四）政府信息公开平台建设情况。规范建设政府信息公开专栏，做好各栏目的政务信息发布工作，加强政务新媒体建设"
        "管理，全年发布各类信息{n5}余篇。"
    ),
    (
        "（四）平台建设情况。以政府网站为第一平台，加强网站建设管理，严格履行“三审三校”制度，严防出现错误和发布不良"
        "信息。"
    ),
)
_SUB_OVERSIGHT = (
    (
        "（五）监督保障情况。将政府信息公开工作纳入年度考核，定期开展自查，及时整改发现的问题，不断提高信息公开质量和"
        "效率。"
    ),
    (
        "（五）监督保障情况。在网站公布监督电话和咨询电话，及时回应群众关切和疑问，明确分管领导负责政府信息公开工作，"
        "安排专人负责信息发布更新和网站维护。"
    ),
    (
        "（五）监督保障情况。一是加强政务公开相关政策文件的学习；二是严格落实信息发布审批制度；三是加强舆情管理，"
        "积极引导舆论导向。"
    ),
)
_PROBLEMS = (
    (
        "{year}年{short}政府信息公开工作虽然取得了一定的成绩，但还存在一些不足：一是政务公开长效机制仍有欠缺，工作主动性"
        "不足；二是信息公开时效性需增强，形式不够丰富多样。"
    ),
    (
        "当前存在的主要问题：一是信息公开力度有待进一步加大；二是政策解读的方式较少，培训力度需要进一步加强；三是信息"
        "更新的时效性有待进一步加强。"
    ),
    (
        "一是部分业务科室对政务公开工作重要性认识不到位，主动性不够；二是政务信息公开工作队伍人员配备不足，业务能力"
        "有待提升。"
    ),
    "工作中还存在一些问题，主要是政策解读信息公开不够及时，解读形式单一，个别栏目更新不及时。",
)
_IMPROVEMENTS = (
    (
        "下一步，{we}将重点做好以下几方面工作：一是健全完善公开工作机制，丰富公开信息内容；二是加强业务人员培训，不断"
        "提高业务水平；三是及时发布、适时更新主动公开内容，让公开成为自觉，让透明成为常态。"
    ),
    (
        "针对上述问题，{we}将进一步强化组织领导，明确职责分工，完善工作机制；进一步加强网站建设，拓宽公开渠道；进一步"
        "深化公开制度建设，确保信息发布及时、准确。"
    ),
    (
        "下一步将加强审核把关，建立健全信息发布审核制度，明确审核流程和责任分工，确保所有发布的信息都经过严格审核，"
        "避免出现不规范表述。"
    ),
)
_OTHER_MATTERS = (
    "无。",
    "本年度{we}未收取信息处理费。",
    "依据《政府信息公开信息处理费管理办法》，本年度{we}未收取信息处理费。",
    "{year}年度无收取信息处理费情况。",
    (
        "{we}严格按照上级工作要求，在政务公开办的指导下，精心准备，认真组织，推动了各项工作的开展。{year}年度未收取"
        "政府信息公开信息处理费。"
    ),
)
_NO_T3 = ("本年度{we}未收到政府信息公开申请，相关统计表略。", "{year}年{we}无依申请公开办理情况，不再列表。")
_NO_T4 = ("本年度{we}未发生政府信息公开方面的复议和诉讼案件。", "{year}年{we}无相关复议、诉讼情况，不再列表。")

_HEADINGS: dict[int, tuple[str, ...]] = {
    1: ("一、总体情况", "一、总体情况", "一、概述"),
    2: ("二、主动公开政府信息情况",),
    3: ("三、收到和处理政府信息公开申请情况",),
    4: (
        "四、政府信息公开行政复议、行政诉讼情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "四、政府信息公开行政复议和行政诉讼情况",
        "四、因政府信息公开工作被申请行政复议和提起行政诉讼情况",
    ),
    5: (
        "五、存在的主要问题及改进情况",
        "五、存在的主要问题及改进情况",
        "五、政府信息公开工作存在的主要问题及改进情况",
        "五、存在的主要问题和改进措施",
    ),
    6: ("六、其他需要报告的事项",),
}
_CAPTIONS = {
    2: "## 表二：主动公开政府信息情况",
    3: "## 表三：收到和处理政府信息公开申请情况",
    4: "## 表四：政府信息公开行政复议、行政诉讼情况",
}


# --------------------------------------------------------------------------------------------
# Rows of a rendered table
# --------------------------------------------------------------------------------------------


class _Row:
    __slots__ = ("defective", "docx", "grid", "inner", "kind", "nlab", "split", "text")

    def __init__(self, kind: str, grid: list[str], docx: list[str] | None = None, nlab: int = 0):
        self.kind = kind  # "title" | "header" | "data" | "page" | "blank"
        self.grid = grid  # positional cells (label slots first)
        self.docx = docx if docx is not None else grid
        self.nlab = nlab  # number of label slots at the start of grid (data rows)
        self.split: tuple[int, str] | None = None  # pipe: (numbers before the page break, page line)
        self.inner: tuple[int, str] | None = None  # cell_per_line: (cell index, page line)
        self.text = ""  # page / caption line
        self.defective = False


def _data_row(labels: list[str], cells: list[str]) -> _Row:
    last = len(labels)
    while last and not labels[last - 1]:
        last -= 1
    return _Row("data", labels + cells, labels[:last] + cells, nlab=len(labels))


def _page_row(text: str) -> _Row:
    row = _Row("page", [])
    row.text = text
    return row


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------


def _rng(seed: int, stream: str) -> random.Random:
    return random.Random(f"gi-synth:{seed}:{stream}")


def _wchoice(r: random.Random, options: dict):
    x = r.random() * sum(options.values())
    for key, w in options.items():
        x -= w
        if x < 0:
            return key
    return key


class _Gen:
    def __init__(self, seed, layout, template, encoding, traditional, noise, defect):
        self.seed = seed
        self.noise = noise
        self.defect = defect
        rm = self.rm = _rng(seed, "meta")
        self.rv = _rng(seed, "values")
        self.rt = _rng(seed, "text")
        self.rn = _rng(seed, "noise")
        self.rd = _rng(seed, "defect")

        # --- metadata
        if template is None:
            if defect in _DEFECTS_2019_ONLY:
                template = V.TEMPLATE_2019
            else:
                template = V.TEMPLATE_2019 if rm.random() < 2 / 7 else V.TEMPLATE_2021
        elif template not in V.TEMPLATES:
            raise ValueError(f"unknown template {template!r}")
        elif defect in _DEFECTS_2019_ONLY and template != V.TEMPLATE_2019:
            raise ValueError(f"defect {defect!r} needs the 2019 template")
        self.template = template
        self.year = rm.choice((2019, 2020)) if template == V.TEMPLATE_2019 else rm.randint(2021, 2025)
        self.place = rm.choice(PLACES)
        dept, self.we = rm.choice(_DEPARTMENTS)
        prefix = self.place.parent if (self.place.parent and rm.random() < 0.25) else ""
        if dept == "" and self.place.parent and rm.random() < 0.6:
            prefix = self.place.parent
        self.agency = prefix + self.place.name + dept
        suf = self.place.name[-1]
        self.suf = suf
        self.upper = {"区": "区委、区政府", "县": "县委、县政府"}.get(suf, "市委、市政府")
        if dept == "":
            self.short = self.place.name
            self.we = rm.choice(("本机关", f"全{suf}", f"我{suf}"))
        elif dept == "人民政府":
            self.short = f"{suf}人民政府"
        else:
            self.short = suf + dept

        if layout is None:
            layout = _wchoice(rm, {"pipe": 35, "tab": 20, "cell_per_line": 20, "markdown": 25})
        elif layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}")
        self.layout = layout
        if encoding is None:
            encoding = _wchoice(rm, {"utf-8": 60, "utf-8-sig": 15, "gb18030": 15, "utf-16": 10}) if noise else "utf-8"
        elif encoding not in ENCODINGS:
            raise ValueError(f"unknown encoding {encoding!r}")
        self.encoding = encoding
        if traditional is None:
            traditional = noise and rm.random() < 0.1
        self.traditional = bool(traditional)
        self.tx = _s2t if self.traditional else _identity

        # --- style and noise switches (all drawn up front so the values stream stays independent)
        rn = self.rn
        on = noise
        self.punct = ("full" if rn.random() < 0.8 else ("half" if rn.random() < 0.7 else "mixed")) if on else "full"
        self.crlf = on and rn.random() < 0.2
        self.typo_rate = (0.35 if rn.random() < 0.3 else 0.0) if on else 0.0
        self.space_rate = (0.25 if rn.random() < 0.35 else 0.0) if on else 0.0
        self.page_rate = (0.08 if rn.random() < 0.35 else 0.0) if on else 0.0
        self.split_rate = 0.5 if (on and layout == "pipe" and self.page_rate and rn.random() < 0.6) else 0.0
        self.fw_rate = (0.25 if rn.random() < 0.1 else 0.0) if on else 0.0
        self.thousands_rate = (0.9 if rn.random() < 0.3 else 0.0) if on else 0.0
        self.qmarks = on and rn.random() < 0.12
        self.bookmark = on and rn.random() < 0.1
        self.html = on and rn.random() < 0.1
        self.linebreak_prose = on and rn.random() < 0.15
        self.residue: dict[str, str] = {}
        if self.traditional and on:
            k = rn.randint(5, len(_PINYIN_RESIDUE))
            self.residue = {c: f"{c}({p})" for c, p in rn.sample(_PINYIN_RESIDUE, k)}
        self.page_no = rn.randint(2, 3)
        self.page_form = rn.choice(_PAGE_FORMS)
        self.page_total = self.page_no + rn.randint(4, 9)
        self.para_gap = rn.random() < 0.35
        self.pipe_padded = rn.random() < 0.85
        self.tab_compact = rn.random() < 0.5
        self.tab_trailing = rn.random() < 0.4
        self.md_sep = rn.choice(("---", " --- ", ":---:", "---"))
        self.md_captions = layout == "markdown" and rn.random() < 0.3
        self.md_split_t2 = rn.random() < 0.5
        self.t4_head_style = rn.choice(("full", "full", "spaced", "short")) if on else "full"
        self.t2_title_form = rn.choice(("第二十条第({n})项", "第二十条第({n})项", "第二十条({n})项"))
        self.fees_alias = rn.random() < (0.5 if template == V.TEMPLATE_2019 else 0.1)
        self.norm_alias = rn.random() < (0.7 if template == V.TEMPLATE_2019 else 0.1)
        self.spaced_year = on and rn.random() < 0.15
        # fast paths
        self.plain_labels = not self.typo_rate and not self.space_rate and self.punct != "mixed"
        self.num_noise = bool(self.thousands_rate or self.fw_rate)

        self.checks: list[str] = []
        self.defects: list[str] = []

    # ---------------------------------------------------------------- printing helpers
    def label(self, norm: str) -> str:
        if self.plain_labels:
            return _plain_label(norm, self.traditional)
        s = norm
        rn = self.rn
        if self.typo_rate and norm in _TYPOS and rn.random() < self.typo_rate:
            s = rn.choice(_TYPOS[norm])
        if self.space_rate and rn.random() < self.space_rate:
            s = _insert_space(s, rn)
        if self.punct == "full" or (self.punct == "mixed" and rn.random() < 0.6):
            s = s.translate(_TO_FULL)
        return self.tx(s)

    def page_line(self) -> str:
        p = self.page_no
        self.page_no += 1
        self.page_total = max(self.page_total, self.page_no)
        return self.page_form.format(p=p, n=self.page_total)

    def fmt_count(self, v: int) -> str:
        s = str(v)
        if not self.num_noise:
            return s
        if v >= 1000 and self.thousands_rate and self.rn.random() < self.thousands_rate:
            return f"{v:,}"
        if self.fw_rate and self.rn.random() < self.fw_rate:
            return s.translate(_FW_DIGITS)
        return s

    def fmt_decimal(self, s: str) -> str:
        if self.thousands_rate and self.rn.random() < self.thousands_rate:
            ip, _, frac = s.partition(".")
            if len(ip) > 3:
                s = f"{int(ip):,}" + ("." + frac if frac else "")
        return s

    # ---------------------------------------------------------------- values
    def gen_requests(self) -> dict[str, list[int]]:
        r = self.rv
        rows = V.request_rows(self.template)
        results = [k for k in rows if k in V.RESULT_ROW_KEYS]
        vals = {k: [0] * 7 for k in rows}
        p = r.random()
        scales = [0.0] * 6
        if p >= 0.45:
            large = p >= 0.87
            scales[0] = r.uniform(20, 900) if large else r.uniform(1, 14)
            if r.random() < 0.45:
                scales[1] = r.uniform(1, 40 if large else 5)
            for j in range(2, 6):
                if r.random() < 0.08:
                    scales[j] = r.uniform(1, 3)
        for j, scale in enumerate(scales):
            if not scale:
                continue
            for k in results:
                prob, share = _RESULT_WEIGHTS[k]
                if r.random() < prob:
                    vals[k][j] = r.randint(1, max(1, round(scale * share)))
            rt = sum(vals[k][j] for k in results)
            cf = r.randint(0, max(1, round(scale * 0.15))) if r.random() < 0.3 else 0
            co = r.randint(0, min(rt + cf, max(1, round(scale * 0.15)))) if r.random() < 0.3 else 0
            vals["results_total"][j] = rt
            vals["carried_forward"][j] = cf
            vals["carried_over"][j] = co
            vals["new_received"][j] = rt + cf - co
        for k in rows:
            vals[k][6] = sum(vals[k][:6])
        return vals

    def gen_review(self) -> list[int]:
        r = self.rv
        vals = [0] * 15
        if r.random() < 0.35:
            for b in range(3):
                if r.random() < (0.7, 0.4, 0.25)[b]:
                    parts = [
                        r.choice((0, 0, 1, 1, 2, 3, 5, 8)),
                        r.choice((0, 0, 0, 1, 2)),
                        r.choice((0, 0, 0, 1)),
                        r.choice((0, 0, 1, 2)),
                    ]
                    vals[b * 5 : b * 5 + 4] = parts
                    vals[b * 5 + 4] = sum(parts)
        return vals

    def _count(self, zero: float, small: int, large: tuple[int, int] | None = None, plarge: float = 0.0) -> int:
        r = self.rv
        x = r.random()
        if x < zero:
            return 0
        if large and x > 1 - plarge:
            return r.randint(*large)
        return r.randint(1, small)

    def _decimal(self, max_int: int) -> str:
        r = self.rv
        d = r.choice((0, 1, 2, 2, 3, 3, 4))
        while True:
            ip = r.randint(0, max_int) if r.random() < 0.7 else r.randint(0, 9)
            if d == 0:
                s = str(ip)
            else:
                s = f"{ip}.{r.randint(0, 10**d - 1):0{d}d}"
            if float(s) > 0:
                return s

    def gen_disclosure(self) -> dict[tuple[str, str], tuple[str, float]]:
        """(item, metric) -> (printed token before noise, expected value)."""
        r = self.rv
        out: dict[tuple[str, str], tuple[str, float]] = {}

        def cnt(key, metric, v):
            out[(key, metric)] = (str(v), float(v))

        if self.template == V.TEMPLATE_2021:
            for key, zero, small in (("rules", 0.9, 3), ("normative_documents", 0.4, 15)):
                issued = self._count(zero, small)
                repealed = self._count(0.7 if key == "normative_documents" else 0.95, 5)
                in_force = issued + (r.randint(0, 80) if r.random() < 0.6 else 0)
                if key == "rules" and issued == 0 and r.random() < 0.8:
                    in_force = 0
                cnt(key, "issued", issued)
                cnt(key, "repealed", repealed)
                cnt(key, "in_force", in_force)
            cnt("administrative_licensing", "decisions", self._count(0.3, 300, (1000, 80000), 0.25))
            cnt("administrative_penalty", "decisions", self._count(0.35, 500, (1000, 20000), 0.12))
            cnt("administrative_coercion", "decisions", self._count(0.6, 60))
            if r.random() < 0.6:
                out[("administrative_fees", V.METRIC_MONEY)] = ("0", 0.0)
            else:
                s = self._decimal(5000)
                out[("administrative_fees", V.METRIC_MONEY)] = (s, float(s))
        else:
            for key, zero, small in (("rules", 0.9, 3), ("normative_documents", 0.4, 15)):
                made = self._count(zero, small)
                published = made if r.random() < 0.8 else r.randint(0, made)
                total = published + (r.randint(0, 80) if r.random() < 0.6 else 0)
                cnt(key, "new_made", made)
                cnt(key, "new_published", published)
                cnt(key, "total_published", total)
            for key, zero, small, large in (
                ("administrative_licensing", 0.3, 400, (1000, 60000)),
                ("other_management_services", 0.7, 50, None),
                ("administrative_penalty", 0.35, 400, (1000, 15000)),
                ("administrative_coercion", 0.6, 40, None),
            ):
                prev = self._count(zero, small, large, 0.2)
                change = 0 if r.random() < 0.4 else r.randint(-min(prev, 200), 200)
                decisions = self._count(zero, small, large, 0.2)
                cnt(key, "previous_year_items", prev)
                cnt(key, "change", change)
                cnt(key, "decisions", decisions)
            prev = self._count(0.6, 20)
            cnt("administrative_fees", "previous_year_items", prev)
            cnt("administrative_fees", "change", 0 if r.random() < 0.6 else r.randint(-prev, 5))
            items = self._count(0.4, 30)
            cnt("centralized_procurement", "items", items)
            out[("centralized_procurement", V.METRIC_MONEY)] = ("", 0.0)  # filled by the unit logic
            self.proc_items = items
        return out

    # ---------------------------------------------------------------- main
    def build(self) -> SyntheticReport:
        self.req = self.gen_requests()
        self.rev = self.gen_review()
        self.dis = self.gen_disclosure()
        tpl = self.template
        self.exp_req: dict[tuple[str, str], int | None] = {
            (k, a): self.req[k][j] for k in V.request_rows(tpl) for j, a in enumerate(V.APPLICANTS)
        }
        self.exp_rev: dict[tuple[str, str], int | None] = {
            c: self.rev[i] for i, c in enumerate(V.REVIEW_LITIGATION_CELLS)
        }
        self.exp_dis: dict[tuple[str, str], float | None] = {c: self.dis[c][1] for c in V.disclosure_cells(tpl)}

        # printed tokens (before noise formatting) for table 三 / 四
        self.t3_tokens = {k: [str(v) for v in self.req[k]] for k in V.request_rows(tpl)}
        self.t3_order = list(V.request_rows(tpl))
        self.t3_dup: dict[str, list[str]] = {}
        self.t3_bad: set[str] = set()  # rows not to be formatted / split
        self.t4_tokens = [str(v) for v in self.rev]
        self.t4_bad: set[int] = set()
        self.t2_bad: set[tuple[str, str]] = set()
        self.no_t3 = self.no_t4 = self.no_t4_numbers = False
        self.drop_section: int | None = None
        self.amount_mode = None
        if tpl == V.TEMPLATE_2019:
            self._procurement_amount()
        if self.defect:
            self._apply_defect(self.defect)
        text = self._document()
        return self._finish(text)

    # ---------------------------------------------------------------- 2019 procurement amount
    def _procurement_amount(self):
        r = self.rv
        key = ("centralized_procurement", V.METRIC_MONEY)
        mode = _wchoice(r, {"cell_wan": 45, "cell_yuan": 30, "header_wan": 25})
        if self.proc_items == 0:
            token = {"cell_wan": "0万元", "cell_yuan": "0元", "header_wan": "0"}[mode]
            value = 0.0
        elif mode == "cell_yuan":
            yuan = r.randint(5, 900) * r.choice((100, 1000, 10, 1))
            token, value = f"{yuan}元", round(yuan / 10000, 6)
        else:
            s = self._decimal(800)
            value = float(s)
            token = s + r.choice(("万", "万元")) if mode == "cell_wan" else s
        self.amount_mode = mode
        self.dis[key] = (token, value)
        self.exp_dis[key] = value

    # ---------------------------------------------------------------- defects
    def _apply_defect(self, defect: str):
        rd = self.rd
        rows = self.t3_order
        self.defects.append(defect)
        self.checks.extend(DEFECT_CHECKS[defect])

        def null_row(k):
            for a in V.APPLICANTS:
                self.exp_req[(k, a)] = None
            self.t3_bad.add(k)

        if defect == "missing_cell":
            k = rd.choice(rows)
            del self.t3_tokens[k][rd.randrange(7)]
            null_row(k)
        elif defect == "extra_cell":
            k = rd.choice(rows)
            self.t3_tokens[k].insert(rd.randint(0, 7), str(rd.choice((0, 0, 1, 2, 3))))
            null_row(k)
        elif defect in ("unreadable_cell", "dash_cell"):
            if defect == "dash_cell":
                token = lambda v: rd.choice(("—", "/", "-", "－", "——", "无", "／"))
            else:
                token = lambda v: _garble(str(v), rd)
            where = rd.random()
            if where < 0.7:
                k, j = rd.choice(rows), rd.randrange(7)
                self.t3_tokens[k][j] = token(self.req[k][j])
                self.exp_req[(k, V.APPLICANTS[j])] = None
                self.t3_bad.add(k)
            elif where < 0.85:
                i = rd.randrange(15)
                self.t4_tokens[i] = token(self.rev[i])
                self.exp_rev[V.REVIEW_LITIGATION_CELLS[i]] = None
                self.t4_bad.add(i)
            else:
                cells = [c for c in V.disclosure_cells(self.template) if c[1] != V.METRIC_MONEY]
                c = rd.choice(cells)
                self.dis[c] = (token(int(self.dis[c][1])), 0.0)
                self.exp_dis[c] = None
                self.t2_bad.add(c)
        elif defect == "blank_cell":
            k, j = rd.choice(rows), rd.randint(1, 5)
            self.t3_tokens[k][j] = ""
            self.exp_req[(k, V.APPLICANTS[j])] = None
            self.t3_bad.add(k)
        elif defect == "table4_no_numbers":
            self.no_t4_numbers = True
            for c in V.REVIEW_LITIGATION_CELLS:
                self.exp_rev[c] = None
        elif defect == "missing_row":
            k = rd.choice(rows)
            self.t3_order = [x for x in rows if x != k]
            null_row(k)
        elif defect == "duplicate_row":
            k = rd.choice(rows)
            dup = list(self.t3_tokens[k])
            j = rd.randrange(6)
            bump = rd.randint(1, 9)
            dup[j] = str(int(dup[j]) + bump)
            if rd.random() < 0.6:
                dup[6] = str(int(dup[6]) + bump)
            self.t3_dup[k] = dup
            null_row(k)
        elif defect == "identity_violation":
            self._identity_violation()
        elif defect == "amount_unit_unknown":
            key = ("centralized_procurement", V.METRIC_MONEY)
            s = self._decimal(800) if rd.random() < 0.5 else str(rd.randint(1000, 900000))
            self.dis[key] = (s, 0.0)
            self.amount_mode = "unknown"
            self.exp_dis[key] = None
            if self.proc_items == 0:
                self.proc_items = rd.randint(1, 12)
                self.dis[("centralized_procurement", "items")] = (str(self.proc_items), float(self.proc_items))
                self.exp_dis[("centralized_procurement", "items")] = float(self.proc_items)
            self.t2_bad.add(key)
        elif defect == "negative_count":
            results = [x for x in rows if x in V.RESULT_ROW_KEYS]
            k, j = rd.choice(results), rd.randrange(6)
            vals = {x: list(self.req[x]) for x in rows}
            vals[k][j] = -rd.randint(1, 5)
            for x in rows:
                vals[x][6] = sum(vals[x][:6])
            vals["results_total"] = [sum(vals[x][i] for x in results) for i in range(7)]
            vals["new_received"] = [
                vals["results_total"][i] + vals["carried_forward"][i] - vals["carried_over"][i] for i in range(7)
            ]
            for x in rows:
                self.t3_tokens[x] = [str(v) for v in vals[x]]
                for i, a in enumerate(V.APPLICANTS):
                    self.exp_req[(x, a)] = vals[x][i]
            self.t3_bad.update(("results_total", "new_received", k))
        elif defect == "table_missing":
            if rd.random() < 0.5:
                self.no_t3 = True
                for k in rows:
                    null_row(k)
            else:
                self.no_t4 = True
                for c in V.REVIEW_LITIGATION_CELLS:
                    self.exp_rev[c] = None
        elif defect == "section_missing":
            self.drop_section = rd.choice((5, 6))
        else:  # pragma: no cover - guarded in generate_report
            raise ValueError(defect)

    def _identity_violation(self):
        rd = self.rd
        d = rd.randint(1, 9)

        def bump(tokens, i, exp_key, table):
            v = int(tokens[i])
            nv = v + d if (v - d < 0 or rd.random() < 0.6) else v - d
            tokens[i] = str(nv)
            table[exp_key] = nv

        kind = rd.choice(("results_total", "row_total", "new_received", "review_total"))
        if kind == "review_total":
            b = rd.randrange(3)
            i = b * 5 + 4
            bump(self.t4_tokens, i, V.REVIEW_LITIGATION_CELLS[i], self.exp_rev)
            self.t4_bad.add(i)
            return
        if kind == "row_total":
            k, j = rd.choice(self.t3_order), 6
        else:
            k, j = kind, rd.randrange(7)
        bump(self.t3_tokens[k], j, (k, V.APPLICANTS[j]), self.exp_req)
        self.t3_bad.add(k)

    # ---------------------------------------------------------------- tables
    def _table2(self) -> list[list[_Row]]:
        """Table 二 as a list of blocks (each a list of rows); grid width 4."""
        tpl = self.template
        blocks = []

        def title(n):
            return self.label(self.t2_title_form.format(n=n))

        def head(*cols):
            return [self.label("信息内容")] + [self.label(c) for c in cols]

        def item(key, metrics, label=None):
            lab = self.label(label or V.DISCLOSURE_ITEM_BY_KEY[key].labels[0])
            toks = []
            for m in metrics:
                tok, _val = self.dis[(key, m)]
                if (key, m) not in self.t2_bad and tok and tok.replace(".", "").isdigit():
                    if m == V.METRIC_MONEY:
                        tok = self.fmt_decimal(tok)
                    else:
                        tok = self.fmt_count(int(tok))
                toks.append(self.tx(tok) if not tok.isascii() else tok)
            return toks, lab

        def block(n, header, items):
            t = title(n)
            rows = [
                _Row("title", [t, "", "", ""], [t]),
                _Row("header", header + [""] * (4 - len(header)), header),
            ]
            for key, metrics, label in items:
                toks, lab = item(key, metrics, label)
                rows.append(_data_row([lab], toks + [""] * (3 - len(toks))))
                rows[-1].docx = [lab] + toks
            blocks.append(rows)

        norm_label = "规范性文件" if self.norm_alias else "行政规范性文件"
        fees_label = "行政事业收费" if self.fees_alias else "行政事业性收费"
        if tpl == V.TEMPLATE_2021:
            block(
                "一",
                head("本年制发件数", "本年废止件数", "现行有效件数"),
                [
                    ("rules", V.DISCLOSURE_ITEM_BY_KEY["rules"].metrics[tpl], None),
                    ("normative_documents", V.DISCLOSURE_ITEM_BY_KEY["normative_documents"].metrics[tpl], norm_label),
                ],
            )
            block("五", head("本年处理决定数量"), [("administrative_licensing", ("decisions",), None)])
            block(
                "六",
                head("本年处理决定数量"),
                [("administrative_penalty", ("decisions",), None), ("administrative_coercion", ("decisions",), None)],
            )
            block("八", head("本年收费金额(单位:万元)"), [("administrative_fees", (V.METRIC_MONEY,), fees_label)])
        else:
            dec = ("previous_year_items", "change", "decisions")
            docs = ("new_made", "new_published", "total_published")
            block(
                "一",
                head("本年新制作数量", "本年新公开数量", "对外公开总数量"),
                [("rules", docs, None), ("normative_documents", docs, norm_label)],
            )
            block(
                "五",
                head("上一年项目数量", "本年增/减", "处理决定数量"),
                [("administrative_licensing", dec, None), ("other_management_services", dec, None)],
            )
            block(
                "六",
                head("上一年项目数量", "本年增/减", "处理决定数量"),
                [("administrative_penalty", dec, None), ("administrative_coercion", dec, None)],
            )
            block(
                "八",
                head("上一年项目数量", "本年增/减"),
                [("administrative_fees", ("previous_year_items", "change"), fees_label)],
            )
            amount_head = "采购总金额(万元)" if self.amount_mode == "header_wan" else "采购总金额"
            if self.amount_mode == "header_wan" and self.rn.random() < 0.4:
                amount_head = "采购总金额(单位:万元)"
            block(
                "九", head("采购项目数量", amount_head), [("centralized_procurement", ("items", V.METRIC_MONEY), None)]
            )
        return blocks

    def _table3(self) -> list[_Row]:
        L = self.label
        head = L(_T3_HEAD)
        appl = [L(x) for x in _APPL]
        legal = L("法人或其他组织")
        rows = [
            _Row("header", [head, "", "", L("申请人情况"), "", "", "", "", "", ""], [head, L("申请人情况")]),
            _Row("header", ["", "", "", appl[0], legal, "", "", "", "", appl[6]], ["", appl[0], legal, appl[6]]),
            _Row("header", ["", "", "", "", *appl[1:6], ""], ["", "", *appl[1:6], ""]),
        ]
        for k in self.t3_order:
            slots = [L(s) if s else "" for s in _t3_slots(k)]
            toks = self.t3_tokens[k]
            if k not in self.t3_bad and self.num_noise:
                toks = [self.fmt_count(int(t)) for t in toks]
            else:
                toks = [self.tx(t) if not t.isascii() else t for t in toks]
            row = _data_row(slots, toks)
            row.defective = k in self.t3_bad
            rows.append(row)
            if k in self.t3_dup:
                deepest = max(i for i, s in enumerate(slots) if s)
                dslots = ["" if i != deepest else slots[i] for i in range(3)]
                dup = _data_row(dslots, list(self.t3_dup[k]))
                dup.defective = True
                rows.append(dup)
        return rows

    def _table4(self) -> list[_Row]:
        style = self.t4_head_style

        def h(s):
            if style == "spaced" and len(s) == 4:
                s = s[:2] + " " + s[2:]
            return self.label(s)

        outs = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
        full = [h(x) for x in outs]
        if style == "short":  # PDF damage: only the first line of each wrapped header survives
            short = [full[0]] + [self.tx(x[:2]) for x in outs[1:4]] + [full[4]]
            row2 = [self.tx(x[:2]) for x in outs[:4]] + [full[4]]
        else:
            short = full
            row2 = full
        rv, rs = self.label("行政复议"), self.label("行政诉讼")
        direct, after = self.label("未经复议直接起诉"), self.label("复议后起诉")
        rows = [
            _Row("header", [rv, "", "", "", "", rs] + [""] * 9, [rv, rs]),
            _Row("header", short + [direct, "", "", "", "", after, "", "", "", ""], short + [direct, after]),
            _Row("header", [""] * 5 + row2 + row2, [""] * 5 + row2 + row2),
        ]
        if not self.no_t4_numbers:
            toks = [
                (self.tx(t) if not t.isascii() else t) if i in self.t4_bad else self.fmt_count(int(t))
                for i, t in enumerate(self.t4_tokens)
            ]
            row = _Row("data", toks)
            row.defective = bool(self.t4_bad)
            rows.append(row)
        return rows

    def _add_page_breaks(self, rows: list[_Row], allow_split: bool) -> list[_Row]:
        if not self.page_rate:
            return rows
        rn = self.rn
        out: list[_Row] = []
        for i, row in enumerate(rows):
            if (
                allow_split
                and self.split_rate
                and row.kind == "data"
                and not row.defective
                and len([c for c in row.grid[row.nlab :] if c]) == 7
                and rn.random() < self.page_rate * self.split_rate * 2
            ):
                row.split = (rn.randint(1, 6), self.page_line())
            elif (
                self.layout == "cell_per_line"
                and row.kind in ("data", "header")
                and len(row.docx) > 2
                and rn.random() < self.page_rate
            ):
                row.inner = (rn.randint(1, len(row.docx) - 1), self.page_line())
            out.append(row)
            if 0 < i < len(rows) - 1 and rn.random() < self.page_rate and row.split is None:
                out.append(_page_row(self.page_line()))
        return out

    def _render(self, rows: list[_Row], width: int) -> list[str]:
        layout = self.layout
        rn = self.rn
        lines: list[str] = []
        if layout == "pipe":
            for row in rows:
                if row.kind == "page":
                    lines.append(row.text)
                    continue
                if row.kind == "data":
                    labs = [x for x in row.grid[: row.nlab] if x]
                    cells = list(row.grid[row.nlab :])
                    while cells and cells[-1] == "":
                        cells.pop()
                    if row.split:
                        k, page = row.split
                        nums = cells
                        lines.append(" | ".join(labs + nums[:k]) + " |")
                        lines.append(page)
                        lines.append(self._pipe(nums[k:], width))
                        continue
                    toks = labs + cells
                else:
                    toks = [x for x in row.grid if x]
                lines.append(self._pipe(toks, width))
        elif layout == "tab":
            for row in rows:
                if row.kind == "page":
                    lines.append(row.text)
                    continue
                cells = list(row.grid)
                if row.kind == "data" and row.nlab:
                    labs, vals = cells[: row.nlab], cells[row.nlab :]
                    while vals and vals[-1] == "":
                        vals.pop()
                    if self.tab_compact and row.nlab > 1:
                        while labs and labs[-1] == "":
                            labs.pop()
                        if rn.random() < 0.5:
                            labs.append("")
                    if self.noise and row.nlab > 1 and rn.random() < 0.05:
                        labs = [x for x in labs if x] + [""]
                    cells = labs + vals
                elif rn.random() < 0.5:
                    while cells and cells[-1] == "":
                        cells.pop()
                if self.tab_trailing and rn.random() < 0.6:
                    cells.append("")
                lines.append("\t".join(cells))
                if self.noise and rn.random() < 0.03:
                    lines.append("")
        elif layout == "cell_per_line":
            for row in rows:
                if row.kind == "page":
                    lines.append(row.text)
                    continue
                cells = list(row.docx)
                while len(cells) > 1 and cells[-1] == "" and row.kind == "data":
                    cells.pop()
                out = ["\t" + c for c in cells]
                if row.inner:
                    pos, page = row.inner
                    out.insert(pos, page)
                lines.extend(out)
                lines.append("")
            lines.append("")
        else:  # markdown
            sep = "|" + "|".join([self.md_sep] * width) + "|"
            need_sep = True
            for row in rows:
                if row.kind == "page":
                    lines.append("")
                    lines.append(row.text)
                    lines.append("")
                    need_sep = True
                    continue
                cells = list(row.grid)
                if row.kind != "data":
                    cells += [""] * (width - len(cells))
                lines.append("| " + " | ".join(cells) + " |")
                if need_sep:
                    lines.append(sep)
                    need_sep = False
        return lines

    def _pipe(self, toks: list[str], width: int) -> str:
        s = " | ".join(toks) + " |"
        pad = width - len(toks)
        if pad > 0 and self.pipe_padded:
            s += " " + "|" * pad
        return s

    def _table_lines(self, no: int) -> list[str]:
        if no == 2:
            blocks = [self._add_page_breaks(b, False) for b in self._table2()]
            width = 4
            if self.layout == "pipe" and self.template == V.TEMPLATE_2019 and self.rn.random() < 0.5:
                width = 7
            if self.layout == "markdown" and self.md_split_t2:
                lines: list[str] = []
                for b in blocks:
                    lines.extend(self._render(b, width))
                    lines.append("")
                return lines
            return self._render([row for b in blocks for row in b], width)
        if no == 3:
            return self._render(self._add_page_breaks(self._table3(), self.layout == "pipe"), 10)
        return self._render(self._add_page_breaks(self._table4(), False), 15)

    # ---------------------------------------------------------------- document
    def _fill(self, template: str, **extra) -> str:
        ctx = self.ctx
        if extra:
            ctx = {**ctx, **extra}
        return self.tx(template).format(**ctx)

    def _para(self, out: list[str], text: str):
        rn = self.rn
        if self.html and rn.random() < 0.12:
            i = rn.randint(len(text) // 3, len(text) - 1)
            text = text[:i] + "</span>" + text[i:]
        if self.linebreak_prose and len(text) > 60 and rn.random() < 0.25:
            spots = [i for i in range(20, len(text) - 10) if _is_cjk(text[i]) and text[i] not in "一二三四五六七八九十"]
            if spots:
                i = rn.choice(spots)
                out.append(text[:i])
                if rn.random() < 0.5:
                    out.append("")
                text = text[i:]
        out.append(text)
        if self.para_gap:
            out.append("")
        if self.page_rate and rn.random() < self.page_rate / 2:
            out.append(self.page_line())

    def _heading(self, out: list[str], no: int):
        rn = self.rt
        text = rn.choice(_HEADINGS[no])
        if self.noise and rn.random() < 0.05:
            text = text.replace("、", "、 ", 1)
        text = self.tx(text)
        if self.qmarks and rn.random() < 0.3:
            text = "?" + text if rn.random() < 0.5 else text + "?"
        out.append(text)
        if self.para_gap:
            out.append("")

    def _document(self) -> str:
        rt = self.rt
        year = self.year
        total = self.req["new_received"][6] if "new_received" in self.req else 0
        lic = int(self.dis.get(("administrative_licensing", "decisions"), ("", 0))[1])
        pen = int(self.dis.get(("administrative_penalty", "decisions"), ("", 0))[1])
        n1 = rt.randint(max(lic + pen, 20), max(lic + pen, 20) + 4000)
        self.ctx = {
            "agency": self.tx(self.agency),
            "short": self.tx(self.short),
            "we": self.tx(self.we),
            "place": self.tx(self.place.name),
            "upper": self.tx(self.upper),
            "year": year,
            "yr": f" {year} " if self.spaced_year else year,
            "n1": n1,
            "n2": rt.randint(1, 300),
            "n3": rt.randint(1, 200),
            "n4": rt.randint(1, 100),
            "n5": rt.randint(100, 30000),
            "lic": lic,
            "pen": pen,
            "nr": total,
            "co": self.req["carried_over"][6],
            "cf": self.req["carried_forward"][6],
            "done": self.req["results_total"][6],
        }
        out: list[str] = []
        noise = self.noise
        if noise and rt.random() < 0.12:
            out.extend([""] * rt.randint(1, 2))
        if noise and rt.random() < 0.1:
            out.append(self.tx(f"当前位置：首页 > 政府信息公开 > 政府信息公开年报 > {year}年度"))
        # title
        ag = self.ctx["agency"]
        form = "plain"
        if noise:
            form = _wchoice(rt, {"plain": 60, "spaced": 10, "split": 15, "year_first": 10, "niandu": 5})
        if form == "plain":
            out.append(f"{ag}{year}" + self.tx("年政府信息公开工作年度报告"))
        elif form == "spaced":
            out.append(f"{ag} {year} " + self.tx("年政府信息公开工作年度报告"))
        elif form == "split":
            out.append(ag)
            out.append(f"{year}" + self.tx("年政府信息公开工作年度报告"))
        elif form == "year_first":
            out.append(f"{year}" + self.tx("年") + ag + self.tx("政府信息公开工作年度报告"))
        else:
            out.append(f"{ag}{year}" + self.tx("年度政府信息公开工作年度报告"))
        if self.qmarks and rt.random() < 0.5:
            out.append("?")
        self.published = None
        if rt.random() < 0.45:
            m, d = rt.randint(1, 3), rt.randint(1, 28)
            self.published = f"{year + 1}-{m:02d}-{d:02d}"
            if rt.random() < 0.6:
                line = f"发布日期：{year + 1}年{m:02d}月{d:02d}日"
            else:
                line = f"发布日期：{self.published}"
            if rt.random() < 0.4:
                line += f" 来源：{self.agency}"
            out.append(self.tx(line))
        if self.para_gap:
            out.append("")
        # preamble
        x = rt.random()
        if x < 0.6:
            pool = _PREAMBLE_2021 if self.template == V.TEMPLATE_2021 else _PREAMBLE_2019
            self._para(out, self._fill(rt.choice(pool)))
        elif x < 0.75:
            self._para(out, self._fill(_PREAMBLE_ANY[0]))

        # 一
        self._heading(out, 1)
        first = self._fill(rt.choice(_OVERVIEW_INTRO))
        if self.bookmark:
            first = "[bookmark: _GoBack]" + first
        self._para(out, first)
        heads = _SUB_ACTIVE_HEADS[:3] if rt.random() < 0.95 else _SUB_ACTIVE_HEADS[3:]
        inline = rt.random() < 0.5
        for head, body in (
            (rt.choice(heads), self._fill(rt.choice(_SUB_ACTIVE))),
            (rt.choice(_SUB_REQUEST_HEADS), self._fill(rt.choice(_SUB_REQUEST_SOME if total else _SUB_REQUEST_NONE))),
        ):
            head = self.tx(head)
            if inline:
                self._para(out, head + "。" + body)
            else:
                self._para(out, head)
                self._para(out, body)
        for pool in (_SUB_MANAGE, _SUB_PLATFORM, _SUB_OVERSIGHT):
            if rt.random() < 0.75:
                self._para(out, self._fill(rt.choice(pool)))
        # 二 三 四
        for no in (2, 3, 4):
            self._heading(out, no)
            if self.qmarks and rt.random() < 0.2:
                out.append("?")
            if self.md_captions:
                out.append(self.tx(_CAPTIONS[no]))
            if (no == 3 and self.no_t3) or (no == 4 and self.no_t4):
                self._para(out, self._fill(rt.choice(_NO_T3 if no == 3 else _NO_T4)))
                continue
            if self.layout == "markdown" or (self.layout == "tab" and rt.random() < 0.5):
                out.append("")
            out.extend(self._table_lines(no))
            if self.layout in ("markdown", "tab") or (self.layout == "pipe" and rt.random() < 0.2):
                out.append("")
            if self.qmarks and rt.random() < 0.4:
                out.append("?")
        # 五 六
        if self.drop_section != 5:
            self._heading(out, 5)
            if rt.random() < 0.3:
                self._para(out, self.tx("（一）存在问题"))
                self._para(out, self._fill(rt.choice(_PROBLEMS)))
                self._para(out, self.tx("（二）改进情况"))
                self._para(out, self._fill(rt.choice(_IMPROVEMENTS)))
            else:
                self._para(out, self._fill(rt.choice(_PROBLEMS)))
                self._para(out, self._fill(rt.choice(_IMPROVEMENTS)))
        if self.drop_section != 6:
            self._heading(out, 6)
            self._para(out, self._fill(rt.choice(_OTHER_MATTERS)))
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n"

    def _finish(self, text: str) -> SyntheticReport:
        if self.punct == "half":
            text = text.translate(_TO_HALF)
        if self.residue:
            text = text.translate(str.maketrans(self.residue))
        if self.crlf:
            text = text.replace("\n", "\r\n")
        enc = self.encoding
        if enc == "utf-16":
            raw = b"\xff\xfe" + text.encode("utf-16-le")
        elif enc == "utf-8-sig":
            raw = b"\xef\xbb\xbf" + text.encode("utf-8")
        else:
            raw = text.encode(enc)
        ext = ".md" if self.layout == "markdown" else ".txt"
        checks: list[str] = []
        for c in self.checks:
            if c not in checks:
                checks.append(c)
        return SyntheticReport(
            name=f"synth_{self.seed:05d}{ext}",
            raw=raw,
            year=self.year,
            template=self.template,
            agency=self.agency,
            admin_code=self.place.code,
            province_code=self.place.province_code,
            layout=self.layout,
            encoding=enc,
            traditional=self.traditional,
            disclosure=dict(self.exp_dis),
            requests=dict(self.exp_req),
            review=dict(self.exp_rev),
            defects=tuple(self.defects),
            expected_checks=tuple(checks),
            published_date=self.published,
            seed=self.seed,
        )


_GARBLE = {"0": "O", "1": "l", "2": "Z", "5": "S", "6": "b", "8": "B", "9": "g"}


def _garble(s: str, r: random.Random) -> str:
    """A number an OCR got wrong: one digit replaced by a look-alike letter (``1O``, ``l2``, ``O``)."""
    spots = [i for i, ch in enumerate(s) if ch.isdigit()]
    i = r.choice(spots)
    repl = _GARBLE.get(s[i], "O")
    return s[:i] + repl + s[i + 1 :]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def generate_report(
    seed: int,
    *,
    layout: str | None = None,
    template: str | None = None,
    encoding: str | None = None,
    traditional: bool | None = None,
    noise: bool = True,
    defect: str | None = None,
) -> SyntheticReport:
    """One synthetic report, fully determined by its arguments.

    ``None`` lets the seed choose.  ``noise=False`` gives a clean, plain report (UTF-8, LF, simplified,
    full-width punctuation, no page breaks, typos or residue) unless an argument asks otherwise.
    ``defect`` injects one of ``DEFECTS`` (``amount_unit_unknown`` implies the 2019 template).
    """
    if defect is not None and defect not in DEFECT_CHECKS:
        raise ValueError(f"unknown defect {defect!r}; known: {', '.join(DEFECTS)}")
    return _Gen(seed, layout, template, encoding, traditional, noise, defect).build()


def generate_corpus(n: int, seed: int = 0, *, defect_rate: float = 0.2, **kw) -> list[SyntheticReport]:
    """``n`` reports; report ``i`` is ``generate_report(seed * 1_000_000 + i, ...)``.

    About ``defect_rate`` of them carry one defect, drawn round-robin from ``DEFECTS`` in a seeded
    order (so a corpus of a few hundred covers every kind).  ``kw`` is passed to ``generate_report``;
    when it forces the 2021 template, 2019-only defects are skipped.
    """
    if "defect" in kw:
        raise TypeError("generate_corpus draws the defects itself; use defect_rate")
    r = random.Random(f"gi-synth-corpus:{seed}")
    kinds = list(DEFECTS)
    if kw.get("template") not in (None, V.TEMPLATE_2019):
        kinds = [k for k in kinds if k not in _DEFECTS_2019_ONLY]
    r.shuffle(kinds)
    out = []
    k = 0
    for i in range(n):
        defect = None
        if r.random() < defect_rate:
            defect = kinds[k % len(kinds)]
            k += 1
        out.append(generate_report(seed * 1_000_000 + i, defect=defect, **kw))
    return out


def identity_errors(report: SyntheticReport) -> list[str]:
    """The table 三 / 四 identities that the expected values break (cells that are None are skipped)."""
    errors: list[str] = []
    req = report.requests
    rows = V.request_rows(report.template)
    results = [k for k in rows if k in V.RESULT_ROW_KEYS]

    def get(k, a):
        return req.get((k, a))

    for a in V.APPLICANTS:
        col = [get(k, a) for k in ("new_received", "carried_over", "results_total", "carried_forward")]
        if None not in col and col[0] + col[1] != col[2] + col[3]:
            errors.append(f"identity_balance:{a}")
        parts = [get(k, a) for k in results]
        if None not in parts and get("results_total", a) is not None and sum(parts) != get("results_total", a):
            errors.append(f"identity_results_total:{a}")
    for k in rows:
        parts = [get(k, a) for a in V.APPLICANT_PARTS]
        tot = get(k, V.APPLICANT_TOTAL)
        if None not in parts and tot is not None and sum(parts) != tot:
            errors.append(f"identity_row_total:{k}")
    for p in V.PROCEEDINGS:
        parts = [report.review[(p, o)] for o in V.OUTCOME_PARTS]
        tot = report.review[(p, V.OUTCOME_TOTAL)]
        if None not in parts and tot is not None and sum(parts) != tot:
            errors.append(f"identity_review_total:{p}")
    return errors
