"""Automatic layout: a left-to-right layered drawing of the graph (no Qt).

Each wired node goes into the column of its longest path from a source; inside
a column nodes are ordered by the mean row of their inputs, so edges rarely
cross. Long chains wrap into bands below, so a deep stack stays readable.
Separate wired pieces of the graph are drawn one under the other (the piece
holding the Input first), and nodes with no link at all go in a row below
them, Input first and Output last, the rest in the order they were added — so
cards dropped on the canvas before wiring line up ready to be connected.
"""
from __future__ import annotations

import math

__all__ = ["auto_layout", "nearest_free_spot", "COLUMN_STEP", "ROW_STEP", "PIECE_GAP"]

COLUMN_STEP = 210.0
ROW_STEP = 140.0           # cards are 104 tall (with the insight band): 36 px between rows
PIECE_GAP = 40.0            # extra room between separate pieces, and above the row of loose nodes
_KIND_RANK = {"input": 0, "output": 2}


def _grid(v: float) -> float:
    return float(round(v / 10) * 10)


def _layered(ids: list[str], preds: dict[str, list[str]], order: list[str],
             index: dict[str, int], wrap: int) -> dict[str, tuple[float, float]]:
    """Offsets {node: (dx, dy)} of one wired piece; rows are centred on dy = 0 in the first band."""
    members = set(ids)
    order = [n for n in order if n in members]
    depth: dict[str, int] = {}
    for n in order:
        depth[n] = max((depth.get(p, 0) + 1 for p in preds[n] if p in depth), default=0)
    columns: dict[int, list[str]] = {}
    for n in order:
        columns.setdefault(depth[n], []).append(n)
    row: dict[str, float] = {}
    for d in sorted(columns):
        col = columns[d]

        def key(n: str) -> float:
            placed = [row[p] for p in preds[n] if p in row]
            return sum(placed) / len(placed) if placed else index[n]
        col.sort(key=key)
        for i, n in enumerate(col):
            row[n] = i - (len(col) - 1) / 2
    tallest = max((len(c) for c in columns.values()), default=1)
    band_h = tallest * ROW_STEP + 70.0
    n_cols = max(columns, default=0) + 1
    out = {}
    for n in ids:
        d = depth.get(n, 0)
        band, col = divmod(d, wrap) if n_cols > wrap else (0, d)
        out[n] = (col * COLUMN_STEP, band * band_h + row.get(n, 0.0) * ROW_STEP)
    return out


def _pieces(ids: list[str], preds, succs) -> list[list[str]]:
    """Weakly connected pieces of the wired nodes, each in insertion order."""
    seen: set[str] = set()
    pieces = []
    for start in ids:
        if start in seen:
            continue
        seen.add(start)
        stack, piece = [start], set()
        while stack:
            n = stack.pop()
            piece.add(n)
            for m in preds[n] + succs[n]:
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
        pieces.append([n for n in ids if n in piece])
    return pieces


def auto_layout(graph, origin=(0.0, 0.0), wrap: int = 5) -> dict[str, tuple[float, float]]:
    """Top-left positions {node_id: (x, y)} for every node of ``graph``.

    ``origin`` is the left edge and the vertical middle of the first piece (or of
    the row of loose nodes when nothing is wired).
    """
    ids = list(graph.nodes)
    index = {n: i for i, n in enumerate(ids)}
    preds = {n: graph.inputs_of(n) for n in ids}
    succs = {n: graph.outputs_of(n) for n in ids}
    wrap = max(2, wrap)
    try:
        order = graph.topological_order()
    except Exception:           # a cycle: keep insertion order, still give every node a place
        order = ids
    wired = [n for n in ids if preds[n] or succs[n]]
    loose = [n for n in ids if not (preds[n] or succs[n])]
    pieces = _pieces(wired, preds, succs)
    pieces.sort(key=lambda p: (0 if any(graph.nodes[n].kind == "input" for n in p) else 1, index[p[0]]))

    ox, oy = origin
    positions: dict[str, tuple[float, float]] = {}
    bottom: float | None = None           # lowest card top so far
    for piece in pieces:
        offsets = _layered(piece, preds, order, index, wrap)
        top = min(dy for _, dy in offsets.values())
        shift = oy if bottom is None else bottom + ROW_STEP + PIECE_GAP - top
        for n, (dx, dy) in offsets.items():
            positions[n] = (_grid(ox + dx), _grid(shift + dy))
        bottom = max(y for n, (_, y) in positions.items())
    if loose:
        loose.sort(key=lambda n: (_KIND_RANK.get(graph.nodes[n].kind, 1), index[n]))
        rows = math.ceil(len(loose) / wrap)
        per_row = math.ceil(len(loose) / rows)            # balanced rows: 6 → 3 + 3, not 5 + 1
        y0 = oy if bottom is None else bottom + ROW_STEP + PIECE_GAP
        for i, n in enumerate(loose):
            r, c = divmod(i, per_row)
            positions[n] = (_grid(ox + c * COLUMN_STEP), _grid(y0 + r * ROW_STEP))
    return positions


def _floor10(v: float) -> float:
    return float(math.floor(v / 10) * 10)


def _ceil10(v: float) -> float:
    return float(math.ceil(v / 10) * 10)


def nearest_free_spot(want: tuple[float, float], taken, size: tuple[float, float],
                      gap: float) -> tuple[float, float]:
    """The free top-left corner nearest ``want`` for a card of ``size``.

    Free means at least ``gap`` of clear space on every side from each card in
    ``taken`` (top-left corners of cards of the same size). The nearest free
    point is ``want`` itself or lies on an edge of the no-go zone around some
    card, so only those lines are tried (snapped outwards to the 10-px grid),
    nearest first: dropped on a card, the new one goes just below or beside it.
    """
    w, h = size
    x0, y0 = want
    taken = [(float(px), float(py)) for px, py in taken]
    reach_x, reach_y = w + gap, h + gap

    def free(x: float, y: float) -> bool:
        return all(abs(x - px) >= reach_x or abs(y - py) >= reach_y for px, py in taken)
    if free(x0, y0):
        return (x0, y0)
    xs = {x0} | {_floor10(px - reach_x) for px, _ in taken} | {_ceil10(px + reach_x) for px, _ in taken}
    ys = {y0} | {_floor10(py - reach_y) for _, py in taken} | {_ceil10(py + reach_y) for _, py in taken}
    # nearest first; on a tie prefer below to above and right to left (the way a network reads)
    spots = sorted(((x, y) for x in xs for y in ys),
                   key=lambda s: ((s[0] - x0) ** 2 + (s[1] - y0) ** 2, s[1] < y0, s[0] < x0))
    for x, y in spots:
        if free(x, y):
            return (x, y)
    return (x0, max(py for _, py in taken) + _ceil10(reach_y))   # not reached: the row below all is free
