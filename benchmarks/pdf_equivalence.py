"""The PDFium reader against the pdfplumber reader on PDFs: same text, same facts and quality issues.

    PYTHONPATH=. python -m benchmarks.pdf_equivalence [PDF or directory ...]

Without arguments: the real PDFs of tests/fixtures and every seed report built as the tests build it
(``tests.format_fixtures.to_pdf``, with and without a page break in table 三) plus the benchmark corpus's
PDF builder over the seeds. Prints one line per file (with the reader ``read_pdf_as`` chose: PDFium, or the
pdfplumber fallback) and exits 1 when any file's facts or issues differ.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from gi_pipeline.readers import pdf
from gi_pipeline.readers.errors import Unreadable
from gi_pipeline.records import ParsedReport
from gi_pipeline.report import parse_text

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def _seed_pdfs(tmp: Path) -> Iterator[tuple[str, bytes]]:
    from benchmarks import corpus
    from tests import format_fixtures as ff

    for seed in sorted((resources.files("gi_pipeline") / "data" / "sample_reports").iterdir()):
        if not seed.name.endswith(".txt"):
            continue
        try:
            text = seed.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue  # a seed kept in its original encoding: the builders take text
        stem = seed.name.removesuffix(".txt")
        try:
            blocks = ff.seed_blocks(text)
        except AssertionError:
            blocks = None  # a seed whose table 三 the test builder does not model: the corpus builder only
        yield f"{stem}-corpus.pdf", corpus.to_pdf(corpus.text_blocks(text))
        if blocks is None:
            continue
        yield f"{stem}.pdf", ff.to_pdf(blocks, tmp / f"{stem}.pdf", running_header=f"{stem} 年度报告").read_bytes()
        path = tmp / f"{stem}-break.pdf"
        yield path.name, ff.to_pdf(blocks, path, running_header=f"{stem} 年度报告", break_requests_at=12).read_bytes()


def _files(args: list[str], tmp: Path) -> Iterator[tuple[str, bytes]]:
    if not args:
        for path in sorted(FIXTURES.glob("*.pdf")):
            yield path.name, path.read_bytes()
        yield from _seed_pdfs(tmp)
        return
    for arg in args:
        paths = sorted(Path(arg).rglob("*.pdf")) if Path(arg).is_dir() else [Path(arg)]
        for path in paths:
            yield str(path), path.read_bytes()


def _read(reader, raw: bytes) -> tuple[str, str]:
    try:
        read = reader(raw)
        return read.text, read.reader
    except Unreadable as exc:
        return f"Unreadable: {exc.reason}", "none"


def _facts(text: str) -> tuple:
    report = parse_text(text, "x.pdf", "0")
    if not isinstance(report, ParsedReport):
        return ("quarantined", report.reason)
    return (report.metadata, report.disclosure, report.requests, report.review, report.issues)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdfs", nargs="*")
    parser.add_argument("--diff", action="store_true", help="print the text differences")
    args = parser.parse_args(argv)
    differing = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, raw in _files(args.pdfs, Path(tmp)):
            old, _ = _read(pdf._read_pdfplumber, raw)
            new, reader = _read(pdf.read_pdf_as, raw)
            same_facts = old == new or _facts(old) == _facts(new)
            differing += not same_facts
            old_lines, new_lines = old.splitlines(), new.splitlines()
            changed = sum(a != b for a, b in zip(old_lines, new_lines)) + abs(len(old_lines) - len(new_lines))
            text = "same text" if old == new else f"text differs in {changed} lines"
            print(f"{name}: read by {reader}: {text}, {'same' if same_facts else 'DIFFERENT'} facts and issues")
            if args.diff and old != new:
                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "pdfplumber", "pdfium", n=0))
    print(f"{differing} file(s) with different facts or issues")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
