"""Arrow schemas of the warehouse tables: the Parquet contract notebooks rely on.

``year`` and ``region`` are hive partition columns (``year=YYYY/region=NNNNNN``): they live in the
directory names, not in the files, and are typed by ``PARTITION_SCHEMA`` on every read and write.
"""

from __future__ import annotations

import pyarrow as pa

from . import vocabulary as v

PARTITION_SCHEMA = pa.schema([("year", pa.int32()), ("region", pa.string())])

# Every fact row's provenance: where its cell is printed (gi_pipeline.provenance).
_PROVENANCE = [("raw", pa.string()), ("char_start", pa.int32()), ("char_end", pa.int32()), ("page", pa.int16())]
PROVENANCE_COLUMNS = frozenset(name for name, _type in _PROVENANCE)

SCHEMAS: dict[str, pa.Schema] = {
    v.TABLE_REPORTS: pa.schema(
        [
            ("doc_id", pa.string()),
            ("source_file", pa.string()),
            ("admin_code", pa.string()),
            ("admin_code_as_reported", pa.string()),
            ("province", pa.string()),
            ("prefecture", pa.string()),
            ("county", pa.string()),
            ("agency", pa.string()),
            ("title", pa.string()),
            ("published_date", pa.date32()),
            ("template", pa.string()),
            ("traditional", pa.bool_()),
            ("reader", pa.string()),
            ("status", pa.string()),
            ("error_count", pa.int32()),
            ("warning_count", pa.int32()),
            ("narrative_confirmed", pa.int32()),
        ]
    ),
    v.TABLE_SECTIONS: pa.schema(
        [
            ("doc_id", pa.string()),
            ("section_no", pa.int8()),
            ("section_key", pa.string()),
            ("heading", pa.string()),
            ("text", pa.string()),
            ("char_start", pa.int32()),
            ("char_end", pa.int32()),
        ]
    ),
    v.TABLE_ACTIVE_DISCLOSURE: pa.schema(
        [("doc_id", pa.string()), ("item", pa.string()), ("metric", pa.string()), ("value", pa.float64()), *_PROVENANCE]
    ),
    v.TABLE_REQUESTS: pa.schema(
        [("doc_id", pa.string()), ("row_key", pa.string()), ("applicant", pa.string()), ("value", pa.int64()), *_PROVENANCE]
    ),
    v.TABLE_REVIEW_LITIGATION: pa.schema(
        [("doc_id", pa.string()), ("proceeding", pa.string()), ("outcome", pa.string()), ("value", pa.int64()), *_PROVENANCE]
    ),
    v.TABLE_QUALITY_ISSUES: pa.schema(
        [
            ("doc_id", pa.string()),
            ("check", pa.string()),
            ("severity", pa.string()),
            ("table", pa.string()),
            ("row_key", pa.string()),
            ("detail", pa.string()),
        ]
    ),
    v.TABLE_QUARANTINE: pa.schema([("source_file", pa.string()), ("sha256", pa.string()), ("reason", pa.string())]),
    v.TABLE_CROSS_YEAR_ISSUES: pa.schema(
        [
            ("doc_id", pa.string()),
            ("previous_doc_id", pa.string()),
            ("check", pa.string()),
            ("severity", pa.string()),
            ("row_key", pa.string()),
            ("detail", pa.string()),
        ]
    ),
}

# Human-readable column docs, shown in the Dagster catalog (TableSchema) and docs/schema.md.
COLUMN_DOCS: dict[str, str] = {
    "doc_id": "sha256 of the raw file bytes",
    "source_file": "path of the raw file relative to the raw directory, '/'-separated, escaped so that any "
    r"file name fits: a byte that is not valid UTF-8, and a control character, is written `\xNN` (two "
    r"lowercase hex digits), a backslash `\\`; `2021/\xb1\xa8.pdf` names the bytes b'2021/\xb1\xa8.pdf' "
    "(gi_pipeline.raw_listing.raw_name_of)",
    "admin_code": "current GB/T 2260 code of the agency's place (county, else prefecture, else province)",
    "admin_code_as_reported": "the code of that place valid in the report's year",
    "province": "province-level division name",
    "prefecture": "prefecture-level division name",
    "county": "county-level division name",
    "agency": "issuing agency as named in the report",
    "title": "report title",
    "published_date": "publication date printed on the report",
    "template": "national template: '2021' (国办公开办函〔2021〕30号) or '2019' (〔2019〕60号); 'pre-2019' for reports "
    "of 2008-2018, whose tables are not extracted",
    "traditional": "the report was written in traditional characters",
    "reader": "which reader turned the file into text: 'pdfium' (PDF text layer), 'pdfplumber' (PDFs PDFium "
    "cannot read), 'html', 'docx', 'doc' (.doc/.rtf/.odt via LibreOffice), 'text' or 'ocr' "
    "(a scanned PDF or a page image, read by OCR)",
    "status": "'ok', or 'flagged' when the report has an error-severity quality issue",
    "value": "the number as printed; null when missing, blank, a dash or unreadable (see quality_issues)",
    "row_key": "the row the value or issue is about (canonical vocabulary: table 三 row, 二 item, 四 proceeding)",
    "applicant": "table 三 applicant column",
    "item": "table 二 item",
    "metric": "table 二 column",
    "proceeding": "table 四 proceeding",
    "outcome": "table 四 outcome",
    "check": "name of the failed check; identity checks start with 'identity'",
    "severity": "'error' or 'warning'",
    "table": "table the issue is about",
    "detail": "what was found",
    "reason": "why the file was not processed",
    "narrative_confirmed": "numbers stated in the text of sections 一 and 四 that the table cells confirm "
    "(a contradicted one is a narrative_mismatch issue)",
    "previous_doc_id": "the same agency's report of the year before",
    "sha256": "sha256 of the raw file bytes",
}

# Provenance columns of the fact tables (active_disclosure, requests, review_litigation): where the fact's
# cell is printed (gi_pipeline.provenance). They win over COLUMN_DOCS in those tables.
PROVENANCE_DOCS: dict[str, str] = {
    "raw": "the cell as printed, before normalization and before its digits and unit are read ('1,024', "
    "'１２', '197.3万', '197.3萬', '12 件', '—', '1O'; '' for a blank cell): the reader's text of the cell "
    "(for a PDF its text layer or OCR, for HTML/DOCX the cell text), which normalizes (full width to half "
    "width, traditional to simplified: gi_pipeline.normalize.normalize_token) to the token at "
    "char_start:char_end, and read with the column's cell reader gives value. Where a tag or an HTML entity "
    "stood inside the cell in the reader's text, raw is the normalized token. Null when the fact has no "
    "cell: the row was not found, or was printed with too few or too many cells, twice with different "
    "numbers, or as digits that split several ways (the row is null as a whole, see quality_issues)",
    "char_start": "start of the cell in the report's normalized text, the offsets of sections: for the section "
    "that contains it, text[char_start - section.char_start : char_end - section.char_start] is the cell's "
    "token, equal to raw whenever normalization leaves the token unchanged (not for full-width digits or "
    "traditional characters: '１２' is '12' there, '萬' is '万'); a cell of a table saved with its separators "
    "lost is its digits' slice of the run",
    "char_end": "end of the cell in the report's normalized text (exclusive; equal to char_start for a blank cell)",
    "page": "page (1-based) the cell's line starts on, of a PDF or of page images read by OCR (a scanned PDF, a "
    "multi-page TIFF's frames); null for formats without pages (text, HTML, DOCX) and for a fact without a cell",
}
