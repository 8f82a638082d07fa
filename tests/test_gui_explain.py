"""Issue 12 in the window, used as a person does: the baselines beside the scores (and their
tooltips), the "Why this answer" tab filled by its button, one example explained and attacked,
and a permutation importance over 1,000,000 rows that reports progress and can be cancelled."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar

from engine.baselines import compute_baselines
from engine.graph import sequential
from engine.losses import make_loss
from engine.model import Model
from gui.explain.importance_view import ExplainInputs, ImportanceView
from gui.training.panel import SCORE_TIPS
from tests.test_metrics_display import open_example, tooltips_under_the_mouse, train_a_little
import tests.test_metrics_display as metrics_display

TIMEOUT = 30_000
window = metrics_display.window          # the same window fixture


def click_tab(qtbot, win, title: str) -> None:
    """Click the dock tab named ``title`` as a person does."""
    for bar in win.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.tabText(i) == title and bar.isVisible():
                qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(i).center())
                return
    raise AssertionError(f"no tab {title!r}")


def test_series_scores_show_the_baselines_with_their_tooltips(qtbot, window):
    open_example(qtbot, window, "1_linear_7_days.ncproj")
    watch = window.training.baselines
    qtbot.waitUntil(lambda: watch.baselines is not None and watch.baselines.task == "regression", timeout=TIMEOUT)
    last = train_a_little(qtbot, window, epochs=2)
    b = compute_baselines(window.document.dataset)
    text = window.training.panel.metrics_label.text()
    assert b.persistence_val_mae is not None
    assert f">persistence</a>&nbsp;<b>{b.persistence_val_mae:.4g}</b>" in text
    assert f">MASE</a>&nbsp;<b>{last['val_mae'] / b.mase_scale:.3f}</b>" in text
    seen = tooltips_under_the_mouse(qtbot, window.training.panel.metrics_label)
    unit = window.document.dataset.target_name
    persistence = [t for t in seen if t.startswith(SCORE_TIPS["base_persistence"].format(unit=unit))]
    assert persistence and f"least squares {b.linear_val_mae:.4g}" in persistence[0]
    assert f"seasonal naive (period 365) {b.seasonal_val_mae:.4g}" in persistence[0]
    assert SCORE_TIPS["mase"] in seen
    for key in ("base_persistence", "base_seasonal", "base_mean", "base_linear", "mase", "base_majority"):
        tip = SCORE_TIPS[key]
        assert tip.count(". ") == 0 and tip.endswith(".") and "<" not in tip


def test_the_importance_tab_fills_when_a_person_asks(qtbot, window):
    open_example(qtbot, window, "1_linear_7_days.ncproj")
    train_a_little(qtbot, window, epochs=3)
    click_tab(qtbot, window, "Why this answer")
    view = window.findChild(ImportanceView, "importancePlot")
    assert view is not None and view is window.training.importance_view
    qtbot.waitUntil(view.isVisible, timeout=TIMEOUT)
    with qtbot.waitSignal(view.importance_computed, timeout=TIMEOUT) as done:
        qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    imp = done.args[0]
    names = window.document.dataset.feature_names
    assert list(imp) == names
    assert max(imp, key=imp.get) == "temp_max[t-1]"          # yesterday matters most for tomorrow
    assert "temp_max[t-1]" in view.status_label.text()
    assert view.compute_button.isEnabled() and not view.progress.isVisible()
    with qtbot.waitSignal(view.example_explained, timeout=TIMEOUT) as explained:
        qtbot.mouseClick(view.explain_button, Qt.MouseButton.LeftButton)
    att, attack = explained.args[0]
    assert set(att.values) == set(names) and attack is None
    assert "prediction" in view.example_label.text() and not view.attack_table.isVisible()


def test_a_classifier_example_is_attacked_with_fgsm(qtbot, window):
    open_example(qtbot, window, "5_iris_classifier.ncproj")
    watch = window.training.baselines
    qtbot.waitUntil(lambda: watch.baselines is not None and watch.baselines.task != "regression",
                    timeout=TIMEOUT)
    train_a_little(qtbot, window, epochs=20)
    text = window.training.panel.metrics_label.text()
    assert f"<b>{watch.baselines.majority_val_accuracy:.1%}</b>" in text and ">majority&nbsp;class</a>" in text
    click_tab(qtbot, window, "Why this answer")
    view = window.training.importance_view
    view.example_spin.setValue(1)
    with qtbot.waitSignal(view.example_explained, timeout=TIMEOUT) as explained:
        qtbot.mouseClick(view.explain_button, Qt.MouseButton.LeftButton)
    _att, attack = explained.args[0]
    assert attack is not None and attack.after != attack.before
    classes = window.document.dataset.classes
    assert f"“{classes[attack.after]}”" in view.example_label.text() and "FGSM" in view.example_label.text()
    assert view.attack_table.isVisible() and view.attack_table.rowCount() == len(window.document.dataset.feature_names)


def test_importance_over_a_million_rows_has_progress_and_cancel(qtbot):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1_000_000, 4)).astype(np.float32)
    y = (2.0 * X[:, 0:1]).astype(np.float64)
    model = Model(sequential(4, [], outputs=1), dtype="float32")
    model.set_weights({"dense1.W": np.array([[2.0], [0], [0], [0]]), "dense1.b": np.zeros(1)})
    ds = SimpleNamespace(X_val=X, y_val=y, feature_names=list("abcd"), onehot={}, spec=SimpleNamespace(seed=0),
                         n_val=len(X), task="regression")
    view = ImportanceView(lambda: (ExplainInputs(model, make_loss("mse", "regression"), ds), None))
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.progress_changed, timeout=TIMEOUT):
        qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    assert view.progress.isVisible() and not view.compute_button.isEnabled()
    with qtbot.assertNotEmitted(view.importance_computed, wait=300):
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    assert view.status_label.text() == "Cancelled." and view.compute_button.isEnabled()
    view.shutdown()
