"""The CSV import view, the dataset panel and an opened project's data, driven
like a person would: File → Import CSV with the file dialog patched, role
combos chosen with the keyboard, buttons clicked; every wait is on a signal."""
from __future__ import annotations

import os
import threading
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

import engine.csv_read as csv_read
from engine.data import DataSpec
from engine.project import Project
from gui.data.loading import CsvLoader
from gui.data.import_dialog import ImportDialog
from tests.gui_data_helpers import choose, dataset_path, input_features

TIMEOUT = 15_000


@pytest.fixture
def window(data_window):
    return data_window


def open_import(qtbot, window, monkeypatch, path) -> ImportDialog:
    """File → Import CSV with the file dialog answering ``path``; returns the settled view."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "CSV files (*.csv)"))
    ctl = window.data_controller
    with qtbot.waitSignal(ctl.dialog_opened, timeout=TIMEOUT) as opened:
        window.actionImportCsv.trigger()
    dlg = opened.args[0]
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        pass
    return dlg


def hold_reads(monkeypatch, after_first_block: bool = False) -> threading.Event:
    """Make the CSV reader wait (before its first block, or after it) until the returned
    event is set: a read of a few MB is over before a test can act "while it reads"."""
    gate = threading.Event()
    real_read = csv_read._WatchedFile.readinto

    def held_read(self, b):
        if not after_first_block:
            gate.wait(TIMEOUT / 1000)
        n = real_read(self, b)
        if after_first_block:
            gate.wait(TIMEOUT / 1000)
        return n
    monkeypatch.setattr(csv_read._WatchedFile, "readinto", held_read)
    return gate


def set_role(qtbot, dlg: ImportDialog, column: str, role: str) -> None:
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(dlg._role_boxes[column], qtbot, role)


def confirm(qtbot, window, dlg: ImportDialog) -> None:
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    with qtbot.waitSignal(window.data_controller.data_applied, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)


def panel_text(window, key: str) -> str:
    return window.findChild(type(window.data_controller.panel), "datasetPanel").fields[key].text()


# ---------------------------------------------------------------------------- real datasets
def test_import_iris_defaults_to_last_column_as_target(qtbot, window, monkeypatch):
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("iris.csv"))
    assert dlg.role_of("species") == "target"
    assert dlg.ok_button.isEnabled()
    assert "Europe" not in dlg.summary_label.text()
    assert "setosa" in dlg.summary_label.text()          # classes and their counts
    confirm(qtbot, window, dlg)
    doc = window.document
    assert input_features(doc) == 4
    out = doc.graph.nodes[doc.graph.output_node()].params
    assert out == {"task": "multiclass", "units": 3}
    assert doc.dataset.n_train == 120 and doc.dataset.n_val == 30
    assert panel_text(window, "examples").startswith("120 train / 30 validation")
    assert panel_text(window, "features") == "4"
    assert panel_text(window, "target") == "species"
    assert "3 classes" in panel_text(window, "task")


def test_import_auto_mpg_with_missing_values_and_text(qtbot, window, monkeypatch):
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("auto_mpg.csv"))
    assert dlg.role_of("Name") == "ignore"                # 311 distinct texts: not a feature by default
    set_role(qtbot, dlg, "Miles_per_Gallon", "target")
    assert dlg.role_of("Origin") == "feature"             # the previous target became a feature
    set_role(qtbot, dlg, "Year", "ignore")
    text = dlg.summary_label.text()
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    assert "missing target: 8" in text
    assert "missing value in Horsepower: 6" in text
    assert "392" in text
    confirm(qtbot, window, dlg)
    ds = window.document.dataset
    assert ds.task == "regression" and ds.target_name == "Miles_per_Gallon"
    assert ds.n_train + ds.n_val == 392
    assert ds.n_features == 5 + 3                          # 5 numbers + Origin one-hot
    assert input_features(window.document) == 8
    dropped = panel_text(window, "dropped")
    assert dropped.startswith("14:") and "missing value in Horsepower (6)" in dropped


def test_series_mode_on_seattle_weather_with_seven_lags(qtbot, window, monkeypatch):
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("seattle_weather.csv"))
    set_role(qtbot, dlg, "temp_max", "target")
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.mode_series, Qt.MouseButton.LeftButton)
    assert dlg.series_combo.currentData() == "temp_max"
    assert dlg.time_combo.currentData() == "date"
    assert dlg.split_chrono.isChecked()
    assert dlg.lags_spin.value() == 7
    assert "1,454" in dlg.summary_label.text()
    confirm(qtbot, window, dlg)
    ds = window.document.dataset
    assert ds.n_train + ds.n_val == 1454
    assert ds.spec.series == "temp_max" and ds.spec.lags == 7 and ds.spec.split == "chronological"
    assert input_features(window.document) == 7
    assert "previous 7 of temp_max" in panel_text(window, "features")


def test_changing_lags_with_the_keyboard_updates_the_summary(qtbot, window, monkeypatch):
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("seattle_weather.csv"))
    set_role(qtbot, dlg, "temp_max", "target")
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.mode_series, Qt.MouseButton.LeftButton)
    dlg.lags_spin.selectAll()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.keyClicks(dlg.lags_spin, "14")
    assert dlg.dataset.n_features == 14
    assert dlg.dataset.n_train + dlg.dataset.n_val == 1461 - 14


def test_undo_of_an_import_restores_the_previous_input_width(qtbot, window, monkeypatch):
    doc = window.document
    before = input_features(doc)
    before_path = doc.data_path
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("iris.csv"))
    confirm(qtbot, window, dlg)
    assert input_features(doc) == 4
    doc.undo_stack.undo()
    assert input_features(doc) == before
    assert doc.data_path == before_path
    doc.undo_stack.redo()
    assert input_features(doc) == 4 and doc.dataset.n_features == 4


def test_a_classification_import_makes_the_network_and_loss_fit_and_undo_restores(qtbot, window,
                                                                                   monkeypatch):
    """A regression network with MSE, then iris: the last Dense gets 3 units and the loss becomes
    cross-entropy, so the network is ready to train without a detour (was: Output red, loss
    "mse (does not fit a multiclass task)" and Train refusing). One undo restores both."""
    doc = window.document
    g = doc.graph
    last = g.inputs_of(g.output_node())[0]
    assert g.nodes[last].kind == "dense"
    before_units = g.nodes[last].params["units"]
    doc.set_train_config(replace(doc.train_config, loss="mse"))
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("iris.csv"))
    confirm(qtbot, window, dlg)
    assert g.nodes[last].params["units"] == 3
    assert doc.train_config.loss == "ce"
    assert doc.issues() == []
    doc.undo_stack.undo()
    assert g.nodes[last].params["units"] == before_units
    assert doc.train_config.loss == "mse"
    doc.undo_stack.redo()
    assert g.nodes[last].params["units"] == 3 and doc.train_config.loss == "ce"
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("seattle_weather.csv"))
    set_role(qtbot, dlg, "temp_max", "target")
    confirm(qtbot, window, dlg)
    assert g.nodes[last].params["units"] == 1
    assert doc.train_config.loss == "mse"                 # back to a regression loss
    assert doc.issues() == []


def _trained_on_temp_max(qtbot, window, monkeypatch) -> None:
    """Import Seattle's temp_max as the target and give the document weights trained on it."""
    from engine.trainer import Trainer
    doc = window.document
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("seattle_weather.csv"))
    set_role(qtbot, dlg, "temp_max", "target")
    confirm(qtbot, window, dlg)
    tr = Trainer(doc.graph, doc.dataset, doc.train_config)
    tr.run(max_updates=20)
    doc.set_results(tr.model.get_weights(), tr.history())


def _save(window, monkeypatch, tmp_path) -> None:
    """File → Save As to a file in ``tmp_path``: the project is as saved."""
    if not hasattr(window, "io"):
        pytest.skip("needs the real main window")
    monkeypatch.setattr(window, "ask_save_path", lambda: str(tmp_path / "saved.ncproj"))
    window.actionSaveAs.trigger()
    assert not window.document.is_modified()


def test_undo_of_an_import_that_cleared_trained_weights_leaves_the_saved_project_unmodified(
        qtbot, window, monkeypatch, tmp_path):
    """Was: the import cleared the weights with set_results(mark=True), so after Undo back to the
    saved state the project still said it was modified (and asked to be saved on close)."""
    doc = window.document
    _trained_on_temp_max(qtbot, window, monkeypatch)
    _save(window, monkeypatch, tmp_path)
    trained, loss = doc.weights, doc.train_config.loss
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("seattle_weather.csv"))
    set_role(qtbot, dlg, "temp_min", "target")              # same task and width: only the weights go
    confirm(qtbot, window, dlg)
    assert doc.weights is None and doc.train_config.loss == loss and doc.is_modified()
    window.actionUndo.trigger()
    assert doc.weights is trained and doc.data_spec.target == "temp_max"
    assert not doc.is_modified() and "*" not in window.windowTitle()
    window.actionRedo.trigger()
    assert doc.weights is None and doc.is_modified()
    window.actionUndo.trigger()
    assert not doc.is_modified()


def test_undo_of_an_import_that_switched_the_loss_leaves_the_saved_project_unmodified(
        qtbot, window, monkeypatch, tmp_path):
    """Was: the loss switch that comes with a classification import marked the project modified
    for good, so Undo back to the saved state left it "modified" with nothing to save."""
    doc = window.document
    assert doc.train_config.loss in ("mse", "mae", "huber")
    _save(window, monkeypatch, tmp_path)
    before = doc.train_config
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("iris.csv"))
    confirm(qtbot, window, dlg)
    assert doc.train_config.loss == "ce" and doc.is_modified()
    assert window.actionUndo.text().replace("&", "") == "Undo Use data: species"     # one step
    window.actionUndo.trigger()
    assert doc.train_config == before
    assert not doc.is_modified() and "*" not in window.windowTitle()


def test_the_summary_says_the_loss_is_on_the_standardized_target(qtbot, window, monkeypatch):
    """Training showed "validation loss 0.15 · MAE 2.0" with nothing saying why the two
    disagree: the loss is on the standardized target, MAE in miles per gallon."""
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("auto_mpg.csv"))
    set_role(qtbot, dlg, "Miles_per_Gallon", "target")
    text = dlg.summary_label.text()
    sd = float(dlg.dataset.y_std[0])
    assert 7 < sd < 9
    assert f"standardized target (1 = {sd:.4g} Miles_per_Gallon)" in text
    assert "R², MAE and the plots are in Miles_per_Gallon" in text


def test_cancel_keeps_the_document(qtbot, window, monkeypatch):
    doc = window.document
    before = (doc.data_path, input_features(doc), doc.undo_stack.count())
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("iris.csv"))
    with qtbot.waitSignal(dlg.finished, timeout=TIMEOUT):
        dlg.buttons.button(dlg.buttons.StandardButton.Cancel).click()
    assert (doc.data_path, input_features(doc), doc.undo_stack.count()) == before


def test_edit_import_reopens_with_current_settings(qtbot, window, monkeypatch):
    spec = DataSpec(target="temp_max", series="temp_max", lags=5, time_column="date",
                    split="chronological", val_fraction=0.25)
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("seattle_weather.csv"))
    dlg._initial_spec = None
    dlg.done(0)
    from engine.data import load_dataset
    from gui.document.commands import SetDataCommand
    path = dataset_path("seattle_weather.csv")
    window.document.undo_stack.push(SetDataCommand(window.document, path, spec, load_dataset(path, spec)))
    panel = window.data_controller.panel
    with qtbot.waitSignal(window.data_controller.dialog_opened, timeout=TIMEOUT) as opened:
        qtbot.mouseClick(panel.edit_button, Qt.MouseButton.LeftButton)
    dlg = opened.args[0]
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        pass
    assert dlg.mode_series.isChecked()
    assert dlg.lags_spin.value() == 5
    assert dlg.series_combo.currentData() == "temp_max"
    assert dlg.time_combo.currentData() == "date"
    assert dlg.split_chrono.isChecked()
    assert dlg.val_spin.value() == 25
    assert dlg.current_spec() == DataSpec.from_dict({**spec.to_dict(), "delimiter": ","})  # as read
    assert dlg.ok_button.isEnabled()
    dlg.done(0)


# ---------------------------------------------------------------------------- bad input
def _write(tmp_path, name, content) -> str:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(p)


BAD_FILES = {
    "empty": (b"", "is empty"),
    "header_only": ("a,b,c\n", "header row but no data rows"),
    "one_column": ("y\n1\n2\n3\n4\n", "single column"),
    "ragged": ("a,b,y\n1,2,3\n4,5,6,7\n8,9,10\n", "line 3 has 4 fields"),
    "binary": (b"\x00\x01\x02\x03binary\x00junk\xff\xfe" * 20, "binary file"),
    "not_utf8": ("name,x,y\n".encode() + "café,1,2\n".encode("latin-1") * 3, "not UTF-8"),
    "one_class": ("x1,x2,label\n1,2,a\n3,4,a\n5,6,a\n7,8,a\n",
                  "target 'label' is constant (every value is 'a'): there is nothing to predict"),
    "constant_number": ("x,y\n" + "".join(f"{i},5\n" for i in range(40)),
                        "target 'y' is constant (every value is 5): there is nothing to predict"),
    "too_few": ("x,y\n1,2\n3,4\n", "only 2 examples left (2 rows read); with 20 % validation at least 3"),
    "all_dropped": ("a,b,y\n,1,1\n2,,2\n,3,3\n4,,4\n", "no examples left"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_shows_a_specific_message_and_blocks_ok(qtbot, window, monkeypatch, tmp_path, case):
    content, expected = BAD_FILES[case]
    doc = window.document
    before = (doc.data_path, input_features(doc))
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, f"{case}.csv", content))
    assert not dlg.ok_button.isEnabled()
    assert expected in dlg.blocked_reason()
    assert expected in dlg.message_label.text()
    assert expected in dlg.ok_button.toolTip()
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)     # a disabled OK does nothing
    assert dlg.isVisible() and dlg.result is None
    dlg.done(0)
    assert (doc.data_path, input_features(doc)) == before


def test_lags_larger_than_the_series(qtbot, window, monkeypatch, tmp_path):
    path = _write(tmp_path, "short.csv", "t,v\n" + "".join(f"{i},{i * 1.5}\n" for i in range(10)))
    dlg = open_import(qtbot, window, monkeypatch, path)
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.mode_series, Qt.MouseButton.LeftButton)
    assert dlg.ok_button.isEnabled()
    dlg.lags_spin.selectAll()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.keyClicks(dlg.lags_spin, "12")
    assert not dlg.ok_button.isEnabled()
    assert "larger than the series" in dlg.blocked_reason()


def test_no_target_and_no_feature_are_named(qtbot, window, monkeypatch):
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("iris.csv"))
    set_role(qtbot, dlg, "species", "ignore")
    assert not dlg.ok_button.isEnabled() and "choose a target" in dlg.blocked_reason()
    set_role(qtbot, dlg, "species", "target")
    assert dlg.ok_button.isEnabled()
    for name in ["sepal length (cm)", "sepal width (cm)", "petal length (cm)"]:
        set_role(qtbot, dlg, name, "ignore")
    set_role(qtbot, dlg, "petal width (cm)", "ignore")
    assert "at least one feature" in dlg.blocked_reason()


def test_changing_the_delimiter_rereads_the_file(qtbot, window, monkeypatch, tmp_path):
    path = _write(tmp_path, "semi.csv", "a;b;y\n1;2;3\n4;5;6\n7;8;9\n1;1;1\n")
    dlg = open_import(qtbot, window, monkeypatch, path)
    assert dlg.delimiter_combo.currentData() == ";"
    assert dlg.ok_button.isEnabled()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(dlg.delimiter_combo, qtbot, ",")
    assert dlg.columns_table.rowCount() == 1
    assert "single column" in dlg.blocked_reason()


# ---------------------------------------------------------------------------- large files
def _big_csv(tmp_path, rows: int = 300_000, cols: int = 20) -> str:
    rng = np.random.default_rng(0)
    block = rng.normal(size=(1000, cols)) * 100
    lines = "".join(",".join(f"{v:.3f}" for v in row) + "\n" for row in block).encode()
    p = tmp_path / "big.csv"
    with open(p, "wb") as f:
        f.write((",".join(f"c{j}" for j in range(cols)) + "\n").encode())
        for _ in range(rows // 1000):
            f.write(lines)
    return str(p)


def test_cancel_a_large_load_stops_it(qtbot, window, monkeypatch, tmp_path):
    path = _big_csv(tmp_path)
    assert os.path.getsize(path) > 30e6
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (path, ""))
    # the read takes a fraction of a second: hold it until Cancel is clicked,
    # so the click surely lands in the middle of the read
    gate = hold_reads(monkeypatch, after_first_block=True)
    ctl = window.data_controller
    with qtbot.waitSignal(ctl.dialog_opened, timeout=TIMEOUT) as opened:
        window.actionImportCsv.trigger()
    dlg = opened.args[0]
    seen = []
    dlg.loader.preview_ready.connect(lambda _p: seen.append("preview"))
    dlg.loader.table_loaded.connect(lambda _t: seen.append("loaded"))
    with qtbot.waitSignal(dlg.loader.progress_changed, timeout=TIMEOUT):
        pass
    assert seen == ["preview"]                       # the first rows show before the file is read
    assert dlg.preview_table.rowCount() == 50 and dlg.preview_table.columnCount() == 20
    assert dlg.progress_row.isVisible()
    with qtbot.waitSignal(dlg.loader.load_cancelled, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.cancel_load_button, Qt.MouseButton.LeftButton)
        gate.set()
    assert "loaded" not in seen and dlg.loaded is None
    assert dlg.progress.value() < 100
    assert not dlg.ok_button.isEnabled() and "cancelled" in dlg.blocked_reason()
    dlg.done(0)
    assert not any(t.is_alive() for t in dlg.loader._threads)


def test_a_large_file_loads_in_the_background(qtbot, tmp_path):
    path = _big_csv(tmp_path, rows=100_000)
    loader = CsvLoader()
    progress = []
    loader.progress_changed.connect(progress.append)
    with qtbot.waitSignal(loader.table_loaded, timeout=TIMEOUT) as done:
        loader.load(path)
    loaded = done.args[0]
    assert loaded.table.n_rows == 100_000 and len(loaded.profiles) == 20
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) > 1
    with qtbot.waitSignal(loader.dataset_built, timeout=TIMEOUT) as built:
        loader.build(loaded.table, DataSpec(target="c19"))
    assert built.args[0].n_features == 19
    loader.shutdown()


def test_only_the_latest_build_is_reported(qtbot):
    from engine.data import read_csv
    table = read_csv(dataset_path("iris.csv"))
    loader = CsvLoader()
    results = []
    loader.dataset_built.connect(results.append)
    loader.build(table, DataSpec(target="species", val_fraction=0.5))
    with qtbot.waitSignal(loader.dataset_built, timeout=TIMEOUT):
        loader.build(table, DataSpec(target="species", val_fraction=0.2))
    loader.shutdown()
    assert [r.n_val for r in results] == [30]


# ---------------------------------------------------------------------------- projects
def _project(path: str) -> Project:
    from engine.graph import sequential
    return Project(graph=sequential(4, [(8, "relu")], task="multiclass", outputs=3),
                   data_path=path, data_spec=DataSpec(target="species").to_dict())


def test_project_data_is_loaded(qtbot, window):
    window.project_data_loader(_project(dataset_path("iris.csv")))
    ds = window.document.dataset
    assert ds is not None and ds.n_features == 4
    assert not window.data_controller.panel.problem_label.isVisibleTo(window.data_controller.panel)


def test_a_moved_project_csv_is_located_by_the_user(qtbot, window, monkeypatch, tmp_path):
    asked = []

    def locate(*args, **kw):
        asked.append(args[1])
        return dataset_path("iris.csv"), ""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", locate)
    window.project_data_loader(_project(str(tmp_path / "gone" / "iris.csv")))
    assert asked and "iris.csv" in asked[0]
    assert window.document.data_path == dataset_path("iris.csv")
    assert window.document.dataset.n_features == 4
    assert window.document.is_modified()


def test_a_moved_project_csv_not_located_keeps_the_project(qtbot, window, monkeypatch, tmp_path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    missing = str(tmp_path / "gone" / "iris.csv")
    graph_before = window.document.graph
    window.project_data_loader(_project(missing))
    doc = window.document
    assert doc.graph is graph_before
    assert doc.dataset is None and doc.data_path == missing
    assert doc.data_spec == DataSpec(target="species")
    panel = window.data_controller.panel
    assert "was not found" in panel.problem_label.text()


def test_a_latin1_file_reads_after_choosing_its_encoding(qtbot, window, monkeypatch, tmp_path):
    content = "name,x,y\n".encode() + "".join(f"café{i % 2},{i},{i * 2}\n" for i in range(8)).encode("latin-1")
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "latin.csv", content))
    assert "not UTF-8" in dlg.blocked_reason() and "Encoding" in dlg.blocked_reason()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(dlg.encoding_combo, qtbot, "latin-1")
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    assert dlg.loaded.table.frame["name"].iloc[0] == "café0"
    assert dlg.preview_table.item(0, 0).text() == "café0"


def test_opening_a_csv_shows_the_import_view_and_lists_it_in_recent_files(qtbot, window):
    if not hasattr(window, "open_path"):
        pytest.skip("needs the real main window")
    path = dataset_path("iris.csv")
    with qtbot.waitSignal(window.data_controller.dialog_opened, timeout=TIMEOUT) as opened:
        assert window.open_path(path)
    dlg = opened.args[0]
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        pass
    confirm(qtbot, window, dlg)
    assert window.recent_files()[0] == os.path.abspath(path)
    assert window.document.data_path == os.path.abspath(path)


def test_a_ragged_row_is_marked_in_the_preview(qtbot, window, monkeypatch, tmp_path):
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "r.csv", "a,b,y\n1,2,3\n4,5,6,7\n"))
    assert "line 3 has 4 fields" in dlg.blocked_reason()
    assert dlg.preview_table.item(1, 3).text() == "7"
    assert "4 fields" in dlg.preview_table.item(1, 0).toolTip()
    assert dlg.preview_table.item(0, 0).toolTip() == ""


def test_unusable_saved_settings_fall_back_to_defaults(qtbot):
    dlg = ImportDialog(dataset_path("iris.csv"), {"target": "species", "lags": "many"})
    qtbot.addWidget(dlg)
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        dlg.show()
    assert dlg.role_of("species") == "target" and dlg.ok_button.isEnabled()
    dlg.done(0)


# ---------------------------------------------------------------------------- reading options
def _save_and_reopen(qtbot, window, monkeypatch, tmp_path) -> None:
    """File → Save As, File → New, then open the saved project; returns once its data loaded."""
    if not hasattr(window, "io"):
        pytest.skip("needs the real main window")
    project = str(tmp_path / "saved.ncproj")
    monkeypatch.setattr(window, "ask_save_path", lambda: project)
    window.actionSaveAs.trigger()
    assert os.path.exists(project)
    window.actionNew.trigger()
    assert window.document.dataset is None
    with qtbot.waitSignal(window.data_controller.project_data_loaded, timeout=TIMEOUT) as loaded:
        assert window.open_path(project)
    assert loaded.args == [True], window.data_controller.panel.problem_label.text()


def test_a_latin1_semicolon_file_reopens_from_its_project(qtbot, window, monkeypatch, tmp_path):
    content = "ville;x;y\n".encode() + "".join(
        f"Orléans{i % 3};{i},5;{2 * i}\n" for i in range(12)).encode("latin-1")
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "villes.csv", content))
    assert "not UTF-8" in dlg.blocked_reason()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(dlg.encoding_combo, qtbot, "latin-1")
    assert dlg.delimiter_combo.currentData() == ";"
    assert dlg.role_of("y") == "target"
    confirm(qtbot, window, dlg)
    spec = window.document.data_spec
    assert (spec.delimiter, spec.encoding, spec.header) == (";", "latin-1", True)
    before = window.document.dataset
    _save_and_reopen(qtbot, window, monkeypatch, tmp_path)
    ds = window.document.dataset
    assert ds.feature_names == before.feature_names == ["ville=Orléans0", "ville=Orléans1", "ville=Orléans2", "x"]
    np.testing.assert_array_equal(ds.X_raw("train"), before.X_raw("train"))
    assert window.document.data_spec == spec


def test_a_file_without_a_header_row_is_detected_and_reopens(qtbot, window, monkeypatch, tmp_path):
    path = _write(tmp_path, "nohead.csv", "".join(f"{i},{i % 4},{3 * i + 1}\n" for i in range(20)))
    dlg = open_import(qtbot, window, monkeypatch, path)
    assert not dlg.header_check.isChecked()                   # numbers only: the first line is data
    assert [dlg.columns_table.item(i, 0).text() for i in range(3)] == ["column 1", "column 2", "column 3"]
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    assert dlg.loaded.table.n_rows == 20
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):   # the person says: it has a header
        qtbot.mouseClick(dlg.header_check, Qt.MouseButton.LeftButton)
    assert not dlg.ok_button.isEnabled()
    assert "no header row" in dlg.blocked_reason() and "First row holds" in dlg.blocked_reason()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.header_check, Qt.MouseButton.LeftButton)
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    confirm(qtbot, window, dlg)
    assert window.document.data_spec.header is False
    assert window.document.dataset.n_train + window.document.dataset.n_val == 20
    _save_and_reopen(qtbot, window, monkeypatch, tmp_path)
    assert window.document.dataset.n_train + window.document.dataset.n_val == 20
    assert window.document.dataset.target_name == "column 3"


def test_a_header_row_of_text_can_be_read_as_data(qtbot, window, monkeypatch, tmp_path):
    path = _write(tmp_path, "h.csv", "a,b,y\n" + "".join(f"{i},{i % 3},{i * 2}\n" for i in range(9)))
    dlg = open_import(qtbot, window, monkeypatch, path)
    assert dlg.header_check.isChecked() and dlg.loaded.table.n_rows == 9
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.header_check, Qt.MouseButton.LeftButton)
    assert dlg.loaded.table.n_rows == 10                      # "a,b,y" is now a row of text
    assert dlg.loaded.table.column("column 1").kind == "text"
    assert dlg.preview_table.item(0, 0).text() == "a"


# ---------------------------------------------------------------------------- defaults, early columns
def test_default_target_is_the_last_column_with_a_hint(qtbot, window, monkeypatch):
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("auto_mpg.csv"))
    assert dlg.role_of("Origin") == "target"
    assert "the last column" in dlg.summary_label.text()
    set_role(qtbot, dlg, "Miles_per_Gallon", "target")
    assert "the last column" not in dlg.summary_label.text()


def test_an_id_like_last_column_is_not_the_default_target(qtbot, window, monkeypatch, tmp_path):
    rows = "".join(f"{i},{i % 7},{2 * i},id-{i:04d}\n" for i in range(80))
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "ids.csv", "a,b,y,key\n" + rows))
    assert dlg.role_of("key") == "ignore" and dlg.role_of("y") == "target"
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()


def test_columns_are_listed_from_the_first_rows_and_roles_chosen_early_are_kept(qtbot, window, monkeypatch,
                                                                                 tmp_path):
    path = _big_csv(tmp_path, rows=200_000)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (path, ""))
    gate = hold_reads(monkeypatch)              # the read waits until the role is chosen
    ctl = window.data_controller
    with qtbot.waitSignal(ctl.dialog_opened, timeout=TIMEOUT) as opened:
        window.actionImportCsv.trigger()
    dlg = opened.args[0]
    with qtbot.waitSignal(dlg.loader.preview_ready, timeout=TIMEOUT):
        pass
    assert dlg.loaded is None                                   # still reading …
    assert dlg.columns_table.rowCount() == 20                   # … but every column is listed
    assert dlg.columns_table.item(0, 1).text() == "number" and dlg.columns_table.item(0, 1).font().italic()
    assert dlg.role_of("c19") == "target" and not dlg.ok_button.isEnabled()
    choose(dlg._role_boxes["c0"], qtbot, "target")              # chosen while the file is read
    assert dlg.loaded is None
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        gate.set()
    assert dlg.loaded is not None and not dlg.columns_table.item(0, 1).font().italic()
    assert dlg.role_of("c0") == "target" and dlg.role_of("c19") == "feature"
    assert dlg.dataset.target_name == "c0" and dlg.ok_button.isEnabled()
    dlg.done(0)


def test_weights_trained_on_other_data_are_dropped_by_an_import_and_back_on_undo(qtbot, window,
                                                                                 monkeypatch, tmp_path):
    """Weights trained on one dataset were kept after importing another of the same width, so
    Export wrote the old model as if it fitted the new data. Now the import clears them (the
    export then asks as for an untrained model) and Undo brings them back with the old data."""
    doc = window.document
    _trained_on_temp_max(qtbot, window, monkeypatch)
    trained = doc.weights
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("seattle_weather.csv"))
    set_role(qtbot, dlg, "temp_min", "target")              # same width, another target
    confirm(qtbot, window, dlg)
    assert doc.data_spec.target == "temp_min"
    assert doc.weights is None and doc.history is None
    asked = []

    def answer_no(parent, title, *rest, **kw):
        asked.append(title)
        return QMessageBox.StandardButton.No
    monkeypatch.setattr("gui.data.export.QMessageBox.question", answer_no)
    out = tmp_path / "m.onnx"
    assert window.data_controller.exporter.export(path=str(out)) is False
    assert asked == ["Export an untrained model?"] and not out.exists()
    doc.undo_stack.undo()
    assert doc.data_spec.target == "temp_max" and doc.weights is trained


# ---------------------------------------------------------------------------- date columns
def _row(dlg: ImportDialog, name: str) -> int:
    t = dlg.columns_table
    return next(i for i in range(t.rowCount()) if t.item(i, 0).text() == name)


def test_auto_mpg_year_is_a_date_used_as_one_number(qtbot, window, monkeypatch):
    """Year ("1970-01-01" …) was text and became 12 one-hot features; now it is a date
    column, shown as one, fed as the decimal year."""
    from gui.data.column_chart import PROFILE_ROLE
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("auto_mpg.csv"))
    set_role(qtbot, dlg, "Miles_per_Gallon", "target")
    i = _row(dlg, "Year")
    t = dlg.columns_table
    assert t.item(i, 1).text() == "date"
    qtbot.waitUntil(lambda: t.item(i, 5).text().startswith("1970 … 1982"), timeout=TIMEOUT)
    profile = t.item(i, 4).data(PROFILE_ROLE)
    assert profile.kind == "date" and int(profile.hist.sum()) == 406
    assert len(profile.hist) == 13                          # one bar per year, 1970 … 1982
    box = dlg._role_boxes["Year"]
    assert [box.itemData(k) for k in range(box.count())] == ["feature", "ignore"]   # never a target
    assert dlg.role_of("Year") == "feature"
    text = dlg.summary_label.text()
    assert "Year as a number (decimal year)" in text and "Year (year)" in text
    assert "Year →" not in text                             # not one-hot encoded
    confirm(qtbot, window, dlg)
    ds = window.document.dataset
    assert ds.n_features == 5 + 1 + 3 and "Year (year)" in ds.feature_names
    assert input_features(window.document) == 9


def test_a_date_column_is_the_time_axis_in_series_mode(qtbot, window, monkeypatch):
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("seattle_weather.csv"))
    assert dlg.columns_table.item(_row(dlg, "date"), 1).text() == "date"
    assert "target" not in [dlg._role_boxes["date"].itemData(k) for k in range(dlg._role_boxes["date"].count())]
    set_role(qtbot, dlg, "temp_max", "target")
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.mode_series, Qt.MouseButton.LeftButton)
    assert dlg.time_combo.currentData() == "date" and dlg.role_of("date") == "time"
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        dlg.time_combo.setCurrentIndex(0)                   # (row number)
        dlg._on_time_changed()
    box = dlg._role_boxes["date"]
    assert box.isEnabled() and box.findData("time") >= 0    # offered back in its role combo
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(box, qtbot, "time")
    assert dlg.time_combo.currentData() == "date" and not box.isEnabled()
    confirm(qtbot, window, dlg)
    ds = window.document.dataset
    assert ds.spec.time_column == "date" and ds.time_values[0] == "2012/01/01"


def test_a_date_in_the_last_column_is_not_the_default_target(qtbot, window, monkeypatch, tmp_path):
    rows = "".join(f"{i},{2 * i + 1},2020-01-{i + 1:02d}\n" for i in range(20))
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "d.csv", "x,y,when\n" + rows))
    assert dlg.role_of("y") == "target" and dlg.role_of("when") == "feature"
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    assert dlg.dataset.feature_names == ["x", "when (year)"]


def test_the_first_rows_already_show_a_date_type():
    from gui.data.import_dialog import _guess_columns
    cols = _guess_columns({"delimiter": ",", "header": ["when", "v", "w"],
                           "rows": [["2012/01/0%d" % d, str(d), "x"] for d in range(1, 8)]})
    assert [c.kind for c in cols] == ["date", "number", "text"]


# ---------------------------------------------------------------------------- number columns as categories
def _auto_mpg_cylinders_kept() -> list[str]:
    """Cylinders values of the rows the import keeps (MPG and Horsepower present), as labels."""
    import pandas as pd
    raw = pd.read_csv(dataset_path("auto_mpg.csv"))
    kept = raw.dropna(subset=["Miles_per_Gallon", "Horsepower"])
    return [str(int(v)) for v in sorted(kept["Cylinders"].unique())]


def test_auto_mpg_cylinders_switched_to_category_is_one_hot_and_kept(qtbot, window, monkeypatch, tmp_path):
    from gui.data.column_chart import PROFILE_ROLE
    labels = _auto_mpg_cylinders_kept()
    k = len(labels)
    dlg = open_import(qtbot, window, monkeypatch, dataset_path("auto_mpg.csv"))
    set_role(qtbot, dlg, "Miles_per_Gallon", "target")
    t = dlg.columns_table
    i = _row(dlg, "Cylinders")
    box = dlg._type_boxes["Cylinders"]
    assert t.cellWidget(i, 1) is box and box.currentText() == "number"
    assert "Type of Cylinders" == box.accessibleName()
    assert "Origin" not in dlg._type_boxes and "Year" not in dlg._type_boxes      # text, date: no choice
    qtbot.waitUntil(lambda: "holds few whole values" in dlg.summary_label.text(), timeout=TIMEOUT)
    assert f"Cylinders ({', '.join(labels)})" in dlg.summary_label.text()       # the hint names the values
    assert "“category”" in box.toolTip()
    f_number = dlg.dataset.n_features
    assert "Cylinders" in dlg.dataset.feature_names

    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(box, qtbot, "category")
    assert dlg.type_of("Cylinders") == "category" and t.item(i, 1).text() == "category"
    profile = t.item(i, 4).data(PROFILE_ROLE)                    # bars per value, like text
    assert profile.kind == "category" and profile.labels == labels and len(profile.hist) == k
    assert t.item(i, 5).text() == f"{k} values: {', '.join(labels)}"
    text = dlg.summary_label.text()
    assert f"<b>Features F:</b> {f_number - 1 + k} " in text
    assert f"Cylinders → {k}" in text and "few whole values" not in text
    assert dlg.message_label.text() == f"Ready: 392 examples × {f_number - 1 + k} features."

    confirm(qtbot, window, dlg)
    doc = window.document
    ds = doc.dataset
    assert [n for n in ds.feature_names if n.startswith("Cylinders")] == [f"Cylinders={v}" for v in labels]
    assert "Cylinders=4" in ds.feature_names and "Cylinders" not in ds.feature_names
    assert input_features(doc) == f_number + k - 1
    assert doc.data_spec.categorical == ["Cylinders"]
    assert f"Cylinders → {k}" in panel_text(window, "features")

    # Edit import… reopens with Cylinders as a category
    with qtbot.waitSignal(window.data_controller.dialog_opened, timeout=TIMEOUT) as opened:
        qtbot.mouseClick(window.data_controller.panel.edit_button, Qt.MouseButton.LeftButton)
    dlg = opened.args[0]
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        pass
    assert dlg.type_of("Cylinders") == "category" and dlg._type_boxes["Cylinders"].currentText() == "category"
    assert dlg.current_spec().categorical == ["Cylinders"]
    assert dlg.ok_button.isEnabled() and dlg.dataset.n_features == f_number + k - 1
    with qtbot.waitSignal(dlg.finished, timeout=TIMEOUT):
        dlg.buttons.button(dlg.buttons.StandardButton.Cancel).click()

    # … and so does the project file
    _save_and_reopen(qtbot, window, monkeypatch, tmp_path)
    assert window.document.data_spec.categorical == ["Cylinders"]
    assert "Cylinders=8" in window.document.dataset.feature_names
    assert input_features(window.document) == f_number + k - 1


def test_a_number_target_as_a_category_is_classification(qtbot, window, monkeypatch, tmp_path):
    rows = "".join(f"{i},{i % 20}\n" for i in range(200))          # 20 whole values: auto says regression
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "codes.csv", "x,code\n" + rows))
    assert dlg.role_of("code") == "target" and dlg.dataset.task == "regression"
    box = dlg._type_boxes["code"]
    box.setFocus()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.keyClick(box, Qt.Key.Key_Down)                     # the keyboard: number → category
    assert dlg.type_of("code") == "category"
    assert dlg.dataset.task == "multiclass" and dlg.dataset.classes[:3] == ["0", "1", "2"]
    assert dlg.task_combo.currentText() == "Auto (classification)"
    assert "classification, 20 classes" in dlg.summary_label.text()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(dlg.task_combo, qtbot, "regression")
    assert not dlg.ok_button.isEnabled()
    assert "target 'code' is marked as a category; choose task classification" in dlg.blocked_reason()
    dlg.done(0)


def test_a_category_cannot_be_the_series(qtbot, window, monkeypatch, tmp_path):
    rows = "".join(f"{i % 5},{i * 0.5}\n" for i in range(60))
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "s.csv", "k,v\n" + rows))
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(dlg._type_boxes["k"], qtbot, "category")
    set_role(qtbot, dlg, "k", "target")
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        qtbot.mouseClick(dlg.mode_series, Qt.MouseButton.LeftButton)
    assert dlg.series_combo.currentData() == "v"                 # a number column is preferred
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(dlg.series_combo, qtbot, "k")
    assert not dlg.ok_button.isEnabled()
    assert "column 'k' is marked as a category; lagged values need a number column" in dlg.blocked_reason()
    dlg.done(0)


def test_too_many_values_for_a_category_is_named(qtbot, window, monkeypatch, tmp_path):
    from engine.data import MAX_CATEGORIES
    n = MAX_CATEGORIES + 5
    rows = "".join(f"{i},{i % 7}\n" for i in range(n))
    dlg = open_import(qtbot, window, monkeypatch, _write(tmp_path, "ids.csv", "id,y\n" + rows))
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(dlg._type_boxes["id"], qtbot, "category")
    assert not dlg.ok_button.isEnabled()
    assert f"column 'id' has {n} distinct values, too many to one-hot encode" in dlg.blocked_reason()
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        choose(dlg._type_boxes["id"], qtbot, "number")
    assert dlg.ok_button.isEnabled(), dlg.blocked_reason()
    dlg.done(0)


def test_a_type_chosen_while_the_file_is_read_is_kept(qtbot, window, monkeypatch, tmp_path):
    rows = "".join(f"{i % 4},{i % 3},{i * 0.25}\n" for i in range(300))
    path = _write(tmp_path, "early.csv", "a,b,y\n" + rows)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (path, ""))
    gate = hold_reads(monkeypatch)
    with qtbot.waitSignal(window.data_controller.dialog_opened, timeout=TIMEOUT) as opened:
        window.actionImportCsv.trigger()
    dlg = opened.args[0]
    with qtbot.waitSignal(dlg.loader.preview_ready, timeout=TIMEOUT):
        pass
    assert dlg.loaded is None and dlg._type_boxes["a"].font().italic()    # guessed from the first rows
    choose(dlg._type_boxes["a"], qtbot, "category")
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        gate.set()
    assert dlg.loaded is not None and not dlg._type_boxes["a"].font().italic()
    assert dlg.type_of("a") == "category" and dlg.type_of("b") == "number"
    assert dlg.dataset.feature_names == ["a=0", "a=1", "a=2", "a=3", "b"]
    dlg.done(0)


@pytest.mark.parametrize("content, column", [
    ('city,population,area\nA,"1,234",1.5\nB,"12,345,678",2.5\nC,999,3\nD,"4,000",4\n', "population"),
    ("city;population;area\nA;1.234,5;1,5\nB;12.345.678;2,5\nC;999;3\nD;4.000;4\n", "population"),
], ids=["comma", "semicolon"])
def test_the_preview_shows_the_type_the_engine_reads(qtbot, window, monkeypatch, tmp_path, content, column):
    """Was: "1,234" (thousands separators) was text in the preview but a number after the full
    read. The preview now types its rows by the engine's rules (engine.table.type_rows)."""
    from engine.table import read_csv
    path = _write(tmp_path, "grouped.csv", content)
    engine_kinds = {c.name: c.kind for c in read_csv(path).columns}
    assert engine_kinds[column] == "number"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (path, ""))
    gate = hold_reads(monkeypatch)              # the view shows the preview's types until the read ends
    with qtbot.waitSignal(window.data_controller.dialog_opened, timeout=TIMEOUT) as opened:
        window.actionImportCsv.trigger()
    dlg = opened.args[0]
    with qtbot.waitSignal(dlg.loader.preview_ready, timeout=TIMEOUT):
        pass
    t = dlg.columns_table
    assert dlg.loaded is None and t.item(_row(dlg, column), 1).font().italic()     # still the preview
    assert {t.item(i, 0).text(): t.item(i, 1).text() for i in range(t.rowCount())} == engine_kinds
    assert column in dlg._type_boxes                                   # a number column's type combo
    with qtbot.waitSignal(dlg.summary_updated, timeout=TIMEOUT):
        gate.set()
    assert dlg.loaded is not None
    assert {t.item(i, 0).text(): t.item(i, 1).text() for i in range(t.rowCount())} == engine_kinds
    dlg.done(0)

