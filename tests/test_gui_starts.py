"""Train → "Try several starts…", as a person uses it: open the local-minima example, click the
menu item, set K, run, see K points on the error surface and K rows sorted by validation loss, pick
one (its weights load, the list's numbers are that network's losses), Undo brings back the weights
before; Cancel leaves everything as it was; a network the batched run cannot train is refused."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from engine.layers import sigmoid
from tests.test_metrics_display import open_example

pytestmark = pytest.mark.usefixtures("isolated_settings")

TIMEOUT = 60_000


def _open_dialog(qtbot, win):
    """Train menu → Try several starts…, clicked with the mouse."""
    ctl = win.training
    menu = win.menus["train"]
    act = win.findChild(QAction, "actionSeveralStarts")
    assert act in menu.actions() and act.text().replace("&", "") == "Try several starts…"
    menu.popup(win.mapToGlobal(win.rect().center()))
    qtbot.waitUntil(menu.isVisible)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(act).center())
    qtbot.waitUntil(lambda: getattr(ctl, "starts_dialog", None) is not None and ctl.starts_dialog.isVisible())
    assert not menu.isVisible()
    return ctl.starts_dialog


def _set_count(qtbot, dlg, k: int) -> None:
    spin = dlg.count
    spin.setFocus()
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin.lineEdit(), str(k))
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Tab)
    assert spin.value() == k


def _losses_by_hand(weights, data):
    """MSE on the training and validation rows of ``weights`` (x → dense1 → sigmoid → dense2), in NumPy."""
    def mse(X, y):
        h = sigmoid(np.asarray(X, np.float64) @ weights["dense1.W"].astype(np.float64) + weights["dense1.b"])
        pred = h @ weights["dense2.W"].astype(np.float64) + weights["dense2.b"]
        return float(np.mean((pred - np.asarray(y, np.float64).reshape(pred.shape)) ** 2))
    return mse(data.X_train, data.y_train), mse(data.X_val, data.y_val)


def _expected_points(dlg, pair) -> np.ndarray:
    """Each listed start's values of the two named parameters, read from its weights here."""
    out = []
    for r in dlg.results:
        xy = []
        for name in pair:
            key, idx = name.split("[")
            xy.append(float(r.weights[key][tuple(int(i) for i in idx.rstrip("]").split(","))]))
        out.append(xy)
    return np.array(out)


def _points_match(surface, dlg, pair) -> bool:
    pts = surface.starts_overlay.points
    want = _expected_points(dlg, pair)
    return pts.shape == want.shape and np.allclose(pts, want)


def _assert_points(surface, dlg, pair) -> None:
    assert surface.starts_overlay.count() == len(dlg.results)
    np.testing.assert_allclose(surface.starts_overlay.points, _expected_points(dlg, pair))


def _cell(dlg, row, col) -> str:
    return dlg.table.item(row, col).text()


def test_several_starts_listed_drawn_picked_and_undone(qtbot, sigmoid_example_window):
    win = sigmoid_example_window
    open_example(qtbot, win, "local_minima.ncproj")
    doc, ctl = win.document, win.training
    dlg = _open_dialog(qtbot, win)
    assert dlg.count.value() == 8                                   # the default
    _set_count(qtbot, dlg, 6)
    qtbot.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
    assert dlg.cancel_button.isEnabled() and not dlg.run_button.isEnabled()
    qtbot.waitUntil(lambda: not dlg.running() and dlg.table.rowCount() > 0, timeout=TIMEOUT)

    # six rows, best validation loss first, and their losses really differ (the example's point)
    assert dlg.table.rowCount() == 6
    val = [float(_cell(dlg, r, 2)) for r in range(6)]
    assert val == sorted(val)
    assert max(val) > 2 * min(val)
    starts = sorted(int(_cell(dlg, r, 0).split()[-1]) for r in range(6))
    assert starts == list(range(6))
    assert dlg.progress.value() == dlg.progress.maximum()

    # six end points on the error surface, at each start's values of the surface's two parameters
    surface = ctl.surface_plot
    first_pair = surface.pair()
    _assert_points(surface, dlg, first_pair)

    # another pair typed into the y picker: the points move to it; Undo of the pick moves them back
    other = "dense1.W[0,2]"
    assert other not in first_pair
    surface.combo_b.lineEdit().selectAll()
    with qtbot.waitSignal(ctl.surface_updated, timeout=TIMEOUT):
        qtbot.keyClicks(surface.combo_b.lineEdit(), other)
        qtbot.keyClick(surface.combo_b.lineEdit(), Qt.Key.Key_Return)
    assert surface.pair() == (first_pair[0], other)
    qtbot.waitUntil(lambda: _points_match(surface, dlg, surface.pair()))
    win.actionUndo.trigger()
    qtbot.waitUntil(lambda: surface.pair() == first_pair, timeout=TIMEOUT)     # the default pair again
    qtbot.waitUntil(lambda: _points_match(surface, dlg, first_pair), timeout=TIMEOUT)

    # pick the best start, then the worst, by double-clicking their rows: the weights load, and
    # each row's numbers are the losses of that network, computed here by hand
    assert doc.weights is None                                     # the seed's weights so far
    for row in (0, 5):
        k = int(_cell(dlg, row, 0).split()[-1])
        rect = dlg.table.visualRect(dlg.table.model().index(row, 1))
        qtbot.mouseClick(dlg.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(dlg.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        want = dlg.results[row].weights["dense2.W"]
        qtbot.waitUntil(lambda w=want: doc.weights is not None and np.allclose(doc.weights["dense2.W"], w))
        assert win.actionUndo.text().endswith(f"Use start {k}")
        tr, va = _losses_by_hand(doc.weights, doc.dataset)
        assert float(_cell(dlg, row, 1)) == pytest.approx(tr, rel=2e-3)
        assert float(_cell(dlg, row, 2)) == pytest.approx(va, rel=2e-3)
        sizes = surface.starts_overlay.scatter.data["size"]
        assert sizes[row] == max(sizes) and list(sizes).count(max(sizes)) == 1   # the chosen point stands out
        now = ctl.current_weights()
        for name, w in dlg.results[row].weights.items():
            np.testing.assert_allclose(now[name], w)

    # Undo brings back the weights before: start 0's, then the seed's
    win.actionUndo.trigger()
    now = ctl.current_weights()
    for name, w in dlg.results[0].weights.items():
        np.testing.assert_allclose(now[name], w)
    assert not np.allclose(now["dense2.W"], dlg.results[5].weights["dense2.W"])
    win.actionUndo.trigger()
    assert doc.weights is None


def surface_points(ctl) -> int:
    overlay = getattr(ctl.surface_plot, "starts_overlay", None)
    return 0 if overlay is None else overlay.count()


def _type_epochs(qtbot, panel, n: int) -> None:
    edit = panel.epochs_edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, str(n))
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_cancel_changes_nothing_and_until_stopped_is_refused(qtbot, sigmoid_example_window):
    win = sigmoid_example_window
    doc, ctl = win.document, win.training
    dlg = _open_dialog(qtbot, win)
    _type_epochs(qtbot, ctl.panel, 5000)                     # long enough to cancel
    assert doc.train_config.epochs == 5000
    steps = doc.undo_stack.index()
    assert doc.weights is None
    qtbot.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.progress.value() > 0, timeout=TIMEOUT)
    qtbot.mouseClick(dlg.cancel_button, Qt.MouseButton.LeftButton)
    assert not dlg.running() and dlg.run_button.isEnabled()
    assert "Cancelled" in dlg.status.text() and dlg.table.rowCount() == 0
    assert doc.weights is None and doc.undo_stack.index() == steps
    assert surface_points(ctl) == 0

    # epochs 0 ("until stopped"): the starts cannot end, so they are refused with the reason
    _type_epochs(qtbot, ctl.panel, 0)
    assert doc.train_config.epochs == 0
    qtbot.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.running() and "epochs" in dlg.status.text(), timeout=TIMEOUT)
    assert dlg.status.text().startswith("Cannot train several starts")
    assert "Error" not in dlg.status.text() and dlg.table.rowCount() == 0


def test_closing_the_window_ends_a_run_under_way(qtbot, sigmoid_example_window):
    win = sigmoid_example_window
    dlg = _open_dialog(qtbot, win)
    _type_epochs(qtbot, win.training.panel, 5000)
    qtbot.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.progress.value() > 0, timeout=TIMEOUT)
    job = dlg._job
    win.close()                                          # the fixture answers Discard
    qtbot.waitUntil(job.cancelled, timeout=TIMEOUT)
    assert job.wait(30)                                  # the thread is free again, long before 5000 epochs
