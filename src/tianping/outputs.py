"""User-chosen outputs: one place to check a path before any work and to write it atomically.

Every command that writes a file or a directory the user named (`--out`, `--ics`, `--output`, an
export's path argument) goes through these helpers:

* `check_file` / `check_dir` validate the path *before* the command does its work: the parent must
  exist, be a directory and be writable; a file output must not be an existing directory; a new
  directory output must not be a file or a non-empty directory.
* `write_text` / `write_bytes` / `atomic_file` / `atomic_path` write a file through a temporary
  file in the same directory, `fsync` it and `os.replace` it into place, so a reader sees either
  the old file or the whole new one, never half of it (also when interrupted).
* `atomic_dir` builds a directory output in a temporary sibling directory and renames it into place.
* Any `OSError` becomes a `TianpingError` naming the path (the CLI prints it and exits with 2).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from . import interrupts
from .errors import Problem, TianpingError

TITLE = "bad output path"


def _err(path: Path | str, message: str, option: str | None) -> TianpingError:
    return TianpingError(Problem(message, file=str(path), field=option), title=TITLE)


def os_error(exc: OSError, path: Path | str, option: str | None = None) -> TianpingError:
    """An OSError met while writing `path`, as a user-facing error naming the path."""
    reason = exc.strerror or exc.__class__.__name__
    return _err(path, f"cannot write: {reason}", option)


def _check_parent(p: Path, option: str | None) -> Path:
    parent = Path(os.path.abspath(p)).parent
    if not parent.exists():
        # a missing ancestor or a regular file on the way are both "does not exist" for the user
        anc = parent
        while not anc.exists() and anc != anc.parent:
            anc = anc.parent
        if anc.exists() and not anc.is_dir():
            raise _err(p, f"{anc} is a file, not a directory", option)
        raise _err(p, f"the parent directory {parent} does not exist", option)
    if not parent.is_dir():
        raise _err(p, f"{parent} is a file, not a directory", option)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _err(p, f"the parent directory {parent} is not writable", option)
    return parent


def check_file(path: Path | str, option: str | None = None) -> Path:
    """Check a file output before any work; return it as a Path (exit 2 naming it if it cannot be written)."""
    p = Path(path)
    if str(path) == "" or p.name in ("", ".", ".."):
        raise _err(path, "is not a file name", option)
    if p.is_dir():
        raise _err(p, "is a directory; give a file name", option)
    _check_parent(p, option)  # an existing read-only file is still replaced: the rename needs the directory only
    return p


def check_dir(path: Path | str, option: str | None = None) -> Path:
    """Check a new directory output before any work: absent or an empty directory, with a writable parent."""
    p = Path(path)
    if str(path) == "":
        raise _err(path, "is not a directory name", option)
    if p.exists() or p.is_symlink():
        if not p.is_dir():
            raise _err(p, "exists and is not an empty directory", option)
        try:
            nonempty = any(p.iterdir())
        except OSError as exc:
            raise os_error(exc, p, option) from None
        if nonempty:
            raise _err(p, "exists and is not an empty directory", option)
    _check_parent(p, option)
    return p


def check_writable_dir(path: Path | str, option: str | None = None) -> Path:
    """An existing-or-new directory that a command writes files into (existing files may be replaced)."""
    p = Path(path)
    if p.exists():
        if not p.is_dir():
            raise _err(p, "is a file, not a directory", option)
        if not os.access(p, os.W_OK | os.X_OK):
            raise _err(p, "is not writable", option)
        return p
    _check_parent(p, option)
    return p


def _tmp_name(p: Path, suffix: str = ".tmp") -> Path:
    return p.with_name(f".{p.name}.{secrets.token_hex(4)}{suffix}")


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink(p: Path) -> None:
    with contextlib.suppress(OSError):
        p.unlink()


@contextlib.contextmanager
def atomic_path(path: Path | str, option: str | None = None, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to `path` for a writer that wants a file name (zipfile,
    matplotlib, a C library); on success it is fsynced and renamed onto `path`, else removed.
    `suffix` keeps an extension some writers look at (default: the target's own suffix)."""
    p = check_file(path, option)
    tmp = _tmp_name(p, ".tmp" + (p.suffix if suffix is None else suffix))
    try:
        yield tmp
        interrupts.check()
        try:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, p)
        except OSError as exc:
            raise os_error(exc, p, option) from None
        _fsync_dir(p.parent if str(p.parent) else Path("."))
    except BaseException:
        _unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_file(
    path: Path | str, option: str | None = None, *, binary: bool = False, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file next to `path` for writing; on success fsync and rename it onto `path`.
    The file gets ordinary permissions (0666 minus the umask), like `open(path, "w")` would give."""
    p = check_file(path, option)
    tmp = _tmp_name(p)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise os_error(exc, p, option) from None
    try:
        fh: IO[Any] = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding=encoding, newline=newline)
        with fh:
            yield fh
            try:
                fh.flush()
                os.fsync(fh.fileno())
            except OSError as exc:
                raise os_error(exc, p, option) from None
        interrupts.check()
        try:
            os.replace(tmp, p)
        except OSError as exc:
            raise os_error(exc, p, option) from None
        _fsync_dir(p.parent if str(p.parent) else Path("."))
    except OSError as exc:  # a write inside the block (disk full, quota…)
        _unlink(tmp)
        raise os_error(exc, p, option) from None
    except BaseException:
        _unlink(tmp)
        raise


def write_bytes(path: Path | str, data: bytes, option: str | None = None) -> Path:
    """Write `data` to `path` atomically; return the path."""
    with atomic_file(path, option, binary=True) as fh:
        fh.write(data)
    return Path(path)


def write_text(path: Path | str, text: str, option: str | None = None, *, encoding: str = "utf-8") -> Path:
    """Write `text` to `path` atomically; return the path."""
    with atomic_file(path, option, encoding=encoding) as fh:
        fh.write(text)
    return Path(path)


@contextlib.contextmanager
def atomic_dir(path: Path | str, option: str | None = None) -> Iterator[Path]:
    """Yield a temporary sibling directory to fill; on success rename it to `path` (which must be
    absent or an empty directory), else remove it. Nothing appears at `path` unless complete."""
    p = check_dir(path, option)
    tmp = p.with_name(f".{p.name}.{secrets.token_hex(4)}.partial")
    try:
        tmp.mkdir()
    except OSError as exc:
        raise os_error(exc, p, option) from None
    try:
        yield tmp
        interrupts.check()
        try:
            if p.is_dir() and not p.is_symlink():
                p.rmdir()  # an empty directory given on purpose: replaced by the complete one
            os.replace(tmp, p)
        except OSError as exc:
            raise os_error(exc, p, option) from None
        _fsync_dir(p.parent if str(p.parent) else Path("."))
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise os_error(exc, p, option) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
