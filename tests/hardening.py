"""Helpers of the hardening tests: run the CLI in-process, checksum a tree, check a refusal.

Every hardening test asserts three things: the exit code, the one-paragraph message,
and that nothing outside the command's output was touched (:func:`tree_digest` before
and after).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from ssi_kit.cli import main


@dataclass
class CliResult:
    """Exit code and captured output of one in-process ``ssi-kit`` call."""

    code: int
    out: str
    err: str


def run_cli(*argv) -> CliResult:
    """Run ``ssi-kit ARGV...`` in this process and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # --help / --version
            code = exc.code if isinstance(exc.code, int) else 1
    return CliResult(code, out.getvalue(), err.getvalue())


def tree_digest(root) -> dict:
    """Map every file and folder under ``root`` (relative path) to its sha256 or ``"dir"``.

    Symlinks are recorded by their target, never followed; FIFOs and other special
    files by their kind, never opened.
    """
    root = Path(root)
    digest = {}
    for base, dirs, files in os.walk(root):
        for name in dirs:
            path = Path(base, name)
            digest[str(path.relative_to(root))] = ("link:" + os.readlink(path)) if path.is_symlink() else "dir"
        for name in files:
            path = Path(base, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                digest[rel] = "link:" + os.readlink(path)
            elif not path.is_file():
                digest[rel] = "special"
            else:
                digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def assert_refused(result: CliResult, code: int, *fragments: str) -> None:
    """Assert a clean refusal: exit ``code``, one paragraph on stderr naming ``fragments``.

    The message must not be a traceback and must be one paragraph (no blank line);
    progress or log lines before the final ``ssi-kit: ...`` line are allowed.
    """
    assert result.code == code, f"exit {result.code}, expected {code}; stderr: {result.err!r}"
    assert "Traceback" not in result.err, result.err
    last = [line for line in result.err.strip().splitlines() if line.startswith("ssi-kit: ")]
    assert last, f"no 'ssi-kit: ...' message on stderr: {result.err!r}"
    message = last[-1]
    assert "internal error" not in message, message
    for fragment in fragments:
        assert fragment.lower() in message.lower(), f"{fragment!r} not in {message!r}"
