"""Synthetic annual reports (政府信息公开工作年度报告) with known values.

Test support, not part of the installed package.  Used by the tests (a few hundred reports: the parser
must get every cell of a clean report right and raise the expected checks on every defective one), by
the benchmarks (tens of thousands of reports, fast, deterministic by seed) and nothing else.  Pure: the
same ``ReportSpec`` always gives the same bytes.  One module per concern: ``spec`` (what to generate),
``values``, ``layouts``, ``noise``, ``defects``, ``document`` and ``wording`` (the text around the
tables), ``places``; ``generator`` puts them together.

What a generated file looks like (the parser writer's contract)
---------------------------------------------------------------
* Title line ``{agency}{year}年政府信息公开工作年度报告``; with noise also ``{agency} {year} 年…``,
  ``{agency}`` and ``{year}年政府信息公开工作年度报告`` on two lines, ``{year}年{agency}政府信息…`` and
  ``{agency}{year}年度政府信息…``.  Optional lines around it: a breadcrumb ``当前位置：首页 > … > {year}年度``
  before it, ``发布日期：2025年01月23日`` / ``发布日期：2025-01-23`` (maybe followed by ``来源：…``) after it,
  a preamble citing 国办公开办函〔2021〕30号 (years 2021–2025) or 〔2019〕60号 (2019–2020).
* Six section headings ``一、总体情况`` … ``六、其他需要报告的事项`` at the start of a line (with noise: a
  leading or trailing ``?``, a space after ``、``); prose paragraphs never start with ``一、``…``六、``.
  Section 一 may contain ``（一）主动公开政府信息情况`` as a sub-heading (like seed 000) and the preamble may
  list the section titles in one sentence (like seed 004).
* Tables in sections 二, 三, 四 in one of four layouts:
  - ``pipe``: ``label | 0 | 0 | 0 |`` then ``" " + "|" * n`` padding for merged cells (sometimes absent);
    header rows lose their empty cells (moved to the padding).  A blank cell inside a data row is an
    empty field between two numbers: ``0 |  | 0``.
  - ``tab``: cells joined by ``\\t``, empty leading fields for merged label cells (the number of label
    fields varies from row to row, like seed 003), sometimes a trailing ``\\t``.  A blank cell is an
    empty field between two numbers.  Blank lines may occur inside a table.
  - ``cell_per_line``: one cell per line, each line starting with ``\\t`` (an empty cell is a line holding
    only ``\\t``), rows separated by one blank line, leading ``\\t`` lines for merged label cells (seed 001).
  - ``markdown``: ``| a | b |`` with a fixed column count per table (empty cells ``|  |``), a separator
    line (``|---|---|`` or ``| --- | --- |``) after the first row of a table and after the first row that
    follows a page-break line; sometimes a caption line ``## 表三：…`` right after the section heading.
  Table 三 rows carry their labels in up to three label slots (``三、本年度办理结果`` / ``（一）予以公开``,
  ``（三）不予公开`` / ``1.属于国家秘密``, ``2.其他法律…``); the seven numbers follow the labels in applicant
  order (自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计).  Table 四 is three header rows
  and one row of 15 numbers.  Table 二 is one block per 第二十条 clause (title row, 信息内容 header row,
  item rows); 2021 template items have 1 or 3 numbers, 2019 template items 2 or 3.
* Numbers: ASCII digits; with noise sometimes full-width digits (``１２``) or thousands separators
  (``61,950``; also in fees: ``2,096.132``).  Fees (2021 ``本年收费金额（单位：万元）``) are decimals in 万元.
  The 2019 ``采购总金额`` cell carries its unit (``197.3万``, ``197.3万元`` -> 197.3; ``251000元`` -> 25.1)
  unless the header says ``采购总金额（万元）``; a zero amount never appears without a unit.  The 2019
  ``本年增/减`` (``change``) may be negative, printed ``-12``.
* Page-break lines (noise) match ``^(- ?\\d+ ?-|— ?\\d+ ?—|– ?\\d+ ?–|第 ?\\d+ ?页( ?共 ?\\d+ ?页)?)$`` and
  never start with a tab.  They occur between prose paragraphs, between table rows, inside a
  ``cell_per_line`` row (between two cell lines) and inside a split ``pipe`` row: a table 三 row printed
  as ``label | v1 | … | vk |`` (k < 7), the page-break line, then a continuation line holding only the
  remaining 7 - k numbers (``v(k+1) | … | v7 |`` plus padding) and no label.  A defective row is never
  split, and a continuation line always directly follows (after the page line) the row it continues.
* Traditional reports are OpenCC ``s2t`` conversions; with noise some characters carry a pinyin residue
  everywhere they occur: ``區(qū)``, ``發(fā)``, ``規(guī)``, ``業(yè)`` … (``CJK + "(" + latin-with-tones + ")"``).
* Other noise: labels broken by spaces (``商业 企业``, ``（三）不予 公开``), typos a fuzzy matcher should
  survive (``考研机构``, ``钩稽``, ``属于四类过程信息``, ``（四）无法提取``, ``其它``), half-width or mixed
  punctuation, ``[bookmark: _GoBack]``, lines holding ``?``, ``</span>`` residue in prose, prose lines
  broken mid-sentence, encodings (UTF-8, UTF-8 with BOM, GB18030, UTF-16 with BOM), CRLF line endings.

Defects (``DEFECT_CHECKS`` gives the checks each one must raise; affected cells are expected ``None``):
``missing_cell`` (a table 三 row with 6 numbers), ``extra_cell`` (8 numbers), ``unreadable_cell``
(one digit swapped for a look-alike letter from ``OlZSbBg``: ``1O``, ``l2``, ``O``, ``-l2``; in a count cell
of table 二, 三 or 四), ``dash_cell`` (``—``, ``——``, ``/``, ``／``, ``-``, ``－``, ``无``; same places),
``blank_cell`` (an empty table 三 cell between two numbers, never the first or last column),
``table4_no_numbers`` (table 四 headers only), ``missing_row`` (a table 三 row not printed),
``identity_violation`` (a total off: values still expected as printed; any ``identity*`` check),
``duplicate_row`` (a table 三 row printed twice with different numbers: the row is None),
``amount_unit_unknown`` (2019 procurement amount with no unit in cell or header), ``negative_count``
(a table 三 count printed negative: expected as printed), ``table_missing`` (table 三 or 四 absent, its
section holding one sentence), ``section_missing`` (section 五 or 六 absent).
"""

from .generator import generate, generate_corpus, generate_report
from .places import PLACES, Place
from .spec import DEFECT_CHECKS, DEFECTS, ENCODINGS, LAYOUTS, ReportSpec, SyntheticReport
from .values import identity_errors

__all__ = [
    "DEFECTS",
    "DEFECT_CHECKS",
    "ENCODINGS",
    "LAYOUTS",
    "PLACES",
    "Place",
    "ReportSpec",
    "SyntheticReport",
    "generate",
    "generate_corpus",
    "generate_report",
    "identity_errors",
]
