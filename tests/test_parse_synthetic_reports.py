"""A few hundred synthetic reports with known values, in every layout, encoding and noise the
generator has: every cell of a clean report is right, and every defective report carries the checks
its defect must raise (parser issues plus GX findings), with no cell wrong and unflagged."""

from __future__ import annotations

import math
from collections import Counter

import polars as pl
import pytest

from gi_pipeline import vocabulary as v
from gi_pipeline.frames import report_tables
from gi_pipeline.quality import SuiteRunner
from gi_pipeline.records import ParsedReport
from gi_pipeline.report import parse_report
from tests.synth import DEFECTS, ENCODINGS, LAYOUTS, SyntheticReport, generate_corpus

CORPUS_SIZE = 300


def _same(got, want) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)


def _cells(report: ParsedReport) -> dict:
    return {
        **{("二", f.item, f.metric): f.value for f in report.disclosure},
        **{("三", f.row_key, f.applicant): f.value for f in report.requests},
        **{("四", f.proceeding, f.outcome): f.value for f in report.review},
    }


def _expected(s: SyntheticReport) -> dict:
    return {
        **{("二", *k): x for k, x in s.disclosure.items()},
        **{("三", *k): x for k, x in s.requests.items()},
        **{("四", *k): x for k, x in s.review.items()},
    }


@pytest.fixture(scope="module")
def parsed() -> list[tuple[SyntheticReport, ParsedReport, set[str]]]:
    corpus = generate_corpus(CORPUS_SIZE, seed=20261122)
    reports = [parse_report(s.raw, s.name) for s in corpus]
    assert all(isinstance(r, ParsedReport) for r in reports), [r for r in reports if not isinstance(r, ParsedReport)]
    tables = {name: pl.from_arrow(t) for name, t in report_tables(reports).items()}
    findings: dict[str, set[str]] = {}
    for result in SuiteRunner().run(tables):
        for f in result.findings:
            findings.setdefault(f.doc_id, set()).add(f.check)
    return [(s, r, {i.check for i in r.issues} | findings.get(r.doc_id, set())) for s, r in zip(corpus, reports)]


def test_corpus_covers_every_layout_encoding_and_defect(parsed) -> None:
    assert {s.layout for s, _, _ in parsed} == set(LAYOUTS)
    assert {s.encoding for s, _, _ in parsed} == set(ENCODINGS)
    assert {d for s, _, _ in parsed for d in s.defects} == set(DEFECTS)
    assert any(s.traditional for s, _, _ in parsed) and any(not s.defects for s, _, _ in parsed)


def test_clean_reports_are_right_to_the_cell(parsed) -> None:
    wrong = Counter()
    for s, r, checks in parsed:
        if s.defects:
            continue
        got, want = _cells(r), _expected(s)
        assert got.keys() == want.keys(), s.name
        bad = [k for k in want if not _same(got[k], want[k])]
        wrong[s.name] = len(bad)
        assert not bad, (s.name, s.layout, [(k, got[k], want[k]) for k in bad[:5]])
        m = r.metadata
        assert (m.year, m.template, m.traditional, m.agency) == (s.year, s.template, s.traditional, s.agency), s.name
        assert (m.region.admin_code, m.region.province_code) == (s.admin_code, s.province_code), s.name
        errors = [i for i in r.issues if i.severity == v.SEVERITY_ERROR]
        assert not errors, (s.name, errors)
        assert not any(c.startswith(v.Check.IDENTITY_PREFIX) for c in checks), s.name
    assert len(wrong) > CORPUS_SIZE // 2  # most of the corpus is clean


def test_every_defective_report_is_flagged_and_no_cell_is_wrong(parsed) -> None:
    for s, r, checks in parsed:
        if not s.defects:
            continue
        for expected in s.expected_checks:
            assert any(c.startswith(expected) for c in checks), (s.name, s.defects, expected, sorted(checks))
        got, want = _cells(r), _expected(s)
        bad = [k for k in want if not _same(got.get(k), want[k])]
        assert not bad, (s.name, s.defects, [(k, got.get(k), want[k]) for k in bad[:5]])
