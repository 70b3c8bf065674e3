"""What a synthetic report is asked to be (``ReportSpec``) and what it is (``SyntheticReport``)."""

from __future__ import annotations

from dataclasses import dataclass

from gi_pipeline import vocabulary as V
from gi_pipeline.vocabulary import Check

LAYOUTS: tuple[str, ...] = ("pipe", "tab", "cell_per_line", "markdown")
ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "gb18030", "utf-16")

DEFECT_CHECKS: dict[str, tuple[str, ...]] = {
    "missing_cell": (Check.CELL_COUNT,),
    "extra_cell": (Check.CELL_COUNT,),
    "unreadable_cell": (Check.UNREADABLE_CELL,),
    "dash_cell": (Check.PLACEHOLDER_CELL,),
    "blank_cell": (Check.BLANK_CELL,),
    "table4_no_numbers": (Check.TABLE_NO_NUMBERS,),
    "missing_row": (Check.ROW_MISSING,),
    "identity_violation": (Check.IDENTITY_PREFIX,),
    "duplicate_row": (Check.DUPLICATE_ROW,),
    "amount_unit_unknown": (Check.AMOUNT_UNIT_UNKNOWN,),
    "negative_count": (Check.NONNEGATIVE,),  # raised by the GX suites, not the parser
    "table_missing": (Check.TABLE_MISSING,),
    "section_missing": (Check.SECTION_MISSING,),
}
DEFECTS: tuple[str, ...] = tuple(DEFECT_CHECKS)
_DEFECTS_2019_ONLY = frozenset({"amount_unit_unknown"})


@dataclass(frozen=True)
class ReportSpec:
    """Everything that determines one generated report: the same spec always gives the same bytes.

    ``None`` lets the seed choose.  ``noise=False`` gives a clean, plain report (UTF-8, LF, simplified,
    full-width punctuation, no page breaks, typos or residue) unless a field asks otherwise.
    ``defect`` injects one of ``DEFECTS`` (``amount_unit_unknown`` implies the 2019 template).
    """

    seed: int
    layout: str | None = None
    template: str | None = None
    encoding: str | None = None
    traditional: bool | None = None
    noise: bool = True
    defect: str | None = None

    def __post_init__(self) -> None:
        if self.defect is not None and self.defect not in DEFECT_CHECKS:
            raise ValueError(f"unknown defect {self.defect!r}; known: {', '.join(DEFECTS)}")
        if self.template is not None:
            if self.template not in V.TEMPLATES:
                raise ValueError(f"unknown template {self.template!r}")
            if self.defect in _DEFECTS_2019_ONLY and self.template != V.TEMPLATE_2019:
                raise ValueError(f"defect {self.defect!r} needs the 2019 template")
        if self.layout is not None and self.layout not in LAYOUTS:
            raise ValueError(f"unknown layout {self.layout!r}")
        if self.encoding is not None and self.encoding not in ENCODINGS:
            raise ValueError(f"unknown encoding {self.encoding!r}")


@dataclass(frozen=True)
class SyntheticReport:
    name: str  # e.g. "synth_00042.txt"
    raw: bytes  # the file as it would be downloaded
    year: int
    template: str  # vocabulary.TEMPLATE_2021 / TEMPLATE_2019
    agency: str  # simplified, without pinyin residue
    admin_code: str  # current GB/T 2260 code of the place
    province_code: str
    layout: str  # "pipe" | "tab" | "cell_per_line" | "markdown"
    encoding: str  # "utf-8" | "utf-8-sig" | "gb18030" | "utf-16"
    traditional: bool
    disclosure: dict[tuple[str, str], float | None]  # (item, metric) -> expected value
    requests: dict[tuple[str, str], int | None]  # (row_key, applicant) -> expected value
    review: dict[tuple[str, str], int | None]  # (proceeding, outcome) -> expected value
    defects: tuple[str, ...]  # names of injected defects; () for a clean report
    expected_checks: tuple[str, ...]  # Check names the parser must raise ("identity" = any identity_*)
    published_date: str | None = None  # ISO date of the 发布日期 line, None when not printed
    seed: int = 0

    @property
    def text(self) -> str:
        """The file decoded with its declared encoding (BOM removed)."""
        return self.raw.decode(self.encoding).lstrip("\ufeff")

