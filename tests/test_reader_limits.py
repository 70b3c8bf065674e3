"""Reader limits: every depth of HTML is read or quarantined with its reason; a DOCX bomb is refused
within bounded memory (measured in a child process, whose peak RSS is its own)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gi_pipeline import report
from gi_pipeline.readers import docx, html
from gi_pipeline.readers.errors import Unreadable
from gi_pipeline.records import Quarantined

ROOT = Path(__file__).resolve().parents[1]
DEEP_TEXT = "第二部分 深层段落文字"


def _nested_page(path: Path, depth: int, open_tag: str, close_tag: str) -> Path:
    path.write_text(
        "<html><head><title>2023年政府信息公开工作年度报告</title></head><body><p>一、总体情况</p>"
        + open_tag * depth + DEEP_TEXT + close_tag * depth + "<p>结尾段落</p></body></html>",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("depth", [300, 1500, 100_000])
def test_deeply_nested_html_is_read_whole(tmp_path: Path, depth: int) -> None:
    # 300: below libxml2's limit with huge_tree, beyond the default 256; 1500: beyond Python's recursion
    # limit for the walk; 100,000: beyond libxml2's 2048 -- the last two are read flattened.
    page = _nested_page(tmp_path / "deep.html", depth, "<div>", "</div>")
    lines = html.read_html(page.read_bytes()).splitlines()
    assert lines == ["2023年政府信息公开工作年度报告", "一、总体情况", DEEP_TEXT, "结尾段落"]


def test_thousands_of_unclosed_inline_tags_lose_no_text(tmp_path: Path) -> None:
    # What Word-exported pages do: a <font> opened per paragraph and never closed.
    paragraphs = [f"第{i}段文字" for i in range(5000)]
    page = tmp_path / "fonts.html"
    page.write_text("<html><body>" + "".join(f"<p><font size=3>{p}" for p in paragraphs) + "</body></html>",
                    encoding="utf-8")
    assert html.read_html(page.read_bytes()).splitlines() == paragraphs


def test_tables_nested_beyond_every_limit_are_quarantined_with_the_reason(tmp_path: Path) -> None:
    page = _nested_page(tmp_path / "tables.html", 100_000, "<table><tr><td>格</td><td>", "</td></tr></table>")
    with pytest.raises(Unreadable, match="nested too deeply"):
        html.read_html(page.read_bytes())
    outcome = report.parse_report(page.read_bytes(), "tables.html")
    assert isinstance(outcome, Quarantined) and "nested too deeply" in outcome.reason


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx(path: Path, paragraph: bytes, part_bytes: int) -> Path:
    """A DOCX whose document part holds ``part_bytes`` of ``paragraph`` repeated, streamed into the zip
    (so the test itself never holds the part)."""
    chunk = paragraph * (1 << 20 // len(paragraph) + 1)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf,
        zf.open("word/document.xml", "w", force_zip64=True) as part,
    ):
        part.write(f'<?xml version="1.0"?><w:document {_W}><w:body>'.encode())
        for _ in range(part_bytes // len(chunk)):
            part.write(chunk)
        part.write(b"</w:body></w:document>")
    return path


# Peak memory is the child's VmHWM (kB): its own address space's high-water mark. Not ru_maxrss, which
# Linux carries over from the forking parent (a pytest process of 1+ GB after the OCR tests).
_READ_IN_CHILD = """
import json, sys
from gi_pipeline.readers import docx
from gi_pipeline.readers.errors import Unreadable

def hwm_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

raw = open(sys.argv[1], "rb").read()
before = hwm_kb()
try:
    outcome = "read %d chars" % len(docx.read_docx(raw))
except Unreadable as exc:
    outcome = "unreadable: %s" % exc
print(json.dumps({"outcome": outcome, "peak_mb": hwm_kb() / 1024, "before_mb": before / 1024}))
"""


def _read_in_child(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _READ_IN_CHILD, str(path)], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


_EMPTY_PARAGRAPH = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"


def test_docx_bomb_is_refused_within_bounded_memory(tmp_path: Path) -> None:
    # ~190 MB of paragraphs in a file under 1 MB: took the run to 3.55 GB before the limits.
    bomb = _docx(tmp_path / "bomb.docx", _EMPTY_PARAGRAPH, 190 * 2**20)
    assert bomb.stat().st_size < 2**20
    result = _read_in_child(bomb)
    assert result["outcome"].startswith("unreadable: DOCX part word/document.xml is 190 MB uncompressed")
    print(result)
    assert result["peak_mb"] < 1024


def test_docx_under_the_size_limit_with_too_many_tags_is_refused(tmp_path: Path) -> None:
    # 24 MB: under the size limit, but ~4.4 million tags would build a ~350 MB tree.
    bomb = _docx(tmp_path / "tags.docx", _EMPTY_PARAGRAPH, 24 * 2**20)
    result = _read_in_child(bomb)
    assert "XML tags, over the 4,000,000 limit" in result["outcome"]
    print(result)
    assert result["peak_mb"] < 1024


def test_largest_readable_docx_stays_within_a_few_hundred_mb(tmp_path: Path) -> None:
    # Just under the size limit with long paragraphs: read in full.
    paragraph = ("<w:p><w:r><w:t>" + "政府信息公开" * 30 + "</w:t></w:r></w:p>").encode()
    big = _docx(tmp_path / "big.docx", paragraph, docx.MAX_PART_BYTES - 2**20)
    result = _read_in_child(big)
    assert result["outcome"].startswith("read ")
    print(result)
    assert result["peak_mb"] < 1024


@pytest.mark.parametrize("depth", [20, 600, 100_000])
def test_deeply_nested_docx_is_read_or_quarantined_with_the_reason(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "nested.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", f"<w:document {_W}><w:body><w:p><w:r><w:t>head</w:t></w:r></w:p>"
                    + "<w:sdt><w:sdtContent>" * depth + "<w:p><w:r><w:t>deep</w:t></w:r></w:p>"
                    + "</w:sdtContent></w:sdt>" * depth + "<w:p><w:r><w:t>tail</w:t></w:r></w:p></w:body></w:document>")
    if depth == 20:
        assert docx.read_docx(path.read_bytes()) == "head\ndeep\ntail\n"
        return
    with pytest.raises(Unreadable, match="DOCX nested too deeply to read"):
        docx.read_docx(path.read_bytes())
