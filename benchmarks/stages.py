"""Per-stage library throughput on in-memory bytes, and the floor.

Stages, each timed over a whole group of documents (one format, one script) after a warm-up:

* ``decode``: ``readers.read_document`` (format sniffing + ``decode_bytes`` for text; the HTML, DOCX and
  PDF readers for the others) -- bytes to report text;
* ``normalize``: ``normalize.normalize_text``;
* ``sections``: ``sections.split_sections``;
* ``metadata``: title, year, agency, publication date and ``regions.resolve_region`` (the place);
* ``tables``: what ``report.parse_text`` does with the sections: ``split_lines`` of the three table
  sections, the template (tables' own headers, then the declared one, then the year's), and
  ``extract_disclosure`` / ``extract_requests`` / ``extract_review``;
* ``e2e``: ``report.parse_report`` (the above plus hashing, issues and records) -- the library's cost.

The stage functions make the same calls as ``report.parse_text`` (kept in step with it by
``check_stage_equivalence``): their sum is close to ``e2e``, the rest is record building.

The floor (``floor``): the same files read from disk, decoded, and one regex pass over the text (numbers):
the least any reader of these files does.  Text and HTML: BOM / UTF-8 / GB18030 decode; DOCX: unzip of
``word/document.xml``; PDF: the raw bytes as Latin-1 (a PDF has no cheaper text: the floor is weak there).
``library_vs_floor`` = (read time + ``e2e``) / floor: the figure to drive down.

Real PDFs (``measure_real_pdfs``): the text-layer PDFs of tests/fixtures, each timed in several rounds
(medians) against PDFium's own text extraction of the same file (``pdfium_text``), a floor measured in the
same run: the PDF reader's target is at most 3x that floor.
"""

from __future__ import annotations

import gc
import io
import re
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gi_pipeline import metadata as md
from gi_pipeline import vocabulary as v
from gi_pipeline.normalize import NormalizedText, normalize_text
from gi_pipeline.records import ParsedReport, SectionRecord
from gi_pipeline.regions import resolve_region
from gi_pipeline.report import _MIN_SECTIONS, extract_tables, parse_report
from gi_pipeline.sections import split_sections

from .corpus import Doc

STAGES: tuple[str, ...] = ("decode", "normalize", "sections", "metadata", "tables")
_MB = 1_000_000


def _read_document() -> Callable[[bytes, str], str]:
    try:
        from gi_pipeline.readers import read_document
    except ImportError:  # before gi_pipeline.readers: text only
        from gi_pipeline.decode import decode_bytes

        return lambda raw, _name: decode_bytes(raw)[0]
    return read_document


@dataclass
class _Meta:
    title: str | None
    year: int | None
    agency: str | None
    skip: bool  # parse_text would quarantine the report here: no tables stage


def _metadata(text: str, sections: dict[str, SectionRecord]) -> _Meta:
    title = md.find_title(text)
    standard = len(sections) - (v.PREAMBLE.key in sections)
    if "政府信息公开" not in text or (standard < _MIN_SECTIONS and title is None):
        return _Meta(title, None, None, True)
    overview = sections.get("overview")
    year = md.find_year(title, text, overview.text if overview else None)
    if year is None:
        return _Meta(title, None, None, True)
    agency = md.find_agency(title, text)
    resolve_region(title, agency, text, year)
    md.find_published_date(text)
    return _Meta(title, year, agency, False)


def _tables(text: str, sections: dict[str, SectionRecord], year: int) -> int:
    tables = extract_tables(text, sections, year)  # the table step of report.parse_text, as it runs there
    return len(tables.disclosure) + len(tables.requests) + len(tables.review)


def _rate(seconds: float, n: int, nbytes: int) -> dict:
    return {
        "s": round(seconds, 4),
        "ms_per_report": round(1000 * seconds / n, 3) if n else None,
        "reports_per_s": round(n / seconds, 1) if seconds > 0 else None,
        "mb_per_s": round(nbytes / _MB / seconds, 3) if seconds > 0 else None,
    }


def measure_group(docs: Sequence[Doc], repeat: int = 1) -> dict:
    """Every stage over ``docs`` (best of ``repeat`` passes), e2e, and the parse outcomes."""
    read = _read_document()
    n, nbytes = len(docs), sum(len(d.raw) for d in docs)
    best: dict[str, float] = {}
    results: list = []
    gc.collect()
    for _ in range(max(1, repeat)):
        times: dict[str, float] = {}
        clock = time.perf_counter
        t = clock()
        texts = [read(d.raw, d.name) for d in docs]
        times["decode"] = clock() - t
        t = clock()
        normalized = [normalize_text(x) for x in texts]
        times["normalize"] = clock() - t
        norm_texts = [x.text for x in normalized]
        t = clock()
        section_lists = [split_sections(x) for x in norm_texts]
        times["sections"] = clock() - t
        by_key = [{s.section_key: s for s in sl} for sl in section_lists]
        t = clock()
        metas = [_metadata(x, s) for x, s in zip(norm_texts, by_key)]
        times["metadata"] = clock() - t
        t = clock()
        for x, s, m in zip(norm_texts, by_key, metas):
            if not m.skip:
                _tables(x, s, m.year)  # type: ignore[arg-type]
        times["tables"] = clock() - t
        t = clock()
        results = [parse_report(d.raw, d.name) for d in docs]
        times["e2e"] = clock() - t
        for k, seconds in times.items():
            best[k] = min(best.get(k, seconds), seconds)
    out: dict = {"reports": n, "mb": round(nbytes / _MB, 3), "mean_kb": round(nbytes / n / 1000, 1) if n else 0}
    out["stages"] = {k: _rate(best[k], n, nbytes) for k in (*STAGES, "e2e")}
    stage_sum = sum(best[k] for k in STAGES)
    out["sum_of_stages_s"] = round(stage_sum, 4)
    out["e2e_minus_stages_s"] = round(best["e2e"] - stage_sum, 4)
    out["share_of_stage_time"] = {k: round(best[k] / stage_sum, 3) for k in STAGES} if stage_sum else {}
    out["outcomes"] = _outcomes(docs, results)
    return out


def _outcomes(docs: Sequence[Doc], results: Sequence) -> dict:
    parsed = [r for r in results if isinstance(r, ParsedReport)]
    reasons = Counter(getattr(r, "reason", "")[:60] for r in results if not isinstance(r, ParsedReport))
    clean = [r for d, r in zip(docs, results) if isinstance(r, ParsedReport) and not d.defects]
    return {
        "parsed": len(parsed),
        "quarantined": len(results) - len(parsed),
        "quarantine_reasons": dict(reasons.most_common(3)),
        # A sanity check of the rebuilt formats: clean synthetic reports should raise no error issue.
        "clean_reports": len(clean),
        "clean_reports_with_errors": sum(any(i.severity == v.SEVERITY_ERROR for i in r.issues) for r in clean),
    }


# --------------------------------------------------------------------------------------------
# Floor
# --------------------------------------------------------------------------------------------

_FLOOR_REGEX = re.compile(r"\d+(?:\.\d+)?")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _floor_text(raw: bytes, fmt: str) -> str:
    if fmt == "docx":
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            return zf.read("word/document.xml").decode("utf-8")
    if fmt == "pdf":
        return raw.decode("latin-1")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def measure_floor(paths: Sequence[Path], fmts: Sequence[str], repeat: int = 3) -> dict:
    """Read + decode + one regex pass, best of ``repeat`` (files are in the page cache after the first)."""
    best_read = best_rest = float("inf")
    matches = 0
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        raws = [p.read_bytes() for p in paths]
        t_read = time.perf_counter() - t
        t = time.perf_counter()
        matches = sum(len(_FLOOR_REGEX.findall(_floor_text(raw, f))) for raw, f in zip(raws, fmts))
        t_rest = time.perf_counter() - t
        best_read, best_rest = min(best_read, t_read), min(best_rest, t_rest)
    n, nbytes = len(paths), sum(p.stat().st_size for p in paths)
    total = best_read + best_rest
    return {
        "read_s": round(best_read, 4),
        "decode_and_regex_s": round(best_rest, 4),
        "regex_matches": matches,
        **_rate(total, n, nbytes),
    }


def check_stage_equivalence(docs: Sequence[Doc]) -> list[str]:
    """Documents where the staged calls disagree with parse_report on what is extracted (should be none:
    the stage breakdown must time the same work)."""
    read = _read_document()
    problems = []
    for d in docs:
        result = parse_report(d.raw, d.name)
        norm: NormalizedText = normalize_text(read(d.raw, d.name))
        sections = {s.section_key: s for s in split_sections(norm.text)}
        meta = _metadata(norm.text, sections)
        if isinstance(result, ParsedReport):
            facts = len(result.disclosure) + len(result.requests) + len(result.review)
            if meta.skip or meta.year != result.metadata.year or _tables(norm.text, sections, meta.year) != facts:
                problems.append(d.name)
        elif not meta.skip:
            problems.append(d.name)
    return problems


def warm_up(docs: Sequence[Doc]) -> float:
    """First calls (imports, OpenCC dictionaries, gazetteer, label matchers): not part of throughput."""
    t = time.perf_counter()
    for d in docs:
        parse_report(d.raw, d.name)
    return time.perf_counter() - t


def combine(groups: Sequence[dict]) -> dict:
    """Several groups' figures as one (times and sizes added): a format over both scripts."""
    n = sum(g["reports"] for g in groups)
    nbytes = sum(g["mb"] for g in groups) * _MB
    stages = {}
    for k in (*STAGES, "e2e"):
        stages[k] = _rate(sum(g["stages"][k]["s"] for g in groups), n, int(nbytes))
    return {"reports": n, "mb": round(nbytes / _MB, 3), "stages": stages}


# --------------------------------------------------------------------------------------------
# Real PDFs: the reader against PDFium's own text extraction
# --------------------------------------------------------------------------------------------


def pdfium_text(raw: bytes) -> str:
    """The floor of a text-layer PDF: PDFium's text extraction of every page (``get_text_range``), the least
    any reader of the text layer does. The reader adds character boxes, rulings, tables and layout."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(raw)
    try:
        out = []
        for k in range(len(pdf)):
            page = pdf[k]
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(out)
    finally:
        pdf.close()


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def measure_real_pdfs(paths: Sequence[Path], rounds: int, plumber_rounds: int = 1) -> dict:
    """Per file, in ``rounds`` rounds (each round times every step once, so a change of the machine's speed
    hits all steps alike), medians of wall and CPU time of: ``floor`` (``pdfium_text``), ``reader``
    (``readers.pdf.read_pdf_as``, the reader ``parse_report`` uses), ``parse_report`` (reader + parsing),
    and ``pdfplumber`` (the fallback reader, the reader before PDFium; ``plumber_rounds`` rounds: it is
    slow). ``reader_vs_floor``: reader wall median / floor wall median (CPU likewise)."""
    from gi_pipeline.readers import pdf as pdf_reader

    files = []
    for path in paths:
        raw = path.read_bytes()
        steps: dict[str, Callable[[], object]] = {
            "floor": lambda raw=raw: pdfium_text(raw),
            "reader": lambda raw=raw: pdf_reader.read_pdf_as(raw),
            "parse_report": lambda raw=raw, name=path.name: parse_report(raw, name),
        }
        for step in steps.values():  # warm-up: imports, fonts, caches
            step()
        reader_used = pdf_reader.read_pdf_as(raw).reader
        wall: dict[str, list[float]] = {name: [] for name in [*steps, "pdfplumber"]}
        cpu: dict[str, list[float]] = {name: [] for name in [*steps, "pdfplumber"]}
        for r in range(rounds):
            timed = dict(steps)
            if r < plumber_rounds:
                timed["pdfplumber"] = lambda raw=raw: pdf_reader._read_pdfplumber(raw)
            for name, step in timed.items():
                gc.collect()
                w, c = time.perf_counter(), time.process_time()
                step()
                cpu[name].append(time.process_time() - c)
                wall[name].append(time.perf_counter() - w)
        entry: dict = {"file": path.name, "bytes": len(raw), "reader_used": reader_used, "rounds": rounds}
        for name, times in wall.items():
            if times:
                entry[f"{name}_ms"] = round(1000 * _median(times), 2)
                entry[f"{name}_cpu_ms"] = round(1000 * _median(cpu[name]), 2)
                entry[f"{name}_all_ms"] = [round(1000 * x, 2) for x in times]
        entry["reader_vs_floor"] = round(entry["reader_ms"] / entry["floor_ms"], 2)
        entry["reader_vs_floor_cpu"] = round(entry["reader_cpu_ms"] / entry["floor_cpu_ms"], 2)
        if "pdfplumber_ms" in entry:
            entry["pdfplumber_vs_reader"] = round(entry["pdfplumber_ms"] / entry["reader_ms"], 1)
        files.append(entry)
    return {"files": files}


# --------------------------------------------------------------------------------------------
# OCR (scanned PDFs): seconds per page, and the facts against the text PDF's
# --------------------------------------------------------------------------------------------


def image_only_pdf(pdf: bytes, dpi: int, scanner: bool = False) -> tuple[bytes, int]:
    """A text PDF as a scanner would give it: each page rasterized at ``dpi``, saved as a PDF of images.
    ``scanner``: like a cheap scan, grayscale, slanted 0.4°, with sensor noise, stored as JPEG quality 40."""
    import numpy as np
    import pypdfium2
    from PIL import Image

    document = pypdfium2.PdfDocument(pdf)
    pages = [document[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(document))]
    if scanner:
        rng = np.random.default_rng(0)
        for k, page in enumerate(pages):
            gray = page.convert("L").rotate(0.4, fillcolor=255, resample=Image.BICUBIC)
            noisy = np.clip(np.asarray(gray) + rng.normal(0, 12, (gray.height, gray.width)), 0, 255)
            jpeg = io.BytesIO()
            Image.fromarray(noisy.astype(np.uint8)).save(jpeg, format="JPEG", quality=40)
            pages[k] = Image.open(io.BytesIO(jpeg.getvalue())).convert("RGB")
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out.getvalue(), len(pages)


def _facts(report: ParsedReport) -> dict[tuple, float | int | None]:
    return (
        {("requests", f.row_key, f.applicant): f.value for f in report.requests}
        | {("active_disclosure", f.item, f.metric): f.value for f in report.disclosure}
        | {("review_litigation", f.proceeding, f.outcome): f.value for f in report.review}
    )


SCANS = (("150dpi", 150, False), ("200dpi", 200, False), ("150dpi-jpeg-noise-slant", 150, True))


def measure_ocr(pdf: bytes, scans: Sequence[tuple[str, int, bool]] = SCANS) -> dict:
    """``parse_report`` of image-only renderings of a text PDF, clean and as a cheap scanner gives them
    (after an untimed warm-up read):
    wall and CPU seconds per page, and each fact against the text PDF's: the same, null (with the
    issues of its row), or different (a wrong number: must be 0)."""
    from gi_pipeline.readers import ocr

    if not ocr.available():
        return {"available": False, "reason": ocr.ENABLE_HINT}
    text = parse_report(pdf, "text.pdf")
    want = _facts(text) if isinstance(text, ParsedReport) else {}
    warm_up_scan, _ = image_only_pdf(pdf, 100)
    parse_report(warm_up_scan, "warm-up.pdf")  # onnxruntime's first runs allocate and tune: not timed
    out: dict = {"available": True, "cells": len(want), "by_scan": {}}
    for name, dpi, scanner in scans:
        scanned, n_pages = image_only_pdf(pdf, dpi, scanner)
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        report = parse_report(scanned, f"scan{dpi}.pdf")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        row: dict = {"pages": n_pages, "wall_s_per_page": round(wall / n_pages, 2),
                     "cpu_s_per_page": round(cpu / n_pages, 2)}
        if isinstance(report, ParsedReport):
            got = _facts(report)
            flagged = {(i.table, i.row_key) for i in report.issues}
            row["same"] = sum(got.get(k) == w for k, w in want.items())
            row["null_flagged"] = sum(
                got.get(k) is None and w is not None and k[:2] in flagged for k, w in want.items()
            )
            row["different"] = sum(got.get(k) is not None and got.get(k) != w for k, w in want.items())
            row["same_share"] = round(row["same"] / len(want), 4) if want else None
            row["ocr_low_confidence_issues"] = sum(i.check == v.Check.OCR_LOW_CONFIDENCE for i in report.issues)
            row["reader"] = report.metadata.reader
        else:
            row["quarantined"] = report.reason
        out["by_scan"][name] = row
    return out
