"""NetCanvas entry point.

    python main.py [FILE]          open the window (optionally a project or a CSV)
    python main.py train ...       train headless; see `python main.py train --help`
"""
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "train":
        from engine.cli import main as train_main
        return train_main(argv[1:])
    from gui.app import run
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
