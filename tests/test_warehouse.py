"""gi_pipeline.warehouse: layout, atomic and deterministic writes, stale files, typed scans."""

from __future__ import annotations

import os
import time
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gi_pipeline import vocabulary as v
from gi_pipeline import warehouse
from gi_pipeline.schema import SCHEMAS


def _requests(rows: int = 3, doc: str = "d1") -> pa.Table:
    data = [
        {"doc_id": doc, "row_key": key, "applicant": "total", "value": i}
        for i, key in enumerate(v.REQUEST_ROW_KEYS[:rows])
    ]
    return pa.Table.from_pylist(data, schema=SCHEMAS[v.TABLE_REQUESTS])


def _quarantine(*names: str) -> pa.Table:
    return pa.Table.from_pylist(
        [{"source_file": n, "sha256": "0" * 64, "reason": "not an annual report"} for n in names],
        schema=SCHEMAS[v.TABLE_QUARANTINE],
    )


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_partition_dir_layout(tmp_path: Path) -> None:
    assert warehouse.partition_dir(tmp_path, "requests", 2024, "640000") == (
        tmp_path / "requests" / "year=2024" / "region=640000"
    )
    for year, region in [(24, "640000"), ("2024", "640000"), (2024, "64"), (2024, 640000), (2024, "../x/y")]:
        with pytest.raises(ValueError):
            warehouse.partition_dir(tmp_path, "requests", year, region)  # type: ignore[arg-type]


def test_write_partition_single_file_without_partition_columns(tmp_path: Path) -> None:
    path = warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests())
    assert path == tmp_path / "requests/year=2024/region=640000/part-0.parquet"
    assert _files(tmp_path) == ["requests/year=2024/region=640000/part-0.parquet"]
    stored = pq.ParquetFile(path).schema_arrow
    assert stored.equals(SCHEMAS[v.TABLE_REQUESTS], check_metadata=False)  # no year/region columns


def test_write_partition_rejects_wrong_schema(tmp_path: Path) -> None:
    bad = _requests().cast(
        pa.schema([f.with_type(pa.int32()) if f.name == "value" else f for f in SCHEMAS[v.TABLE_REQUESTS]])
    )
    with pytest.raises(ValueError, match="schema"):
        warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", bad)
    with pytest.raises(ValueError, match="schema"):
        warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests().drop_columns(["value"]))
    with pytest.raises(ValueError, match="partitioned"):
        warehouse.write_partition(tmp_path, v.TABLE_QUARANTINE, 2024, "640000", _quarantine("a"))
    assert not (tmp_path / "requests").exists()


def test_writes_are_deterministic(tmp_path: Path) -> None:
    table = _requests(10)
    first = warehouse.write_partition(tmp_path / "a", v.TABLE_REQUESTS, 2024, "640000", table).read_bytes()
    again = warehouse.write_partition(tmp_path / "a", v.TABLE_REQUESTS, 2024, "640000", table).read_bytes()
    # Same rows assembled differently (several chunks, schema metadata) and written elsewhere.
    chunked = pa.concat_tables([table.slice(0, 4), table.slice(4)]).replace_schema_metadata({"x": "y"})
    other = warehouse.write_partition(tmp_path / "b", v.TABLE_REQUESTS, 2024, "640000", chunked).read_bytes()
    assert first == again == other
    q1 = warehouse.write_table(tmp_path / "a", v.TABLE_QUARANTINE, _quarantine("x", "y")).read_bytes()
    q2 = warehouse.write_table(tmp_path / "b", v.TABLE_QUARANTINE, _quarantine("x", "y")).read_bytes()
    assert q1 == q2


def test_crash_mid_write_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests(2))
    before = path.read_bytes()

    def crash(table, where, **kwargs):  # writes half a file, then dies
        where.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(warehouse.pq, "write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests(5))
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert _files(tmp_path) == ["requests/year=2024/region=640000/part-0.parquet"]  # temp file cleaned up
    assert warehouse.scan(v.TABLE_REQUESTS, tmp_path).collect().height == 2


def test_crash_before_rename_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests(2))
    before = path.read_bytes()

    def killed(src, dst):
        raise KeyboardInterrupt  # the process is interrupted between fsync and rename

    monkeypatch.setattr(warehouse.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests(5))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["requests/year=2024/region=640000/part-0.parquet"]


def test_abandoned_temp_file_is_invisible_and_cleaned_later(tmp_path: Path) -> None:
    path = warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests(2))
    # A writer killed with SIGKILL leaves its temp file behind.
    orphan = path.parent / ".tmp-part-0.parquet.abc123"
    orphan.write_bytes(b"PAR1 truncated")
    young = path.parent / ".tmp-part-0.parquet.def456"
    young.write_bytes(b"PAR1 being written")
    old = time.time() - warehouse.STALE_TMP_SECONDS - 10
    os.utime(orphan, (old, old))

    assert warehouse.scan(v.TABLE_REQUESTS, tmp_path).collect().height == 2  # readers ignore both

    warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests(3))
    assert not orphan.exists()
    assert young.exists()  # may belong to a writer still running


def test_stale_files_are_removed(tmp_path: Path) -> None:
    directory = warehouse.partition_dir(tmp_path, v.TABLE_REQUESTS, 2024, "640000")
    directory.mkdir(parents=True)
    (directory / "part-1.parquet").write_bytes(b"old layout")
    (directory / "0c3e-uuid.parquet").write_bytes(b"someone else's writer")
    (directory / "nested").mkdir()
    (directory / "nested" / "x.parquet").write_bytes(b"?")
    warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests())
    assert _files(tmp_path) == ["requests/year=2024/region=640000/part-0.parquet"]

    (tmp_path / "quarantine").mkdir()
    (tmp_path / "quarantine" / "part-7.parquet").write_bytes(b"old")
    warehouse.write_table(tmp_path, v.TABLE_QUARANTINE, _quarantine("a"))
    assert _files(tmp_path / "quarantine") == ["part-0.parquet"]


def test_empty_table_removes_partition(tmp_path: Path) -> None:
    warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests())
    warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "000000", _requests(doc="d2"))
    warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2023, "640000", _requests(doc="d3"))

    assert warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "640000", _requests(0)) is None
    assert not (tmp_path / "requests/year=2024/region=640000").exists()
    assert (tmp_path / "requests/year=2024/region=000000/part-0.parquet").exists()

    warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "000000", _requests(0))
    assert not (tmp_path / "requests/year=2024").exists()  # the emptied year directory goes too
    assert warehouse.existing_partitions(tmp_path, v.TABLE_REQUESTS) == [(2023, "640000")]
    assert set(warehouse.scan(v.TABLE_REQUESTS, tmp_path).collect()["doc_id"]) == {"d3"}

    # Emptying a partition that never existed is fine.
    assert warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2019, "110000", _requests(0)) is None


def test_scan_types_and_empty_tables(tmp_path: Path) -> None:
    for name in v.PARTITIONED_TABLES:
        empty = warehouse.scan(name, tmp_path)
        schema = empty.collect_schema()
        assert list(schema)[-2:] == ["year", "region"]
        assert schema["year"] == pl.Int32 and schema["region"] == pl.String
        assert empty.collect().height == 0
    assert list(warehouse.scan(v.TABLE_QUARANTINE, tmp_path).collect_schema()) == ["source_file", "sha256", "reason"]

    warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2024, "000000", _requests(2, doc="d1"))
    warehouse.write_partition(tmp_path, v.TABLE_REQUESTS, 2021, "640000", _requests(1, doc="d2"))
    frame = warehouse.scan(v.TABLE_REQUESTS, tmp_path)
    assert frame.collect_schema() == warehouse.scan(v.TABLE_REQUESTS, tmp_path / "nothing").collect_schema()
    df = frame.sort("doc_id", "value").collect()
    assert df["region"].to_list() == ["000000", "000000", "640000"]  # leading zeros kept
    assert df["year"].to_list() == [2024, 2024, 2021]
    assert df.schema["value"] == pl.Int64
    # Partition pruning works on the typed hive columns.
    assert frame.filter(pl.col("region") == "000000", pl.col("year") == 2024).collect().height == 2


def test_quarantine_is_replaced_whole_and_kept_when_empty(tmp_path: Path) -> None:
    warehouse.write_table(tmp_path, v.TABLE_QUARANTINE, _quarantine("a", "b"))
    warehouse.write_table(tmp_path, v.TABLE_QUARANTINE, _quarantine("b"))
    assert warehouse.scan(v.TABLE_QUARANTINE, tmp_path).collect()["source_file"].to_list() == ["b"]
    path = warehouse.write_table(tmp_path, v.TABLE_QUARANTINE, _quarantine())
    assert path.exists() and warehouse.scan(v.TABLE_QUARANTINE, tmp_path).collect().height == 0


def test_catalog_round_trip(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="raw_inventory"):
        warehouse.read_catalog(tmp_path)
    row = {
        "source_file": "a/b.txt",
        "sha256": "f" * 64,
        "size_bytes": 10,
        "mtime_ns": 1_700_000_000_000_000_000,
        "role": warehouse.ROLE_REPORT,
        "doc_id": "f" * 64,
        "year": 2024,
        "region": "000000",
        "duplicate_of": None,
        "reason": None,
        "parser_version": "0123456789abcdef",
    }
    table = pa.Table.from_pylist([row], schema=warehouse.CATALOG_SCHEMA)
    warehouse.write_catalog(tmp_path, table)
    assert warehouse.read_catalog(tmp_path).to_pylist() == [row]


def test_every_column_is_documented() -> None:
    schemas = [*SCHEMAS.values(), *warehouse.STAGE_SCHEMAS.values(), warehouse.CATALOG_SCHEMA]
    for schema in schemas:
        for name, type_, doc in warehouse.column_docs(schema, partitioned=True):
            assert doc, f"column {name} has no description"
            assert type_


def test_docs_schema_section_is_generated_from_the_code() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "schema.md").read_text(encoding="utf-8")
    section = doc.split("<!-- schema:start -->\n", 1)[1].split("<!-- schema:end -->", 1)[0]
    assert section == warehouse.schema_markdown(), (
        "docs/schema.md's columns section is stale: replace it with the output of "
        "python -c 'from gi_pipeline.warehouse import schema_markdown; print(schema_markdown(), end=\"\")'"
    )
