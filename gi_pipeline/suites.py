"""The Great Expectations suites, generated from the canonical vocabulary.

The JSON files under ``expectations/`` are what GX loads and what reviewers read; this module is how
they are written (``python -m gi_pipeline.suites``), so value sets never drift from the vocabulary.
A test checks the committed files equal what this module generates.

Each suite's ``meta.gi_pipeline`` says which frame it validates (``gi_pipeline.quality.FRAMES``), which
table its findings are about, its severity (ERROR: structural; WARN: the source report is inconsistent)
and the ``quality_issues.check`` name of its findings (identity findings take the identity's name).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import identities as ids
from . import vocabulary as v

ERROR = "ERROR"
WARN = "WARN"
# Where a suite runs: on each (year, region) partition, or once over the whole warehouse.
PARTITION = "partition"
WAREHOUSE = "warehouse"


def _expectation(kind: str, meta_note: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"notes": meta_note}}


def _suite(
    name: str,
    frame: str,
    table: str,
    severity: str,
    check: str | None,
    expectations: list[dict],
    scope: str = PARTITION,
) -> dict:
    meta = {"frame": frame, "table": table, "severity": severity, "check": check, "scope": scope}
    return {"name": name, "expectations": expectations, "meta": {"gi_pipeline": meta}}


def _nonnegative(note: str, **condition) -> dict:
    return _expectation("expect_column_values_to_be_between", note, column="value", min_value=0, **condition)


def _metric_is_not(metric: str) -> dict:
    """GX Core 1.x row condition (the serialized form of ``Column("metric") != metric``)."""
    return {"type": "comparison", "column": {"name": "metric"}, "operator": "!=", "parameter": metric}


def _in_set(column: str, values) -> dict:
    return _expectation(
        "expect_column_values_to_be_in_set", f"{column} from the canonical vocabulary", column=column,
        value_set=sorted(values),
    )


def _lhs_equals_rhs(note: str) -> dict:
    return _expectation(
        "expect_column_pair_values_to_be_equal", note, column_A="lhs", column_B="rhs",
        ignore_row_if="either_value_is_missing",
    )


def build_suites() -> dict[str, dict]:
    metrics = {m for item in v.DISCLOSURE_ITEMS for ms in item.metrics.values() for m in ms}
    suites = [
        _suite(
            "requests_nonnegative", "requests", v.TABLE_REQUESTS, ERROR, v.Check.NONNEGATIVE,
            [_nonnegative("counts of requests are never negative")],
        ),
        _suite(
            "requests_vocabulary", "requests", v.TABLE_REQUESTS, ERROR, v.Check.VOCABULARY,
            [_in_set("row_key", v.REQUEST_ROW_KEYS), _in_set("applicant", v.APPLICANTS)],
        ),
        _suite(
            "requests_completeness", "request_completeness", v.TABLE_REQUESTS, ERROR, v.Check.COMPLETENESS,
            [
                _expectation(
                    "expect_column_pair_values_to_be_equal",
                    "every report with a template has every (row, applicant) cell of its template "
                    "(a row printed in place of its sub-rows holds theirs)",
                    column_A="expected_cells", column_B="found_cells",
                )
            ],
        ),
        _suite(
            "requests_identities", "request_identities", v.TABLE_REQUESTS, WARN, None,
            [
                _in_set("identity", ids.REQUEST_IDENTITIES),
                _lhs_equals_rhs(
                    "per applicant: new_received + carried_over = results_total + carried_forward; "
                    "results_total = sum of result rows; per row: total = sum of the six applicant columns"
                ),
            ],
        ),
        _suite(
            "review_litigation_nonnegative", "review_litigation", v.TABLE_REVIEW_LITIGATION, ERROR, v.Check.NONNEGATIVE,
            [_nonnegative("counts of cases are never negative")],
        ),
        _suite(
            "review_litigation_vocabulary", "review_litigation", v.TABLE_REVIEW_LITIGATION, ERROR, v.Check.VOCABULARY,
            [_in_set("proceeding", v.PROCEEDINGS), _in_set("outcome", v.OUTCOMES)],
        ),
        _suite(
            "review_litigation_identities", "review_identities", v.TABLE_REVIEW_LITIGATION, WARN, None,
            [
                _in_set("identity", ids.REVIEW_IDENTITIES),
                _lhs_equals_rhs("per proceeding: total = upheld + corrected + other + pending"),
            ],
        ),
        _suite(
            "active_disclosure_nonnegative", "active_disclosure", v.TABLE_ACTIVE_DISCLOSURE, ERROR, v.Check.NONNEGATIVE,
            [
                _nonnegative(
                    "counts and money are never negative; the 2019 template's 本年增/减 (change) may be",
                    row_condition=_metric_is_not(*v.SIGNED_METRICS),
                )
            ],
        ),
        _suite(
            "active_disclosure_vocabulary", "active_disclosure", v.TABLE_ACTIVE_DISCLOSURE, ERROR, v.Check.VOCABULARY,
            [_in_set("item", v.DISCLOSURE_ITEM_BY_KEY), _in_set("metric", metrics)],
        ),
        _suite(
            "cross_year_identities", "cross_year_identities", v.TABLE_CROSS_YEAR_ISSUES, WARN, None,
            [
                _in_set("identity", ids.CROSS_YEAR_IDENTITIES),
                _lhs_equals_rhs(
                    "same agency and place, consecutive years: carried_over(t) = carried_forward(t-1); "
                    "in_force(t) = in_force(t-1) + issued(t) - repealed(t)"
                ),
            ],
            scope=WAREHOUSE,
        ),
    ]
    return {suite["name"]: suite for suite in suites}


def default_directory() -> Path:
    """``expectations/`` beside the package in the repository (the project is installed editable)."""
    return Path(__file__).resolve().parent.parent / "expectations"


def write_suites(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, suite in build_suites().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(suite, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else default_directory()
    for path in write_suites(target):
        print(path)
