"""The report years the pipeline accepts: the one definition (partitions, inventory, CLI use it)."""

from __future__ import annotations

FIRST_YEAR = 2019  # 国办公开办函〔2019〕60号: the first national template
LAST_YEAR = 2025
YEARS: tuple[int, ...] = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
