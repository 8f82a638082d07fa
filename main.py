"""NetCanvas entry point.

    python main.py [FILE]          open the window (optionally a project or a CSV)
    python main.py train ...       train headless; see `python main.py train --help`
    python main.py export-torch ... a PyTorch training package; see `python main.py export-torch --help`

The window's arguments are read here, before Qt is imported, so that
``--help`` and a mistyped option answer at once and never open a window.
"""
import sys

USAGE = """\
usage: python main.py [PROJECT.ncproj | DATA.csv]
       python main.py train --csv FILE --target COL ... | --project FILE ...
       python main.py export-torch --project FILE.ncproj --out DIR [--force]

  python main.py                   open the NetCanvas window with the example project
  python main.py FILE              open the window with a project (.ncproj) or a CSV file to import
  python main.py train ...         train without a window; see `python main.py train --help`
  python main.py export-torch ...  write a PyTorch (torchrun/DDP) training package of a project
  python main.py -- FILE           a FILE whose name starts with '-'

options:
  -h, --help                       show this message and exit
"""


class ArgumentError(Exception):
    """Arguments the window does not understand: one line, exit status 2."""


def window_args(argv: list[str]) -> tuple[list[str], bool]:
    """``(files, wants_help)`` from the window's arguments; raises ArgumentError.

    Options are read in order up to ``--``: ``-h``/``--help`` asks for the usage,
    any other word starting with ``-`` is an error. At most one file is opened.
    """
    files: list[str] = []
    options_end = False
    for arg in argv:
        if options_end or not arg.startswith("-") or arg == "-":
            files.append(arg)
        elif arg == "--":
            options_end = True
        elif arg in ("-h", "--help"):
            return [], True
        else:
            raise ArgumentError(f"unknown option '{arg}'")
    if len(files) > 1:
        raise ArgumentError(f"give one file to open, not {len(files)}")
    return files, False


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "train":
        from engine.cli import main as train_main
        return train_main(argv[1:])
    if argv and argv[0] == "export-torch":
        from engine.torch_export.cli import main as export_torch_main
        return export_torch_main(argv[1:])
    try:
        files, wants_help = window_args(argv)
    except ArgumentError as exc:
        print(f"netcanvas: error: {exc} (see python main.py --help)", file=sys.stderr)
        return 2
    if wants_help:
        print(USAGE, end="")
        return 0
    from gui.app import run
    return run(files)


if __name__ == "__main__":
    sys.exit(main())
