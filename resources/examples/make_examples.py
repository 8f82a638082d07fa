"""Write the built-in example projects next to this script.

    python resources/examples/make_examples.py

The examples are defined once in ``gui/window/examples.py``; this script saves each
as a project file whose ``data_path`` is relative (``../datasets/<csv>``), so
the folder can move with the program. It also writes ``index.json`` (file,
name, description) for menus and other tools.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

from engine.graph import GraphError  # noqa: E402
from engine.project import load_project, save_project  # noqa: E402
from gui.window.examples import EXAMPLES, build_example, example_path  # noqa: E402


def main() -> int:
    index = []
    for i, ex in enumerate(EXAMPLES):
        path = example_path(i)
        project = build_example(i)
        issues = project.graph.validate()
        if issues:
            raise GraphError(f"example {ex.file} is invalid: {issues[0]}")
        save_project(project, path)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        doc["data_path_absolute"] = None        # keep machine-specific paths out of the repository
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")
        load_project(path)                      # must read back
        index.append({"file": ex.file, "name": ex.name, "description": ex.description})
        print("wrote", os.path.relpath(path))
    with open(os.path.join(HERE, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
