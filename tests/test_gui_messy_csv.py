"""The import view on messy files, driven as a person does: File → Import CSV with
the file dialog patched, Browse…, the keyboard in the lags box, a click on
“Skip rows with the wrong number of fields”; every wait is on a signal."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from tests.gui_data_helpers import dataset_path, input_features
from tests.test_gui_data import TIMEOUT, _write, confirm, open_import, set_role

QMARK = "a,b,c,t\n" + "".join(
    f"{'?' if i % 9 == 0 else i}, {i % 7} ,{'-' if i % 10 == 3 else 40 - i % 13},{i / 60:.3f}\n" for i in range(60))
RAGGED = "x,y,z\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n13,14,15\n16,17,18\n"


@pytest.fixture
def window(data_window):
    return data_window


def browse(qtbot, dlg, monkeypatch, path) -> None:
    """Browse… in the import view, the file dialog answering ``path``; waits for the view to settle."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "CSV files (*.csv)"))
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.browse_button, Qt.MouseButton.LeftButton)


def type_lags(qtbot, dlg, text: str) -> None:
    dlg.lags_spin.setFocus()
    dlg.lags_spin.selectAll()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.keyClicks(dlg.lags_spin, text)
    assert dlg.lags_spin.value() == int(text)


def test_question_marks_leave_number_columns_numbers_and_are_said(qtbot, window, monkeypatch, tmp_path):
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "qmark.csv", QMARK))
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    assert [dlg.type_of(n) for n in "abct"] == ["number"] * 4
    assert dlg.dataset.n_features == 3 and not dlg.dataset.onehot        # was 33 + 35 one-hot inputs
    summary = dlg.summary_label.text()
    assert "'?' read as missing in a (7 cells)" in summary
    assert "'-' read as missing in c (6 cells)" in summary
    row_a = dlg._rows["a"]
    assert dlg.columns_table.item(row_a, 3).text().startswith("7")
    assert "7 written as '?'" in dlg.columns_table.item(row_a, 3).toolTip()
    assert "read as missing" in dlg.preview_table.item(0, 0).toolTip()
    assert dlg.message_label.text() == "Ready: 47 examples × 3 features."
    confirm(qtbot, window, dlg)
    assert input_features(window.document) == 3


def test_a_column_with_words_stays_text(qtbot, window, monkeypatch, tmp_path):
    rows = "".join(f"{'high' if i == 5 else '?' if i == 7 else i},{i % 3},{i}\n" for i in range(20))
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "w.csv", "a,b,t\n" + rows))
    assert dlg.type_of("a") == "text"
    assert "read as missing" not in dlg.summary_label.text()


def test_lags_that_leave_one_window_block_ok_and_name_a_k_that_works(qtbot, window, monkeypatch):
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("seattle_weather.csv"))
    set_role(qtbot, dlg, "temp_max", "target")
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.mode_series, Qt.MouseButton.LeftButton)
    assert dlg.series_combo.currentData() == "temp_max"
    type_lags(qtbot, dlg, "1460")
    assert not dlg.ok_button.isEnabled()
    reason = dlg.blocked_reason()
    assert "lags K=1460 leave 1 example" in reason and "use K at most 1458" in reason
    assert reason in dlg.message_label.text() and reason in dlg.ok_button.toolTip()
    type_lags(qtbot, dlg, "1461")
    assert "use at most 1458" in dlg.blocked_reason()
    type_lags(qtbot, dlg, "1458")
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    assert (dlg.dataset.n_train, dlg.dataset.n_val) == (2, 1)
    assert dlg.message_label.text() == "Ready: 3 examples × 1,458 features."


def test_validation_that_takes_every_example_blocks_ok(qtbot, window, monkeypatch, tmp_path):
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "s.csv", "x,y\n1,2\n2,3\n3,5\n"))
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()        # 2 train + 1 validation
    dlg.val_spin.setFocus()
    dlg.val_spin.selectAll()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.keyClicks(dlg.val_spin, "50")
    assert not dlg.ok_button.isEnabled()
    assert "only 3 examples left" in dlg.blocked_reason()
    assert "set validation to 33 % or less" in dlg.blocked_reason()
    assert dlg.message_label.text().startswith("⚠")


def test_the_preview_never_shows_the_previous_files_rows(qtbot, window, monkeypatch, tmp_path):
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "ragged.csv", RAGGED))
    assert "line 3 has 2 fields" in dlg.blocked_reason()
    assert dlg.preview_table.rowCount() == 6
    latin = "city,temp\n".encode() + "".join(f"Köln{i},{i}\n" for i in range(5)).encode("latin-1")
    browse(qtbot, dlg, monkeypatch, _write(tmp_path, "latin1.csv", latin))
    assert "not UTF-8" in dlg.blocked_reason()
    assert dlg.preview_table.rowCount() == 0 and dlg.preview_table.columnCount() == 0
    assert dlg.preview_title.text() == "First rows"
    assert dlg.columns_table.rowCount() == 0
    browse(qtbot, dlg, monkeypatch, dataset_path("iris.csv"))
    assert dlg.preview_table.horizontalHeaderItem(0).text() == "sepal length (cm)"


def test_rows_with_the_wrong_number_of_fields_can_be_skipped_and_are_counted(qtbot, window, monkeypatch,
                                                                              tmp_path):
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "ragged.csv", RAGGED))
    reason = dlg.blocked_reason()
    assert "line 3 has 2 fields but the header has 3" in reason
    assert "Skip rows with the wrong number of fields" in reason
    check = dlg.skip_check
    assert check.isVisible() and not check.isChecked()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(check, Qt.MouseButton.LeftButton)
    assert check.isChecked()
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    summary = dlg.summary_label.text()
    assert "<b>Dropped:</b> 2 rows" in summary
    assert "wrong number of fields: 2 rows (lines 3, 4)" in summary
    assert "skipped" in dlg.preview_table.item(1, 0).toolTip()
    confirm(qtbot, window, dlg)
    doc = window.document
    assert doc.data_spec.skip_bad_lines is True
    assert doc.dataset.n_train + doc.dataset.n_val == 4


def test_edit_import_of_a_skipping_import_reads_it_the_same_way(qtbot, window, monkeypatch, tmp_path):
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "ragged.csv", RAGGED))
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.skip_check, Qt.MouseButton.LeftButton)
    confirm(qtbot, window, dlg)
    ctl = window.data_controller
    with qtbot.waitSignal(ctl.dialog_opened, timeout=TIMEOUT) as opened:
        ctl.panel.edit_button.click()
    again = opened.args[0]
    with qtbot.waitSignal(again.summary_updated, timeout=TIMEOUT):
        pass
    assert again.skip_check.isVisible() and again.skip_check.isChecked()
    assert again.ok_button.isEnabled(), again.blocked_reason()
    again.done(0)


def test_a_single_column_is_the_target_and_auto_names_no_task(qtbot, window, monkeypatch, tmp_path):
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("iris.csv"))
    assert dlg.task_combo.currentText() == "Auto (classification)"
    one = _write(tmp_path, "one_column.csv", "value\n" + "".join(f"{i * 1.5}\n" for i in range(50)))
    browse(qtbot, dlg, monkeypatch, one)
    assert dlg.role_of("value") == "target"
    assert "single column 'value': nothing is left to be a feature" in dlg.blocked_reason()
    assert dlg.task_combo.currentText() == "Auto"


def test_a_constant_target_says_so(qtbot, window, monkeypatch, tmp_path):
    path = _write(tmp_path, "const_target.csv", "x,y\n" + "".join(f"{i},5\n" for i in range(40)))
    dlg = open_import(qtbot, window, monkeypatch, path)
    assert dlg.blocked_reason() == "target 'y' is constant (every value is 5): there is nothing to predict"
    assert dlg.task_combo.currentText() == "Auto"


def test_one_feature_is_said_in_the_singular(qtbot, window, monkeypatch, tmp_path):
    path = _write(tmp_path, "xy.csv", "x,y\n" + "".join(f"{i},{i * i}\n" for i in range(10)))
    dlg = open_import(qtbot, window, monkeypatch, path)
    assert dlg.message_label.text() == "Ready: 10 examples × 1 feature."
