"""The one canonical vocabulary of the annual-report template.

Row keys, applicant keys, items, metrics, sections and the printed labels they are recognised by are
defined here once; the parser, the Parquet schemas, the GX suites, the generator and the tests all
read them from this module.  Labels are written in *normalized* form (simplified characters,
half-width punctuation: see ``gi_pipeline.normalize``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEMPLATE_2021 = "2021"  # 国办公开办函〔2021〕30号, reports for 2021 onwards
TEMPLATE_2019 = "2019"  # 国办公开办函〔2019〕60号, reports for 2019-2020
TEMPLATES = (TEMPLATE_2021, TEMPLATE_2019)  # the national templates: their tables are read
BOTH = frozenset(TEMPLATES)
# Reports of 2008-2018, before any national table template: free-form prose, sections and metadata only.
TEMPLATE_PRE_2019 = "pre-2019"
# The Regulations (政府信息公开条例) took effect on 2008-05-01: the first year with annual reports.
FIRST_REPORT_YEAR = 2008
FIRST_TEMPLATE_YEAR = 2019  # 国办公开办函〔2019〕60号: the first national template

UNKNOWN_REGION = "000000"

# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    no: int
    key: str
    title: str
    # A heading line belongs to this section when it contains one of these phrases.
    phrases: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section(1, "overview", "总体情况", ("总体情况", "概述")),
    Section(2, "active_disclosure", "主动公开政府信息情况", ("主动公开政府信息",)),
    # 依申请公开: the heading of reports before 2019 (三、依申请公开政府信息情况).
    Section(3, "requests", "收到和处理政府信息公开申请情况", ("收到和处理政府信息公开申请", "依申请公开")),
    Section(
        4,
        "review_litigation",
        "政府信息公开行政复议、行政诉讼情况",
        ("行政复议、行政诉讼", "行政复议和行政诉讼", "行政复议和提起行政诉讼", "行政复议,行政诉讼"),
    ),
    Section(5, "problems", "存在的主要问题及改进情况", ("存在的主要问题", "问题及改进", "问题和改进")),
    Section(6, "other_matters", "其他需要报告的事项", ("其他需要报告的事项",)),
)
PREAMBLE = Section(0, "preamble", "", ())

# --------------------------------------------------------------------------------------------
# Table 三: requests received and handled (long form: row_key x applicant)
# --------------------------------------------------------------------------------------------

APPLICANTS: tuple[str, ...] = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
)
APPLICANT_TOTAL = "total"
APPLICANT_PARTS = APPLICANTS[:-1]

APPLICANT_LABELS: dict[str, tuple[str, ...]] = {
    "natural_person": ("自然人",),
    "commercial_enterprise": ("商业企业",),
    "research_institution": ("科研机构",),
    "social_welfare_org": ("社会公益组织",),
    "legal_service_org": ("法律服务机构",),
    "other_org": ("其他",),
    "total": ("总计",),
}


@dataclass(frozen=True)
class RequestRow:
    key: str
    labels: tuple[str, ...]
    templates: frozenset[str] = BOTH
    # Part of results_total (the 办理结果 rows (一)..(六)).
    is_result: bool = False
    # Printed as a group heading in the other template: only a row when nothing more specific follows.
    also_group: bool = False


REQUEST_ROWS: tuple[RequestRow, ...] = (
    RequestRow("new_received", ("一、本年新收政府信息公开申请数量", "本年新收政府信息公开申请数量")),
    RequestRow("carried_over", ("二、上年结转政府信息公开申请数量", "上年结转政府信息公开申请数量")),
    RequestRow("granted", ("(一)予以公开",), is_result=True),
    RequestRow(
        "partially_granted",
        ("(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "(二)部分公开"),
        is_result=True,
    ),
    RequestRow("withheld_state_secret", ("1.属于国家秘密",), is_result=True),
    RequestRow("withheld_prohibited_by_law", ("2.其他法律行政法规禁止公开",), is_result=True),
    RequestRow("withheld_three_safeties", ("3.危及“三安全一稳定”", "3.危及三安全一稳定"), is_result=True),
    RequestRow("withheld_third_party", ("4.保护第三方合法权益",), is_result=True),
    RequestRow("withheld_internal_affairs", ("5.属于三类内部事务信息",), is_result=True),
    RequestRow("withheld_process_info", ("6.属于四类过程性信息",), is_result=True),
    RequestRow("withheld_enforcement_files", ("7.属于行政执法案卷",), is_result=True),
    RequestRow("withheld_administrative_query", ("8.属于行政查询事项",), is_result=True),
    RequestRow("unable_not_held", ("1.本机关不掌握相关政府信息",), is_result=True),
    RequestRow("unable_needs_creation", ("2.没有现成信息需要另行制作",), is_result=True),
    RequestRow("unable_unclear", ("3.补正后申请内容仍不明确",), is_result=True),
    RequestRow("not_processed_petition", ("1.信访举报投诉类申请",), is_result=True),
    RequestRow("not_processed_repeated", ("2.重复申请",), is_result=True),
    RequestRow("not_processed_publication", ("3.要求提供公开出版物",), is_result=True),
    RequestRow("not_processed_excessive", ("4.无正当理由大量反复申请",), is_result=True),
    RequestRow("not_processed_confirmation", ("5.要求行政机关确认或重新出具已获取信息",), is_result=True),
    RequestRow(
        "other_overdue_correction",
        ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",),
        frozenset({TEMPLATE_2021}),
        is_result=True,
    ),
    RequestRow(
        "other_unpaid_fee",
        ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",),
        frozenset({TEMPLATE_2021}),
        is_result=True,
    ),
    RequestRow("other_misc", ("3.其他",), frozenset({TEMPLATE_2021}), is_result=True),
    RequestRow("other_handling", ("(六)其他处理",), frozenset({TEMPLATE_2019}), is_result=True, also_group=True),
    RequestRow("results_total", ("(七)总计",)),
    RequestRow("carried_forward", ("四、结转下年度继续办理", "结转下年度继续办理")),
)
REQUEST_ROW_BY_KEY = {row.key: row for row in REQUEST_ROWS}
REQUEST_ROW_KEYS = tuple(row.key for row in REQUEST_ROWS)
RESULT_ROW_KEYS = tuple(row.key for row in REQUEST_ROWS if row.is_result)
ROWS_2021_ONLY = tuple(row.key for row in REQUEST_ROWS if row.templates == {TEMPLATE_2021})
ROWS_2019_ONLY = tuple(row.key for row in REQUEST_ROWS if row.templates == {TEMPLATE_2019})
# A row some reports print in place of the rows it sums: a 2021-template report may print one
# (六)其他处理 row with no sub-rows. Its value stands for theirs (results_total sums it instead).
MERGED_ROWS: dict[str, tuple[str, ...]] = {
    "other_handling": ("other_overdue_correction", "other_unpaid_fee", "other_misc"),
}


def request_rows(template: str) -> tuple[str, ...]:
    """Row keys of table 三 in the given template, in printed order."""
    return tuple(row.key for row in REQUEST_ROWS if template in row.templates)


# Group headings of table 三 and the printed column headers: known text that is not a row.
REQUEST_GROUP_LABELS = ("三、本年度办理结果", "(三)不予公开", "(四)无法提供", "(五)不予处理", "(六)其他处理")
REQUEST_HEADER_LABELS = (
    "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)",
    "(本列数据的钩稽关系为:第一项加第二项之和,等于第三项加第四项之和)",
    "申请人情况",
    "法人或其他组织",
    *(label for labels in APPLICANT_LABELS.values() for label in labels),
)

# --------------------------------------------------------------------------------------------
# Table 二: active disclosure (long form: item x metric)
# --------------------------------------------------------------------------------------------

METRIC_MONEY = "amount_10k_yuan"
# Metrics that may be negative (the 2019 template's 本年增/减).
SIGNED_METRICS = frozenset({"change"})


@dataclass(frozen=True)
class DisclosureItem:
    key: str
    labels: tuple[str, ...]
    # Metrics (columns) per template, in printed order; absent template = item not in it.
    metrics: dict[str, tuple[str, ...]] = field(default_factory=dict)


_DOCS_2021 = ("issued", "repealed", "in_force")
_DOCS_2019 = ("new_made", "new_published", "total_published")
_DECISIONS_2019 = ("previous_year_items", "change", "decisions")

DISCLOSURE_ITEMS: tuple[DisclosureItem, ...] = (
    DisclosureItem("rules", ("规章",), {TEMPLATE_2021: _DOCS_2021, TEMPLATE_2019: _DOCS_2019}),
    DisclosureItem(
        "normative_documents",
        ("行政规范性文件", "规范性文件"),
        {TEMPLATE_2021: _DOCS_2021, TEMPLATE_2019: _DOCS_2019},
    ),
    DisclosureItem(
        "administrative_licensing", ("行政许可",), {TEMPLATE_2021: ("decisions",), TEMPLATE_2019: _DECISIONS_2019}
    ),
    DisclosureItem("other_management_services", ("其他对外管理服务事项",), {TEMPLATE_2019: _DECISIONS_2019}),
    DisclosureItem(
        "administrative_penalty", ("行政处罚",), {TEMPLATE_2021: ("decisions",), TEMPLATE_2019: _DECISIONS_2019}
    ),
    DisclosureItem(
        "administrative_coercion", ("行政强制",), {TEMPLATE_2021: ("decisions",), TEMPLATE_2019: _DECISIONS_2019}
    ),
    DisclosureItem(
        "administrative_fees",
        ("行政事业性收费", "行政事业收费"),
        {TEMPLATE_2021: (METRIC_MONEY,), TEMPLATE_2019: ("previous_year_items", "change")},
    ),
    DisclosureItem("centralized_procurement", ("政府集中采购",), {TEMPLATE_2019: ("items", METRIC_MONEY)}),
)
DISCLOSURE_ITEM_BY_KEY = {item.key: item for item in DISCLOSURE_ITEMS}


def disclosure_cells(template: str) -> tuple[tuple[str, str], ...]:
    """(item, metric) pairs of table 二 in the given template, in printed order."""
    return tuple((item.key, m) for item in DISCLOSURE_ITEMS for m in item.metrics.get(template, ()))


# Column headers of table 二, per template: they also tell the template apart.
DISCLOSURE_HEADERS: dict[str, tuple[str, ...]] = {
    TEMPLATE_2021: ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额(单位:万元)"),
    TEMPLATE_2019: (
        "本年新制作数量",
        "本年新公开数量",
        "对外公开总数量",
        "上一年项目数量",
        "本年增/减",
        "处理决定数量",
        "采购项目数量",
        "采购总金额",
    ),
}
DISCLOSURE_COMMON_HEADERS = ("信息内容",)

# --------------------------------------------------------------------------------------------
# Table 四: administrative review and litigation (long form: proceeding x outcome)
# --------------------------------------------------------------------------------------------

PROCEEDINGS = ("review", "litigation_direct", "litigation_after_review")
OUTCOMES = ("upheld", "corrected", "other", "pending", "total")
OUTCOME_TOTAL = "total"
OUTCOME_PARTS = OUTCOMES[:-1]
REVIEW_LITIGATION_CELLS = tuple((p, o) for p in PROCEEDINGS for o in OUTCOMES)
# A heading over one proceeding's part of table 四 (a conversion that split the table per proceeding),
# tried in this order: the litigation headings also say 复议.
PROCEEDING_HEADINGS: tuple[tuple[str, str], ...] = (
    ("未经复议直接起诉", "litigation_direct"),
    ("复议后起诉", "litigation_after_review"),
    ("行政复议", "review"),
)
# Table 四's bottom header row names each proceeding's five columns, in OUTCOMES order.
REVIEW_OUTCOME_LABELS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
REVIEW_HEADER_LABELS = (
    "行政复议",
    "行政诉讼",
    "结果维持",
    "结果纠正",
    "其他结果",
    "尚未审结",
    "总计",
    "未经复议直接起诉",
    "复议后起诉",
)

# --------------------------------------------------------------------------------------------
# Table names (Parquet tables and quality_issues.table) and quality check names
# --------------------------------------------------------------------------------------------

TABLE_REPORTS = "reports"
TABLE_SECTIONS = "sections"
TABLE_ACTIVE_DISCLOSURE = "active_disclosure"
TABLE_REQUESTS = "requests"
TABLE_REVIEW_LITIGATION = "review_litigation"
TABLE_QUALITY_ISSUES = "quality_issues"
TABLE_QUARANTINE = "quarantine"
TABLE_CROSS_YEAR_ISSUES = "cross_year_issues"  # unpartitioned: findings that pair two reports
PARTITIONED_TABLES = (
    TABLE_REPORTS,
    TABLE_SECTIONS,
    TABLE_ACTIVE_DISCLOSURE,
    TABLE_REQUESTS,
    TABLE_REVIEW_LITIGATION,
    TABLE_QUALITY_ISSUES,
)
UNPARTITIONED_TABLES = (TABLE_QUARANTINE, TABLE_CROSS_YEAR_ISSUES)
FACT_TABLES = (TABLE_ACTIVE_DISCLOSURE, TABLE_REQUESTS, TABLE_REVIEW_LITIGATION)

SEVERITY_ERROR = "error"
SEVERITY_WARNING = "warning"
# reports.status: flagged when the report has an error-severity issue
STATUS_OK = "ok"
STATUS_FLAGGED = "flagged"


class Check:
    """Names of the parser's quality checks (``quality_issues.check``)."""

    CELL_COUNT = "cell_count"  # a row with too few / too many cells: whole row null
    BLANK_CELL = "blank_cell"  # an empty cell where a number belongs: null
    PLACEHOLDER_CELL = "placeholder_cell"  # a dash, slash or 无 in a number cell: null
    UNREADABLE_CELL = "unreadable_cell"  # a cell that is not a number: null
    OCR_LOW_CONFIDENCE = "ocr_low_confidence"  # a number OCR read below its confidence threshold: null
    ROW_MISSING = "row_missing"  # a template row not found: null
    ROW_AMBIGUOUS = "row_ambiguous"  # numbers whose row label cannot be told apart: not assigned
    DUPLICATE_ROW = "duplicate_row"  # a row printed twice with different numbers: null
    UNASSIGNED_VALUES = "unassigned_values"  # numbers with no row label: not used
    TABLE_MISSING = "table_missing"  # the table's section or table is absent
    TABLE_NO_NUMBERS = "table_no_numbers"  # a table printed with headers only
    AMOUNT_UNIT_UNKNOWN = "amount_unit_unknown"  # money with no unit in cell or header: null
    DIGITS_SPLIT = "digits_split"  # cells printed run together, split by the one reading that fits: kept
    DIGITS_AMBIGUOUS = "digits_ambiguous"  # cells printed run together that several readings fit: null
    TEMPLATE_UNKNOWN = "template_unknown"
    TEMPLATE_UNSUPPORTED = "template_unsupported"  # a pre-2019 report: its tables are not extracted
    TEMPLATE_CONFLICT = "template_conflict"  # strong signals of the template (notice cited, table 二, table 三) disagree
    ROWS_MERGED = "rows_merged"  # one row printed in place of its sub-rows (vocabulary.MERGED_ROWS): kept as printed
    SECTION_MISSING = "section_missing"
    YEAR_UNKNOWN = "year_unknown"
    AGENCY_UNKNOWN = "agency_unknown"
    REGION_UNKNOWN = "region_unknown"
    REGION_AMBIGUOUS = "region_ambiguous"
    REGION_FUZZY = "region_fuzzy"  # a place name one character off, confirmed by an independent signal
    NOT_A_REPORT = "not_a_report"
    # Checks the GX suites run (gi_pipeline.suites); identity checks are named "identity_*".
    NONNEGATIVE = "nonnegative"  # a count or amount printed negative: kept as written, flagged
    VOCABULARY = "vocabulary"  # a key outside the canonical vocabulary
    COMPLETENESS = "completeness"  # a report missing rows of its template
    IDENTITY_PREFIX = "identity"
    NARRATIVE_MISMATCH = "narrative_mismatch"  # the text of section 一 or 四 states a number the table contradicts


# --------------------------------------------------------------------------------------------
# Narrative statements: numbers the text of sections 一 and 四 states that the tables also report
# --------------------------------------------------------------------------------------------

NARRATIVE_SECTIONS = ("overview", "review_litigation")

# A cell a statement is about: (table, row / item / proceeding, column / metric / outcome).
CellRef = tuple[str, str, str]


@dataclass(frozen=True)
class NarrativePattern:
    """A way the text states a table number. ``pattern`` is a regex over the section's normalized text with
    spaces and line breaks removed (a PDF breaks sentences anywhere); ``{n}`` stands for the number and
    ``{gap}`` for a few characters within one clause. Each reading is a set of cells whose sum the text may
    state: 收到 without 新 may count the requests carried over too. The statement matches when one reading
    equals it, and contradicts the table only when every reading is known and none does."""

    key: str
    pattern: str
    readings: tuple[tuple[CellRef, ...], ...]


def _requests_total(*rows: str) -> tuple[CellRef, ...]:
    return tuple((TABLE_REQUESTS, row, APPLICANT_TOTAL) for row in rows)


_REVIEW = ((TABLE_REVIEW_LITIGATION, PROCEEDINGS[0], OUTCOME_TOTAL),)
_LITIGATION = tuple((TABLE_REVIEW_LITIGATION, p, OUTCOME_TOTAL) for p in PROCEEDINGS[1:])

NARRATIVE_PATTERNS: tuple[NarrativePattern, ...] = (
    NarrativePattern("new_received", r"新收到?{gap}{n}", (_requests_total("new_received"),)),
    NarrativePattern(
        "new_received",
        r"收到(?:政府信息公开申请|依申请公开(?:申请)?|公开申请)(?:共计?|合计|数量为?|为)?{n}",
        (_requests_total("new_received"), _requests_total("new_received", "carried_over")),
    ),
    NarrativePattern("carried_over", r"上一?年度?结转{gap}{n}", (_requests_total("carried_over"),)),
    NarrativePattern("carried_forward", r"结转(?:至|到)?下一?年度?{gap}{n}", (_requests_total("carried_forward"),)),
    NarrativePattern(
        "carried_forward", r"{n}[^,;。]{{0,2}}?结转(?:至|到)?下一?年度?", (_requests_total("carried_forward"),)
    ),
    NarrativePattern("review_total", r"行政复议{gap}{n}", (_REVIEW,)),
    NarrativePattern("review_total", r"{n}{gap}行政复议", (_REVIEW,)),
    NarrativePattern("litigation_total", r"行政诉讼{gap}{n}", (_LITIGATION,)),
    NarrativePattern("litigation_total", r"{n}{gap}行政诉讼", (_LITIGATION,)),
)
# Words that make a stated number too vague to compare (about, more than, at least ...): never forced.
NARRATIVE_HEDGES_BEFORE = ("约", "近", "超过", "逾", "不足", "不到", "大约", "将近", "超")
NARRATIVE_HEDGES_AFTER = ("余", "多", "左右", "以上", "以下", "以内")
# Within a gap, words that make the number a part (an outcome, "each") rather than the whole.
NARRATIVE_PART_WORDS = ("其中", "维持", "纠正", "撤销", "驳回", "确认", "尚未", "审结", "各", "败诉", "胜诉", "同比", "增长", "下降")
# Two proceedings named as one subject (行政复议和行政诉讼案件共3件): a statement that overlaps this counts
# both at once and is not compared. Named apart (行政复议1件、行政诉讼2件) each is read.
NARRATIVE_COMBINED = r"复议[和及与、]?(?:行政)?诉讼|诉讼[和及与、]?(?:行政)?复议"
# NarrativeStatement.status
NARRATIVE_MATCH = "match"
NARRATIVE_MISMATCH = "mismatch"
NARRATIVE_NO_TABLE_VALUE = "no_table_value"  # a cell is null or absent: neither match nor mismatch
NARRATIVE_VAGUE = "vague"  # 约, 余件, a range: not compared
