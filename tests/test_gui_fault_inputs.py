"""The window with bad inputs (issue 10): special files never hang the import view, a damaged
project opened through File → Open shows one message and keeps the old project, and a project's
data outside its folder is read only after the person agrees. Acts as a person; waits on signals."""
import json
import os
import time

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from gui_data_helpers import open_import

TIMEOUT = 15_000

# -- 5 -------------------------------------------------------------------------------------------------
def test_importing_a_fifo_says_why_and_closes_at_once(qtbot, data_window, monkeypatch, tmp_path):
    window = data_window
    fifo = tmp_path / "live.csv"
    os.mkfifo(fifo)
    dlg = open_import(qtbot, window, monkeypatch, fifo)
    assert not dlg.ok_button.isEnabled()
    assert "is a pipe" in dlg.blocked_reason()
    t0 = time.perf_counter()
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert not dlg.isVisible()
    assert time.perf_counter() - t0 < 2.0          # no reader thread left waiting for a writer


# -- 8: File → Open of a damaged project ------------------------------------------------------------------
ROWS = "x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(40))


def saved_project(tmp_path, window, name="p.ncproj", data_text=ROWS, newline="\n"):
    """A project with data next to it, written by the CLI; returns (path, its JSON)."""
    from engine.cli import main
    data = tmp_path / f"{name}.csv"
    data.write_bytes(data_text.replace("\n", newline).encode())
    proj = tmp_path / name
    assert main(["--csv", str(data), "--target", "y", "--hidden", "2:sigmoid", "--epochs", "2", "--quiet",
                 "--save-project", str(proj)]) == 0
    return proj, json.loads(proj.read_text())


def open_with_menu(window, path) -> None:
    """File → Open, the dialog answering ``path`` (the person picks it)."""
    window.ask_open_path = lambda: str(path)
    window.actionOpen.trigger()


@pytest.mark.parametrize("field,damage,named", [
    ("history", lambda d: d["history"].update(update_loss=["0.5", "x"]), "history.update_loss"),
    ("history", lambda d: d["history"]["epochs"][0].update(train_loss="low"), "history.epochs[0].train_loss"),
    ("data_spec", lambda d: d["data_spec"].update(encoding="rot13"), "'rot13' is not a text encoding"),
    ("data_spec", lambda d: d["data_spec"].update(seed="one"), "data_spec"),
])
def test_a_damaged_project_shows_one_message_and_keeps_the_open_one(qtbot, data_window, tmp_path, capfd,
                                                                      field, damage, named):
    window = data_window
    good, _ = saved_project(tmp_path, window, "good.ncproj")
    with qtbot.waitSignal(window.data_controller.project_data_loaded, timeout=TIMEOUT):
        open_with_menu(window, good)
    before = (window.document.path, set(window.document.graph.nodes), window.document.dataset)
    bad, doc = saved_project(tmp_path, window, "bad.ncproj")
    damage(doc)
    bad.write_text(json.dumps(doc))
    window.errors.clear()
    open_with_menu(window, bad)
    assert len(window.errors) == 1 and named in window.errors[0]
    assert (window.document.path, set(window.document.graph.nodes), window.document.dataset) == before
    assert "Traceback" not in capfd.readouterr().err


def test_a_project_whose_data_has_cr_line_endings_opens_with_its_data(qtbot, data_window, tmp_path):
    window = data_window
    proj, _ = saved_project(tmp_path, window, "mac.ncproj", newline="\r")
    with qtbot.waitSignal(window.data_controller.project_data_loaded, timeout=TIMEOUT) as loaded:
        open_with_menu(window, proj)
    assert loaded.args == [True] and window.errors == []
    assert window.document.dataset.n_train + window.document.dataset.n_val == 40


def test_a_data_error_of_any_kind_keeps_the_project_open_without_traceback(qtbot, data_window, tmp_path,
                                                                            monkeypatch, capfd):
    """Start-up and File → Open load a project's data; an exception other than DataError (a bug
    or an odd file) is shown in the dataset panel, not printed as a traceback."""
    import gui.data.controller as controller
    window = data_window
    proj, _ = saved_project(tmp_path, window, "odd.ncproj")

    def odd(*a, **k):
        raise LookupError("an odd codec")
    monkeypatch.setattr(controller, "load_dataset", odd)
    with qtbot.waitSignal(window.data_controller.project_data_loaded, timeout=TIMEOUT) as loaded:
        assert window.open_path(str(proj))
    assert loaded.args == [False] and window.document.path == str(proj)
    assert "an odd codec" in window.data_controller.panel.problem_label.text()
    assert "Traceback" not in capfd.readouterr().err


# -- 14: data outside the project's folder needs the person's consent -----------------------------------------
def project_reading(tmp_path, window, data_path: str):
    proj, doc = saved_project(tmp_path, window, "hostile.ncproj")
    doc["data_path"], doc["data_path_absolute"] = data_path, None
    proj.write_text(json.dumps(doc))
    return proj


@pytest.mark.parametrize("answer", [False, True])
def test_outside_data_is_read_only_when_the_person_agrees(qtbot, data_window, tmp_path, answer):
    window = data_window
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere.csv"
    outside.write_text(ROWS)
    proj = project_reading(tmp_path, window, str(outside))
    asked = []
    window.ask_outside_data = lambda path: asked.append(path) or answer
    with qtbot.waitSignal(window.data_controller.project_data_loaded, timeout=TIMEOUT) as loaded:
        open_with_menu(window, proj)
    assert asked == [str(outside)]
    assert loaded.args == [answer] and (window.document.dataset is not None) == answer
    if not answer:
        assert "outside the project's folder" in window.data_controller.panel.problem_label.text()


def test_a_project_naming_a_system_file_shows_nothing_of_it(qtbot, data_window, tmp_path):
    window = data_window
    proj = project_reading(tmp_path, window, "../../../../../../../../../etc/passwd")
    window.ask_outside_data = lambda path: True          # even when the person agrees
    with qtbot.waitSignal(window.data_controller.project_data_loaded, timeout=TIMEOUT) as loaded:
        open_with_menu(window, proj)
    assert loaded.args == [False]
    shown = window.data_controller.panel.problem_label.text() + " ".join(window.errors)
    assert "root:" not in shown and "single column" in shown


def test_data_inside_the_projects_folder_is_read_without_asking(qtbot, data_window, tmp_path):
    window = data_window
    proj, _ = saved_project(tmp_path, window, "own.ncproj")
    window.ask_outside_data = lambda path: pytest.fail("asked for data in the project's own folder")
    with qtbot.waitSignal(window.data_controller.project_data_loaded, timeout=TIMEOUT) as loaded:
        open_with_menu(window, proj)
    assert loaded.args == [True]
