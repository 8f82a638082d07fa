"""The scores: macro F1 computed exactly (checked against a confusion matrix worked out by
hand), RMSE and F1 in the Training panel after a real run, and each score's one-sentence
tooltip found by hovering its name as a person does."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QToolTip

from engine.graph import sequential
from engine.losses import make_loss
from engine.model import Model
from engine.trainer import TrainConfig, class_scores, confusion_matrix, evaluate, macro_f1
from gui.training.panel import SCORE_TIPS
from tests.gui_data_helpers import isolate_settings, make_window

TIMEOUT = 30_000

# rows = true class, columns = predicted class
HAND_CM = np.array([[4, 1, 0],
                    [2, 2, 1],
                    [0, 0, 3]])
# worked out by hand, F1 = 2·TP / (2·TP + FP + FN) = 2·TP / (column sum + row sum):
#   class 0: P = 4/6, R = 4/5, F1 = 8/11;  class 1: P = 2/3, R = 2/5, F1 = 4/8;
#   class 2: P = 3/4, R = 3/3, F1 = 6/7
HAND_F1 = (8 / 11 + 1 / 2 + 6 / 7) / 3


def rows_of(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) with exactly these counts, in a shuffled order."""
    pairs = [(t, p) for t in range(len(cm)) for p in range(len(cm)) for _ in range(cm[t, p])]
    pairs = [pairs[i] for i in np.random.default_rng(3).permutation(len(pairs))]
    return np.array([t for t, _ in pairs]), np.array([p for _, p in pairs])


def labeller(n_classes: int) -> Model:
    """A multiclass model whose prediction for a one-hot row is that row's class (W = I, b = 0)."""
    model = Model(sequential(n_classes, [], task="multiclass", outputs=n_classes), dtype="float64", seed=0)
    model.set_weights({"dense1.W": np.eye(n_classes), "dense1.b": np.zeros(n_classes)})
    return model


# -- the engine ------------------------------------------------------------------------------------
def test_macro_f1_matches_a_confusion_matrix_worked_out_by_hand():
    y_true, y_pred = rows_of(HAND_CM)
    cm = confusion_matrix(y_true, y_pred, 3)
    np.testing.assert_array_equal(cm, HAND_CM)
    s = class_scores(cm)
    np.testing.assert_allclose(s["precision"], [4 / 6, 2 / 3, 3 / 4], rtol=1e-15)
    np.testing.assert_allclose(s["recall"], [4 / 5, 2 / 5, 1.0], rtol=1e-15)
    np.testing.assert_allclose(s["f1"], [8 / 11, 1 / 2, 6 / 7], rtol=1e-15)
    p, r = s["precision"], s["recall"]
    np.testing.assert_allclose(s["f1"], 2 * p * r / (p + r), rtol=1e-15)
    assert macro_f1(cm) == pytest.approx(HAND_F1, rel=1e-15)
    # through evaluate(): the model predicts y_pred, the set's labels are y_true
    model = labeller(3)
    out = evaluate(model, make_loss("ce", "multiclass"), np.eye(3)[y_pred], y_true)
    assert set(out) == {"loss", "accuracy", "f1"}
    assert out["accuracy"] == pytest.approx(9 / 13, rel=1e-15)
    assert out["f1"] == pytest.approx(HAND_F1, rel=1e-15)


def test_classes_missing_from_the_predictions_or_the_set_are_nan_safe():
    """Class 1 has members but is never predicted (F1 0, precision undefined); class 2 is predicted
    but has no members (F1 0, recall undefined); class 3 is neither (left out of the mean)."""
    cm = np.array([[3, 0, 1, 0],
                   [1, 0, 1, 0],
                   [0, 0, 0, 0],
                   [0, 0, 0, 0]])
    with np.errstate(all="raise"):            # no 0/0 warning escapes
        s = class_scores(cm)
        f1 = macro_f1(cm)
    assert s["f1"][1] == 0 and math.isnan(s["precision"][1]) and s["recall"][1] == 0
    assert s["f1"][2] == 0 and s["precision"][2] == 0 and math.isnan(s["recall"][2])
    assert all(math.isnan(s[k][3]) for k in ("precision", "recall", "f1"))
    assert s["f1"][0] == pytest.approx(6 / 8)
    assert f1 == pytest.approx((6 / 8 + 0 + 0) / 3)
    # every row right, but the set holds only classes 0 and 2 of four: a perfect 1, not 0.5
    y = np.array([0, 2, 2, 0, 2])
    out = evaluate(labeller(4), make_loss("ce", "multiclass"), np.eye(4)[y], y)
    assert out["accuracy"] == 1 and out["f1"] == 1
    # an empty set: NaN, no warning
    with np.errstate(all="raise"):
        empty = evaluate(labeller(4), make_loss("ce", "multiclass"), np.zeros((0, 4)), y[:0])
    assert math.isnan(empty["accuracy"]) and math.isnan(empty["f1"])
    assert math.isnan(macro_f1(np.zeros((3, 3), int)))


def test_binary_f1_is_the_mean_over_both_classes():
    """Binary: the label is logit > 0; macro F1 averages the F1 of class 0 and of class 1."""
    model = Model(sequential(1, [], task="binary", outputs=1), dtype="float64", seed=0)
    model.set_weights({"dense1.W": np.ones((1, 1)), "dense1.b": np.zeros(1)})
    y_true, y_pred = rows_of(np.array([[5, 1], [3, 1]]))
    X = np.where(y_pred == 1, 1.0, -1.0)[:, None]
    out = evaluate(model, make_loss("bce", "binary"), X, y_true)
    # class 0: 2·5 / (8 + 6) = 10/14; class 1: 2·1 / (2 + 4) = 2/6
    assert out["f1"] == pytest.approx((10 / 14 + 2 / 6) / 2, rel=1e-15)
    assert out["accuracy"] == pytest.approx(6 / 10)


def test_every_epoch_records_f1_and_rmse():
    from engine.trainer import ArrayData, Trainer
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 0] > 1)
    data = ArrayData(X[:90], y[:90], X[90:], y[90:], task="multiclass")
    tr = Trainer(sequential(2, [(6, "tanh")], task="multiclass", outputs=3), data,
                 TrainConfig(loss="ce", optimizer="adam", lr=0.05, epochs=3, batch_size=16))
    tr.run()
    for record in tr.epochs:
        assert 0 <= record["train_f1"] <= 1 and 0 <= record["val_f1"] <= 1
    assert "val_f1" in tr.metrics() and "val_accuracy" in tr.metrics()
    yr = X @ np.array([[1.0], [-2.0]])
    reg = Trainer(sequential(2, [], task="regression", outputs=1),
                  ArrayData(X[:90], yr[:90], X[90:], yr[90:], y_std=np.array([2.5])),
                  TrainConfig(lr=0.05, epochs=2))
    reg.run()
    last = reg.epochs[-1]
    assert last["val_rmse"] >= last["val_mae"] > 0          # RMSE is never below MAE


# -- the window --------------------------------------------------------------------------------------
@pytest.fixture
def window(qtbot, qapp, tmp_path, monkeypatch):
    isolate_settings(tmp_path)
    win = make_window()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    if hasattr(win, "io"):
        monkeypatch.setattr(win.io, "maybe_save", lambda: True)
    yield win
    if win.training is not None:
        win.training.shutdown()
    win.data_controller.shutdown()
    win.document.undo_stack.setClean()


def open_example(qtbot, win, name: str) -> None:
    from tests.conftest import ROOT
    if not hasattr(win, "io"):
        pytest.skip("needs the real main window")
    with qtbot.waitSignal(win.data_controller.project_data_loaded, timeout=TIMEOUT) as loaded:
        assert win.open_path(str(ROOT / "resources" / "examples" / name))
    assert loaded.args == [True]


def train_a_little(qtbot, win, epochs: int) -> dict:
    """Train for a few epochs at full speed by pressing Train; the last epoch's record."""
    ctl = win.training
    panel = ctl.panel
    cfg = win.document.train_config
    win.document.set_train_config(TrainConfig(**{**cfg.to_dict(), "epochs": epochs}))
    panel.set_speed(0, remember=False)
    with qtbot.waitSignal(ctl.training_finished, timeout=TIMEOUT) as done:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert done.args == ["epochs"]
    return ctl.trainer.epochs[-1]


def tooltips_under_the_mouse(qtbot, label) -> dict[str, str]:
    """Move the mouse over the label as a person does, resting on each spot: the tooltip Qt
    shows there → one such spot ("x,y")."""
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()), timeout=TIMEOUT)
    seen: dict[str, str] = {}
    for y in range(2, label.height() - 1, 3):
        for x in range(2, label.width() - 1, 3):
            p = QPointF(x, y)
            QApplication.sendEvent(label, QMouseEvent(QEvent.Type.MouseMove, p, label.mapToGlobal(p),
                                                      Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                                      Qt.KeyboardModifier.NoModifier))
            QApplication.sendEvent(label, QHelpEvent(QEvent.Type.ToolTip, p.toPoint(),
                                                     label.mapToGlobal(p.toPoint())))   # the mouse rests
            seen.setdefault(QToolTip.text() if QToolTip.isVisible() else "", f"{x},{y}")
    QToolTip.hideText()
    return seen


def test_regression_shows_r2_mae_and_rmse_in_the_targets_units(qtbot, window):
    open_example(qtbot, window, "1_linear_7_days.ncproj")
    last = train_a_little(qtbot, window, epochs=2)
    panel = window.training.panel
    text = panel.metrics_label.text()
    unit = window.document.dataset.target_name
    assert unit == "temp_max"
    assert f">MAE</a>&nbsp;<b>{last['val_mae']:.4g}</b>&nbsp;{unit}" in text
    assert f">RMSE</a>&nbsp;<b>{last['val_rmse']:.4g}</b>&nbsp;{unit}" in text
    assert ">RMSE</a>" in text and ">R²</a>" in text and ">MAE</a>" in text
    assert "F1" not in text and "accuracy" not in text
    # hovering "RMSE" shows its sentence, "MAE" its own; elsewhere all of them
    seen = tooltips_under_the_mouse(qtbot, panel.metrics_label)
    rmse = SCORE_TIPS["rmse"].format(unit=unit)
    assert rmse in seen and SCORE_TIPS["mae"].format(unit=unit) in seen
    assert SCORE_TIPS["r2"] in seen
    everything = [t for t in seen if t.count("\n") >= 5]
    assert everything and rmse in everything[0] and SCORE_TIPS["val_loss"] in everything[0]
    # each sentence is one plain sentence
    for tip in SCORE_TIPS.values():
        assert tip.count(". ") == 0 and tip.endswith(".") and "<" not in tip


def test_classification_shows_accuracy_and_macro_f1(qtbot, window):
    open_example(qtbot, window, "5_iris_classifier.ncproj")
    last = train_a_little(qtbot, window, epochs=3)
    panel = window.training.panel
    text = panel.metrics_label.text()
    assert f">F1</a>&nbsp;<b>{last['val_f1']:.3f}</b>" in text
    assert f"<b>{last['val_accuracy']:.1%}</b>" in text
    assert "RMSE" not in text and "MAE" not in text
    seen = tooltips_under_the_mouse(qtbot, panel.metrics_label)
    assert SCORE_TIPS["f1"] in seen and SCORE_TIPS["accuracy"] in seen
    # a click on "F1" shows its sentence at once
    x, y = (int(v) for v in seen[SCORE_TIPS["f1"]].split(","))
    qtbot.mouseClick(panel.metrics_label, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert QToolTip.isVisible() and QToolTip.text() == SCORE_TIPS["f1"]
    QToolTip.hideText()


def test_a_history_saved_before_f1_existed_shows_what_it_has(qtbot, window):
    """An older project's last epoch has accuracy but no F1: no F1 and no blank."""
    panel = window.training.panel
    panel.show_metrics({"train_loss": 0.3, "val_loss": 0.4, "train_accuracy": 0.9, "val_accuracy": 0.85}, None)
    text = panel.metrics_label.text()
    assert "85.0%" in text and "F1" not in text
    panel.show_metrics({"train_loss": 0.3, "val_loss": 0.4, "val_r2": 0.5, "val_mae": 1.25}, 0.2)
    assert "1.25" in panel.metrics_label.text() and "RMSE" not in panel.metrics_label.text()
    panel.show_metrics({"train_loss": 0.3, "val_loss": math.nan, "val_accuracy": math.nan,
                        "train_accuracy": 1.0, "val_f1": math.nan}, None)
    assert ">F1</a>&nbsp;<b>–</b>" in panel.metrics_label.text()      # no validation rows
    panel.clear_live()
    assert panel.metrics_label.text() == "" and panel.metrics_label.toolTip() == ""
