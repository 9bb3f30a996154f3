"""Write outputs under a temporary name and move them into place only when complete.

A write in progress lives beside its target under a hidden name,
``.NAME.xxxxxxxx.tmp`` (``xxxxxxxx`` is :mod:`tempfile`'s random part), and holds
an ``flock`` on it, so no other run ever touches it.  A folder replaces an
earlier one in one ``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere the
complete new folder is first renamed ``.NAME.xxxxxxxx.new`` (the journal: a
complete output waiting to be swapped in), the earlier one ``.NAME.xxxxxxxx.old``,
then the new one into place.  A run killed anywhere leaves only such hidden
names; the next write to the same place completes the swap (a ``.new`` when NAME
is missing) or rolls it back, and removes them.  Only names matching that exact
pattern, regular files or folders (never symlinks), and not locked by a live run
are ever removed.

For tests, ``SSI_KIT_TEST_PAUSE_AT=POINT`` makes a run announce
``ssi-kit: test pause at POINT`` on stderr and sleep at that point, so a test can
kill it there.  Points: ``swap`` (new output complete, before the swap),
``mid-swap`` (between the two renames of the fallback swap), ``set-commit``
(between the files of :func:`atomic_files`).
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ..exceptions import UsageError

__all__ = ["atomic_file", "atomic_directory", "atomic_files", "check_out_dir", "prepare_out_dir",
           "PAUSE_ENV"]

#: Environment variable of the kill-point test hook (see the module docstring).
PAUSE_ENV = "SSI_KIT_TEST_PAUSE_AT"
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}


def _pause(point: str) -> None:
    if os.environ.get(PAUSE_ENV) == point:
        print(f"ssi-kit: test pause at {point}", file=sys.stderr, flush=True)
        time.sleep(600)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_out_dir(path) -> Path:
    """Refuse an output folder that is, or lies under, a file; create nothing.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    pathlib.Path

    Raises
    ------
    UsageError
        If ``path`` or one of its parents is a file (exit 2).
    """
    path = Path(path)
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        if os.path.lexists(folder):
            raise UsageError(f"Cannot write the output folder {path}: {folder} is a file, not a "
                             "folder; choose another --out.")
    return path


def prepare_out_dir(path) -> Path:
    """Create the output folder ``path`` (and its parents) unless it exists.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    pathlib.Path

    Raises
    ------
    UsageError
        If ``path`` or one of its parents is a file (exit 2).
    OSError
        If the system refuses (permissions, read-only or full disk; exit 1).
    """
    path = check_out_dir(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a file appeared meanwhile
        check_out_dir(path)
        raise
    return path


def _leftover_pattern(name: str) -> re.Pattern:
    return re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.(tmp|new|old)\Z")


def _hold(path, directory: bool) -> int:
    """Open ``path`` and take an exclusive lock that lives as long as the descriptor."""
    import fcntl

    flags = os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _free(entry: os.DirEntry):
    """Lock a leftover; return its descriptor, or None when a live run holds it."""
    try:
        return _hold(entry.path, entry.is_dir(follow_symlinks=False))
    except (OSError, ImportError):  # held by a live run, gone, or not ours to open: left alone
        return None


def _remove(path) -> None:
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _recover(path: Path, complete=None) -> None:
    """Finish or roll back what killed runs left beside ``path``, then remove it.

    ``complete(new)`` applies a ``.new`` leftover (a complete output); by default
    it becomes ``path`` when ``path`` is missing, else it is dropped.
    """
    pattern = _leftover_pattern(path.name)
    try:
        with os.scandir(path.parent) as it:
            found = [e for e in it if pattern.match(e.name)
                     and (e.is_dir(follow_symlinks=False) or e.is_file(follow_symlinks=False))]
    except FileNotFoundError:
        return
    found.sort(key=lambda e: (not e.name.endswith(".new"), -e.stat(follow_symlinks=False).st_mtime))
    for entry in found:
        fd = _free(entry)
        if fd is None:
            continue
        try:
            if entry.name.endswith(".new"):
                (complete or _complete_swap)(Path(entry.path), path)
            _remove(entry.path)
        finally:
            os.close(fd)


def _complete_swap(new: Path, path: Path) -> None:
    if new.is_dir() and not os.path.lexists(path):
        os.rename(new, path)


@contextlib.contextmanager
def atomic_file(path):
    """Yield a temporary path beside ``path``; replace ``path`` with it on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    Leftovers of killed writes to ``path`` are removed first.

    Raises
    ------
    UsageError
        If ``path`` is a folder, or its folder cannot be made because a file is in the way.
    """
    path = Path(path)
    prepare_out_dir(path.parent)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; cannot write a file there.")
    _recover(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with contextlib.suppress(ImportError):
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; finished files get the usual mode
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as err:
        if err.filename:
            raise
        raise _naming(err, path) from err
    finally:
        os.close(fd)
        _remove(tmp)


def _naming(err: OSError, path: Path) -> OSError:
    """``err`` naming the file being written; its errno read from a writer's message if unset."""
    found = re.search(r"\[errno (\d+)\]", str(err), re.IGNORECASE)
    code = err.errno or (int(found.group(1)) if found else None)
    return OSError(code, err.strerror or str(err), str(path))


@contextlib.contextmanager
def atomic_directory(path, *, replace: bool = False):
    """Yield a temporary directory beside ``path``; swap it in for ``path`` on success.

    Parameters
    ----------
    path : path-like
        Final directory.
    replace : bool
        Whether an existing non-empty ``path`` may be replaced (callers check first
        that it is theirs to replace).  It is swapped out only once the new
        directory is complete, so a failure or a kill never loses it.

    Raises
    ------
    UsageError
        If ``path`` is a file, or exists, is not empty and ``replace`` is false.
    """
    path = Path(path)
    prepare_out_dir(path.parent)
    _recover(path)
    check_out_dir(path)
    if path.is_dir() and any(path.iterdir()) and not replace:
        raise UsageError(f"{path} already exists and is not empty; choose another --out or pass --force.")
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        fd = _hold(tmp, directory=True)
    except ImportError:
        fd = None
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        _swap_in(tmp, path)
    finally:
        if fd is not None:
            os.close(fd)
        _remove(tmp)  # the unfinished output, or the replaced one after an exchange


def _swap_in(tmp: Path, path: Path) -> None:
    """Put the complete ``tmp`` at ``path``; an earlier ``path`` ends up at ``tmp`` or is removed."""
    if not os.path.lexists(path):
        os.rename(tmp, path)
        return
    _pause("swap")
    if _exchange(tmp, path):
        return
    new, old = tmp.with_suffix(".new"), tmp.with_suffix(".old")
    os.rename(tmp, new)  # the journal: a complete output waits under .new
    try:
        old_fd = _hold(path, directory=True)
    except ImportError:
        old_fd = None
    try:
        os.rename(path, old)
        _pause("mid-swap")
        try:
            os.rename(new, path)
        except OSError:
            os.rename(old, path)
            raise
    except BaseException:
        _remove(new)
        raise
    finally:
        if old_fd is not None:
            os.close(old_fd)
    _remove(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one ``renameat2(RENAME_EXCHANGE)``; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        func = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_cwd = -100
    if func(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


@contextlib.contextmanager
def atomic_files(directory, label: str):
    """Yield a staging folder; move every file written there into ``directory`` as one set.

    The files change together: staged first, then committed by renaming the
    staging folder ``.LABEL.xxxxxxxx.new`` inside ``directory``, then moved into
    place.  A run killed after the commit is completed by the next call with the
    same ``label``; one killed before it leaves the earlier files untouched.  Other
    files in ``directory`` are kept.

    Parameters
    ----------
    directory : path-like
        Output folder; created if needed.
    label : str
        Name of the set (e.g. ``"claims"``), used for the hidden staging names.
    """
    directory = prepare_out_dir(directory)
    key = directory / label
    _recover(key, complete=_apply_set)
    stage = Path(tempfile.mkdtemp(prefix=f".{label}.", suffix=".tmp", dir=directory))
    try:
        fd = _hold(stage, directory=True)
    except ImportError:
        fd = None
    try:
        yield stage
        new = stage.with_suffix(".new")
        os.rename(stage, new)
        _apply_set(new, key)
    finally:
        if fd is not None:
            os.close(fd)
        _remove(stage)


def _apply_set(new: Path, key: Path) -> None:
    for k, item in enumerate(sorted(p for p in new.iterdir() if not p.name.startswith("."))):
        if k:
            _pause("set-commit")
        os.replace(item, key.parent / item.name)
    _remove(new)
