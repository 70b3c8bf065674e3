"""Provenance of every fact row (raw, char_start, char_end, page): on the seeds, the synthetic samples, the
real samples and the HTML/DOCX/PDF builds of the seeds, every cell's raw token reads as its value with the
same cell reader, its span is that token in the section text, and a PDF cell's page prints it."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import pytest

from gi_pipeline import provenance
from gi_pipeline import vocabulary as v
from gi_pipeline.cells import VALUE, split_line
from gi_pipeline.frames import report_tables
from gi_pipeline.normalize import normalize_token
from gi_pipeline.records import ParsedReport
from gi_pipeline.report import parse_report
from gi_pipeline.tables import money_reader, read_count

from . import format_fixtures as ff

SAMPLES = resources.files("gi_pipeline") / "data" / "sample_reports"
FIXTURES = Path(__file__).parent / "fixtures"
REAL = ("hongze_2024.pdf", "pingtan_2019.txt", "pingtan_2022.txt", "shanghai_gov_office_2019.html", "shanghai_stcsm_2024.md")
SAMPLE_FILES = tuple(sorted(p.name for p in SAMPLES.iterdir() if p.is_file()))
BUILT_SEEDS = ("000_086aff29061571b0.txt", "002_540522f8d1d44ca2.txt", "004_656a75cba6cb305a.txt")
BUILT_FORMATS = ("html", "docx", "pdf", "pdf-page-break")
_FACTS = (("disclosure", v.TABLE_ACTIVE_DISCLOSURE), ("requests", v.TABLE_REQUESTS), ("review", v.TABLE_REVIEW_LITIGATION))


@functools.cache
def _built(seed: str, fmt: str, tmp: Path) -> bytes:
    blocks = ff.seed_blocks((SAMPLES / seed).read_bytes().decode("utf-8"))
    stem = seed.removesuffix(".txt")
    if fmt == "html":
        return ff.to_html(blocks)
    if fmt == "docx":
        return ff.to_docx(blocks, tmp / f"{stem}.docx").read_bytes()
    return ff.to_pdf(
        blocks, tmp / f"{stem}-{fmt}.pdf", running_header=f"{stem} 年度报告", break_requests_at=12 if fmt == "pdf-page-break" else None
    ).read_bytes()


def _read(raw: str, fact: object) -> tuple[bool, float | int | None]:
    """``raw`` read as the fact's cell: (whether it is one cell, its value) with the column's reader."""
    cells = split_line(raw).cells
    if not cells:
        return raw.strip() == "", None  # a blank cell
    if len(cells) != 1:
        return False, None
    cell = cells[0]
    if cell.kind != VALUE:
        return True, None
    if getattr(fact, "metric", None) == v.METRIC_MONEY:
        # The unit comes from the cell or its column header: the value is the number in one of them.
        values = {money_reader(unit)(cell.text)[0] for unit in ("万元", "元")}
        return True, fact.value if fact.value in values else next(iter(values))
    return True, read_count(cell.text)[0]


def _pdf_pages(raw: bytes) -> list[str]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(raw)
    try:
        return ["".join(pdf[k].get_textpage().get_text_range().split()) for k in range(len(pdf))]
    finally:
        pdf.close()


def _check_printed(report: ParsedReport, raw_file: bytes) -> list[int]:
    """Every fact's provenance against its value, the section text and the PDF page: the cells checked whose
    raw token is printed as normalized, and those printed otherwise (full width, traditional)."""
    assert isinstance(report, ParsedReport), report
    pdf = report.metadata.reader in ("pdfium", "pdfplumber")
    pages = _pdf_pages(raw_file) if pdf else []
    printed_differently = [0, 0]
    for facts, table in _FACTS:
        for fact, source in zip(getattr(report, facts), report.sources(facts), strict=True):
            if source.raw is None:
                assert fact.value is None, (table, fact)
                assert source.char_start is source.char_end is source.page is None
                continue
            one_cell, value = _read(normalize_token(source.raw), fact)
            assert one_cell and value == fact.value, (table, fact, source)
            # The span is the token in the normalized text; the raw token, as printed, normalizes to it.
            section = next(s for s in report.sections if s.char_start <= source.char_start <= source.char_end <= s.char_end)
            token = section.text[source.char_start - section.char_start : source.char_end - section.char_start]
            assert token == report.text[source.char_start : source.char_end] == normalize_token(source.raw)
            printed_differently[source.raw != token] += 1
            if pdf:
                assert source.page is not None and 1 <= source.page <= len(pages)
                assert "".join(source.raw.split()) in pages[source.page - 1], (table, fact, source)
            else:
                assert source.page is None
    return printed_differently


def _check(report: ParsedReport, raw_file: bytes) -> int:
    """The cells ``_check_printed`` checked."""
    return sum(_check_printed(report, raw_file))


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_reports_facts_point_at_their_cells(name: str) -> None:
    raw = (SAMPLES / name).read_bytes()
    assert _check(parse_report(raw, name), raw) > 100


@pytest.mark.parametrize("name", REAL)
def test_real_samples_facts_point_at_their_cells(name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    assert _check(parse_report(raw, name), raw) > 100


@pytest.mark.parametrize("fmt", BUILT_FORMATS)
@pytest.mark.parametrize("seed", BUILT_SEEDS, ids=lambda s: s[:3])
def test_format_builds_facts_point_at_their_cells(seed: str, fmt: str, tmp_path_factory) -> None:
    raw = _built(seed, fmt, tmp_path_factory.getbasetemp())
    report = parse_report(raw, f"{seed[:3]}.{fmt.split('-')[0]}")
    assert _check(report, raw) > 100


def test_a_table_over_a_page_break_has_cells_on_both_pages(tmp_path_factory) -> None:
    raw = _built(BUILT_SEEDS[0], "pdf-page-break", tmp_path_factory.getbasetemp())
    report = parse_report(raw, "000.pdf")
    pages = [s.page for s in report.sources("requests") if s.page is not None]
    assert len(set(pages)) == 2 and pages == sorted(pages)
    assert provenance.PAGE_MARK not in report.text + report.original_text


def _raw_of_nulls_and_units(path: Path) -> dict[str, set]:
    report = parse_report(path.read_bytes(), path.name)
    out: dict[str, set] = {"null": set(), "unit": set()}
    for facts, _ in _FACTS:
        for fact, source in zip(getattr(report, facts), report.sources(facts)):
            if source.raw is not None and fact.value is None:
                out["null"].add(source.raw)
            elif source.raw and not source.raw.replace(",", "").replace(".", "").isdigit():
                out["unit"].add(source.raw)
    return out


def test_raw_is_the_token_before_its_number_is_read() -> None:
    assert "" in _raw_of_nulls_and_units(FIXTURES / "shanghai_gov_office_2019.html")["null"]  # blank cells
    assert "O" in _raw_of_nulls_and_units(Path(str(SAMPLES / "synthetic_06_tab_utf-8_unreadable_cell.txt")))["null"]
    assert "197.3万" in _raw_of_nulls_and_units(Path(str(SAMPLES / "002_540522f8d1d44ca2.txt")))["unit"]


def test_page_markers_survive_only_in_order() -> None:
    marked = f"a\n{provenance.page_marker(2)}\nb\n{provenance.page_marker(3)}\nc\n"
    assert provenance.split_pages(marked, 2) == ("a\nb\nc\n", (0, 2, 4))
    assert provenance.page_at((0, 2, 4), 3) == 2
    lost = f"a\n{provenance.page_marker(3)}\nc\n"  # page 2's marker lost: no pages rather than wrong ones
    assert provenance.split_pages(lost, 2)[1] is None
    assert provenance.split_pages(f"a\n{provenance.page_marker(2)}\nb\n", 2)[1] is None


def test_warehouse_rows_carry_the_provenance() -> None:
    raw = (SAMPLES / SAMPLE_FILES[0]).read_bytes()
    report = parse_report(raw, SAMPLE_FILES[0])
    requests = report_tables([report])[v.TABLE_REQUESTS].to_pylist()
    assert [(r["raw"], r["char_start"], r["char_end"], r["page"]) for r in requests] == [
        tuple(s) for s in report.sources("requests")
    ]
    assert all(r["raw"] is not None for r in requests if r["value"] is not None)


_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def test_raw_is_the_token_as_printed_before_normalization() -> None:
    """Seed 000 printed with full-width digits, Windows line breaks, page-number lines, tags and pinyin
    residue before its tables: the same facts, each raw token printed full width, its span the half-width
    token in the normalized text."""
    seed = (SAMPLES / BUILT_SEEDS[0]).read_bytes().decode("utf-8")
    lines = seed.split("\n")
    noisy = "\r\n".join(
        (f"<p>{line.translate(_FULL_WIDTH_DIGITS)}</p>\r\n- {k} -" if "\t" in line or "|" in line else f"{line}區(qū)")
        for k, line in enumerate(lines)
    )
    plain, printed = parse_report(seed.encode(), "000.txt"), parse_report(noisy.encode(), "000.txt")
    assert isinstance(plain, ParsedReport) and isinstance(printed, ParsedReport)
    seen = 0
    for facts, _ in _FACTS:
        assert getattr(printed, facts) == getattr(plain, facts)
        for fact, source in zip(getattr(printed, facts), printed.sources(facts), strict=True):
            if source.raw and fact.value is not None:
                assert source.raw == printed.text[source.char_start : source.char_end].translate(_FULL_WIDTH_DIGITS)
                seen += any(c in source.raw for c in "０１２３４５６７８９")
    assert seen > 100
    assert _check_printed(printed, noisy.encode())[1] == seen


def test_traditional_report_keeps_its_full_width_tokens() -> None:
    name = "synthetic_03_cell_per_line_utf-8-sig_traditional.txt"
    raw = (SAMPLES / name).read_bytes()
    as_normalized, printed_otherwise = _check_printed(parse_report(raw, name), raw)
    assert as_normalized > 0 and printed_otherwise > 0
