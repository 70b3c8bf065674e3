"""The explain pages of a partition's flagged reports (``gi_pipeline.explain_pages``), written by the partition
asset beside the partition and listed in the ``reports`` materialization metadata: made from the cached
parses (no raw file is parsed again), byte-identical when the partition is rewritten, kept when it is
unchanged, removed when the report is no longer flagged, at most ``PAGES_PER_PARTITION`` a partition."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import dagster as dg
import pytest

import gi_pipeline.report
from assets.assets import TABLE_KEYS
from assets.defs.partitions import report_partition_key
from assets.defs.resources import PipelineStorage
from gi_pipeline import explain, explain_pages, partition_writer, warehouse
from gi_pipeline import vocabulary as v

from .test_assets import INGEST_KEYS, _materialize, _metadata, storage

SAMPLES = Path(str(resources.files("gi_pipeline") / "data" / "sample_reports"))
SEED_002 = "002_540522f8d1d44ca2.txt"  # 2020 | 430000, flagged: a row printed with a cell too few
SEED_000 = "000_086aff29061571b0.txt"  # 2024 | 640000, ok
_BAD_ROW = "(二)部分公开(区分处理的,只计这一情形,不计其他情形) | 0 | 0 | 0 | 0 | 0 | 0 | |||"
FLAGGED = (2020, "430000")


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in (SEED_002, SEED_000):
        (raw / name).write_bytes((SAMPLES / name).read_bytes())
    return raw


def _not_parsed_again(raw: bytes, source_file: str):
    raise AssertionError(f"{source_file} parsed again: pages must come from the parse cache")


def _page(wh: Path) -> Path:
    return Path(explain_pages.pages_dir(wh, *FLAGGED)) / explain.page_name(SEED_002)


def test_a_flagged_report_gets_its_page_listed_in_the_reports_metadata(tmp_path: Path, monkeypatch) -> None:
    raw, wh = _raw(tmp_path), tmp_path / "warehouse"
    res = storage(raw, wh)
    with dg.instance_for_test() as instance:
        assert _materialize(instance, res, selection=INGEST_KEYS).success  # parses every file, once
        monkeypatch.setattr(gi_pipeline.report, "parse_report", _not_parsed_again)
        result = _materialize(instance, res, report_partition_key(*FLAGGED))
        meta = _metadata(result, TABLE_KEYS[v.TABLE_REPORTS])
        assert meta["explain_pages_written"] == 1
        assert f"`{_page(wh)}`" in meta["explain_pages"] and SEED_002 in meta["explain_pages"]
        assert meta["explain_dir"] == str(wh / warehouse.STAGE_DIR / explain_pages.STAGE_EXPLAIN)
        page = _page(wh).read_text(encoding="utf-8")
        assert "flagged sev-error" in page and "6 cells for 7 columns" in page  # the flagged cell, its issue

        ok = _metadata(_materialize(instance, res, report_partition_key(2024, "640000")), TABLE_KEYS[v.TABLE_REPORTS])
        assert ok["explain_pages_written"] == 0 and ok["explain_pages"] == "no flagged reports in the partitions written"
        assert not Path(explain_pages.pages_dir(wh, 2024, "640000")).exists()

        # Unchanged partition: skipped by its manifest (no materialization), its page stays as it is.
        before = _page(wh).stat()
        again = _materialize(instance, res, report_partition_key(*FLAGGED))
        assert again.success and again.get_asset_materialization_events() == []
        assert (_page(wh).stat().st_ino, _page(wh).stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    # Rewritten from the same inputs: the same bytes, the file not even touched.
    catalog = warehouse.read_catalog(wh)
    for _ in partition_writer.write_partitions(raw, wh, catalog, [FLAGGED], force=True):
        pass
    assert _page(wh).read_text(encoding="utf-8") == page
    assert (_page(wh).stat().st_ino, _page(wh).stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_the_page_goes_when_the_report_is_no_longer_flagged(tmp_path: Path) -> None:
    raw, wh = _raw(tmp_path), tmp_path / "warehouse"
    res = storage(raw, wh)
    with dg.instance_for_test() as instance:
        assert _materialize(instance, res, selection=INGEST_KEYS).success
        assert _materialize(instance, res, report_partition_key(*FLAGGED)).success
        assert _page(wh).is_file()
        text = (raw / SEED_002).read_text(encoding="utf-8")  # the row corrected: the report is ok
        (raw / SEED_002).write_text(text.replace(_BAD_ROW, _BAD_ROW.replace("| 0 | |||", "| 0 | 0 |||")), encoding="utf-8")
        assert _materialize(instance, res, selection=INGEST_KEYS).success
        result = _materialize(instance, res, report_partition_key(*FLAGGED))
        assert _metadata(result, TABLE_KEYS[v.TABLE_REPORTS])["explain_pages_written"] == 0
    assert not _page(wh).exists() and not _page(wh).parent.parent.exists()  # region=, then year= removed


def test_pages_are_capped_per_partition_and_the_rest_counted(tmp_path: Path, monkeypatch) -> None:
    raw, wh = _raw(tmp_path), tmp_path / "warehouse"
    copy = f"copy-{SEED_002}"  # another flagged report of the same partition (other bytes)
    (raw / copy).write_bytes((SAMPLES / SEED_002).read_bytes() + b"\n")
    res = {"storage": PipelineStorage(raw_dir=str(raw), warehouse_dir=str(wh), explain_pages=1)}
    with dg.instance_for_test() as instance:
        assert _materialize(instance, res, selection=INGEST_KEYS).success
        meta = _metadata(_materialize(instance, res, report_partition_key(*FLAGGED)), TABLE_KEYS[v.TABLE_REPORTS])
    assert meta["explain_pages_written"] == 1
    assert "1 flagged reports without a page (over 1 a partition)" in meta["explain_pages"]
    assert explain_pages.EXPLAIN_COMMAND in meta["explain_pages"]
    written = sorted(p.name for p in Path(explain_pages.pages_dir(wh, *FLAGGED)).iterdir())
    assert written == [explain.page_name(SEED_002)]  # the first by source file


# The traditional sample prints cells in full width: its rebuilt report gives them as printed.
@pytest.mark.parametrize("name", [SEED_002, "pingtan_2019.txt", "synthetic_03_cell_per_line_utf-8-sig_traditional.txt"])
def test_a_page_from_the_cache_is_the_page_of_the_parse(name: str) -> None:
    """``frames.parsed_report`` rebuilds the report from its cached rows and details: its page is the page
    of the report as parsed (the CLI's), given the same issues and reader."""
    from gi_pipeline import frames, parse_cache
    from gi_pipeline.report import parse_report

    path = SAMPLES / name if (SAMPLES / name).is_file() else Path(__file__).parent / "fixtures" / name
    parsed = parse_report(path.read_bytes(), name)
    entry = parse_cache.cached(parsed)
    assert entry.columns is not None and entry.details is not None
    rebuilt = frames.parsed_report(entry.columns, entry.details)
    assert frames.report_columns(rebuilt) == entry.columns
    assert explain.render(rebuilt, "pdfium") == explain.render(parsed, "pdfium")


def test_a_remote_warehouse_gets_no_pages_and_says_so() -> None:
    from gi_pipeline import frames
    from gi_pipeline.report import parse_report

    parsed = parse_report((SAMPLES / SEED_002).read_bytes(), SEED_002)
    tables = frames.report_tables([parsed])
    pages = explain_pages.write_partition_pages("memory://gi-pipeline-explain-test", *FLAGGED, tables, {})
    assert pages.remote and pages.pages == () and pages.without_page == (SEED_002,)
    note = explain_pages.markdown([pages])
    assert "1 flagged reports: no pages for a remote warehouse" in note and explain_pages.EXPLAIN_COMMAND in note


def test_a_page_that_cannot_be_made_never_fails_the_partition(tmp_path: Path, monkeypatch) -> None:
    from gi_pipeline import frames, parse_cache
    from gi_pipeline.report import parse_report

    parsed = parse_report((SAMPLES / SEED_002).read_bytes(), SEED_002)
    entry = parse_cache.cached(parsed)

    def broken(report, reader="unknown"):
        raise ValueError("a bug in the page")

    monkeypatch.setattr(explain, "render", broken)
    pages = explain_pages.write_partition_pages(
        tmp_path, *FLAGGED, frames.report_tables([parsed]), {parsed.doc_id: (entry.columns, entry.details)}
    )
    assert pages.pages == () and pages.failed == ((SEED_002, "ValueError: a bug in the page"),)
    assert f"2020|430000 {SEED_002}: ValueError: a bug in the page" in explain_pages.markdown([pages])
    assert not Path(explain_pages.pages_dir(tmp_path, *FLAGGED)).exists()


def test_the_cli_default_is_the_pipeline_default() -> None:
    from assets.defaults import EXPLAIN_PAGES

    assert EXPLAIN_PAGES == explain_pages.PAGES_PER_PARTITION


def test_the_cli_limits_the_pages(tmp_path: Path) -> None:
    import io

    from assets.cli import run

    raw, wh = _raw(tmp_path), tmp_path / "warehouse"
    out = io.StringIO()
    assert run(raw, wh, None, out=out, ephemeral=True, explain_pages=0) == 0
    assert not (wh / "_stage" / "explain").exists() and "explain pages" not in out.getvalue()
    assert run(raw, tmp_path / "warehouse-2", None, out=io.StringIO(), ephemeral=True, explain_pages=-1) == 2
