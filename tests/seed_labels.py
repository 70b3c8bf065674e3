"""Hand labels of the five seed reports, read off the files cell by cell.

Used by the parser tests and by the end-to-end warehouse tests, so both check the same truth.
Only cells that are not zero are listed for table 三; every other cell of the template is 0, except
rows listed in ``null_request_rows`` (all seven cells null).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gi_pipeline import vocabulary as v


@dataclass(frozen=True)
class SeedLabel:
    file: str
    year: int
    template: str
    traditional: bool
    admin_code: str
    province_code: str
    agency: str | None
    disclosure: dict[tuple[str, str], float | None]
    requests_nonzero: dict[str, tuple[int, ...]] = field(default_factory=dict)
    null_request_rows: tuple[str, ...] = ()
    review: tuple[int | None, ...] = (0,) * 15
    # (check, table, row_key) of every error-severity issue the report must carry, and no other.
    errors: frozenset[tuple[str, str, str | None]] = frozenset()

    def requests(self) -> dict[tuple[str, str], int | None]:
        out: dict[tuple[str, str], int | None] = {}
        for row in v.request_rows(self.template):
            values = self.requests_nonzero.get(row, (0,) * 7)
            for applicant, value in zip(v.APPLICANTS, values):
                out[(row, applicant)] = None if row in self.null_request_rows else value
        return out

    def review_cells(self) -> dict[tuple[str, str], int | None]:
        return dict(zip(v.REVIEW_LITIGATION_CELLS, self.review))


def _docs_2021(rules: tuple, normative: tuple) -> dict:
    return {
        **{("rules", m): x for m, x in zip(("issued", "repealed", "in_force"), rules)},
        **{("normative_documents", m): x for m, x in zip(("issued", "repealed", "in_force"), normative)},
    }


def _decisions_2021(licensing: float, penalty: float, coercion: float, fees: float) -> dict:
    return {
        ("administrative_licensing", "decisions"): licensing,
        ("administrative_penalty", "decisions"): penalty,
        ("administrative_coercion", "decisions"): coercion,
        ("administrative_fees", "amount_10k_yuan"): fees,
    }


SEEDS: tuple[SeedLabel, ...] = (
    SeedLabel(
        file="000_086aff29061571b0.txt",
        year=2024,
        template=v.TEMPLATE_2021,
        traditional=False,
        admin_code="640202",  # 石嘴山市大武口区
        province_code="640000",
        agency="大武口区应急管理局",
        disclosure={**_docs_2021((0, 0, 0), (0, 0, 0)), **_decisions_2021(0, 12, 5, 0)},
    ),
    SeedLabel(
        file="001_2db193ee677bda1d.txt",
        year=2021,  # no year in the title: from the overview
        template=v.TEMPLATE_2021,
        traditional=False,
        admin_code="330213",  # 宁波市奉化区, named only in the body
        province_code="330000",
        agency=None,
        disclosure={**_docs_2021((0, 0, 0), (0, 0, 0)), **_decisions_2021(64, 83, 0, 0)},
    ),
    SeedLabel(
        file="002_540522f8d1d44ca2.txt",
        year=2020,
        template=v.TEMPLATE_2019,
        traditional=False,
        admin_code="430703",  # 常德市鼎城区
        province_code="430000",
        agency="鼎城区应急管理局",
        disclosure={
            ("rules", "new_made"): 0,
            ("rules", "new_published"): 0,
            ("rules", "total_published"): 0,
            ("normative_documents", "new_made"): 11,
            ("normative_documents", "new_published"): 11,
            ("normative_documents", "total_published"): 11,
            ("administrative_licensing", "previous_year_items"): 338,
            ("administrative_licensing", "change"): 89,
            ("administrative_licensing", "decisions"): 249,
            ("other_management_services", "previous_year_items"): 0,
            ("other_management_services", "change"): 0,
            ("other_management_services", "decisions"): 0,
            ("administrative_penalty", "previous_year_items"): 134,
            ("administrative_penalty", "change"): 60,
            ("administrative_penalty", "decisions"): 74,
            ("administrative_coercion", "previous_year_items"): 0,
            ("administrative_coercion", "change"): 0,
            ("administrative_coercion", "decisions"): 0,
            ("administrative_fees", "previous_year_items"): 0,
            ("administrative_fees", "change"): 0,
            ("centralized_procurement", "items"): 5,
            ("centralized_procurement", "amount_10k_yuan"): 197.3,  # printed 197.3万
        },
        # (二)部分公开 prints six cells for seven columns: which one is missing is unknowable.
        null_request_rows=("partially_granted",),
        errors=frozenset({(v.Check.CELL_COUNT, v.TABLE_REQUESTS, "partially_granted")}),
    ),
    SeedLabel(
        file="003_68281a0ece325528.txt",
        year=2023,
        template=v.TEMPLATE_2021,
        traditional=False,
        admin_code="640500",  # 中卫市 (prefecture-level agency)
        province_code="640000",
        agency="中卫市应急管理局",
        disclosure={**_docs_2021((0, 0, 0), (0, 0, 0)), **_decisions_2021(4337, 18, 0, 0)},
        review=(None,) * 15,  # table 四 printed with headers and no numbers
        errors=frozenset({(v.Check.TABLE_NO_NUMBERS, v.TABLE_REVIEW_LITIGATION, None)}),
    ),
    SeedLabel(
        file="004_656a75cba6cb305a.txt",
        year=2024,
        template=v.TEMPLATE_2021,
        traditional=True,
        admin_code="150203",  # 包头市昆都仑区
        province_code="150000",
        agency="包头市昆都仑区",
        disclosure={**_docs_2021((0, 0, 0), (4, 1, 8)), **_decisions_2021(61950, 8495, 17, 2096.132)},
        requests_nonzero={
            "new_received": (107, 2, 0, 0, 0, 0, 109),
            "carried_over": (4, 0, 0, 0, 0, 0, 4),
            "granted": (25, 1, 0, 0, 0, 0, 26),
            "withheld_third_party": (5, 0, 0, 0, 0, 0, 5),
            "unable_not_held": (76, 1, 0, 0, 0, 0, 77),
            "unable_unclear": (1, 0, 0, 0, 0, 0, 1),
            "results_total": (107, 2, 0, 0, 0, 0, 109),
            "carried_forward": (4, 0, 0, 0, 0, 0, 4),
        },
        review=(1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1),
    ),
)
