"""Frames that put both sides of every accounting identity in columns, for GX to compare.

One row per (report, identity, column): ``lhs`` and ``rhs`` are null when an operand is null (a cell
the parser could not read is already flagged; an identity over it cannot be judged).
"""

from __future__ import annotations

import polars as pl

from . import vocabulary as v

IDENTITY_COLUMNS = ("doc_id", "identity", "column", "lhs", "rhs")
IDENTITY_SCHEMA = {"doc_id": pl.String, "identity": pl.String, "column": pl.String, "lhs": pl.Int64, "rhs": pl.Int64}

REQUESTS_BALANCE = "identity_requests_balance"  # new_received + carried_over = results_total + carried_forward
REQUESTS_RESULTS_TOTAL = "identity_requests_results_total"  # results_total = sum of result rows
REQUESTS_ROW_TOTAL = "identity_requests_row_total"  # total column = sum of the six applicant columns
REVIEW_TOTAL = "identity_review_total"  # total = upheld + corrected + other + pending
REQUEST_IDENTITIES = (REQUESTS_BALANCE, REQUESTS_RESULTS_TOTAL, REQUESTS_ROW_TOTAL)
REVIEW_IDENTITIES = (REVIEW_TOTAL,)


def _sum_or_null(terms: pl.Expr, count: int | None = None) -> pl.Expr:
    """Sum that is null when any term is null or, given ``count``, missing (polars' sum would skip
    them and invent a total)."""
    complete = terms.null_count() == 0
    if count is not None:
        complete = complete & (terms.len() == count)
    return pl.when(complete).then(terms.sum()).otherwise(None)


def _cell(row_key: str) -> pl.Expr:
    return pl.col("value").filter(pl.col("row_key") == row_key).first()


def _shape(frame: pl.LazyFrame, identity: str, column: str) -> pl.LazyFrame:
    return frame.select(
        "doc_id",
        pl.lit(identity).alias("identity"),
        pl.col(column).cast(pl.String).alias("column"),
        pl.col("lhs").cast(pl.Int64),
        pl.col("rhs").cast(pl.Int64),
    )


def request_identities(requests: pl.LazyFrame) -> pl.LazyFrame:
    """Table 三's identities per report: per applicant column, and per row across applicants."""
    by_column = requests.group_by("doc_id", "applicant")
    balance = by_column.agg(
        lhs=_cell("new_received") + _cell("carried_over"),
        rhs=_cell("results_total") + _cell("carried_forward"),
    )
    results = by_column.agg(
        lhs=_cell("results_total"),
        rhs=_sum_or_null(pl.col("value").filter(pl.col("row_key").is_in(v.RESULT_ROW_KEYS))),
    )
    rows = (
        requests.with_columns(part=pl.col("applicant").is_in(v.APPLICANT_PARTS))
        .group_by("doc_id", "row_key")
        .agg(
            lhs=pl.col("value").filter(pl.col("applicant") == v.APPLICANT_TOTAL).first(),
            rhs=_sum_or_null(pl.col("value").filter("part"), len(v.APPLICANT_PARTS)),
        )
    )
    return pl.concat(
        [
            _shape(balance, REQUESTS_BALANCE, "applicant"),
            _shape(results, REQUESTS_RESULTS_TOTAL, "applicant"),
            _shape(rows, REQUESTS_ROW_TOTAL, "row_key"),
        ]
    ).sort("doc_id", "identity", "column")


def review_identities(review: pl.LazyFrame) -> pl.LazyFrame:
    """Table 四's identity per report and proceeding."""
    parts = review.filter(pl.col("outcome").is_in(v.OUTCOME_PARTS))
    totals = review.filter(pl.col("outcome") == v.OUTCOME_TOTAL).select("doc_id", "proceeding", lhs="value")
    sums = parts.group_by("doc_id", "proceeding").agg(rhs=_sum_or_null(pl.col("value"), len(v.OUTCOME_PARTS)))
    joined = totals.join(sums, on=["doc_id", "proceeding"], how="full", coalesce=True)
    return _shape(joined, REVIEW_TOTAL, "proceeding").sort("doc_id", "identity", "column")


def request_completeness(reports: pl.LazyFrame, requests: pl.LazyFrame) -> pl.LazyFrame:
    """Per report with a template: how many (row, applicant) cells the template has and how many of
    them the requests table holds (a merged row, vocabulary.MERGED_ROWS, holds its sub-rows' cells)."""
    expected = pl.DataFrame(
        {
            "template": [t for t in v.TEMPLATES for _ in v.request_rows(t)],
            "row_key": [r for t in v.TEMPLATES for r in v.request_rows(t)],
        }
    ).lazy()
    cells = expected.join(pl.DataFrame({"applicant": list(v.APPLICANTS)}).lazy(), how="cross")
    wanted = reports.filter(pl.col("template").is_not_null()).select("doc_id", "template").join(cells, on="template")
    present = requests.select("doc_id", "row_key", "applicant", present=pl.lit(True))
    # A row printed in place of its sub-rows (a lone 2021 (六)其他处理) stands for them.
    merged = pl.DataFrame(
        {"row_key": list(v.MERGED_ROWS), "part": [list(parts) for parts in v.MERGED_ROWS.values()]}
    ).lazy()
    stand_ins = present.join(merged, on="row_key").explode("part").select(
        "doc_id", pl.col("part").alias("row_key"), "applicant", "present"
    )
    present = pl.concat([present, stand_ins]).unique(["doc_id", "row_key", "applicant"])
    return (
        wanted.join(present, on=["doc_id", "row_key", "applicant"], how="left")
        .group_by("doc_id", "template")
        .agg(expected_cells=pl.len().cast(pl.Int64), found_cells=pl.col("present").sum().cast(pl.Int64))
        .sort("doc_id")
    )


# --------------------------------------------------------------------------------------------
# Across years: the same agency's consecutive reports
# --------------------------------------------------------------------------------------------

CROSS_YEAR_CARRY_OVER = "identity_cross_year_carry_over"  # carried_over(t) = carried_forward(t-1)
CROSS_YEAR_IN_FORCE = "identity_cross_year_in_force"  # in_force(t) = in_force(t-1) + issued(t) - repealed(t)
CROSS_YEAR_IDENTITIES = (CROSS_YEAR_CARRY_OVER, CROSS_YEAR_IN_FORCE)
_PUNCTUATION = r"[\s\p{P}]"


def agency_key() -> pl.Expr:
    """Agencies are matched by name without spaces and punctuation, plus their place code."""
    return pl.col("agency").str.replace_all(_PUNCTUATION, "")


def _one_report_per_agency_year(reports: pl.LazyFrame) -> pl.LazyFrame:
    """Reports that can be paired: agency and place known, and the only report of that agency that year."""
    keyed = reports.filter(pl.col("agency").is_not_null() & pl.col("admin_code").is_not_null()).with_columns(
        agency_key=agency_key()
    )
    return keyed.filter(pl.len().over("agency_key", "admin_code", "year") == 1).select(
        "doc_id", "source_file", "year", "agency_key", "admin_code"
    )


def cross_year_identities(
    reports: pl.LazyFrame, requests: pl.LazyFrame, disclosure: pl.LazyFrame
) -> pl.LazyFrame:
    """Pairs of reports (t-1, t) of one agency and place, with both sides of the cross-year identities.

    Columns: the identity frame's (doc_id is the year-t report) plus previous_doc_id and the two
    source files, so a finding names both reports."""
    keyed = _one_report_per_agency_year(reports)
    pairs = keyed.join(
        keyed.with_columns(pl.col("year") + 1).rename(
            {"doc_id": "previous_doc_id", "source_file": "previous_source_file"}
        ),
        on=["agency_key", "admin_code", "year"],
    ).select("doc_id", "source_file", "previous_doc_id", "previous_source_file")

    def cells(frame: pl.LazyFrame, where: pl.Expr, column: str, name: str) -> pl.LazyFrame:
        return frame.filter(where).select("doc_id", pl.col(column).alias("column"), pl.col("value").alias(name))

    carried_over = cells(requests, pl.col("row_key") == "carried_over", "applicant", "lhs")
    carried_forward = cells(requests, pl.col("row_key") == "carried_forward", "applicant", "rhs")
    carry = (
        pairs.join(carried_over, on="doc_id")
        .join(carried_forward.rename({"doc_id": "previous_doc_id"}), on=["previous_doc_id", "column"])
        .with_columns(identity=pl.lit(CROSS_YEAR_CARRY_OVER))
    )

    documents = disclosure.filter(pl.col("metric").is_in(["issued", "repealed", "in_force"]))
    wide = documents.group_by("doc_id", "item").agg(
        **{m: pl.col("value").filter(pl.col("metric") == m).first() for m in ("issued", "repealed", "in_force")}
    )
    in_force = (
        pairs.join(wide.rename({"item": "column"}), on="doc_id")
        .join(
            wide.select(pl.col("doc_id").alias("previous_doc_id"), pl.col("item").alias("column"), "in_force").rename(
                {"in_force": "previous_in_force"}
            ),
            on=["previous_doc_id", "column"],
        )
        .with_columns(
            identity=pl.lit(CROSS_YEAR_IN_FORCE),
            lhs=pl.col("in_force"),
            rhs=pl.col("previous_in_force") + pl.col("issued") - pl.col("repealed"),
        )
    )
    columns = ["doc_id", "identity", "column", "lhs", "rhs", "previous_doc_id", "source_file", "previous_source_file"]
    return pl.concat(
        [
            frame.select(*columns[:3], pl.col("lhs").cast(pl.Int64), pl.col("rhs").cast(pl.Int64), *columns[5:])
            for frame in (carry, in_force)
        ]
    ).sort("doc_id", "identity", "column")
