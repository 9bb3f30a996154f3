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
import threading
import time
from pathlib import Path

from ..exceptions import SsiKitError, UsageError

__all__ = ["atomic_file", "atomic_directory", "atomic_files", "check_out_dir", "check_replaceable",
           "prepare_out_dir", "recover_set", "folder_lock", "PAUSE_ENV", "LOCK_NAME", "LOCK_TIMEOUT_ENV"]

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


def check_replaceable(path) -> Path:
    """Refuse an output folder that cannot be replaced whole: the current folder or one above it, home.

    A replaced folder is renamed away: the system refuses that for the current
    folder (only after the whole run), and a folder above it (up to ``/``) or home
    holds the user's other files.  The path as written and the folder it leads to
    are both checked.

    Raises
    ------
    UsageError
        If ``path`` is one of those folders (exit 2).
    """
    path = Path(path)
    cwd = (Path(os.path.realpath(".")), Path(os.path.abspath(".")))
    refused = {p: "a folder above the current folder" for c in cwd for p in c.parents}
    refused.update({c: "the current folder" for c in cwd})
    refused[Path(os.path.realpath(os.path.expanduser("~")))] = "your home folder"
    for candidate in (Path(os.path.abspath(path)), Path(os.path.realpath(path))):
        if candidate in refused:
            raise UsageError(f"--out {path} is {refused[candidate]} ({candidate}); this command replaces its "
                             "output folder whole, which cannot be done to the current folder, a folder "
                             "above it or your home folder: choose a new sub-folder, e.g. --out ./out.")
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
    path = check_replaceable(path)
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


def recover_set(directory, label: str) -> None:
    """Complete a set of :func:`atomic_files` whose run was killed after its commit.

    Cheap when there is nothing to do: one listing of ``directory``, looking for a
    ``.LABEL.xxxxxxxx.new`` journal.  A journal still held by a live run is left alone.
    """
    directory = Path(directory)
    pattern = _leftover_pattern(label)
    try:
        with os.scandir(directory) as it:
            pending = any(pattern.match(e.name) and e.name.endswith(".new") for e in it)
    except (FileNotFoundError, NotADirectoryError):
        return
    if pending:
        _recover(directory / label, complete=_apply_set)


#: The lock file of :func:`folder_lock`, inside the folder; removed when released.
LOCK_NAME = ".ssi-kit.lock"
#: Environment variable: seconds a writer waits for another's lock (default 600).
LOCK_TIMEOUT_ENV = "SSI_KIT_LOCK_TIMEOUT"
_HELD: dict = {}


@contextlib.contextmanager
def folder_lock(directory, *, what: str = "another import"):
    """Hold an exclusive lock on ``directory`` (created if needed) while the block runs.

    The lock is an ``flock`` on ``DIRECTORY/.ssi-kit.lock``, which records the
    holder's pid and is removed on release; a file left by a killed run has no
    holder and never blocks.  A second writer announces ``waiting for ... (pid N)``
    on stderr and waits up to ``$SSI_KIT_LOCK_TIMEOUT`` seconds (600).  Re-entrant
    within one thread (other threads wait like other processes).  Where ``fcntl`` is
    missing the block runs unlocked.

    Raises
    ------
    SsiKitError
        When the lock is still held after the timeout (exit 1).
    """
    directory = Path(directory)
    created = not directory.exists()
    directory = prepare_out_dir(directory)
    key = (threading.get_ident(), os.path.realpath(directory))
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield directory
        finally:
            _HELD[key] -= 1
        return
    path = directory / LOCK_NAME
    fd = _acquire(path, _lock_timeout(), what)
    _HELD[key] = 1
    try:
        yield directory
    finally:
        del _HELD[key]
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                directory.rmdir()  # only when the writer left it empty


def _lock_timeout() -> float:
    text = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    try:
        return float(text) if text else 600.0
    except ValueError:
        raise UsageError(f"${LOCK_TIMEOUT_ENV} is {text[:20]!r}; expected a number of seconds.") from None


def _acquire(path: Path, timeout: float, what: str):
    """Lock ``path`` (an fd holding the flock), waiting up to ``timeout`` seconds; None without fcntl."""
    try:
        import fcntl
    except ImportError:
        return None
    deadline, told = time.monotonic() + timeout, False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666 & ~_umask())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            if time.monotonic() >= deadline:
                raise SsiKitError(f"{what} into {path.parent} (pid {holder}) still holds {path} after "
                                  f"{timeout:g} s; try again when it has finished (${LOCK_TIMEOUT_ENV} "
                                  "sets how long to wait).") from None
            if not told:
                print(f"ssi-kit: waiting for {what} into {path.parent} (pid {holder}) ...",
                      file=sys.stderr, flush=True)
                told = True
            time.sleep(0.05)
            continue
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            with contextlib.suppress(OSError):  # the pid only informs a waiter (a full disk may refuse it)
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            return fd
        os.close(fd)  # the holder removed the file as we opened it: lock the new one


def _same_file(fd: int, path: Path) -> bool:
    try:
        here = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (here.st_dev, here.st_ino)
