"""The benchmark report's arithmetic: the scaling fit, the step test and the targets it derives
(the figures benchmarks/README.md publishes come from these functions)."""

from __future__ import annotations

import pytest

from benchmarks.run import TARGETS, scaling, targets


def _run(n: int, wall_s: float, library_s: float, cpu_s: float, rss_mb: float) -> dict:
    return {
        "n": n, "status": "measured", "wall_s": wall_s, "library_only_wall_s": library_s,
        "e2e_vs_library": round(wall_s / library_s, 1), "cpu_user_s": cpu_s, "cpu_system_s": 0.0,
        "peak_rss_mb": rss_mb,
    }


# wall = 20 s + 2 ms x N exactly; the library costs 1.6 ms a report; CPU grows faster in the second step.
RUNS = [
    _run(1250, 22.5, 2.0, 30.0, 700.0),
    _run(2500, 25.0, 4.0, 33.0, 800.0),
    _run(5000, 30.0, 8.0, 42.0, 1000.0),
]


def test_scaling_fits_the_line_and_steps() -> None:
    fit = scaling(RUNS)
    assert fit["fixed_s"] == pytest.approx(20.0)
    assert fit["marginal_ms_per_report"] == pytest.approx(2.0)
    assert fit["r_squared"] == pytest.approx(1.0)
    assert fit["marginal_growth"] == pytest.approx(1.0)  # a straight line: the steps cost alike
    assert fit["cpu_marginal_ms_per_report_first_step"] == pytest.approx(2.4)
    assert fit["cpu_marginal_ms_per_report_second_step"] == pytest.approx(3.6)
    assert fit["cpu_marginal_growth"] == pytest.approx(1.5)
    # RSS = 600 MB + 80 MB per 1,000 reports.
    assert fit["peak_rss_fit_mb"] == {"fixed": pytest.approx(600.0), "per_1000_reports": pytest.approx(80.0)}
    assert fit["peak_rss_mb_projected_at_20000"] == pytest.approx(2200.0)


def test_targets_give_the_ratio_and_what_it_tends_to() -> None:
    e2e = {"runs": RUNS, "scaling": scaling(RUNS)}
    result = targets({}, e2e, 5000)
    ratio = result["e2e_vs_library"]
    assert ratio["value"] == pytest.approx(3.8)  # 30 s / 8 s
    assert ratio["met"] is (TARGETS["e2e_vs_library_max"] >= 3.8)
    # 2 ms a report against the library's 1.6 ms: the ratio tends to 1.25x as N grows.
    assert ratio["marginal_vs_library"] == pytest.approx(1.25)
    assert ratio["fixed_s"] == pytest.approx(20.0)
    assert result["cost_linear_in_n"]["met"] is True
    # No run at 20,000 here: the peak RSS is projected from the fit, and said so.
    assert result["peak_rss_mb_at_20000"]["how"].startswith("projected")


def test_real_pdf_target_is_the_worst_files_ratio() -> None:
    from benchmarks.run import real_pdf_target

    files = [
        {"file": "a.pdf", "reader_vs_floor": 2.5, "reader_vs_floor_cpu": 2.9, "reader_ms": 25.0, "floor_ms": 10.0},
        {"file": "b.pdf", "reader_vs_floor": 3.5, "reader_vs_floor_cpu": 2.2, "reader_ms": 35.0, "floor_ms": 10.0},
    ]
    result = targets({}, None, 5000, {"files": files})["pdf_reader_vs_pdfium_text"]
    assert (result["value"], result["cpu_value"], result["worst_file"]) == (3.5, 2.9, "b.pdf")
    assert result["met"] is (TARGETS["pdf_reader_vs_pdfium_text_max"] >= 3.5)
    assert real_pdf_target({"files": files[:1]})["met"] is True
    assert real_pdf_target({"files": []})["value"] is None
