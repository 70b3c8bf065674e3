"""Grid tables read by their header, the template decided by the whole document, markdown conversions:
real reports (hongze_2024.pdf, shanghai_stcsm_2024.md) and seeds rebuilt the way Word and a paste write them."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from gi_pipeline import identities as ids
from gi_pipeline import vocabulary as v
from gi_pipeline.cells import GRID_SEP, GRID_SPAN, split_line, split_lines
from gi_pipeline.quality import SuiteRunner, validate_reports
from gi_pipeline.records import ParsedReport
from gi_pipeline.report import parse_report
from gi_pipeline.tables import APPLICANT_HEADER, place_by_header
from gi_pipeline.template import template_of_request_rows, vote_template

from . import format_fixtures as ff

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = resources.files("gi_pipeline") / "data" / "sample_reports"
SEEDS = ("000_086aff29061571b0.txt", "002_540522f8d1d44ca2.txt", "004_656a75cba6cb305a.txt")


@functools.cache
def _parsed(name: str) -> ParsedReport:
    report = parse_report((FIXTURES / name).read_bytes(), name)
    assert isinstance(report, ParsedReport), report
    return report


def _checks(report: ParsedReport) -> set[tuple[str, str | None]]:
    return {(i.check, i.row_key) for i in report.issues}


def _errors(report: ParsedReport) -> set[tuple[str, str, str | None]]:
    return {(i.check, i.table, i.row_key) for i in report.issues if i.severity == v.SEVERITY_ERROR}


# --------------------------------------------------------------------------------------------
# hongze_2024.pdf: table 三 a 10-column grid, three label columns, one (六)其他处理 row
# --------------------------------------------------------------------------------------------


def test_hongze_pdf_gives_every_gold_cell() -> None:
    gold = json.loads((FIXTURES / "gold.json").read_text(encoding="utf-8"))["hongze_2024.pdf"]
    report = _parsed("hongze_2024.pdf")
    assert report.metadata.template == gold["template"] == v.TEMPLATE_2021
    requests = {(f.row_key, f.applicant): f.value for f in report.requests}
    assert requests == {(row, a): x for row, values in gold["requests"].items() for a, x in zip(v.APPLICANTS, values)}
    disclosure = {(f.item, f.metric): f.value for f in report.disclosure}
    assert disclosure == {
        (item, m): x
        for item, values in gold["active"].items()
        for m, x in zip(v.DISCLOSURE_ITEM_BY_KEY[item].metrics[v.TEMPLATE_2021], values)
    }
    review = {(f.proceeding, f.outcome): f.value for f in report.review}
    assert review == {(p, o): x for p, values in gold["review"].items() for o, x in zip(v.OUTCOMES, values)}


def test_hongze_lone_other_handling_row_is_kept_with_a_warning_and_checks_clean() -> None:
    report = _parsed("hongze_2024.pdf")
    tables = {(i.check, i.severity, i.row_key) for i in report.issues if i.table != v.TABLE_REPORTS}
    assert tables == {(v.Check.ROWS_MERGED, v.SEVERITY_WARNING, "other_handling")}
    assert v.Check.TEMPLATE_CONFLICT not in {c for c, _ in _checks(report)}
    assert not {f.row_key for f in report.requests} & set(v.MERGED_ROWS["other_handling"])
    # results_total sums other_handling in place of the absent sub-rows; completeness counts it for them.
    checked, results = validate_reports([report], SuiteRunner())
    assert [r.suite for r in results if not r.success] == []
    assert _checks(checked[0]) == _checks(report)


# --------------------------------------------------------------------------------------------
# Seeds rebuilt as Word writes the official template, and as HTML pasted without its spans
# --------------------------------------------------------------------------------------------


@functools.cache
def _seed(seed: str) -> ParsedReport:
    report = parse_report((SAMPLES / seed).read_bytes(), seed)
    assert isinstance(report, ParsedReport)
    return report


def _build(seed: str, fmt: str) -> tuple[bytes, str]:
    blocks = ff.seed_blocks((SAMPLES / seed).read_bytes().decode("utf-8"))
    if fmt == "word-docx":
        return ff.to_word_template_docx(blocks), f"{seed[:3]}.docx"
    return ff.to_html_without_spans(blocks), f"{seed[:3]}.html"


def test_word_template_layout_ends_table_rows_in_empty_cells() -> None:
    """The layout the Word test stands for: table 三's rows end in empty grid cells, table 四 has two
    header rows (so counting a row's cells would null every row)."""
    tables = [b for b in ff.seed_blocks((SAMPLES / SEEDS[0]).read_bytes().decode("utf-8")) if isinstance(b, ff.Table)]
    requests, review = (ff.word_template_table(t) for t in tables if t.n_cols in (10, 15))
    assert requests.n_cols == review.n_cols - 5 == 12
    assert {c.row for c in review.cells if c.text and not ff._is_number(c.text)} == {0, 1}
    last_row = max(c.row for c in requests.cells)
    assert [c.text for c in sorted((c for c in requests.cells if c.row == last_row), key=lambda c: c.col)][-2:] == ["", ""]


@pytest.mark.parametrize("fmt", ("word-docx", "html-without-spans"))
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: s[:3])
def test_grid_layouts_give_the_seeds_facts(seed: str, fmt: str) -> None:
    raw, name = _build(seed, fmt)
    report = parse_report(raw, name)
    assert isinstance(report, ParsedReport), report
    text = _seed(seed)
    assert report.requests == text.requests
    assert report.review == text.review
    assert report.disclosure == text.disclosure
    assert report.metadata.template == text.metadata.template  # 002 is a 2019-template report
    assert _errors(report) == _errors(text)
    assert v.Check.TEMPLATE_CONFLICT not in {c for c, _ in _checks(report)}


# --------------------------------------------------------------------------------------------
# The template by the whole document
# --------------------------------------------------------------------------------------------


def test_template_vote() -> None:
    no_rows = template_of_request_rows(())
    lone_row = template_of_request_rows({"other_handling"})
    sub_rows = template_of_request_rows({"other_misc"})
    notice_2021 = "依据国办公开办函〔2021〕30号"
    # Strong signals agree: no conflict, whatever the weak ones say.
    assert vote_template(notice_2021, lone_row, v.TEMPLATE_2021, 2024) == (v.TEMPLATE_2021, "")
    # Only weak signals: the year before the lone row.
    assert vote_template("", lone_row, None, 2024) == (v.TEMPLATE_2021, "")
    assert vote_template("", lone_row, None, None) == (v.TEMPLATE_2019, "")
    # Two strong signals against one: the majority, flagged.
    template, conflict = vote_template("国办公开办函〔2019〕60号", sub_rows, v.TEMPLATE_2021, 2020)
    assert template == v.TEMPLATE_2021 and "notice cited: 2019" in conflict
    # A tie of strong signals is decided by the year.
    template, conflict = vote_template("", sub_rows, v.TEMPLATE_2019, 2020)
    assert template == v.TEMPLATE_2019 and conflict
    assert vote_template("", no_rows, None, None) == (None, "")


# --------------------------------------------------------------------------------------------
# Markdown conversions
# --------------------------------------------------------------------------------------------

_MARKDOWN_SPLIT = """# 某某局2024年政府信息公开工作年度报告

## 一、总体情况
本机关2024年政务公开工作情况。

## 二、主动公开政府信息情况
| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
|---|---|---|---|
| 规章 | 0 | 0 | 0 |

## 三、收到和处理政府信息公开申请情况
| 一、本年新收政府信息公开申请数量 | 5 | 0 | 0 | 0 | 0 | 0 | 5 |

## 四、政府信息公开行政复议、行政诉讼情况
### 行政复议
| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |
|---|---|---|---|---|
| 0 | 1 | 0 | 0 | 1 |
### 行政诉讼（未经复议直接起诉）
| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |
|---|---|---|---|---|
| 2 | 0 | 0 | 1 | 3 |
### 行政诉讼（复议后起诉）
| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |
|---|---|---|---|---|
| 0 | 0 | 1 | 0 | 1 |

## 五、存在的主要问题及改进情况
问题。

## 六、其他需要报告的事项
无。
"""


def test_markdown_headings_and_table_four_split_per_proceeding() -> None:
    report = parse_report(_MARKDOWN_SPLIT.encode("utf-8"), "split.md")
    assert isinstance(report, ParsedReport)
    assert [s.section_key for s in report.sections] == ["preamble", *(s.key for s in v.SECTIONS)]
    assert [f.value for f in report.review] == [0, 1, 0, 0, 1, 2, 0, 0, 1, 3, 0, 0, 1, 0, 1]
    assert not {i for i in report.issues if i.table == v.TABLE_REVIEW_LITIGATION}


def test_markdown_caption_of_table_four_is_not_a_part_heading() -> None:
    whole = _MARKDOWN_SPLIT.split("### 行政复议")[0] + (
        "## 表四：政府信息公开行政复议、行政诉讼情况\n"
        "| 行政复议 | | | | | 行政诉讼 | | | | | | | | | |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        "| 0 | 1 | 0 | 0 | 1 | 2 | 0 | 0 | 1 | 3 | 0 | 0 | 1 | 0 | 1 |\n\n"
        "## 五、存在的主要问题及改进情况\n问题。\n"
    )
    report = parse_report(whole.encode("utf-8"), "whole.md")
    assert isinstance(report, ParsedReport)
    assert [f.value for f in report.review] == [0, 1, 0, 0, 1, 2, 0, 0, 1, 3, 0, 0, 1, 0, 1]


def test_markdown_table_four_missing_a_part_is_flagged_not_guessed() -> None:
    cut = _MARKDOWN_SPLIT.replace("### 行政诉讼（复议后起诉）", "### 说明")
    report = parse_report(cut.encode("utf-8"), "cut.md")
    assert isinstance(report, ParsedReport)
    values = {(f.proceeding, f.outcome): f.value for f in report.review}
    assert [values[("litigation_direct", o)] for o in v.OUTCOMES] == [2, 0, 0, 1, 3]
    assert all(values[("litigation_after_review", o)] is None for o in v.OUTCOMES)
    assert (v.Check.ROW_MISSING, "litigation_after_review") in _checks(report)


# What shanghai_stcsm_2024.md prints with each row's label on the row's own line (read off the file);
# every other row has its label torn from its numbers by the conversion.
_STCSM_ROWS = {
    "new_received": (32, 2, 0, 0, 0, 0, 34),
    "carried_over": (2, 0, 0, 0, 0, 0, 2),
    "granted": (9, 0, 0, 0, 0, 0, 9),
    "withheld_state_secret": (0,) * 7,
    "withheld_three_safeties": (0,) * 7,
    "withheld_third_party": (0,) * 7,
    "withheld_process_info": (1, 0, 0, 0, 0, 0, 1),
    "withheld_enforcement_files": (0,) * 7,
    "withheld_administrative_query": (0,) * 7,
    "not_processed_petition": (0,) * 7,
    "not_processed_repeated": (0,) * 7,
    "not_processed_publication": (0,) * 7,
    "other_misc": (4, 0, 0, 0, 0, 0, 4),
    "results_total": (33, 2, 0, 0, 0, 0, 35),
}


def test_markdown_sample_gives_no_wrong_number_and_reads_table_four() -> None:
    report = _parsed("shanghai_stcsm_2024.md")
    assert report.metadata.template == v.TEMPLATE_2021
    flagged = {i.row_key for i in report.issues if i.table == v.TABLE_REQUESTS}
    for row in v.request_rows(v.TEMPLATE_2021):
        values = tuple(f.value for f in report.requests if f.row_key == row)
        if row in _STCSM_ROWS:
            assert values == _STCSM_ROWS[row], row
        else:  # torn from its label (or, 四、结转, printed with six numbers): null and flagged
            assert values == (None,) * 7 and row in flagged, row
    assert [f.value for f in report.review] == [1, 0, 0, 0, 1] + [0] * 10
    disclosure = {(f.item, f.metric): f.value for f in report.disclosure}
    assert disclosure[("normative_documents", "issued")] == 13 and disclosure[("administrative_licensing", "decisions")] == 97


# --------------------------------------------------------------------------------------------
# Placing a grid row under its header: what is read, what is left to the row reader
# --------------------------------------------------------------------------------------------


def _grid(*fields: str) -> str:
    return GRID_SEP.join(fields)


_HEADER_LINES = [
    _grid("(本列数据的勾稽关系为:…)", GRID_SPAN, GRID_SPAN, "申请人情况", *[GRID_SPAN] * 6),
    _grid(
        "(本列数据的勾稽关系为:…)", GRID_SPAN, GRID_SPAN,
        "自然人", "商业企业", "考研机构", "社会公益组织", "法律服务机构", "其他", "总计",
    ),
]


@pytest.mark.parametrize(
    ("row", "placed"),
    [
        # Full width: an empty third label column is an empty label slot.
        (
            _grid("三、本年度办理结果", "(六)其他处理", "", "1", "0", "0", "0", "0", "0", "1"),
            ["三、本年度办理结果", "(六)其他处理", "1", "0", "0", "0", "0", "0", "1"],
        ),
        # Short of the header (its rowspanned labels dropped): aligned on the right.
        (_grid("2.重复申请", "4", "0", "0", "0", "", "0", "4"), ["2.重复申请", "4", "0", "0", "0", "", "0", "4"]),
        # Grid columns past the header's last are empty: not cells of the row.
        (_grid("(七)总计", GRID_SPAN, GRID_SPAN, "5", "0", "0", "0", "0", "0", "5"), ["(七)总计", "5", "0", "0", "0", "0", "0", "5"]),
        # A short row with an empty cell before its numbers: a label slot, or a value beside a lost one.
        (_grid("(六)其他处理", "", "1", "0", "0", "0", "0", "0", "1"), None),
        # A number in a label column, text in a value column, a number widened over two columns.
        (_grid("三、本年度办理结果", "7", "", "1", "0", "0", "0", "0", "0", "1"), None),
        (_grid("三、本年度办理结果", "(一)予以公开", "", "1", "0", "见说明", "0", "0", "0", "1"), None),
        (_grid("三、本年度办理结果", "(一)予以公开", "", "1", "0", "0", "0", "0", "6", GRID_SPAN), None),
    ],
)
def test_rows_are_placed_by_header_columns_or_left_as_printed(row: str, placed: list[str] | None) -> None:
    lines = [split_line(line) for line in (*_HEADER_LINES, row)]
    out = place_by_header(lines, APPLICANT_HEADER)
    assert out[:2] == lines[:2]
    if placed is None:
        assert out[2] == lines[2]
    else:
        assert [c.text for c in out[2].cells] == placed


def test_text_layouts_are_not_placed() -> None:
    lines = split_lines(
        "| 申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n"
        "| 一、本年新收 | | 1 | 0 | 0 | 0 | 0 | 0 | 1 |"
    )
    assert place_by_header(lines, APPLICANT_HEADER) == lines


def test_results_total_identity_sums_the_lone_other_handling_row() -> None:
    report = _parsed("hongze_2024.pdf")

    def with_values(values: dict[tuple[str, str], int]) -> ParsedReport:
        requests = tuple(replace(f, value=values.get((f.row_key, f.applicant), f.value)) for f in report.requests)
        return replace(report, requests=requests)

    runner = SuiteRunner()
    off = with_values({("results_total", "natural_person"): 96})
    checked, _ = validate_reports([off], runner)
    assert [(i.check, i.row_key) for i in checked[0].issues if i.check == ids.REQUESTS_RESULTS_TOTAL] == [
        (ids.REQUESTS_RESULTS_TOTAL, "natural_person")
    ]
    balanced = with_values({("results_total", "natural_person"): 96, ("other_handling", "natural_person"): 1})
    checked, _ = validate_reports([balanced], runner)
    assert not [i for i in checked[0].issues if i.check == ids.REQUESTS_RESULTS_TOTAL]
