"""One report as TXT, HTML, DOCX and PDF gives the same fact rows; a real HTML report cell by cell."""

from __future__ import annotations

import codecs
import email.message
import functools
import random
import sys
from importlib import resources
from pathlib import Path

import pytest

from gi_pipeline import vocabulary as v
from gi_pipeline.cells import BLANK, LABEL, VALUE, split_line
from gi_pipeline.normalize import normalize_text
from gi_pipeline.readers import Unreadable, detect_format, grid, read_document
from gi_pipeline.records import ParsedReport, Quarantined
from gi_pipeline.report import parse_report

from . import format_fixtures as ff

SAMPLES = resources.files("gi_pipeline") / "data" / "sample_reports"
FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = ("000_086aff29061571b0.txt", "002_540522f8d1d44ca2.txt", "004_656a75cba6cb305a.txt")
FORMATS = ("html", "html-gbk", "html-gbk-undeclared", "html-layout", "docx", "pdf", "pdf-page-break")


def _seed_text(seed: str) -> str:
    return (SAMPLES / seed).read_bytes().decode("utf-8")


@functools.cache
def _build(seed: str, fmt: str, tmp: Path) -> bytes:
    blocks = ff.seed_blocks(_seed_text(seed))
    stem = seed.removesuffix(".txt")
    if fmt == "html":
        return ff.to_html(blocks)
    if fmt == "html-gbk":
        return ff.to_html(blocks, charset="gbk")
    if fmt == "html-gbk-undeclared":  # no charset anywhere: decode.py's UTF-8 → GB18030 order finds it
        return ff.to_html(blocks, charset="gbk").replace(b"; charset=gbk", b"")
    if fmt == "html-layout":
        return ff.to_html(blocks, layout=True)
    if fmt == "docx":
        return ff.to_docx(blocks, tmp / f"{stem}.docx").read_bytes()
    if fmt == "pdf":
        return ff.to_pdf(blocks, tmp / f"{stem}.pdf", running_header=f"{stem} 年度报告").read_bytes()
    if fmt == "pdf-page-break":
        path = tmp / f"{stem}-break.pdf"
        return ff.to_pdf(blocks, path, running_header=f"{stem} 年度报告", break_requests_at=12).read_bytes()
    raise ValueError(fmt)


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("formats")
    return lambda seed, fmt: _build(seed, fmt, tmp)


@functools.lru_cache(maxsize=64)  # PDFs take half a second to read: each file is parsed once
def _parsed(raw: bytes, name: str) -> ParsedReport:
    report = parse_report(raw, name)
    assert isinstance(report, ParsedReport), report
    return report


def _errors(report: ParsedReport) -> set[tuple[str, str, str | None]]:
    return {(i.check, i.table, i.row_key) for i in report.issues if i.severity == v.SEVERITY_ERROR}


# --------------------------------------------------------------------------------------------
# The grid-row contract
# --------------------------------------------------------------------------------------------


def _kinds(line: str) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in split_line(line).cells]


def test_grid_line_keeps_every_cell_after_the_last_label() -> None:
    sep = "\x1f"
    assert _kinds(sep.join(["三、本年度办理结果", "(一)予以公开", "258", "12", "", "", "1", "1", ""])) == [
        (LABEL, "三、本年度办理结果"), (LABEL, "(一)予以公开"), (VALUE, "258"), (VALUE, "12"),
        (BLANK, ""), (BLANK, ""), (VALUE, "1"), (VALUE, "1"), (BLANK, ""),
    ]
    # Blanks before and among labels are empty label slots; a row of values keeps a leading empty cell.
    assert _kinds(sep.join(["", "信息内容", "", "本年 制发件数"])) == [(LABEL, "信息内容"), (LABEL, "本年制发件数")]
    assert _kinds(sep.join(["", "3", ""])) == [(BLANK, ""), (VALUE, "3"), (BLANK, "")]
    assert split_line(sep * 4).kind == "skip"
    # "|" and tabs inside a grid cell do not split it.
    assert _kinds(sep.join(["行政许可", "a|b\tc"])) == [(LABEL, "行政许可"), (LABEL, "a|bc")]


def test_normalize_keeps_the_cell_separator() -> None:
    assert normalize_text("规章\x1f13\x1f\x1f524\x1f \n").text == "规章\x1f13\x1f\x1f524\x1f\n"


def test_grid_rendering_repeats_rowspans_and_keeps_colspans_one_field() -> None:
    rows = [
        [("三、本年度办理结果", 3, 1), ("(一)予以公开", 1, 2), ("13", 1, 2), ("", 1, 1)],
        [("(三)不予公开", 2, 1), ("1.属于国家秘密", 1, 1), ("5", 1, 1)],  # a short row: no padding
        [("2.其他", 1, 1), ("", 1, 1), ("7", 1, 1)],
    ]
    lines = grid.render(grid.place_rows(rows))
    assert lines == [
        "三、本年度办理结果\x1f(一)予以公开\x1f\x1e\x1f13\x1f\x1e\x1f",
        "三、本年度办理结果\x1f(三)不予公开\x1f1.属于国家秘密\x1f5",
        "三、本年度办理结果\x1f(三)不予公开\x1f2.其他\x1f\x1f7",
    ]
    # A spanned cell is one cell of the row; the columns it covers still count.
    first = split_line(lines[0])
    assert [c.text for c in first.cells] == ["三、本年度办理结果", "(一)予以公开", "13", ""]
    assert (first.columns, first.width) == ((0, 1, 3, 5), 6)
    # A lone cell spanning the table stays a plain line.
    assert grid.render(grid.place_rows([[("申请人情况", 1, 7)]])) == ["申请人情况"]


def test_rows_of_clean_fields_render_as_placed_cells() -> None:
    # render_rows skips the placing when no cell spans rows: the same lines as placing every cell.
    rn = random.Random(14)
    for _ in range(2000):
        rows = [[grid.clean_cell(rn.choice(["", "规章", "13", " 5 ", "a b", "（一）予以公开"]))
                 for _ in range(rn.randint(0, 5))] for _ in range(rn.randint(0, 6))]
        tall = rn.random() < 0.3
        spans = {(r, i): (rn.choice([0, 1, 2, 3]) if tall else 1, rn.choice([1, 1, 2, 4]))
                 for r, row in enumerate(rows) for i in range(len(row)) if rn.random() < 0.3}
        cells = [[(field, *spans.get((r, i), (1, 1))) for i, field in enumerate(row)] for r, row in enumerate(rows)]
        assert grid.render_rows(rows, spans) == grid.render(grid.place_rows(cells))


# --------------------------------------------------------------------------------------------
# The same report in every format
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: s[:3])
def test_every_format_yields_the_text_versions_facts(seed: str, fmt: str, build) -> None:
    text = _parsed((SAMPLES / seed).read_bytes(), seed)
    ext = fmt.split("-")[0]
    report = _parsed(build(seed, fmt), f"{seed[:3]}.{ext}")
    assert report.disclosure == text.disclosure
    assert report.requests == text.requests
    assert report.review == text.review
    m, t = report.metadata, text.metadata
    assert (m.year, m.template, m.region, m.agency) == (t.year, t.template, t.region, t.agency)
    assert _errors(report) == _errors(text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_cell_stays_null_and_flagged_in_every_format(fmt: str, build) -> None:
    report = _parsed(build(SEEDS[1], fmt), f"002.{fmt.split('-')[0]}")
    assert [f.value for f in report.requests if f.row_key == "partially_granted"] == [None] * 7
    assert (v.Check.CELL_COUNT, v.TABLE_REQUESTS, "partially_granted") in _errors(report)


def test_readers_keep_tables_as_grid_rows_and_drop_page_furniture(build) -> None:
    for fmt in ("html", "docx", "pdf", "pdf-page-break"):
        text = read_document(build(SEEDS[0], fmt), f"x.{fmt.split('-')[0]}")
        assert "三、本年度办理结果\x1f(三)不予公开\x1f2.其他法律行政法规禁止公开\x1f0" in text, fmt
        assert "政府集中采购" not in text  # (000 is the 2021 template)
        for furniture in ("document.write", "网站地图", "主办单位", "000_086aff29061571b0 年度报告", "- 2 -"):
            assert furniture not in text, (fmt, furniture)
        assert ("当前位置" in text) == (fmt != "html"), fmt  # the page's breadcrumb is navigation
        # A page break inside table 三 leaves one table: its repeated header rows are dropped.
        assert text.count("\x1f申请人情况") == 1, fmt


# --------------------------------------------------------------------------------------------
# A real HTML report: Shanghai, 2019 template, blank cells where the report means zero
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shanghai() -> ParsedReport:
    raw = (FIXTURES / "shanghai_gov_office_2019.html").read_bytes()
    return _parsed(raw, "shanghai_gov_office_2019.html")


def test_shanghai_metadata(shanghai: ParsedReport) -> None:
    m = shanghai.metadata
    assert (m.year, m.template, m.region.admin_code, m.agency) == (2019, v.TEMPLATE_2019, "310000", "上海市人民政府办公厅")


def test_shanghai_table_2(shanghai: ParsedReport) -> None:
    got = {(f.item, f.metric): f.value for f in shanghai.disclosure}
    assert [got[("rules", m)] for m in ("new_made", "new_published", "total_published")] == [13, 13, 524]
    assert [got[("normative_documents", m)] for m in ("new_made", "new_published", "total_published")] == [60, 60, 368]
    assert got[("centralized_procurement", "items")] == 6
    assert got[("centralized_procurement", "amount_10k_yuan")] == pytest.approx(25.1)  # printed 251000元


def _blank_flags(report: ParsedReport, row_key: str) -> set[str]:
    return {i.detail.split(":")[0] for i in report.issues if i.check == v.Check.BLANK_CELL and i.row_key == row_key}


def test_shanghai_table_3_keeps_blank_cells_null_and_flagged(shanghai: ParsedReport) -> None:
    rows: dict[str, list[int | None]] = {}
    for f in shanghai.requests:
        rows.setdefault(f.row_key, []).append(f.value)
    assert rows["new_received"] == [821, 35, None, None, 2, 1, 859]
    assert _blank_flags(shanghai, "new_received") == {"research_institution", "social_welfare_org"}
    assert rows["carried_over"] == [18, None, None, None, None, None, 18]
    assert len(_blank_flags(shanghai, "carried_over")) == 5
    # The last empty cell of 予以公开 is its 总计 column, not padding.
    assert rows["granted"] == [258, 12, None, None, 1, 1, None]
    assert rows["results_total"] == [767, 35, None, None, 2, 1, 805]
    assert rows["carried_forward"] == [72, None, None, None, None, None, 72]
    assert not _errors(shanghai)


def test_shanghai_table_4(shanghai: ParsedReport) -> None:
    cells = {(f.proceeding, f.outcome): f.value for f in shanghai.review}
    outcomes = ("upheld", "corrected", "other", "pending", "total")
    assert [cells[("review", o)] for o in outcomes] == [5, None, None, 2, 7]
    assert [cells[("litigation_direct", o)] for o in outcomes] == [8, None, None, 1, 9]
    assert [cells[("litigation_after_review", o)] for o in outcomes] == [None] * 5
    assert len(_blank_flags(shanghai, "litigation_after_review")) == 5
    assert len(_blank_flags(shanghai, "review")) == 2


def test_shanghai_page_in_gbk_with_its_charset_declared() -> None:
    page = (FIXTURES / "shanghai_gov_office_2019.html").read_text(encoding="utf-8")
    raw = ('<html><head><meta charset="gb2312"><title>上海</title></head><body>' + page + "</body></html>")
    report = _parsed(raw.encode("gbk", errors="xmlcharrefreplace"), "sh.htm")
    assert report.metadata.title == "2019年上海市人民政府办公厅政府信息公开工作年度报告"
    assert {f.row_key: f.value for f in report.requests if f.applicant == "total"}["new_received"] == 859


def test_utf8_page_with_a_stale_gbk_declaration_is_read_as_utf8(build) -> None:
    raw = build(SEEDS[0], "html").replace(b"charset=utf-8", b"charset=gb2312")
    assert "大武口区应急管理局" in read_document(raw, "x.html")


# --------------------------------------------------------------------------------------------
# Sniffing and the formats that cannot be read
# --------------------------------------------------------------------------------------------


def test_format_is_sniffed_by_content_before_the_name(build) -> None:
    assert detect_format(build(SEEDS[0], "pdf"), "report") == "pdf"
    assert detect_format(build(SEEDS[0], "docx"), "report.bin") == "docx"
    assert detect_format(build(SEEDS[0], "html"), "report.txt") == "html"
    assert detect_format((FIXTURES / "shanghai_gov_office_2019.html").read_bytes(), "page") == "html"
    assert detect_format((SAMPLES / SEEDS[2]).read_bytes(), "004") == "text"  # its </span> residue is no page
    assert detect_format("报告正文<p>一、总体情况</p>".encode(), "page.htm") == "html"  # a fragment, by name
    assert detect_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "x.pdf") == "legacy"
    assert detect_format(b"\x89PNG\r\n\x1a\n" + bytes(20), "scan.pdf") == "image"
    # And a DOCX named .pdf is still read as a DOCX.
    report = _parsed(build(SEEDS[0], "docx"), "misnamed.pdf")
    assert report.metadata.agency == "大武口区应急管理局"


def test_scanned_pdf_without_text_is_quarantined() -> None:
    result = parse_report(ff.scanned_pdf(), "scan.pdf")  # a drawn box, no text: nothing for OCR to read
    assert isinstance(result, Quarantined) and "OCR" in result.reason


def test_legacy_doc_without_a_converter_is_quarantined(monkeypatch) -> None:
    monkeypatch.setattr("gi_pipeline.readers.doc.converter", lambda: None)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)
    result = parse_report(ole, "2019年报.doc")
    assert isinstance(result, Quarantined)
    assert result.reason == "legacy .doc: no converter (install LibreOffice)"


def test_legacy_doc_is_converted_when_soffice_is_there(build, tmp_path, monkeypatch) -> None:
    """The converter's plumbing (argv, private profile and out dir, output pick-up) with a stand-in
    soffice that "converts" by copying a DOCX: CI has no LibreOffice."""
    docx = tmp_path / "converted.docx"
    docx.write_bytes(build(SEEDS[0], "docx"))
    fake = tmp_path / "soffice"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import shutil, sys\n"
        "args = sys.argv[1:]\n"
        "assert '--headless' in args and args[args.index('--convert-to') + 1] == 'docx'\n"
        "assert any(a.startswith('-env:UserInstallation=file://') for a in args)\n"
        f"shutil.copy({str(docx)!r}, args[args.index('--outdir') + 1] + '/input.docx')\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr("gi_pipeline.readers.doc.converter", lambda: str(fake))
    report = _parsed(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "年报(旧版).doc")
    assert report.requests == _parsed((SAMPLES / SEEDS[0]).read_bytes(), "t").requests
    fake.write_text(f"#!{sys.executable}\nimport sys; sys.exit(3)\n")
    result = parse_report(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(513), "broken.doc")
    assert isinstance(result, Quarantined) and "LibreOffice could not convert it" in result.reason


def test_word_single_file_web_page_is_read(build) -> None:
    message = email.message.EmailMessage()
    message["MIME-Version"] = "1.0"
    message.set_type("multipart/related")
    html_part = email.message.EmailMessage()
    html_part.set_content(build(SEEDS[0], "html-gbk"), maintype="text", subtype="html", cte="quoted-printable")
    html_part.set_param("charset", "gbk")
    message.attach(html_part)
    report = _parsed(message.as_bytes(), "report.doc")
    assert report.requests == _parsed((SAMPLES / SEEDS[0]).read_bytes(), "t").requests


@pytest.mark.parametrize(
    "raw, name, reason",
    [
        (b"PK\x03\x04" + bytes(64), "x.docx", "corrupt DOCX"),
        (b"%PDF-1.7\n" + bytes(64), "x.pdf", "corrupt PDF"),
        (codecs.BOM_UTF8 + b"\xff\xfe\xfa", "x.txt", "cannot decode"),
    ],
)
def test_broken_files_say_why(raw: bytes, name: str, reason: str) -> None:
    result = parse_report(raw, name)
    assert isinstance(result, Quarantined) and result.reason.startswith(reason), result
    with pytest.raises(Unreadable):
        read_document(raw, name)


def test_real_pdf_is_read_by_pdfium_as_pdfplumber_reads_it(build) -> None:
    """The PDFium reader keeps the pdfplumber reader's text on a real report (ruled tables, a merged label
    cell cut by a page break, running footers), and the reports table names the reader used."""
    from gi_pipeline.readers import pdf

    raw = (FIXTURES / "hongze_2024.pdf").read_bytes()
    fast = pdf.read_pdf_as(raw)
    assert fast.reader == "pdfium"
    assert fast.text == pdf._read_pdfplumber(raw).text
    assert _parsed(raw, "hongze_2024.pdf").metadata.reader == "pdfium"
    # reportlab's CJK font is not embedded: PDFium reads it with a system CJK font, else pdfplumber does
    assert _parsed(build(SEEDS[0], "pdf"), "x.pdf").metadata.reader in ("pdfium", "pdfplumber")
    assert _parsed(build(SEEDS[0], "html"), "x.html").metadata.reader == "html"


def test_pdf_pdfium_cannot_measure_is_read_by_pdfplumber(build, monkeypatch) -> None:
    """Where PDFium has no glyph boxes (a non-embedded font the machine lacks) it drops characters: such a
    PDF goes to pdfplumber, whatever fonts this machine has, and reads the same."""
    from gi_pipeline.readers import pdf, pdf_pdfium

    raw = build(SEEDS[0], "pdf")
    fast = pdf.read_pdf_as(raw)

    def unmeasured(page, top):
        raise pdf_pdfium.Unmeasured

    monkeypatch.setattr(pdf_pdfium, "page_edges", unmeasured)
    slow = pdf.read_pdf_as(raw)
    assert slow.reader == "pdfplumber"
    assert slow.text == fast.text
