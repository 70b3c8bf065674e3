"""A crawler's folder: every format, several encodings, duplicates and junk. The run completes and
every file is accounted for, as a report or in quarantine, and the summary says how many of each."""

from __future__ import annotations

import io
import shutil
from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from assets.cli import run
from gi_pipeline import vocabulary as v
from gi_pipeline import warehouse

from . import format_fixtures as ff

SAMPLES = Path(str(resources.files("gi_pipeline") / "data" / "sample_reports"))
SEED_000, SEED_002, SEED_004 = "000_086aff29061571b0.txt", "002_540522f8d1d44ca2.txt", "004_656a75cba6cb305a.txt"


def _mixed_folder(raw: Path) -> tuple[set[str], set[str], set[str]]:
    """Writes the folder; returns (files that are reports, duplicates of a report, junk files)."""
    text = {name: (SAMPLES / name).read_text(encoding="utf-8") for name in (SEED_000, SEED_002, SEED_004)}
    reports = {
        "txt/000.txt": (SAMPLES / SEED_000).read_bytes(),
        "txt/002-gbk.txt": text[SEED_002].encode("gbk"),
        "txt/004-utf16.txt": text[SEED_004].encode("utf-16"),
        "web/002.html": ff.to_html(ff.seed_blocks(text[SEED_002]), charset="gbk"),
        "web/004 page (1).htm": ff.to_html(ff.seed_blocks(text[SEED_004]), layout=True),
        "nameless-attachment": ff.to_html(ff.seed_blocks(text[SEED_000])),  # sniffed by content
    }
    for name, raw_bytes in reports.items():
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        (raw / name).write_bytes(raw_bytes)
    (raw / "office").mkdir()
    ff.to_docx(ff.seed_blocks(text[SEED_004]), raw / "office" / "004.docx")
    ff.to_pdf(ff.seed_blocks(text[SEED_000]), raw / "office" / "000.pdf", running_header="年度报告")
    reports |= {"office/004.docx": b"", "office/000.pdf": b""}
    # A report cut off after its title is still a report: processed, its missing tables flagged.
    reports["truncated.html"] = ff.to_html(ff.seed_blocks(text[SEED_002]))[:300]
    (raw / "truncated.html").write_bytes(reports["truncated.html"])
    duplicates = {"txt/000.txt"}  # the first path in sorted order is the one parsed
    (raw / "copies").mkdir()
    shutil.copyfile(raw / "txt/000.txt", raw / "copies/000 副本.txt")
    reports = {("copies/000 副本.txt" if name == "txt/000.txt" else name): data for name, data in reports.items()}
    junk = {
        "empty.txt": b"",
        "binary.bin": bytes(range(256)) * 4,
        "meeting-notes.txt": "关于召开安全生产工作会议的通知。请各单位准时参加。".encode(),
        "scan.pdf": ff.scanned_pdf(),
        "old.doc": bytes.fromhex("D0CF11E0A1B11AE1") + bytes(512),
        "bad-bytes.txt": b"\xff\xfe\x00\xd8" * 7,
    }
    for name, raw_bytes in junk.items():
        (raw / name).write_bytes(raw_bytes)
    return set(reports), duplicates, set(junk)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("mixed")
    raw = root / "raw"
    raw.mkdir()
    reports, duplicates, junk = _mixed_folder(raw)
    out = io.StringIO()
    code = run(raw, root / "warehouse", None, out=out, ephemeral=True)
    return {"code": code, "out": out.getvalue(), "wh": root / "warehouse", "reports": reports,
            "duplicates": duplicates, "junk": junk}


def test_run_completes_and_the_summary_counts_each_kind(mixed) -> None:
    assert mixed["code"] == 0, mixed["out"]
    n = len(mixed["reports"]) + len(mixed["duplicates"]) + len(mixed["junk"])
    assert f"inventory: {n} files, {len(mixed['reports'])} reports, 1 duplicate, {len(mixed['junk'])} quarantined" in mixed["out"]


def test_every_file_is_a_report_or_quarantined(mixed) -> None:
    wh = mixed["wh"]
    reported = set(warehouse.scan(v.TABLE_REPORTS, wh).collect()["source_file"])
    quarantined = warehouse.scan(v.TABLE_QUARANTINE, wh).collect()
    catalog = pl.from_arrow(warehouse.read_catalog(wh))
    assert reported == mixed["reports"]
    assert set(quarantined["source_file"]) == mixed["junk"]
    assert all(reason for reason in quarantined["reason"])
    duplicates = catalog.filter(pl.col("role") == "duplicate")
    assert duplicates.select("source_file", "duplicate_of").rows() == [("txt/000.txt", "copies/000 副本.txt")]
    truncated = warehouse.scan(v.TABLE_REPORTS, wh).filter(pl.col("source_file") == "truncated.html").collect()
    assert truncated["status"].to_list() == ["flagged"]
    assert set(catalog["source_file"]) == mixed["reports"] | mixed["duplicates"] | mixed["junk"]


def test_the_same_report_in_every_format_has_the_same_facts(mixed) -> None:
    wh = mixed["wh"]
    reports = warehouse.scan(v.TABLE_REPORTS, wh).select("doc_id", "source_file").collect()
    requests = warehouse.scan(v.TABLE_REQUESTS, wh).collect().join(reports, on="doc_id")

    def cells(source_file: str) -> list[tuple]:
        rows = requests.filter(pl.col("source_file") == source_file)
        return rows.select("row_key", "applicant", "value").rows()

    assert cells("copies/000 副本.txt") == cells("office/000.pdf") == cells("nameless-attachment")
    assert cells("txt/004-utf16.txt") == cells("office/004.docx") == cells("web/004 page (1).htm")
    assert cells("txt/002-gbk.txt") == cells("web/002.html")
    assert len(cells("office/000.pdf")) == len(v.request_rows(v.TEMPLATE_2021)) * len(v.APPLICANTS)
