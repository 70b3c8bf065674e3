"""The report years the pipeline accepts: the one definition (partitions, inventory, CLI use it)."""

from __future__ import annotations

import datetime

from .vocabulary import FIRST_REPORT_YEAR


def report_years(current_year: int | None = None) -> tuple[int, ...]:
    """Report years, from the Regulations' first (2008) to `current_year` (default: this year by the
    clock at run time, so a report of the year just ended has a partition without a code change;
    tests pass a year to pin the range)."""
    last = datetime.date.today().year if current_year is None else current_year
    return tuple(range(FIRST_REPORT_YEAR, last + 1))


YEARS: tuple[int, ...] = report_years()
