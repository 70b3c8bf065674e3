"""The raw listing keeps what it cannot see apart from what is gone; removals are planned from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from gi_pipeline import raw_listing, removals, warehouse
from gi_pipeline.raw_listing import EmptyRawRoot, ListingError, RawListing, RawRootError

ROOT = Path(__file__).resolve().parents[1]


def test_source_file_escaping_round_trips_every_byte() -> None:
    gbk = "2021/报告.pdf".encode("gb18030")
    assert raw_listing.source_file_of(gbk) == "2021/\\xb1\\xa8\\xb8\\xe6.pdf"
    assert raw_listing.source_file_of("2021/报告.pdf".encode()) == "2021/报告.pdf"  # UTF-8 names unchanged
    assert raw_listing.source_file_of(b"a\\xff\nb") == "a\\\\xff\\x0ab"  # a literal '\xff' stays text
    for name in (gbk, b"a\\xff\nb", bytes(range(1, 256)), b"\xed\xb2\x80", "é政府\\".encode()):
        escaped = raw_listing.source_file_of(name)
        escaped.encode("utf-8")  # storable as a Parquet string
        assert escaped.isprintable()
        assert raw_listing.raw_name_of(escaped) == name


def _tree(root: Path) -> Path:
    (root / "2021").mkdir(parents=True)
    (root / "2021" / "a.txt").write_text("a")
    (root / "2022" / "deep").mkdir(parents=True)
    (root / "2022" / "deep" / "b.html").write_text("b")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "c.txt").write_text("c")
    (root / ".d.txt").write_text("d")
    with open(os.path.join(os.fsencode(root / "2022"), "报告.pdf".encode("gb18030")), "wb") as f:
        f.write(b"gbk-named")
    return root


def test_listing_names_every_file_and_reads_back_non_utf8_names(tmp_path: Path) -> None:
    raw = _tree(tmp_path / "raw")
    (raw / "2021" / "dangling.pdf").symlink_to(raw / "nowhere.pdf")
    listing = raw_listing.list_raw(raw)
    assert listing.files == ("2021/a.txt", "2022/\\xb1\\xa8\\xb8\\xe6.pdf", "2022/deep/b.html")
    # A dangling link is not a deleted file: it is a part of the tree that cannot be read.
    assert [e.source_file for e in listing.errors] == ["2021/dangling.pdf"]
    assert "FileNotFoundError" in listing.errors[0].error
    with open(raw_listing.raw_path(raw, listing.files[1]), "rb") as f:
        assert f.read() == b"gbk-named"


def test_missing_or_empty_raw_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RawRootError, match="does not exist"):
        raw_listing.list_raw(tmp_path / "not-mounted")
    (tmp_path / "file").write_text("x")
    with pytest.raises(RawRootError, match="not a directory"):
        raw_listing.list_raw(tmp_path / "file")
    (tmp_path / "empty" / "2021").mkdir(parents=True)
    (tmp_path / "empty" / ".snapshot").write_text("x")
    with pytest.raises(EmptyRawRoot, match="holds no file"):
        raw_listing.list_raw(tmp_path / "empty")


_LIST_AS_NOBODY = """
import json, os, sys
from gi_pipeline import raw_listing
if os.getuid() == 0:  # root reads any directory whatever its mode: list as nobody
    os.setgid(65534)
    os.setuid(65534)
try:
    listing = raw_listing.list_raw(sys.argv[1])
    print(json.dumps({"files": listing.files, "errors": [[e.source_file, e.error] for e in listing.errors]}))
except raw_listing.RawRootError as exc:
    print(json.dumps({"root_error": str(exc)}))
"""


def _list_as_nobody(raw: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _LIST_AS_NOBODY, str(raw)], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_unreadable_directory_is_an_error_not_an_absence(shared_dir: Path) -> None:
    raw = _tree(shared_dir / "raw")
    for d, _, _ in os.walk(raw):
        os.chmod(d, 0o755)
    (raw / "2022" / "deep").chmod(0o000)
    found = _list_as_nobody(raw)
    assert found["files"] == ["2021/a.txt", "2022/\\xb1\\xa8\\xb8\\xe6.pdf"]
    assert [path for path, _ in found["errors"]] == ["2022/deep"]
    assert found["errors"][0][1].startswith("PermissionError")
    raw.chmod(0o000)
    assert "cannot be listed: PermissionError" in _list_as_nobody(raw)["root_error"]


def _catalog(rows: list[tuple[str, str, int | None]]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"source_file": name, "sha256": f"{i:064x}", "size_bytes": 1, "role": role, "doc_id": f"d{i}" if role == "report" else None,
          "year": year, "region": "640000" if year else None, "duplicate_of": None, "reason": None}
         for i, (name, role, year) in enumerate(rows)],
        schema=warehouse.CATALOG_SCHEMA,
    )


# 20 reports of 2021 and 2022 each, 2 of 2020, a quarantined file.
_BEFORE = _catalog([(f"{y}/{i:02d}.pdf", "report", y) for y in (2021, 2022) for i in range(20)]
                   + [("2020/a.pdf", "report", 2020), ("2020/b.pdf", "report", 2020), ("junk.bin", "quarantined", None)])
_ALL = tuple(sorted(_BEFORE.column("source_file").to_pylist()))


def _listing(files, errors=()) -> RawListing:
    return RawListing(tuple(sorted(files)), tuple(ListingError(p, "PermissionError: denied") for p in errors))


def test_files_under_an_unreadable_directory_are_kept_not_deleted() -> None:
    listing = _listing([f for f in _ALL if not f.startswith("2021/")], errors=["2021"])
    plan = removals.plan_removals(_BEFORE, listing)
    assert plan.deleted == () and len(plan.unreadable) == 20
    assert not plan.needs_confirmation
    removals.check_removals(plan)
    assert removals.kept_rows(_BEFORE, plan).column("source_file").to_pylist() == [f"2021/{i:02d}.pdf" for i in range(20)]


def test_a_few_deletions_pass_a_tenth_or_a_whole_year_needs_confirmation() -> None:
    few = removals.plan_removals(_BEFORE, _listing([f for f in _ALL if f not in ("2021/00.pdf", "junk.bin")]))
    assert few.deleted == ("2021/00.pdf", "junk.bin") and few.reports_deleted == 1
    removals.check_removals(few)

    many = removals.plan_removals(_BEFORE, _listing([f for f in _ALL if not f.startswith("2022/0")]))
    assert many.reports_deleted == 10 and many.needs_confirmation and many.emptied_years == ()
    with pytest.raises(removals.RemovalsRefused) as refused:
        removals.check_removals(many)
    message = str(refused.value)
    assert "refusing to remove 10 of 42 catalogued reports (23.8% of the catalogued reports, over the 10% limit)" in message
    assert "2022/00.pdf, 2022/01.pdf" in message and "--allow-removals" in message
    removals.check_removals(many, allow=True)

    year = removals.plan_removals(_BEFORE, _listing([f for f in _ALL if not f.startswith("2020/")]))
    assert year.share < removals.MAX_REMOVED_SHARE and year.emptied_years == (2020,)
    with pytest.raises(removals.RemovalsRefused, match="every report of 2020"):
        removals.check_removals(year)


def test_first_run_has_nothing_to_remove() -> None:
    plan = removals.plan_removals(None, _listing(["a.pdf"]))
    assert plan.deleted == () and not plan.needs_confirmation
