"""Scanned PDFs and page images read by OCR give the facts of the text they show; a number OCR is unsure
of is null with an ``ocr_low_confidence`` issue; without the OCR extra such files are quarantined."""

from __future__ import annotations

import functools
import io
import sys
from importlib import resources
from pathlib import Path

import pytest

from gi_pipeline import provenance
from gi_pipeline import vocabulary as v
from gi_pipeline.cells import GRID_SEP, LOW_CONFIDENCE_MARK
from gi_pipeline.readers import grid, ocr, read_document
from gi_pipeline.records import ParsedReport, Quarantined
from gi_pipeline.report import parse_report, parse_text

from . import format_fixtures as ff

FIXTURES = Path(__file__).parent / "fixtures"
HONGZE = FIXTURES / "hongze_2024.pdf"  # a real report with a text layer and ruled tables
SEED = "000_086aff29061571b0.txt"  # three pages as a PDF
needs_ocr = pytest.mark.skipif(not ocr.available(), reason="the OCR extra is not installed")


def _page_images(pdf: bytes, dpi: int) -> list:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    return [document[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(document))]


def _image_only_pdf(images: list, dpi: int) -> bytes:
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


@functools.cache
def _scanned_hongze() -> bytes:
    return _image_only_pdf(_page_images(HONGZE.read_bytes(), 150), 150)


def _facts(report: ParsedReport) -> dict[tuple, float | int | None]:
    return (
        {("requests", f.row_key, f.applicant): f.value for f in report.requests}
        | {("active_disclosure", f.item, f.metric): f.value for f in report.disclosure}
        | {("review_litigation", f.proceeding, f.outcome): f.value for f in report.review}
    )


def _pages(report: ParsedReport) -> dict[tuple, int | None]:
    """Each fact's page (provenance), by the keys of ``_facts``."""
    keys = [*_facts(report)]  # the same order: requests, active_disclosure, review_litigation
    sources = [*report.sources("requests"), *report.sources("disclosure"), *report.sources("review")]
    return dict(zip(keys, (s.page for s in sources), strict=True))


def _assert_same_facts(scanned: ParsedReport | Quarantined, text: ParsedReport) -> None:
    """Every fact the text gives, OCR gives too (at least 98 %) or leaves null with an OCR flag on its row;
    every fact OCR reads is on the page the text PDF prints it on."""
    assert isinstance(scanned, ParsedReport), scanned
    want, got = _facts(text), _facts(scanned)
    flagged = {(i.table, i.row_key) for i in scanned.issues if i.check == v.Check.OCR_LOW_CONFIDENCE}
    assert set(got) == set(want)
    differing = {k: (want[k], got[k]) for k in want if got[k] != want[k]}
    assert all(got_value is None and k[:2] in flagged for k, (_, got_value) in differing.items()), differing
    assert len(differing) <= 0.02 * len(want)
    assert scanned.metadata.year == text.metadata.year and scanned.metadata.agency == text.metadata.agency
    assert (scanned.metadata.reader, text.metadata.reader) == ("ocr", "pdfium")  # reports.reader
    want_pages, got_pages = _pages(text), _pages(scanned)
    read = [k for k in got if got[k] is not None]
    assert None not in {want_pages[k] for k in read}
    assert {k: got_pages[k] for k in read} == {k: want_pages[k] for k in read}


@needs_ocr
def test_scanned_real_pdf_gives_the_text_pdfs_facts() -> None:
    text = parse_report(HONGZE.read_bytes(), "hongze_2024.pdf")
    scanned = parse_report(_scanned_hongze(), "hongze_2024_scan.pdf")
    _assert_same_facts(scanned, text)
    assert sum(value is not None for value in _facts(scanned).values()) > 150
    assert len({p for k, p in _pages(scanned).items() if k[0] == "requests"}) == 2  # table 三 runs over a break


def _table(top: int, rows: list[list[str]], spans: dict[tuple[int, int], int] | None = None):
    """An OCR'd page's table of two columns (``spans``: rowspan by (row, col))."""
    spans = spans or {}
    cells = [grid.Placed(text, r, c, spans.get((r, c), 1)) for r, row in enumerate(rows) for c, text in enumerate(row)]
    texts = [tuple(grid.clean_cell(c.text) for c in cells if c.row == r) for r in range(len(rows))]
    return float(top), ocr._Table(float(top), [100, 600, 900], cells, texts)


def _line(top: int, text: str):
    return float(top), ocr._Line(text, float(top), float(top) + 30, 100.0)


def test_ocr_pages_are_marked_and_a_table_over_a_page_break_still_joins() -> None:
    """The OCR'd text marks where each page starts (as the PDF reader's); a table continued on the next
    page (its header repeated, a merged label cut by the break) is joined as before, its rows after the
    marker of the page they are printed on."""
    header = ["项目", "数量"]
    pages = [
        [_line(100, "三、收到和处理政府信息公开申请情况"),
         _table(200, [header, ["一、本年新收", "5"], ["二、上年结转", "3"]], {(2, 0): 1})],
        [_table(150, [header, ["", "4"], ["三、本年度办理结果", "7"]])],  # the label of 二 runs on: printed once
        [],  # a page with nothing read
        [_line(120, "四、行政复议、行政诉讼情况")],
    ]
    text = "\n".join(ocr._render(pages, tolerance=10)) + "\n"
    row = GRID_SEP.join
    assert text.split("\n") == [
        "三、收到和处理政府信息公开申请情况",
        row(header), row(["一、本年新收", "5"]), row(["二、上年结转", "3"]),
        provenance.page_marker(2),
        row(["二、上年结转", "4"]), row(["三、本年度办理结果", "7"]),
        provenance.page_marker(3), provenance.page_marker(4),
        "四、行政复议、行政诉讼情况", "",
    ]
    unmarked, starts = provenance.split_pages(text, text.count(provenance.PAGE_MARK))
    assert unmarked == provenance.strip_markers(text) and starts is not None
    assert provenance.page_at(starts, unmarked.index("三、本年度办理结果")) == 2
    assert provenance.page_at(starts, unmarked.index("四、行政复议")) == 4


def _as_scanned(page, seed: int):
    """A page as a scanner gives it: grayscale, a little slanted (0.7°), with sensor noise."""
    import numpy as np
    from PIL import Image

    gray = page.convert("L").rotate(0.7, fillcolor=255, resample=Image.BICUBIC)
    noise = np.random.default_rng(seed).normal(0, 12, (gray.height, gray.width))
    return Image.fromarray(np.clip(np.asarray(gray) + noise, 0, 255).astype(np.uint8))


@needs_ocr
def test_seed_as_scanned_page_images_gives_the_seeds_facts(tmp_path) -> None:
    blocks = ff.seed_blocks((resources.files("gi_pipeline") / "data" / "sample_reports" / SEED).read_text("utf-8"))
    pdf = ff.to_pdf(blocks, tmp_path / "seed.pdf").read_bytes()
    pages = [_as_scanned(page, seed=k) for k, page in enumerate(_page_images(pdf, 200))]
    tiff = io.BytesIO()  # a multi-page TIFF, as a scanner saves a report: one frame per page
    pages[0].save(tiff, format="TIFF", save_all=True, append_images=pages[1:], compression="tiff_lzw")
    _assert_same_facts(parse_report(tiff.getvalue(), "seed.tif"), parse_report(pdf, "seed.pdf"))


def test_low_confidence_number_is_null_with_an_ocr_issue() -> None:
    """The reader marks a number read below the threshold; the parser never uses it and says why."""
    text = read_document(HONGZE.read_bytes(), "hongze_2024.pdf")
    # split("\n"), not splitlines(): a grid row's GRID_SPAN (\x1e) is a line boundary to splitlines
    row = next(line for line in text.split("\n") if line.startswith("一、本年新收政府信息公开申请数量") and "95" in line)
    marked = f"{LOW_CONFIDENCE_MARK}95{LOW_CONFIDENCE_MARK}0.62"  # as readers/ocr.py writes a doubtful 95
    doubtful = row.replace(f"{GRID_SEP}95{GRID_SEP}", f"{GRID_SEP}{marked}{GRID_SEP}", 1)
    report = parse_text(text.replace(row, doubtful), "hongze.pdf", "doc")
    assert isinstance(report, ParsedReport)
    facts = _facts(report)
    assert facts[("requests", "new_received", "natural_person")] is None
    assert facts[("requests", "new_received", "total")] == 95
    issues = [i for i in report.issues if i.check == v.Check.OCR_LOW_CONFIDENCE]
    assert [(i.row_key, i.severity) for i in issues] == [("new_received", v.SEVERITY_ERROR)]
    assert "'95' with confidence 0.62" in issues[0].detail


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("name", ["scan.pdf", "page.png"])
def test_without_the_ocr_extra_scans_are_quarantined_saying_how_to_enable_it(monkeypatch, name) -> None:
    raw = _scanned_hongze() if name.endswith(".pdf") else _png()
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails as if not installed
    ocr._load_engine.cache_clear()
    try:
        result = parse_report(raw, name)
    finally:
        ocr._load_engine.cache_clear()
    assert isinstance(result, Quarantined)
    assert "needs OCR" in result.reason and "pip install 'gi-pipeline[ocr]'" in result.reason


@needs_ocr
def test_ocr_over_the_time_limit_is_quarantined(monkeypatch) -> None:
    monkeypatch.setenv("GI_OCR_SECONDS_PER_FILE", "0")
    result = parse_report(_scanned_hongze(), "scan.pdf")
    assert isinstance(result, Quarantined) and "OCR took over 0 s" in result.reason
