"""Work that grows with the network stays off the GUI thread or is never done: a million
parameters' names are a lazy sequence, the surface's pickers list them without building a
row each, and one error surface costs a bounded number of multiply-adds."""
from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.graph import sequential
from engine.landscape import default_pair
from engine.model import Model, ScalarNames
from engine.train_loop import SURFACE_MACS, surface_plan


def _every_name(model: Model) -> list[str]:
    return [f"{k}[{','.join(map(str, idx))}]" for k, p in model.params.items() for idx in np.ndindex(p.shape)]


def test_scalar_names_are_the_full_list_in_flat_order():
    model = Model(sequential(3, [(4, "sigmoid"), (2, "relu")]))
    names, full = model.scalar_names(), _every_name(model)
    assert isinstance(names, ScalarNames) and len(names) == len(full) == len(model.flat_params)
    assert list(names) == full and names == full and names[-1] == full[-1] and names[2:5] == full[2:5]
    for i, n in enumerate(full):
        assert names[i] == n and names.index(n) == i == model.flat_index(n)
    assert "dense1.W[2,3]" in names and "dense1.W[3,0]" not in names and "dense1.W[0, 1]" not in names
    assert "nonsense" not in names and 42 not in names
    with pytest.raises(IndexError):
        names[len(full)]
    assert names.layers() == [("dense1", 0, 16), ("dense2", 16, 10), ("dense3", 26, 3)]


def test_a_million_parameters_names_cost_nothing_up_front():
    model = Model(sequential(7, [(1000, "relu"), (1000, "relu")]))
    t0 = time.perf_counter()
    names = model.scalar_names()
    pair = default_pair(model)
    n, last = len(names), names[len(names) - 1]
    took = time.perf_counter() - t0
    assert n == len(model.flat_params) > 1_000_000 and last == "dense3.b[0]"
    assert pair == ("dense3.b[0]", "dense3.W[0,0]") and pair[0] in names and pair[1] in names
    assert took < 0.05                # was 1.4 s: a string per parameter, twice


def test_the_surfaces_pickers_list_a_million_parameters_at_once(qtbot):
    from gui.plots.surface_plot import SurfacePlot
    model = Model(sequential(7, [(1000, "relu"), (1000, "relu")]))
    plot = SurfacePlot()
    qtbot.addWidget(plot)
    names = model.scalar_names()
    t0 = time.perf_counter()
    plot.set_parameters(names, default_pair(model))
    took = time.perf_counter() - t0
    assert plot.pair() == ("dense3.b[0]", "dense3.W[0,0]")
    combo = plot.combo_a
    assert combo.count() == len(names) + 3                     # a header per layer
    assert combo.itemText(0).startswith("dense1  (8,000 parameters)")
    assert combo.itemText(1 + 8000).startswith("dense2  (1,001,000 parameters)")
    assert took < 0.25                                         # was seconds: a row and a string each
    with qtbot.waitSignal(combo.picked, timeout=1000) as blocker:
        combo.lineEdit().selectAll()
        qtbot.keyClicks(combo.lineEdit(), "DENSE2.w[999, 7]")  # any spelling of a whole name
        qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    assert blocker.args == ["dense2.W[999,7]"] and combo.name() == "dense2.W[999,7]"


@pytest.mark.parametrize("n_params,rows", [(300, 10_000), (33_793, 218), (1_010_001, 1100)])
def test_one_error_surface_costs_a_bounded_number_of_multiply_adds(n_params, rows):
    steps, used = surface_plan(n_params, rows)
    assert used <= min(rows, 1500) or used == 16
    if n_params < 1000:
        assert (steps, used) == (41, min(rows, 1500))           # the lecture's networks: as before
    else:
        assert steps * steps * used * n_params <= SURFACE_MACS or used == 16
        assert steps >= 21 and used >= 16


def test_a_network_too_big_for_memory_is_refused_before_any_array_is_made():
    from engine.graph import MAX_PARAMETERS
    g = sequential(7, [(4096, "relu")] * 4)                 # 3 × 16.8M + … ≈ 50.4M parameters
    issues = g.validate()
    assert issues and "NetCanvas trains at most" in issues[-1].message
    assert f"{MAX_PARAMETERS:,}" in issues[-1].message and issues[-1].node == "dense2"
    assert not sequential(7, [(4096, "relu")] * 2).validate()   # 16.8M: trainable


def test_ten_megabytes_of_notes_do_not_freeze_the_project_page(qtbot, sigmoid_example_window):
    from PySide6.QtWidgets import QLabel

    from gui.canvas.properties import NOTES_SHOWN
    win = sigmoid_example_window
    doc = win.document
    notes = "A line of notes that goes on. " * 350_000            # ~10 MB
    t0 = time.perf_counter()
    doc.replace(doc.graph, dict(doc.positions), notes=notes, data_spec=doc.data_spec, dataset=doc.dataset,
                train_config=doc.train_config)
    win.canvas_view.scene().clearSelection()                    # the project page shows the notes
    qtbot.waitUntil(lambda: any(lbl.text().startswith("A line of notes")
                                for lbl in win.properties.findChildren(QLabel)), timeout=5000)
    took = time.perf_counter() - t0
    shown = next(lbl.text() for lbl in win.properties.findChildren(QLabel) if lbl.text().startswith("A line"))
    assert len(shown) < NOTES_SHOWN + 100 and shown.endswith(f"({len(notes) - NOTES_SHOWN:,} more characters)")
    assert took < 1.0                                           # was 20 s for 10 MB
