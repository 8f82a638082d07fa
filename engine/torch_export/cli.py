"""``python main.py export-torch --project FILE.ncproj --out DIR [--force]``.

Bad input (no project, a folder that cannot be written, a folder that exists and is not empty
without ``--force``) ends with exit status 2 and one line ``netcanvas export-torch: error: …``,
like ``netcanvas train``.
"""
from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main"]

PROG = "netcanvas export-torch"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Write a standalone PyTorch training package (DDP with torchrun) "
                                       "for a saved project.")
    p.add_argument("--project", required=True, help="the saved .ncproj project")
    p.add_argument("--out", required=True, help="the package folder to write (new or empty)")
    p.add_argument("--force", action="store_true", help="replace a folder that exists and is not empty")
    p.add_argument("--quiet", action="store_true", help="no message on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    from ..project import ProjectError, load_project
    from . import TorchExportError, check_target, export_torch_package
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        check_target(args.out, args.force)          # before reading the data: a quick refusal
        project = load_project(args.project)
        info = export_torch_package(project, args.out, force=args.force)
    except SystemExit as exc:                       # --help
        return int(exc.code or 0)
    except (_UsageError, ProjectError, TorchExportError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line for the user
        if os.environ.get("NETCANVAS_DEBUG"):
            raise
        print(f"{PROG}: error: internal error ({type(exc).__name__}: {exc}); set NETCANVAS_DEBUG=1 for details",
              file=sys.stderr)
        return 1
    if not args.quiet:
        weights = "trained weights" if info.trained else "fresh weights (the project is untrained)"
        print(f"wrote {info.path}: {len(info.files)} files, {weights}, {info.golden_rows} golden rows; "
              f"check it with: cd {info.path} && python verify.py", file=sys.stderr)
    return 0
