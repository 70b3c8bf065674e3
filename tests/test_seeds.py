"""The five seed reports, parsed and compared with their hand labels cell by cell."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from gi_pipeline import vocabulary as v
from gi_pipeline.records import ParsedReport
from gi_pipeline.report import parse_report

from .seed_labels import SEEDS, SeedLabel

SAMPLES = resources.files("gi_pipeline") / "data" / "sample_reports"

# sha256 of the seed files as collected (../shared/samples/seeds): the bundled copies are byte-exact.
SEED_SHA256 = {
    "000_086aff29061571b0.txt": "4213596dbe5de8df3b9f",
    "001_2db193ee677bda1d.txt": "36ffba95f30ca8753c63",
    "002_540522f8d1d44ca2.txt": "dbd8b5d97250c443a17a",
    "003_68281a0ece325528.txt": "b3f0972fe5aeb943c467",
    "004_656a75cba6cb305a.txt": "06d9dfb0e989612f41a1",
}


def _parse(seed: SeedLabel) -> ParsedReport:
    raw = (SAMPLES / seed.file).read_bytes()
    report = parse_report(raw, seed.file)
    assert isinstance(report, ParsedReport), report
    return report


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: s.file[:3])
def seed_and_report(request) -> tuple[SeedLabel, ParsedReport]:
    return request.param, _parse(request.param)


def test_bundled_seeds_are_byte_exact() -> None:
    for name, digest in SEED_SHA256.items():
        assert hashlib.sha256((SAMPLES / name).read_bytes()).hexdigest().startswith(digest)


def test_metadata(seed_and_report) -> None:
    seed, report = seed_and_report
    m = report.metadata
    assert (m.year, m.template, m.traditional) == (seed.year, seed.template, seed.traditional)
    assert m.agency == seed.agency
    assert (m.region.admin_code, m.region.province_code) == (seed.admin_code, seed.province_code)
    assert report.region == seed.province_code


def test_active_disclosure_cells(seed_and_report) -> None:
    seed, report = seed_and_report
    got = {(f.item, f.metric): f.value for f in report.disclosure}
    assert got == seed.disclosure
    assert list(got) == list(v.disclosure_cells(seed.template))  # printed order


def test_request_cells(seed_and_report) -> None:
    seed, report = seed_and_report
    got = {(f.row_key, f.applicant): f.value for f in report.requests}
    assert got == seed.requests()
    assert [k for k, _ in got][:: len(v.APPLICANTS)] == list(v.request_rows(seed.template))


def test_review_litigation_cells(seed_and_report) -> None:
    seed, report = seed_and_report
    assert {(f.proceeding, f.outcome): f.value for f in report.review} == seed.review_cells()


def test_error_flags_are_exactly_the_expected_ones(seed_and_report) -> None:
    seed, report = seed_and_report
    errors = {(i.check, i.table, i.row_key) for i in report.issues if i.severity == v.SEVERITY_ERROR}
    assert errors == seed.errors
    assert report.status == ("flagged" if seed.errors else "ok")


def test_sections_cover_the_six_standard_sections(seed_and_report) -> None:
    _, report = seed_and_report
    keys = [s.section_key for s in report.sections]
    assert keys == ["preamble", *(s.key for s in v.SECTIONS)]
    for s in report.sections:
        assert report.text[s.char_start : s.char_end] == s.text
