"""Deletion needs evidence: which catalogued raw files are deleted, which are only out of sight, and
whether a run may remove that much.

A catalogued file missing from the new listing (``raw_listing.list_raw``) is

* *unreadable* when a listing error covers it (its directory could not be opened, or the entry itself
  failed): its catalog row and facts are kept, exactly as before;
* *deleted* otherwise: its facts go.

Deleting is still refused when it looks like an accident rather than an edit: more than
``MAX_REMOVED_SHARE`` of the catalogued reports, or every report of a year (a year directory moved
or unmounted).  ``check_removals`` then raises ``RemovalsRefused`` with a message saying what would go
and why, before anything is written; an operator who meant it confirms (``allow=True``, the CLI's
``--allow-removals``).

Pure: catalog and listing in, a plan out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from .raw_listing import ListingError, RawListing
from .warehouse import ROLE_REPORT

# A run may delete up to this share of the catalogued reports without confirmation.
MAX_REMOVED_SHARE = 0.10
_SHOWN = 10  # file names a message lists before "and N more"


class RemovalsRefused(RuntimeError):
    """A run would remove more catalogued reports than it may without confirmation."""


@dataclass(frozen=True)
class RemovalPlan:
    deleted: tuple[str, ...]  # catalogued source_files gone from a listing that could see them
    unreadable: tuple[str, ...]  # catalogued source_files a listing error hides: keep their rows
    reports_before: int  # catalogued reports (role 'report')
    reports_deleted: int  # of those, deleted
    emptied_years: tuple[int, ...]  # years that had reports and would have none left
    errors: tuple[ListingError, ...]  # the listing's errors
    max_share: float = MAX_REMOVED_SHARE

    @property
    def share(self) -> float:
        return self.reports_deleted / self.reports_before if self.reports_before else 0.0

    @property
    def needs_confirmation(self) -> bool:
        return self.share > self.max_share or bool(self.emptied_years)

    def summary(self) -> str:
        """What the plan does, one line (for the run's log)."""
        return (f"{len(self.deleted)} catalogued files deleted from the raw directory "
                f"({self.reports_deleted} of {self.reports_before} reports); {len(self.unreadable)} kept "
                f"as they were because {len(self.errors)} parts of the raw directory could not be read")

    def message(self, confirm: str = "run again with --allow-removals") -> str:
        """Why the plan needs confirmation, what would go, and how to confirm."""
        why = []
        if self.share > self.max_share:
            why.append(f"{self.share:.1%} of the catalogued reports, over the {self.max_share:.0%} limit")
        if self.emptied_years:
            why.append("every report of " + ", ".join(map(str, self.emptied_years)))
        lines = [f"refusing to remove {self.reports_deleted} of {self.reports_before} catalogued reports "
                 f"({'; '.join(why) or 'within the limits'}): nothing was written.",
                 "Missing from the raw directory: " + _some(self.deleted)]
        if self.unreadable:
            lines.append(f"{len(self.unreadable)} more catalogued files lie in parts that could not be read "
                         "and are kept: " + _some([f"{e.source_file or '.'} ({e.error})" for e in self.errors]))
        lines.append(f"If the raw directory is mounted and complete and these files were removed on purpose, "
                     f"{confirm}.")
        return "\n".join(lines)


def _some(names) -> str:
    names = list(names)
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def plan_removals(catalog_before: pa.Table | None, listing: RawListing,
                  max_share: float = MAX_REMOVED_SHARE) -> RemovalPlan:
    """Compare the previous catalog (``warehouse.CATALOG_SCHEMA``; None before the first run) with a new
    listing: which catalogued files are deleted, which unreadable."""
    if catalog_before is None or catalog_before.num_rows == 0:
        return RemovalPlan((), (), 0, 0, (), tuple(listing.errors), max_share)
    rows = catalog_before.select(["source_file", "role", "year"]).to_pylist()
    present = set(listing.files)
    deleted: list[str] = []
    unreadable: list[str] = []
    for row in rows:
        name = row["source_file"]
        if name in present:
            continue
        if any(error.covers(name) for error in listing.errors):
            unreadable.append(name)
        else:
            deleted.append(name)
    gone = set(deleted)
    reports = [(row["source_file"], row["year"]) for row in rows if row["role"] == ROLE_REPORT]
    per_year = Counter(year for _, year in reports)
    deleted_per_year = Counter(year for name, year in reports if name in gone)
    emptied = tuple(sorted(y for y, n in deleted_per_year.items() if y is not None and n == per_year[y]))
    return RemovalPlan(tuple(sorted(deleted)), tuple(sorted(unreadable)), len(reports),
                       sum(deleted_per_year.values()), emptied, tuple(listing.errors), max_share)


def check_removals(plan: RemovalPlan, allow: bool = False, confirm: str = "run again with --allow-removals") -> None:
    """Raise ``RemovalsRefused`` (with ``plan.message``) when the plan needs a confirmation not given."""
    if plan.needs_confirmation and not allow:
        raise RemovalsRefused(plan.message(confirm))


def kept_rows(catalog_before: pa.Table, plan: RemovalPlan) -> pa.Table:
    """The previous catalog's rows of the unreadable files: the new catalog carries them unchanged."""
    if not plan.unreadable:
        return catalog_before.slice(0, 0)
    mask = pc.is_in(catalog_before.column("source_file"), value_set=pa.array(plan.unreadable, pa.string()))
    return catalog_before.filter(mask)
