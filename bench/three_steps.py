"""What does the three-steps strip cost the GUI thread? Prints one table.

    QT_QPA_PLATFORM=offscreen python bench/three_steps.py

For chains of 1, 10, 100 and 1,000 hidden layers, side by side: the engine's formula
(`engine.formula.model_formula`), the strip's whole refresh (the three texts, the headers fitted,
the sheet's labels set: what runs after an edit, and at most 4 times a second while training),
and, for scale, the document's own validation that every edit already runs
(`Graph.validate`). "While training" is a refresh for a snapshot (the numbers only).
Medians of --repeat runs, in milliseconds.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.formula import model_formula  # noqa: E402
from engine.graph import sequential  # noqa: E402
from gui.document.document import Document  # noqa: E402
from gui.steps.strip import ThreeStepsStrip  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    print(f"{'hidden layers':>13} {'nodes':>6} {'formula ms':>11} {'after an edit ms':>17} "
          f"{'while training ms':>18} {'validate ms':>12} {'edit/validate':>14}")
    for layers in (1, 10, 100, 1000):
        graph = sequential(7, [(16, "sigmoid")] * layers)
        doc = Document()
        doc.replace(graph, {})
        strip = ThreeStepsStrip(doc)
        strip.resize(900, 44)
        strip.show()
        app.processEvents()
        counts = {nid: c[0] for nid in graph.nodes if (c := doc.cost_of(nid)) is not None}
        f = median_ms(lambda g=graph, c=counts: model_formula(g, counts=c), args.repeat)

        def after_edit(s=strip):
            s._model_changed()                      # as after an edit: the formula written again
            s.refresh()
        edit = median_ms(after_edit, args.repeat)
        live = median_ms(strip.refresh, args.repeat)    # a snapshot's refresh: the numbers only
        v = median_ms(graph.validate, args.repeat)
        print(f"{layers:>13,} {len(graph.nodes):>6,} {f:>11.3f} {edit:>17.3f} {live:>18.3f} {v:>12.3f} "
              f"{edit / v:>14.3f}")
        strip.deleteLater()
        app.processEvents()


if __name__ == "__main__":
    main()
