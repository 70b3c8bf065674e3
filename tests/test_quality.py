"""GX suites: generated from the vocabulary, loadable, silent on the clean seeds, and each one fails
on exactly the cell change it exists to catch."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from importlib import resources

import polars as pl
import pytest

from gi_pipeline import identities as ids
from gi_pipeline import vocabulary as v
from gi_pipeline.frames import report_tables
from gi_pipeline.quality import SuiteRunner, validate_reports
from gi_pipeline.report import parse_report
from gi_pipeline.suites import PARTITION, build_suites, default_directory

from .seed_labels import SEEDS

SAMPLES = resources.files("gi_pipeline") / "data" / "sample_reports"
SEED_004 = "06d9dfb0e989612f41a1639fe1b35432a86639ef8d9627f922001cb01cafe018"
SEED_002 = "dbd8b5d97250c443a17ae26854bd7679e59ac6e14a98f3946229925647fa8b96"


@pytest.fixture(scope="module")
def seed_tables() -> dict[str, pl.DataFrame]:
    reports = [parse_report((SAMPLES / s.file).read_bytes(), s.file) for s in SEEDS]
    return {name: pl.from_arrow(table) for name, table in report_tables(reports).items()}


@pytest.fixture(scope="module")
def runner() -> SuiteRunner:
    return SuiteRunner()


def test_committed_suites_are_generated_from_the_vocabulary() -> None:
    committed = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in default_directory().glob("*.json")}
    assert committed == build_suites()


def test_every_suite_loads_as_a_gx_suite() -> None:
    import great_expectations as gx

    gx.get_context(mode="ephemeral")
    for path in sorted(default_directory().glob("*.json")):
        suite = gx.ExpectationSuite(**json.loads(path.read_text(encoding="utf-8")))
        assert suite.name == path.stem and suite.expectations


def test_clean_seeds_pass_every_suite(runner, seed_tables) -> None:
    results = runner.run(seed_tables)
    assert {r.suite for r in results} == {n for n, s in build_suites().items() if s["meta"]["gi_pipeline"]["scope"] == PARTITION}
    assert [r.suite for r in results if not r.success] == []
    assert all(r.rows_checked > 0 for r in results)


def _set_cell(table: str, where: pl.Expr, value) -> Callable[[dict], dict]:
    def change(tables: dict) -> dict:
        frame = tables[table]
        return {**tables, table: frame.with_columns(pl.when(where).then(value).otherwise(pl.col("value")).alias("value"))}

    return change


def _edit(table: str, edit: Callable[[pl.DataFrame], pl.DataFrame]) -> Callable[[dict], dict]:
    return lambda tables: {**tables, table: edit(tables[table])}


MUTATIONS = {
    "granted +1 breaks two identities": (
        _set_cell(
            v.TABLE_REQUESTS,
            (pl.col("doc_id") == SEED_004) & (pl.col("row_key") == "granted") & (pl.col("applicant") == "natural_person"),
            24,
        ),
        {"requests_identities": {ids.REQUESTS_RESULTS_TOTAL, ids.REQUESTS_ROW_TOTAL}},
    ),
    "carried_forward changed breaks the balance": (
        _set_cell(
            v.TABLE_REQUESTS,
            (pl.col("doc_id") == SEED_004) & (pl.col("row_key") == "carried_forward") & (pl.col("applicant") == "natural_person"),
            5,
        ),
        {"requests_identities": {ids.REQUESTS_BALANCE, ids.REQUESTS_ROW_TOTAL}},
    ),
    "review total off": (
        _set_cell(
            v.TABLE_REVIEW_LITIGATION,
            (pl.col("doc_id") == SEED_004) & (pl.col("proceeding") == "review") & (pl.col("outcome") == "total"),
            2,
        ),
        {"review_litigation_identities": {ids.REVIEW_TOTAL}},
    ),
    "negative penalty count": (
        _set_cell(v.TABLE_ACTIVE_DISCLOSURE, (pl.col("doc_id") == SEED_004) & (pl.col("item") == "administrative_penalty"), -1.0),
        {"active_disclosure_nonnegative": {v.Check.NONNEGATIVE}},
    ),
    "negative 2019 change is allowed": (
        _set_cell(v.TABLE_ACTIVE_DISCLOSURE, (pl.col("doc_id") == SEED_002) & (pl.col("metric") == "change"), -5.0),
        {},
    ),
    "negative review count": (
        _set_cell(
            v.TABLE_REVIEW_LITIGATION,
            (pl.col("doc_id") == SEED_004) & (pl.col("proceeding") == "litigation_direct") & (pl.col("outcome") == "upheld"),
            -1,
        ),
        {"review_litigation_nonnegative": {v.Check.NONNEGATIVE}, "review_litigation_identities": {ids.REVIEW_TOTAL}},
    ),
    "a template row missing": (
        _edit(v.TABLE_REQUESTS, lambda f: f.filter(~((pl.col("doc_id") == SEED_004) & (pl.col("row_key") == "withheld_state_secret")))),
        {"requests_completeness": {v.Check.COMPLETENESS}},
    ),
    "a key outside the vocabulary": (
        _edit(
            v.TABLE_REQUESTS,
            lambda f: f.with_columns(
                pl.when((pl.col("doc_id") == SEED_004) & (pl.col("row_key") == "withheld_state_secret"))
                .then(pl.lit("bogus"))
                .otherwise(pl.col("row_key"))
                .alias("row_key")
            ),
        ),
        {"requests_vocabulary": {v.Check.VOCABULARY}, "requests_completeness": {v.Check.COMPLETENESS}},
    ),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_one_changed_cell_fails_exactly_its_expectation(runner, seed_tables, name) -> None:
    mutate, expected = MUTATIONS[name]
    results = runner.run(mutate(seed_tables))
    failed = {r.suite: {f.check for f in r.findings} for r in results if not r.success}
    assert failed == expected
    for r in results:
        assert all(f.doc_id in (SEED_004, SEED_002) for f in r.findings)


def test_findings_join_their_reports_issues(runner) -> None:
    reports = [parse_report((SAMPLES / s.file).read_bytes(), s.file) for s in SEEDS]
    changed = [
        replace(r, requests=tuple(
            replace(f, value=24) if (f.row_key, f.applicant) == ("granted", "natural_person") else f for f in r.requests
        ))
        if r.doc_id == SEED_004 else r
        for r in reports
    ]
    checked, results = validate_reports(changed, runner)
    identity = {r.doc_id: [(i.check, i.severity, i.row_key, i.detail) for i in r.issues if i.check.startswith("identity")] for r in checked}
    assert identity.pop(SEED_004) == [
        (ids.REQUESTS_RESULTS_TOTAL, v.SEVERITY_WARNING, "natural_person", "natural_person: 107 ≠ 106 (off by +1)"),
        (ids.REQUESTS_ROW_TOTAL, v.SEVERITY_WARNING, "granted", "granted: 26 ≠ 25 (off by +1)"),
    ]
    assert all(found == [] for found in identity.values())
    assert [r.suite for r in results if not r.success] == ["requests_identities"]


def test_suites_on_the_gx_process_give_what_they_give_here(runner, seed_tables) -> None:
    # gi_pipeline.gx_process: the suites run on a process of their own (the CLI's runs); the
    # results handed back are the ones this process computes, findings included.
    from gi_pipeline import gx_process

    broken = MUTATIONS["granted +1 breaks two identities"][0](seed_tables)
    here = runner.run(broken)
    assert any(r.findings for r in here)
    sent = []
    submit = gx_process.submit
    gx_process.start()
    try:
        assert gx_process.active()
        gx_process.submit = lambda *args: sent.append(args[0]) or submit(*args)  # type: ignore[assignment]
        elsewhere = SuiteRunner().run(broken)
    finally:
        gx_process.submit = submit
        gx_process.stop()
    assert sent == ["partition"]  # the suites ran there
    assert not gx_process.active()
    assert elsewhere == here


def test_a_frame_validated_in_chunks_gives_the_result_of_one_validation(runner, seed_tables, monkeypatch) -> None:
    # quality.VALIDATION_CHUNK_ROWS: a long frame goes to GX a chunk of rows at a time; the results,
    # findings in the same order included, are those of one call over the whole frame.
    from gi_pipeline import quality

    broken = MUTATIONS["granted +1 breaks two identities"][0](seed_tables)
    whole = runner.run(broken)
    assert any(len(r.findings) > 1 for r in whole) and all(r.rows_checked < 10**4 for r in whole)
    monkeypatch.setattr(quality, "VALIDATION_CHUNK_ROWS", 7)
    assert runner.run(broken) == whole


def test_every_expectation_is_row_by_row() -> None:
    # What makes chunked validation exact: no expectation judges a frame as a whole (no ``mostly``,
    # no aggregate), so the rows of a chunk are judged as in the whole frame.
    row_wise = {"expect_column_values_to_be_in_set", "expect_column_values_to_be_between",
                "expect_column_pair_values_to_be_equal"}
    bodies = [s.body for scope in ("partition", "warehouse") for s in SuiteRunner(scope=scope).suites]
    kinds = [(e["type"], e["kwargs"]) for body in bodies for e in body["expectations"]]
    assert kinds and all(kind in row_wise and "mostly" not in kwargs for kind, kwargs in kinds)
