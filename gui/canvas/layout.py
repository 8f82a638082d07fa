"""Automatic layout: a left-to-right layered drawing of the graph (no Qt).

Each node goes into the column of its longest path from a source; inside a
column nodes are ordered by the mean row of their inputs, so edges rarely
cross. Long chains wrap into bands below, so a deep stack stays readable.
"""
from __future__ import annotations

__all__ = ["auto_layout", "COLUMN_STEP", "ROW_STEP"]

COLUMN_STEP = 210.0
ROW_STEP = 110.0


def auto_layout(graph, origin=(0.0, 0.0), wrap: int = 5) -> dict[str, tuple[float, float]]:
    """Top-left positions {node_id: (x, y)} for every node of ``graph``."""
    ids = list(graph.nodes)
    preds = {n: graph.inputs_of(n) for n in ids}
    depth: dict[str, int] = {}
    try:
        order = graph.topological_order()
    except Exception:           # a cycle: keep insertion order, still give every node a place
        order = ids
    for n in order:
        depth[n] = max((depth.get(p, 0) + 1 for p in preds[n] if p in depth), default=0)
    columns: dict[int, list[str]] = {}
    for n in order:
        columns.setdefault(depth[n], []).append(n)
    row: dict[str, float] = {}
    for d in sorted(columns):
        col = columns[d]
        col.sort(key=lambda n: (sum(row[p] for p in preds[n] if p in row) / max(1, len([p for p in preds[n] if p in row]))
                                if any(p in row for p in preds[n]) else ids.index(n)))
        for i, n in enumerate(col):
            row[n] = i - (len(col) - 1) / 2
    tallest = max((len(c) for c in columns.values()), default=1)
    band_h = tallest * ROW_STEP + 70.0
    n_cols = max(columns, default=0) + 1
    wrap = max(2, wrap)
    positions = {}
    for n in ids:
        d = depth.get(n, 0)
        band, col = divmod(d, wrap) if n_cols > wrap else (0, d)
        x = origin[0] + col * COLUMN_STEP
        y = origin[1] + band * band_h + row.get(n, 0.0) * ROW_STEP
        positions[n] = (float(round(x / 10) * 10), float(round(y / 10) * 10))
    return positions
