"""Spreadsheet files as rows of cells, and rows as files: XLSX (openpyxl) and CSV.

The bytes come from people: a file that no reader makes sense of is refused with
a clear error, never a crash. XLSX is read in openpyxl's streaming mode, through
defusedxml (openpyxl uses it when it is installed), and only the first
:data:`MAX_ROWS` rows of the first sheet are read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook, load_workbook

from quizboard.core.errors import InvalidInput
from quizboard.core.quiz_sheets import Cell, Row

MAX_ROWS = 1000
MAX_COLUMNS = 30
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_rows(data: bytes) -> list[list[Cell]]:
    """The rows of an XLSX file (told by its zip header) or of a CSV file."""
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data)
    return _csv_rows(data)


def _xlsx_rows(data: bytes) -> list[list[Cell]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows = []
            for row in sheet.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True):
                rows.append([c if isinstance(c, str | int | float | bool) else _other(c)
                             for c in row])  # fmt: skip
            return rows
        finally:
            book.close()
    except Exception as exc:  # an untrusted file in a third-party reader: any failure is the file's
        raise InvalidInput(
            f"the file is not a spreadsheet openpyxl can read: {type(exc).__name__}",
            code="invalid_spreadsheet",
        ) from None


def _other(cell: object) -> Cell:
    return None if cell is None else str(cell)


def _csv_rows(data: bytes) -> list[list[Cell]]:
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the file is neither an XLSX file nor UTF-8 CSV: byte {exc.start} is not UTF-8",
            code="invalid_spreadsheet",
        ) from None
    if "\x00" in decoded:
        raise InvalidInput("a CSV file cannot hold NUL characters", code="invalid_spreadsheet")
    delimiter = _delimiter(decoded)
    try:
        reader = csv.reader(io.StringIO(decoded), delimiter=delimiter)
        rows: list[list[Cell]] = []
        for _, row in zip(range(MAX_ROWS), reader, strict=False):
            cells: list[Cell] = list(row[:MAX_COLUMNS])
            rows.append(cells)
        return rows
    except csv.Error as exc:
        raise InvalidInput(
            f"the CSV file is malformed: {exc}", code="invalid_spreadsheet"
        ) from None


def _delimiter(decoded: str) -> str:
    """``,``, ``;`` (Excel's in some languages) or a tab: the one that splits the first
    lines into the most rows of the same width."""
    sample = [line for line in decoded.splitlines()[:20] if line.strip()]

    def fit(delimiter: str) -> tuple[int, int]:
        try:
            widths = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            return (0, 0)
        widest = max(widths, default=0)
        return (widths.count(widest) if widest > 1 else 0, widest)

    return max(",;\t", key=fit)


def xlsx_bytes(rows: Sequence[Row]) -> bytes:
    """``rows`` as an XLSX file of one sheet."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Quiz")
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(rows: Sequence[Row]) -> str:
    """``rows`` as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if c is None else c for c in row])
    return out.getvalue()
