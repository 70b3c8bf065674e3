"""The explain pages (``gi_pipeline.explain``) of a partition's flagged reports, kept beside the partition:
``root/_stage/explain/year=YYYY/region=NNNNNN/<source file>.html``.

The partition writer calls ``write_partition_pages`` when it writes a partition. A page is rendered from
the report as the parse cache holds it (``frames.parsed_report``: no raw file is read or parsed again),
with the issues the partition holds for it (the parser's and the GX suites'), so the page says what the
warehouse says. Bounded: at most ``pages_per_partition`` pages a partition (``PAGES_PER_PARTITION`` by
default; a page costs ~10-15 ms of one core and ~170 KB), the first flagged reports by source file; the
others are counted, and ``gi-pipeline explain`` makes any page on demand. Idempotent: the same rows give
the same bytes (a page whose bytes are already there is not rewritten), and a page of a report no longer
flagged, or no longer in the partition, is removed. A partition the manifests find unchanged is not
rewritten, so its pages stay as they are.

Local warehouses only: pages are for a person to open, and a remote warehouse (an fsspec URL) gets none
(``PartitionPages.remote``; the asset's metadata says so).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from . import explain, frames, warehouse
from . import vocabulary as v
from .records import QualityIssue

STAGE_EXPLAIN = warehouse.STAGE_EXPLAIN
# 3 a partition: ~420 pages (~6-8 s of one core, ~70 MB) for a national year of 140 partitions.
PAGES_PER_PARTITION = 3
_PAGE_SUFFIX = ".html"
_ISSUE_FIELDS = ("check", "severity", "table", "row_key", "detail")


@dataclass(frozen=True)
class PartitionPages:
    """The explain pages of one partition after a write."""

    year: int
    region: str
    pages: tuple[tuple[str, str], ...] = ()  # (source_file, page path) of the flagged reports with a page
    without_page: tuple[str, ...] = ()  # flagged reports over the limit (or all, when remote)
    remote: bool = False  # a remote warehouse: no pages written
    failed: tuple[tuple[str, str], ...] = ()  # (source_file, why) of pages that could not be made
    limit: int = PAGES_PER_PARTITION  # pages a partition at most

    @property
    def flagged(self) -> int:
        return len(self.pages) + len(self.without_page) + len(self.failed)


def pages_dir(root: warehouse.Root, year: int, region: str) -> warehouse.Location:
    return warehouse.stage_dir(root, STAGE_EXPLAIN, year, region)


def flagged_reports(reports: pa.Table) -> list[tuple[str, str]]:
    """(source_file, doc_id) of the flagged rows of a partition's ``reports`` table, by source file."""
    flagged = reports.filter(pc.equal(reports["status"], v.STATUS_FLAGGED))
    return sorted(zip(flagged["source_file"].to_pylist(), flagged["doc_id"].to_pylist(), strict=True))


def _issues_by_report(issues: pa.Table, doc_ids: list[str]) -> dict[str, list[QualityIssue]]:
    chosen = issues.filter(pc.is_in(issues["doc_id"], pa.array(doc_ids, pa.string())))
    out: dict[str, list[QualityIssue]] = {d: [] for d in doc_ids}
    for row in chosen.select(["doc_id", *_ISSUE_FIELDS]).to_pylist():
        out[row.pop("doc_id")].append(QualityIssue(**row))
    return out


def remove_partition_pages(root: warehouse.Root, year: int, region: str) -> None:
    """Remove a partition's pages (it has no flagged report any more, or no reports)."""
    local = warehouse.local_dir(root)
    if local is not None:
        _keep_only(Path(pages_dir(local, year, region)), set())


def _keep_only(directory: Path, names: set[str]) -> None:
    """Remove the pages of ``directory`` not in ``names``, and the directory (and its year's) when empty."""
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if entry.suffix == _PAGE_SUFFIX and entry.name not in names:
            entry.unlink(missing_ok=True)
    for d in (directory, directory.parent):  # region=..., then year=... if now empty
        try:
            d.rmdir()
        except OSError:  # not empty, or already gone
            break


def write_partition_pages(
    root: warehouse.Root,
    year: int,
    region: str,
    tables: Mapping[str, pa.Table],
    reports: Mapping[str, tuple[frames.ReportColumns, frames.ReportDetails | None]],
    pages_per_partition: int = PAGES_PER_PARTITION,
) -> PartitionPages:
    """Write the pages of the flagged reports of partition (year, region), as its validated ``tables``
    hold them; ``reports``: each report's cached rows and details by doc_id; at most
    ``pages_per_partition`` (0: none). Pages of reports no longer flagged are removed."""
    flagged = flagged_reports(tables[v.TABLE_REPORTS])
    local = warehouse.local_dir(root)
    if local is None:
        return PartitionPages(year, region, without_page=tuple(f for f, _ in flagged), remote=True)
    directory = Path(pages_dir(local, year, region))
    # A report cached before its details were kept has no page (a parser change renews every entry).
    # ``reports`` may load each report when asked (partition_writer.CachedReports): asked in turn.
    chosen = list(itertools.islice(
        ((f, d) for f, d in flagged if reports.get(d, (None, None))[1] is not None), max(pages_per_partition, 0)
    ))
    issues = _issues_by_report(tables[v.TABLE_QUALITY_ISSUES], [d for _, d in chosen])
    written: list[tuple[str, str]] = []
    failed: list[tuple[str, str]] = []
    names: set[str] = set()
    for source_file, doc_id in chosen:
        columns, details = reports[doc_id]
        assert details is not None
        name = explain.page_name(source_file)
        if name in names:  # two file names made alike by page_name (a/b.txt, a_b.txt)
            name = explain.page_name(f"{source_file}.{doc_id[:12]}")
        try:
            report = frames.parsed_report(columns, details, issues[doc_id])
            page = explain.render(report, reader=report.metadata.reader).encode("utf-8")
            warehouse.write_local_file(directory / name, page)
        except Exception as exc:  # noqa: BLE001 - a page is a view of the tables: never fails their run
            failed.append((source_file, f"{type(exc).__name__}: {exc}"[:200]))
            continue
        names.add(name)
        written.append((source_file, str(directory / name)))
    _keep_only(directory, names)
    done = {f for f, _ in written} | {f for f, _ in failed}
    return PartitionPages(
        year, region, tuple(written), tuple(f for f, _ in flagged if f not in done), failed=tuple(failed),
        limit=pages_per_partition,
    )


EXPLAIN_COMMAND = "gi-pipeline explain RAW_DIR/<source_file> -o page.html"
_LISTED = 100  # pages listed in a run's metadata table (a backfill of many partitions writes more)


def markdown(partitions: list[PartitionPages], unchanged: int = 0) -> str:
    """A run's explain pages as a markdown table for the ``reports`` materialization metadata: one row per
    page (its local path, to open in a browser), then what has no page and how to make one."""
    rows = [(p, source, path) for p in partitions for source, path in p.pages]
    lines = []
    if rows:
        lines += ["| year | region | source file | page |", "|---|---|---|---|"]
        lines += [f"| {p.year} | {p.region} | {_cell(source)} | `{path}` |" for p, source, path in rows[:_LISTED]]
        if len(rows) > _LISTED:
            lines.append(f"\n{len(rows) - _LISTED} more pages under `{_common_dir(rows)}`")
    over = sum(len(p.without_page) for p in partitions if not p.remote)
    remote = sum(len(p.without_page) for p in partitions if p.remote)
    if over:
        lines.append(
            f"\n{over} flagged reports without a page (over {max(p.limit for p in partitions)} a partition): "
            f"`{EXPLAIN_COMMAND}` makes one"
        )
    if remote:
        lines.append(
            f"\n{remote} flagged reports: no pages for a remote warehouse; `{EXPLAIN_COMMAND}` makes one"
        )
    failed = [(p, source, why) for p in partitions for source, why in p.failed]
    if failed:
        lines.append(f"\n{len(failed)} pages could not be made (the tables are written all the same):")
        lines += [f"- {p.year}|{p.region} {_cell(source)}: {_cell(why)}" for p, source, why in failed[:_LISTED]]
    if unchanged:
        lines.append(f"\n{unchanged} unchanged partitions (not rewritten) keep their pages")
    return "\n".join(lines).strip() or "no flagged reports in the partitions written"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _common_dir(rows: list[tuple[PartitionPages, str, str]]) -> str:
    return os.path.commonpath([os.path.dirname(path) for _, _, path in rows])
