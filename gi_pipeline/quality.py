"""Run the Great Expectations suites over a partition's fact tables.

GX evaluates; this module only builds the frames the suites name (``FRAMES``), calls GX once per suite
on the whole partition, and turns unexpected rows into findings (``quality_issues`` rows and the
metadata of Dagster asset checks). GX is imported lazily, once per process: the import takes seconds.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl
import pyarrow as pa

from . import gx_process
from . import identities as ids
from . import vocabulary as v
from .frames import polars_frame, report_tables
from .records import ParsedReport, QualityIssue
from .schema import SCHEMAS
from .suites import ERROR, PARTITION, WAREHOUSE, default_directory

Tables = dict[str, pl.DataFrame]

@dataclass(frozen=True)
class Frame:
    """What a suite validates: built from these tables of a partition (as lazy frames, in this order)."""

    tables: tuple[str, ...]
    build: Callable[..., pl.LazyFrame]

    def __call__(self, tables: Tables) -> pl.LazyFrame:
        return self.build(*(tables[name].lazy() for name in self.tables))


def _as_is(table: pl.LazyFrame) -> pl.LazyFrame:
    return table


# Frame name -> its tables and how it is built from them.
FRAMES: dict[str, Frame] = {
    "requests": Frame((v.TABLE_REQUESTS,), _as_is),
    "review_litigation": Frame((v.TABLE_REVIEW_LITIGATION,), _as_is),
    "active_disclosure": Frame((v.TABLE_ACTIVE_DISCLOSURE,), _as_is),
    "request_identities": Frame((v.TABLE_REQUESTS,), ids.request_identities),
    "review_identities": Frame((v.TABLE_REVIEW_LITIGATION,), ids.review_identities),
    "request_completeness": Frame((v.TABLE_REPORTS, v.TABLE_REQUESTS), ids.request_completeness),
    "cross_year_identities": Frame(
        (v.TABLE_REPORTS, v.TABLE_REQUESTS, v.TABLE_ACTIVE_DISCLOSURE), ids.cross_year_identities
    ),
}

# The column that names the row an unexpected record is about, per frame.
_ROW_COLUMN = {
    "requests": "row_key",
    "review_litigation": "proceeding",
    "active_disclosure": "item",
    "request_identities": "column",
    "review_identities": "column",
    "request_completeness": "template",
    "cross_year_identities": "column",
}


@dataclass(frozen=True)
class Finding:
    doc_id: str
    source_file: str | None
    check: str
    severity: str  # vocabulary.SEVERITY_ERROR / SEVERITY_WARNING
    table: str
    row_key: str | None
    detail: str
    deviation: int | None = None  # lhs - rhs, for identities
    related_doc_id: str | None = None  # the other report of a cross-year finding
    # Which expectation of its suite found it: a suite's findings are listed by expectation, then
    # by row, as one validation of the whole frame lists them (``merged`` keeps that order).
    expectation: int = 0


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    table: str
    severity: str  # suites.ERROR / suites.WARN
    success: bool
    rows_checked: int
    findings: tuple[Finding, ...]
    rows_by_doc: dict[str, int] = field(default_factory=dict)  # rows checked per report

    def of_reports(self, doc_ids: Iterable[str]) -> SuiteResult:
        """The result restricted to these reports (a partition's share of a batch's validation);
        a failure no finding explains stays a failure."""
        wanted = set(doc_ids)
        findings = tuple(f for f in self.findings if f.doc_id in wanted)
        unexplained = not self.success and not self.findings
        return SuiteResult(
            self.suite, self.table, self.severity, not findings and not unexplained,
            sum(n for d, n in self.rows_by_doc.items() if d in wanted), findings,
            {d: n for d, n in self.rows_by_doc.items() if d in wanted},
        )

    @classmethod
    def merged(cls, parts: Sequence[SuiteResult]) -> SuiteResult:
        """One suite's results over consecutive parts of a frame (rows in doc_id order, as every
        frame's are), as one validation of the whole frame gives it."""
        first = parts[0]
        findings = sorted((f for part in parts for f in part.findings), key=lambda f: f.expectation)  # stable
        return cls(
            first.suite, first.table, first.severity, all(part.success for part in parts),
            sum(part.rows_checked for part in parts), tuple(findings),
            {doc: n for part in parts for doc, n in part.rows_by_doc.items()},
        )

    @property
    def failed_reports(self) -> list[str]:
        return sorted({f.doc_id for f in self.findings})


@dataclass(frozen=True)
class Suite:
    name: str
    frame: str
    table: str
    severity: str
    check: str | None
    body: dict


def load_suites(directory: Path | None = None, scope: str = PARTITION) -> list[Suite]:
    """The suites of one scope (PARTITION: per (year, region); WAREHOUSE: across the warehouse)."""
    suites = []
    for path in sorted((directory or default_directory()).glob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        meta = body["meta"]["gi_pipeline"]
        if meta["frame"] not in FRAMES:
            raise ValueError(f"{path}: unknown frame {meta['frame']!r}")
        if meta["scope"] == scope:
            suites.append(Suite(body["name"], meta["frame"], meta["table"], meta["severity"], meta["check"], body))
    if not suites:
        raise FileNotFoundError(f"no expectation suites in {directory or default_directory()}")
    return suites


_GX_LOCK = threading.Lock()

# Rows of a frame validated in one GX call: the frame's chunk is in pandas too, and GX's own
# working data grows with it (a national year's largest partition has ~250,000 request rows).
# Every expectation is row by row (none uses ``mostly``), so chunks give the result of one call.
VALIDATION_CHUNK_ROWS = 100_000


def _gx():
    """GX and one quiet ephemeral context per process (made on first use, under a lock so two
    threads never make two)."""
    with _GX_LOCK:
        return _make_gx()


@functools.cache
def _make_gx():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("gi_pipeline")
    return gx, source


@functools.cache
def _batch_definition(frame: str):
    _, source = _gx()
    return source.add_dataframe_asset(frame).add_batch_definition_whole_dataframe(frame)


def _detail(frame: str, record: dict, expectation: dict) -> tuple[str, int | None]:
    kwargs = expectation["kwargs"]
    if kwargs.get("column_A") == "lhs":
        lhs, rhs = record["lhs"], record["rhs"]
        detail = f"{record['column']}: {lhs} ≠ {rhs} (off by {lhs - rhs:+d})"
        if record.get("previous_source_file"):
            detail += f"; {record['source_file']} vs the year before: {record['previous_source_file']}"
        return detail, lhs - rhs
    if "value_set" in kwargs:
        return f"{kwargs['column']} {record[kwargs['column']]!r} is not in the vocabulary", None
    if frame == "request_completeness":
        return f"{record['found_cells']} of the {record['expected_cells']} cells of the {record['template']} template", None
    column = kwargs.get("column", "value")
    where = ", ".join(f"{k}={record[k]}" for k in record if k not in ("doc_id", column))
    return f"{column} {record[column]} out of range ({where})", None


class SuiteRunner:
    """Loads the suites once; ``run`` validates one partition's tables with one GX call per suite."""

    def __init__(self, directory: Path | None = None, scope: str = PARTITION):
        self.suites = load_suites(directory, scope)
        self.scope = scope
        self.default = directory is None  # the suites in expectations/: a warm process has them too

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables its suites read (and ``reports``, which names each report's file), in
        ``vocabulary.PARTITIONED_TABLES`` order: a validation needs no others."""
        read = {v.TABLE_REPORTS} | {name for suite in self.suites for name in FRAMES[suite.frame].tables}
        return tuple(name for name in v.PARTITIONED_TABLES if name in read)

    def run(self, tables: Tables) -> list[SuiteResult]:
        return self.submit(lambda: tables)()

    def submit(self, tables: Callable[[], Tables]) -> Callable[[], list[SuiteResult]]:
        """``run`` started: on the GX process when one serves (the caller goes on while it
        validates), else here when the returned function is called (once).  ``tables`` makes the
        frames: they are handed over and dropped, and made again only if the process died."""
        if self.default and gx_process.active():
            with contextlib.suppress(gx_process.Unavailable):
                reply = gx_process.submit(self.scope, tables())

                def results() -> list[SuiteResult]:
                    with contextlib.suppress(gx_process.Unavailable):  # it died (out of memory?)
                        return reply()
                    return self._run_here(tables())

                return results
        return lambda: self._run_here(tables())

    def _run_here(self, tables: Tables) -> list[SuiteResult]:
        sources = dict(
            tables[v.TABLE_REPORTS].select("doc_id", "source_file").iter_rows()
        ) if v.TABLE_REPORTS in tables else {}
        # One frame at a time, turned into pandas once for all its suites (only the columns they
        # name) and dropped after them: the peak is one frame, not all of them in both libraries --
        # and of a frame longer than VALIDATION_CHUNK_ROWS, one chunk of its rows at a time.
        by_frame: dict[str, list[int]] = {}
        for i, suite in enumerate(self.suites):
            by_frame.setdefault(suite.frame, []).append(i)
        results: dict[int, SuiteResult] = {}
        for name, indices in by_frame.items():
            frame = FRAMES[name](tables).collect()
            used = _columns_named([self.suites[i].body for i in indices], frame.columns)
            found: dict[int, list[tuple[int, Finding]]] = {i: [] for i in indices}
            success = dict.fromkeys(indices, True)
            for start in range(0, frame.height, VALIDATION_CHUNK_ROWS):
                pdf = frame.slice(start, VALIDATION_CHUNK_ROWS).select(used).to_pandas()
                for i in indices:
                    ok, chunk_found = self._validate(self.suites[i], frame, start, pdf, sources)
                    success[i] = success[i] and ok
                    found[i] += chunk_found
                del pdf
            by_doc = dict(frame.group_by("doc_id").len().iter_rows()) if frame.height else {}
            for i in indices:
                suite = self.suites[i]
                # Each expectation's findings in row order, as one validation of the whole frame lists them.
                findings = tuple(f for _, f in sorted(found[i], key=lambda t: (t[1].expectation, t[0])))
                results[i] = SuiteResult(
                    suite.name, suite.table, suite.severity, success[i], frame.height, findings, by_doc
                )
            del frame
        return [results[i] for i in range(len(self.suites))]

    @staticmethod
    def _validate(
        suite: Suite, frame: pl.DataFrame, start: int, pdf, sources: dict[str, str]
    ) -> tuple[bool, list[tuple[int, Finding]]]:
        """The suite over ``pdf``, rows ``start..`` of ``frame``: its success and each finding with
        its row in ``frame``."""
        gx, _ = _gx()
        batch = _batch_definition(suite.frame).get_batch(batch_parameters={"dataframe": pdf})
        outcome = batch.validate(gx.ExpectationSuite(**suite.body), result_format={"result_format": "COMPLETE"})
        findings = []
        for e, (result, expectation) in enumerate(zip(outcome.results, suite.body["expectations"])):
            if result.success:
                continue
            for index in result.result.get("unexpected_index_list") or []:
                row = start + int(index)
                record = frame.row(row, named=True)
                detail, deviation = _detail(suite.frame, record, expectation)
                check = suite.check or record.get("identity") or suite.name
                findings.append((row, Finding(
                    doc_id=record["doc_id"],
                    source_file=sources.get(record["doc_id"]),
                    check=check,
                    severity=v.SEVERITY_ERROR if suite.severity == ERROR else v.SEVERITY_WARNING,
                    table=suite.table,
                    row_key=record.get(_ROW_COLUMN[suite.frame]),
                    detail=detail,
                    deviation=deviation,
                    related_doc_id=record.get("previous_doc_id"),
                    expectation=e,
                )))
        return outcome.success, findings


def _columns_named(bodies: Iterable[dict], columns: Sequence[str]) -> list[str]:
    """The ``columns`` some expectation of these suites names (as a column, a pair, a row condition:
    any string in its kwargs that is a column name), in frame order."""
    named: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            named.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    for body in bodies:
        for expectation in body["expectations"]:
            walk(expectation["kwargs"])
    return [c for c in columns if c in named]


def warm_up() -> None:
    """GX imported and the default suites loaded (``gx_process``)."""
    _gx()
    for scope in (PARTITION, WAREHOUSE):
        default_runner(scope)


@functools.cache
def default_runner(scope: str = PARTITION) -> SuiteRunner:
    """One runner per process and scope over the suites in expectations/; GX is imported on its
    first validation, once."""
    return SuiteRunner(scope=scope)


def cross_year_table(results: Iterable[SuiteResult]) -> pa.Table:
    """Findings of the warehouse-wide suites as ``cross_year_issues`` rows, both reports named."""
    rows = sorted(
        (
            {"doc_id": f.doc_id, "previous_doc_id": f.related_doc_id, "check": f.check, "severity": f.severity,
             "row_key": f.row_key, "detail": f.detail}
            for r in results
            for f in r.findings
        ),
        key=lambda row: (row["doc_id"], row["check"], row["row_key"] or ""),
    )
    return pa.Table.from_pylist(rows, schema=SCHEMAS[v.TABLE_CROSS_YEAR_ISSUES])


def check_metadata(result: SuiteResult, limit: int = 20) -> dict:
    """What a user needs to act on a failed check: which reports, which files, which identity, by how much."""
    reports = result.failed_reports
    files = sorted({f.source_file for f in result.findings if f.source_file})
    checks = sorted({f.check for f in result.findings})
    worst = max((abs(f.deviation) for f in result.findings if f.deviation is not None), default=None)
    meta: dict = {
        "rows_checked": result.rows_checked,
        "failed_rows": len(result.findings),
        "failed_reports": len(reports),
        "doc_ids": ", ".join(reports[:limit]) or "-",
        "source_files": ", ".join(files[:limit]) or "-",
        "checks": ", ".join(checks) or "-",
    }
    if worst is not None:
        meta["largest_deviation"] = worst
    if result.findings:
        meta["examples"] = "\n".join(f"{f.source_file or f.doc_id[:12]}: {f.check} {f.detail}" for f in result.findings[:limit])
    return meta


def finding_issue(f: Finding) -> QualityIssue:
    """A finding as its report's quality issue."""
    return QualityIssue(f.check, f.severity, f.table, f.row_key, f.detail)


def validate_reports(reports: Sequence[ParsedReport], runner: SuiteRunner) -> tuple[list[ParsedReport], list[SuiteResult]]:
    """Run every suite over these reports at once; each finding joins its report's issues, so the
    ``reports`` status and counts and the ``quality_issues`` table include what GX found."""
    if not reports:
        return [], []
    tables = {name: polars_frame(table) for name, table in report_tables(reports).items()}
    results = runner.run(tables)
    found: dict[str, list[QualityIssue]] = defaultdict(list)
    for result in results:
        for f in result.findings:
            found[f.doc_id].append(finding_issue(f))
    return [replace(r, issues=r.issues + tuple(found[r.doc_id])) if r.doc_id in found else r for r in reports], results


def validate_tables(tables: dict[str, pa.Table], runner: SuiteRunner) -> tuple[dict[str, pa.Table], list[SuiteResult]]:
    """``validate_reports`` for reports already in table form (``frames.tables_from_columns``): the
    findings are appended to ``quality_issues`` (after each report's own issues, in suite order) and
    the ``reports`` rows' counts and status are updated."""
    return start_validation(tables, runner)()


def start_validation(
    tables: dict[str, pa.Table], runner: SuiteRunner
) -> Callable[[], tuple[dict[str, pa.Table], list[SuiteResult]]]:
    """``validate_tables`` started (``SuiteRunner.submit``): the returned function, called once,
    gives its result."""
    if tables[v.TABLE_REPORTS].num_rows == 0:
        return lambda: (tables, [])
    # Only the tables the suites read become polars frames, and only while they are handed over.
    results = runner.submit(lambda: {name: polars_frame(tables[name]) for name in runner.tables})
    return lambda: _with_findings(tables, results())


def _with_findings(tables: dict[str, pa.Table], results: list[SuiteResult]) -> tuple[dict[str, pa.Table], list[SuiteResult]]:
    rows = [{"doc_id": f.doc_id, **finding_issue(f).__dict__} for r in results for f in r.findings]
    if not rows:
        return tables, results
    issues_schema = SCHEMAS[v.TABLE_QUALITY_ISSUES]
    found = polars_frame(pa.Table.from_pylist(rows, schema=issues_schema))
    own_issues, own_reports = polars_frame(tables[v.TABLE_QUALITY_ISSUES]), polars_frame(tables[v.TABLE_REPORTS])
    issues = pl.concat([own_issues, found]).sort("doc_id", maintain_order=True)
    is_error = pl.col("severity") == v.SEVERITY_ERROR
    counts = found.group_by("doc_id").agg(is_error.sum().alias("found_errors"), (~is_error).sum().alias("found_warnings"))
    reports = (
        own_reports
        .join(counts, on="doc_id", how="left", maintain_order="left")
        .with_columns(
            error_count=pl.col("error_count") + pl.col("found_errors").fill_null(0),
            warning_count=pl.col("warning_count") + pl.col("found_warnings").fill_null(0),
        )
        .with_columns(status=pl.when(pl.col("error_count") > 0).then(pl.lit(v.STATUS_FLAGGED)).otherwise(pl.lit(v.STATUS_OK)))
        .select(own_reports.columns)
    )
    updated = {
        v.TABLE_REPORTS: reports.to_arrow().cast(SCHEMAS[v.TABLE_REPORTS]),
        v.TABLE_QUALITY_ISSUES: issues.to_arrow().cast(issues_schema),
    }
    return {**tables, **updated}, results
