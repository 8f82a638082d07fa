"""Files a person names: read only regular files, write outputs without destroying anything.

The one home of these rules, used by the CLI and the window alike:

- **Reading** (:func:`open_regular`, :func:`check_regular`): only regular files. A FIFO, a
  device (``/dev/zero``), a socket or a pipe from ``<(…)`` would hang or never end; they are
  refused with a message that names what the path is. :func:`read_limited` adds a size limit.
- **Writing** (:func:`atomic_files`, :func:`commit_file`): a regular file is written to a
  temporary file next to it and renamed over it, so a failure leaves the old file. A symlink is
  followed (its target is updated, the link stays a link). A character device or a FIFO
  (``/dev/null``, ``/dev/stdout``) is written in place, never replaced by a regular file; a block
  device or a socket is refused. Temporary files are removed on any exception and on SIGTERM.
- **Collisions** (:func:`check_distinct`): one run's outputs must not overwrite its inputs or each
  other (an ``.npz`` export also writes the ``.json`` of the same name).

Pure standard library; never imports Qt.
"""
from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import signal
import stat
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["UnsafePathError", "open_regular", "check_regular", "read_limited", "output_target",
           "check_output", "check_distinct", "atomic_files", "commit_file", "temporary_path",
           "PROJECT_SIZE_LIMIT"]

PROJECT_SIZE_LIMIT = 1 << 30        # a project file larger than 1 GiB is not one


class UnsafePathError(ValueError):
    """A path that cannot safely be read or written as asked; one line for a person."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (a FIFO, or a stream such as <(…) or /dev/stdin)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(path: str, mode: int, what: str) -> UnsafePathError:
    if stat.S_ISDIR(mode):
        return UnsafePathError(f"{path} is a folder, not a {what} file")
    return UnsafePathError(f"{path} is {_kind(mode)}, not a regular {what} file; NetCanvas reads only "
                           f"regular files" + (" (save the data to a file first)" if what != "project" else ""))


# -- reading ------------------------------------------------------------------------------------------
def check_regular(path: str | os.PathLike, what: str = "data") -> os.stat_result:
    """``os.stat`` of ``path`` (following links) if it is a regular file; UnsafePathError if
    it is anything else. FileNotFoundError passes through."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(os.fspath(path), st.st_mode, what)
    return st


def open_regular(path: str | os.PathLike, what: str = "data"):
    """Open ``path`` for binary reading if it is a regular file, without ever blocking:
    a FIFO is opened non-blocking and refused (a plain ``open`` would wait for a writer)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(os.fspath(path), st.st_mode, what)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_limited(path: str | os.PathLike, limit: int, what: str = "project") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (UnsafePathError otherwise)."""
    with open_regular(path, what) as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise UnsafePathError(f"{os.path.basename(os.fspath(path))} is {size / 2**20:,.0f} MB, larger "
                                  f"than any {what} file ({limit / 2**20:,.0f} MB at most)")
        data = f.read(limit + 1)
    if len(data) > limit:           # it grew while read
        raise UnsafePathError(f"{os.path.basename(os.fspath(path))} is larger than any {what} file")
    return data


# -- outputs ------------------------------------------------------------------------------------------
def output_target(path: str | os.PathLike) -> str:
    """The file a write to ``path`` must change: the absolute path with symlinks resolved
    (so a link's target is updated and the link stays)."""
    return os.path.realpath(os.path.abspath(os.fspath(path)))


def _is_stream(mode: int) -> bool:
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _stream_target(target: str) -> bool:
    """True when ``target`` exists and is written in place (a character device or a FIFO);
    UnsafePathError for a folder, a block device or a socket."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return False
    if stat.S_ISREG(st.st_mode):
        return False
    if _is_stream(st.st_mode):
        return True
    raise UnsafePathError(f"cannot write {target}: it is {_kind(st.st_mode)}")


def check_output(flag: str, path: str) -> None:
    """Fail before any work when an output file cannot be written where asked."""
    full = output_target(path)
    folder = os.path.dirname(full)
    if os.path.isdir(full):
        raise UnsafePathError(f"{flag}: {path} is a folder; give a file name")
    try:
        if _stream_target(full):
            return                  # /dev/null, /dev/stdout, a FIFO: written in place
    except UnsafePathError as exc:
        raise UnsafePathError(f"{flag}: {exc}") from None
    if not os.path.isdir(folder):
        what = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise UnsafePathError(f"{flag}: cannot write {path}: the folder {folder} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UnsafePathError(f"{flag}: cannot write {path}: the folder {folder} is not writable")


def _identity(path: str) -> tuple:
    """What two paths share when they name the same file (device and inode if it exists)."""
    target = output_target(path)
    try:
        st = os.stat(target)
    except OSError:
        return ("path", os.path.normcase(target))
    return ("inode", st.st_dev, st.st_ino)


def _written_in_place(path: str) -> bool:
    try:
        return _is_stream(os.stat(output_target(path)).st_mode)
    except OSError:
        return False


def check_distinct(outputs: list[tuple[str, str]], inputs: list[tuple[str, str]] = ()) -> None:
    """Refuse outputs that would overwrite an input or each other.

    ``outputs`` and ``inputs`` are ``(flag, path)`` pairs; an output flag may appear several
    times (an ``.npz`` export and its ``.json``). Devices and FIFOs (``/dev/null``) may be
    shared. UnsafePathError names both flags."""
    seen: dict[tuple, tuple[str, str]] = {}
    for flag, path in inputs:
        if path:
            seen.setdefault(_identity(path), (flag, path))
    for flag, path in outputs:
        if not path or _written_in_place(path):
            continue
        key = _identity(path)
        other = seen.get(key)
        if other is not None and other[0] != flag:
            oflag, opath = other
            is_input = any(oflag == f for f, _ in inputs)
            verb = "is the input of" if is_input else "is also written by"
            raise UnsafePathError(f"{flag} would overwrite {path}, which {verb} {oflag}; "
                                  f"give {flag} another file name")
        seen.setdefault(key, (flag, path))


# -- cleanup on SIGTERM ---------------------------------------------------------------------------------
_pending: set[str] = set()          # temporary files and folders being written
_lock = threading.Lock()
_depth = 0
_previous = None


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _on_sigterm(signum, frame) -> None:
    """Remove every temporary file being written, then do what SIGTERM did before."""
    for p in list(_pending):
        _remove(p)
    _pending.clear()
    previous = _previous if _previous is not None else signal.SIG_DFL
    signal.signal(signal.SIGTERM, previous)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        os.kill(os.getpid(), signal.SIGTERM)


@contextmanager
def _sigterm_cleanup() -> Iterator[None]:
    """While inside, a SIGTERM first removes the temporary files in ``_pending`` (only the main
    thread can handle signals; elsewhere the usual exception cleanup is all there is)."""
    global _depth, _previous
    main = threading.current_thread() is threading.main_thread()
    if main:
        with _lock:
            if _depth == 0:
                try:
                    _previous = signal.signal(signal.SIGTERM, _on_sigterm)
                except (ValueError, OSError):  # pragma: no cover - no signals here
                    main = False
            if main:
                _depth += 1
    try:
        yield
    finally:
        if main:
            with _lock:
                _depth -= 1
                if _depth == 0:
                    with contextlib.suppress(ValueError, OSError):
                        if signal.getsignal(signal.SIGTERM) is _on_sigterm:
                            signal.signal(signal.SIGTERM, _previous if _previous is not None else signal.SIG_DFL)
                    _previous = None


@contextmanager
def temporary_path(path: str) -> Iterator[str]:
    """Register ``path`` (a temporary file or folder) to be removed on SIGTERM while inside."""
    with _sigterm_cleanup():
        _pending.add(path)
        try:
            yield path
        finally:
            _pending.discard(path)


# -- writing --------------------------------------------------------------------------------------------
def _write_in_place(target: str, data: bytes) -> None:
    """Write ``data`` into a character device or a FIFO (never creating or replacing a file)."""
    flags = os.O_WRONLY | getattr(os, "O_BINARY", 0)
    if stat.S_ISFIFO(os.stat(target).st_mode):
        try:
            fd = os.open(target, flags | os.O_NONBLOCK)
        except OSError as exc:
            raise OSError(exc.errno, "no program is reading from this FIFO", target) from None
        os.set_blocking(fd, True)
    else:
        fd = os.open(target, flags)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def commit_file(candidate: str, target: str) -> None:
    """Put the finished file ``candidate`` at ``target`` (as :func:`atomic_files` does):
    renamed over a regular file (keeping its mode) or copied into a device or FIFO in place."""
    target = output_target(target)
    if _stream_target(target):
        with open(candidate, "rb") as f:
            _write_in_place(target, f.read())
        return
    with contextlib.suppress(OSError):      # an existing file keeps its mode
        os.chmod(candidate, os.stat(target).st_mode & 0o7777)
    os.replace(candidate, target)


@contextmanager
def atomic_files(paths: list[str | os.PathLike], binary: bool = False) -> Iterator[list]:
    """Open a temporary file next to each of ``paths``; on success flush, fsync and
    ``os.replace`` each over its target; on any failure (or SIGTERM) remove every temporary file.

    The targets are replaced only after all files were written, so a failure
    while writing leaves every old file untouched; if renaming fails part-way,
    the files already replaced are put back. Temporary files are created
    with the usual permissions (umask applies); an existing target's mode is kept.
    A symlink's target is written (the link stays); a character device or a FIFO is
    written in place after everything else succeeded; a block device or socket is refused.
    """
    targets = [output_target(p) for p in paths]
    streams = [_stream_target(t) for t in targets]
    temps: list[str] = []
    files: list = []
    with _sigterm_cleanup():
        try:
            for target, stream in zip(targets, streams):
                if stream:
                    temps.append("")
                    files.append(io.BytesIO() if binary else io.StringIO(newline="\n"))
                    continue
                folder, base = os.path.split(target)
                while True:
                    tmp = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.tmp")
                    try:
                        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                                     0o666)
                    except FileExistsError:  # pragma: no cover - 32 random bits collided
                        continue
                    break
                _pending.add(tmp)
                temps.append(tmp)
                files.append(os.fdopen(fd, "wb") if binary else
                             os.fdopen(fd, "w", encoding="utf-8", newline="\n"))
            yield files
            for f, stream in zip(files, streams):
                if not stream:
                    f.flush()
                    os.fsync(f.fileno())
                    f.close()
            regular = [(tmp, target) for tmp, target, stream in zip(temps, targets, streams) if not stream]
            for tmp, target in regular:
                with contextlib.suppress(OSError):
                    os.chmod(tmp, os.stat(target).st_mode & 0o7777)
            if regular:
                _replace_all([t for t, _ in regular], [t for _, t in regular])
                _fsync_dir(os.path.dirname(regular[0][1]))
            for f, target, stream in zip(files, targets, streams):
                if stream:
                    data = f.getvalue()
                    _write_in_place(target, data if binary else data.encode("utf-8"))
        except BaseException:
            for f in files:
                with contextlib.suppress(OSError):
                    f.close()
            for tmp in temps:
                if tmp:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
            raise
        finally:
            for tmp in temps:
                _pending.discard(tmp)


def _replace_all(temps: list[str], targets: list[str]) -> None:
    """Rename each temp file over its target. With several targets, a failure
    part-way puts back the files already replaced (from backups made first), so
    the set of files stays consistent: all new or all old."""
    if len(targets) == 1:
        os.replace(temps[0], targets[0])
        return
    backups: list[tuple[str, str | None]] = []      # (target, backup or None if it did not exist)
    done: list[tuple[str, str | None]] = []
    try:
        for target in targets:
            if os.path.isfile(target):
                backup = f"{target}.{secrets.token_hex(4)}.bak"
                try:
                    os.link(target, backup)
                except OSError:
                    shutil.copy2(target, backup)
                backups.append((target, backup))
            else:
                backups.append((target, None))
        for (target, backup), tmp in zip(backups, temps):
            os.replace(tmp, target)
            done.append((target, backup))
    except BaseException:
        for target, backup in reversed(done):
            try:
                if backup is None:
                    os.unlink(target)
                else:
                    os.replace(backup, target)
            except OSError:  # pragma: no cover - nothing better to do
                pass
        raise
    finally:
        for _, backup in backups:
            if backup is not None and os.path.exists(backup):
                try:
                    os.unlink(backup)
                except OSError:  # pragma: no cover
                    pass


def _fsync_dir(folder: str | None) -> None:
    """Make the rename durable where the platform allows it (best effort)."""
    if folder is None or os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
