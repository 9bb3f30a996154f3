"""Write outputs under a temporary name and move them into place only when complete."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from ..exceptions import UsageError

__all__ = ["atomic_file", "atomic_directory"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"Cannot create the output folder {path.parent}: {err.strerror or err}.") from None


@contextlib.contextmanager
def atomic_file(path):
    """Yield a temporary path beside ``path``; replace ``path`` with it on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    _make_parent(path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; cannot write a file there.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; finished files get the usual mode
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_directory(path, *, replace: bool = False):
    """Yield a temporary directory beside ``path``; move it to ``path`` on success.

    Parameters
    ----------
    path : path-like
        Final directory.
    replace : bool
        Whether an existing non-empty ``path`` may be replaced.  It is swapped out
        only after the new directory is complete, so a failure never loses it.

    Raises
    ------
    UsageError
        If ``path`` exists, is not empty and ``replace`` is false.
    """
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())) and not replace:
        raise UsageError(f"{path} already exists and is not empty; choose another --out or pass --force.")
    _make_parent(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        _swap_in(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _swap_in(tmp: Path, path: Path) -> None:
    if not path.exists():
        os.replace(tmp, path)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    old.rmdir()
    os.replace(path, old)
    try:
        os.replace(tmp, path)
    except OSError:
        os.replace(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
