"""notebooks/explore.ipynb runs headless against a real warehouse and answers its questions.

The warehouse is built once per module from the bundled sample reports (``gi-pipeline run``); the
notebook is executed with nbclient in a python3 kernel of this interpreter (ipykernel installed in
the same venv: jupyter_client starts the venv's kernelspec with ``sys.executable``), and the tests
read the answers back from the executed cells' outputs (cells are found by their tag).
"""

from __future__ import annotations

import io
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import polars as pl
import pytest
from nbclient import NotebookClient

from assets import cli
from gi_pipeline.warehouse import scan

pytestmark = pytest.mark.slow  # a Jupyter kernel and a pipeline run

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "explore.ipynb"
CELL_TIMEOUT_S = 180  # per cell; the whole notebook takes a few seconds
KERNEL_STARTUP_TIMEOUT_S = 120
IDENTITY_VIOLATION_FILE = "synthetic_05_pipe_utf-8_identity_violation.txt"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


class _TableParser(HTMLParser):
    """Rows of every <table> in an HTML fragment: header row, then body rows (cell texts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, list[list[str]]]] = []
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "table":
            self.tables.append({"thead": [], "tbody": []})
        elif tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables and self._section:
            self.tables[-1][self._section].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def polars_table(cell) -> list[dict[str, str]]:
    """The polars DataFrame a cell displayed (its HTML repr) as dicts of cell texts.

    Polars' HTML has the column names and then the dtypes in <thead>, strings in double quotes.
    """
    htmls = [o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
    assert len(htmls) == 1, f"cell {cell.id}: expected one HTML table output, got {len(htmls)}"
    parser = _TableParser()
    parser.feed(htmls[0])
    assert len(parser.tables) == 1
    header = parser.tables[0]["thead"][0]
    return [
        {col: value.removeprefix('"').removesuffix('"') for col, value in zip(header, row, strict=True)}
        for row in parser.tables[0]["tbody"]
    ]


def stream_text(cell) -> str:
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream")


def cell_by_tag(nb, tag: str):
    found = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(found) == 1, f"expected one cell tagged {tag!r}, found {len(found)}"
    return found[0]


def execute_notebook(warehouse: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch):
    """Run the notebook (from notebooks/, as a user would) with GI_WAREHOUSE=warehouse; return it.

    A last cell is appended to report the kernel's interpreter.
    """
    nb = nbformat.read(NOTEBOOK, as_version=4)
    probe = nbformat.v4.new_code_cell("import sys\nprint(sys.executable, end='')", metadata={"tags": ["probe"]})
    nb.cells.append(probe)
    # Keep Jupyter/IPython state out of $HOME; the connection file is written by this process.
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(scratch / "jupyter-runtime"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    env = {
        **os.environ,
        "GI_WAREHOUSE": str(warehouse),
        "IPYTHONDIR": str(scratch / "ipython"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": str(scratch / "matplotlib"),
    }
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        startup_timeout=KERNEL_STARTUP_TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute(env=env)  # raises CellExecutionError if any cell fails
    assert stream_text(cell_by_tag(nb, "probe")) == sys.executable, "the kernel is not this venv's python"
    return nb


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("notebook") / "warehouse"
    out = io.StringIO()
    assert cli.run(None, root, None, out=out, ephemeral=True) == 0, out.getvalue()  # in memory: fastest
    return root


@pytest.fixture(scope="module")
def executed(warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        return execute_notebook(warehouse, tmp_path_factory.mktemp("nb-scratch"), mp)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_committed_notebook_is_valid_and_has_no_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_notebook_reads_the_warehouse(executed, warehouse: Path) -> None:
    setup = stream_text(cell_by_tag(executed, "setup"))
    assert f"warehouse {warehouse.resolve()}: 11 reports, years 2020-2025, 9 provinces" in setup
    # DuckDB (hive types pinned) sees the same reports per year as polars.
    by_year = {row["year"]: int(row["reports"]) for row in polars_table(cell_by_tag(executed, "duckdb-setup"))}
    expected = scan("reports", warehouse).group_by("year").len().collect()
    assert by_year == {str(y): n for y, n in expected.iter_rows()}


def test_requests_per_province_and_year(executed) -> None:
    rows = {row["province"]: row for row in polars_table(cell_by_tag(executed, "requests-per-province"))}
    assert len(rows) == 9
    # Seed 004 (包头市昆都仑区, 2024): 109 new requests; synthetic Shanghai 2022: 386; seed 000 (宁夏 2024): 0.
    assert rows["内蒙古自治区"]["2024"] == "109"
    assert rows["内蒙古自治区"]["region"] == "150000"
    assert rows["内蒙古自治区"]["2023"] == "null"
    assert rows["上海市"]["2022"] == "386"
    assert rows["宁夏回族自治区"]["2024"] == "0"
    assert rows["宁夏回族自治区"]["reports"] == "3"
    assert list(rows["上海市"])[-6:] == [str(y) for y in range(2020, 2026)]
    agreement = stream_text(cell_by_tag(executed, "duckdb-check"))
    assert "DuckDB agrees with polars on 10 (province, year) cells" in agreement


def test_granted_and_withheld_shares(executed, warehouse: Path) -> None:
    cell = cell_by_tag(executed, "outcome-shares")
    shown = {row["outcome"]: row for row in polars_table(cell)}
    # Recompute from the warehouse with polars, independently of the notebook's SQL.
    totals = scan("requests", warehouse).filter(pl.col("applicant") == "total").collect()
    handled = totals.filter(pl.col("row_key") == "results_total", pl.col("value").is_not_null())
    denominator = int(handled["value"].sum())
    assert denominator == 610
    keys = sorted(
        k for k in totals["row_key"].unique() if k in ("granted", "partially_granted") or k.startswith("withheld_")
    )
    handled_docs = handled["doc_id"].to_list()
    assert sorted(shown) == keys
    for key in keys:
        requests = int(totals.filter(pl.col("row_key") == key, pl.col("doc_id").is_in(handled_docs))["value"].sum())
        assert int(shown[key]["requests"]) == requests, key
        assert float(shown[key]["share_pct"]) == pytest.approx(100 * requests / denominator, abs=0.005), key
        assert shown[key]["kind"] == ("withheld" if key.startswith("withheld_") else "granted")
    assert shown["granted"]["requests"] == "196"
    assert shown["withheld_process_info"]["share_pct"] == "8.36"
    text = stream_text(cell)
    assert "granted: 197 of 610 requests handled (32.30 %)" in text
    assert "withheld: 81 of 610 requests handled (13.28 %)" in text
    plot = cell_by_tag(executed, "outcome-plot")
    assert [o for o in plot.outputs if "image/png" in o.get("data", {})], "no plot"


def test_identity_failures_name_the_report(executed) -> None:
    rows = polars_table(cell_by_tag(executed, "identity-failures"))
    assert len(rows) == 1
    (row,) = rows
    assert row["source_file"] == IDENTITY_VIOLATION_FILE
    assert row["agency"] == "景德镇市水利局"
    assert (row["year"], row["region"], row["province"]) == ("2025", "360000", "江西省")
    assert int(row["failures"]) == 3
    assert row["checks"].split(", ") == [
        "identity_requests_balance",
        "identity_requests_results_total",
        "identity_requests_row_total",
    ]


def test_check_a_number_goes_from_the_fact_row_to_its_printed_line(executed, warehouse: Path) -> None:
    lines = stream_text(cell_by_tag(executed, "check-number")).splitlines()
    facts = (
        scan("requests", warehouse)
        .filter(pl.col("row_key") == "new_received", pl.col("applicant") == "total", pl.col("value") > 0)
        .join(scan("reports", warehouse).select("doc_id", "year", "region", "source_file"), on=["doc_id", "year", "region"])
        .sort("source_file")
        .collect()
    )
    fact = facts.row(0, named=True)
    assert fact["raw"] is not None
    assert lines[0] == f"{fact['source_file']}: requests new_received/total = {fact['value']}, printed as {fact['raw']!r}"
    assert lines[1] == f"chars {fact['char_start']}-{fact['char_end']} of the normalized text, in its line:"
    printed = lines[2]
    assert "本年新收政府信息公开申请数量" in printed  # the row's label, as the warehouse's text holds it
    assert f"[{fact['raw']}]" in printed  # and the cell itself, marked in that line
    assert re.findall(r"\d+", fact["raw"]) == [str(fact["value"])]
    assert lines[-1].endswith(f"{fact['source_file']} -o page.html")


def test_empty_warehouse_gives_a_message_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no-warehouse-here"
    nb = execute_notebook(empty, tmp_path, monkeypatch)
    assert f"No reports in {empty.resolve()}." in stream_text(cell_by_tag(nb, "setup"))
    answers = ["duckdb-setup", "requests-per-province", "duckdb-check"]
    answers += ["outcome-shares", "outcome-plot", "identity-failures", "check-number"]
    for tag in answers:
        cell = cell_by_tag(nb, tag)
        assert stream_text(cell).strip() == "(nothing to show: the warehouse has no reports)", tag
        assert not [o for o in cell.outputs if o["output_type"] == "error"]
