"""Numbers stated in the text of sections 一 and 四 against the table cells they state (gi_pipeline.narrative)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gi_pipeline import vocabulary as v
from gi_pipeline.narrative import check_narrative
from gi_pipeline.records import ParsedReport, SectionRecord
from gi_pipeline.report import parse_report

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "gi_pipeline" / "data" / "sample_reports"
FIXTURES = Path(__file__).parent / "fixtures"
SEED_004 = SAMPLES / "004_656a75cba6cb305a.txt"
# Seed 004 is written in traditional characters; its overview says 新收到依申請公開109件, as table 三 does.
SEED_004_SENTENCE = "新收到依申請公開109件"
REAL = ["hongze_2024.pdf", "pingtan_2019.txt", "pingtan_2022.txt", "shanghai_gov_office_2019.html", "shanghai_stcsm_2024.md"]


def _parse(raw: bytes, name: str) -> ParsedReport:
    report = parse_report(raw, name)
    assert isinstance(report, ParsedReport), report
    return report


def _seed_004(replacement: str | None = None) -> ParsedReport:
    text = SEED_004.read_text(encoding="utf-8")
    assert SEED_004_SENTENCE in text
    if replacement is not None:
        text = text.replace(SEED_004_SENTENCE, replacement)
    return _parse(text.encode("utf-8"), SEED_004.name)


def _mismatches(report: ParsedReport) -> list:
    return [i for i in report.issues if i.check == v.Check.NARRATIVE_MISMATCH]


def _new_received_total(report: ParsedReport) -> int | None:
    return next(f.value for f in report.requests if f.row_key == "new_received" and f.applicant == "total")


def test_a_contradicted_number_is_a_mismatch_quoting_sentence_value_and_spans() -> None:
    report = _seed_004("新收到依申請公開119件")
    table_value = _new_received_total(report)
    assert table_value == 109
    [issue] = _mismatches(report)
    assert (issue.table, issue.row_key, issue.severity) == (v.TABLE_REQUESTS, "new_received", v.SEVERITY_WARNING)
    [statement] = [s for s in report.narrative if s.status == v.NARRATIVE_MISMATCH]
    assert statement.stated == 119 and statement.table_value == table_value
    # The spans point at the stated number and at the table row in the normalized text.
    assert report.text[statement.char_start : statement.char_end] == "119件"
    row_line = report.text[statement.table_char_start : statement.table_char_end]
    assert "本年新收政府信息公开申请数量" in row_line and "109" in row_line
    assert "新收到依申请公开119件" in issue.detail  # the sentence, normalized
    assert "119" in issue.detail and str(table_value) in issue.detail
    assert f"chars {statement.char_start}-{statement.char_end}" in issue.detail
    assert f"chars {statement.table_char_start}-{statement.table_char_end}" in issue.detail
    # The other statements of the sentence still agree with the table.
    assert report.narrative_confirmed == len(report.narrative) - 1 >= 1


def test_the_unchanged_seed_confirms_its_statements() -> None:
    report = _seed_004()
    assert _mismatches(report) == []
    assert {s.key for s in report.narrative} >= {"new_received", "carried_over", "carried_forward"}
    assert all(s.status == v.NARRATIVE_MATCH for s in report.narrative)
    assert report.narrative_confirmed == len(report.narrative)


@pytest.mark.parametrize("vague", ["新收到依申請公開約119件", "新收到依申請公開119餘件", "新收到依申請公開100-119件"])
def test_a_vague_statement_is_not_compared(vague: str) -> None:
    report = _seed_004(vague)
    assert _mismatches(report) == []
    assert not any(s.key == "new_received" and s.status == v.NARRATIVE_MATCH for s in report.narrative)


def test_a_clause_about_another_year_is_not_compared() -> None:
    report = _seed_004("2023年新收到依申請公開119件")
    assert _mismatches(report) == []


@pytest.mark.parametrize("path", sorted(SAMPLES.iterdir()) + [FIXTURES / name for name in REAL], ids=lambda p: p.name)
def test_no_bundled_or_real_report_gets_a_narrative_mismatch(path: Path) -> None:
    report = parse_report(path.read_bytes(), path.name)
    if isinstance(report, ParsedReport):
        assert _mismatches(report) == [], [s for s in report.narrative if s.status == v.NARRATIVE_MISMATCH]


def test_a_null_table_cell_is_neither_match_nor_mismatch() -> None:
    # pingtan 2022 says 全区收到政府信息公开申请75件 while its table parses to null cells.
    overview = SectionRecord(1, "overview", "一、总体情况", "2022年,全区收到政府信息公开申请75件,涉及自然人72件。", 0, 33)
    [statement] = check_narrative({"overview": overview}, (), (), 2022)
    assert (statement.stated, statement.table_value, statement.status) == (75, None, v.NARRATIVE_NO_TABLE_VALUE)


def test_received_without_new_may_count_the_requests_carried_over() -> None:
    # pingtan 2022 (hand-read, gold.json): new_received 74, carried_over 1; its text says 收到…75件.
    from gi_pipeline.records import RequestFact

    overview = SectionRecord(1, "overview", "一、总体情况", "2022年,全区收到政府信息公开申请75件,涉及自然人72件。", 0, 33)
    requests = (RequestFact("new_received", "total", 74), RequestFact("carried_over", "total", 1))
    [statement] = check_narrative({"overview": overview}, requests, (), 2022)
    assert statement.status == v.NARRATIVE_MATCH
    assert [row for _table, row, _column in statement.cells] == ["new_received", "carried_over"]
    # 新收 is new requests only: 75 against 74 contradicts the table.
    overview = SectionRecord(1, "overview", "一、总体情况", "2022年,全区新收到政府信息公开申请75件。", 0, 24)
    [statement] = check_narrative({"overview": overview}, requests, (), 2022)
    assert (statement.status, statement.table_value) == (v.NARRATIVE_MISMATCH, 74)


def test_a_part_of_a_total_is_not_read_as_the_total() -> None:
    section = SectionRecord(4, "review_litigation", "四、行政复议、行政诉讼情况", "行政复议结果维持1件,行政诉讼2件。", 0, 18)
    review = check_narrative({"review_litigation": section}, (), (), 2024)
    assert [s.key for s in review] == ["litigation_total"]


def test_a_count_of_review_and_litigation_together_is_not_read_as_either() -> None:
    text = "本年度行政复议和行政诉讼案件共3件。"
    section = SectionRecord(4, "review_litigation", "四、行政复议、行政诉讼情况", text, 0, len(text))
    assert check_narrative({"review_litigation": section}, (), (), 2024) == ()
    # Named apart, each is read.
    text = "本年度行政复议1件、行政诉讼2件。"
    section = SectionRecord(4, "review_litigation", "四、行政复议、行政诉讼情况", text, 0, len(text))
    statements = check_narrative({"review_litigation": section}, (), (), 2024)
    assert [(s.key, s.stated) for s in statements] == [("review_total", 1), ("litigation_total", 2)]


def test_pingtan_2022s_statements_agree_with_its_hand_read_tables() -> None:
    """pingtan 2022's tables parse to null today; its statements, against the values read by hand
    (shared/samples/real/gold.json), must agree once they parse."""
    from gi_pipeline.records import RequestFact, ReviewFact

    text = (
        "2022年,全区收到政府信息公开申请75件,涉及自然人72件、商业企业3件,均在法定期限内予以答复,办结率100%。"
        "2022年,全区政府信息公开工作方面共有行政诉讼案件1件、行政复议案件2件,均已结案。"
    )
    overview = SectionRecord(1, "overview", "一、总体情况", text, 0, len(text))
    requests = (RequestFact("new_received", "total", 74), RequestFact("carried_over", "total", 1))
    review = (
        ReviewFact("review", "total", 2),
        ReviewFact("litigation_direct", "total", 1),
        ReviewFact("litigation_after_review", "total", 0),
    )
    statements = check_narrative({"overview": overview}, requests, review, 2022)
    assert {s.key for s in statements} == {"new_received", "review_total", "litigation_total"}
    assert all(s.status == v.NARRATIVE_MATCH for s in statements)
