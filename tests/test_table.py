"""A big CSV is read as pieces on all cores: the result must equal one whole read,
whatever falls on a cut (quoted newlines, a type that changes half-way, ragged
rows, a missing half), with progress that only rises and a Cancel that stops
every piece."""
from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

import engine.csv_read as csv_read
from engine.table import Cancelled, DataError, read_csv


@pytest.fixture
def small_pieces(monkeypatch):
    """Cut files of a few kilobytes into many pieces, as a 100 MB file would be."""
    monkeypatch.setattr(csv_read, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(csv_read, "PART_BYTES", 2_000)
    monkeypatch.setattr(csv_read, "MAX_PARTS", 16)
    monkeypatch.setattr(csv_read.os, "cpu_count", lambda: 4)


def whole(path, **kw):
    """The reference: the same file read in one piece."""
    old = csv_read.PARALLEL_MIN_BYTES
    csv_read.PARALLEL_MIN_BYTES = 1 << 62
    try:
        return read_csv(path, **kw)
    finally:
        csv_read.PARALLEL_MIN_BYTES = old


def write(tmp_path, text: str, name: str = "f.csv", encoding: str = "utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def pieces_used(monkeypatch) -> list:
    """Record the frames the pieces produced (empty when the file was read whole)."""
    got = []
    real = csv_read._read_parts

    def spy(*a, **k):
        frame = real(*a, **k)
        got.append(frame)
        return frame
    monkeypatch.setattr(csv_read, "_read_parts", spy)
    return got


def same(a, b) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert [(c.name, c.kind, c.missing, c.n_unique) for c in a.columns] == \
        [(c.name, c.kind, c.missing, c.n_unique) for c in b.columns]


def test_numbers_and_text_in_pieces_equal_one_read(tmp_path, small_pieces, monkeypatch):
    rows = "".join(f"{i},{i / 7:.5f},{'abc'[i % 3]},{'' if i % 11 == 0 else i * 2}\n" for i in range(3000))
    p = write(tmp_path, "id,x,cat,y\n" + rows)
    used = pieces_used(monkeypatch)
    got = read_csv(p)
    assert used and used[0] is not None            # it really was read in pieces
    same(got, whole(p))
    assert got.n_rows == 3000 and got.column("y").missing == 273


def test_quoted_newlines_across_the_cuts_fall_back_to_one_read(tmp_path, small_pieces, monkeypatch):
    rows = "".join(f'{i},"line one\nline two of {i}",{i}\n' for i in range(2000))
    p = write(tmp_path, "a,note,b\n" + rows)
    used = pieces_used(monkeypatch)
    got = read_csv(p)
    assert used == [None]                          # the pieces were refused ...
    same(got, whole(p))                            # ... and the whole read is what came back
    assert got.frame["note"].iloc[1999] == "line one\nline two of 1999"


def test_a_column_that_turns_to_text_half_way_is_text_as_in_one_read(tmp_path, small_pieces):
    rows = [f"{i},{i}" for i in range(1500)] + [f"{i},n{i}" for i in range(1500, 3000)]
    p = write(tmp_path, "a,b\n" + "\n".join(rows) + "\n")
    got = read_csv(p)
    same(got, whole(p))
    assert got.column("b").kind == "text" and got.frame["b"].iloc[0] == "0"


def test_a_text_column_empty_in_the_first_pieces_stays_text(tmp_path, small_pieces):
    rows = [f"{i}," for i in range(2000)] + [f"{i},word{i % 5}" for i in range(2000, 3000)]
    p = write(tmp_path, "a,b\n" + "\n".join(rows) + "\n")
    got = read_csv(p)
    same(got, whole(p))
    assert got.column("b").kind == "text" and got.column("b").missing == 2000


@pytest.mark.parametrize("bad", ["1,2,3,4", "1"])
def test_a_ragged_row_in_a_later_piece_is_named_by_its_line(tmp_path, small_pieces, bad):
    lines = [f"{i},{i},{i}" for i in range(3000)]
    lines[2500] = bad
    p = write(tmp_path, "a,b,c\n" + "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="line 2502 has"):
        read_csv(p)


def test_a_longer_first_row_of_a_piece_is_not_taken_as_an_index(tmp_path, small_pieces, monkeypatch):
    lines = [f"{i},{i}" for i in range(3000)]
    p = write(tmp_path, "a,b\n" + "\n".join(lines) + "\n")
    cuts = csv_read._cut_points(p, p.stat().st_size, 4)
    with open(p, "rb") as f:                       # the line that starts the second piece
        data = f.read()
    start = cuts[1]
    end = data.index(b"\n", start)
    line_no = data[:start].count(b"\n") + 1
    p.write_bytes(data[:start] + data[start:end] + b",9" + data[end:])
    with pytest.raises(DataError, match=f"line {line_no} has 3 fields"):
        read_csv(p)


def test_bom_crlf_semicolons_and_no_header(tmp_path, small_pieces):
    rows = "".join(f"{i};{i},5;x{i % 4}\r\n" for i in range(3000))
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + ("a;b;c\r\n" + rows).encode())
    got = read_csv(p)
    same(got, whole(p))
    assert got.names == ["a", "b", "c"] and got.frame["b"].iloc[3] == 3.5
    plain = write(tmp_path, "".join(f"{i},{i * 3}\n" for i in range(3000)), "plain.csv")
    got = read_csv(plain, header=False)
    same(got, whole(plain, header=False))
    assert got.names == ["column 1", "column 2"] and got.n_rows == 3000


def test_progress_from_all_pieces_only_rises(tmp_path, small_pieces):
    p = write(tmp_path, "a,b\n" + "".join(f"{i},{i % 97}\n" for i in range(20_000)))
    seen, threads = [], set()

    def progress(f):
        seen.append(f)
        threads.add(threading.get_ident())
    read_csv(p, progress=progress)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 10
    assert len(threads) > 1                        # reported by the pieces' threads


def test_cancel_stops_every_piece(tmp_path, small_pieces):
    p = write(tmp_path, "a,b\n" + "".join(f"{i},{i % 97}\n" for i in range(20_000)))
    asked = []
    stop = threading.Event()

    def cancel():
        asked.append(1)
        if len(asked) > 6:
            stop.set()
        return stop.is_set()
    with pytest.raises(Cancelled, match="cancelled"):
        read_csv(p, cancel=cancel)
    blocks = -(-p.stat().st_size // (1 << 18)) + 16       # every block of every piece, at most
    assert len(asked) < blocks + 10


def test_cut_points_end_after_a_newline_and_cover_the_file(tmp_path):
    p = write(tmp_path, "a\n" + "".join(f"{'x' * (i % 50)}\n" for i in range(5000)))
    size = p.stat().st_size
    cuts = csv_read._cut_points(p, size, 7)
    data = p.read_bytes()
    assert cuts[0] == 0 and cuts[-1] == size and cuts == sorted(set(cuts))
    assert all(data[c - 1:c] == b"\n" for c in cuts[1:-1])


def test_the_counts_of_a_number_column_wait_until_asked(tmp_path):
    p = write(tmp_path, "a,b\n" + "".join(f"{i % 5},{i}\n" for i in range(1000)))
    t = read_csv(p)
    a = t.column("a")
    assert a.distinct is None                      # reading did not sort the column
    assert a.n_unique == 5 and a.distinct == 5
    assert t.column("b").n_unique == 1000
    np.testing.assert_array_equal(a.values, t.frame["a"].to_numpy())


@pytest.mark.parametrize("content", [
    'a,n,when,word\n1,"1,234",2012-01-01,x\n2,"12,345",2012-01-02,y\n3,?,2012-01-03,z\n',
    "a;n;when\n1;1.234,5;01/02/2012\n2;12.345;01/03/2012\n3;7,25;\n",
    "a,b,c\n1, 2 ,NA\n3,unknown,n/a\n4,5.5,six\n",
], ids=["thousands-placeholder-date", "semicolon-decimal-comma", "missing-words"])
def test_type_rows_types_the_first_rows_as_read_csv_types_the_file(tmp_path, content):
    """The import view's preview types its rows with type_rows; a file of only those rows reads
    with the same kinds and missing counts."""
    from engine.table import sniff_csv, type_rows
    path = tmp_path / "t.csv"
    path.write_text(content, encoding="utf-8")
    preview = sniff_csv(path)
    got = type_rows(preview["header"], preview["rows"], preview["delimiter"])
    want = read_csv(path).columns
    assert [(c.name, c.kind) for c in got] == [(c.name, c.kind) for c in want]
    assert [c.missing for c in got] == [c.missing for c in want]
