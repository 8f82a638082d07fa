"""The first look at a CSV file: is it text, in which encoding, with which
delimiter, and its first rows (:func:`sniff_csv`, the import view's preview and
the start of every read by :mod:`engine.csv_read`); and the errors a read raises.

Pure Python; never imports Qt.
"""
from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from .safe_io import UnsafePathError, check_regular, open_regular

__all__ = ["NA_VALUES", "DELIMITERS", "BINARY_SAMPLE", "Cancelled", "DataError", "RaggedRowsError", "ascii_compatible",
           "check_encoding", "check_unique_names", "csv_error", "is_binary", "is_number", "sniff_csv"]

# Cell texts read as "missing" (plus whitespace-only cells in text columns).
NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "#N/A"]
DELIMITERS = (",", ";", "\t")
_SNIFF_BYTES = 1 << 20         # preview reads at most this much
BINARY_SAMPLE = 1 << 16        # every first look reads this much at least: the binary rule sees the same bytes
_MAGIC = {b"PK\x03\x04": "a zip archive or an Excel .xlsx workbook",
          b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
          b"%PDF": "a PDF document",
          b"\x89PNG": "a PNG image"}


class DataError(ValueError):
    """One clear, specific, single-line message for a user (no traceback text)."""


class Cancelled(DataError):
    """Loading was stopped by the caller's ``cancel()`` callback."""


class RaggedRowsError(DataError):
    """A data row has more or fewer fields than the header (``line`` is 1-based);
    ``read_csv(..., skip_bad_lines=True)`` reads the file without such rows."""

    def __init__(self, message: str, line: int, fields: int, expected: int) -> None:
        super().__init__(message)
        self.line, self.fields, self.expected = line, fields, expected


def is_number(text: str) -> bool:
    """Whether a cell's text reads as a number (``float`` accepts it)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- reading

def _display(path: Path) -> str:
    return repr(path.name)


def _check_file(path: Path) -> None:
    """Only an existing regular file (a FIFO, a device or a pipe would hang or never end)."""
    try:
        check_regular(path, "CSV")
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(f"file not found: {path}") from None
    except UnsafePathError as exc:
        raise DataError(str(exc)) from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None


def _not_utf8(path: Path) -> DataError:
    """Find the first byte that is not UTF-8 (only called on the error path)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                data = e.object
                pos = offset - pending + e.start
                return DataError(f"{_display(path)} is not UTF-8 text (byte 0x{data[e.start]:02X} "
                                 f"at offset {pos}); save it as UTF-8")
            if not chunk:
                break
            offset += len(chunk)
    return DataError(f"{_display(path)} is not UTF-8 text; save it as UTF-8")


def _detect_delimiter(text: str) -> str:
    """Among , ; tab pick the one giving the header's field count on every line."""
    best, best_score = ",", None
    for d in DELIMITERS:
        rows = [r for r in csv.reader(_text_lines(text), delimiter=d) if not _blank(r)]
        if not rows:
            continue
        h = len(rows[0])
        agree = sum(len(r) == h for r in rows[1:]) / max(1, len(rows) - 1)
        score = (h > 1, agree, h)
        if best_score is None or score > best_score:
            best, best_score = d, score
    return best


def _blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def csv_error(path: Path, exc: Exception) -> DataError:
    """The csv module's complaint about a file, for a person."""
    if "field larger than field limit" in str(exc):
        return DataError(f"{_display(path)} has a field longer than {csv.field_size_limit():,} characters "
                         f"(one huge line?); it does not look like a CSV table")
    return DataError(f"{_display(path)} is not a valid CSV file: {exc}")


def check_encoding(encoding: str) -> str:
    """``encoding`` if it names a text encoding Python knows; DataError otherwise (``rot13``,
    ``hex``, ``base64``, ``zlib`` are codecs, but not of text)."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        raise DataError(f"unknown text encoding {encoding!r}") from None
    if not getattr(info, "_is_text_encoding", True):     # what bytes.decode itself checks
        raise DataError(f"{encoding!r} is not a text encoding; give one like utf-8 or latin-1")
    return encoding


def ascii_compatible(encoding: str) -> bool:
    """Whether ``encoding`` writes , ; tab and newlines as single ASCII bytes (not UTF-16/32),
    so a file can be cut at newline bytes and a NUL byte means binary."""
    try:
        return "a,;\t\r\n0".encode(encoding) == b"a,;\t\r\n0"
    except (LookupError, UnicodeError):
        return False


def is_binary(sample: bytes) -> bool:
    """The one rule for "this is not a text file": a NUL byte (in an ASCII-compatible encoding)."""
    return b"\x00" in sample


def _text_lines(text: str) -> io.StringIO:
    """Text for the csv module: every line ending (\\n, \\r\\n, or an old Mac's \\r) ends a line."""
    return io.StringIO(text, newline="")


def sniff_csv(path, n_lines: int = 50, encoding: str | None = None, header: bool = True) -> dict:
    """Preview the first ``n_lines`` data lines without reading the whole file.

    Returns ``{"delimiter", "encoding", "header": [names], "rows": [[cells]...]}``
    (cells as text). Raises DataError for a missing, empty, binary or non-UTF-8 file
    (binary: a NUL byte in the first :data:`BINARY_SAMPLE` bytes, whatever ``n_lines``),
    and for a header that names two columns alike.
    ``encoding`` overrides the UTF-8 detection (e.g. "latin-1" for an old file, "utf-16").
    """
    path = Path(path)
    _check_file(path)
    if encoding is not None:
        check_encoding(encoding)
    try:
        f = open_regular(path, "CSV")
    except UnsafePathError as exc:
        raise DataError(str(exc)) from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    with f:
        raw = f.read(BINARY_SAMPLE)
        while (raw.count(b"\n") or raw.count(b"\r")) <= n_lines and len(raw) < _SNIFF_BYTES:
            more = f.read(min(BINARY_SAMPLE, _SNIFF_BYTES - len(raw)))
            if not more:
                break
            raw += more
        at_end = not f.read(1)
    forced = encoding is not None and not codecs.lookup(encoding).name.startswith("utf-8")
    wide = forced and not ascii_compatible(encoding)      # UTF-16/32: NUL bytes are text
    has_bom = raw.startswith(codecs.BOM_UTF8)
    if not forced:
        encoding = "utf-8-sig" if has_bom else "utf-8"
    body = raw[3:] if has_bom and not forced else raw
    if not body.strip(b" \t\r\n\x00" if wide else None):
        raise DataError(f"{_display(path)} is empty")
    for magic, what in _MAGIC.items():
        if body.startswith(magic):
            raise DataError(f"{_display(path)} is {what}, not CSV text; export it as CSV")
    if not wide:
        if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise DataError(f"{_display(path)} is UTF-16 text; save it as UTF-8")
        if is_binary(body[:BINARY_SAMPLE]):
            raise DataError(f"{_display(path)} is a binary file, not CSV text")
    try:
        text = body.decode(encoding if forced else "utf-8")
    except UnicodeDecodeError as e:
        if (forced and not wide) or at_end or e.end < len(body) - 4:   # not a character cut at the end
            if forced:
                raise DataError(f"{_display(path)} cannot be decoded as {encoding}") from None
            skip = 3 if encoding == "utf-8-sig" else 0
            raise DataError(f"{_display(path)} is not UTF-8 text (byte 0x{body[e.start]:02X} at "
                            f"offset {skip + e.start}); save it as UTF-8") from None
        text = body[:e.start].decode(encoding if forced else "utf-8")
    if wide:
        text = text.lstrip("\ufeff")
    if not at_end:                          # the last line may be cut in the middle
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[:cut + 1] if cut > 0 else text
    try:
        delimiter = _detect_delimiter(text)
        rows = [r for r in csv.reader(_text_lines(text), delimiter=delimiter) if not _blank(r)]
    except csv.Error as exc:
        raise csv_error(path, exc) from None
    if not header:
        names = [f"column {i + 1}" for i in range(len(rows[0]) if rows else 0)]
        return {"delimiter": delimiter, "encoding": encoding, "header": names, "rows": rows[:n_lines]}
    names = [h.strip() for h in rows[0]] if rows else []
    if not all(is_number(h) for h in names):        # numbers only: the first line is data, not names
        check_unique_names(path, names)
    return {"delimiter": delimiter, "encoding": encoding, "header": names,
            "rows": rows[1:n_lines + 1]}


def check_unique_names(path: Path, names: list[str]) -> None:
    """Two columns of one name would be told apart as "y" and "y.1", and a copy of the target
    could become a feature: refuse them, naming both."""
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        key = name.lstrip("\ufeff").strip()
        if key in first:
            raise DataError(f"{_display(path)}: columns {first[key] + 1} and {i + 1} are both named "
                            f"{key!r:.60}; give each column its own name")
        first[key] = i
