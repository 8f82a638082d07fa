"""Opening, saving and starting projects for the main window.

Everything goes through ``engine.project``; nothing a person did is lost
silently: replacing a modified project asks Save / Discard / Cancel first.
The window is reached only through :class:`gui.window.protocols.WindowServices`
(dialogs are its ``ask_*`` and ``show_error`` methods).
"""
from __future__ import annotations

import os

from PySide6.QtWidgets import QMessageBox

from engine.graph import Graph
from engine.project import Project, ProjectError, load_project, save_project

from gui.window.examples import EXAMPLES, build_example, example_index, example_path
from gui.window.protocols import WindowServices

__all__ = ["ProjectIO", "PROJECT_EXTENSIONS"]

PROJECT_EXTENSIONS = (".ncproj", ".json")


def _spec_from_dict(d):
    if d is None:
        return None
    try:
        from engine.data import DataSpec
        return DataSpec.from_dict(d)
    except Exception:            # a spec the data pipeline cannot use is kept as-is
        return d


def _spec_to_dict(spec):
    if spec is None or isinstance(spec, dict):
        return spec
    return spec.to_dict()


class ProjectIO:
    def __init__(self, window: WindowServices) -> None:
        self.w = window

    @property
    def doc(self):
        return self.w.document

    # -- asking -----------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when the current project may be replaced (saved, discarded or unmodified)."""
        if not self.doc.is_modified():
            return True
        B = QMessageBox.StandardButton
        answer = self.w.ask_unsaved()
        if answer == B.Save:
            return self.save()
        return answer == B.Discard

    # -- new / open -------------------------------------------------------------------
    def new_project(self) -> bool:
        if not self.maybe_save():
            return False
        g = Graph()
        g.add_node("input", {"features": 1}, "input")
        g.add_node("output", {}, "output")
        self.doc.replace(g, {"input": (0.0, 0.0), "output": (460.0, 0.0)}, name="Untitled")
        self.w.statusBar().showMessage("New network: drag layers from the palette between Input and Output", 6000)
        return True

    def open_dialog(self) -> bool:
        path = self.w.ask_open_path()
        return self.open_path(path) if path else False

    def open_path(self, path: str) -> bool:
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        if ext in (".csv", ".tsv", ".txt"):
            handler = self.w.csv_import_handler
            if handler is None:
                self.w.show_error("Import CSV", f"CSV import is not available yet, so {os.path.basename(path)} "
                                                 "cannot be opened.")
                return False
            handler(path)
            return True
        if ext not in PROJECT_EXTENSIONS:
            self.w.show_error("Open", f"{os.path.basename(path)} is neither a NetCanvas project (.ncproj) "
                                       "nor a CSV file.")
            return False
        if not self.maybe_save():
            return False
        try:
            project = load_project(path)
        except ProjectError as exc:
            self.w.show_error("Cannot open project", str(exc))
            return False
        self.apply_project(project, os.path.abspath(path))
        self.w.add_recent(path)
        self.w.statusBar().showMessage(f"Opened {os.path.basename(path)}", 5000)
        return True

    def open_example(self, index: int | str, ask: bool = True) -> bool:
        """Open a built-in example (its place in the menu or its file name) as an unsaved copy."""
        if ask and not self.maybe_save():
            return False
        index = example_index(index)
        path = example_path(index)
        try:
            project = load_project(path)
        except ProjectError:
            project = build_example(index)        # the file is missing or stale: build it from code
        project.name = project.name or EXAMPLES[index].name
        self.apply_project(project, None)         # a copy: Save asks where, the example stays intact
        return True

    def apply_project(self, project: Project, path: str | None) -> None:
        """Show ``project`` in the window (path None: an unsaved copy, e.g. an example)."""
        name = project.name or (os.path.splitext(os.path.basename(path))[0] if path else "Untitled")
        self.doc.replace(project.graph, project.positions, path=path, name=name, notes=project.notes,
                         data_path=project.data_path, data_spec=_spec_from_dict(project.data_spec),
                         dataset=None, train_config=project.train_config, weights=project.weights,
                         history=project.history, runs=project.runs)
        loader = self.w.project_data_loader
        if loader is not None and project.data_path:
            loader(project)

    # -- save -------------------------------------------------------------------------
    def save(self) -> bool:
        if not self.doc.path:
            return self.save_as()
        return self.write(self.doc.path)

    def save_as(self) -> bool:
        path = self.w.ask_save_path()
        if not path:
            return False
        if os.path.splitext(path)[1].lower() not in PROJECT_EXTENSIONS:
            path += ".ncproj"
        return self.write(path)

    def current_project(self, name: str | None = None) -> Project:
        d = self.doc
        return Project(graph=d.graph.copy(), positions=dict(d.positions), data_path=d.data_path,
                       data_spec=_spec_to_dict(d.data_spec), train_config=d.train_config,
                       weights=d.weights, history=d.history, name=name or d.name, notes=d.notes,
                       runs=list(d.runs))

    def write(self, path: str) -> bool:
        path = os.path.abspath(path)
        name = self.doc.name
        if path != self.doc.path:
            name = os.path.splitext(os.path.basename(path))[0]
        self.doc.about_to_save.emit()          # a run in progress writes its weights so far
        try:
            save_project(self.current_project(name), path)
        except ProjectError as exc:
            self.w.show_error("Cannot save project", str(exc))
            return False
        self.doc.name = name
        self.doc.mark_saved(path)
        self.w.add_recent(path)
        self.w.update_title()
        self.w.statusBar().showMessage(f"Saved {path}", 5000)
        return True
